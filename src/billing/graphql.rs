//! Billing in the schema: the public plan catalogue, and the current
//! subscription of a user (`User.subscription`) or a team (`Team.subscription`).

use async_graphql::{Context, Object};
use uuid::Uuid;

use super::loaders::{BillingLoaders, SubscriptionOfTeam, SubscriptionOfUser};
use super::model::{self, CreditPack, Plan};
use crate::authz::guards::Need;
use crate::credits::model::BillingSubscription;
use crate::graphql::{app, loader};

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// The plans one can subscribe to, in catalogue order (public).
    #[graphql(guard = "Need::anyone()")]
    async fn plans(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plan>> {
        let mut conn = app(ctx).db.conn().await?;
        Ok(model::active_plans(&mut conn).await?)
    }

    /// The credit packs one can buy, in catalogue order (public).
    #[graphql(guard = "Need::anyone()")]
    async fn credit_packs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CreditPack>> {
        let mut conn = app(ctx).db.conn().await?;
        Ok(model::active_packs(&mut conn).await?)
    }
}

/// `User.subscription`: the caller has been checked as the account itself.
pub async fn of_user(
    ctx: &Context<'_>,
    user_id: Uuid,
) -> async_graphql::Result<Option<BillingSubscription>> {
    loader::<BillingLoaders>(ctx)
        .load_one(SubscriptionOfUser(user_id))
        .await
}

/// `Team.subscription`: the caller has been checked as a VIEWER of the team.
pub async fn of_team(
    ctx: &Context<'_>,
    team_id: Uuid,
) -> async_graphql::Result<Option<BillingSubscription>> {
    loader::<BillingLoaders>(ctx)
        .load_one(SubscriptionOfTeam(team_id))
        .await
}
