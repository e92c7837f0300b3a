//! A small key-value cache: Redis when `REDIS_URL` is set (shared by every
//! instance), otherwise in this process, bounded in entries and bytes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::AsyncCommands;

use crate::bounds::Bounds;
use crate::redis_link::RedisLink;

/// Cached values are strings (JSON where structured); each has a time to live.
pub enum Cache {
    /// Keys are `<prefix>:<key>`, so deployments (and test runs) can share a Redis.
    Redis {
        link: RedisLink,
        prefix: String,
        /// Values that never change under their key, also kept here (see
        /// [`Cache::get_immutable`]); bounded like the in-process cache.
        near: MemoryCache,
    },
    Memory(MemoryCache),
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Redis { .. } => "Cache::Redis",
            Self::Memory(_) => "Cache::Memory",
        })
    }
}

/// One cached value and how long it lives from its write.
#[derive(Clone)]
struct Entry {
    value: Arc<str>,
    ttl: Duration,
}

/// Every entry expires at its own time to live.
struct PerEntryTtl;

impl moka::Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// The in-process store: `moka` (TinyLFU admission, so a flood of keys seen once
/// hardly displaces the sessions and profiles read all the time), with a weigher
/// that bounds the bytes and the entry count at once: each entry weighs its bytes,
/// but never less than `max_bytes / max_entries`, so the total weight staying
/// under `max_bytes` keeps both under their limits.
pub struct MemoryCache {
    entries: moka::sync::Cache<String, Entry>,
}

impl MemoryCache {
    pub fn new(max_bytes: u64, max_entries: u64) -> Self {
        let floor = u32::try_from((max_bytes / max_entries.max(1)).max(1)).unwrap_or(u32::MAX);
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(move |key: &String, entry: &Entry| {
                let bytes = u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX);
                bytes.max(floor)
            })
            .expire_after(PerEntryTtl)
            .build();
        Self { entries }
    }

    /// The weight held now: at most `CACHE_MAX_MB` once pending evictions ran.
    pub fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }

    fn insert(&self, key: &str, value: &str, ttl: Duration) {
        self.entries.insert(
            key.to_string(),
            Entry {
                value: value.into(),
                ttl,
            },
        );
    }

    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

impl Cache {
    /// An in-process cache with the default bounds.
    pub fn in_memory() -> Self {
        Self::in_memory_with(&Bounds::default())
    }

    pub fn in_memory_with(bounds: &Bounds) -> Self {
        Self::Memory(MemoryCache::new(
            bounds.cache_max_bytes,
            bounds.cache_max_entries,
        ))
    }

    /// A cache miss and an unreachable cache look the same to callers: the
    /// database stays the source of truth.
    pub async fn get(&self, key: &str) -> Option<String> {
        match self {
            Self::Redis { link, prefix, .. } => {
                let key = format!("{prefix}:{key}");
                link.call("cache read", |mut conn| async move {
                    conn.get::<_, Option<String>>(key).await
                })
                .await
                .flatten()
            }
            Self::Memory(cache) => cache.entries.get(key).map(|e| e.value.to_string()),
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        match self {
            Self::Redis { link, prefix, .. } => {
                let key = format!("{prefix}:{key}");
                let secs = ttl.as_secs().max(1);
                link.call("cache write", |mut conn| async move {
                    conn.set_ex::<_, _, ()>(key, value, secs).await
                })
                .await;
            }
            Self::Memory(cache) => cache.insert(key, value, ttl),
        }
    }

    /// Writes `key` as a member of `space`, a key space that keeps at most
    /// `max_entries` keys: past it the oldest member is dropped. In process the
    /// whole cache is bounded already; in Redis a sorted set (member -> expiry)
    /// indexes the space, trimmed in the same script that writes the key.
    pub async fn set_in_space(
        &self,
        space: &str,
        key: &str,
        value: &str,
        ttl: Duration,
        max_entries: u64,
    ) {
        let Self::Redis { link, prefix, .. } = self else {
            return self.set(key, value, ttl).await;
        };
        let (key, index) = (format!("{prefix}:{key}"), format!("{prefix}:{space}:index"));
        link.call("cache write", |mut conn| async move {
            BOUNDED_SET
                .key(key)
                .key(index)
                .arg(value)
                .arg(ttl.as_secs().max(1))
                .arg(max_entries)
                .arg(now_ms())
                .invoke_async::<()>(&mut conn)
                .await
        })
        .await;
    }

    /// For values that never change under their key (content-addressed, as
    /// persisted queries are by their hash): with Redis they are also kept in
    /// this process, so they are served without a round trip, and while Redis
    /// is away. Keeping them cannot serve a stale value, which is why only
    /// such values may use it; sessions and profiles must not.
    pub async fn get_immutable(&self, key: &str, ttl: Duration) -> Option<String> {
        let Self::Redis { near, .. } = self else {
            return self.get(key).await;
        };
        if let Some(entry) = near.entries.get(key) {
            return Some(entry.value.to_string());
        }
        let found = self.get(key).await?;
        near.insert(key, &found, ttl);
        Some(found)
    }

    /// [`Cache::set_in_space`] for a value that never changes under its key
    /// (see [`Cache::get_immutable`]).
    pub async fn set_immutable_in_space(
        &self,
        space: &str,
        key: &str,
        value: &str,
        ttl: Duration,
        max_entries: u64,
    ) {
        if let Self::Redis { near, .. } = self {
            near.insert(key, value, ttl);
        }
        self.set_in_space(space, key, value, ttl, max_entries).await;
    }

    pub async fn delete(&self, key: &str) {
        match self {
            Self::Redis { link, prefix, .. } => {
                let key = format!("{prefix}:{key}");
                link.call("cache delete", |mut conn| async move {
                    conn.del::<_, ()>(key).await
                })
                .await;
            }
            Self::Memory(cache) => cache.entries.invalidate(key),
        }
    }
}

/// Milliseconds since the epoch, the scores of Redis key-space indexes.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Drops the index members whose keys have expired, then the oldest past the cap
/// (deleting their keys), and gives the index the longest TTL of its members so
/// an abandoned index expires too. Shared with the rate limiter.
pub(crate) const TRIM_INDEX_LUA: &str = r"
local function trim(index, now, max, ttl)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  local over = redis.call('ZCARD', index) - max
  if over > 0 then
    local oldest = redis.call('ZPOPMIN', index, over)
    for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
  end
  if redis.call('TTL', index) < ttl then redis.call('EXPIRE', index, ttl) end
end
";

/// KEYS: the key, its space's index. ARGV: value, ttl seconds, max entries, now (ms).
static BOUNDED_SET: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(&format!(
        "{TRIM_INDEX_LUA}
local ttl = tonumber(ARGV[2])
local now = tonumber(ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('ZADD', KEYS[2], now + ttl * 1000, KEYS[1])
trim(KEYS[2], now, tonumber(ARGV[3]), ttl)
"
    ))
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_cache_stays_within_its_bytes_and_entries() {
        let cache = MemoryCache::new(64 * 1024, 100);
        let store = Cache::Memory(cache);
        let value = "x".repeat(8 * 1024);
        for i in 0..1000 {
            store
                .set(&format!("apq:{i}"), &value, Duration::from_secs(3600))
                .await;
        }
        let Cache::Memory(cache) = &store else {
            unreachable!()
        };
        assert!(
            cache.weighted_size() <= 64 * 1024,
            "{}",
            cache.weighted_size()
        );
        assert!(cache.entry_count() <= 8, "{}", cache.entry_count());

        for i in 0..1000 {
            store
                .set(&format!("small:{i}"), "v", Duration::from_secs(3600))
                .await;
        }
        assert!(cache.entry_count() <= 100, "{}", cache.entry_count());
    }

    #[tokio::test]
    async fn an_entry_is_gone_after_its_ttl() {
        let store = Cache::in_memory();
        store.set("k", "v", Duration::from_millis(50)).await;
        assert_eq!(store.get("k").await.as_deref(), Some("v"));
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(store.get("k").await, None);
    }
}
