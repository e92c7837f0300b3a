//! The audit log: one `admin_audit` row per admin action, written in the action's
//! own transaction so that a rolled-back action leaves no row and a committed one
//! always has its row.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::admin_audit;
use crate::error::AppResult;

/// Who acted and in which request.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `None` for the command line.
    pub user_id: Option<Uuid>,
    /// The request's `x-request-id`, or `cli`.
    pub request_id: Option<String>,
}

impl Actor {
    /// The command line (`atelier admin ...`, `atelier models import`).
    pub fn cli() -> Self {
        Self {
            user_id: None,
            request_id: Some("cli".into()),
        }
    }
}

/// One admin action.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes the entry on `conn`, which should be inside the action's transaction.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    entry: Entry<'_>,
) -> AppResult<()> {
    diesel::insert_into(admin_audit::table)
        .values((
            admin_audit::admin_user_id.eq(actor.user_id),
            admin_audit::action.eq(entry.action),
            admin_audit::target_type.eq(entry.target_type),
            admin_audit::target_id.eq(entry.target_id),
            admin_audit::before.eq(entry.before),
            admin_audit::after.eq(entry.after),
            admin_audit::request_id.eq(actor.request_id.as_deref()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The actor of a GraphQL request.
pub fn actor(ctx: &async_graphql::Context<'_>) -> Actor {
    Actor {
        user_id: crate::authz::caller(ctx).user_id(),
        request_id: crate::authz::request_info(ctx).request_id.clone(),
    }
}
