//! What one Odoo record does here, inside the caller's transaction.
//!
//! Whose record it is: Odoo's "Customer Reference" carries our holder,
//! `atelier:user:<uuid>:<plan id>` or `atelier:team:<uuid>:<plan id>` (the plan
//! part only matters on sale orders). It is `client_order_ref` on a sale order,
//! and Odoo copies it into the `ref` of the invoices made from that order, so
//! both models name the holder the same way without a second lookup (a
//! partner's email could match no account, or several). A record without it is
//! someone else's business in Odoo and is skipped.

use chrono::{DateTime, Months, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::accounts::model::SubscriptionTier;
use crate::credits::ledger::{self, Movement, Payer};
use crate::credits::model::{BillingSubscriptionStatus, PaymentProvider};
use crate::db::schema::{credit_transactions, odoo_invoices, subscriptions, teams, users};
use crate::error::AppResult;

/// The fields asked for on `sale.order`.
pub const SALE_ORDER_FIELDS: &[&str] = &[
    "id",
    "name",
    "partner_id",
    "client_order_ref",
    "state",
    "amount_total",
    "currency_id",
    "date_order",
    "write_date",
];

/// The fields asked for on `account.move`.
pub const INVOICE_FIELDS: &[&str] = &[
    "id",
    "name",
    "partner_id",
    "ref",
    "move_type",
    "amount_total",
    "currency_id",
    "invoice_date",
    "invoice_origin",
    "payment_state",
    "state",
    "write_date",
];

/// What became of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Rows written; the account whose profile (tier) changed, if any.
    Applied(Option<Uuid>),
    /// Already as Odoo has it.
    Unchanged,
    /// Not ours (no holder reference, unknown holder or plan) or not yet a
    /// subscription (a quotation).
    Skipped,
}

/// The holder a Customer Reference names, and the plan part if any.
fn holder(reference: Option<&str>) -> Option<(Holder, Option<&str>)> {
    let rest = reference?.trim().strip_prefix("atelier:")?;
    let mut parts = rest.splitn(3, ':');
    let kind = parts.next()?;
    let id = Uuid::parse_str(parts.next()?).ok()?;
    let plan = parts.next().filter(|p| !p.is_empty());
    let holder = match kind {
        "user" => Holder::User(id),
        "team" => Holder::Team(id),
        _ => return None,
    };
    Some((holder, plan))
}

#[derive(Debug, Clone, Copy)]
enum Holder {
    User(Uuid),
    Team(Uuid),
}

/// The (user, team) a holder is stored as: a team's rows belong to its owner.
async fn resolve(
    conn: &mut AsyncPgConnection,
    holder: Holder,
) -> AppResult<Option<(Uuid, Option<Uuid>)>> {
    Ok(match holder {
        Holder::User(id) => users::table
            .find(id)
            .select(users::id)
            .first::<Uuid>(conn)
            .await
            .optional()?
            .map(|id| (id, None)),
        Holder::Team(id) => teams::table
            .find(id)
            .select(teams::owner_id)
            .first::<Uuid>(conn)
            .await
            .optional()?
            .map(|owner| (owner, Some(id))),
    })
}

fn text<'v>(record: &'v Value, field: &str) -> Option<&'v str> {
    record.get(field).and_then(Value::as_str)
}

/// Odoo's datetimes are UTC text, `YYYY-MM-DD HH:MM:SS`.
pub fn odoo_datetime(value: Option<&str>) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(value?, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

/// Odoo's id of a record (the key our rows keep, as text).
pub fn record_id(record: &Value) -> Option<i64> {
    record.get("id").and_then(Value::as_i64)
}

fn money(record: &Value, field: &str) -> Option<Decimal> {
    let value = record.get(field)?;
    let amount = match value {
        Value::Number(n) => n.to_string().parse::<Decimal>().ok()?,
        Value::String(s) => s.parse::<Decimal>().ok()?,
        _ => return None,
    };
    Some(amount.round_dp(2))
}

/// What a sale order sets on its subscription: plan, status, period start, user, team.
type SubscriptionRow = (
    String,
    BillingSubscriptionStatus,
    DateTime<Utc>,
    Uuid,
    Option<Uuid>,
);

/// Upserts the subscription of a `sale.order` by `odoo_sale_order_id`:
/// a confirmed order (`sale`, `done`) is Active, a cancelled one Cancelled, a
/// quotation (`draft`, `sent`) is not a subscription yet (Suspended if it was
/// one). The period starts at `date_order` and lasts a month. A personal
/// subscriber's tier follows it, as with Stripe.
pub async fn sale_order(conn: &mut AsyncPgConnection, record: &Value) -> AppResult<Outcome> {
    let Some(order_id) = record_id(record) else {
        return Ok(Outcome::Skipped);
    };
    let Some((holder, Some(plan_id))) = holder(text(record, "client_order_ref")) else {
        return Ok(Outcome::Skipped);
    };
    let Some((user_id, team_id)) = resolve(conn, holder).await? else {
        tracing::warn!(
            order_id,
            "odoo sale order names a holder that does not exist"
        );
        return Ok(Outcome::Skipped);
    };
    let Some(plan) = crate::billing::model::plan(conn, plan_id).await? else {
        tracing::warn!(order_id, plan_id, "odoo sale order names an unknown plan");
        return Ok(Outcome::Skipped);
    };
    let key = order_id.to_string();
    let existing: Option<SubscriptionRow> = subscriptions::table
        .filter(subscriptions::odoo_sale_order_id.eq(&key))
        .select((
            subscriptions::plan_id,
            subscriptions::status,
            subscriptions::current_period_start,
            subscriptions::user_id,
            subscriptions::team_id,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let status = match text(record, "state") {
        Some("sale" | "done") => BillingSubscriptionStatus::Active,
        Some("cancel") => BillingSubscriptionStatus::Cancelled,
        _ if existing.is_some() => BillingSubscriptionStatus::Suspended,
        _ => return Ok(Outcome::Skipped),
    };
    let Some(start) = odoo_datetime(text(record, "date_order")) else {
        return Ok(Outcome::Skipped);
    };
    let end = start.checked_add_months(Months::new(1)).unwrap_or(start);
    if existing.as_ref() == Some(&(plan.id.clone(), status, start, user_id, team_id)) {
        return Ok(Outcome::Unchanged);
    }
    diesel::insert_into(subscriptions::table)
        .values((
            subscriptions::user_id.eq(user_id),
            subscriptions::team_id.eq(team_id),
            subscriptions::odoo_sale_order_id.eq(&key),
            subscriptions::plan_id.eq(&plan.id),
            subscriptions::status.eq(status),
            subscriptions::current_period_start.eq(start),
            subscriptions::current_period_end.eq(end),
            subscriptions::payment_provider.eq(PaymentProvider::OdooManual),
        ))
        .on_conflict(subscriptions::odoo_sale_order_id)
        .do_update()
        .set((
            subscriptions::user_id.eq(user_id),
            subscriptions::team_id.eq(team_id),
            subscriptions::plan_id.eq(&plan.id),
            subscriptions::status.eq(status),
            subscriptions::current_period_start.eq(start),
            subscriptions::current_period_end.eq(end),
        ))
        .execute(conn)
        .await?;
    if team_id.is_some() {
        return Ok(Outcome::Applied(None));
    }
    let tier = if status == BillingSubscriptionStatus::Active {
        plan.tier
    } else {
        SubscriptionTier::Free
    };
    diesel::update(users::table.find(user_id))
        .set(users::subscription_tier.eq(tier))
        .execute(conn)
        .await?;
    Ok(Outcome::Applied(Some(user_id)))
}

/// What an invoice is worth here: its `amount_total` in credits (one credit
/// per unit of its currency) once it is posted and paid (`paid`,
/// `in_payment`); nothing while draft, unpaid, cancelled or reversed.
fn invoice_credits(record: &Value) -> Option<Decimal> {
    let paid = text(record, "state") == Some("posted")
        && matches!(text(record, "payment_state"), Some("paid" | "in_payment"));
    if !paid {
        return Some(Decimal::ZERO);
    }
    money(record, "amount_total").map(|a| a.max(Decimal::ZERO))
}

/// Applies an `account.move` (customer invoice) exactly once: the first time
/// it is paid, one `purchase` ledger row with its `odoo_invoice_id`; when it
/// changes later (amount, or no longer paid), one `admin_adjustment` row with
/// the difference, never a second purchase. `odoo_invoices` keeps what the
/// invoice has put in so far and is locked for the change, so two passes at
/// once cannot both apply it. Returns the holder whose balance moved.
pub async fn invoice(
    conn: &mut AsyncPgConnection,
    record: &Value,
) -> AppResult<(Outcome, Option<(Payer, Decimal)>)> {
    let Some(invoice_id) = record_id(record) else {
        return Ok((Outcome::Skipped, None));
    };
    let key = invoice_id.to_string();
    let write_date = text(record, "write_date").unwrap_or_default().to_string();
    let Some(target) = invoice_credits(record) else {
        return Ok((Outcome::Skipped, None));
    };
    let existing: Option<(Uuid, Option<Uuid>, Decimal, String)> = odoo_invoices::table
        .find(&key)
        .select((
            odoo_invoices::user_id,
            odoo_invoices::team_id,
            odoo_invoices::credits,
            odoo_invoices::write_date,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let name = text(record, "name").unwrap_or("?").to_string();
    let Some((user_id, team_id, applied, seen)) = existing else {
        tracing::debug!(invoice_id, %target, "odoo invoice seen first");
        if target.is_zero() {
            return Ok((Outcome::Skipped, None));
        }
        let Some((holder, _)) = holder(text(record, "ref")) else {
            return Ok((Outcome::Skipped, None));
        };
        let Some((user_id, team_id)) = resolve(conn, holder).await? else {
            tracing::warn!(
                invoice_id,
                "odoo invoice names a holder that does not exist"
            );
            return Ok((Outcome::Skipped, None));
        };
        // The key first: a concurrent pass waits on it, then finds it.
        let fresh = diesel::insert_into(odoo_invoices::table)
            .values((
                odoo_invoices::odoo_invoice_id.eq(&key),
                odoo_invoices::user_id.eq(user_id),
                odoo_invoices::team_id.eq(team_id),
                odoo_invoices::credits.eq(target),
                odoo_invoices::write_date.eq(&write_date),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if fresh == 0 {
            return Ok((Outcome::Unchanged, None));
        }
        let payer = Payer::for_project(team_id, user_id);
        let balance = ledger::credit_for_invoice(
            conn,
            payer,
            target,
            Movement {
                user_id,
                action_type: "purchase",
                description: Some(format!("Odoo invoice {name}")),
                generation_request_id: None,
            },
            &key,
        )
        .await?;
        return Ok((Outcome::Applied(None), Some((payer, balance))));
    };
    if seen == write_date && target == applied {
        // Read again (a replay, the last second re-read): nothing to write.
        return Ok((Outcome::Unchanged, None));
    }
    let payer = Payer::for_project(team_id, user_id);
    let moved = if target > applied {
        let balance = ledger::credit_for_invoice(
            conn,
            payer,
            target - applied,
            Movement {
                user_id,
                action_type: "admin_adjustment",
                description: Some(format!(
                    "Odoo invoice {name} changed: {applied} to {target} credits"
                )),
                generation_request_id: None,
            },
            &key,
        )
        .await?;
        Some((target, balance))
    } else if target < applied {
        // Credits already spent cannot be taken back (a balance never goes
        // below zero): what is left stays recorded as applied, and a later
        // change of the invoice settles against it.
        let (taken, balance) = ledger::take_back_for_invoice(
            conn,
            payer,
            applied - target,
            Movement {
                user_id,
                action_type: "admin_adjustment",
                description: Some(format!(
                    "Odoo invoice {name} changed: {applied} to {target} credits"
                )),
                generation_request_id: None,
            },
            &key,
        )
        .await?;
        if taken < applied - target {
            tracing::warn!(
                invoice_id,
                short = %(applied - target - taken),
                "odoo invoice lowered below credits already spent"
            );
        }
        (!taken.is_zero()).then_some((applied - taken, balance))
    } else {
        None
    };
    let now = Utc::now();
    let credits = moved.map_or(applied, |(credits, _)| credits);
    diesel::update(odoo_invoices::table.find(&key))
        .set((
            odoo_invoices::credits.eq(credits),
            odoo_invoices::write_date.eq(&write_date),
            odoo_invoices::synced_at.eq(now),
        ))
        .execute(conn)
        .await?;
    // The rows the invoice made say when Odoo last confirmed them.
    diesel::update(credit_transactions::table)
        .filter(credit_transactions::odoo_invoice_id.eq(&key))
        .set(credit_transactions::synced_at.eq(now))
        .execute(conn)
        .await?;
    Ok(match moved {
        Some((_, balance)) => (Outcome::Applied(None), Some((payer, balance))),
        None => (Outcome::Unchanged, None),
    })
}
