//! The usage log: one row per billable or audited action.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::usage_logs;
use crate::error::AppResult;

/// What happened, who did it, and through which API client if any.
#[derive(Debug, Clone, Default)]
pub struct UsageEntry<'a> {
    pub user_id: Option<Uuid>,
    pub action_type: &'a str,
    pub details: Option<serde_json::Value>,
    pub api_client_id: Option<Uuid>,
    pub generation_request_id: Option<Uuid>,
    pub credits_cost: Option<Decimal>,
    /// The team whose project or pool the action was for (`Team.usage`).
    pub team_id: Option<Uuid>,
}

/// Writes one entry (inside the caller's transaction when there is one).
pub async fn record(conn: &mut AsyncPgConnection, entry: UsageEntry<'_>) -> AppResult<()> {
    diesel::insert_into(usage_logs::table)
        .values((
            usage_logs::user_id.eq(entry.user_id),
            usage_logs::action_type.eq(entry.action_type),
            usage_logs::details.eq(entry.details),
            usage_logs::api_client_id.eq(entry.api_client_id),
            usage_logs::generation_request_id.eq(entry.generation_request_id),
            usage_logs::credits_cost.eq(entry.credits_cost),
            usage_logs::team_id.eq(entry.team_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
