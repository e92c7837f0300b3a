//! Every Redis command goes through here: under `REDIS_TIMEOUT_MS`, and behind a
//! circuit breaker shared by the cache, the rate limits, persisted queries and
//! the event bus. When Redis stops answering, the first command waits at most
//! the timeout, trips the breaker, and from then on commands are skipped (a
//! cache miss, the in-process rate limit, an event left to the subscribers'
//! periodic re-read) until a background probe sees Redis answer again.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::RedisResult;

use crate::breaker::Breaker;

/// How often the probe asks a Redis behind an open breaker whether it is back.
const PROBE_EVERY: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct RedisLink(Arc<Inner>);

struct Inner {
    conn: ConnectionManager,
    breaker: Breaker,
    timeout: Duration,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLink")
            .field("down", &self.is_down())
            .finish()
    }
}

impl RedisLink {
    /// Wraps `conn` and starts the probe that closes the breaker once Redis answers.
    pub fn new(conn: ConnectionManager, timeout: Duration) -> Self {
        // The probe alone closes it: requests never pay for finding Redis still down.
        let link = Self(Arc::new(Inner {
            conn,
            breaker: Breaker::new("redis", Duration::from_secs(24 * 3600)),
            timeout,
        }));
        tokio::spawn(probe(Arc::downgrade(&link.0)));
        link
    }

    /// Runs one command (or pipeline, or script) under the timeout; `None` when
    /// Redis failed, timed out, or is known to be down.
    pub async fn call<T, F>(
        &self,
        what: &'static str,
        command: impl FnOnce(ConnectionManager) -> F,
    ) -> Option<T>
    where
        F: Future<Output = RedisResult<T>>,
    {
        let inner = &self.0;
        if inner.breaker.has_tripped() {
            return None;
        }
        match tokio::time::timeout(inner.timeout, command(inner.conn.clone())).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, what, "redis command failed");
                inner.breaker.trip();
                None
            }
            Err(_) => {
                tracing::warn!(
                    what,
                    timeout_ms = inner.timeout.as_millis() as u64,
                    "redis command timed out"
                );
                inner.breaker.trip();
                None
            }
        }
    }

    /// Whether commands are being skipped because Redis is down.
    pub fn is_down(&self) -> bool {
        self.0.breaker.has_tripped()
    }

    /// PING under the timeout, whatever the breaker says (for `/readyz` and the probe).
    pub async fn ping(&self) -> Result<(), String> {
        self.0.ping().await
    }
}

impl Inner {
    async fn ping(&self) -> Result<(), String> {
        let mut conn = self.conn.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut conn);
        match tokio::time::timeout(self.timeout, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }
}

/// Runs while the link lives (it holds only a weak reference).
async fn probe(link: Weak<Inner>) {
    let mut every = tokio::time::interval(PROBE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(inner) = link.upgrade() else { return };
        if inner.breaker.has_tripped() && inner.ping().await.is_ok() {
            inner.breaker.close();
        }
    }
}
