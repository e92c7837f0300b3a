//! The event bus behind subscriptions: Redis pub/sub when `REDIS_URL` is set, so an
//! event published on one instance reaches subscribers on every instance;
//! otherwise a broadcast channel inside this process.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
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
        Self { local, redis: None }
    }

    /// Publishes through Redis and relays what Redis delivers to local subscribers.
    /// The relay reconnects by itself when Redis goes away.
    pub fn redis(client: redis::Client, publisher: RedisLink, prefix: &str) -> Self {
        let (local, _) = broadcast::channel(LOCAL_BUFFER);
        let channel = format!("{prefix}:events");
        tokio::spawn(relay_from_redis(client, channel.clone(), local.clone()));
        Self {
            local,
            redis: Some((publisher, channel)),
        }
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

async fn relay_from_redis(client: redis::Client, channel: String, local: broadcast::Sender<Event>) {
    let mut backoff = Duration::from_millis(100);
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
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(text) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Event>(&text) {
                            Ok(event) => {
                                let _ = local.send(event);
                            }
                            Err(e) => tracing::warn!(error = %e, "malformed event on redis"),
                        }
                    }
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
