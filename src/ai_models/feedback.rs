//! Feedback on generations: one row per user and request (a second rating
//! updates it), and the aggregate ratings of models and versions.

use async_graphql::SimpleObject;
use diesel::dsl::{avg, count_star};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::model::AiModelFeedback;
use crate::app::App;
use crate::db::schema::{ai_model_feedback, ai_model_versions};
use crate::error::{AppError, AppResult};
use crate::graphql::pagination::Window;

/// Stars given to a model or version.
#[derive(Debug, Clone, Copy, Default, PartialEq, SimpleObject)]
#[graphql(name = "AIModelRating")]
pub struct Rating {
    /// Mean of the ratings, two decimals; `null` when there are none.
    pub average: Option<Decimal>,
    /// How many ratings.
    pub count: i64,
}

/// What `rateGeneration` takes, checked.
pub struct NewFeedback {
    pub user_id: Uuid,
    pub generation_request_id: Uuid,
    pub model_version_id: Option<Uuid>,
    pub rating: i32,
    pub comment: Option<String>,
    pub details: Option<Value>,
}

/// Writes the caller's feedback on a request, or updates the one they gave.
pub async fn rate(app: &App, new: NewFeedback) -> AppResult<AiModelFeedback> {
    if !(1..=5).contains(&new.rating) {
        return Err(AppError::bad_input("rating", "a whole number from 1 to 5"));
    }
    let comment = crate::studio::service::validate::optional_text("comment", new.comment, 5000)?;
    if new.details.as_ref().is_some_and(|d| !d.is_object()) {
        return Err(AppError::bad_input("details", "a JSON object is expected"));
    }
    let mut conn = app.db.conn().await?;
    let now = chrono::Utc::now();
    Ok(diesel::insert_into(ai_model_feedback::table)
        .values((
            ai_model_feedback::user_id.eq(new.user_id),
            ai_model_feedback::generation_request_id.eq(new.generation_request_id),
            ai_model_feedback::model_version_id.eq(new.model_version_id),
            ai_model_feedback::rating.eq(new.rating),
            ai_model_feedback::comment.eq(&comment),
            ai_model_feedback::details.eq(&new.details),
        ))
        .on_conflict((
            ai_model_feedback::user_id,
            ai_model_feedback::generation_request_id,
        ))
        .do_update()
        .set((
            ai_model_feedback::rating.eq(new.rating),
            ai_model_feedback::comment.eq(&comment),
            ai_model_feedback::details.eq(&new.details),
            ai_model_feedback::feedback_timestamp.eq(now),
        ))
        .returning(AiModelFeedback::as_returning())
        .get_result(&mut conn)
        .await?)
}

fn rating_of(sum: Option<Decimal>, n: i64) -> Rating {
    Rating {
        average: sum.map(|a| a.round_dp(2)),
        count: n,
    }
}

/// Ratings per version, one grouped query.
pub async fn ratings_of_versions(
    conn: &mut AsyncPgConnection,
    version_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Rating)>> {
    let rows: Vec<(Option<Uuid>, Option<Decimal>, i64)> = ai_model_feedback::table
        .filter(ai_model_feedback::model_version_id.eq_any(version_ids))
        .filter(ai_model_feedback::rating.is_not_null())
        .group_by(ai_model_feedback::model_version_id)
        .select((
            ai_model_feedback::model_version_id,
            avg(ai_model_feedback::rating),
            count_star(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, a, n)| Some((id?, rating_of(a, n))))
        .collect())
}

/// Ratings per model (over all its versions), one grouped query.
pub async fn ratings_of_models(
    conn: &mut AsyncPgConnection,
    model_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Rating)>> {
    let rows: Vec<(Uuid, Option<Decimal>, i64)> = ai_model_feedback::table
        .inner_join(ai_model_versions::table)
        .filter(ai_model_versions::model_id.eq_any(model_ids))
        .filter(ai_model_feedback::rating.is_not_null())
        .group_by(ai_model_versions::model_id)
        .select((
            ai_model_versions::model_id,
            avg(ai_model_feedback::rating),
            count_star(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, a, n)| (id, rating_of(a, n)))
        .collect())
}

/// Feedback on the given requests, newest first.
pub async fn of_requests(
    conn: &mut AsyncPgConnection,
    request_ids: &[Uuid],
) -> QueryResult<Vec<AiModelFeedback>> {
    ai_model_feedback::table
        .filter(ai_model_feedback::generation_request_id.eq_any(request_ids))
        .order((
            ai_model_feedback::feedback_timestamp.desc(),
            ai_model_feedback::id.asc(),
        ))
        .select(AiModelFeedback::as_select())
        .load(conn)
        .await
}

/// How much feedback a version has.
pub async fn count_of_version(conn: &mut AsyncPgConnection, version_id: Uuid) -> QueryResult<i64> {
    ai_model_feedback::table
        .filter(ai_model_feedback::model_version_id.eq(version_id))
        .count()
        .get_result(conn)
        .await
}

/// One page of a version's feedback, newest first.
pub async fn page_of_version(
    conn: &mut AsyncPgConnection,
    version_id: Uuid,
    window: Window,
) -> QueryResult<Vec<AiModelFeedback>> {
    ai_model_feedback::table
        .filter(ai_model_feedback::model_version_id.eq(version_id))
        .order((
            ai_model_feedback::feedback_timestamp.desc(),
            ai_model_feedback::id.asc(),
        ))
        .offset(window.offset)
        .limit(window.limit)
        .select(AiModelFeedback::as_select())
        .load(conn)
        .await
}
