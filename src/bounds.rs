//! The limits that keep a hostile caller from exhausting one instance: how much
//! the in-process stores may hold, what persisted-query registration accepts, and
//! how long the server waits on clients and on the services it calls. Read with
//! the rest of the configuration (`Config::bounds`).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CACHE_MAX_MB` | `64` | bytes (keys and values) the in-process cache holds; least useful entries are evicted past it |
//! | `CACHE_MAX_ENTRIES` | `100000` | entries the in-process cache holds |
//! | `APQ_MAX_QUERY_BYTES` | `8192` | largest query text an Automatic Persisted Query registration stores |
//! | `APQ_REGISTRATIONS_PER_MINUTE` | `30` | registrations stored per caller (per address when anonymous) |
//! | `APQ_MAX_ENTRIES` | `10000` | registered queries kept in Redis (oldest dropped first) |
//! | `RATE_LIMIT_MAX_KEYS` | `100000` | rate-limit windows kept at once, in process and in Redis |

use std::collections::HashMap;
use std::time::Duration;

use crate::config::{parse_number, ConfigError};

/// How long an automatically persisted query is remembered.
pub const APQ_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Sizes of the stores that grow with what callers send.
#[derive(Debug, Clone)]
pub struct Bounds {
    pub cache_max_bytes: u64,
    pub cache_max_entries: u64,
    pub apq_max_query_bytes: usize,
    pub apq_registrations_per_minute: u64,
    pub apq_max_entries: u64,
    pub rate_limit_max_keys: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Self::from_vars(&HashMap::new()).unwrap_or(Self {
            cache_max_bytes: 64 << 20,
            cache_max_entries: 100_000,
            apq_max_query_bytes: 8192,
            apq_registrations_per_minute: 30,
            apq_max_entries: 10_000,
            rate_limit_max_keys: 100_000,
        })
    }
}

impl Bounds {
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str, default: u64, max: u64| {
            let value = vars
                .get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            parse_number(value, name, default, 1, max)
        };
        Ok(Self {
            cache_max_bytes: number("CACHE_MAX_MB", 64, 1 << 20)? << 20,
            cache_max_entries: number("CACHE_MAX_ENTRIES", 100_000, 100_000_000)?,
            apq_max_query_bytes: number("APQ_MAX_QUERY_BYTES", 8192, 10 << 20)? as usize,
            apq_registrations_per_minute: number("APQ_REGISTRATIONS_PER_MINUTE", 30, 1_000_000)?,
            apq_max_entries: number("APQ_MAX_ENTRIES", 10_000, 100_000_000)?,
            rate_limit_max_keys: number("RATE_LIMIT_MAX_KEYS", 100_000, 100_000_000)?,
        })
    }
}
