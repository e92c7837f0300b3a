//! Monthly plan grants: every Active subscription whose plan grants credits
//! gets them once per billing period. The key of `billing_grants`
//! (`period:<subscription>:<period start>`) is inserted in the same transaction
//! as the ledger row, one subscription per transaction, so several workers
//! running at once, or a worker killed half-way and started again, grant each
//! period exactly once.
//!
//! Stripe subscriptions are left out: their paid invoices grant the month
//! (`invoice.paid`, in `webhooks.rs`), and both would pay it twice.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::app::App;
use crate::credits::ledger::{self, Movement, Payer};
use crate::credits::model::{BillingSubscriptionStatus, PaymentProvider};
use crate::db::schema::{billing_grants, plans, subscriptions};
use crate::error::{AppError, AppResult};

/// A subscription whose period may be due: id, user, team, period start,
/// the plan's monthly credits, the plan.
type Due = (
    Uuid,
    Uuid,
    Option<Uuid>,
    chrono::DateTime<Utc>,
    Decimal,
    String,
);

/// Subscriptions looked at per query.
const PAGE: i64 = 100;

/// One pass: grants every period due now; returns how many were granted.
pub async fn run_once(app: &App) -> AppResult<usize> {
    let now = Utc::now();
    let mut granted = 0;
    let mut after = Uuid::nil();
    loop {
        let mut conn = app.worker_db.conn().await?;
        // Keyset pages by id: the due set shrinks as this runs, so an offset
        // would skip rows.
        let due: Vec<Due> = subscriptions::table
            .inner_join(plans::table.on(plans::id.eq(subscriptions::plan_id)))
            .filter(subscriptions::status.eq(BillingSubscriptionStatus::Active))
            .filter(subscriptions::payment_provider.ne(PaymentProvider::Stripe))
            .filter(subscriptions::current_period_start.le(now))
            .filter(subscriptions::current_period_end.gt(now))
            .filter(plans::monthly_credits.gt(Decimal::ZERO))
            .filter(subscriptions::id.gt(after))
            .order(subscriptions::id.asc())
            .limit(PAGE)
            .select((
                subscriptions::id,
                subscriptions::user_id,
                subscriptions::team_id,
                subscriptions::current_period_start,
                plans::monthly_credits,
                plans::id,
            ))
            .load(&mut conn)
            .await?;
        let Some(last) = due.last() else {
            return Ok(granted);
        };
        after = last.0;
        for (id, user_id, team_id, period_start, credits, plan) in due {
            let key = format!("period:{id}:{}", period_start.timestamp());
            let payer = Payer::for_project(team_id, user_id);
            let balance = conn
                .transaction(async |conn| {
                    let fresh = diesel::insert_into(billing_grants::table)
                        .values((
                            billing_grants::grant_key.eq(&key),
                            billing_grants::user_id.eq(user_id),
                            billing_grants::team_id.eq(team_id),
                            billing_grants::amount.eq(credits),
                            billing_grants::action_type.eq("subscription_grant"),
                        ))
                        .on_conflict_do_nothing()
                        .execute(conn)
                        .await?;
                    if fresh == 0 {
                        return Ok::<_, AppError>(None);
                    }
                    let balance = ledger::credit(
                        conn,
                        payer,
                        credits,
                        Movement {
                            user_id,
                            action_type: "subscription_grant",
                            description: Some(format!("monthly credits of plan {plan}")),
                            generation_request_id: None,
                        },
                    )
                    .await?;
                    Ok(Some(balance))
                })
                .await?;
            if let Some(balance) = balance {
                granted += 1;
                crate::generation::events::balance_changed(app, payer, balance).await;
            }
        }
    }
}

/// Runs a pass every `interval` until the process ends (`atelier serve` and
/// `atelier worker`); a failed pass is logged and the next one retries.
pub fn spawn(app: std::sync::Arc<App>, interval: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match run_once(&app).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(granted = n, "monthly plan credits granted"),
                Err(e) => tracing::warn!(error = ?e, "monthly grant pass failed"),
            }
        }
    });
}
