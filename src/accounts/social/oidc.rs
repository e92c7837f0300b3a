//! OpenID Connect providers: the discovery document and the JWKS, each cached
//! for the `max-age` of its `Cache-Control`, and the ID token check (signature
//! by `jsonwebtoken`, then `iss`, `aud`, `exp`, `iat`, `nonce`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::config::OidcProviderConfig;
use crate::error::{AppError, AppResult};
use crate::secrets::constant_time_eq;

/// Cached documents are kept at most this long, whatever the provider says.
const MAX_CACHE: Duration = Duration::from_secs(24 * 3600);
/// A token naming a key we do not know makes us fetch the JWKS again (the
/// provider rotated its keys), but at most this often per provider, so forged
/// `kid`s cannot make us hammer the provider.
const UNKNOWN_KID_REFETCH: Duration = Duration::from_secs(10);
/// Clock skew allowed on `exp` and `iat`.
const LEEWAY_SECS: u64 = 60;
/// An ID token issued longer ago than this is refused even if it has not expired.
const MAX_TOKEN_AGE_SECS: i64 = 10 * 60;

/// The parts of the discovery document this flow uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// The claims of an ID token that Atelier reads.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub iat: i64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Google and Apple send a boolean; Apple has sent the string "true" too.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
}

fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match value {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => s == "true",
        _ => false,
    })
}

#[derive(Default)]
struct Cached {
    discovery: Option<(Discovery, Instant)>,
    jwks: Option<(JwkSet, Instant)>,
    last_unknown_kid_fetch: Option<Instant>,
}

/// The providers' documents, shared by every request of this process.
#[derive(Default)]
pub struct OidcCache {
    by_issuer: Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for OidcCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OidcCache(..)")
    }
}

pub fn refused(reason: &'static str, message: impl Into<String>) -> AppError {
    AppError::SocialAuthFailed {
        reason,
        message: message.into(),
    }
}

/// `max-age` of a `Cache-Control` header; `no-store`, `no-cache` or none: not cached.
pub fn max_age(headers: &reqwest::header::HeaderMap) -> Duration {
    let Some(value) = headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    else {
        return Duration::ZERO;
    };
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Duration::ZERO;
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            age = secs.trim_matches('"').parse::<u64>().ok();
        }
    }
    age.map(Duration::from_secs)
        .unwrap_or(Duration::ZERO)
        .min(MAX_CACHE)
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> AppResult<(T, Duration)> {
    let unreachable = |e: reqwest::Error| {
        tracing::warn!(error = %e, url, "OpenID provider unreachable");
        refused(
            "PROVIDER_UNAVAILABLE",
            "the sign-in provider did not answer",
        )
    };
    let response = http
        .get(url)
        .send()
        .await
        .map_err(unreachable)?
        .error_for_status()
        .map_err(unreachable)?;
    let age = max_age(response.headers());
    let body = response.json::<T>().await.map_err(unreachable)?;
    Ok((body, age))
}

impl OidcCache {
    /// The provider's discovery document, checked to name the configured issuer.
    pub async fn discovery(
        &self,
        http: &reqwest::Client,
        provider: &OidcProviderConfig,
    ) -> AppResult<Discovery> {
        let issuer = provider.issuer.trim_end_matches('/');
        if let Some(found) = self.lock().get(issuer).and_then(|c| {
            c.discovery
                .as_ref()
                .filter(|(_, until)| *until > Instant::now())
                .map(|(d, _)| d.clone())
        }) {
            return Ok(found);
        }
        let url = format!("{issuer}/.well-known/openid-configuration");
        let (discovery, age): (Discovery, _) = fetch_json(http, &url).await?;
        if discovery.issuer.trim_end_matches('/') != issuer {
            tracing::warn!(configured = issuer, served = %discovery.issuer, "discovery names another issuer");
            return Err(refused(
                "PROVIDER_UNAVAILABLE",
                "the sign-in provider's discovery document names another issuer",
            ));
        }
        self.lock().entry(issuer.to_string()).or_default().discovery =
            Some((discovery.clone(), Instant::now() + age));
        Ok(discovery)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // A poisoned lock only means a panic elsewhere mid-update of a cache: the
        // documents are refetched anyway, so keep going with what is there.
        self.by_issuer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn jwks(
        &self,
        http: &reqwest::Client,
        issuer: &str,
        discovery: &Discovery,
        force: bool,
    ) -> AppResult<JwkSet> {
        if !force {
            if let Some(found) = self.lock().get(issuer).and_then(|c| {
                c.jwks
                    .as_ref()
                    .filter(|(_, until)| *until > Instant::now())
                    .map(|(k, _)| k.clone())
            }) {
                return Ok(found);
            }
        }
        let (jwks, age): (JwkSet, _) = fetch_json(http, &discovery.jwks_uri).await?;
        self.lock().entry(issuer.to_string()).or_default().jwks =
            Some((jwks.clone(), Instant::now() + age));
        Ok(jwks)
    }

    /// Whether a refetch for an unknown `kid` is allowed now (and notes it).
    fn may_refetch_for_unknown_kid(&self, issuer: &str) -> bool {
        let mut cache = self.lock();
        let entry = cache.entry(issuer.to_string()).or_default();
        let now = Instant::now();
        if entry
            .last_unknown_kid_fetch
            .is_some_and(|at| now.duration_since(at) < UNKNOWN_KID_REFETCH)
        {
            return false;
        }
        entry.last_unknown_kid_fetch = Some(now);
        true
    }

    /// Verifies an ID token: signed (RS256 or ES256) by a key of the provider's
    /// JWKS, issued by it for this client, not expired, recently issued, for
    /// this flow's nonce.
    pub async fn verify_id_token(
        &self,
        http: &reqwest::Client,
        provider: &OidcProviderConfig,
        discovery: &Discovery,
        id_token: &str,
        nonce: &str,
    ) -> AppResult<IdClaims> {
        let issuer = provider.issuer.trim_end_matches('/');
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|_| refused("INVALID_TOKEN", "the ID token is not a JWT"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(refused(
                "INVALID_TOKEN",
                "the ID token is signed with an algorithm other than RS256 or ES256",
            ));
        }
        let kid = header.kid.clone().unwrap_or_default();
        let mut jwks = self.jwks(http, issuer, discovery, false).await?;
        if jwks.find(&kid).is_none() && self.may_refetch_for_unknown_kid(issuer) {
            jwks = self.jwks(http, issuer, discovery, true).await?;
        }
        let jwk = jwks.find(&kid).ok_or_else(|| {
            refused(
                "UNKNOWN_KEY",
                "the ID token is signed with a key the provider does not publish",
            )
        })?;
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|_| refused("UNKNOWN_KEY", "the provider's key cannot be used"))?;

        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[issuer, &format!("{issuer}/")]);
        validation.set_audience(&[provider.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::InvalidSignature => {
                        refused("INVALID_SIGNATURE", "the ID token's signature is wrong")
                    }
                    ErrorKind::ExpiredSignature => {
                        refused("TOKEN_EXPIRED", "the ID token has expired")
                    }
                    ErrorKind::InvalidIssuer => {
                        refused("WRONG_ISSUER", "the ID token is from another issuer")
                    }
                    ErrorKind::InvalidAudience => {
                        refused("WRONG_AUDIENCE", "the ID token is for another client")
                    }
                    ErrorKind::InvalidAlgorithm => refused(
                        "INVALID_SIGNATURE",
                        "the ID token's algorithm does not match its key",
                    ),
                    _ => refused("INVALID_TOKEN", "the ID token is malformed"),
                }
            })?
            .claims;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECS as i64 || claims.iat < now - MAX_TOKEN_AGE_SECS {
            return Err(refused(
                "INVALID_TOKEN",
                "the ID token's issue time is out of range",
            ));
        }
        if !claims
            .nonce
            .as_deref()
            .is_some_and(|n| constant_time_eq(n, nonce))
        {
            return Err(refused(
                "WRONG_NONCE",
                "the ID token was not issued for this sign-in",
            ));
        }
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Err(refused(
                "INVALID_TOKEN",
                "the ID token's subject is unusable",
            ));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> reqwest::header::HeaderMap {
        let mut map = reqwest::header::HeaderMap::new();
        map.insert(
            reqwest::header::CACHE_CONTROL,
            value.parse().expect("header value"),
        );
        map
    }

    #[test]
    fn max_age_follows_cache_control() {
        assert_eq!(
            max_age(&headers("public, max-age=3600")),
            Duration::from_secs(3600)
        );
        assert_eq!(max_age(&headers("no-store")), Duration::ZERO);
        assert_eq!(max_age(&headers("max-age=10, no-cache")), Duration::ZERO);
        assert_eq!(max_age(&headers("max-age=999999999")), MAX_CACHE);
        assert_eq!(max_age(&reqwest::header::HeaderMap::new()), Duration::ZERO);
    }
}
