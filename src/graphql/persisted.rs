//! Persisted queries. Automatic Persisted Queries (the Apollo protocol): a client
//! sends `extensions.persistedQuery.sha256Hash`, and the query text only when the
//! server does not know it yet (`PERSISTED_QUERY_NOT_FOUND`). Texts are kept in
//! the cache (Redis when configured, so every instance shares them). In safelist
//! mode (`PERSISTED_QUERIES_FILE`), only the operations listed in that file run.

use std::collections::HashMap;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::cache::Cache;
use crate::config::ConfigError;

/// How long an automatically persisted query is remembered after its last use.
const TTL: Duration = Duration::from_secs(7 * 24 * 3600);

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

/// Resolves the query text a request runs, per the APQ protocol and the safelist.
/// `query` is the text sent (possibly empty), `hash` the persisted-query hash if any.
pub async fn resolve(
    cache: &Cache,
    safelist: &Safelist,
    query: &str,
    hash: Option<&str>,
) -> Result<Option<String>, Refusal> {
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
            Some(text) => Ok(Some(text.clone())),
            None => Err(Refusal::NotSafelisted),
        };
    }
    let Some(hash) = hash else {
        return Ok(None);
    };
    if query.is_empty() {
        return match cache.get(&cache_key(&hash)).await {
            Some(text) => Ok(Some(text)),
            None => Err(Refusal::NotFound),
        };
    }
    if sha256_hex(query) != hash {
        return Err(Refusal::HashMismatch);
    }
    cache.set(&cache_key(&hash), query, TTL).await;
    Ok(None)
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
        assert_eq!(resolve(&cache, &list, query, Some(&hash)).await, Ok(None));
        assert_eq!(
            resolve(&cache, &list, "", Some(&hash)).await,
            Ok(Some(query.to_string()))
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
            Ok(Some(query.to_string()))
        );
        assert_eq!(
            resolve(&cache, &list, "", Some(&sha256_hex(query))).await,
            Ok(Some(query.to_string()))
        );
        assert_eq!(
            resolve(&cache, &list, "{ me { id } }", None).await,
            Err(Refusal::NotSafelisted)
        );
    }
}
