//! The open sockets of this instance: a slot each (so the instance holds at most
//! `WS_MAX_CONNECTIONS`), who each socket acts for once it is initialised, and a
//! way to close any of them from outside — when its session is revoked, its user
//! deleted, its API client revoked, or the server shuts down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{watch, Notify};

use super::protocol::close;
use crate::authz::Caller;
use crate::events::{EventBus, Revoked, REVOKED_TOPIC};
use crate::metrics::WebSocketMetrics;

/// How a socket is to be closed: a WebSocket close code and its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: String,
}

/// Closes one socket. The first reason given wins; later ones are ignored, so
/// whoever notices trouble first decides the code the client sees.
#[derive(Debug, Clone)]
pub struct Closer(Arc<watch::Sender<Option<CloseReason>>>);

impl Closer {
    pub fn new() -> Self {
        Self(Arc::new(watch::channel(None).0))
    }

    /// Asks for the socket to close; true for the call that asked first.
    pub fn close(&self, code: u16, reason: impl Into<String>) -> bool {
        self.0.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(CloseReason {
                code,
                reason: reason.into(),
            });
            true
        })
    }

    /// Resolves once a close has been asked for (at once if it already was).
    pub async fn requested(&self) {
        let mut receiver = self.0.subscribe();
        let _ = receiver.wait_for(Option::is_some).await;
    }

    pub fn reason(&self) -> Option<CloseReason> {
        self.0.borrow().clone()
    }
}

impl Default for Closer {
    fn default() -> Self {
        Self::new()
    }
}

struct Entry {
    caller: Option<Caller>,
    closer: Closer,
}

/// The registry of one instance's sockets.
pub struct Sockets {
    max: usize,
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, Entry>>,
    shutting_down: AtomicBool,
    emptied: Notify,
    metrics: WebSocketMetrics,
}

impl std::fmt::Debug for Sockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sockets")
            .field("max", &self.max)
            .field("open", &self.open())
            .finish()
    }
}

/// A socket's place in the registry; dropping it frees the place.
pub struct Slot {
    id: u64,
    sockets: Arc<Sockets>,
    pub closer: Closer,
}

impl Slot {
    /// Records who the socket acts for, once `connection_init` is accepted.
    pub fn identify(&self, caller: &Caller) {
        if let Some(entry) = self.sockets.entries().get_mut(&self.id) {
            entry.caller = Some(caller.clone());
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut live = self.sockets.entries();
        if live.remove(&self.id).is_some() {
            self.sockets.metrics.connections(-1);
        }
        if live.is_empty() {
            self.sockets.emptied.notify_waiters();
        }
    }
}

impl Sockets {
    /// Starts the registry and its listener for revocations published by any instance.
    pub fn start(max: usize, events: &EventBus, metrics: WebSocketMetrics) -> Arc<Self> {
        let sockets = Arc::new(Self {
            max,
            next_id: AtomicU64::new(1),
            live: Mutex::new(HashMap::new()),
            shutting_down: AtomicBool::new(false),
            emptied: Notify::new(),
            metrics,
        });
        tokio::spawn(listen(events.clone(), Arc::downgrade(&sockets)));
        sockets
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        // A panic while holding the lock cannot leave the map half-updated (every
        // critical section is a single insert, remove or scan), so poison is moot.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn open(&self) -> usize {
        self.entries().len()
    }

    /// A place for one more socket, or `None` when the instance is full or stopping.
    pub fn reserve(self: &Arc<Self>) -> Option<Slot> {
        if self.shutting_down.load(Ordering::Acquire) {
            return None;
        }
        let mut live = self.entries();
        if live.len() >= self.max {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let closer = Closer::new();
        live.insert(
            id,
            Entry {
                caller: None,
                closer: closer.clone(),
            },
        );
        self.metrics.connections(1);
        Some(Slot {
            id,
            sockets: self.clone(),
            closer,
        })
    }

    /// Closes the sockets acting on revoked credentials; returns how many.
    pub fn close_revoked(&self, revoked: &Revoked) -> usize {
        let live = self.entries();
        let mut closed = 0;
        for entry in live.values() {
            if entry.caller.as_ref().is_some_and(|c| revoked.covers(c)) {
                entry
                    .closer
                    .close(close::FORBIDDEN, "Forbidden: credentials revoked");
                closed += 1;
            }
        }
        closed
    }

    /// Refuses new sockets and closes the open ones with 1001 (going away), then
    /// waits up to `grace` for them to finish closing.
    pub async fn shut_down(&self, grace: Duration) {
        self.shutting_down.store(true, Ordering::Release);
        let emptied = self.emptied.notified();
        tokio::pin!(emptied);
        emptied.as_mut().enable();
        {
            let live = self.entries();
            if live.is_empty() {
                return;
            }
            for entry in live.values() {
                entry
                    .closer
                    .close(close::GOING_AWAY, "server shutting down");
            }
        }
        if tokio::time::timeout(grace, emptied).await.is_err() {
            tracing::warn!(
                open = self.open(),
                "sockets still open after the grace period"
            );
        }
    }
}

async fn listen(events: EventBus, sockets: Weak<Sockets>) {
    let revocations = events.subscribe(REVOKED_TOPIC);
    tokio::pin!(revocations);
    while let Some(payload) = revocations.next().await {
        let Some(sockets) = sockets.upgrade() else {
            return;
        };
        match serde_json::from_value::<Revoked>(payload) {
            Ok(revoked) => {
                let closed = sockets.close_revoked(&revoked);
                if closed > 0 {
                    tracing::info!(closed, "closed sockets of revoked credentials");
                }
            }
            Err(e) => tracing::warn!(error = %e, "malformed revocation event"),
        }
    }
}
