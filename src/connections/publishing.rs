//! Publishing an asset through a connection: `request` records one
//! `PublishedPost` per (asset, connection, caption) and queues its job in the
//! generation queue; the job uploads the asset through the platform's
//! [`PlatformAdapter`], retried with the queue's backoff, and notifies the user
//! when the post is done or has failed for good.

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::{ConnectionStatus, SocialMediaConnection, SocialPlatform};
use crate::app::App;
use crate::db::schema::published_posts;
use crate::db::string_enum;
use crate::error::{AppError, AppResult};
use crate::generation::queue::{self, Job, JobRunner};
use crate::generation::steps::Done;
use crate::graphql::id::{GlobalId, NodeType};
use crate::notifications::service as notifications;
use crate::secrets::sha256_hex;

/// Longest caption accepted (Instagram's limit, the tightest of the platforms).
pub const MAX_CAPTION_CHARS: usize = 2200;

string_enum! {
    /// Where a publication stands.
    pub enum PublishStatus {
        /// Queued or being retried.
        Pending => "pending",
        /// On the platform (`externalPostId`).
        Published => "published",
        /// Given up (`error` says why).
        Failed => "failed",
    }
}

/// An asset published (or being published) through a connection.
#[derive(Debug, Clone, Queryable, Selectable, async_graphql::SimpleObject)]
#[diesel(table_name = published_posts, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct PublishedPost {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    #[graphql(skip)]
    pub asset_id: Uuid,
    #[graphql(skip)]
    pub connection_id: Option<Uuid>,
    /// The network it is published on.
    pub platform: SocialPlatform,
    /// The text published with the asset.
    pub caption: String,
    #[graphql(skip)]
    pub caption_hash: String,
    /// Where it stands.
    pub status: PublishStatus,
    /// The post's ID on the platform, once published.
    pub external_post_id: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When the platform accepted it.
    pub published_at: Option<DateTime<Utc>>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

#[async_graphql::ComplexObject]
impl PublishedPost {
    /// Opaque global ID.
    pub async fn id(&self) -> async_graphql::ID {
        GlobalId::uuid(NodeType::PublishedPost, self.id)
    }
}

/// What an adapter uploads.
pub struct Publication<'a> {
    /// The same on every retry of one post, so a platform that supports it
    /// never makes two posts of one (`Idempotency-Key`).
    pub idempotency_key: Uuid,
    pub caption: &'a str,
    pub name: &'a str,
    pub media_type: &'a str,
    pub media: &'a [u8],
}

/// Why an upload did not go through.
pub enum PublishError {
    /// Worth another try (a 5xx, a 429, the platform unreachable).
    Retryable(String),
    /// It will not work (a 4xx: the token, the media or the caption).
    Permanent(String),
}

/// One platform's publishing API.
#[async_trait]
pub trait PlatformAdapter: Send + Sync {
    /// Uploads the media with its caption; the platform's post ID.
    async fn publish(
        &self,
        http: &reqwest::Client,
        access_token: &str,
        publication: &Publication<'_>,
    ) -> Result<String, PublishError>;
}

/// The adapter of every configured platform: a JSON POST to its `publishUrl`
/// (`{caption, name, mediaType, media}` with the media in base64, the access
/// token as a bearer, the post's id as `Idempotency-Key`), answered `{"id": ...}`.
pub struct HttpAdapter {
    pub publish_url: String,
}

#[async_trait]
impl PlatformAdapter for HttpAdapter {
    async fn publish(
        &self,
        http: &reqwest::Client,
        access_token: &str,
        publication: &Publication<'_>,
    ) -> Result<String, PublishError> {
        let response = http
            .post(&self.publish_url)
            .bearer_auth(access_token)
            .header("idempotency-key", publication.idempotency_key.to_string())
            .json(&json!({
                "caption": publication.caption,
                "name": publication.name,
                "mediaType": publication.media_type,
                "media": STANDARD.encode(publication.media),
            }))
            .send()
            .await
            .map_err(|e| PublishError::Retryable(format!("platform unreachable: {e}")))?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(PublishError::Retryable(format!(
                "platform answered {status}"
            )));
        }
        if !status.is_success() {
            return Err(PublishError::Permanent(format!(
                "platform refused the post ({status})"
            )));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| PublishError::Retryable(format!("platform answer malformed: {e}")))?;
        match &body["id"] {
            serde_json::Value::String(s) if !s.is_empty() && s.len() <= 255 => Ok(s.clone()),
            serde_json::Value::Number(n) => Ok(n.to_string()),
            _ => Err(PublishError::Retryable(
                "platform answered no post id".into(),
            )),
        }
    }
}

fn adapter_for(app: &App, platform: SocialPlatform) -> Option<HttpAdapter> {
    app.config
        .social
        .platforms
        .get(platform.as_db_str())
        .and_then(|c| c.publish_url.clone())
        .map(|publish_url| HttpAdapter { publish_url })
}

/// Records the publication and queues its job; the same (asset, connection,
/// caption) again returns the first record and queues nothing.
pub async fn request(
    app: &App,
    user_id: Uuid,
    asset_id: Uuid,
    connection_id: Uuid,
    caption: &str,
) -> AppResult<PublishedPost> {
    let caption = caption.trim();
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(AppError::bad_input(
            "caption",
            format!("at most {MAX_CAPTION_CHARS} characters"),
        ));
    }
    let mut conn = app.db.conn().await?;
    let connection = super::service::owned(&mut conn, user_id, connection_id).await?;
    if connection.status != ConnectionStatus::Active {
        return Err(AppError::ConflictReason {
            reason: "CONNECTION_EXPIRED",
            message: "this connection has expired: connect the account again".into(),
        });
    }
    if adapter_for(app, connection.platform).is_none() {
        return Err(AppError::ProviderNotConfigured(format!(
            "publishing to {} is not configured on this server",
            connection.platform.as_db_str()
        )));
    }
    let caption_hash = sha256_hex(caption);
    let conn: &mut AsyncPgConnection = &mut conn;
    let (post, queued) = conn
        .transaction(async |conn| {
            let inserted: Option<PublishedPost> = diesel::insert_into(published_posts::table)
                .values((
                    published_posts::user_id.eq(user_id),
                    published_posts::asset_id.eq(asset_id),
                    published_posts::connection_id.eq(connection.id),
                    published_posts::platform.eq(connection.platform),
                    published_posts::caption.eq(caption),
                    published_posts::caption_hash.eq(&caption_hash),
                ))
                .on_conflict((
                    published_posts::asset_id,
                    published_posts::connection_id,
                    published_posts::caption_hash,
                ))
                .do_nothing()
                .returning(PublishedPost::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            if let Some(post) = inserted {
                let queued = queue::enqueue_publication(conn, post.id).await?;
                return Ok::<_, AppError>((post, queued));
            }
            // A retry of a request already made (perhaps at this very moment: the
            // unique index made this statement wait for it to commit).
            let existing: PublishedPost = published_posts::table
                .filter(published_posts::asset_id.eq(asset_id))
                .filter(published_posts::connection_id.eq(connection.id))
                .filter(published_posts::caption_hash.eq(&caption_hash))
                .select(PublishedPost::as_select())
                .first(conn)
                .await?;
            Ok((existing, false))
        })
        .await?;
    if queued {
        app.generation_wakeup.notify_waiters();
    }
    Ok(post)
}

/// The user's post `id` (`None` for anyone else's).
pub async fn owned(app: &App, user_id: Uuid, id: Uuid) -> AppResult<Option<PublishedPost>> {
    let mut conn = app.db.conn().await?;
    Ok(published_posts::table
        .find(id)
        .filter(published_posts::user_id.eq(user_id))
        .select(PublishedPost::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

/// Ends a pending post (published or failed) with its notification, once.
async fn settle(app: &App, post: &PublishedPost, outcome: Result<&str, &str>) -> AppResult<()> {
    let mut conn = app.worker_db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let notification = conn
        .transaction(async |conn| {
            let (status, external, error, kind, message) = match outcome {
                Ok(external) => (
                    PublishStatus::Published,
                    Some(external.to_string()),
                    None,
                    "social_post_published",
                    format!("Your asset is published on {}.", post.platform.as_db_str()),
                ),
                Err(why) => (
                    PublishStatus::Failed,
                    None,
                    Some(why.to_string()),
                    "social_post_failed",
                    format!(
                        "Publishing your asset on {} failed: {why}",
                        post.platform.as_db_str()
                    ),
                ),
            };
            let updated = diesel::update(published_posts::table.find(post.id))
                .filter(published_posts::status.eq(PublishStatus::Pending))
                .set((
                    published_posts::status.eq(status),
                    published_posts::external_post_id.eq(&external),
                    published_posts::error.eq(&error),
                    published_posts::published_at.eq(external.as_ref().map(|_| Utc::now())),
                ))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Ok::<_, AppError>(None);
            }
            let notification = notifications::create(
                conn,
                post.user_id,
                kind,
                &message,
                json!({
                    "publishedPostId": GlobalId::uuid(NodeType::PublishedPost, post.id).to_string(),
                    "platform": post.platform.as_db_str(),
                    "externalPostId": external,
                }),
            )
            .await?;
            Ok(Some(notification))
        })
        .await?;
    if let Some(notification) = notification {
        notifications::publish(app, &notification).await;
    }
    Ok(())
}

async fn load_post(app: &App, id: Uuid) -> AppResult<Option<PublishedPost>> {
    let mut conn = app.worker_db.conn().await?;
    Ok(published_posts::table
        .find(id)
        .select(PublishedPost::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

/// One attempt of a publication job.
async fn run(app: &App, post_id: Uuid) -> AppResult<Done> {
    let Some(post) = load_post(app, post_id).await? else {
        return Ok(Done::Done);
    };
    if post.status != PublishStatus::Pending {
        return Ok(Done::Done);
    }
    let mut conn = app.worker_db.conn().await?;
    let connection: Option<SocialMediaConnection> = match post.connection_id {
        Some(id) => super::service::owned(&mut conn, post.user_id, id)
            .await
            .ok(),
        None => None,
    };
    drop(conn);
    let Some(connection) = connection.filter(|c| c.status == ConnectionStatus::Active) else {
        settle(app, &post, Err("the connection is gone or has expired")).await?;
        return Ok(Done::Done);
    };
    let Some(adapter) = adapter_for(app, connection.platform) else {
        settle(
            app,
            &post,
            Err("publishing to this platform is no longer configured"),
        )
        .await?;
        return Ok(Done::Done);
    };
    let Some((asset, media)) = crate::studio::service::assets::file_of(app, post.asset_id)
        .await
        .map_err(AppError::internal)?
    else {
        settle(app, &post, Err("the asset is gone")).await?;
        return Ok(Done::Done);
    };
    let access_token = app
        .secret_box
        .open(&connection.access_token)
        .map_err(AppError::internal)?;
    let publication = Publication {
        idempotency_key: post.id,
        caption: &post.caption,
        name: &asset.name,
        media_type: &asset.mime_type,
        media: &media,
    };
    match adapter
        .publish(&app.http, &access_token, &publication)
        .await
    {
        Ok(external) => {
            settle(app, &post, Ok(&external)).await?;
            Ok(Done::Done)
        }
        Err(PublishError::Retryable(why)) => Ok(Done::Retry(why)),
        Err(PublishError::Permanent(why)) => {
            settle(app, &post, Err(&why)).await?;
            Ok(Done::Done)
        }
    }
}

/// The queue's handler for publication jobs (and the connections' refresh).
#[derive(Debug)]
pub struct PublishJobs;

#[async_trait]
impl JobRunner for PublishJobs {
    async fn run(&self, app: &std::sync::Arc<App>, job: &Job) -> AppResult<Done> {
        match job.published_post_id {
            Some(post_id) => run(app, post_id).await,
            None => Err(AppError::internal(anyhow::anyhow!(
                "job {} has no target",
                job.id
            ))),
        }
    }

    async fn fail(&self, app: &App, job: &Job, error: String) -> AppResult<()> {
        let post = match job.published_post_id {
            Some(id) => load_post(app, id).await?,
            None => None,
        };
        let Some(post) = post else {
            return Ok(());
        };
        settle(app, &post, Err(&error)).await
    }

    async fn background(
        &self,
        app: std::sync::Arc<App>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        super::service::keep_fresh(app, shutdown).await
    }
}
