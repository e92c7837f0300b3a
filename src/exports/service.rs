//! Export rules: one export in progress per user, the job's outcome recorded
//! with its notification, signed download links, and the removal of old files.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::archive::Built;
use super::model::{DataExportKind, DataExportStatus, UserDataExport};
use crate::app::App;
use crate::db::schema::user_data_exports;
use crate::error::{AppError, AppResult};
use crate::graphql::pagination::Window;
use crate::notifications::model::Notification;

/// Queues an export of `kind` for the user; `CONFLICT` while another one is
/// still being built (the partial unique index `uq_userdataexport_one_pending`
/// settles two requests at once).
pub async fn request(app: &App, user_id: Uuid, kind: DataExportKind) -> AppResult<UserDataExport> {
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let export = conn
        .transaction(async |conn| {
            let pending: i64 = user_data_exports::table
                .filter(user_data_exports::user_id.eq(user_id))
                .filter(user_data_exports::status.eq(DataExportStatus::Pending))
                .count()
                .get_result(conn)
                .await?;
            if pending > 0 {
                return Err(already_running());
            }
            let export: UserDataExport = diesel::insert_into(user_data_exports::table)
                .values((
                    user_data_exports::user_id.eq(user_id),
                    user_data_exports::kind.eq(kind),
                    user_data_exports::status.eq(DataExportStatus::Pending),
                ))
                .returning(UserDataExport::as_returning())
                .get_result(conn)
                .await
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => already_running(),
                    other => other,
                })?;
            crate::generation::queue::enqueue_export(conn, export.id).await?;
            Ok::<_, AppError>(export)
        })
        .await?;
    app.generation_wakeup.notify_waiters();
    Ok(export)
}

fn already_running() -> AppError {
    AppError::Conflict("an export of yours is still being built; wait for it to finish".into())
}

pub async fn count_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<i64> {
    Ok(user_data_exports::table
        .filter(user_data_exports::user_id.eq(user_id))
        .count()
        .get_result(conn)
        .await?)
}

/// A page of the user's exports, newest first.
pub async fn page_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    window: Window,
) -> AppResult<Vec<UserDataExport>> {
    Ok(user_data_exports::table
        .filter(user_data_exports::user_id.eq(user_id))
        .order((
            user_data_exports::requested_at.desc(),
            user_data_exports::id.asc(),
        ))
        .offset(window.offset)
        .limit(window.limit)
        .select(UserDataExport::as_select())
        .load(conn)
        .await?)
}

/// Records the built file; false when the export was no longer pending.
pub async fn complete(
    app: &App,
    conn: &mut AsyncPgConnection,
    export: &UserDataExport,
    built: &Built,
) -> AppResult<bool> {
    let ttl = chrono::TimeDelta::from_std(app.config.sharing.data_export_ttl)
        .map_err(AppError::internal)?;
    let now = Utc::now();
    let notification = conn
        .transaction(async |conn| {
            let updated = diesel::update(user_data_exports::table.find(export.id))
                .filter(user_data_exports::status.eq(DataExportStatus::Pending))
                .set((
                    user_data_exports::status.eq(DataExportStatus::Completed),
                    user_data_exports::file_path.eq(&built.key),
                    user_data_exports::byte_size.eq(built.bytes as i64),
                    user_data_exports::completed_at.eq(now),
                    user_data_exports::expires_at.eq(now + ttl),
                ))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Ok(None);
            }
            let notification = crate::notifications::service::create(
                conn,
                export.user_id,
                "data_export_completed",
                &format!(
                    "Your {} export is ready to download until {}",
                    export.kind.as_db_str(),
                    (now + ttl).format("%Y-%m-%d %H:%M UTC")
                ),
                json!({"dataExportId": export.id, "kind": export.kind.as_db_str()}),
            )
            .await?;
            Ok::<_, AppError>(Some(notification))
        })
        .await?;
    announce(app, notification.as_ref()).await;
    Ok(notification.is_some())
}

/// Records why the export failed, for good.
pub async fn fail(
    app: &App,
    conn: &mut AsyncPgConnection,
    export_id: Uuid,
    reason: &str,
) -> AppResult<()> {
    let notification = conn
        .transaction(async |conn| {
            let failed: Option<UserDataExport> =
                diesel::update(user_data_exports::table.find(export_id))
                    .filter(user_data_exports::status.eq(DataExportStatus::Pending))
                    .set((
                        user_data_exports::status.eq(DataExportStatus::Failed),
                        user_data_exports::failure_reason.eq(reason),
                        user_data_exports::completed_at.eq(Utc::now()),
                    ))
                    .returning(UserDataExport::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?;
            let Some(failed) = failed else {
                return Ok(None);
            };
            let notification = crate::notifications::service::create(
                conn,
                failed.user_id,
                "data_export_failed",
                &format!(
                    "Your {} export could not be built: {reason}",
                    failed.kind.as_db_str()
                ),
                json!({"dataExportId": failed.id, "kind": failed.kind.as_db_str()}),
            )
            .await?;
            Ok::<_, AppError>(Some(notification))
        })
        .await?;
    announce(app, notification.as_ref()).await;
    Ok(())
}

async fn announce(app: &App, notification: Option<&Notification>) {
    if let Some(notification) = notification {
        crate::notifications::service::publish(app, notification).await;
    }
}

fn download_message(export_id: Uuid, expires: i64) -> String {
    // A prefix of its own, so an asset link's signature never opens an export.
    format!("export:{export_id}:{expires}")
}

/// A signed link to the export's ZIP, valid `DOWNLOAD_URL_TTL_SECONDS` (and
/// never past the export's own expiry).
pub fn download_url(app: &App, export: &UserDataExport) -> Option<String> {
    if !export.downloadable() {
        return None;
    }
    let mut expires = Utc::now().timestamp() + app.config.storage.download_url_ttl.as_secs() as i64;
    if let Some(at) = export.expires_at {
        expires = expires.min(at.timestamp());
    }
    let signature = app.url_signer.sign(&download_message(export.id, expires));
    Some(format!(
        "{}/exports/{}?expires={expires}&signature={signature}",
        app.config.mail.public_url, export.id
    ))
}

/// Whether a download link's signature holds and it has not expired.
pub fn check_download(app: &App, export_id: Uuid, expires: i64, signature: &str) -> bool {
    expires >= Utc::now().timestamp()
        && app
            .url_signer
            .verify(&download_message(export_id, expires), signature)
}

/// The export a verified link names, its size and its bytes as a stream.
pub async fn file_of(
    app: &App,
    export_id: Uuid,
) -> anyhow::Result<
    Option<(
        UserDataExport,
        u64,
        futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    )>,
> {
    let mut conn = app.db.conn().await?;
    let Some(export) = super::model::by_id(&mut conn, export_id).await? else {
        return Ok(None);
    };
    let Some(key) = export.file_path.clone().filter(|_| export.downloadable()) else {
        return Ok(None);
    };
    drop(conn);
    let (size, stream) = app.storage.get_stream(&key).await?;
    Ok(Some((export, size, stream)))
}

/// Removes the files of exports past their expiry; the rows stay, marked.
pub async fn sweep_expired(app: &App) -> AppResult<usize> {
    let mut conn = app.worker_db.conn().await?;
    let due: Vec<(Uuid, Option<String>)> = user_data_exports::table
        .filter(user_data_exports::expires_at.le(Utc::now()))
        .filter(user_data_exports::removed_at.is_null())
        .select((user_data_exports::id, user_data_exports::file_path))
        .limit(100)
        .load(&mut conn)
        .await?;
    let mut removed = 0;
    for (id, key) in due {
        if let Some(key) = key {
            // A file already gone is what the sweep wants anyway.
            let gone = |e: &anyhow::Error| {
                matches!(
                    e.downcast_ref::<object_store::Error>(),
                    Some(object_store::Error::NotFound { .. })
                )
            };
            if let Err(e) =
                app.storage
                    .delete(&key)
                    .await
                    .or_else(|e| if gone(&e) { Ok(()) } else { Err(e) })
            {
                tracing::warn!(error = %e, %id, "could not remove an expired export's file");
                continue;
            }
        }
        diesel::update(user_data_exports::table.find(id))
            .set((
                user_data_exports::removed_at.eq(diesel::dsl::now),
                user_data_exports::file_path.eq(None::<String>),
            ))
            .execute(&mut conn)
            .await?;
        removed += 1;
    }
    Ok(removed)
}
