//! Read-only history of a user's or a team's credits and usage: connections,
//! newest first, each page one indexed query plus its count. On the partitioned
//! `credit_transactions` a date range (`since` / `until`) prunes the monthly
//! partitions outside it (README, "History").

use async_graphql::InputObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{CreditTransaction, UsageLog};
use crate::db::schema::{credit_transactions, usage_logs};
use crate::error::{AppError, AppResult};
use crate::graphql::pagination::Window;

/// Narrows a credit or usage history.
#[derive(Debug, Clone, Default, InputObject)]
pub struct HistoryFilter {
    /// Only this type (`actionType`, exact), e.g. `sample_generation`.
    pub action_type: Option<String>,
    /// From this moment on (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Before this moment (exclusive).
    pub until: Option<DateTime<Utc>>,
}

impl HistoryFilter {
    pub fn check(&self) -> AppResult<()> {
        if let (Some(since), Some(until)) = (self.since, self.until) {
            if since >= until {
                return Err(AppError::bad_input("until", "must be after since"));
            }
        }
        if self.action_type.as_ref().is_some_and(|t| t.len() > 100) {
            return Err(AppError::bad_input("actionType", "at most 100 characters"));
        }
        Ok(())
    }
}

/// Whose history.
#[derive(Debug, Clone, Copy)]
pub enum Ledger {
    /// A user's own balance (not the team pools they spent from).
    User(Uuid),
    Team(Uuid),
}

fn transactions(
    ledger: Ledger,
    filter: &HistoryFilter,
) -> credit_transactions::BoxedQuery<'_, diesel::pg::Pg> {
    let mut query = credit_transactions::table.into_boxed();
    query = match ledger {
        Ledger::User(id) => query
            .filter(credit_transactions::user_id.eq(id))
            .filter(credit_transactions::team_id.is_null()),
        Ledger::Team(id) => query.filter(credit_transactions::team_id.eq(id)),
    };
    if let Some(kind) = &filter.action_type {
        query = query.filter(credit_transactions::action_type.eq(kind));
    }
    if let Some(since) = filter.since {
        query = query.filter(credit_transactions::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(credit_transactions::created_at.lt(until));
    }
    query
}

pub async fn count_transactions(
    conn: &mut AsyncPgConnection,
    ledger: Ledger,
    filter: &HistoryFilter,
) -> AppResult<i64> {
    Ok(transactions(ledger, filter)
        .count()
        .get_result(conn)
        .await?)
}

pub async fn page_transactions(
    conn: &mut AsyncPgConnection,
    ledger: Ledger,
    filter: &HistoryFilter,
    window: Window,
) -> AppResult<Vec<CreditTransaction>> {
    Ok(transactions(ledger, filter)
        .order((
            credit_transactions::created_at.desc(),
            credit_transactions::id.desc(),
        ))
        .offset(window.offset)
        .limit(window.limit)
        .select(CreditTransaction::as_select())
        .load(conn)
        .await?)
}

fn usage(ledger: Ledger, filter: &HistoryFilter) -> usage_logs::BoxedQuery<'_, diesel::pg::Pg> {
    let mut query = usage_logs::table.into_boxed();
    query = match ledger {
        Ledger::User(id) => query.filter(usage_logs::user_id.eq(id)),
        Ledger::Team(id) => query.filter(usage_logs::team_id.eq(id)),
    };
    if let Some(kind) = &filter.action_type {
        query = query.filter(usage_logs::action_type.eq(kind));
    }
    if let Some(since) = filter.since {
        query = query.filter(usage_logs::timestamp.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(usage_logs::timestamp.lt(until));
    }
    query
}

pub async fn count_usage(
    conn: &mut AsyncPgConnection,
    ledger: Ledger,
    filter: &HistoryFilter,
) -> AppResult<i64> {
    Ok(usage(ledger, filter).count().get_result(conn).await?)
}

pub async fn page_usage(
    conn: &mut AsyncPgConnection,
    ledger: Ledger,
    filter: &HistoryFilter,
    window: Window,
) -> AppResult<Vec<UsageLog>> {
    Ok(usage(ledger, filter)
        .order((usage_logs::timestamp.desc(), usage_logs::id.desc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(UsageLog::as_select())
        .load(conn)
        .await?)
}

/// `Team.creditTransactions`, `User.creditTransactions`: the connection.
pub async fn transactions_connection(
    app: &crate::app::App,
    ledger: Ledger,
    filter: Option<HistoryFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<crate::graphql::pagination::Conn<CreditTransaction>> {
    use crate::graphql::pagination::{self, PageArgs};
    let args = PageArgs::new(first, after, None, None);
    args.validate()?;
    let filter = filter.unwrap_or_default();
    filter.check()?;
    let mut conn = app.db.conn().await?;
    let total = count_transactions(&mut conn, ledger, &filter).await?;
    let window = args.window(total)?;
    let rows = page_transactions(&mut conn, ledger, &filter, window).await?;
    Ok(pagination::connection(window, total, rows))
}

/// `myUsage`, `Team.usage`: the connection.
pub async fn usage_connection(
    app: &crate::app::App,
    ledger: Ledger,
    filter: Option<HistoryFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<crate::graphql::pagination::Conn<UsageLog>> {
    use crate::graphql::pagination::{self, PageArgs};
    let args = PageArgs::new(first, after, None, None);
    args.validate()?;
    let filter = filter.unwrap_or_default();
    filter.check()?;
    let mut conn = app.db.conn().await?;
    let total = count_usage(&mut conn, ledger, &filter).await?;
    let window = args.window(total)?;
    let rows = page_usage(&mut conn, ledger, &filter, window).await?;
    Ok(pagination::connection(window, total, rows))
}
