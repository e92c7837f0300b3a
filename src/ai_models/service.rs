//! The registry's rules and transactions: models, versions and their statuses,
//! validation results. Every change is a platform admin's action and writes its
//! audit row in its own transaction. Validation: `validation.rs`; deployments and
//! routing: `deployments.rs`.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::model::{AiModel, AiModelVersion, AiModelVersionStatus, AiTaskType};
use super::{parameters, state};
use crate::admin::audit::{self, Actor, Entry};
use crate::app::App;
use crate::db::schema::{ai_model_versions, ai_models};
use crate::error::{AppError, AppResult};

/// Why a move is refused (`extensions.reason`).
pub mod reason {
    /// The status machine has no such move.
    pub const INVALID_TRANSITION: &str = "INVALID_TRANSITION";
    /// No validation result recorded for the version.
    pub const NOT_VALIDATED: &str = "NOT_VALIDATED";
    /// The latest validation did not pass both checks.
    pub const VALIDATION_NOT_PASSED: &str = "VALIDATION_NOT_PASSED";
    /// The version cannot serve (Failed or Archived).
    pub const VERSION_NOT_DEPLOYABLE: &str = "VERSION_NOT_DEPLOYABLE";
    /// Nothing to roll back to.
    pub const NO_PREVIOUS_DEPLOYMENT: &str = "NO_PREVIOUS_DEPLOYMENT";
}

fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::bad_input(field, format!("1 to {max} characters")));
    }
    Ok(value.to_string())
}

fn optional(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    crate::studio::service::validate::optional_text(field, value, max)
}

fn to_json<T: serde::Serialize>(row: &T) -> Option<Value> {
    serde_json::to_value(row).ok()
}

/// What `createAiModel` takes.
pub struct NewModel {
    pub name: String,
    pub description: Option<String>,
    pub provider: String,
    pub task_type: AiTaskType,
    pub is_active: bool,
}

pub async fn create_model(app: &App, actor: &Actor, new: NewModel) -> AppResult<AiModel> {
    let name = text("name", &new.name, 100)?;
    let provider = text("provider", &new.provider, 50)?;
    let description = optional("description", new.description, 10_000)?;
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let model: AiModel = diesel::insert_into(ai_models::table)
            .values((
                ai_models::name.eq(&name),
                ai_models::description.eq(&description),
                ai_models::provider.eq(&provider),
                ai_models::task_type.eq(new.task_type),
                ai_models::is_active.eq(new.is_active),
            ))
            .returning(AiModel::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, model_entry("ai_model.create", None, &model)).await?;
        Ok(model)
    })
    .await
}

fn model_entry<'a>(action: &'a str, before: Option<&AiModel>, after: &AiModel) -> Entry<'a> {
    Entry {
        action,
        target_type: "AIModel",
        target_id: Some(after.id.to_string()),
        before: before.and_then(to_json),
        after: to_json(after),
    }
}

/// What `updateAiModel` changes (`None`: unchanged).
#[derive(Default)]
pub struct ModelChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub provider: Option<String>,
    pub task_type: Option<AiTaskType>,
    pub is_active: Option<bool>,
}

#[derive(AsChangeset)]
#[diesel(table_name = ai_models)]
struct ModelChangeset {
    name: Option<String>,
    description: Option<Option<String>>,
    provider: Option<String>,
    task_type: Option<AiTaskType>,
    is_active: Option<bool>,
}

pub async fn update_model(
    app: &App,
    actor: &Actor,
    id: Uuid,
    changes: ModelChanges,
) -> AppResult<AiModel> {
    let set = ModelChangeset {
        name: changes.name.map(|n| text("name", &n, 100)).transpose()?,
        description: match changes.description {
            Some(d) => Some(optional("description", d, 10_000)?),
            None => None,
        },
        provider: changes
            .provider
            .map(|p| text("provider", &p, 50))
            .transpose()?,
        task_type: changes.task_type,
        is_active: changes.is_active,
    };
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let before = lock_model(conn, id).await?;
        let after: AiModel = if set.name.is_none()
            && set.description.is_none()
            && set.provider.is_none()
            && set.task_type.is_none()
            && set.is_active.is_none()
        {
            before.clone()
        } else {
            diesel::update(ai_models::table.find(id))
                .set(&set)
                .returning(AiModel::as_returning())
                .get_result(conn)
                .await?
        };
        audit::record(
            conn,
            actor,
            model_entry("ai_model.update", Some(&before), &after),
        )
        .await?;
        Ok(after)
    })
    .await
}

/// The model row, locked until the transaction ends: every status change of a
/// model's versions or deployments takes this lock first, so they run one after
/// the other per model (the unique index is the backstop).
pub async fn lock_model(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<AiModel> {
    ai_models::table
        .find(id)
        .for_update()
        .select(AiModel::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(AppError::NotFound("AI model"))
}

/// A version by id, with its model locked (see [`lock_model`]).
pub async fn lock_version(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<AiModelVersion> {
    let model_id: Uuid = ai_model_versions::table
        .find(id)
        .select(ai_model_versions::model_id)
        .first(conn)
        .await
        .optional()?
        .ok_or(AppError::NotFound("AI model version"))?;
    lock_model(conn, model_id).await?;
    Ok(ai_model_versions::table
        .find(id)
        .select(AiModelVersion::as_select())
        .first(conn)
        .await?)
}

/// What `createAiModelVersion` takes.
pub struct NewVersion {
    pub model_id: Uuid,
    pub version_number: String,
    pub source_path: Option<String>,
    pub format: Option<String>,
    pub release_notes: Option<String>,
    pub parameters: Value,
}

pub async fn create_version(
    app: &App,
    actor: &Actor,
    new: NewVersion,
) -> AppResult<AiModelVersion> {
    let number = text("versionNumber", &new.version_number, 50)?;
    let source_path = optional("sourcePath", new.source_path, 1024)?;
    let format = optional("format", new.format, 50)?;
    let notes = optional("releaseNotes", new.release_notes, 10_000)?;
    let parameters = parameters::validate(&new.parameters)?;
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        lock_model(conn, new.model_id).await?;
        let version: AiModelVersion = diesel::insert_into(ai_model_versions::table)
            .values((
                ai_model_versions::model_id.eq(new.model_id),
                ai_model_versions::version_number.eq(&number),
                ai_model_versions::source_path.eq(&source_path),
                ai_model_versions::format.eq(&format),
                ai_model_versions::parameters.eq(Some(&parameters)),
                ai_model_versions::release_notes.eq(&notes),
                ai_model_versions::created_by_user_id.eq(actor.user_id),
            ))
            .returning(AiModelVersion::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            actor,
            version_entry("ai_model_version.create", None, &version),
        )
        .await?;
        Ok(version)
    })
    .await
}

fn version_entry<'a>(
    action: &'a str,
    before: Option<&AiModelVersion>,
    after: &AiModelVersion,
) -> Entry<'a> {
    Entry {
        action,
        target_type: "AIModelVersion",
        target_id: Some(after.id.to_string()),
        before: before.and_then(to_json),
        after: to_json(after),
    }
}

fn invalid_transition(what: &str, from: &str, to: &str) -> AppError {
    AppError::ConflictReason {
        reason: reason::INVALID_TRANSITION,
        message: format!("a {what} cannot go from {from} to {to}"),
    }
}

/// Moves a version to `to` along the status machine. Promotion needs a passed
/// validation and demotes the model's current Production version to Deprecated
/// in the same transaction.
pub async fn set_version_status(
    app: &App,
    actor: &Actor,
    version_id: Uuid,
    to: AiModelVersionStatus,
) -> AppResult<AiModelVersion> {
    let action = match to {
        AiModelVersionStatus::Production => "ai_model_version.promote",
        AiModelVersionStatus::Deprecated => "ai_model_version.deprecate",
        AiModelVersionStatus::Archived => "ai_model_version.archive",
        AiModelVersionStatus::Failed => "ai_model_version.fail",
        AiModelVersionStatus::Staged => "ai_model_version.stage",
    };
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let before = lock_version(conn, version_id).await?;
        if !state::version_may(before.status, to) {
            return Err(invalid_transition(
                "version",
                before.status.as_db_str(),
                to.as_db_str(),
            ));
        }
        if to == AiModelVersionStatus::Production {
            super::validation::gate(conn, &before).await?;
            let demoted: Vec<AiModelVersion> = diesel::update(
                ai_model_versions::table
                    .filter(ai_model_versions::model_id.eq(before.model_id))
                    .filter(ai_model_versions::status.eq(AiModelVersionStatus::Production)),
            )
            .set(ai_model_versions::status.eq(AiModelVersionStatus::Deprecated))
            .returning(AiModelVersion::as_returning())
            .get_results(conn)
            .await?;
            for old in &demoted {
                let mut was = old.clone();
                was.status = AiModelVersionStatus::Production;
                audit::record(
                    conn,
                    actor,
                    version_entry("ai_model_version.deprecate", Some(&was), old),
                )
                .await?;
            }
        }
        let after: AiModelVersion = diesel::update(ai_model_versions::table.find(version_id))
            .set(ai_model_versions::status.eq(to))
            .returning(AiModelVersion::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, version_entry(action, Some(&before), &after)).await?;
        Ok(after)
    })
    .await
}
