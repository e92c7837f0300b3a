//! A small key-value cache: Redis when `REDIS_URL` is set (shared by every
//! instance), otherwise in this process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::AsyncCommands;

/// Cached values are strings (JSON where structured); each has a time to live.
pub enum Cache {
    /// Keys are `<prefix>:<key>`, so deployments (and test runs) can share a Redis.
    Redis {
        conn: ConnectionManager,
        prefix: String,
    },
    Memory(Mutex<HashMap<String, (String, Instant)>>),
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Redis { .. } => "Cache::Redis",
            Self::Memory(_) => "Cache::Memory",
        })
    }
}

impl Cache {
    pub fn in_memory() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }

    /// A cache miss and an unreachable cache look the same to callers: the
    /// database stays the source of truth.
    pub async fn get(&self, key: &str) -> Option<String> {
        match self {
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                conn.get::<_, Option<String>>(format!("{prefix}:{key}"))
                    .await
                    .inspect_err(|e| tracing::warn!(error = %e, "cache read failed"))
                    .ok()
                    .flatten()
            }
            Self::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                match map.get(key) {
                    Some((value, expires)) if *expires > Instant::now() => Some(value.clone()),
                    Some(_) => {
                        map.remove(key);
                        None
                    }
                    None => None,
                }
            }
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        match self {
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let secs = ttl.as_secs().max(1);
                if let Err(e) = conn
                    .set_ex::<_, _, ()>(format!("{prefix}:{key}"), value, secs)
                    .await
                {
                    tracing::warn!(error = %e, "cache write failed");
                }
            }
            Self::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                map.insert(key.to_string(), (value.to_string(), Instant::now() + ttl));
            }
        }
    }

    pub async fn delete(&self, key: &str) {
        match self {
            Self::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                if let Err(e) = conn.del::<_, ()>(format!("{prefix}:{key}")).await {
                    tracing::warn!(error = %e, "cache delete failed");
                }
            }
            Self::Memory(map) => {
                map.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
            }
        }
    }
}
