//! `atelier models import FILE.json`: a model catalogue as code. Running it
//! again changes nothing: models are matched by name and updated only where they
//! differ; versions are matched by (model, versionNumber) and are immutable (a
//! version that exists with other parameters is an error: add a new version);
//! a declared status is reached through the same rules as the API (promotion
//! needs the validation the file records). Every change goes through
//! `ai_models::service` as the command line, so each has its audit row.
//!
//! ```json
//! {"models": [{
//!   "name": "Atelier Diffusion", "provider": "Internal", "taskType": "ImageGeneration",
//!   "description": "...", "isActive": true,
//!   "versions": [{
//!     "versionNumber": "2.0", "format": "API", "releaseNotes": "...",
//!     "parameters": {"provider": "local", "creditCost": {"sample": "1.00", "final": "4.00"},
//!                    "resolutions": ["1024x1024"], "formats": ["png"]},
//!     "validation": {"securityScanStatus": "Passed", "functionalStatus": "Passed"},
//!     "status": "Production"
//!   }]
//! }]}
//! ```

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::Value;

use super::model::{AiModel, AiModelVersion, AiModelVersionStatus, AiTaskType, ValidationStatus};
use super::service::{self, ModelChanges, NewModel, NewVersion};
use super::validation::{self, NewValidation};
use super::{parameters, state};
use crate::admin::audit::Actor;
use crate::app::App;
use crate::db::schema::{ai_model_versions, ai_models};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    models: Vec<ModelSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ModelSpec {
    name: String,
    provider: String,
    task_type: AiTaskType,
    description: Option<String>,
    #[serde(default = "yes")]
    is_active: bool,
    #[serde(default)]
    versions: Vec<VersionSpec>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VersionSpec {
    version_number: String,
    source_path: Option<String>,
    format: Option<String>,
    release_notes: Option<String>,
    parameters: Value,
    validation: Option<ValidationSpec>,
    status: Option<AiModelVersionStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ValidationSpec {
    security_scan_status: ValidationStatus,
    functional_status: ValidationStatus,
    performance_benchmark: Option<Value>,
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub models_created: usize,
    pub models_updated: usize,
    pub versions_created: usize,
    pub validations_recorded: usize,
    pub statuses_changed: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "models: {} created, {} updated; versions: {} created; {} validations recorded; {} statuses changed",
            self.models_created,
            self.models_updated,
            self.versions_created,
            self.validations_recorded,
            self.statuses_changed
        )
    }
}

fn problem(model: &str, version: Option<&str>, e: impl std::fmt::Display) -> anyhow::Error {
    match version {
        Some(v) => anyhow::anyhow!("model '{model}' version '{v}': {e}"),
        None => anyhow::anyhow!("model '{model}': {e}"),
    }
}

fn explain(e: crate::error::AppError) -> String {
    match &e {
        crate::error::AppError::BadUserInput {
            field: Some(field),
            message,
        } => format!("{field}: {message}"),
        other => other.message(),
    }
}

/// Imports the catalogue in `json`.
pub async fn import(app: &App, json: &str) -> anyhow::Result<Report> {
    let catalogue: Catalogue =
        serde_json::from_str(json).map_err(|e| anyhow::anyhow!("not a model catalogue: {e}"))?;
    let actor = Actor::cli();
    let mut report = Report::default();
    for spec in catalogue.models {
        let name = spec.name.trim().to_string();
        let mut conn = app.db.conn().await?;
        let existing: Option<AiModel> = ai_models::table
            .filter(ai_models::name.eq(&name))
            .select(AiModel::as_select())
            .first(&mut conn)
            .await
            .optional()?;
        let description = spec
            .description
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        let model = match existing {
            None => {
                report.models_created += 1;
                service::create_model(
                    app,
                    &actor,
                    NewModel {
                        name: name.clone(),
                        description,
                        provider: spec.provider,
                        task_type: spec.task_type,
                        is_active: spec.is_active,
                    },
                )
                .await
                .map_err(|e| problem(&name, None, explain(e)))?
            }
            Some(model) => {
                let changes = ModelChanges {
                    name: None,
                    description: (model.description != description).then_some(description),
                    provider: (model.provider != spec.provider.trim()).then_some(spec.provider),
                    task_type: (model.task_type != spec.task_type).then_some(spec.task_type),
                    is_active: (model.is_active != spec.is_active).then_some(spec.is_active),
                };
                if changes.description.is_none()
                    && changes.provider.is_none()
                    && changes.task_type.is_none()
                    && changes.is_active.is_none()
                {
                    model
                } else {
                    report.models_updated += 1;
                    service::update_model(app, &actor, model.id, changes)
                        .await
                        .map_err(|e| problem(&name, None, explain(e)))?
                }
            }
        };
        for v in spec.versions {
            import_version(app, &actor, &model, v, &mut report).await?;
        }
    }
    Ok(report)
}

async fn import_version(
    app: &App,
    actor: &Actor,
    model: &AiModel,
    spec: VersionSpec,
    report: &mut Report,
) -> anyhow::Result<()> {
    let number = spec.version_number.trim().to_string();
    let fail = |e: String| problem(&model.name, Some(&number), e);
    let wanted = parameters::validate(&spec.parameters).map_err(|e| fail(explain(e)))?;
    let mut conn = app.db.conn().await?;
    let existing: Option<AiModelVersion> = ai_model_versions::table
        .filter(ai_model_versions::model_id.eq(model.id))
        .filter(ai_model_versions::version_number.eq(&number))
        .select(AiModelVersion::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let mut version = match existing {
        Some(v) if v.parameters.as_ref() != Some(&wanted) => {
            return Err(fail(
                "exists with other parameters; versions are immutable, add a new version".into(),
            ))
        }
        Some(v) => v,
        None => {
            report.versions_created += 1;
            service::create_version(
                app,
                actor,
                NewVersion {
                    model_id: model.id,
                    version_number: number.clone(),
                    source_path: spec.source_path,
                    format: spec.format,
                    release_notes: spec.release_notes,
                    parameters: spec.parameters,
                },
            )
            .await
            .map_err(|e| fail(explain(e)))?
        }
    };
    if let Some(validation) = spec.validation {
        let latest = match version.validation_result_id {
            Some(id) => super::model::validations_by_ids(&mut conn, &[id])
                .await?
                .into_iter()
                .next(),
            None => None,
        };
        let same = latest.is_some_and(|l| {
            l.security_scan_status == validation.security_scan_status
                && l.functional_status == validation.functional_status
        });
        if !same {
            report.validations_recorded += 1;
            let result = validation::record(
                app,
                actor,
                NewValidation {
                    model_version_id: version.id,
                    security_scan_status: validation.security_scan_status,
                    functional_status: validation.functional_status,
                    performance_benchmark: validation.performance_benchmark,
                    results: Some(serde_json::json!({"source": "atelier models import"})),
                },
            )
            .await
            .map_err(|e| fail(explain(e)))?;
            version.validation_result_id = Some(result.id);
        }
    }
    if let Some(status) = spec.status.filter(|s| *s != version.status) {
        if !state::version_may(version.status, status) {
            return Err(fail(format!(
                "cannot go from {} to {}",
                version.status.as_db_str(),
                status.as_db_str()
            )));
        }
        report.statuses_changed += 1;
        service::set_version_status(app, actor, version.id, status)
            .await
            .map_err(|e| fail(explain(e)))?;
    }
    Ok(())
}
