//! Credits in the schema: live balances, funding a team's pool, the summary.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use rust_decimal::Decimal;

use super::history::Ledger;
use super::ledger::Payer;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{authorize, load_authorized, Holder};
use crate::error::AppError;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::teams::model::Team;

/// A balance at a moment.
#[derive(SimpleObject, Clone)]
pub struct CreditBalance {
    /// The balance.
    pub balance: Decimal,
    /// The team whose pool this is; `null` for the caller's own balance.
    pub team_id: Option<ID>,
}

#[derive(Default)]
pub struct CreditSubscription;

#[Subscription]
impl CreditSubscription {
    /// The caller's balance (or a team's pool, for its VIEWERs and up) now, then
    /// after each change.
    #[graphql(guard = "Need::signed_in()")]
    async fn credit_balance_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A team's pool (VIEWER); omitted: the caller's own balance.")]
        team_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = CreditBalance>> {
        let user_id = require_user(ctx)?;
        let payer = match &team_id {
            Some(id) => {
                let team = GlobalId::decode_uuid(id, NodeType::Team, "teamId")?;
                authorize(ctx, Holder::Team(team), Resource::TeamCredits, Action::Read).await?;
                Payer::Team(team)
            }
            None => Payer::User(user_id),
        };
        let app = app(ctx).clone();
        let changes = app.events.subscribe(payer.topic());
        let now = super::ledger::balance_of(&app, payer).await?;
        let first = CreditBalance {
            balance: now,
            team_id: team_id.clone(),
        };
        let rest = changes.filter_map(move |event| {
            let team_id = team_id.clone();
            async move {
                let balance = event.get("balance")?.as_str()?.parse().ok()?;
                Some(CreditBalance { balance, team_id })
            }
        });
        Ok(futures_util::stream::iter([first]).chain(rest))
    }
}

#[derive(Default)]
pub struct CreditQuery;

#[Object]
impl CreditQuery {
    /// The caller's usage log, newest first.
    #[graphql(guard = "Need::signed_in()")]
    async fn my_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Action type and date range.")] filter: Option<
            super::history::HistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<crate::graphql::pagination::Conn<super::model::UsageLog>> {
        let user_id = require_user(ctx)?;
        let ledger = super::history::Ledger::User(user_id);
        Ok(super::history::usage_connection(app(ctx), ledger, filter, first, after).await?)
    }
}

/// The input of `fundTeamCredits`.
#[derive(InputObject)]
pub struct FundTeamCreditsInput {
    /// The team whose pool receives the credits (the caller is ADMIN or OWNER).
    pub team_id: ID,
    /// Credits to move from the caller's own balance (positive, 2 decimals at most).
    pub amount: Decimal,
}

/// The result of `fundTeamCredits`.
#[derive(SimpleObject)]
pub struct FundTeamCreditsPayload {
    /// The team, with its new `creditBalance`.
    pub team: Team,
    /// The caller's own balance after the transfer.
    pub balance: Decimal,
}

#[derive(Default)]
pub struct CreditMutation;

#[Object]
impl CreditMutation {
    /// Moves credits from the caller's balance into a team's pool (ADMIN): one
    /// `team_transfer` row on each side, in one transaction;
    /// `INSUFFICIENT_CREDITS` and nothing moved when the balance does not cover it.
    #[graphql(guard = "Need::matrix(Resource::TeamCredits, Action::Update)")]
    async fn fund_team_credits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `fundTeamCredits`.")] input: FundTeamCreditsInput,
    ) -> async_graphql::Result<FundTeamCreditsPayload> {
        let user_id = require_user(ctx)?;
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(
            ctx,
            Holder::Team(team_id),
            Resource::TeamCredits,
            Action::Update,
        )
        .await?;
        let funded = super::service::fund_team(app(ctx), user_id, team_id, input.amount).await?;
        // Read after the commit: a team the request's loader saw earlier would
        // show the balance from before.
        let mut team = load_authorized::<Team>(ctx, team_id, Action::Read).await?;
        team.credit_balance = funded.team_balance;
        Ok(FundTeamCreditsPayload {
            team,
            balance: funded.user_balance,
        })
    }
}

/// Credits in and out of a balance over one calendar month (UTC).
#[derive(SimpleObject)]
pub struct CreditPeriod {
    /// The first moment of the month.
    pub period_start: DateTime<Utc>,
    /// Purchases, plan grants, transfers in and positive adjustments.
    pub earned: Decimal,
    /// Generations, exports, transfers out and negative adjustments (a positive number).
    pub spent: Decimal,
    /// Refunds of failed or cancelled work.
    pub refunded: Decimal,
}

/// Where a balance's credits came from and went, in total and by month.
#[derive(SimpleObject)]
pub struct CreditSummary {
    /// The team whose pool this is; `null` for the caller's own balance.
    pub team_id: Option<ID>,
    /// All earned credits in the range.
    pub earned: Decimal,
    /// All spent credits in the range (a positive number).
    pub spent: Decimal,
    /// All refunded credits in the range.
    pub refunded: Decimal,
    /// Earned minus spent plus refunded: the change of the balance over the range.
    pub net: Decimal,
    /// One entry per month with movements, oldest first.
    pub periods: Vec<CreditPeriod>,
}

#[Object]
impl CreditSummaryQuery {
    /// Earned, spent and refunded credits, in total and by month: the caller's
    /// own balance, or a team's pool (VIEWER).
    #[graphql(guard = "Need::signed_in()")]
    async fn credit_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A team's pool (VIEWER); omitted: the caller's own balance.")]
        team_id: Option<ID>,
        #[graphql(desc = "From this moment on (inclusive).")] since: Option<DateTime<Utc>>,
        #[graphql(desc = "Before this moment (exclusive).")] until: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<CreditSummary> {
        let user_id = require_user(ctx)?;
        if let (Some(since), Some(until)) = (since, until) {
            if since >= until {
                return Err(AppError::bad_input("until", "must be after since").into());
            }
        }
        let ledger = match &team_id {
            Some(id) => {
                let team = GlobalId::decode_uuid(id, NodeType::Team, "teamId")?;
                authorize(ctx, Holder::Team(team), Resource::TeamCredits, Action::Read).await?;
                Ledger::Team(team)
            }
            None => Ledger::User(user_id),
        };
        let mut conn = app(ctx).db.conn().await?;
        let rows = super::service::summary_by_month(&mut conn, ledger, since, until).await?;
        let periods: Vec<CreditPeriod> = rows
            .into_iter()
            .map(|r| CreditPeriod {
                period_start: r.period_start,
                earned: cents(r.earned),
                spent: cents(r.spent),
                refunded: cents(r.refunded),
            })
            .collect();
        let earned: Decimal = periods.iter().map(|p| p.earned).sum();
        let spent: Decimal = periods.iter().map(|p| p.spent).sum();
        let refunded: Decimal = periods.iter().map(|p| p.refunded).sum();
        Ok(CreditSummary {
            team_id,
            earned: cents(earned),
            spent: cents(spent),
            refunded: cents(refunded),
            net: cents(earned - spent + refunded),
            periods,
        })
    }
}

#[derive(Default)]
pub struct CreditSummaryQuery;

/// Every amount with its two decimals, `0.00` included (an empty sum is `0`).
fn cents(mut amount: Decimal) -> Decimal {
    amount.rescale(2);
    amount
}
