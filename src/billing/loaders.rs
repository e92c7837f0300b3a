//! Batched loads of the current subscription of users and teams.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::app::AppState;
use crate::credits::model::{BillingSubscription, BillingSubscriptionStatus};
use crate::db::schema::subscriptions;
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The billing domain's loaders.
pub struct BillingLoaders {
    app: AppState,
}

impl DomainLoaders for BillingLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// A user's current personal subscription (Active or Trial, the latest period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriptionOfUser(pub Uuid);

/// A team's current subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriptionOfTeam(pub Uuid);

const CURRENT: [BillingSubscriptionStatus; 2] = [
    BillingSubscriptionStatus::Active,
    BillingSubscriptionStatus::Trial,
];

/// Keeps the row with the latest period end per key.
fn latest<K: std::hash::Hash + Eq>(
    rows: Vec<BillingSubscription>,
    key: impl Fn(&BillingSubscription) -> Option<K>,
) -> HashMap<K, BillingSubscription> {
    let mut out: HashMap<K, BillingSubscription> = HashMap::new();
    for row in rows {
        let Some(k) = key(&row) else { continue };
        match out.get(&k) {
            Some(seen) if seen.current_period_end >= row.current_period_end => {}
            _ => {
                out.insert(k, row);
            }
        }
    }
    out
}

impl Loader<SubscriptionOfUser> for BillingLoaders {
    type Value = BillingSubscription;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[SubscriptionOfUser],
    ) -> Result<HashMap<SubscriptionOfUser, BillingSubscription>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<BillingSubscription> = subscriptions::table
            .filter(subscriptions::user_id.eq_any(&ids))
            .filter(subscriptions::team_id.is_null())
            .filter(subscriptions::status.eq_any(CURRENT))
            .select(BillingSubscription::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(latest(rows, |s| Some(SubscriptionOfUser(s.user_id))))
    }
}

impl Loader<SubscriptionOfTeam> for BillingLoaders {
    type Value = BillingSubscription;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[SubscriptionOfTeam],
    ) -> Result<HashMap<SubscriptionOfTeam, BillingSubscription>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<BillingSubscription> = subscriptions::table
            .filter(subscriptions::team_id.eq_any(&ids))
            .filter(subscriptions::status.eq_any(CURRENT))
            .select(BillingSubscription::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(latest(rows, |s| s.team_id.map(SubscriptionOfTeam)))
    }
}
