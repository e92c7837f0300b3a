//! Notifications in the schema: the caller's own (SELF), read and live.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::model::Notification;
use super::service;
use crate::authz::require_user;
use crate::error::AppError;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The caller's notifications, newest first.
    #[graphql(guard = "Need::session()")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Only notifications not yet marked read.")] unread_only: bool,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<Notification>> {
        let user_id = require_user(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let mut conn = app(ctx).db.conn().await?;
        let total = service::count(&mut conn, user_id, unread_only).await?;
        let window = args.window(total)?;
        let rows = service::page(&mut conn, user_id, unread_only, window).await?;
        Ok(pagination::connection(window, total, rows))
    }

    /// How many of the caller's notifications are unread.
    #[graphql(guard = "Need::session()")]
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let user_id = require_user(ctx)?;
        let mut conn = app(ctx).db.conn().await?;
        Ok(service::count(&mut conn, user_id, true).await?)
    }
}

/// The input of `markNotificationsRead`.
#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// IDs of the caller's notifications (others' are ignored).
    pub ids: Vec<ID>,
}

/// What `markNotificationsRead` returns.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// How many changed from unread to read.
    pub marked_count: i32,
    /// Unread notifications left.
    pub unread_count: i64,
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks notifications read.
    #[graphql(guard = "Need::session()")]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `markNotificationsRead`.")]
        input: MarkNotificationsReadInput,
    ) -> async_graphql::Result<MarkNotificationsReadPayload> {
        let user_id = require_user(ctx)?;
        if input.ids.len() > 1000 {
            return Err(AppError::bad_input("ids", "at most 1000 at a time").into());
        }
        let ids = input
            .ids
            .iter()
            .map(|id| GlobalId::decode_uuid(id, NodeType::Notification, "ids"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut conn = app(ctx).db.conn().await?;
        let marked = service::mark_read(&mut conn, user_id, &ids).await?;
        let unread_count = service::count(&mut conn, user_id, true).await?;
        Ok(MarkNotificationsReadPayload {
            marked_count: i32::try_from(marked).unwrap_or(i32::MAX),
            unread_count,
        })
    }
}

#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// The caller's new notifications, as they are created.
    #[graphql(guard = "Need::session()")]
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Notification>> {
        let user_id = require_user(ctx)?;
        let app = app(ctx).clone();
        let events = app.events.subscribe(service::topic(user_id));
        Ok(events.filter_map(move |event| {
            let app = app.clone();
            async move {
                let id = event.get("id")?.as_str()?.parse().ok()?;
                let mut conn = app.db.conn().await.ok()?;
                service::by_id(&mut conn, user_id, id).await.ok().flatten()
            }
        }))
    }
}
