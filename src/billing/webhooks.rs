//! Stripe webhook deliveries: the signature is checked on the raw bytes before
//! anything is parsed, then the event is applied in one transaction keyed by its
//! id (`stripe_events`), so a replay, a duplicate or two concurrent deliveries
//! apply it once. What a payment grants is keyed once more by the paid object
//! (`billing_grants`), so two events about one checkout grant once too.
//!
//! The holder and the credits come from the object's `metadata`, which Atelier
//! itself wrote when it created the checkout (`atelier_user_id`, optional
//! `atelier_team_id`, `atelier_credits`): no local row has to exist first, so a
//! webhook that overtakes the checkout's own bookkeeping still applies.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use serde_json::Value;
use uuid::Uuid;

use super::service::StateOutcome;
use super::signature::{self, SignatureError};
use crate::app::App;
use crate::credits::ledger::{self, Movement, Payer};
use crate::credits::model::BillingSubscriptionStatus;
use crate::db::schema::{billing_grants, stripe_events};
use crate::error::{AppError, AppResult};

/// The largest grant one payment may carry.
const MAX_CREDITS: i64 = 1_000_000;

/// What became of a delivery that passed the signature check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Its effect was written now.
    Applied,
    /// The event id was seen before: nothing written.
    Duplicate,
    /// An event Atelier does not act on, or one without Atelier's metadata:
    /// acknowledged so Stripe stops re-sending it.
    Ignored,
    /// Another event had already granted the same checkout or invoice.
    AlreadyGranted,
}

/// Why a delivery was refused.
#[derive(Debug)]
pub enum Refusal {
    /// No `STRIPE_WEBHOOK_SECRET`.
    NotConfigured,
    /// The signature is missing, stale or wrong: 400, nothing written.
    Signature(SignatureError),
    /// Signed, but not a Stripe event: 400.
    Payload,
    /// Our side failed (the database): 500, so Stripe delivers it again.
    Failed(AppError),
}

/// One Stripe delivery: verify, then apply once.
#[tracing::instrument(skip_all)]
pub async fn receive(app: &App, header: Option<&str>, body: &[u8]) -> Result<Delivery, Refusal> {
    let secret = app
        .config
        .stripe
        .webhook_secret
        .as_ref()
        .ok_or(Refusal::NotConfigured)?;
    let header = header.ok_or(Refusal::Signature(SignatureError::Malformed))?;
    signature::verify(
        header,
        body,
        secret.expose_secret().as_bytes(),
        chrono::Utc::now().timestamp(),
    )
    .map_err(Refusal::Signature)?;
    let event: Value = serde_json::from_slice(body).map_err(|_| Refusal::Payload)?;
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(Refusal::Payload);
    };
    if id.is_empty() || id.len() > 255 || kind.len() > 100 {
        return Err(Refusal::Payload);
    }
    let created = event["created"]
        .as_i64()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .unwrap_or_else(chrono::Utc::now);
    let object = &event["data"]["object"];
    let effect = match kind {
        "checkout.session.completed" => checkout_subscription(object, created)
            .map(Effect::Subscribe)
            .or_else(|| checkout_grant(object).map(Effect::Grant)),
        "checkout.session.async_payment_succeeded" => checkout_grant(object).map(Effect::Grant),
        "invoice.paid" => invoice_grant(object).map(Effect::Grant),
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            subscription_state(object, kind, created).map(Effect::State)
        }
        _ => None,
    };
    let (delivery, after) = apply(app, id, kind, effect)
        .await
        .map_err(Refusal::Failed)?;
    match after {
        After::Balance(payer, balance) => {
            crate::generation::events::balance_changed(app, payer, balance).await;
        }
        After::Tier(user_id) => {
            crate::accounts::profile_cache::invalidate(&app.cache, user_id).await;
        }
        After::Nothing => {}
    }
    tracing::info!(event_id = id, event_type = kind, ?delivery, "stripe event");
    Ok(delivery)
}

/// Credits an event grants, and to whom.
#[derive(Debug, Clone)]
struct Grant {
    key: String,
    user_id: Uuid,
    team_id: Option<Uuid>,
    credits: Decimal,
    action_type: &'static str,
    description: String,
}

/// A plan's subscription, started by a checkout in `subscription` mode.
#[derive(Debug, Clone)]
struct Subscribe {
    user_id: Uuid,
    team_id: Option<Uuid>,
    plan_id: String,
    subscription_id: String,
    started_at: chrono::DateTime<chrono::Utc>,
}

/// A subscription's new state.
#[derive(Debug, Clone)]
struct State {
    subscription_id: String,
    status: BillingSubscriptionStatus,
    period: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    event_at: chrono::DateTime<chrono::Utc>,
    owner: Option<(Uuid, Option<Uuid>, String)>,
}

/// What an event does here.
#[derive(Debug, Clone)]
enum Effect {
    Grant(Grant),
    Subscribe(Subscribe),
    State(State),
}

/// Stripe's subscription statuses, in the spec's terms.
fn status_of(stripe: &str) -> Option<BillingSubscriptionStatus> {
    Some(match stripe {
        "active" => BillingSubscriptionStatus::Active,
        "trialing" => BillingSubscriptionStatus::Trial,
        "past_due" | "unpaid" | "paused" | "incomplete" => BillingSubscriptionStatus::Suspended,
        "canceled" => BillingSubscriptionStatus::Cancelled,
        "incomplete_expired" => BillingSubscriptionStatus::Expired,
        _ => return None,
    })
}

fn subscription_state(
    sub: &Value,
    kind: &str,
    event_at: chrono::DateTime<chrono::Utc>,
) -> Option<State> {
    let subscription_id = sub["id"]
        .as_str()
        .filter(|id| !id.is_empty() && id.len() <= 200)?;
    let status = if kind == "customer.subscription.deleted" {
        BillingSubscriptionStatus::Cancelled
    } else {
        status_of(sub["status"].as_str()?)?
    };
    // The period sits on the subscription (before API 2025-03) or on its item.
    let at = |v: &Value| {
        v.as_i64()
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
    };
    let item = &sub["items"]["data"][0];
    let period = at(&sub["current_period_start"])
        .zip(at(&sub["current_period_end"]))
        .or_else(|| at(&item["current_period_start"]).zip(at(&item["current_period_end"])));
    let metadata = &sub["metadata"];
    let owner = metadata["atelier_user_id"]
        .as_str()
        .and_then(|u| u.parse().ok())
        .zip(metadata["atelier_plan"].as_str())
        .map(|(user, plan): (Uuid, &str)| {
            let team = metadata["atelier_team_id"]
                .as_str()
                .and_then(|t| t.parse().ok());
            (user, team, plan.to_string())
        });
    Some(State {
        subscription_id: subscription_id.to_string(),
        status,
        period,
        event_at,
        owner,
    })
}

/// What to tell the rest of the system once the transaction committed.
enum After {
    Balance(Payer, Decimal),
    Tier(Uuid),
    Nothing,
}

fn checkout_subscription(
    session: &Value,
    created: chrono::DateTime<chrono::Utc>,
) -> Option<Subscribe> {
    let metadata = &session["metadata"];
    if session["mode"].as_str() != Some("subscription")
        || metadata["atelier_purpose"].as_str() != Some("plan")
    {
        return None;
    }
    let subscription_id = session["subscription"].as_str()?;
    let plan_id = metadata["atelier_plan"].as_str()?;
    if subscription_id.is_empty() || subscription_id.len() > 200 || plan_id.len() > 50 {
        return None;
    }
    Some(Subscribe {
        user_id: metadata["atelier_user_id"].as_str()?.parse().ok()?,
        team_id: match metadata["atelier_team_id"].as_str() {
            Some(team) => Some(team.parse().ok()?),
            None => None,
        },
        plan_id: plan_id.to_string(),
        subscription_id: subscription_id.to_string(),
        started_at: created,
    })
}

/// A completed checkout of a credit pack, paid (a delayed payment method
/// completes unpaid and grants with `checkout.session.async_payment_succeeded`).
/// A plan's checkout grants nothing here: its invoices do.
fn checkout_grant(session: &Value) -> Option<Grant> {
    if session["payment_status"].as_str() != Some("paid") {
        return None;
    }
    let metadata = &session["metadata"];
    if metadata["atelier_purpose"].as_str() != Some("credit_pack") {
        return None;
    }
    let id = session["id"].as_str()?;
    grant_from(
        metadata,
        format!("checkout:{id}"),
        "purchase",
        format!("credit pack, Stripe checkout {id}"),
    )
}

/// A paid invoice of a plan: the plan's credits. Stripe copies the
/// subscription's metadata onto its invoices, under
/// `parent.subscription_details.metadata` (API 2025-03 and later) or
/// `subscription_details.metadata` (before).
fn invoice_grant(invoice: &Value) -> Option<Grant> {
    let metadata = [
        &invoice["parent"]["subscription_details"]["metadata"],
        &invoice["subscription_details"]["metadata"],
        &invoice["metadata"],
    ]
    .into_iter()
    .find(|m| m["atelier_user_id"].is_string())?;
    let id = invoice["id"].as_str()?;
    grant_from(
        metadata,
        format!("invoice:{id}"),
        "subscription_grant",
        format!("plan credits, Stripe invoice {id}"),
    )
}

fn grant_from(
    metadata: &Value,
    key: String,
    action_type: &'static str,
    description: String,
) -> Option<Grant> {
    let user_id = metadata["atelier_user_id"].as_str()?.parse().ok()?;
    let team_id = match metadata["atelier_team_id"].as_str() {
        Some(team) => Some(team.parse().ok()?),
        None => None,
    };
    let credits: Decimal = metadata["atelier_credits"].as_str()?.parse().ok()?;
    let valid = credits > Decimal::ZERO
        && credits.scale() <= 2
        && credits <= Decimal::from(MAX_CREDITS)
        && key.len() <= 255;
    valid.then_some(Grant {
        key,
        user_id,
        team_id,
        credits,
        action_type,
        description,
    })
}

/// Records the event and writes its grant, in one transaction. The insert of
/// the event id comes first: a concurrent delivery of the same event waits on
/// it and, once this one commits, finds the id and writes nothing.
async fn apply(
    app: &App,
    event_id: &str,
    kind: &str,
    effect: Option<Effect>,
) -> AppResult<(Delivery, After)> {
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let outcome_of = |d: Delivery| match d {
            Delivery::Applied => "applied",
            Delivery::AlreadyGranted => "already_granted",
            Delivery::Ignored | Delivery::Duplicate => "ignored",
        };
        let planned = if effect.is_some() {
            Delivery::Applied
        } else {
            Delivery::Ignored
        };
        let inserted = diesel::insert_into(stripe_events::table)
            .values((
                stripe_events::event_id.eq(event_id),
                stripe_events::event_type.eq(kind),
                stripe_events::outcome.eq(outcome_of(planned)),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Ok((Delivery::Duplicate, After::Nothing));
        }
        let grant = match effect {
            None => return Ok((Delivery::Ignored, After::Nothing)),
            Some(Effect::Subscribe(sub)) => {
                let done = super::service::activate_stripe_subscription(
                    conn,
                    super::service::StripeSubscription {
                        user_id: sub.user_id,
                        team_id: sub.team_id,
                        plan_id: &sub.plan_id,
                        provider_subscription_id: &sub.subscription_id,
                        started_at: sub.started_at,
                    },
                )
                .await?;
                return Ok(match done {
                    None => {
                        diesel::update(stripe_events::table.find(event_id))
                            .set(stripe_events::outcome.eq(outcome_of(Delivery::Ignored)))
                            .execute(conn)
                            .await?;
                        (Delivery::Ignored, After::Nothing)
                    }
                    Some(Some(user)) => (Delivery::Applied, After::Tier(user)),
                    Some(None) => (Delivery::Applied, After::Nothing),
                });
            }
            Some(Effect::State(state)) => {
                let outcome = super::service::apply_stripe_state(
                    conn,
                    super::service::StripeState {
                        provider_subscription_id: &state.subscription_id,
                        status: state.status,
                        period: state.period,
                        event_at: state.event_at,
                        owner: state
                            .owner
                            .as_ref()
                            .map(|(user, team, plan)| (*user, *team, plan.as_str())),
                    },
                )
                .await?;
                let (delivery, after) = match outcome {
                    StateOutcome::Applied(Some(user)) => (Delivery::Applied, After::Tier(user)),
                    StateOutcome::Applied(None) => (Delivery::Applied, After::Nothing),
                    StateOutcome::Stale | StateOutcome::Unknown => {
                        (Delivery::Ignored, After::Nothing)
                    }
                };
                if delivery == Delivery::Ignored {
                    diesel::update(stripe_events::table.find(event_id))
                        .set(stripe_events::outcome.eq(outcome_of(Delivery::Ignored)))
                        .execute(conn)
                        .await?;
                }
                return Ok((delivery, after));
            }
            Some(Effect::Grant(grant)) => grant,
        };
        let fresh = diesel::insert_into(billing_grants::table)
            .values((
                billing_grants::grant_key.eq(&grant.key),
                billing_grants::user_id.eq(grant.user_id),
                billing_grants::team_id.eq(grant.team_id),
                billing_grants::amount.eq(grant.credits),
                billing_grants::action_type.eq(grant.action_type),
                billing_grants::stripe_event_id.eq(event_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if fresh == 0 {
            diesel::update(stripe_events::table.find(event_id))
                .set(stripe_events::outcome.eq(outcome_of(Delivery::AlreadyGranted)))
                .execute(conn)
                .await?;
            return Ok((Delivery::AlreadyGranted, After::Nothing));
        }
        let payer = Payer::for_project(grant.team_id, grant.user_id);
        let balance = ledger::credit(
            conn,
            payer,
            grant.credits,
            Movement {
                user_id: grant.user_id,
                action_type: grant.action_type,
                description: Some(grant.description.clone()),
                generation_request_id: None,
            },
        )
        .await?;
        Ok((Delivery::Applied, After::Balance(payer, balance)))
    })
    .await
}
