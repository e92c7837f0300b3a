//! Live credit balances for dashboards.

use crate::authz::guards::Need;
use async_graphql::{Context, Object, SimpleObject, Subscription, ID};
use futures_util::{Stream, StreamExt};
use rust_decimal::Decimal;

use super::ledger::Payer;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{authorize, Holder};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};

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
