//! Fixed-window rate limits: in Redis when configured (shared by every instance),
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

    /// Counts one hit on `key`; over `limit` hits in the current `window`, the
    /// caller gets `RATE_LIMITED` with the seconds until the window ends.
    pub async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<(), AppError> {
        let window_secs = window.as_secs().max(1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let window_index = now / window_secs;
        let retry_after_secs = (window_index + 1) * window_secs - now;
        let count = match self {
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let redis_key = format!("{prefix}:rl:{key}:{window_index}");
                let result: redis::RedisResult<(u64,)> = redis::pipe()
                    .atomic()
                    .incr(&redis_key, 1u64)
                    .expire(&redis_key, window_secs as i64 + 1)
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match result {
                    Ok((count,)) => count,
                    Err(e) => {
                        // Failing open: an unreachable Redis must not lock everyone out.
                        tracing::warn!(error = %e, "rate limiter unavailable");
                        return Ok(());
                    }
                }
            }
            Self::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() > 100_000 {
                    map.retain(|_, (w, _)| *w == window_index);
                }
                let entry = map.entry(key.to_string()).or_insert((window_index, 0));
                if entry.0 != window_index {
                    *entry = (window_index, 0);
                }
                entry.1 += 1;
                entry.1
            }
        };
        if count > limit {
            Err(AppError::RateLimited { retry_after_secs })
        } else {
            Ok(())
        }
    }
}
