//! What other domains may ask of studio: the generation pipeline records its
//! images as assets and paints with a project's brand colours through these
//! functions, never through studio's tables.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::{assets, brand_kits, projects, workbenches};
use crate::error::AppResult;
use crate::studio::model::AssetType;

/// An image a generation made and stored, waiting for its asset row.
#[derive(Debug, Clone)]
pub struct GeneratedAsset {
    /// Fixed by the caller, so a retried job finds the asset it already made.
    pub id: Uuid,
    pub name: String,
    /// The storage key of the file.
    pub file_path: String,
    pub mime_type: &'static str,
    pub format: &'static str,
    pub resolution: String,
    pub is_final: bool,
    pub metadata: Value,
}

/// Whose generated assets they are.
#[derive(Debug, Clone, Copy)]
pub struct GeneratedFor {
    pub project_id: Option<Uuid>,
    pub user_id: Uuid,
    pub generation_request_id: Uuid,
}

#[derive(Insertable)]
#[diesel(table_name = assets)]
struct NewGeneratedAsset<'a> {
    id: Uuid,
    project_id: Option<Uuid>,
    user_id: Uuid,
    generation_request_id: Option<Uuid>,
    name: &'a str,
    type_: AssetType,
    file_path: &'a str,
    mime_type: &'a str,
    format: &'a str,
    resolution: Option<&'a str>,
    is_final: bool,
    metadata: Option<&'a Value>,
}

/// Records generated images as `AIGenerated` assets of the project, inside the
/// caller's transaction. An asset that already exists (a retried job) is kept.
pub async fn insert_generated_assets(
    conn: &mut AsyncPgConnection,
    owner: GeneratedFor,
    generated: &[GeneratedAsset],
) -> AppResult<()> {
    if generated.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewGeneratedAsset<'_>> = generated
        .iter()
        .map(|asset| NewGeneratedAsset {
            id: asset.id,
            project_id: owner.project_id,
            user_id: owner.user_id,
            generation_request_id: Some(owner.generation_request_id),
            name: &asset.name,
            type_: AssetType::AiGenerated,
            file_path: &asset.file_path,
            mime_type: asset.mime_type,
            format: asset.format,
            resolution: Some(&asset.resolution),
            is_final: asset.is_final,
            metadata: Some(&asset.metadata),
        })
        .collect();
    diesel::insert_into(assets::table)
        .values(&rows)
        .on_conflict(assets::id)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// The `colors` of the brand kit a project paints with: its own kit, else its
/// workbench's default; `None` when it has neither (or is gone).
pub async fn brand_colors_of_project(
    conn: &mut AsyncPgConnection,
    project_id: Uuid,
) -> AppResult<Option<Value>> {
    let kit: Option<(Option<Uuid>, Option<Uuid>)> = projects::table
        .inner_join(workbenches::table)
        .filter(projects::id.eq(project_id))
        .select((projects::brand_kit_id, workbenches::default_brand_kit_id))
        .first(conn)
        .await
        .optional()?;
    let Some(kit_id) = kit.and_then(|(own, default)| own.or(default)) else {
        return Ok(None);
    };
    Ok(brand_kits::table
        .find(kit_id)
        .select(brand_kits::colors)
        .first(conn)
        .await
        .optional()?)
}
