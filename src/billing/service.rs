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
    let inserted = diesel::insert_into(subscriptions::table)
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
        // A row that exists already came from a `customer.subscription.*` event,
        // which carries the newer state: the checkout does not overwrite it.
        .on_conflict(subscriptions::odoo_sale_order_id)
        .do_nothing()
        .execute(conn)
        .await?;
    // The tier too: it follows the state that event set.
    if inserted == 0 || sub.team_id.is_some() {
        return Ok(Some(None));
    }
    let tier: SubscriptionTier = plan.tier;
    diesel::update(users::table.find(sub.user_id))
        .set(users::subscription_tier.eq(tier))
        .execute(conn)
        .await?;
    Ok(Some(Some(sub.user_id)))
}

/// The state a `customer.subscription.updated` / `.deleted` event reports.
#[derive(Debug, Clone)]
pub struct StripeState<'a> {
    pub provider_subscription_id: &'a str,
    pub status: BillingSubscriptionStatus,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The event's `created`: what orders the events.
    pub event_at: DateTime<Utc>,
    /// From the subscription's metadata, to create the row when this event
    /// comes before the checkout's.
    pub owner: Option<(Uuid, Option<Uuid>, &'a str)>,
}

/// What became of a state event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateOutcome {
    /// Written; the account whose tier may have changed, if personal.
    Applied(Option<Uuid>),
    /// A newer event was applied before: nothing written.
    Stale,
    /// No such subscription here, and no metadata to create it.
    Unknown,
}

/// Applies a Stripe subscription state unless a newer one was applied, and
/// moves a personal subscriber's tier with it (the plan's tier while Active or
/// Trial, Free otherwise).
pub async fn apply_stripe_state(
    conn: &mut AsyncPgConnection,
    state: StripeState<'_>,
) -> AppResult<StateOutcome> {
    let placeholder_order = format!("stripe:{}", state.provider_subscription_id);
    let exists: Option<Option<DateTime<Utc>>> = subscriptions::table
        .filter(subscriptions::payment_provider.eq(PaymentProvider::Stripe))
        .filter(subscriptions::payment_provider_subscription_id.eq(state.provider_subscription_id))
        .for_update()
        .select(subscriptions::provider_event_at)
        .first(conn)
        .await
        .optional()?;
    match exists {
        Some(Some(seen)) if seen > state.event_at => return Ok(StateOutcome::Stale),
        Some(_) => {}
        None => {
            let Some((user_id, team_id, plan_id)) = state.owner else {
                return Ok(StateOutcome::Unknown);
            };
            if super::model::plan(conn, plan_id).await?.is_none() {
                return Ok(StateOutcome::Unknown);
            }
            let (start, end) = state.period.unwrap_or((state.event_at, state.event_at));
            diesel::insert_into(subscriptions::table)
                .values((
                    subscriptions::user_id.eq(user_id),
                    subscriptions::team_id.eq(team_id),
                    subscriptions::odoo_sale_order_id.eq(&placeholder_order),
                    subscriptions::plan_id.eq(plan_id),
                    subscriptions::status.eq(state.status),
                    subscriptions::current_period_start.eq(start),
                    subscriptions::current_period_end.eq(end),
                    subscriptions::payment_provider.eq(PaymentProvider::Stripe),
                    subscriptions::payment_provider_subscription_id
                        .eq(state.provider_subscription_id),
                ))
                .execute(conn)
                .await?;
        }
    }
    let target = subscriptions::table
        .filter(subscriptions::payment_provider.eq(PaymentProvider::Stripe))
        .filter(subscriptions::payment_provider_subscription_id.eq(state.provider_subscription_id));
    let (user_id, team_id, plan_id): (Uuid, Option<Uuid>, String) = match state.period {
        Some((start, end)) => {
            diesel::update(target)
                .set((
                    subscriptions::status.eq(state.status),
                    subscriptions::provider_event_at.eq(state.event_at),
                    subscriptions::current_period_start.eq(start),
                    subscriptions::current_period_end.eq(end),
                ))
                .returning((
                    subscriptions::user_id,
                    subscriptions::team_id,
                    subscriptions::plan_id,
                ))
                .get_result(conn)
                .await?
        }
        None => {
            diesel::update(target)
                .set((
                    subscriptions::status.eq(state.status),
                    subscriptions::provider_event_at.eq(state.event_at),
                ))
                .returning((
                    subscriptions::user_id,
                    subscriptions::team_id,
                    subscriptions::plan_id,
                ))
                .get_result(conn)
                .await?
        }
    };
    if team_id.is_some() {
        return Ok(StateOutcome::Applied(None));
    }
    let current = matches!(
        state.status,
        BillingSubscriptionStatus::Active | BillingSubscriptionStatus::Trial
    );
    let tier = match super::model::plan(conn, &plan_id).await? {
        Some(plan) if current => plan.tier,
        _ => SubscriptionTier::Free,
    };
    diesel::update(users::table.find(user_id))
        .set(users::subscription_tier.eq(tier))
        .execute(conn)
        .await?;
    Ok(StateOutcome::Applied(Some(user_id)))
}
