//! Subscriptions: a paid plan checkout becomes the holder's current
//! subscription, and a personal one sets the account's `subscriptionTier` (and
//! with it the query budget) to the plan's tier.

use chrono::{DateTime, Months, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::accounts::model::SubscriptionTier;
use crate::credits::model::{BillingSubscriptionStatus, PaymentProvider};
use crate::db::schema::{subscriptions, users};
use crate::error::AppResult;

/// A Stripe subscription started by a plan checkout.
#[derive(Debug, Clone)]
pub struct StripeSubscription<'a> {
    pub user_id: Uuid,
    pub team_id: Option<Uuid>,
    pub plan_id: &'a str,
    pub provider_subscription_id: &'a str,
    pub started_at: DateTime<Utc>,
}

/// Records (or refreshes) the subscription, inside the caller's transaction;
/// returns the user whose profile cache must be dropped after the commit, when
/// the tier of an account changed. `None` when the plan is unknown.
pub async fn activate_stripe_subscription(
    conn: &mut AsyncPgConnection,
    sub: StripeSubscription<'_>,
) -> AppResult<Option<Option<Uuid>>> {
    let Some(plan) = super::model::plan(conn, sub.plan_id).await? else {
        return Ok(None);
    };
    let end = sub
        .started_at
        .checked_add_months(Months::new(1))
        .unwrap_or(sub.started_at);
    // Until the Odoo sync links the sale order, the Stripe id stands in for it
    // (the column is NOT NULL UNIQUE in the spec).
    let placeholder_order = format!("stripe:{}", sub.provider_subscription_id);
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::user_id.eq(sub.user_id),
            subscriptions::team_id.eq(sub.team_id),
            subscriptions::odoo_sale_order_id.eq(&placeholder_order),
            subscriptions::plan_id.eq(&plan.id),
            subscriptions::status.eq(BillingSubscriptionStatus::Active),
            subscriptions::current_period_start.eq(sub.started_at),
            subscriptions::current_period_end.eq(end),
            subscriptions::payment_provider.eq(PaymentProvider::Stripe),
            subscriptions::payment_provider_subscription_id.eq(sub.provider_subscription_id),
        ))
        .on_conflict(subscriptions::odoo_sale_order_id)
        .do_update()
        .set((
            subscriptions::plan_id.eq(&plan.id),
            subscriptions::status.eq(BillingSubscriptionStatus::Active),
        ))
        .execute(conn)
        .await?;
    if sub.team_id.is_some() {
        return Ok(Some(None));
    }
    let tier: SubscriptionTier = plan.tier;
    diesel::update(users::table.find(sub.user_id))
        .set(users::subscription_tier.eq(tier))
        .execute(conn)
        .await?;
    Ok(Some(Some(sub.user_id)))
}
