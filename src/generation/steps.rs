//! The work of a job: the samples of a request, then the final of the sample
//! picked. Each step is idempotent (asset ids derived from the request, status
//! changes conditional on the status the step started from), so a retried job
//! never charges, refunds or creates assets twice.

use std::time::Instant;

use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{GenerationRequest, GenerationStatus, JobKind};
use super::pipeline::{self, Changes, Effects, Notice, Usage};
use super::providers::{
    generator_for, parse_hex, Blocklist, ContentSafety, ImageGenerator, ImageSpec, OutputFormat,
};
use super::queue::Job;
use super::service::{self, load, Parameters};
use crate::ai_models::model as ai_models;
use crate::app::App;
use crate::credits::usage::UsageEntry;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::studio::service::{self as studio, GeneratedAsset};

/// What happened to a job's work.
pub enum Done {
    Done,
    /// Worth trying again (the provider failed).
    Retry(String),
}

/// Runs the step of a claimed job.
pub async fn run(app: &App, job: &Job) -> AppResult<Done> {
    match job.phase {
        JobKind::Samples => samples(app, job).await,
        JobKind::Final => final_image(app, job).await,
        // Other kinds run through the runner registered for them (`App::job_runners`).
        JobKind::Export | JobKind::Publish => Err(crate::error::AppError::internal(
            anyhow::anyhow!("no runner for {:?} jobs", job.phase),
        )),
    }
}

/// Ends a request unsuccessfully (with its refunds and notice) and tells its
/// watchers; false when it had already ended.
pub async fn fail(
    app: &App,
    conn: &mut DbConn,
    request_id: Uuid,
    to: GenerationStatus,
    message: Option<String>,
) -> AppResult<bool> {
    let Some(outcome) = service::end_unsuccessfully(conn, request_id, to, message).await? else {
        return Ok(false);
    };
    pipeline::after_commit(app, &outcome).await;
    Ok(true)
}

/// The brand colours of the request's project (its kit, else the workbench default).
async fn palette(conn: &mut DbConn, project_id: Option<Uuid>) -> AppResult<Vec<[u8; 3]>> {
    let Some(project_id) = project_id else {
        return Ok(Vec::new());
    };
    let colors = studio::brand_colors_of_project(conn, project_id).await?;
    Ok(colors
        .as_ref()
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| c.get("hex").and_then(Value::as_str).and_then(parse_hex))
                .collect()
        })
        .unwrap_or_default())
}

/// Samples keep the requested aspect ratio, at most 512 pixels on a side.
fn sample_size(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    if longest <= 512 {
        return (width, height);
    }
    let scale = |side: u32| ((u64::from(side) * 512 / u64::from(longest)) as u32).max(16);
    (scale(width), scale(height))
}

/// Generates, and checks the bytes are an image of the requested format (a
/// remote provider may answer anything); a mismatch is a failed attempt.
async fn generate_checked(
    generator: &dyn ImageGenerator,
    spec: &ImageSpec,
) -> anyhow::Result<Vec<u8>> {
    let bytes = generator.generate(spec).await?;
    let expected = match spec.format {
        OutputFormat::Png => image::ImageFormat::Png,
        OutputFormat::Jpeg => image::ImageFormat::Jpeg,
        OutputFormat::Webp => image::ImageFormat::WebP,
    };
    match image::guess_format(&bytes) {
        Ok(found) if found == expected => Ok(bytes),
        Ok(found) => anyhow::bail!("the provider returned {found:?}, not {expected:?}"),
        Err(_) => anyhow::bail!("the provider returned something that is not an image"),
    }
}

/// Stable ids, so a retried job finds the assets it already made.
fn asset_id(request_id: Uuid, variant: &str) -> Uuid {
    Uuid::new_v5(&request_id, variant.as_bytes())
}

/// The request's parameters and its model version's (provider, endpoint...).
async fn spec_parts(
    conn: &mut DbConn,
    request: &GenerationRequest,
) -> AppResult<(Parameters, Value)> {
    let parameters = request
        .input_parameters
        .as_ref()
        .and_then(Parameters::from_json)
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("request {} has no parameters", request.id))
        })?;
    let version_parameters = match request.ai_model_version_id {
        Some(id) => ai_models::find_versions_by_ids(conn, &[id])
            .await?
            .into_iter()
            .next()
            .and_then(|v| v.parameters),
        None => None,
    };
    let mut version_parameters = version_parameters.unwrap_or_else(|| json!({"provider": "local"}));
    // An http version deployed with an endpoint is called there.
    if let Some(id) = request.ai_model_deployment_id {
        let endpoint = ai_models::deployments_by_ids(conn, &[id])
            .await?
            .into_iter()
            .next()
            .and_then(|d| d.endpoint);
        if let (Some(endpoint), Some(object)) = (endpoint, version_parameters.as_object_mut()) {
            if object.get("provider").and_then(Value::as_str) == Some("http") {
                object.insert("endpoint".into(), Value::String(endpoint));
            }
        }
    }
    Ok((parameters, version_parameters))
}

/// An image of the request as studio records it.
fn generated_asset(
    request: &GenerationRequest,
    parameters: &Parameters,
    name: String,
    key: String,
    resolution: String,
    variant: &str,
    is_final: bool,
) -> GeneratedAsset {
    GeneratedAsset {
        id: asset_id(request.id, if is_final { "final" } else { variant }),
        name,
        file_path: key,
        mime_type: parameters.format.mime_type(),
        format: parameters.format.name(),
        resolution,
        is_final,
        metadata: json!({
            "prompt": request.input_prompt,
            "styleGuidance": request.style_guidance,
            "parameters": request.input_parameters,
            "model": request.ai_model_used,
            "variant": variant,
        }),
    }
}

async fn samples(app: &App, job: &Job) -> AppResult<Done> {
    let started = Instant::now();
    let mut conn = app.worker_db.conn().await?;
    let mut request = load(&mut conn, job.request_id()?).await?;
    match request.status {
        GenerationStatus::Pending => {
            let Some(moved) = pipeline::transition(
                &mut conn,
                request.id,
                &[GenerationStatus::Pending],
                GenerationStatus::ProcessingSamples,
                Effects::default(),
            )
            .await?
            else {
                return Ok(Done::Done);
            };
            pipeline::after_commit(app, &moved).await;
            request = moved.request;
        }
        GenerationStatus::ProcessingSamples => {}
        _ => return Ok(Done::Done),
    }

    let safety = Blocklist::new(&app.config.generation.blocklist);
    if let Some(reason) =
        safety.reject_reason(&request.input_prompt, request.style_guidance.as_deref())
    {
        fail(
            app,
            &mut conn,
            request.id,
            GenerationStatus::ContentRejected,
            Some(reason),
        )
        .await?;
        return Ok(Done::Done);
    }

    let (parameters, version_parameters) = spec_parts(&mut conn, &request).await?;
    let palette = palette(&mut conn, request.project_id).await?;
    let generator = generator_for(&version_parameters, &app.http, &app.provider_breakers)
        .map_err(AppError::internal)?;
    let sample_size = sample_size(parameters.width, parameters.height);
    let resolution = format!("{}x{}", sample_size.0, sample_size.1);
    let mut made = Vec::new();
    for i in 0..parameters.sample_count {
        // A request cancelled (or timed out) meanwhile needs no more images.
        if load(&mut conn, request.id).await?.status != GenerationStatus::ProcessingSamples {
            return Ok(Done::Done);
        }
        let variant = format!("sample-{i}");
        let spec = ImageSpec {
            prompt: request.input_prompt.clone(),
            style: request.style_guidance.clone(),
            width: sample_size.0,
            height: sample_size.1,
            format: parameters.format,
            variant: variant.clone(),
            palette: palette.clone(),
            model: request.ai_model_used.clone().unwrap_or_default(),
        };
        let bytes = match generate_checked(generator.as_ref(), &spec).await {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Done::Retry(format!("{e:#}"))),
        };
        let key = format!(
            "generated/{}/{variant}.{}",
            request.id,
            parameters.format.name()
        );
        app.storage
            .put(&key, bytes)
            .await
            .map_err(AppError::internal)?;
        made.push(generated_asset(
            &request,
            &parameters,
            format!("Sample {}", i + 1),
            key,
            resolution.clone(),
            &variant,
            false,
        ));
    }
    let sample_meta: Vec<Value> = made
        .iter()
        .map(|a| {
            json!({"id": a.id, "url": a.file_path, "resolution": a.resolution, "variant": a.metadata["variant"]})
        })
        .collect();

    let elapsed = started.elapsed().as_millis() as i32;
    // Only a request still waiting for them gets the assets: a cancelled
    // (refunded) one must not keep images it did not pay for.
    let effects = Effects {
        set: Changes {
            sample_assets: Some(json!(sample_meta)),
            phase_deadline: Some(service::deadline_after(
                app.config.generation.selection_deadline,
            )),
            processing_time_ms: Some(elapsed),
            ..Default::default()
        },
        assets: made,
        usage: Some(Usage::Entry(UsageEntry {
            user_id: Some(request.user_id),
            action_type: "sample_generation_completed",
            details: Some(json!({"samples": sample_meta.len(), "ms": elapsed})),
            ..Default::default()
        })),
        ..Default::default()
    };
    if let Some(outcome) = pipeline::transition(
        &mut conn,
        request.id,
        &[GenerationStatus::ProcessingSamples],
        GenerationStatus::AwaitingSelection,
        effects,
    )
    .await?
    {
        pipeline::after_commit(app, &outcome).await;
    }
    Ok(Done::Done)
}

async fn final_image(app: &App, job: &Job) -> AppResult<Done> {
    let started = Instant::now();
    let mut conn = app.worker_db.conn().await?;
    let request = load(&mut conn, job.request_id()?).await?;
    if request.status != GenerationStatus::ProcessingFinal {
        return Ok(Done::Done);
    }
    let (parameters, version_parameters) = spec_parts(&mut conn, &request).await?;
    let palette = palette(&mut conn, request.project_id).await?;
    let generator = generator_for(&version_parameters, &app.http, &app.provider_breakers)
        .map_err(AppError::internal)?;
    // The final repeats the chosen sample's variant at full resolution.
    let variant = request
        .sample_assets
        .as_ref()
        .and_then(Value::as_array)
        .and_then(|samples| {
            samples.iter().find(|s| {
                s.get("id").and_then(Value::as_str)
                    == request
                        .selected_sample_id
                        .map(|id| id.to_string())
                        .as_deref()
            })
        })
        .and_then(|s| s.get("variant").and_then(Value::as_str))
        .unwrap_or("sample-0")
        .to_string();
    let spec = ImageSpec {
        prompt: request.input_prompt.clone(),
        style: request.style_guidance.clone(),
        width: parameters.width,
        height: parameters.height,
        format: parameters.format,
        variant: variant.clone(),
        palette,
        model: request.ai_model_used.clone().unwrap_or_default(),
    };
    let bytes = match generate_checked(generator.as_ref(), &spec).await {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Done::Retry(format!("{e:#}"))),
    };
    let key = format!(
        "generated/{}/final.{}",
        request.id,
        parameters.format.name()
    );
    app.storage
        .put(&key, bytes)
        .await
        .map_err(AppError::internal)?;
    let final_asset = generated_asset(
        &request,
        &parameters,
        "Final".into(),
        key,
        format!("{}x{}", parameters.width, parameters.height),
        &variant,
        true,
    );
    let final_id = final_asset.id;

    let elapsed = request.processing_time_ms.unwrap_or(0) + started.elapsed().as_millis() as i32;
    // The pipeline locks the request: a cancel racing with us either ended it
    // already (then no final is recorded) or waits until it is Completed.
    let effects = Effects {
        set: Changes {
            final_asset_id: Some(final_id),
            processing_time_ms: Some(elapsed),
            ..Default::default()
        },
        assets: vec![final_asset],
        usage: Some(Usage::Entry(UsageEntry {
            user_id: Some(request.user_id),
            action_type: "final_generation_completed",
            details: Some(json!({"ms": elapsed})),
            ..Default::default()
        })),
        notice: Some(Notice {
            kind: "generation_complete",
            message: "Your image is ready.",
            metadata: json!({
                "generationRequestId": GlobalId::uuid(NodeType::GenerationRequest, request.id),
                "assetId": GlobalId::uuid(NodeType::Asset, final_id),
            }),
        }),
        ..Default::default()
    };
    if let Some(outcome) = pipeline::transition(
        &mut conn,
        request.id,
        &[GenerationStatus::ProcessingFinal],
        GenerationStatus::Completed,
        effects,
    )
    .await?
    {
        pipeline::after_commit(app, &outcome).await;
    }
    Ok(Done::Done)
}
