//! Notification rows.

use async_graphql::{ComplexObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::notifications;
use crate::graphql::id::{GlobalId, NodeType};

/// Something the user should know about.
#[derive(Debug, Clone, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Notification {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// e.g. `generation_complete`, `billing_alert`.
    #[graphql(name = "type")]
    pub type_: String,
    /// Text shown to the user.
    pub message: String,
    /// Links and context.
    pub metadata: Option<serde_json::Value>,
    /// Whether the user has read it.
    pub is_read: bool,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When it last changed (e.g. marked read).
    pub updated_at: DateTime<Utc>,
}

#[ComplexObject]
impl Notification {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Notification, self.id)
    }
}
