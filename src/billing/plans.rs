//! `atelier plans import FILE.json`: the plan catalogue and credit packs as
//! code. One transaction upserts every entry by key and deactivates the keys the
//! file no longer lists (a subscription keeps naming its plan), so importing the
//! same file twice changes nothing.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::accounts::model::SubscriptionTier;
use crate::app::App;
use crate::db::schema::{credit_packs, plans};

/// The file: `{"plans": [...], "creditPacks": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Catalogue {
    plans: Vec<PlanEntry>,
    #[serde(default)]
    credit_packs: Vec<PackEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanEntry {
    id: String,
    name: String,
    tier: String,
    price: Decimal,
    currency: String,
    monthly_credits: Decimal,
    #[serde(default)]
    seats: Option<i32>,
    #[serde(default)]
    stripe_price_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PackEntry {
    id: String,
    name: String,
    credits: Decimal,
    price: Decimal,
    currency: String,
    #[serde(default)]
    stripe_price_id: Option<String>,
}

fn key(what: &str, id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 50
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    anyhow::ensure!(ok, "{what} '{id}': a key of 1 to 50 characters a-z, 0-9, _");
    Ok(())
}

fn money(what: &str, field: &str, amount: Decimal, positive: bool) -> anyhow::Result<()> {
    let ok = amount.scale() <= 2
        && amount < Decimal::from(100_000_000)
        && if positive {
            amount > Decimal::ZERO
        } else {
            !amount.is_sign_negative()
        };
    anyhow::ensure!(
        ok,
        "{what}: {field} must be an amount >= 0 with 2 decimals at most"
    );
    Ok(())
}

fn currency(what: &str, code: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()),
        "{what}: currency must be an ISO 4217 code like EUR"
    );
    Ok(())
}

fn check(catalogue: &Catalogue) -> anyhow::Result<()> {
    let mut seen = std::collections::HashSet::new();
    for p in &catalogue.plans {
        let what = format!("plan '{}'", p.id);
        key("plan", &p.id)?;
        anyhow::ensure!(
            seen.insert(("plan", p.id.clone())),
            "{what} is listed twice"
        );
        anyhow::ensure!(
            !p.name.trim().is_empty() && p.name.len() <= 100,
            "{what}: name of 1 to 100 characters"
        );
        anyhow::ensure!(
            SubscriptionTier::from_db_str(&p.tier).is_some(),
            "{what}: tier must be Free, Pro, Team or Enterprise"
        );
        money(&what, "price", p.price, false)?;
        money(&what, "monthlyCredits", p.monthly_credits, false)?;
        currency(&what, &p.currency)?;
        anyhow::ensure!(
            p.seats.is_none_or(|s| s > 0),
            "{what}: seats must be positive"
        );
    }
    for c in &catalogue.credit_packs {
        let what = format!("credit pack '{}'", c.id);
        key("credit pack", &c.id)?;
        anyhow::ensure!(
            seen.insert(("pack", c.id.clone())),
            "{what} is listed twice"
        );
        anyhow::ensure!(
            !c.name.trim().is_empty() && c.name.len() <= 100,
            "{what}: name of 1 to 100 characters"
        );
        money(&what, "credits", c.credits, true)?;
        money(&what, "price", c.price, false)?;
        currency(&what, &c.currency)?;
    }
    Ok(())
}

/// Imports a catalogue; returns a one-line report.
pub async fn import(app: &App, json: &str) -> anyhow::Result<String> {
    let catalogue: Catalogue = serde_json::from_str(json)?;
    check(&catalogue)?;
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let (mut plan_ids, mut pack_ids) = (Vec::new(), Vec::new());
        for (order, p) in catalogue.plans.iter().enumerate() {
            let order = i32::try_from(order)?;
            let values = (
                plans::name.eq(&p.name),
                plans::tier.eq(&p.tier),
                plans::price.eq(p.price),
                plans::currency.eq(&p.currency),
                plans::monthly_credits.eq(p.monthly_credits),
                plans::seats.eq(p.seats),
                plans::stripe_price_id.eq(&p.stripe_price_id),
                plans::is_active.eq(true),
                plans::sort_order.eq(order),
            );
            diesel::insert_into(plans::table)
                .values((plans::id.eq(&p.id), values))
                .on_conflict(plans::id)
                .do_update()
                .set(values)
                .execute(conn)
                .await?;
            plan_ids.push(p.id.clone());
        }
        for (order, c) in catalogue.credit_packs.iter().enumerate() {
            let order = i32::try_from(order)?;
            let values = (
                credit_packs::name.eq(&c.name),
                credit_packs::credits.eq(c.credits),
                credit_packs::price.eq(c.price),
                credit_packs::currency.eq(&c.currency),
                credit_packs::stripe_price_id.eq(&c.stripe_price_id),
                credit_packs::is_active.eq(true),
                credit_packs::sort_order.eq(order),
            );
            diesel::insert_into(credit_packs::table)
                .values((credit_packs::id.eq(&c.id), values))
                .on_conflict(credit_packs::id)
                .do_update()
                .set(values)
                .execute(conn)
                .await?;
            pack_ids.push(c.id.clone());
        }
        let retired_plans = diesel::update(
            plans::table
                .filter(plans::id.ne_all(&plan_ids))
                .filter(plans::is_active.eq(true)),
        )
        .set(plans::is_active.eq(false))
        .execute(conn)
        .await?;
        let retired_packs = diesel::update(
            credit_packs::table
                .filter(credit_packs::id.ne_all(&pack_ids))
                .filter(credit_packs::is_active.eq(true)),
        )
        .set(credit_packs::is_active.eq(false))
        .execute(conn)
        .await?;
        Ok::<_, anyhow::Error>(format!(
            "{} plans and {} credit packs imported; {retired_plans} plans and {retired_packs} packs retired",
            plan_ids.len(),
            pack_ids.len()
        ))
    })
    .await
}
