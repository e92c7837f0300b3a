//! What the generation pipeline tells subscribers. A status event carries the
//! request as it was committed, so every subscriber sees every status (even one
//! that lasted less than the fan-out) without a read of its own; subscribers also
//! re-read the database now and then, so a lost event costs latency, never
//! correctness.

use rust_decimal::Decimal;
use serde_json::json;

use super::model::GenerationRequest;
use crate::accounts::profile_cache;
use crate::app::App;
use crate::credits::ledger::Payer;

pub fn topic(request_id: uuid::Uuid) -> String {
    format!("generation:{request_id}")
}

pub async fn status_changed(app: &App, request: &GenerationRequest) {
    let payload = match serde_json::to_value(request) {
        Ok(row) => json!({"status": request.status.as_db_str(), "request": row}),
        Err(e) => {
            // Subscribers fall back to reading the database.
            tracing::warn!(error = %e, "generation request not serializable");
            json!({"status": request.status.as_db_str()})
        }
    };
    app.events.publish(topic(request.id), payload).await;
}

/// After a debit that takes a balance below `LOW_BALANCE_THRESHOLD`, tell the
/// person who spent (once per crossing, not on every debit below it).
pub async fn warn_if_low(
    app: &App,
    payer: Payer,
    before: Decimal,
    after: Decimal,
    user_id: uuid::Uuid,
) {
    let threshold = app.config.generation.low_balance_threshold;
    if !(before >= threshold && after < threshold) {
        return;
    }
    let whose = match payer {
        Payer::User(_) => "Your credit balance",
        Payer::Team(_) => "Your team's credit pool",
    };
    let created = async {
        let mut conn = app.db.conn().await?;
        crate::notifications::service::create(
            &mut conn,
            user_id,
            "billing_alert",
            &format!("{whose} is low: {after} credits left."),
            json!({"balance": after.to_string(), "threshold": threshold.to_string()}),
        )
        .await
    }
    .await;
    match created {
        Ok(note) => crate::notifications::service::publish(app, &note).await,
        Err(e) => tracing::warn!(error = ?e, "could not write a low-balance alert"),
    }
}

/// After a committed balance change: clear the cached profile and tell dashboards.
pub async fn balance_changed(app: &App, payer: Payer, balance: Decimal) {
    if let Payer::User(user_id) = payer {
        profile_cache::invalidate(&app.cache, user_id).await;
    }
    app.events
        .publish(payer.topic(), json!({"balance": balance.to_string()}))
        .await;
}
