//! `platformStats`: the dashboard's figures, each computed by PostgreSQL in one
//! statement over the range (no Rust loops over rows). Days are UTC days.
//!
//! - users: `total` accounts not deleted and created before `until`; `new` ones
//!   created in the range; `active` in the last 1/7/30 days before `until`: a
//!   sign-in (`last_login_at`) or a session used (`last_activity`) in that window.
//! - generations created in the range, by status and by model (`unknown` when
//!   the version is gone).
//! - credits `spent`: the sum of the debits (negative amounts) in the range;
//!   `granted`: the positive amounts that are not refunds; `refunded`: refunds.

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::error::{AppError, AppResult};

/// The range of `platformStats`.
#[derive(Debug, Clone, Copy, Default, InputObject)]
pub struct StatsRange {
    /// From (inclusive); default 30 days before `until`.
    pub since: Option<DateTime<Utc>>,
    /// Until (exclusive); default now.
    pub until: Option<DateTime<Utc>>,
}

/// Accounts.
#[derive(Debug, Clone, PartialEq, SimpleObject, diesel::QueryableByName)]
pub struct UserStats {
    /// Accounts that exist at `until`.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    /// Accounts created in the range.
    #[diesel(sql_type = BigInt)]
    pub new: i64,
    /// Active in the day before `until`.
    #[diesel(sql_type = BigInt)]
    #[graphql(name = "active1d")]
    pub active_1d: i64,
    /// Active in the 7 days before `until`.
    #[diesel(sql_type = BigInt)]
    #[graphql(name = "active7d")]
    pub active_7d: i64,
    /// Active in the 30 days before `until`.
    #[diesel(sql_type = BigInt)]
    #[graphql(name = "active30d")]
    pub active_30d: i64,
}

/// A count under a label (a status, a model).
#[derive(Debug, Clone, PartialEq, SimpleObject, diesel::QueryableByName)]
pub struct LabelledCount {
    /// The status or the model's name.
    #[diesel(sql_type = Text)]
    pub label: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Credits moved in the range.
#[derive(Debug, Clone, PartialEq, SimpleObject, diesel::QueryableByName)]
pub struct CreditStats {
    /// Debited (as a positive number).
    #[diesel(sql_type = Numeric)]
    pub spent: Decimal,
    /// Granted or bought (positive movements that are not refunds).
    #[diesel(sql_type = Numeric)]
    pub granted: Decimal,
    /// Refunded.
    #[diesel(sql_type = Numeric)]
    pub refunded: Decimal,
}

/// One UTC day of the range.
#[derive(Debug, Clone, PartialEq, SimpleObject, diesel::QueryableByName)]
pub struct DayStats {
    /// The day.
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// Accounts created that day.
    #[diesel(sql_type = BigInt)]
    pub new_users: i64,
    /// Generation requests made that day.
    #[diesel(sql_type = BigInt)]
    pub generations: i64,
    /// Credits debited that day.
    #[diesel(sql_type = Numeric)]
    pub credits_spent: Decimal,
    /// Credits granted that day.
    #[diesel(sql_type = Numeric)]
    pub credits_granted: Decimal,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, SimpleObject)]
pub struct PlatformStats {
    /// Start of the range.
    pub since: DateTime<Utc>,
    /// End of the range.
    pub until: DateTime<Utc>,
    /// Accounts.
    pub users: UserStats,
    /// Generation requests of the range by status.
    pub generations_by_status: Vec<LabelledCount>,
    /// Generation requests of the range by model.
    pub generations_by_model: Vec<LabelledCount>,
    /// Credits of the range.
    pub credits: CreditStats,
    /// Every UTC day of the range, oldest first.
    pub daily: Vec<DayStats>,
}

const USERS: &str = "
SELECT count(*) AS total,
       count(*) FILTER (WHERE u.created_at >= $1) AS new,
       count(*) FILTER (WHERE a.seen >= $2 - interval '1 day') AS active_1d,
       count(*) FILTER (WHERE a.seen >= $2 - interval '7 days') AS active_7d,
       count(*) FILTER (WHERE a.seen >= $2 - interval '30 days') AS active_30d
  FROM users u
  -- The latest sign-in or session use before `until`.
  LEFT JOIN LATERAL (
       SELECT greatest(CASE WHEN u.last_login_at < $2 THEN u.last_login_at END,
                       (SELECT max(s.last_activity) FROM sessions s
                         WHERE s.user_id = u.id AND s.last_activity < $2)) AS seen
  ) a ON true
 WHERE u.deleted_at IS NULL AND u.created_at < $2";

const BY_STATUS: &str = "
SELECT g.status::text AS label, count(*) AS count
  FROM generation_requests g
 WHERE g.created_at >= $1 AND g.created_at < $2
 GROUP BY g.status ORDER BY count DESC, label";

const BY_MODEL: &str = "
SELECT coalesce(m.name, 'unknown')::text AS label, count(*) AS count
  FROM generation_requests g
  LEFT JOIN ai_model_versions v ON v.id = g.ai_model_version_id
  LEFT JOIN ai_models m ON m.id = v.model_id
 WHERE g.created_at >= $1 AND g.created_at < $2
 GROUP BY 1 ORDER BY count DESC, label";

const CREDITS: &str = "
SELECT coalesce(sum(-amount) FILTER (WHERE amount < 0), 0) AS spent,
       coalesce(sum(amount) FILTER (WHERE amount > 0 AND action_type <> 'refund'), 0) AS granted,
       coalesce(sum(amount) FILTER (WHERE amount > 0 AND action_type = 'refund'), 0) AS refunded
  FROM credit_transactions
 WHERE created_at >= $1 AND created_at < $2";

const DAILY: &str = "
WITH days AS (
    SELECT d::date AS day
      FROM generate_series(($1 AT TIME ZONE 'UTC')::date, (($2 - interval '1 microsecond') AT TIME ZONE 'UTC')::date, interval '1 day') d
), signups AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM users
     WHERE deleted_at IS NULL AND created_at >= $1 AND created_at < $2 GROUP BY 1
), generations AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM generation_requests
     WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
), credits AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
           coalesce(sum(-amount) FILTER (WHERE amount < 0), 0) AS spent,
           coalesce(sum(amount) FILTER (WHERE amount > 0 AND action_type <> 'refund'), 0) AS granted
      FROM credit_transactions WHERE created_at >= $1 AND created_at < $2 GROUP BY 1
)
SELECT days.day, coalesce(s.n, 0) AS new_users, coalesce(g.n, 0) AS generations,
       coalesce(c.spent, 0) AS credits_spent, coalesce(c.granted, 0) AS credits_granted
  FROM days
  LEFT JOIN signups s ON s.day = days.day
  LEFT JOIN generations g ON g.day = days.day
  LEFT JOIN credits c ON c.day = days.day
 ORDER BY days.day";

/// The range, checked: at most 366 days, `since` before `until`.
pub fn resolve(range: StatsRange) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let until = range.until.unwrap_or_else(Utc::now);
    let since = range.since.unwrap_or(until - Duration::days(30));
    if since >= until {
        return Err(AppError::bad_input("since", "must be before until"));
    }
    if until - since > Duration::days(366) {
        return Err(AppError::bad_input("since", "a range of at most 366 days"));
    }
    Ok((since, until))
}

pub async fn compute(conn: &mut AsyncPgConnection, range: StatsRange) -> AppResult<PlatformStats> {
    let (since, until) = resolve(range)?;
    let bind = |sql: &'static str| {
        diesel::sql_query(sql)
            .bind::<Timestamptz, _>(since)
            .bind::<Timestamptz, _>(until)
    };
    let users: UserStats = bind(USERS).get_result(conn).await?;
    let generations_by_status: Vec<LabelledCount> = bind(BY_STATUS).load(conn).await?;
    let generations_by_model: Vec<LabelledCount> = bind(BY_MODEL).load(conn).await?;
    let credits: CreditStats = bind(CREDITS).get_result(conn).await?;
    let daily: Vec<DayStats> = bind(DAILY).load(conn).await?;
    Ok(PlatformStats {
        since,
        until,
        users,
        generations_by_status,
        generations_by_model,
        credits,
        daily,
    })
}
