//! Notification rows: written inside the transaction of what they announce,
//! published to subscribers after it commits.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::Notification;
use crate::app::App;
use crate::db::schema::notifications;
use crate::error::AppResult;
use crate::graphql::pagination::Window;

pub fn topic(user_id: Uuid) -> String {
    format!("notifications:{user_id}")
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    kind: &str,
    message: &str,
    metadata: Value,
) -> AppResult<Notification> {
    Ok(diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::type_.eq(kind),
            notifications::message.eq(message),
            notifications::metadata.eq(Some(metadata)),
        ))
        .returning(Notification::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn publish(app: &App, notification: &Notification) {
    app.events
        .publish(topic(notification.user_id), json!({"id": notification.id}))
        .await;
}

fn of_user(user_id: Uuid, unread_only: bool) -> notifications::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::is_read.eq(false));
    }
    query
}

pub async fn count(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    unread_only: bool,
) -> AppResult<i64> {
    Ok(of_user(user_id, unread_only)
        .count()
        .get_result(conn)
        .await?)
}

pub async fn page(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    unread_only: bool,
    window: Window,
) -> AppResult<Vec<Notification>> {
    Ok(of_user(user_id, unread_only)
        .order((notifications::created_at.desc(), notifications::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(Notification::as_select())
        .load(conn)
        .await?)
}

pub async fn by_id(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<Notification>> {
    Ok(notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(user_id))
        .select(Notification::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks the user's notifications among `ids` as read; returns how many changed.
pub async fn mark_read(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    ids: &[Uuid],
) -> AppResult<usize> {
    Ok(diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::id.eq_any(ids))
        .filter(notifications::is_read.eq(false))
        .set(notifications::is_read.eq(true))
        .execute(conn)
        .await?)
}
