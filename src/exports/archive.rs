//! Building an export's ZIP. Entries are written one after the other to a
//! temporary file (asset files streamed from storage chunk by chunk), then the
//! file is uploaded in parts: memory stays flat whatever the export's size.
//!
//! The layout (README "Data exports"):
//! `manifest.json` (format, kind, ids, counts, and every file with its size and
//! SHA-256), `account.json` (account exports), `<section>/<id>.json` (one JSON
//! document per entity, its columns as stored), `files/<asset id>/<name>` (the
//! asset's bytes, exactly as stored).

use std::io::{Seek, Write};

use anyhow::Context;

use chrono::Utc;
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::model::{DataExportKind, UserDataExport};
use crate::app::App;

/// The `format` of `manifest.json`; bumped when the layout changes.
pub const FORMAT: &str = "atelier-export/1";

/// One folder of JSON documents: a query with `$1` the user, returning `id`
/// and `doc` (the row as JSON).
struct Section {
    name: &'static str,
    sql: &'static str,
}

const TEAM_MEMBERSHIPS: Section = Section {
    name: "team_memberships",
    sql: "SELECT m.id, to_jsonb(m) || jsonb_build_object('team_name', t.name) AS doc \
          FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1",
};
const BRAND_KITS: Section = Section {
    name: "brand_kits",
    sql: "SELECT id, to_jsonb(b) AS doc FROM brand_kits b WHERE user_id = $1",
};
const TEMPLATES: Section = Section {
    name: "templates",
    sql: "SELECT id, to_jsonb(t) AS doc FROM templates t WHERE user_id = $1",
};
const WORKBENCHES: Section = Section {
    name: "workbenches",
    sql: "SELECT id, to_jsonb(w) AS doc FROM workbenches w WHERE user_id = $1",
};
const PROJECTS: Section = Section {
    name: "projects",
    sql: "SELECT id, to_jsonb(p) AS doc FROM projects p WHERE user_id = $1",
};
const GENERATION_REQUESTS: Section = Section {
    name: "generation_requests",
    sql: "SELECT id, to_jsonb(g) AS doc FROM generation_requests g WHERE user_id = $1",
};
const CREDIT_TRANSACTIONS: Section = Section {
    name: "credit_transactions",
    sql: "SELECT id, to_jsonb(c) AS doc FROM credit_transactions c WHERE user_id = $1",
};
const FEEDBACK: Section = Section {
    name: "model_feedback",
    sql: "SELECT id, to_jsonb(f) AS doc FROM ai_model_feedback f WHERE user_id = $1",
};
const NOTIFICATIONS: Section = Section {
    name: "notifications",
    sql: "SELECT id, to_jsonb(n) AS doc FROM notifications n WHERE user_id = $1",
};
// The secret's hash stays out.
const API_CLIENTS: Section = Section {
    name: "api_clients",
    sql: "SELECT id, to_jsonb(a) - 'secret_hash' AS doc FROM api_clients a WHERE user_id = $1",
};
const SHOWCASE_PROJECTS: Section = Section {
    name: "projects",
    sql: "SELECT id, to_jsonb(p) AS doc FROM projects p WHERE id IN \
          (SELECT project_id FROM assets WHERE user_id = $1 AND is_final AND deleted_at IS NULL)",
};
const MODELS: Section = Section {
    name: "models",
    sql: "SELECT id, to_jsonb(m) AS doc FROM ai_models m WHERE id IN \
          (SELECT v.model_id FROM generation_requests g \
           JOIN ai_model_versions v ON v.id = g.ai_model_version_id WHERE g.user_id = $1)",
};
const MODEL_VERSIONS: Section = Section {
    name: "model_versions",
    sql: "SELECT id, to_jsonb(v) AS doc FROM ai_model_versions v WHERE id IN \
          (SELECT ai_model_version_id FROM generation_requests WHERE user_id = $1)",
};

/// Which assets (with their files) an export holds: a condition on `assets a`.
fn assets_of(kind: DataExportKind) -> Option<&'static str> {
    match kind {
        DataExportKind::Account => Some("a.user_id = $1 AND a.deleted_at IS NULL"),
        DataExportKind::Showcase => Some("a.user_id = $1 AND a.is_final AND a.deleted_at IS NULL"),
        DataExportKind::Dataset => {
            Some("a.user_id = $1 AND a.generation_request_id IS NOT NULL AND a.deleted_at IS NULL")
        }
        DataExportKind::Model => None,
    }
}

fn sections_of(kind: DataExportKind) -> &'static [Section] {
    match kind {
        DataExportKind::Account => &[
            TEAM_MEMBERSHIPS,
            BRAND_KITS,
            TEMPLATES,
            WORKBENCHES,
            PROJECTS,
            GENERATION_REQUESTS,
            CREDIT_TRANSACTIONS,
            FEEDBACK,
            NOTIFICATIONS,
            API_CLIENTS,
        ],
        DataExportKind::Showcase => &[SHOWCASE_PROJECTS],
        DataExportKind::Dataset => &[GENERATION_REQUESTS],
        DataExportKind::Model => &[MODELS, MODEL_VERSIONS, GENERATION_REQUESTS, FEEDBACK],
    }
}

#[derive(QueryableByName)]
struct Doc {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Jsonb)]
    doc: Value,
}

#[derive(QueryableByName)]
struct AssetFile {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    file_path: String,
    #[diesel(sql_type = Jsonb)]
    doc: Value,
}

/// The account's own fields; hashes, tokens and the MFA secret stay out.
const ACCOUNT_SQL: &str = "SELECT id, to_jsonb(u) - 'password_hash' - 'email_verification_token' \
     - 'email_verification_expires' - 'password_reset_token' - 'password_reset_expires' \
     - 'mfa_secret' - 'mfa_last_used_step' AS doc FROM users u WHERE id = $1";

/// A name safe as one path segment inside the ZIP.
fn safe_segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .take(200)
        .collect();
    match cleaned.trim() {
        "" | "." | ".." => "file".into(),
        other => other.to_string(),
    }
}

/// The finished ZIP, in storage.
pub struct Built {
    pub key: String,
    pub bytes: u64,
}

/// Where an export's ZIP is kept.
pub fn storage_key(export: &UserDataExport) -> String {
    format!("exports/{}/{}.zip", export.user_id, export.id)
}

fn json_entry(zip: &mut ZipWriter<std::fs::File>, path: &str, value: &Value) -> anyhow::Result<()> {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file(path, options)?;
    serde_json::to_writer_pretty(&mut *zip, value)?;
    Ok(())
}

/// Builds the ZIP of `export` into storage.
pub async fn build(
    app: &App,
    conn: &mut AsyncPgConnection,
    export: &UserDataExport,
) -> anyhow::Result<Built> {
    let user_id = export.user_id;
    let mut zip =
        ZipWriter::new(tempfile::tempfile().context("no room for the archive on the server")?);
    let mut counts = Map::new();

    if export.kind == DataExportKind::Account {
        let account: Doc = diesel::sql_query(ACCOUNT_SQL)
            .bind::<SqlUuid, _>(user_id)
            .get_result(conn)
            .await
            .context("the account could not be read")?;
        json_entry(&mut zip, "account.json", &account.doc)?;
    }
    for section in sections_of(export.kind) {
        let docs: Vec<Doc> = diesel::sql_query(section.sql)
            .bind::<SqlUuid, _>(user_id)
            .load(conn)
            .await
            .with_context(|| format!("the {} could not be read", section.name))?;
        counts.insert(section.name.into(), json!(docs.len()));
        for doc in docs {
            json_entry(
                &mut zip,
                &format!("{}/{}.json", section.name, doc.id),
                &doc.doc,
            )?;
        }
    }

    let mut files = Vec::new();
    if let Some(condition) = assets_of(export.kind) {
        let assets: Vec<AssetFile> = diesel::sql_query(format!(
            "SELECT a.id, a.name::text AS name, a.file_path::text AS file_path, \
             to_jsonb(a) - 'file_path' AS doc FROM assets a WHERE {condition} ORDER BY a.created_at, a.id"
        ))
        .bind::<SqlUuid, _>(user_id)
        .load(conn)
        .await
        .context("the assets could not be read")?;
        counts.insert("assets".into(), json!(assets.len()));
        for asset in assets {
            let path = format!("files/{}/{}", asset.id, safe_segment(&asset.name));
            let unreadable = || format!("the file of asset {} could not be read", asset.id);
            let (size, mut chunks) = app
                .storage
                .get_stream(&asset.file_path)
                .await
                .with_context(unreadable)?;
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Stored)
                .large_file(size >= u64::from(u32::MAX));
            zip.start_file(path.as_str(), options)?;
            let mut hasher = Sha256::new();
            let mut written = 0u64;
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.with_context(unreadable)?;
                hasher.update(&chunk);
                zip.write_all(&chunk)?;
                written += chunk.len() as u64;
            }
            let sha256 = data_encoding::HEXLOWER.encode(&hasher.finalize());
            let mut doc = asset.doc;
            if let Some(fields) = doc.as_object_mut() {
                fields.insert("file".into(), json!(path));
            }
            json_entry(&mut zip, &format!("assets/{}.json", asset.id), &doc)?;
            files.push(
                json!({"path": path, "assetId": asset.id, "bytes": written, "sha256": sha256}),
            );
        }
    }

    let manifest = json!({
        "format": FORMAT,
        "exportId": export.id,
        "userId": user_id,
        "kind": export.kind.as_db_str(),
        "generatedAt": Utc::now(),
        "counts": counts,
        "files": files,
    });
    json_entry(&mut zip, "manifest.json", &manifest)?;
    let mut file = zip.finish()?;
    file.rewind()?;
    let key = storage_key(export);
    let bytes = app
        .storage
        .put_file(&key, &mut file)
        .await
        .context("the archive could not be stored")?;
    Ok(Built { key, bytes })
}
