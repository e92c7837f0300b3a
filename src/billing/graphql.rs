//! Billing in the schema: the public plan catalogue, checkouts, and the current
//! subscription of a user (`User.subscription`) or a team (`Team.subscription`).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use uuid::Uuid;

use super::checkout::{self, Purchase};
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{authorize, Holder};
use crate::error::AppError;
use crate::graphql::id::{GlobalId, NodeType};

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

/// The input of `startCheckout`: exactly one of `plan` and `creditPack`.
#[derive(InputObject)]
pub struct StartCheckoutInput {
    /// A plan's key (`plans { id }`) to subscribe to.
    pub plan: Option<ID>,
    /// A credit pack's key (`creditPacks { id }`) to buy once.
    pub credit_pack: Option<ID>,
    /// The team it is for (ADMIN); omitted: the caller's own account.
    pub team_id: Option<ID>,
}

/// The result of `startCheckout`.
#[derive(SimpleObject)]
pub struct StartCheckoutPayload {
    /// Stripe's hosted checkout page: send the buyer there.
    pub url: String,
    /// The Checkout Session's id (`cs_...`).
    pub session_id: String,
}

#[derive(Default)]
pub struct BillingMutation;

#[Object]
impl BillingMutation {
    /// Starts a Stripe checkout of a plan or a credit pack for the caller, or for
    /// a team (ADMIN); the credits or the plan follow once Stripe reports the
    /// payment. `BILLING_NOT_CONFIGURED` without Stripe settings.
    #[graphql(guard = "Need::session()")]
    async fn start_checkout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `startCheckout`.")] input: StartCheckoutInput,
    ) -> async_graphql::Result<StartCheckoutPayload> {
        let user_id = require_user(ctx)?;
        if app(ctx).config.stripe.secret_key.is_none() {
            return Err(AppError::BillingNotConfigured.into());
        }
        let team_id = match &input.team_id {
            Some(id) => {
                let team = GlobalId::decode_uuid(id, NodeType::Team, "teamId")?;
                authorize(
                    ctx,
                    Holder::Team(team),
                    Resource::TeamCredits,
                    Action::Update,
                )
                .await?;
                Some(team)
            }
            None => None,
        };
        let mut conn = app(ctx).db.conn().await?;
        let purchase = match (&input.plan, &input.credit_pack) {
            (Some(plan), None) => model::plan(&mut conn, plan.as_str())
                .await?
                .filter(|p| p.is_active && p.price > rust_decimal::Decimal::ZERO)
                .map(Purchase::Plan)
                .ok_or_else(|| AppError::bad_input("plan", "no paid, active plan has this key"))?,
            (None, Some(pack)) => model::pack(&mut conn, pack.as_str())
                .await?
                .filter(|p| p.is_active)
                .map(Purchase::Pack)
                .ok_or_else(|| {
                    AppError::bad_input("creditPack", "no active credit pack has this key")
                })?,
            _ => {
                return Err(
                    AppError::bad_input("plan", "give exactly one of plan and creditPack").into(),
                )
            }
        };
        drop(conn);
        let session = checkout::start(app(ctx), user_id, team_id, purchase).await?;
        Ok(StartCheckoutPayload {
            url: session.url,
            session_id: session.id,
        })
    }
}
