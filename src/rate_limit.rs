//! Rate limits over windows that open with a key's first hit: in Redis when configured (shared by every instance),
//! otherwise in this process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;

use crate::error::AppError;

pub enum RateLimiter {
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
    Memory(Mutex<HashMap<String, (u64, u64)>>),
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Redis { .. } => "RateLimiter::Redis",
            Self::Memory(_) => "RateLimiter::Memory",
        })
    }
}

impl RateLimiter {
    pub fn in_memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    /// Counts one hit on `key`; over `limit` hits in a window of `window` that
    /// starts with the first hit, the caller gets `RATE_LIMITED` with the seconds
    /// until the window ends. (Windows start at the first hit rather than on the
    /// clock's minute, so a burst is never split across two windows.)
    pub async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<(), AppError> {
        let window_secs = window.as_secs().max(1);
        let (count, retry_after_secs) = match self {
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let redis_key = format!("{prefix}:rl:{key}");
                // SET NX EX opens the window; INCR keeps its TTL. Works on any Redis.
                let result: redis::RedisResult<(u64, i64)> = redis::pipe()
                    .atomic()
                    .cmd("SET")
                    .arg(&redis_key)
                    .arg(0)
                    .arg("EX")
                    .arg(window_secs)
                    .arg("NX")
                    .ignore()
                    .incr(&redis_key, 1u64)
                    .ttl(&redis_key)
                    .query_async(&mut conn)
                    .await;
                match result {
                    Ok((count, ttl)) => (count, u64::try_from(ttl).unwrap_or(window_secs).max(1)),
                    Err(e) => {
                        // Failing open: an unreachable Redis must not lock everyone out.
                        tracing::warn!(error = %e, "rate limiter unavailable");
                        return Ok(());
                    }
                }
            }
            Self::Memory(map) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() > 100_000 {
                    map.retain(|_, (start, _)| now < *start + window_secs);
                }
                let entry = map.entry(key.to_string()).or_insert((now, 0));
                if now >= entry.0 + window_secs {
                    *entry = (now, 0);
                }
                entry.1 += 1;
                (entry.1, (entry.0 + window_secs).saturating_sub(now).max(1))
            }
        };
        if count > limit {
            Err(AppError::RateLimited { retry_after_secs })
        } else {
            Ok(())
        }
    }
}
