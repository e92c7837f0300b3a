//! Rate limits over windows that open with a key's first hit: in Redis when configured (shared by every instance),
//! otherwise in this process. Either way at most `RATE_LIMIT_MAX_KEYS` windows are
//! kept: past it the oldest are forgotten (their callers start a new window),
//! which a flood of distinct keys can cause but never turns into unbounded memory.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::redis_link::RedisLink;

pub enum RateLimiter {
    /// `fallback` counts in this process while Redis is unreachable, so limits
    /// still hold per instance instead of failing open.
    Redis {
        link: RedisLink,
        prefix: String,
        max_keys: u64,
        fallback: MemoryWindows,
    },
    Memory(MemoryWindows),
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Redis { .. } => "RateLimiter::Redis",
            Self::Memory(_) => "RateLimiter::Memory",
        })
    }
}

/// One open window: when it started (seconds since the epoch), its length, hits so far.
#[derive(Clone, Copy)]
struct Window {
    start: u64,
    secs: u64,
    count: u64,
}

/// A window is forgotten when it closes.
struct UntilWindowEnds;

impl moka::Expiry<String, Window> for UntilWindowEnds {
    fn expire_after_create(&self, _: &String, window: &Window, _: Instant) -> Option<Duration> {
        Some(Duration::from_secs(
            (window.start + window.secs).saturating_sub(epoch_secs()),
        ))
    }

    fn expire_after_update(
        &self,
        key: &String,
        window: &Window,
        at: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(key, window, at)
    }
}

/// The windows of this process, bounded in count (`moka`, each entry weighing one).
pub struct MemoryWindows(moka::sync::Cache<String, Window>);

impl MemoryWindows {
    pub fn new(max_keys: u64) -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(max_keys)
                .expire_after(UntilWindowEnds)
                .build(),
        )
    }

    /// Windows held now.
    pub fn len(&self) -> u64 {
        self.0.run_pending_tasks();
        self.0.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts a hit; returns the count in the current window and the seconds left in it.
    fn hit(&self, key: &str, window_secs: u64) -> (u64, u64) {
        let now = epoch_secs();
        let entry = self.0.entry(key.to_string()).and_upsert_with(|current| {
            match current.map(|e| e.into_value()) {
                Some(w) if now < w.start + w.secs => Window {
                    count: w.count + 1,
                    ..w
                },
                _ => Window {
                    start: now,
                    secs: window_secs,
                    count: 1,
                },
            }
        });
        let window = entry.into_value();
        (
            window.count,
            (window.start + window.secs).saturating_sub(now).max(1),
        )
    }
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// A key of bounded length: long keys (emails, addresses chosen by callers) are
/// hashed, so no caller decides how many bytes a window costs.
fn bounded_key(key: &str) -> String {
    if key.len() <= 64 {
        key.to_string()
    } else {
        format!(
            "h:{}",
            data_encoding::HEXLOWER.encode(&Sha256::digest(key.as_bytes())[..16])
        )
    }
}

/// KEYS: the window's counter, the index of all windows. ARGV: window seconds,
/// max windows, now (ms). SET NX EX opens the window, INCR keeps its TTL; a new
/// window joins the index, which is trimmed to the cap. Returns {count, ttl}.
static HIT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(&format!(
        "{}
local secs = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
local opened = redis.call('SET', KEYS[1], 0, 'EX', secs, 'NX')
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if opened then
  redis.call('ZADD', KEYS[2], now + secs * 1000, KEYS[1])
  trim(KEYS[2], now, tonumber(ARGV[2]), secs)
end
return {{count, ttl}}
",
        crate::cache::TRIM_INDEX_LUA
    ))
});

impl RateLimiter {
    pub fn in_memory(max_keys: u64) -> Self {
        Self::Memory(MemoryWindows::new(max_keys))
    }

    /// Counts one hit on `key`; over `limit` hits in a window of `window` that
    /// starts with the first hit, the caller gets `RATE_LIMITED` with the seconds
    /// until the window ends. (Windows start at the first hit rather than on the
    /// clock's minute, so a burst is never split across two windows.)
    pub async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<(), AppError> {
        let (count, retry_after_secs) = self.hit_window(key, window).await;
        if count > limit {
            Err(AppError::RateLimited { retry_after_secs })
        } else {
            Ok(())
        }
    }

    /// Whether one more hit on `key` stays within `limit`; for limits that refuse
    /// nothing visible (a registration that is simply not stored past it).
    pub async fn allows(&self, key: &str, limit: u64, window: Duration) -> bool {
        self.hit_window(key, window).await.0 <= limit
    }

    async fn hit_window(&self, key: &str, window: Duration) -> (u64, u64) {
        let window_secs = window.as_secs().max(1);
        let key = bounded_key(key);
        match self {
            Self::Redis {
                link,
                prefix,
                max_keys,
                fallback,
            } => {
                let (counter, index, max_keys) = (
                    format!("{prefix}:rl:{key}"),
                    format!("{prefix}:rl-index"),
                    *max_keys,
                );
                let counted = link
                    .call("rate limit", |mut conn| async move {
                        HIT.key(counter)
                            .key(index)
                            .arg(window_secs)
                            .arg(max_keys)
                            .arg(crate::cache::now_ms())
                            .invoke_async::<(u64, i64)>(&mut conn)
                            .await
                    })
                    .await;
                match counted {
                    Some((count, ttl)) => (count, u64::try_from(ttl).unwrap_or(window_secs).max(1)),
                    None => fallback.hit(&key, window_secs),
                }
            }
            Self::Memory(windows) => windows.hit(&key, window_secs),
        }
    }
}
