//! Image generators, chosen per AI model version (`parameters.provider`), and the
//! content-safety check that runs before any generation.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// An image format a request may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Png,
    Jpeg,
    Webp,
}

impl OutputFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "png" => Some(Self::Png),
            "jpeg" | "jpg" => Some(Self::Jpeg),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Webp => "webp",
        }
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    pub prompt: String,
    pub style: Option<String>,
    pub width: u32,
    pub height: u32,
    pub format: OutputFormat,
    /// Distinguishes the samples of one request (and the final from its sample).
    pub variant: String,
    /// Brand colours to paint with, `#RRGGBB`.
    pub palette: Vec<[u8; 3]>,
    pub model: String,
}

/// Something that turns a spec into encoded image bytes.
pub trait ImageGenerator: Send + Sync {
    fn generate<'a>(&'a self, spec: &'a ImageSpec) -> BoxFuture<'a, anyhow::Result<Vec<u8>>>;
}

/// Consecutive failed calls to one endpoint that open its circuit.
const FAILURES_TO_OPEN: u32 = 5;
/// How long calls to an endpoint with an open circuit fail at once.
const OPEN_FOR: Duration = Duration::from_secs(30);

/// One circuit breaker per inference endpoint (per instance): an endpoint that
/// failed `FAILURES_TO_OPEN` generations in a row is not called for `OPEN_FOR`,
/// so a hung or dead service costs workers one timeout per job no longer; the
/// first call after that tries it again. Endpoints come from model versions
/// (set by admins), so the map stays small.
#[derive(Debug, Default)]
pub struct ProviderBreakers(Mutex<HashMap<String, Arc<EndpointHealth>>>);

#[derive(Debug)]
pub struct EndpointHealth {
    breaker: crate::breaker::Breaker,
    failures: AtomicU32,
}

impl ProviderBreakers {
    fn of(&self, url: &str) -> Arc<EndpointHealth> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(url.to_string())
            .or_insert_with(|| {
                Arc::new(EndpointHealth {
                    breaker: crate::breaker::Breaker::new("inference endpoint", OPEN_FOR),
                    failures: AtomicU32::new(0),
                })
            })
            .clone()
    }
}

impl EndpointHealth {
    fn succeeded(&self) {
        self.failures.store(0, Ordering::Relaxed);
        self.breaker.close();
    }

    fn failed(&self) {
        if self.failures.fetch_add(1, Ordering::Relaxed) + 1 >= FAILURES_TO_OPEN {
            self.breaker.trip();
        }
    }
}

/// The generator a model version asks for (`parameters.provider`, default `local`).
pub fn generator_for(
    parameters: &Value,
    http: &reqwest::Client,
    breakers: &ProviderBreakers,
) -> anyhow::Result<Box<dyn ImageGenerator>> {
    match parameters
        .get("provider")
        .and_then(Value::as_str)
        .unwrap_or("local")
    {
        "local" => Ok(Box::new(LocalGenerator)),
        "http" => {
            let url = parameters
                .get("endpoint")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow::anyhow!("http provider without parameters.endpoint"))?;
            let api_key = parameters
                .get("apiKeyEnv")
                .and_then(Value::as_str)
                .and_then(|var| std::env::var(var).ok())
                .or_else(|| {
                    parameters
                        .get("apiKey")
                        .and_then(Value::as_str)
                        .map(String::from)
                });
            let url = url.trim_end_matches('/').to_string();
            Ok(Box::new(HttpGenerator {
                client: http.clone(),
                health: breakers.of(&url),
                url,
                api_key,
                model: parameters
                    .get("model")
                    .and_then(Value::as_str)
                    .map(String::from),
                timeout: Duration::from_secs(
                    parameters
                        .get("timeoutSeconds")
                        .and_then(Value::as_u64)
                        .unwrap_or(60),
                ),
                attempts: parameters
                    .get("attempts")
                    .and_then(Value::as_u64)
                    .unwrap_or(3)
                    .clamp(1, 10) as u32,
            }))
        }
        other => anyhow::bail!("unknown provider '{other}'"),
    }
}

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}

/// Parses `#RRGGBB` / `#RGB` (and `#RRGGBBAA`, alpha ignored). Brand-kit colours
/// are user input: anything but ASCII hex digits is refused before slicing, since
/// a multi-byte character would put a slice off a char boundary (found by the
/// `hex_colour` fuzz target) and `from_str_radix` alone would accept a `+`.
pub fn parse_hex(text: &str) -> Option<[u8; 3]> {
    let digits = text.strip_prefix('#')?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |s: &str| u8::from_str_radix(s, 16).ok();
    match digits.len() {
        6 | 8 => Some([
            byte(&digits[0..2])?,
            byte(&digits[2..4])?,
            byte(&digits[4..6])?,
        ]),
        3 => {
            let expand = |i: usize| byte(&digits[i..=i]).map(|n| n * 17);
            Some([expand(0)?, expand(1)?, expand(2)?])
        }
        _ => None,
    }
}

/// Renders real images locally, deterministically from the prompt, the style, the
/// variant and the brand colours: a gradient between two colours and a few discs.
pub struct LocalGenerator;

impl LocalGenerator {
    pub fn render(spec: &ImageSpec) -> anyhow::Result<Vec<u8>> {
        let hash = digest(&[
            &spec.prompt,
            spec.style.as_deref().unwrap_or(""),
            &spec.variant,
            &spec.model,
        ]);
        let from_hash = |i: usize| [hash[i], hash[i + 1], hash[i + 2]];
        let first = spec.palette.first().copied().unwrap_or(from_hash(0));
        let second = spec.palette.get(1).copied().unwrap_or(from_hash(3));
        let accent = spec.palette.get(2).copied().unwrap_or(from_hash(6));
        let (w, h) = (spec.width.max(1), spec.height.max(1));
        let discs: Vec<(f32, f32, f32)> = (0..3)
            .map(|i| {
                let b = &hash[10 + i * 3..13 + i * 3];
                (
                    f32::from(b[0]) / 255.0 * w as f32,
                    f32::from(b[1]) / 255.0 * h as f32,
                    (0.08 + f32::from(b[2]) / 255.0 * 0.2) * w.min(h) as f32,
                )
            })
            .collect();
        let image = image::RgbImage::from_fn(w, h, |x, y| {
            let (xf, yf) = (x as f32, y as f32);
            if discs
                .iter()
                .any(|(cx, cy, r)| (xf - cx).powi(2) + (yf - cy).powi(2) <= r * r)
            {
                return image::Rgb(accent);
            }
            let t = (xf / w as f32 + yf / h as f32) / 2.0;
            let mix = |i: usize| {
                (f32::from(first[i]) * (1.0 - t) + f32::from(second[i]) * t).round() as u8
            };
            image::Rgb([mix(0), mix(1), mix(2)])
        });
        let mut out = Cursor::new(Vec::new());
        match spec.format {
            OutputFormat::Png => image.write_to(&mut out, image::ImageFormat::Png)?,
            OutputFormat::Jpeg => image.write_to(&mut out, image::ImageFormat::Jpeg)?,
            OutputFormat::Webp => {
                let encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
                image::ImageEncoder::write_image(
                    encoder,
                    image.as_raw(),
                    w,
                    h,
                    image::ExtendedColorType::Rgb8,
                )?;
            }
        }
        Ok(out.into_inner())
    }
}

impl ImageGenerator for LocalGenerator {
    fn generate<'a>(&'a self, spec: &'a ImageSpec) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        let spec = spec.clone();
        Box::pin(async move {
            // Encoding is CPU work: keep it off the async runtime.
            tokio::task::spawn_blocking(move || Self::render(&spec)).await?
        })
    }
}

/// An OpenAI-compatible images endpoint (`POST {endpoint}/v1/images/generations`,
/// `response_format: b64_json`), with a timeout and retries with backoff.
pub struct HttpGenerator {
    client: reqwest::Client,
    health: Arc<EndpointHealth>,
    url: String,
    api_key: Option<String>,
    model: Option<String>,
    timeout: Duration,
    attempts: u32,
}

impl HttpGenerator {
    async fn call_once(&self, spec: &ImageSpec) -> anyhow::Result<Vec<u8>> {
        let prompt = match &spec.style {
            Some(style) => format!("{}\n\nStyle: {style}", spec.prompt),
            None => spec.prompt.clone(),
        };
        let mut request = self
            .client
            .post(format!("{}/v1/images/generations", self.url))
            .timeout(self.timeout)
            .json(&json!({
                "model": self.model.clone().unwrap_or_else(|| spec.model.clone()),
                "prompt": prompt,
                "n": 1,
                "size": format!("{}x{}", spec.width, spec.height),
                "response_format": "b64_json",
                "output_format": spec.format.name(),
            }));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            anyhow::bail!("inference service answered {status}");
        }
        let body: Value = response.json().await?;
        let encoded = body["data"][0]["b64_json"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no data[0].b64_json in the answer"))?;
        Ok(STANDARD.decode(encoded)?)
    }
}

impl ImageGenerator for HttpGenerator {
    fn generate<'a>(&'a self, spec: &'a ImageSpec) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        Box::pin(async move {
            if self.health.breaker.is_open() {
                anyhow::bail!(
                    "{} failed {FAILURES_TO_OPEN} generations in a row; not called for {} s",
                    self.url,
                    OPEN_FOR.as_secs()
                );
            }
            let mut delay = Duration::from_millis(200);
            let mut last = None;
            for attempt in 1..=self.attempts {
                match self.call_once(spec).await {
                    Ok(bytes) => {
                        self.health.succeeded();
                        return Ok(bytes);
                    }
                    Err(e) => {
                        tracing::warn!(attempt, error = %e, "inference call failed");
                        last = Some(e);
                        if attempt < self.attempts {
                            tokio::time::sleep(delay).await;
                            delay *= 2;
                        }
                    }
                }
            }
            self.health.failed();
            Err(last.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
        })
    }
}

/// The content-safety check run before generation.
pub trait ContentSafety: Send + Sync {
    /// `Some(reason)` when the prompt must not be generated.
    fn reject_reason(&self, prompt: &str, style: Option<&str>) -> Option<String>;
}

/// Refuses prompts containing any configured word (case-insensitive, whole words).
pub struct Blocklist {
    words: Vec<String>,
}

impl Blocklist {
    pub fn new(words: &[String]) -> Self {
        Self {
            words: words
                .iter()
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect(),
        }
    }
}

impl ContentSafety for Blocklist {
    fn reject_reason(&self, prompt: &str, style: Option<&str>) -> Option<String> {
        let text = format!("{prompt} {}", style.unwrap_or("")).to_lowercase();
        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
        self.words
            .iter()
            .find(|w| words.contains(&w.as_str()))
            .map(|w| format!("the prompt contains the blocked term '{w}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: OutputFormat) -> ImageSpec {
        ImageSpec {
            prompt: "a fox in the snow".into(),
            style: Some("watercolour".into()),
            width: 64,
            height: 48,
            format,
            variant: "sample-0".into(),
            palette: vec![[0xE4, 0x57, 0x2E], [0x29, 0x33, 0x5C]],
            model: "Atelier Diffusion 2.0".into(),
        }
    }

    #[test]
    fn local_images_are_real_deterministic_and_sized() {
        for format in [OutputFormat::Png, OutputFormat::Jpeg, OutputFormat::Webp] {
            let a = LocalGenerator::render(&spec(format)).expect("render");
            let b = LocalGenerator::render(&spec(format)).expect("render");
            assert_eq!(a, b, "{format:?} is deterministic");
            let decoded = image::load_from_memory(&a).expect("decodes");
            assert_eq!((decoded.width(), decoded.height()), (64, 48));
        }
        let mut other = spec(OutputFormat::Png);
        other.variant = "sample-1".into();
        assert_ne!(
            LocalGenerator::render(&other).ok(),
            LocalGenerator::render(&spec(OutputFormat::Png)).ok()
        );
    }

    #[test]
    fn the_brand_colour_is_in_the_corner() {
        let png = LocalGenerator::render(&spec(OutputFormat::Png)).expect("render");
        let image = image::load_from_memory(&png).expect("decode").to_rgb8();
        // The gradient starts at the first brand colour (unless a disc covers it).
        let corner = image.get_pixel(0, 0).0;
        assert!(corner == [0xE4, 0x57, 0x2E] || corner != [0, 0, 0]);
    }

    #[test]
    fn the_blocklist_matches_whole_words() {
        let list = Blocklist::new(&["gore".to_string()]);
        assert!(list.reject_reason("so much GORE here", None).is_some());
        assert!(list.reject_reason("a gorgeous sunset", None).is_none());
        assert!(parse_hex("#E4572E") == Some([0xE4, 0x57, 0x2E]));
    }

    #[test]
    fn colours_with_non_hex_characters_are_refused_without_a_panic() {
        // Each of these panicked or parsed before: a slice off a char boundary,
        // a `#RGB` of fewer than three characters, a `+` sign taken as a digit.
        for text in [
            "#1\u{e9}234",
            "#\u{e9}1",
            "#+f+f+f",
            "#ab\u{1F600}",
            "#12 456",
        ] {
            assert_eq!(parse_hex(text), None, "{text:?}");
        }
        assert_eq!(parse_hex("#fA0"), Some([0xff, 0xaa, 0x00]));
        assert_eq!(parse_hex("#E4572E80"), Some([0xE4, 0x57, 0x2E]));
    }
}
