//! Persisted queries. Automatic Persisted Queries (the Apollo protocol): a client
//! sends `extensions.persistedQuery.sha256Hash`, and the query text only when the
//! server does not know it yet (`PERSISTED_QUERY_NOT_FOUND`). Texts are kept in
//! the cache (Redis when configured, so every instance shares them). In safelist
//! mode (`PERSISTED_QUERIES_FILE`), only the operations listed in that file run.
//!
//! Registration is bounded: a text is stored only once the operation passed the
//! shape limits and the caller is known, only up to `APQ_MAX_QUERY_BYTES`, at
//! most `APQ_REGISTRATIONS_PER_MINUTE` per caller (per address when anonymous),
//! and in a key space of `APQ_MAX_ENTRIES` in Redis. A registration past a bound
//! is not stored, and the request still runs: the client's next hash-only request
//! gets `PERSISTED_QUERY_NOT_FOUND` and sends the text again, as the protocol has it.

use std::collections::HashMap;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::app::App;
use crate::bounds::APQ_TTL;
use crate::cache::Cache;
use crate::config::ConfigError;

/// Registrations a caller may have stored in a minute.
const REGISTRATION_WINDOW: Duration = Duration::from_secs(60);

/// Why a persisted-query request cannot run.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is unknown: the client should send the text with it.
    NotFound,
    /// The text does not hash to the hash sent with it.
    HashMismatch,
    /// Safelist mode, and this operation is not on the list.
    NotSafelisted,
}

pub fn sha256_hex(query: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(query.as_bytes()))
}

/// The registered operations of safelist mode: hash -> text.
#[derive(Debug, Default)]
pub struct Safelist(Option<HashMap<String, String>>);

impl Safelist {
    /// Reads a JSON object `{ "<sha256>": "<query>" }` (or a list of query texts).
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Self(None));
        };
        let problem = |e: String| {
            ConfigError::new("PERSISTED_QUERIES_FILE", format!("{}: {e}", path.display()))
        };
        let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| problem(e.to_string()))?;
        let mut list = HashMap::new();
        match value {
            serde_json::Value::Object(map) => {
                for (hash, query) in map {
                    let query = query
                        .as_str()
                        .ok_or_else(|| problem(format!("{hash}: not a string")))?;
                    if sha256_hex(query) != hash.to_ascii_lowercase() {
                        return Err(problem(format!("{hash}: the text does not hash to it")));
                    }
                    list.insert(hash.to_ascii_lowercase(), query.to_string());
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    let query = item
                        .as_str()
                        .ok_or_else(|| problem("a list of query strings is expected".into()))?;
                    list.insert(sha256_hex(query), query.to_string());
                }
            }
            _ => {
                return Err(problem(
                    "an object {hash: query} or a list of queries is expected".into(),
                ))
            }
        }
        Ok(Self(Some(list)))
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }
}

fn cache_key(hash: &str) -> String {
    format!("apq:{hash}")
}

/// What a request runs, once its persisted-query fields are read.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The text it sent (no persisted query involved).
    AsSent,
    /// A stored text, found by its hash.
    Stored(String),
    /// The text it sent, to be stored under its hash if the request is admitted.
    Register(Registration),
}

/// A text and its hash, waiting for [`register`].
#[derive(Debug, PartialEq, Eq)]
pub struct Registration {
    hash: String,
    query: String,
}

/// Resolves the query text a request runs, per the APQ protocol and the safelist.
/// `query` is the text sent (possibly empty), `hash` the persisted-query hash if any.
pub async fn resolve(
    cache: &Cache,
    safelist: &Safelist,
    query: &str,
    hash: Option<&str>,
) -> Result<Resolution, Refusal> {
    let hash = hash.map(str::to_ascii_lowercase);
    if let Some(list) = &safelist.0 {
        let key = match (&hash, query.is_empty()) {
            (Some(h), _) => h.clone(),
            (None, _) => sha256_hex(query),
        };
        if !query.is_empty() && sha256_hex(query) != key {
            return Err(Refusal::HashMismatch);
        }
        return match list.get(&key) {
            Some(text) => Ok(Resolution::Stored(text.clone())),
            None => Err(Refusal::NotSafelisted),
        };
    }
    let Some(hash) = hash else {
        return Ok(Resolution::AsSent);
    };
    if query.is_empty() {
        return match cache.get_immutable(&cache_key(&hash), APQ_TTL).await {
            Some(text) => Ok(Resolution::Stored(text)),
            None => Err(Refusal::NotFound),
        };
    }
    if sha256_hex(query) != hash {
        return Err(Refusal::HashMismatch);
    }
    Ok(Resolution::Register(Registration {
        hash,
        query: query.to_string(),
    }))
}

/// Stores an admitted request's text for `scope` (`idempotency::caller_scope`),
/// within the bounds above; past one, nothing is stored.
pub async fn register(app: &App, registration: Registration, scope: &str) {
    let bounds = &app.config.bounds;
    if registration.query.len() > bounds.apq_max_query_bytes {
        tracing::debug!(
            bytes = registration.query.len(),
            "persisted query too large to store"
        );
        return;
    }
    let allowed = app
        .rate_limiter
        .allows(
            &format!("apq:{scope}"),
            bounds.apq_registrations_per_minute,
            REGISTRATION_WINDOW,
        )
        .await;
    if !allowed {
        tracing::debug!(%scope, "persisted query registrations over the rate");
        return;
    }
    store(&app.cache, registration, bounds.apq_max_entries).await;
}

async fn store(cache: &Cache, registration: Registration, max_entries: u64) {
    cache
        .set_immutable_in_space(
            "apq",
            &cache_key(&registration.hash),
            &registration.query,
            APQ_TTL,
            max_entries,
        )
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_apollo_protocol_round_trip() {
        let cache = Cache::in_memory();
        let list = Safelist::default();
        let query = "{ me { id } }";
        let hash = sha256_hex(query);
        assert_eq!(
            resolve(&cache, &list, "", Some(&hash)).await,
            Err(Refusal::NotFound)
        );
        let Ok(Resolution::Register(registration)) =
            resolve(&cache, &list, query, Some(&hash)).await
        else {
            panic!("a text with its hash is to be registered")
        };
        store(&cache, registration, 10).await;
        assert_eq!(
            resolve(&cache, &list, "", Some(&hash)).await,
            Ok(Resolution::Stored(query.to_string()))
        );
        assert_eq!(
            resolve(&cache, &list, "{ other }", Some(&hash)).await,
            Err(Refusal::HashMismatch)
        );
    }

    #[tokio::test]
    async fn the_safelist_runs_listed_operations_only() {
        let cache = Cache::in_memory();
        let query = "{ aiModels { totalCount } }";
        let list = Safelist(Some(HashMap::from([(
            sha256_hex(query),
            query.to_string(),
        )])));
        assert_eq!(
            resolve(&cache, &list, query, None).await,
            Ok(Resolution::Stored(query.to_string()))
        );
        assert_eq!(
            resolve(&cache, &list, "", Some(&sha256_hex(query))).await,
            Ok(Resolution::Stored(query.to_string()))
        );
        assert_eq!(
            resolve(&cache, &list, "{ me { id } }", None).await,
            Err(Refusal::NotSafelisted)
        );
    }
}
