//! Assets: uploads sniffed from their bytes, stored through `Storage`, and served
//! back through signed, expiring URLs; versions numbered 1, 2, 3... per asset.

use std::io::Cursor;

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::db::schema::{asset_versions, assets};
use crate::error::{AppError, AppResult};
use crate::studio::model::{Asset, AssetType, AssetVersion};

/// The formats accepted for upload, recognised from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub format: &'static str,
    pub mime_type: &'static str,
    image: Option<image::ImageFormat>,
}

pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let image = image::guess_format(bytes).ok()?;
    let (format, mime_type) = match image {
        image::ImageFormat::Png => ("png", "image/png"),
        image::ImageFormat::Jpeg => ("jpeg", "image/jpeg"),
        image::ImageFormat::WebP => ("webp", "image/webp"),
        image::ImageFormat::Gif => ("gif", "image/gif"),
        _ => return None,
    };
    Some(Sniffed {
        format,
        mime_type,
        image: Some(image),
    })
}

/// `WIDTHxHEIGHT` read from the image header (the pixels are not decoded).
fn resolution(bytes: &[u8], sniffed: Sniffed) -> AppResult<Option<String>> {
    let Some(format) = sniffed.image else {
        return Ok(None);
    };
    let reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|_| AppError::bad_input("file", "the image is damaged or truncated"))?;
    Ok(Some(format!("{width}x{height}")))
}

/// A file as it arrived.
pub struct Upload {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Everything an upload is checked for before it is stored: its size, its format
/// (from its bytes), its claimed `Content-Type` against that format, and its
/// header's dimensions. Pure, so the fuzz target `upload` runs the same checks.
pub fn check_file(
    bytes: &[u8],
    content_type: Option<&str>,
    max_upload_bytes: u64,
) -> AppResult<(Sniffed, Option<String>)> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(AppError::bad_input("file", "the file is empty"));
    }
    if size > max_upload_bytes {
        return Err(AppError::bad_input(
            "file",
            format!(
                "the file is larger than {} MiB",
                max_upload_bytes / (1024 * 1024)
            ),
        ));
    }
    let sniffed = sniff(bytes).ok_or_else(|| {
        AppError::bad_input("file", "only PNG, JPEG, WebP and GIF images are accepted")
    })?;
    if let Some(claimed) = content_type.filter(|c| !c.is_empty()) {
        let claimed = claimed
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let generic = claimed == "application/octet-stream";
        if !generic && claimed != sniffed.mime_type {
            return Err(AppError::bad_input(
                "file",
                format!(
                    "the file claims to be {claimed} but its bytes are {}",
                    sniffed.mime_type
                ),
            ));
        }
    }
    let resolution = resolution(bytes, sniffed)?;
    Ok((sniffed, resolution))
}

/// Checks and stores an upload, then records it. The file is written first and
/// removed again if the row cannot be written, so a failure leaves neither.
pub async fn upload(
    app: &App,
    user_id: Uuid,
    project_id: Uuid,
    name: String,
    file: Upload,
) -> AppResult<Asset> {
    let size = file.bytes.len() as u64;
    let (sniffed, resolution) = check_file(
        &file.bytes,
        file.content_type.as_deref(),
        app.storage.max_upload_bytes,
    )?;
    let id = Uuid::new_v4();
    let key = format!("assets/{project_id}/{id}.{}", sniffed.format);
    app.storage
        .put(&key, file.bytes)
        .await
        .map_err(AppError::storage)?;

    let inserted = async {
        let mut conn = app.db.conn().await?;
        let asset: Asset = diesel::insert_into(assets::table)
            .values((
                assets::id.eq(id),
                assets::project_id.eq(Some(project_id)),
                assets::user_id.eq(user_id),
                assets::name.eq(&name),
                assets::type_.eq(AssetType::Uploaded),
                assets::file_path.eq(&key),
                assets::mime_type.eq(sniffed.mime_type),
                assets::format.eq(sniffed.format),
                assets::resolution.eq(&resolution),
                assets::metadata.eq(Some(json!({
                    "sizeBytes": size,
                    "originalFilename": file.filename,
                }))),
            ))
            .returning(Asset::as_returning())
            .get_result(&mut conn)
            .await?;
        crate::credits::usage::record(
            &mut conn,
            crate::credits::usage::UsageEntry {
                user_id: Some(user_id),
                action_type: "asset_uploaded",
                details: Some(json!({"assetId": id, "format": sniffed.format, "sizeBytes": size})),
                ..Default::default()
            },
        )
        .await?;
        Ok::<_, AppError>(asset)
    }
    .await;
    if inserted.is_err() {
        if let Err(e) = app.storage.delete(&key).await {
            tracing::error!(error = %e, key, "could not remove the file of a failed upload");
        }
    }
    inserted
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = assets)]
pub struct AssetChanges {
    pub name: Option<String>,
    pub is_final: Option<bool>,
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    asset: &Asset,
    changes: AssetChanges,
) -> AppResult<Asset> {
    if changes.name.is_none() && changes.is_final.is_none() {
        return Ok(asset.clone());
    }
    Ok(diesel::update(assets::table.find(asset.id))
        .set(&changes)
        .returning(Asset::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn set_deleted(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    deleted: bool,
) -> AppResult<Asset> {
    Ok(diesel::update(assets::table.find(id))
        .set(assets::deleted_at.eq(deleted.then(Utc::now)))
        .returning(Asset::as_returning())
        .get_result(conn)
        .await?)
}

/// The next version of an asset. The asset row is locked for the transaction, so
/// concurrent calls queue and number 1, 2, 3... without gaps; the unique index on
/// (asset, number) is the backstop.
pub async fn create_version(
    conn: &mut AsyncPgConnection,
    asset: &Asset,
    user_id: Uuid,
    description: Option<String>,
    state_data: Option<serde_json::Value>,
) -> AppResult<AssetVersion> {
    let (asset_id, project_id, file_path) = (asset.id, asset.project_id, asset.file_path.clone());
    conn.transaction(async |conn| {
        assets::table
            .find(asset_id)
            .select(assets::id)
            .for_update()
            .first::<Uuid>(conn)
            .await?;
        let last: Option<i32> = asset_versions::table
            .filter(asset_versions::asset_id.eq(asset_id))
            .select(diesel::dsl::max(asset_versions::version_number))
            .first(conn)
            .await?;
        Ok(diesel::insert_into(asset_versions::table)
            .values((
                asset_versions::asset_id.eq(Some(asset_id)),
                asset_versions::project_id.eq(project_id),
                asset_versions::version_number.eq(last.unwrap_or(0) + 1),
                asset_versions::file_path.eq(Some(&file_path)),
                asset_versions::state_data.eq(&state_data),
                asset_versions::description.eq(&description),
                asset_versions::created_by_user_id.eq(Some(user_id)),
            ))
            .returning(AssetVersion::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

/// The message a download URL signs: the asset and the expiry.
fn download_message(asset_id: Uuid, expires: i64) -> String {
    format!("{asset_id}:{expires}")
}

/// A URL of this server that serves the file until it expires.
pub fn download_url(app: &App, asset_id: Uuid) -> String {
    let expires = Utc::now().timestamp() + app.config.storage.download_url_ttl.as_secs() as i64;
    let signature = app.url_signer.sign(&download_message(asset_id, expires));
    format!(
        "{}/files/{asset_id}?expires={expires}&signature={signature}",
        app.config.mail.public_url
    )
}

/// The asset a download URL names, if its signature holds and it has not expired.
pub fn check_download(app: &App, asset_id: Uuid, expires: i64, signature: &str) -> bool {
    expires >= Utc::now().timestamp()
        && app
            .url_signer
            .verify(&download_message(asset_id, expires), signature)
}

/// The asset (live, in a live project or none) and its bytes, for a verified download.
pub async fn file_of(app: &App, asset_id: Uuid) -> anyhow::Result<Option<(Asset, Vec<u8>)>> {
    use crate::db::schema::projects;
    let mut conn = app.db.conn().await?;
    let asset: Option<Asset> = assets::table
        .left_join(projects::table)
        .filter(assets::id.eq(asset_id))
        .filter(assets::deleted_at.is_null())
        .filter(projects::deleted_at.is_null())
        .select(Asset::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let Some(asset) = asset else {
        return Ok(None);
    };
    let bytes = app.storage.get(&asset.file_path).await?;
    Ok(Some((asset, bytes)))
}
