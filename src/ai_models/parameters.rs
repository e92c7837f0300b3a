//! The one documented shape of `AIModelVersion.parameters`, checked when a
//! version is created through the API or imported (README, "The model registry"):
//!
//! ```json
//! {
//!   "provider": "local" | "http",
//!   "endpoint": "https://images.example/v1",   // http only, required there
//!   "apiKeyEnv": "OPENAI_API_KEY",              // http only, optional
//!   "model": "dall-e-3",                        // http only, optional
//!   "attempts": 3, "timeoutSeconds": 60,        // http only, optional: 1-10, 1-600
//!   "creditCost": {"sample": "1.00", "final": "4.00"},
//!   "resolutions": ["512x512", "1024x1024"],
//!   "formats": ["png", "jpeg", "webp"],
//!   "sampleCount": {"min": 1, "max": 4}         // optional, within 1..4
//! }
//! ```
//!
//! A bad value is `BAD_USER_INPUT` whose `extensions.field` is the JSON path,
//! e.g. `parameters.creditCost.sample`.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult};

/// The most samples one request may ask for (as `requestGeneration` allows).
pub const MAX_SAMPLES: i64 = 4;
const FORMATS: [&str; 3] = ["png", "jpeg", "webp"];
const KEYS: [&str; 10] = [
    "provider",
    "endpoint",
    "apiKeyEnv",
    "model",
    "attempts",
    "timeoutSeconds",
    "creditCost",
    "resolutions",
    "formats",
    "sampleCount",
];

fn bad(path: &str, message: impl Into<String>) -> AppError {
    AppError::bad_input(format!("parameters.{path}"), message)
}

/// A decimal >= 0 given as a JSON string or number, at most 2 decimal places.
fn credits(value: Option<&Value>, path: &str) -> AppResult<Decimal> {
    let parsed = match value {
        Some(Value::String(s)) => s.trim().parse::<Decimal>().ok(),
        Some(Value::Number(n)) => n.to_string().parse::<Decimal>().ok(),
        _ => None,
    };
    match parsed {
        Some(d) if !d.is_sign_negative() && d.scale() <= 2 && d < Decimal::from(100_000_000) => {
            Ok(d)
        }
        _ => Err(bad(
            path,
            "a decimal of at least 0 with at most 2 decimals, e.g. \"1.50\"",
        )),
    }
}

fn resolution_ok(text: &str) -> bool {
    text.split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .is_some_and(|(w, h)| (16..=4096).contains(&w) && (16..=4096).contains(&h))
}

fn string_list<'a>(object: &'a Map<String, Value>, key: &str) -> AppResult<Vec<&'a str>> {
    let list = object
        .get(key)
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad(key, "a non-empty list of strings"))?;
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str()
                .ok_or_else(|| bad(&format!("{key}[{i}]"), "a string"))
        })
        .collect()
}

/// Checks `parameters` against the documented shape and returns it unchanged
/// (the credit costs normalised to strings with two decimals).
pub fn validate(parameters: &Value) -> AppResult<Value> {
    let object = parameters
        .as_object()
        .ok_or_else(|| AppError::bad_input("parameters", "a JSON object is expected"))?;
    if let Some(unknown) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(bad(
            unknown,
            format!("unknown key; expected one of {}", KEYS.join(", ")),
        ));
    }
    let provider = object
        .get("provider")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("provider", "\"local\" or \"http\""))?;
    match provider {
        "local" => {
            for key in [
                "endpoint",
                "apiKeyEnv",
                "model",
                "attempts",
                "timeoutSeconds",
            ] {
                if object.contains_key(key) {
                    return Err(bad(key, "only for the http provider"));
                }
            }
        }
        "http" => {
            let endpoint = object
                .get("endpoint")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("endpoint", "the http provider needs an endpoint URL"))?;
            check_endpoint(endpoint).map_err(|m| bad("endpoint", m))?;
            for key in ["apiKeyEnv", "model"] {
                if let Some(v) = object.get(key) {
                    if !v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 200) {
                        return Err(bad(key, "a non-empty string of at most 200 characters"));
                    }
                }
            }
            for (key, max) in [("attempts", 10), ("timeoutSeconds", 600)] {
                if let Some(v) = object.get(key) {
                    if !v.as_i64().is_some_and(|n| (1..=max).contains(&n)) {
                        return Err(bad(key, format!("a whole number from 1 to {max}")));
                    }
                }
            }
        }
        _ => return Err(bad("provider", "\"local\" or \"http\"")),
    }
    let cost = object
        .get("creditCost")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("creditCost", "an object {\"sample\": ..., \"final\": ...}"))?;
    if let Some(unknown) = cost.keys().find(|k| *k != "sample" && *k != "final") {
        return Err(bad(
            &format!("creditCost.{unknown}"),
            "unknown key; expected sample, final",
        ));
    }
    let sample = credits(cost.get("sample"), "creditCost.sample")?;
    let final_ = credits(cost.get("final"), "creditCost.final")?;

    for (i, r) in string_list(object, "resolutions")?.iter().enumerate() {
        if !resolution_ok(r) {
            return Err(bad(
                &format!("resolutions[{i}]"),
                "WIDTHxHEIGHT with each side from 16 to 4096, e.g. 1024x1024",
            ));
        }
    }
    for (i, f) in string_list(object, "formats")?.iter().enumerate() {
        if !FORMATS.contains(f) {
            return Err(bad(&format!("formats[{i}]"), "one of png, jpeg, webp"));
        }
    }
    if let Some(bounds) = object.get("sampleCount") {
        let bounds = bounds
            .as_object()
            .ok_or_else(|| bad("sampleCount", "an object {\"min\": 1, \"max\": 4}"))?;
        let bound = |key: &str| -> AppResult<i64> {
            bounds
                .get(key)
                .and_then(Value::as_i64)
                .filter(|n| (1..=MAX_SAMPLES).contains(n))
                .ok_or_else(|| bad(&format!("sampleCount.{key}"), "a whole number from 1 to 4"))
        };
        let (min, max) = (bound("min")?, bound("max")?);
        if min > max {
            return Err(bad("sampleCount.min", "at most sampleCount.max"));
        }
    }
    let mut normalised = object.clone();
    normalised.insert(
        "creditCost".into(),
        serde_json::json!({"sample": format!("{:.2}", sample), "final": format!("{:.2}", final_)}),
    );
    Ok(Value::Object(normalised))
}

/// An absolute http(s) URL.
pub fn check_endpoint(endpoint: &str) -> Result<(), &'static str> {
    match reqwest::Url::parse(endpoint) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err("an absolute http(s) URL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(value: Value) -> String {
        match validate(&value) {
            Err(AppError::BadUserInput { field, .. }) => field.unwrap_or_default(),
            other => panic!("expected BAD_USER_INPUT, got {other:?}"),
        }
    }

    fn good() -> Value {
        json!({
            "provider": "local",
            "creditCost": {"sample": "1.00", "final": 4},
            "resolutions": ["512x512"],
            "formats": ["png"],
            "sampleCount": {"min": 1, "max": 4}
        })
    }

    #[test]
    fn the_documented_shape_passes_and_costs_are_normalised() {
        let out = validate(&good()).expect("valid");
        assert_eq!(
            out["creditCost"],
            json!({"sample": "1.00", "final": "4.00"})
        );
    }

    #[test]
    fn each_bad_value_names_its_json_path() {
        let mut v = good();
        v["creditCost"]["sample"] = json!("-1");
        assert_eq!(field_of(v), "parameters.creditCost.sample");
        let mut v = good();
        v["creditCost"]["final"] = json!("1.234");
        assert_eq!(field_of(v), "parameters.creditCost.final");
        let mut v = good();
        v["provider"] = json!("gpu");
        assert_eq!(field_of(v), "parameters.provider");
        let mut v = good();
        v["provider"] = json!("http");
        assert_eq!(field_of(v), "parameters.endpoint");
        let mut v = good();
        v["provider"] = json!("http");
        v["endpoint"] = json!("ftp://x");
        assert_eq!(field_of(v), "parameters.endpoint");
        let mut v = good();
        v["resolutions"] = json!(["512x512", "huge"]);
        assert_eq!(field_of(v), "parameters.resolutions[1]");
        let mut v = good();
        v["formats"] = json!(["gif"]);
        assert_eq!(field_of(v), "parameters.formats[0]");
        let mut v = good();
        v["sampleCount"] = json!({"min": 3, "max": 2});
        assert_eq!(field_of(v), "parameters.sampleCount.min");
        let mut v = good();
        v["sampleCount"] = json!({"min": 1, "max": 9});
        assert_eq!(field_of(v), "parameters.sampleCount.max");
        let mut v = good();
        v["colour"] = json!("red");
        assert_eq!(field_of(v), "parameters.colour");
        assert_eq!(field_of(json!([1])), "parameters");
    }
}
