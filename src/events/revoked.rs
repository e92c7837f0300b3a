//! The revocation event: credentials that stopped being valid, announced on the
//! event bus so every instance closes the sockets acting on them. Published by
//! accounts (sessions, users, API clients), consumed by the WebSocket registry.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::EventBus;
use crate::authz::Caller;

/// The event-bus topic that carries revocations to every instance.
pub const REVOKED_TOPIC: &str = "sockets:revoked";

/// Credentials that stopped being valid; sockets acting on any of them close.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Revoked {
    #[serde(default)]
    pub sessions: Vec<Uuid>,
    #[serde(default)]
    pub users: Vec<Uuid>,
    #[serde(default)]
    pub clients: Vec<Uuid>,
}

impl Revoked {
    /// Whether `caller` acts on any of these credentials.
    pub fn covers(&self, caller: &Caller) -> bool {
        match caller {
            Caller::Anonymous => false,
            Caller::Session {
                user_id,
                session_id,
                ..
            } => self.users.contains(user_id) || self.sessions.contains(session_id),
            Caller::ApiClient {
                user_id, client_id, ..
            } => self.users.contains(user_id) || self.clients.contains(client_id),
        }
    }

    /// Tells every instance (through the event bus) to close the sockets acting on
    /// these credentials. Call it after the revocation has committed, so a client
    /// that reconnects at once is refused.
    pub async fn announce(&self, events: &EventBus) {
        if self.sessions.is_empty() && self.users.is_empty() && self.clients.is_empty() {
            return;
        }
        match serde_json::to_value(self) {
            Ok(payload) => events.publish(REVOKED_TOPIC, payload).await,
            Err(e) => tracing::error!(error = %e, "revocation not serializable"),
        }
    }
}
