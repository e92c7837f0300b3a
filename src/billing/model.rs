//! The plan catalogue and credit packs: rows that are also the GraphQL objects.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::accounts::model::SubscriptionTier;
use crate::db::schema::{credit_packs, plans};
use crate::error::AppResult;

/// A plan one can subscribe to (public: prices and grants are no secret).
#[derive(Debug, Clone, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = plans, check_for_backend(diesel::pg::Pg))]
pub struct Plan {
    /// The plan's key, e.g. `pro_monthly` (what `BillingSubscription.planId` and
    /// `startCheckout`'s `plan` name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The tier (and query budget) a subscription to it gives.
    pub tier: SubscriptionTier,
    /// Price per month.
    pub price: Decimal,
    /// ISO 4217 code of the price, e.g. `EUR`.
    pub currency: String,
    /// Credits granted at the start of every paid month.
    pub monthly_credits: Decimal,
    /// Members covered, for team plans; `null` for personal ones.
    pub seats: Option<i32>,
    #[graphql(skip)]
    pub stripe_price_id: Option<String>,
    /// Whether it can be subscribed to now.
    pub is_active: bool,
    #[graphql(skip)]
    pub sort_order: i32,
    #[graphql(skip)]
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
}

/// Credits bought once.
#[derive(Debug, Clone, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = credit_packs, check_for_backend(diesel::pg::Pg))]
pub struct CreditPack {
    /// The pack's key, e.g. `pack_100` (what `startCheckout`'s `creditPack` names).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credits it adds.
    pub credits: Decimal,
    /// Its price.
    pub price: Decimal,
    /// ISO 4217 code of the price.
    pub currency: String,
    #[graphql(skip)]
    pub stripe_price_id: Option<String>,
    /// Whether it can be bought now.
    pub is_active: bool,
    #[graphql(skip)]
    pub sort_order: i32,
    #[graphql(skip)]
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
}

/// The active plans, in catalogue order.
pub async fn active_plans(conn: &mut AsyncPgConnection) -> AppResult<Vec<Plan>> {
    Ok(plans::table
        .filter(plans::is_active.eq(true))
        .order((plans::sort_order.asc(), plans::id.asc()))
        .select(Plan::as_select())
        .load(conn)
        .await?)
}

/// The active credit packs, in catalogue order.
pub async fn active_packs(conn: &mut AsyncPgConnection) -> AppResult<Vec<CreditPack>> {
    Ok(credit_packs::table
        .filter(credit_packs::is_active.eq(true))
        .order((credit_packs::sort_order.asc(), credit_packs::id.asc()))
        .select(CreditPack::as_select())
        .load(conn)
        .await?)
}

/// A plan by key, active or not.
pub async fn plan(conn: &mut AsyncPgConnection, id: &str) -> AppResult<Option<Plan>> {
    Ok(plans::table
        .find(id)
        .select(Plan::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A credit pack by key, active or not.
pub async fn pack(conn: &mut AsyncPgConnection, id: &str) -> AppResult<Option<CreditPack>> {
    Ok(credit_packs::table
        .find(id)
        .select(CreditPack::as_select())
        .first(conn)
        .await
        .optional()?)
}
