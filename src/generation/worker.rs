//! The job queue and its workers. Jobs live in PostgreSQL and are claimed with
//! `FOR UPDATE SKIP LOCKED` under a lease that a heartbeat extends; a job whose
//! worker died is claimed again when its lease lapses. Every step is idempotent
//! (fixed asset ids, conditional status updates), so a retried job never charges,
//! refunds or creates assets twice. Workers run inside the server (`WORKERS`) or
//! as `atelier worker` processes, any number against one database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use tokio::sync::watch;
use uuid::Uuid;

use super::events;
use super::model::{GenerationRequest, GenerationStatus};
use super::providers::{
    generator_for, parse_hex, Blocklist, ContentSafety, ImageGenerator, ImageSpec, OutputFormat,
};
use super::service::{self, Parameters};
use crate::app::App;
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::{
    ai_model_versions, assets, brand_kits, generation_jobs, generation_requests, projects,
    workbenches,
};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::notifications::service as notifications;
use crate::studio::model::AssetType;

/// A claimed job.
#[derive(Debug, QueryableByName)]
pub struct Job {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub generation_request_id: Uuid,
    #[diesel(sql_type = Text)]
    pub phase: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims the next runnable job: queued and due, or running with a lapsed lease.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    lease: Duration,
) -> AppResult<Option<Job>> {
    Ok(diesel::sql_query(
        "UPDATE generation_jobs SET status = 'running', locked_by = $1, \
             lease_until = now() + make_interval(secs => $2), attempts = attempts + 1 \
         WHERE id = (SELECT id FROM generation_jobs \
                     WHERE (status = 'queued' AND run_after <= now()) \
                        OR (status = 'running' AND lease_until < now()) \
                     ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, generation_request_id, phase, attempts",
    )
    .bind::<Text, _>(worker)
    .bind::<Integer, _>(lease.as_secs() as i32)
    .get_result::<Job>(conn)
    .await
    .optional()?)
}

async fn set_job(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    status: &str,
    error: Option<String>,
    retry_in: Option<Duration>,
) -> AppResult<()> {
    let run_after =
        Utc::now() + chrono::TimeDelta::from_std(retry_in.unwrap_or_default()).unwrap_or_default();
    diesel::update(generation_jobs::table.find(job_id))
        .set((
            generation_jobs::status.eq(status),
            generation_jobs::last_error.eq(error),
            generation_jobs::lease_until.eq(None::<chrono::DateTime<Utc>>),
            generation_jobs::run_after.eq(run_after),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Jobs queued or running, for `/metrics`.
pub async fn open_jobs(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(generation_jobs::table
        .filter(generation_jobs::status.eq_any(["queued", "running"]))
        .count()
        .get_result(conn)
        .await?)
}

/// Workers running in the background of this process; stopped by [`Workers::stop`].
pub struct Workers {
    shutdown: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Workers {
    /// Starts `count` workers (and the sweeper) unless `count` is zero.
    pub fn start(app: Arc<App>, count: usize) -> Option<Self> {
        if count == 0 {
            return None;
        }
        let (shutdown, watching) = watch::channel(false);
        let handle = tokio::spawn(run(app, count, watching));
        Some(Self { shutdown, handle })
    }

    /// Lets the jobs in progress finish (up to `grace`), then stops.
    pub async fn stop(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        if tokio::time::timeout(grace, self.handle).await.is_err() {
            tracing::warn!(
                "workers did not stop in time; their leases will lapse and the jobs run again"
            );
        }
    }

    /// Stops at once, as a crash would (tests use it to check recovery).
    pub fn abort(self) {
        self.handle.abort();
    }
}

/// Runs `count` workers and the deadline sweeper until `shutdown` turns true.
pub async fn run(app: Arc<App>, count: usize, shutdown: watch::Receiver<bool>) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let name = format!("{}-{}-{i}", hostname(), std::process::id());
        tasks.push(tokio::spawn(work(app.clone(), name, shutdown.clone())));
    }
    tasks.push(tokio::spawn(sweep(app.clone(), shutdown.clone())));
    for task in tasks {
        let _ = task.await;
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "worker".into())
}

async fn work(app: Arc<App>, name: String, mut shutdown: watch::Receiver<bool>) {
    let config = app.config.generation.clone();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let claimed = async {
            let mut conn = app.worker_db.conn().await?;
            claim(&mut conn, &name, config.lease).await
        }
        .await;
        match claimed {
            Ok(Some(job)) => {
                let heartbeat = tokio::spawn(heartbeat(app.clone(), job.id, config.lease));
                let started = Instant::now();
                let outcome = process(&app, &job).await;
                heartbeat.abort();
                let label = match &outcome {
                    Ok(Outcome::Done) => "done",
                    _ => "retried_or_failed",
                };
                app.metrics.job(label, started.elapsed().as_secs_f64());
                if let Err(e) = settle_job(&app, &job, outcome).await {
                    tracing::error!(error = ?e, job = %job.id, "could not settle a job; its lease will lapse and it will run again");
                }
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(config.poll_interval) => {}
                    _ = app.generation_wakeup.notified() => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "claiming a job failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Keeps the lease of a running job alive.
async fn heartbeat(app: Arc<App>, job_id: Uuid, lease: Duration) {
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        let extended = async {
            let mut conn = app.worker_db.conn().await?;
            diesel::sql_query("UPDATE generation_jobs SET lease_until = now() + make_interval(secs => $2) WHERE id = $1 AND status = 'running'")
                .bind::<SqlUuid, _>(job_id)
                .bind::<Integer, _>(lease.as_secs() as i32)
                .execute(&mut conn)
                .await
                .map_err(AppError::from)
        }
        .await;
        if let Err(e) = extended {
            tracing::warn!(error = ?e, %job_id, "heartbeat failed");
        }
    }
}

/// What happened to a job's work.
enum Outcome {
    Done,
    /// Worth trying again (the provider failed).
    Retry(String),
}

async fn settle_job(app: &App, job: &Job, outcome: AppResult<Outcome>) -> AppResult<()> {
    let mut conn = app.worker_db.conn().await?;
    match outcome {
        Ok(Outcome::Done) => set_job(&mut conn, job.id, "done", None, None).await,
        Ok(Outcome::Retry(error)) => retry_or_fail(app, &mut conn, job, error).await,
        Err(e) => retry_or_fail(app, &mut conn, job, format!("{:#}", anyhow::Error::from(e))).await,
    }
}

async fn retry_or_fail(
    app: &App,
    conn: &mut AsyncPgConnection,
    job: &Job,
    error: String,
) -> AppResult<()> {
    let max = app.config.generation.max_attempts as i32;
    if job.attempts < max {
        let backoff = Duration::from_millis(500 * 2u64.pow(job.attempts.clamp(0, 10) as u32));
        tracing::warn!(job = %job.id, attempt = job.attempts, %error, "generation step failed; will retry");
        return set_job(conn, job.id, "queued", Some(error), Some(backoff)).await;
    }
    tracing::error!(job = %job.id, %error, "generation failed for good");
    set_job(conn, job.id, "failed", Some(error.clone()), None).await?;
    fail_request(
        app,
        job.generation_request_id,
        GenerationStatus::Failed,
        Some(format!("generation failed: {error}")),
    )
    .await
    .map(|_| ())
}

/// Ends a request unsuccessfully with its refunds (and, unless the user cancelled
/// it, a notification written in the same transaction), then tells its watchers.
/// Returns false when the request had already ended.
pub async fn fail_request(
    app: &App,
    request_id: Uuid,
    to: GenerationStatus,
    message: Option<String>,
) -> AppResult<bool> {
    let notice = match to {
        GenerationStatus::Cancelled => None,
        GenerationStatus::ContentRejected => {
            Some("Your generation was refused by the content check; your credits were refunded.")
        }
        _ => Some("Your generation failed; unused credits were refunded."),
    };
    let mut conn = app.worker_db.conn().await?;
    let Some((request, balances, note)) =
        service::finish_unsuccessfully(&app.metrics, &mut conn, request_id, to, message, notice)
            .await?
    else {
        return Ok(false);
    };
    if let Some(note) = note {
        notifications::publish(app, &note).await;
    }
    events::status_changed(app, &request).await;
    for (payer, balance) in balances {
        events::balance_changed(app, payer, balance).await;
    }
    Ok(true)
}

use service::load;

/// The brand colours of the request's project (its kit, else the workbench default).
async fn palette(
    conn: &mut AsyncPgConnection,
    project_id: Option<Uuid>,
) -> AppResult<Vec<[u8; 3]>> {
    let Some(project_id) = project_id else {
        return Ok(Vec::new());
    };
    let kit: Option<(Option<Uuid>, Option<Uuid>)> = projects::table
        .inner_join(workbenches::table)
        .filter(projects::id.eq(project_id))
        .select((projects::brand_kit_id, workbenches::default_brand_kit_id))
        .first(conn)
        .await
        .optional()?;
    let Some(kit_id) = kit.and_then(|(own, default)| own.or(default)) else {
        return Ok(Vec::new());
    };
    let colors: Option<Value> = brand_kits::table
        .find(kit_id)
        .select(brand_kits::colors)
        .first(conn)
        .await
        .optional()?;
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

async fn process(app: &App, job: &Job) -> AppResult<Outcome> {
    match job.phase.as_str() {
        "samples" => samples(app, job).await,
        "final" => final_image(app, job).await,
        other => Err(AppError::internal(anyhow::anyhow!(
            "unknown job phase {other}"
        ))),
    }
}

async fn spec_parts(
    conn: &mut AsyncPgConnection,
    request: &GenerationRequest,
) -> AppResult<(Parameters, Value)> {
    let parameters = request
        .input_parameters
        .as_ref()
        .and_then(Parameters::from_json)
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("request {} has no parameters", request.id))
        })?;
    let version_parameters: Option<Value> = match request.ai_model_version_id {
        Some(id) => ai_model_versions::table
            .find(id)
            .select(ai_model_versions::parameters)
            .first(conn)
            .await
            .optional()?
            .flatten(),
        None => None,
    };
    Ok((
        parameters,
        version_parameters.unwrap_or_else(|| json!({"provider": "local"})),
    ))
}

async fn samples(app: &App, job: &Job) -> AppResult<Outcome> {
    let started = Instant::now();
    let mut conn = app.worker_db.conn().await?;
    let mut request = load(&mut conn, job.generation_request_id).await?;
    match request.status {
        GenerationStatus::Pending => {
            let moved: Option<GenerationRequest> =
                diesel::update(generation_requests::table.find(request.id))
                    .filter(generation_requests::status.eq(GenerationStatus::Pending))
                    .set(generation_requests::status.eq(GenerationStatus::ProcessingSamples))
                    .returning(GenerationRequest::as_returning())
                    .get_result(&mut conn)
                    .await
                    .optional()?;
            let Some(moved) = moved else {
                return Ok(Outcome::Done);
            };
            request = moved;
            events::status_changed(app, &request).await;
        }
        GenerationStatus::ProcessingSamples => {}
        _ => return Ok(Outcome::Done),
    }

    let safety = Blocklist::new(&app.config.generation.blocklist);
    if let Some(reason) =
        safety.reject_reason(&request.input_prompt, request.style_guidance.as_deref())
    {
        drop(conn);
        fail_request(
            app,
            request.id,
            GenerationStatus::ContentRejected,
            Some(reason),
        )
        .await?;
        return Ok(Outcome::Done);
    }

    let (parameters, version_parameters) = spec_parts(&mut conn, &request).await?;
    let palette = palette(&mut conn, request.project_id).await?;
    let generator = generator_for(&version_parameters, &app.http).map_err(AppError::internal)?;
    let sample_size = sample_size(parameters.width, parameters.height);
    let resolution = format!("{}x{}", sample_size.0, sample_size.1);
    let mut made = Vec::new();
    for i in 0..parameters.sample_count {
        // A request cancelled (or timed out) meanwhile needs no more images.
        if load(&mut conn, request.id).await?.status != GenerationStatus::ProcessingSamples {
            return Ok(Outcome::Done);
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
            Err(e) => return Ok(Outcome::Retry(format!("{e:#}"))),
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
        made.push(NewAsset {
            id: asset_id(request.id, &variant),
            name: format!("Sample {}", i + 1),
            key,
            resolution: resolution.clone(),
            is_final: false,
            variant,
        });
    }
    let sample_meta: Vec<Value> = made
        .iter()
        .map(
            |a| json!({"id": a.id, "url": a.key, "resolution": a.resolution, "variant": a.variant}),
        )
        .collect();

    let selection_deadline = service::deadline_after(app.config.generation.selection_deadline);
    let elapsed = started.elapsed().as_millis() as i32;
    let conn: &mut AsyncPgConnection = &mut conn;
    let moved = conn
        .transaction(async |conn| {
            let moved: Option<GenerationRequest> =
                diesel::update(generation_requests::table.find(request.id))
                    .filter(generation_requests::status.eq(GenerationStatus::ProcessingSamples))
                    .set((
                        generation_requests::status.eq(GenerationStatus::AwaitingSelection),
                        generation_requests::sample_assets.eq(Some(json!(sample_meta))),
                        generation_requests::phase_deadline.eq(Some(selection_deadline)),
                        generation_requests::processing_time_ms.eq(Some(elapsed)),
                    ))
                    .returning(GenerationRequest::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?;
            if moved.is_some() {
                // Only a request still waiting for them gets the assets: a cancelled
                // (refunded) one must not keep images it did not pay for.
                for asset in &made {
                    insert_asset(conn, &request, asset, &parameters).await?;
                }
                usage::record(
                    conn,
                    UsageEntry {
                        user_id: Some(request.user_id),
                        action_type: "sample_generation_completed",
                        generation_request_id: Some(request.id),
                        details: Some(json!({"samples": sample_meta.len(), "ms": elapsed})),
                        ..Default::default()
                    },
                )
                .await?;
            }
            Ok::<_, AppError>(moved)
        })
        .await?;
    if let Some(request) = moved {
        events::status_changed(app, &request).await;
    }
    Ok(Outcome::Done)
}

/// An image made by a job, stored, waiting for its row.
struct NewAsset {
    id: Uuid,
    name: String,
    key: String,
    resolution: String,
    is_final: bool,
    variant: String,
}

async fn insert_asset(
    conn: &mut AsyncPgConnection,
    request: &GenerationRequest,
    asset: &NewAsset,
    parameters: &Parameters,
) -> AppResult<()> {
    let (id, name, key, resolution, is_final, variant) = (
        asset.id,
        asset.name.as_str(),
        asset.key.as_str(),
        asset.resolution.as_str(),
        asset.is_final,
        asset.variant.as_str(),
    );
    diesel::insert_into(assets::table)
        .values((
            assets::id.eq(id),
            assets::project_id.eq(request.project_id),
            assets::user_id.eq(request.user_id),
            assets::generation_request_id.eq(Some(request.id)),
            assets::name.eq(name),
            assets::type_.eq(AssetType::AiGenerated),
            assets::file_path.eq(key),
            assets::mime_type.eq(parameters.format.mime_type()),
            assets::format.eq(parameters.format.name()),
            assets::resolution.eq(Some(resolution)),
            assets::is_final.eq(is_final),
            assets::metadata.eq(Some(json!({
                "prompt": request.input_prompt,
                "styleGuidance": request.style_guidance,
                "parameters": request.input_parameters,
                "model": request.ai_model_used,
                "variant": variant,
            }))),
        ))
        .on_conflict(assets::id)
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

async fn final_image(app: &App, job: &Job) -> AppResult<Outcome> {
    let started = Instant::now();
    let mut conn = app.worker_db.conn().await?;
    let request = load(&mut conn, job.generation_request_id).await?;
    if request.status != GenerationStatus::ProcessingFinal {
        return Ok(Outcome::Done);
    }
    let (parameters, version_parameters) = spec_parts(&mut conn, &request).await?;
    let palette = palette(&mut conn, request.project_id).await?;
    let generator = generator_for(&version_parameters, &app.http).map_err(AppError::internal)?;
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
        Err(e) => return Ok(Outcome::Retry(format!("{e:#}"))),
    };
    let id = asset_id(request.id, "final");
    let key = format!(
        "generated/{}/final.{}",
        request.id,
        parameters.format.name()
    );
    app.storage
        .put(&key, bytes)
        .await
        .map_err(AppError::internal)?;
    let final_asset = NewAsset {
        id,
        name: "Final".into(),
        key,
        resolution: format!("{}x{}", parameters.width, parameters.height),
        is_final: true,
        variant: variant.clone(),
    };

    let elapsed = request.processing_time_ms.unwrap_or(0) + started.elapsed().as_millis() as i32;
    let conn: &mut AsyncPgConnection = &mut conn;
    let done = conn
        .transaction(async |conn| {
            // Lock the request: a cancel racing with us either ended it already
            // (then no final is recorded) or waits until it is Completed.
            let status: GenerationStatus = generation_requests::table
                .find(request.id)
                .select(generation_requests::status)
                .for_update()
                .first(conn)
                .await?;
            if status != GenerationStatus::ProcessingFinal {
                return Ok::<_, AppError>(None);
            }
            insert_asset(conn, &request, &final_asset, &parameters).await?;
            let done: Option<GenerationRequest> =
                diesel::update(generation_requests::table.find(request.id))
                    .filter(generation_requests::status.eq(GenerationStatus::ProcessingFinal))
                    .set((
                        generation_requests::status.eq(GenerationStatus::Completed),
                        generation_requests::final_asset_id.eq(Some(id)),
                        generation_requests::processing_time_ms.eq(Some(elapsed)),
                        generation_requests::completed_at.eq(Some(Utc::now())),
                        generation_requests::phase_deadline.eq(None::<chrono::DateTime<Utc>>),
                    ))
                    .returning(GenerationRequest::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?;
            let Some(done) = done else {
                return Ok(None);
            };
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(done.user_id),
                    action_type: "final_generation_completed",
                    generation_request_id: Some(done.id),
                    details: Some(json!({"ms": elapsed})),
                    ..Default::default()
                },
            )
            .await?;
            let note = notifications::create(
                conn,
                done.user_id,
                "generation_complete",
                "Your image is ready.",
                json!({
                    "generationRequestId": GlobalId::uuid(NodeType::GenerationRequest, done.id),
                    "assetId": GlobalId::uuid(NodeType::Asset, id),
                }),
            )
            .await?;
            Ok(Some((done, note)))
        })
        .await?;
    if let Some((done, note)) = done {
        events::status_changed(app, &done).await;
        notifications::publish(app, &note).await;
    }
    Ok(Outcome::Done)
}

/// Ends requests past their phase deadline (Failed, with refunds): nothing stays
/// "processing" forever, even if every worker died.
async fn sweep(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.config.generation.sweep_interval) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        let overdue: AppResult<Vec<Uuid>> = async {
            let mut conn = app.worker_db.conn().await?;
            Ok(generation_requests::table
                .filter(generation_requests::phase_deadline.lt(Utc::now()))
                .filter(generation_requests::status.eq_any([
                    GenerationStatus::Pending,
                    GenerationStatus::ProcessingSamples,
                    GenerationStatus::AwaitingSelection,
                    GenerationStatus::ProcessingFinal,
                ]))
                .select(generation_requests::id)
                .limit(100)
                .load(&mut conn)
                .await?)
        }
        .await;
        match overdue {
            Ok(ids) => {
                for id in ids {
                    if let Err(e) = fail_request(
                        &app,
                        id,
                        GenerationStatus::Failed,
                        Some("the generation took too long".into()),
                    )
                    .await
                    {
                        tracing::error!(error = ?e, %id, "could not end an overdue request");
                    }
                }
            }
            Err(e) => tracing::warn!(error = ?e, "deadline sweep failed"),
        }
    }
}
