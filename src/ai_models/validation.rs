//! Validation results: recording them, and the gate promotion and production
//! deployments pass through (the latest result passed both checks).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{AiModelValidationResult, AiModelVersion, ValidationStatus};
use super::service::{lock_version, reason};
use crate::admin::audit::{self, Actor, Entry};
use crate::app::App;
use crate::db::schema::{ai_model_validation_results, ai_model_versions};
use crate::error::{AppError, AppResult};

/// Whether the version's latest validation passed both checks; the reason if not.
pub async fn gate(conn: &mut AsyncPgConnection, version: &AiModelVersion) -> AppResult<()> {
    let latest = match version.validation_result_id {
        Some(id) => ai_model_validation_results::table
            .find(id)
            .select(AiModelValidationResult::as_select())
            .first(conn)
            .await
            .optional()?,
        None => None,
    };
    match latest {
        None => Err(AppError::ConflictReason {
            reason: reason::NOT_VALIDATED,
            message: "the version has no validation result; record one first".into(),
        }),
        Some(v)
            if v.security_scan_status == ValidationStatus::Passed
                && v.functional_status == ValidationStatus::Passed =>
        {
            Ok(())
        }
        Some(v) => Err(AppError::ConflictReason {
            reason: reason::VALIDATION_NOT_PASSED,
            message: format!(
                "the latest validation did not pass: security scan {}, functional {}",
                v.security_scan_status.as_db_str(),
                v.functional_status.as_db_str()
            ),
        }),
    }
}

/// What `recordAiModelValidation` takes.
pub struct NewValidation {
    pub model_version_id: Uuid,
    pub security_scan_status: ValidationStatus,
    pub functional_status: ValidationStatus,
    pub performance_benchmark: Option<Value>,
    pub results: Option<Value>,
}

/// Records a validation and makes it the version's latest (`validationResult`).
pub async fn record(
    app: &App,
    actor: &Actor,
    new: NewValidation,
) -> AppResult<AiModelValidationResult> {
    for (field, value) in [
        ("performanceBenchmark", &new.performance_benchmark),
        ("results", &new.results),
    ] {
        if value.as_ref().is_some_and(|v| !v.is_object()) {
            return Err(AppError::bad_input(field, "a JSON object is expected"));
        }
    }
    let mut conn = app.db.conn().await?;
    conn.transaction(async |conn| {
        let version = lock_version(conn, new.model_version_id).await?;
        let result: AiModelValidationResult =
            diesel::insert_into(ai_model_validation_results::table)
                .values((
                    ai_model_validation_results::model_version_id.eq(version.id),
                    ai_model_validation_results::security_scan_status.eq(new.security_scan_status),
                    ai_model_validation_results::functional_status.eq(new.functional_status),
                    ai_model_validation_results::performance_benchmark
                        .eq(&new.performance_benchmark),
                    ai_model_validation_results::results.eq(&new.results),
                    ai_model_validation_results::validated_by_user_id.eq(actor.user_id),
                ))
                .returning(AiModelValidationResult::as_returning())
                .get_result(conn)
                .await?;
        diesel::update(ai_model_versions::table.find(version.id))
            .set(ai_model_versions::validation_result_id.eq(result.id))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            actor,
            Entry {
                action: "ai_model_version.validate",
                target_type: "AIModelVersion",
                target_id: Some(version.id.to_string()),
                before: version
                    .validation_result_id
                    .map(|id| json!({"validationResultId": id})),
                after: serde_json::to_value(&result).ok(),
            },
        )
        .await?;
        Ok(result)
    })
    .await
}
