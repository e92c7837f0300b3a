//! Requesting, selecting and cancelling generations, and ending them: the rules
//! and prices, handed to the pipeline as the effects of each status change.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{GenerationRequest, GenerationStatus, JobPhase, NewGenerationRequest};
use super::pipeline::{self, Changes, Charge, Effects, Notice, Outcome, Usage};
use super::providers::OutputFormat;
use crate::ai_models::model::{self as ai_models, AiModel, AiModelVersion, AiTaskType};
use crate::app::App;
use crate::credits::usage::UsageEntry;
use crate::db::schema::generation_requests;
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
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
    // The version may narrow the 1..4 samples (`parameters.sampleCount`).
    let bound = |key: &str, default: i64| {
        allowed
            .get("sampleCount")
            .and_then(|b| b.get(key))
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    let (min, max) = (
        bound("min", 1).max(1),
        bound("max", MAX_SAMPLES).min(MAX_SAMPLES),
    );
    let sample_count = match input.get("sampleCount") {
        None => 2.clamp(min, max.max(min)),
        Some(v) => v
            .as_i64()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                AppError::bad_input(
                    "inputParameters.sampleCount",
                    format!("a whole number from {min} to {max}"),
                )
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

/// An active image model, and its Production version (an error of its own: a
/// model served by deployments needs none).
pub async fn production_version(
    conn: &mut AsyncPgConnection,
    model_id: Uuid,
) -> (AppResult<AiModel>, AppResult<AiModelVersion>) {
    let model = match ai_models::find_by_ids(conn, &[model_id]).await {
        Ok(found) => found,
        Err(e) => return (Err(e.into()), Err(AppError::NotFound("AI model"))),
    };
    let Some(model) = model.into_iter().find(|m| m.is_active) else {
        return (
            Err(AppError::bad_input("aiModelId", "no such active model")),
            Err(AppError::NotFound("AI model")),
        );
    };
    if model.task_type != AiTaskType::ImageGeneration {
        return (
            Err(AppError::bad_input(
                "aiModelId",
                "this model does not generate images",
            )),
            Err(AppError::NotFound("AI model")),
        );
    }
    let version = match ai_models::production_versions_of(conn, &[model.id]).await {
        Ok(found) => found.into_iter().next().ok_or_else(|| {
            AppError::bad_input("aiModelId", "this model has no production version")
        }),
        Err(e) => Err(e.into()),
    };
    (Ok(model), version)
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
/// nothing more, also when retries race (the unique index decides): then there
/// is no outcome to publish.
pub async fn request(
    app: &App,
    new: NewRequest,
) -> AppResult<(GenerationRequest, Option<Outcome>)> {
    let prompt = new.prompt.trim().to_string();
    if prompt.is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
        return Err(AppError::bad_input(
            "inputPrompt",
            format!("1 to {MAX_PROMPT_CHARS} characters"),
        ));
    }
    let style =
        crate::studio::service::validate::optional_text("styleGuidance", new.style_guidance, 2000)?;
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
    // The id comes first: it decides which deployment serves the request
    // (`ai_models::deployments::route`), the same way on every retry.
    let request_id = Uuid::new_v4();
    let (model, production) = production_version(&mut conn, new.model_id).await;
    let model = model?;
    let (version, deployment_id) =
        match crate::ai_models::deployments::route(&mut conn, model.id, request_id).await? {
            Some((deployment, version)) => (version, Some(deployment.id)),
            None => (production?, None),
        };
    let parameters = validate_parameters(new.input_parameters.as_ref(), &version)?;
    let (sample_cost, final_cost) = costs(&version)?;
    let deadline = Utc::now() + app.config.generation.phase_deadline;
    let new_request = NewGenerationRequest {
        id: request_id,
        ai_model_deployment_id: deployment_id,
        user_id: new.user_id,
        project_id: Some(new.project.id),
        team_id: new.project.team_id,
        input_prompt: &prompt,
        style_guidance: style.as_deref(),
        input_parameters: Some(parameters.to_json()),
        credits_cost_sample: Some(sample_cost),
        credits_cost_final: Some(final_cost),
        ai_model_used: Some(format!("{} {}", model.name, version.version_number)),
        ai_model_version_id: Some(version.id),
        idempotency_key: new.idempotency_key.as_deref(),
        phase_deadline: Some(deadline),
        sample_charged_at: None,
        final_charged_at: None,
    };
    let effects = Effects {
        charge: Some(Charge {
            phase: JobPhase::Samples,
            actor: new.user_id,
            description: format!("Samples of '{}'", truncate(&prompt)),
        }),
        enqueue: Some(JobPhase::Samples),
        usage: Some(Usage::Entry(UsageEntry {
            user_id: Some(new.user_id),
            action_type: "sample_generation_initiated",
            api_client_id: new.api_client_id,
            credits_cost: Some(sample_cost),
            details: Some(json!({"model": model.name, "parameters": parameters.to_json()})),
            ..Default::default()
        })),
        ..Default::default()
    };
    match pipeline::start(&mut conn, new_request, effects).await {
        Ok(outcome) => Ok((outcome.request.clone(), Some(outcome))),
        // A concurrent retry with the same key won the race: answer with its request.
        Err(AppError::Conflict(_)) if new.idempotency_key.is_some() => {
            let key = new.idempotency_key.as_deref().unwrap_or_default();
            let existing = by_key(&mut conn, new.user_id, key)
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
) -> AppResult<Outcome> {
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
    let effects = Effects {
        set: Changes {
            selected_sample_id: Some(sample_id),
            phase_deadline: Some(Utc::now() + app.config.generation.phase_deadline),
            ..Default::default()
        },
        charge: Some(Charge {
            phase: JobPhase::Final,
            actor,
            description: "Final image".into(),
        }),
        enqueue: Some(JobPhase::Final),
        usage: Some(Usage::Entry(UsageEntry {
            user_id: Some(actor),
            action_type: "final_generation_initiated",
            credits_cost: Some(request.credits_cost_final.unwrap_or_default()),
            ..Default::default()
        })),
        ..Default::default()
    };
    let mut conn = app.db.conn().await?;
    pipeline::transition(
        &mut conn,
        request.id,
        &[GenerationStatus::AwaitingSelection],
        GenerationStatus::ProcessingFinal,
        effects,
    )
    .await?
    .ok_or_else(|| AppError::Conflict("the request is not awaiting a selection".into()))
}

/// Cancels a request that has not ended, on the request pool; undelivered
/// phases are refunded.
pub async fn cancel(app: &App, request: &GenerationRequest) -> AppResult<Outcome> {
    if request.status.is_terminal() {
        return Err(AppError::Conflict(format!(
            "the request is already {}",
            request.status.as_db_str()
        )));
    }
    let mut conn = app.db.conn().await?;
    end_unsuccessfully(
        &mut conn,
        request.id,
        GenerationStatus::Cancelled,
        Some("cancelled".into()),
    )
    .await?
    .ok_or_else(|| AppError::Conflict("the request has already ended".into()))
}

/// Ends a request in `to` (Failed, Cancelled, ContentRejected) from whatever
/// non-terminal status it is in, refunding each phase that was paid for and not
/// delivered, exactly once, and (unless the user cancelled it) telling the user.
/// `None` if it had already ended.
pub async fn end_unsuccessfully(
    conn: &mut AsyncPgConnection,
    request_id: Uuid,
    to: GenerationStatus,
    error_message: Option<String>,
) -> AppResult<Option<Outcome>> {
    let (action_type, message) = match to {
        GenerationStatus::Cancelled => ("generation_cancelled", None),
        GenerationStatus::ContentRejected => (
            "generation_rejected",
            Some("Your generation was refused by the content check; your credits were refunded."),
        ),
        _ => (
            "generation_failed",
            Some("Your generation failed; unused credits were refunded."),
        ),
    };
    let effects = Effects {
        set: Changes {
            error_message,
            ..Default::default()
        },
        refund_undelivered: true,
        close_jobs: true,
        usage: Some(Usage::Ended { action_type }),
        notice: message.map(|message| Notice {
            kind: "generation_failed",
            message,
            metadata: json!({
                "generationRequestId": GlobalId::uuid(NodeType::GenerationRequest, request_id),
                "status": to.as_db_str(),
            }),
        }),
        ..Default::default()
    };
    pipeline::transition(
        conn,
        request_id,
        &GenerationStatus::sources_of(to),
        to,
        effects,
    )
    .await
}

/// Phase deadline, as configured.
pub fn deadline_after(delta: std::time::Duration) -> chrono::DateTime<Utc> {
    Utc::now() + TimeDelta::from_std(delta).unwrap_or(TimeDelta::minutes(10))
}
