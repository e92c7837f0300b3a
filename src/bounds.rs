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
//! | `HTTP_HEADER_TIMEOUT_MS` | `10000` | a connection that has not sent a whole request head by then is closed |
//! | `HTTP_MIN_BODY_BYTES_PER_SECOND` | `1024` | after the header timeout's grace, a body arriving slower is cut off with 408 |
//! | `HTTP_IDLE_TIMEOUT_SECONDS` | `60` | a connection with no traffic this long is closed (after its request, if one runs) |
//! | `HTTP_MAX_CONNECTIONS` | `4096` | HTTP connections one instance serves at once; more are answered 503 |
//! | `HTTP2_MAX_STREAMS` | `100` | concurrent requests on one HTTP/2 connection |
//! | `REDIS_TIMEOUT_MS` | `250` | every Redis command; past it Redis counts as down until a probe sees it back |
//! | `OUTBOUND_CONNECT_TIMEOUT_MS`, `OUTBOUND_TIMEOUT_SECONDS` | `3000`, `60` | calls to other services (inference providers...): connecting, and the whole call |

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
    pub http_header_timeout: Duration,
    pub http_min_body_rate: u64,
    pub http_idle_timeout: Duration,
    pub http_max_connections: usize,
    pub http2_max_streams: u32,
    pub redis_timeout: Duration,
    pub outbound_connect_timeout: Duration,
    pub outbound_timeout: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Self::from_vars(&HashMap::new()).expect("the defaults are within their ranges")
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
            http_header_timeout: Duration::from_millis(number(
                "HTTP_HEADER_TIMEOUT_MS",
                10_000,
                3_600_000,
            )?),
            http_min_body_rate: number("HTTP_MIN_BODY_BYTES_PER_SECOND", 1024, 1 << 30)?,
            http_idle_timeout: Duration::from_secs(number(
                "HTTP_IDLE_TIMEOUT_SECONDS",
                60,
                86_400,
            )?),
            http_max_connections: number("HTTP_MAX_CONNECTIONS", 4096, 1_000_000)? as usize,
            http2_max_streams: number("HTTP2_MAX_STREAMS", 100, 10_000)? as u32,
            redis_timeout: Duration::from_millis(number("REDIS_TIMEOUT_MS", 250, 60_000)?),
            outbound_connect_timeout: Duration::from_millis(number(
                "OUTBOUND_CONNECT_TIMEOUT_MS",
                3000,
                600_000,
            )?),
            outbound_timeout: Duration::from_secs(number("OUTBOUND_TIMEOUT_SECONDS", 60, 3600)?),
        })
    }
}
