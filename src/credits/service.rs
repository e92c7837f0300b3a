//! Credit operations other domains and the GraphQL layer call: moving a user's
//! credits into a team pool, the earned / spent / refunded summary, and the
//! ledger check.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::history::Ledger;
use super::ledger::{self, Movement, Payer};
use crate::app::App;
use crate::error::{AppError, AppResult};

/// The largest single funding: far below `numeric(10,2)`'s ceiling, so the
/// user's side can never overflow, and a typo of a few extra zeros is refused.
const MAX_FUNDING: i64 = 1_000_000;

/// The balances after a funding.
#[derive(Debug, Clone, Copy)]
pub struct Funded {
    pub user_balance: Decimal,
    pub team_balance: Decimal,
}

/// Moves `amount` from `user_id`'s own balance into `team_id`'s pool: two
/// `team_transfer` rows (minus on the user, plus on the team) in one
/// transaction, so either both balances move or neither. The caller has been
/// authorized as ADMIN of the team. `INSUFFICIENT_CREDITS` (nothing written)
/// when the user's balance does not cover it.
#[tracing::instrument(skip_all, fields(%user_id, %team_id, %amount))]
pub async fn fund_team(
    app: &App,
    user_id: Uuid,
    team_id: Uuid,
    amount: Decimal,
) -> AppResult<Funded> {
    if amount <= Decimal::ZERO || amount.scale() > 2 || amount > Decimal::from(MAX_FUNDING) {
        return Err(AppError::bad_input(
            "amount",
            "a positive amount of at most 1,000,000 with at most 2 decimals",
        ));
    }
    let mut conn = app.db.conn().await?;
    let funded = conn
        .transaction(async |conn| {
            // The user's row first, then the team's: every funding locks in this
            // order, and a generation locks one row only, so no cycle can form.
            let user_balance = ledger::debit(
                conn,
                Payer::User(user_id),
                amount,
                Movement {
                    user_id,
                    action_type: "team_transfer",
                    description: Some(format!("to the pool of team {team_id}")),
                    generation_request_id: None,
                },
            )
            .await?;
            let team_balance = ledger::credit(
                conn,
                Payer::Team(team_id),
                amount,
                Movement {
                    user_id,
                    action_type: "team_transfer",
                    description: Some(format!("from the balance of user {user_id}")),
                    generation_request_id: None,
                },
            )
            .await?;
            Ok::<_, AppError>(Funded {
                user_balance,
                team_balance,
            })
        })
        .await?;
    crate::generation::events::balance_changed(app, Payer::User(user_id), funded.user_balance)
        .await;
    crate::generation::events::balance_changed(app, Payer::Team(team_id), funded.team_balance)
        .await;
    Ok(funded)
}

/// The movements of one calendar month (UTC).
#[derive(Debug, Clone, QueryableByName)]
pub struct PeriodTotals {
    #[diesel(sql_type = Timestamptz)]
    pub period_start: DateTime<Utc>,
    /// Positive movements that are not refunds: purchases, grants, transfers in,
    /// positive adjustments.
    #[diesel(sql_type = Numeric)]
    pub earned: Decimal,
    /// Negative movements, as a positive number: generations, exports,
    /// transfers out, negative adjustments.
    #[diesel(sql_type = Numeric)]
    pub spent: Decimal,
    /// `refund` movements.
    #[diesel(sql_type = Numeric)]
    pub refunded: Decimal,
}

/// Totals by month, oldest first, over `[since, until)`: one grouped query on
/// the holder's `(owner, created_at)` index, whose range prunes the monthly
/// partitions outside it.
pub async fn summary_by_month(
    conn: &mut AsyncPgConnection,
    ledger: Ledger,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> AppResult<Vec<PeriodTotals>> {
    let (holder_filter, holder) = match ledger {
        Ledger::User(id) => ("user_id = $1 AND team_id IS NULL", id),
        Ledger::Team(id) => ("team_id = $1", id),
    };
    let sql = format!(
        "SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period_start,
                coalesce(sum(amount) FILTER (WHERE amount > 0 AND action_type <> 'refund'), 0) AS earned,
                coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS spent,
                coalesce(sum(amount) FILTER (WHERE action_type = 'refund'), 0) AS refunded
           FROM credit_transactions
          WHERE {holder_filter}
            AND ($2::timestamptz IS NULL OR created_at >= $2)
            AND ($3::timestamptz IS NULL OR created_at < $3)
          GROUP BY 1
          ORDER BY 1"
    );
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(holder)
        .bind::<Nullable<Timestamptz>, _>(since)
        .bind::<Nullable<Timestamptz>, _>(until)
        .load(conn)
        .await?)
}

/// A holder whose balance is not its opening plus its ledger since.
#[derive(Debug, Clone, QueryableByName)]
pub struct Mismatch {
    /// `user` or `team`.
    #[diesel(sql_type = Text)]
    pub holder_kind: String,
    #[diesel(sql_type = SqlUuid)]
    pub holder_id: Uuid,
    #[diesel(sql_type = Numeric)]
    pub balance: Decimal,
    #[diesel(sql_type = Numeric)]
    pub expected: Decimal,
}

/// Every holder whose balance disagrees with its ledger (the SQL function
/// `atelier_ledger_mismatches()`); empty when the books add up.
pub async fn ledger_mismatches(conn: &mut AsyncPgConnection) -> AppResult<Vec<Mismatch>> {
    Ok(diesel::sql_query(
        "SELECT holder_kind, holder_id, balance, expected FROM atelier_ledger_mismatches()",
    )
    .load(conn)
    .await?)
}
