//! Requesting, selecting and cancelling generations: every step that moves money
//! runs in one transaction with the status change it pays for.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{GenerationRequest, GenerationStatus};
use super::providers::OutputFormat;
use crate::ai_models::model::{AiModel, AiModelVersion, AiModelVersionStatus, AiTaskType};
use crate::app::App;
use crate::credits::ledger::{self, Movement, Payer};
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::{ai_model_versions, ai_models, generation_jobs, generation_requests};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::metrics::Metrics;
use crate::notifications::model::Notification;
use crate::notifications::service as notifications;
use crate::studio::model::Project;

pub const MAX_PROMPT_CHARS: usize = 4000;
pub const MAX_SAMPLES: i64 = 4;

/// The parameters a request runs with, after validation against the model version.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    pub sample_count: i64,
    pub width: u32,
    pub height: u32,
    pub format: OutputFormat,
}

impl Parameters {
    pub fn to_json(&self) -> Value {
        json!({
            "sampleCount": self.sample_count,
            "resolution": format!("{}x{}", self.width, self.height),
            "format": self.format.name(),
        })
    }

    pub fn from_json(value: &Value) -> Option<Self> {
        let (w, h) = value.get("resolution")?.as_str()?.split_once('x')?;
        Some(Self {
            sample_count: value.get("sampleCount")?.as_i64()?,
            width: w.parse().ok()?,
            height: h.parse().ok()?,
            format: OutputFormat::parse(value.get("format")?.as_str()?)?,
        })
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the client's `inputParameters` against what the version allows.
pub fn validate_parameters(
    input: Option<&Value>,
    version: &AiModelVersion,
) -> AppResult<Parameters> {
    let empty = json!({});
    let input = input.unwrap_or(&empty);
    if !input.is_object() {
        return Err(AppError::bad_input(
            "inputParameters",
            "a JSON object is expected",
        ));
    }
    let allowed = version.parameters.clone().unwrap_or_else(|| json!({}));
    let sample_count = match input.get("sampleCount") {
        None => 2,
        Some(v) => v
            .as_i64()
            .filter(|n| (1..=MAX_SAMPLES).contains(n))
            .ok_or_else(|| {
                AppError::bad_input("inputParameters.sampleCount", "a whole number from 1 to 4")
            })?,
    };
    let resolutions = strings(allowed.get("resolutions"));
    let resolution = match input.get("resolution") {
        None => <[String]>::first(&resolutions)
            .cloned()
            .unwrap_or_else(|| "512x512".into()),
        Some(v) => {
            let r = v.as_str().unwrap_or_default().to_string();
            if !resolutions.is_empty() && !resolutions.contains(&r) {
                return Err(AppError::bad_input(
                    "inputParameters.resolution",
                    format!("this model offers {}", resolutions.join(", ")),
                ));
            }
            r
        }
    };
    let (width, height) = resolution
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|(w, h)| (16..=4096).contains(w) && (16..=4096).contains(h))
        .ok_or_else(|| {
            AppError::bad_input("inputParameters.resolution", "WIDTHxHEIGHT, e.g. 1024x1024")
        })?;
    let formats = strings(allowed.get("formats"));
    let format_name = input.get("format").and_then(Value::as_str).unwrap_or("png");
    let format = OutputFormat::parse(format_name)
        .filter(|f| formats.is_empty() || formats.iter().any(|a| a == f.name()))
        .ok_or_else(|| AppError::bad_input("inputParameters.format", "one of png, jpeg, webp"))?;
    Ok(Parameters {
        sample_count,
        width,
        height,
        format,
    })
}

/// The sample and final prices of a version (`parameters.creditCost`).
pub fn costs(version: &AiModelVersion) -> AppResult<(Decimal, Decimal)> {
    let cost = version
        .parameters
        .as_ref()
        .and_then(|p| p.get("creditCost"))
        .ok_or_else(|| AppError::bad_input("aiModelId", "this model has no price"))?;
    let read = |key: &str| -> Option<Decimal> {
        match cost.get(key)? {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.to_string().parse().ok(),
            _ => None,
        }
        .filter(|d: &Decimal| !d.is_sign_negative())
    };
    match (read("sample"), read("final")) {
        (Some(sample), Some(final_)) => Ok((sample.round_dp(2), final_.round_dp(2))),
        _ => Err(AppError::internal(anyhow::anyhow!(
            "malformed creditCost on version {}",
            version.id
        ))),
    }
}

/// An active image model and its newest Production version.
pub async fn production_version(
    conn: &mut AsyncPgConnection,
    model_id: Uuid,
) -> AppResult<(AiModel, AiModelVersion)> {
    let model: AiModel = ai_models::table
        .find(model_id)
        .filter(ai_models::is_active.eq(true))
        .select(AiModel::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::bad_input("aiModelId", "no such active model"))?;
    if model.task_type != AiTaskType::ImageGeneration {
        return Err(AppError::bad_input(
            "aiModelId",
            "this model does not generate images",
        ));
    }
    let version: AiModelVersion = ai_model_versions::table
        .filter(ai_model_versions::model_id.eq(model.id))
        .filter(ai_model_versions::status.eq(AiModelVersionStatus::Production))
        .order(ai_model_versions::created_at.desc())
        .select(AiModelVersion::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::bad_input("aiModelId", "this model has no production version"))?;
    Ok((model, version))
}

/// A validated request, ready to be written.
pub struct NewRequest {
    pub user_id: Uuid,
    pub project: Project,
    pub prompt: String,
    pub style_guidance: Option<String>,
    pub model_id: Uuid,
    pub input_parameters: Option<Value>,
    pub idempotency_key: Option<String>,
    pub api_client_id: Option<Uuid>,
}

/// A request by id, fresh from the database.
pub async fn load(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<GenerationRequest> {
    Ok(generation_requests::table
        .find(id)
        .select(GenerationRequest::as_select())
        .first(conn)
        .await?)
}

/// The request an idempotency key already made, if any.
async fn by_key(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    key: &str,
) -> AppResult<Option<GenerationRequest>> {
    Ok(generation_requests::table
        .filter(generation_requests::user_id.eq(user_id))
        .filter(generation_requests::idempotency_key.eq(key))
        .select(GenerationRequest::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Writes the request, charges the samples and queues the job, in one
/// transaction. The same idempotency key returns the first request and charges
/// nothing more, also when retries race (the unique index decides).
pub async fn request(
    app: &App,
    new: NewRequest,
) -> AppResult<(GenerationRequest, Option<(Payer, Decimal)>)> {
    let prompt = new.prompt.trim().to_string();
    if prompt.is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(AppError::bad_input(
            "inputPrompt",
            format!("1 to {MAX_PROMPT_CHARS} characters"),
        ));
    }
    let style = crate::studio::validate::optional_text("styleGuidance", new.style_guidance, 2000)?;
    if let Some(key) = &new.idempotency_key {
        if key.is_empty() || key.len() > 255 {
            return Err(AppError::bad_input("idempotencyKey", "1 to 255 characters"));
        }
    }
    let mut conn = app.db.conn().await?;
    if let Some(key) = &new.idempotency_key {
        if let Some(existing) = by_key(&mut conn, new.user_id, key).await? {
            return Ok((existing, None));
        }
    }
    let (model, version) = production_version(&mut conn, new.model_id).await?;
    let parameters = validate_parameters(new.input_parameters.as_ref(), &version)?;
    let (sample_cost, final_cost) = costs(&version)?;
    let payer = Payer::for_project(new.project.team_id, new.user_id);
    let deadline = Utc::now() + app.config.generation.phase_deadline;
    let conn: &mut AsyncPgConnection = &mut conn;
    let written = conn
        .transaction(async |conn| {
            let request: GenerationRequest = diesel::insert_into(generation_requests::table)
                .values((
                    generation_requests::user_id.eq(new.user_id),
                    generation_requests::project_id.eq(Some(new.project.id)),
                    generation_requests::team_id.eq(new.project.team_id),
                    generation_requests::input_prompt.eq(&prompt),
                    generation_requests::style_guidance.eq(&style),
                    generation_requests::input_parameters.eq(Some(parameters.to_json())),
                    generation_requests::credits_cost_sample.eq(Some(sample_cost)),
                    generation_requests::credits_cost_final.eq(Some(final_cost)),
                    generation_requests::ai_model_used
                        .eq(Some(format!("{} {}", model.name, version.version_number))),
                    generation_requests::ai_model_version_id.eq(Some(version.id)),
                    generation_requests::idempotency_key.eq(&new.idempotency_key),
                    generation_requests::sample_charged_at.eq(Some(Utc::now())),
                    generation_requests::phase_deadline.eq(Some(deadline)),
                ))
                .returning(GenerationRequest::as_returning())
                .get_result(conn)
                .await?;
            let balance = ledger::debit(
                conn,
                payer,
                sample_cost,
                Movement {
                    user_id: new.user_id,
                    action_type: "sample_generation",
                    description: Some(format!("Samples of '{}'", truncate(&prompt))),
                    generation_request_id: Some(request.id),
                },
            )
            .await?;
            diesel::insert_into(generation_jobs::table)
                .values((
                    generation_jobs::generation_request_id.eq(request.id),
                    generation_jobs::phase.eq("samples"),
                ))
                .execute(conn)
                .await?;
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(new.user_id),
                    action_type: "sample_generation_initiated",
                    generation_request_id: Some(request.id),
                    api_client_id: new.api_client_id,
                    credits_cost: Some(sample_cost),
                    details: Some(json!({"model": model.name, "parameters": parameters.to_json()})),
                },
            )
            .await?;
            Ok::<_, AppError>((request, balance))
        })
        .await;
    match written {
        Ok((request, balance)) => {
            // Counted once committed, so a rolled-back debit never shows in /metrics.
            app.metrics.credits_debited(sample_cost);
            Ok((request, Some((payer, balance))))
        }
        // A concurrent retry with the same key won the race: answer with its request.
        Err(AppError::Conflict(_)) if new.idempotency_key.is_some() => {
            let key = new.idempotency_key.as_deref().unwrap_or_default();
            let existing = by_key(conn, new.user_id, key)
                .await?
                .ok_or(AppError::Conflict("retry".into()))?;
            Ok((existing, None))
        }
        Err(e) => Err(e),
    }
}

fn truncate(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Moves a request AwaitingSelection -> ProcessingFinal with the chosen sample,
/// charging the final in the same transaction.
pub async fn select_sample(
    app: &App,
    request: &GenerationRequest,
    sample_id: Uuid,
    actor: Uuid,
) -> AppResult<(GenerationRequest, Payer, Decimal)> {
    let is_sample = request
        .sample_assets
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|samples| {
            samples
                .iter()
                .any(|s| s.get("id").and_then(Value::as_str) == Some(&sample_id.to_string()))
        });
    if !is_sample {
        return Err(AppError::bad_input(
            "sampleAssetId",
            "not a sample of this request",
        ));
    }
    let final_cost = request.credits_cost_final.unwrap_or_default();
    let payer = Payer::for_project(request.team_id, request.user_id);
    let deadline = Utc::now() + app.config.generation.phase_deadline;
    let id = request.id;
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    conn.transaction(async |conn| {
        let updated: Option<GenerationRequest> =
            diesel::update(generation_requests::table.find(id))
                .filter(generation_requests::status.eq(GenerationStatus::AwaitingSelection))
                .set((
                    generation_requests::status.eq(GenerationStatus::ProcessingFinal),
                    generation_requests::selected_sample_id.eq(Some(sample_id)),
                    generation_requests::final_charged_at.eq(Some(Utc::now())),
                    generation_requests::phase_deadline.eq(Some(deadline)),
                ))
                .returning(GenerationRequest::as_returning())
                .get_result(conn)
                .await
                .optional()?;
        let updated = updated
            .ok_or_else(|| AppError::Conflict("the request is not awaiting a selection".into()))?;
        let balance = ledger::debit(
            conn,
            payer,
            final_cost,
            Movement {
                user_id: actor,
                action_type: "final_generation",
                description: Some("Final image".into()),
                generation_request_id: Some(id),
            },
        )
        .await?;
        diesel::insert_into(generation_jobs::table)
            .values((
                generation_jobs::generation_request_id.eq(id),
                generation_jobs::phase.eq("final"),
            ))
            .execute(conn)
            .await?;
        usage::record(
            conn,
            UsageEntry {
                user_id: Some(actor),
                action_type: "final_generation_initiated",
                generation_request_id: Some(id),
                credits_cost: Some(final_cost),
                ..Default::default()
            },
        )
        .await?;
        Ok((updated, payer, balance))
    })
    .await
    .inspect(|_| app.metrics.credits_debited(final_cost))
}

/// A request ended by [`finish_unsuccessfully`]: the row, the balances its refunds
/// left, and the notification written.
pub type Finished = (
    GenerationRequest,
    Vec<(Payer, Decimal)>,
    Option<Notification>,
);

/// Ends a request in `to` (Failed, Cancelled, ContentRejected) from whatever
/// non-terminal status it is in, refunding each phase that was paid for and not
/// delivered, exactly once (the `*_refunded_at` marks are set in the same
/// statement-guarded transaction). Returns `None` if it had already ended.
pub async fn finish_unsuccessfully(
    metrics: &Metrics,
    conn: &mut AsyncPgConnection,
    request_id: Uuid,
    to: GenerationStatus,
    error_message: Option<String>,
    notice: Option<&str>,
) -> AppResult<Option<Finished>> {
    let finished: Option<(_, _, _, Decimal)> = conn.transaction(async |conn| {
        let current: GenerationRequest = generation_requests::table
            .find(request_id)
            .for_update()
            .select(GenerationRequest::as_select())
            .first(conn)
            .await?;
        if !current.status.can_become(to) {
            return Ok(None);
        }
        let samples_delivered = matches!(
            current.status,
            GenerationStatus::AwaitingSelection | GenerationStatus::ProcessingFinal
        );
        let refund_sample = current.sample_charged_at.is_some() && current.sample_refunded_at.is_none() && !samples_delivered;
        let refund_final = current.final_charged_at.is_some() && current.final_refunded_at.is_none();
        let now = Utc::now();
        let updated: GenerationRequest = diesel::update(generation_requests::table.find(request_id))
            .set((
                generation_requests::status.eq(to),
                generation_requests::error_message.eq(error_message.or(current.error_message.clone())),
                generation_requests::completed_at.eq(Some(now)),
                generation_requests::phase_deadline.eq(None::<chrono::DateTime<Utc>>),
                generation_requests::sample_refunded_at.eq(if refund_sample { Some(now) } else { current.sample_refunded_at }),
                generation_requests::final_refunded_at.eq(if refund_final { Some(now) } else { current.final_refunded_at }),
            ))
            .returning(GenerationRequest::as_returning())
            .get_result(conn)
            .await?;
        let payer = Payer::for_project(current.team_id, current.user_id);
        let mut balances = Vec::new();
        let mut refunded = Decimal::ZERO;
        for (refund, amount, phase) in [
            (refund_sample, current.credits_cost_sample, "samples"),
            (refund_final, current.credits_cost_final, "final"),
        ] {
            let amount = amount.unwrap_or_default();
            if refund && !amount.is_zero() {
                let balance = ledger::credit(
                    conn,
                    payer,
                    amount,
                    Movement {
                        user_id: current.user_id,
                        action_type: "refund",
                        description: Some(format!("Refund of the {phase}: {}", to.as_db_str())),
                        generation_request_id: Some(request_id),
                    },
                )
                .await?;
                balances.push((payer, balance));
                refunded += amount;
            }
        }
        diesel::update(generation_jobs::table.filter(generation_jobs::generation_request_id.eq(request_id)))
            .filter(generation_jobs::status.eq_any(["queued", "running"]))
            .set(generation_jobs::status.eq("failed"))
            .execute(conn)
            .await?;
        usage::record(
            conn,
            UsageEntry {
                user_id: Some(current.user_id),
                action_type: match to {
                    GenerationStatus::Cancelled => "generation_cancelled",
                    GenerationStatus::ContentRejected => "generation_rejected",
                    _ => "generation_failed",
                },
                generation_request_id: Some(request_id),
                details: Some(json!({"from": current.status.as_db_str(), "refundedSample": refund_sample, "refundedFinal": refund_final})),
                ..Default::default()
            },
        )
        .await?;
        let note = match notice {
            Some(text) => Some(
                notifications::create(
                    conn,
                    current.user_id,
                    "generation_failed",
                    text,
                    json!({
                        "generationRequestId": GlobalId::uuid(NodeType::GenerationRequest, request_id),
                        "status": to.as_db_str(),
                    }),
                )
                .await?,
            ),
            None => None,
        };
        Ok::<_, AppError>(Some((updated, balances, note, refunded)))
    })
    .await?;
    Ok(finished.map(|(updated, balances, note, refunded)| {
        // Counted once committed, so a rolled-back refund never shows in /metrics.
        metrics.credits_refunded(refunded);
        (updated, balances, note)
    }))
}

/// Phase deadline, as configured.
pub fn deadline_after(delta: std::time::Duration) -> chrono::DateTime<Utc> {
    Utc::now() + TimeDelta::from_std(delta).unwrap_or(TimeDelta::minutes(10))
}
