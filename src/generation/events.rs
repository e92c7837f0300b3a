//! What the generation pipeline tells subscribers. Events only say "this changed";
//! subscribers read the state from the database, so a lost event costs latency,
//! never correctness.

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
    app.events
        .publish(
            topic(request.id),
            json!({"status": request.status.as_db_str()}),
        )
        .await;
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
