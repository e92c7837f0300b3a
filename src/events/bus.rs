//! The event bus behind subscriptions: Redis pub/sub when `REDIS_URL` is set, so an
//! event published on one instance reaches subscribers on every instance;
//! otherwise a broadcast channel inside this process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;

use crate::redis_link::RedisLink;

/// Events a slow local subscriber may fall behind by before it misses some.
const LOCAL_BUFFER: usize = 1024;

/// An event: a topic (e.g. `generation:<uuid>`) and a JSON payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub topic: String,
    pub payload: serde_json::Value,
}

#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Event>,
    /// The publishing connection and the one channel all events travel on
    /// (`<prefix>:events`); subscribers filter by topic locally.
    redis: Option<(RedisLink, String)>,
    /// Whether the Redis relay is subscribed now (always, without Redis).
    listening: Arc<AtomicBool>,
    /// Counts the relay's re-subscriptions: events published while it was not
    /// subscribed never arrive, so a subscriber that can re-read its state
    /// does so when this moves (see [`EventBus::resubscribed`]).
    resubscribed: watch::Sender<u64>,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("redis", &self.redis.is_some())
            .finish()
    }
}

impl EventBus {
    pub fn in_process() -> Self {
        let (local, _) = broadcast::channel(LOCAL_BUFFER);
        Self {
            local,
            redis: None,
            listening: Arc::new(AtomicBool::new(true)),
            resubscribed: watch::channel(0).0,
        }
    }

    /// Publishes through Redis and relays what Redis delivers to local subscribers.
    /// The relay reconnects by itself when Redis goes away.
    pub fn redis(client: redis::Client, publisher: RedisLink, prefix: &str) -> Self {
        let (local, _) = broadcast::channel(LOCAL_BUFFER);
        let channel = format!("{prefix}:events");
        let bus = Self {
            local,
            redis: Some((publisher, channel.clone())),
            listening: Arc::new(AtomicBool::new(false)),
            resubscribed: watch::channel(0).0,
        };
        tokio::spawn(relay_from_redis(client, channel, bus.clone()));
        bus
    }

    /// Sends an event to every subscriber of its topic. Losing an event is tolerated by
    /// design: subscribers re-read state from the database when they (re)connect.
    pub async fn publish(&self, topic: impl Into<String>, payload: serde_json::Value) {
        let event = Event {
            topic: topic.into(),
            payload,
        };
        match &self.redis {
            Some((link, channel)) => {
                let message = match serde_json::to_string(&event) {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::error!(error = %e, "event not serializable");
                        return;
                    }
                };
                let channel = channel.clone();
                let published = link
                    .call("publish", |mut conn| async move {
                        conn.publish::<_, _, ()>(channel, message).await
                    })
                    .await;
                if published.is_none() {
                    // Redis is down: this instance's subscribers still hear it; the
                    // others catch up on their periodic re-read.
                    let _ = self.local.send(event);
                }
            }
            None => {
                // No receivers is not an error: nobody is listening yet.
                let _ = self.local.send(event);
            }
        }
    }

    /// Whether events from other instances reach this one now: false while
    /// the Redis relay is not subscribed (for `/readyz`).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Changes each time the Redis relay subscribes again after a gap, in
    /// which events from other instances were lost: a subscriber that can
    /// re-read its state should, rather than wait for its periodic re-read.
    pub fn resubscribed(&self) -> watch::Receiver<u64> {
        self.resubscribed.subscribe()
    }

    /// The payloads of the events published on `topic` from now on.
    pub fn subscribe(&self, topic: impl Into<String>) -> impl Stream<Item = serde_json::Value> {
        let topic = topic.into();
        BroadcastStream::new(self.local.subscribe()).filter_map(move |event| {
            let item = match event {
                Ok(event) if event.topic == topic => Some(event.payload),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "subscriber fell behind");
                    None
                }
            };
            std::future::ready(item)
        })
    }
}

async fn relay_from_redis(client: redis::Client, channel: String, bus: EventBus) {
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let connected = tokio::time::timeout(Duration::from_secs(5), client.get_async_pubsub())
            .await
            .unwrap_or_else(|_| {
                Err(redis::RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "no answer within 5 s",
                )))
            });
        match connected {
            Ok(mut pubsub) => match pubsub.subscribe(channel.as_str()).await {
                Ok(()) => {
                    backoff = Duration::from_millis(100);
                    bus.listening.store(true, Ordering::Relaxed);
                    if !first {
                        bus.resubscribed.send_modify(|n| *n += 1);
                    }
                    first = false;
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(text) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Event>(&text) {
                            Ok(event) => {
                                let _ = bus.local.send(event);
                            }
                            Err(e) => tracing::warn!(error = %e, "malformed event on redis"),
                        }
                    }
                    bus.listening.store(false, Ordering::Relaxed);
                    tracing::warn!("redis event subscription ended; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "redis subscribe failed"),
            },
            Err(e) => tracing::warn!(error = %e, "redis pubsub connection failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
