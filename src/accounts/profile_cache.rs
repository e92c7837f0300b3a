//! The spec's caching strategy for users: fullName, subscriptionTier,
//! languagePreference, timezone and creditBalance are read from the cache and
//! the entry is deleted on every update of those fields.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::SubscriptionTier;
use crate::cache::Cache;
use crate::db::schema::users;
use crate::db::Db;
use crate::error::AppResult;

const TTL: Duration = Duration::from_secs(600);

/// The cached part of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedProfile {
    pub full_name: Option<String>,
    pub subscription_tier: String,
    pub language_preference: String,
    pub timezone: String,
    pub credit_balance: Decimal,
}

impl CachedProfile {
    pub fn tier(&self) -> SubscriptionTier {
        SubscriptionTier::from_db_str(&self.subscription_tier).unwrap_or(SubscriptionTier::Free)
    }
}

fn key(user_id: Uuid) -> String {
    format!("user:{user_id}:profile")
}

/// Profiles of `ids`: from the cache where present, the rest in one query (and cached).
pub async fn load(cache: &Cache, db: &Db, ids: &[Uuid]) -> AppResult<HashMap<Uuid, CachedProfile>> {
    let mut found = HashMap::new();
    let mut missing = Vec::new();
    for id in ids {
        match cache
            .get(&key(*id))
            .await
            .and_then(|json| serde_json::from_str(&json).ok())
        {
            Some(profile) => {
                found.insert(*id, profile);
            }
            None => missing.push(*id),
        }
    }
    if !missing.is_empty() {
        let mut conn = db.conn().await?;
        for (id, profile) in read_from_db(&mut conn, &missing).await? {
            if let Ok(json) = serde_json::to_string(&profile) {
                cache.set(&key(id), &json, TTL).await;
            }
            found.insert(id, profile);
        }
    }
    Ok(found)
}

/// The cached fields of `ids`, straight from the database.
pub async fn read_from_db(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> AppResult<Vec<(Uuid, CachedProfile)>> {
    let rows: Vec<(Uuid, Option<String>, String, String, String, Decimal)> = users::table
        .filter(users::id.eq_any(ids))
        .select((
            users::id,
            users::full_name,
            users::subscription_tier,
            users::language_preference,
            users::timezone,
            users::credit_balance,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, full_name, tier, language, timezone, balance)| {
            (
                id,
                CachedProfile {
                    full_name,
                    subscription_tier: tier,
                    language_preference: language,
                    timezone,
                    credit_balance: balance,
                },
            )
        })
        .collect())
}

/// Call after any change of a cached field (profile updates, credit movements).
pub async fn invalidate(cache: &Cache, user_id: Uuid) {
    cache.delete(&key(user_id)).await;
}
