//! The job queue in PostgreSQL: jobs are claimed with `FOR UPDATE SKIP LOCKED`
//! under a lease that a heartbeat extends, so a job whose worker died is claimed
//! again once its lease lapses; the sweeper ends requests past their deadline.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::watch;
use uuid::Uuid;

use super::model::{GenerationStatus, JobKind, JobPhase, JobStatus};
use super::{pipeline, service};
use crate::app::App;
use crate::db::schema::{generation_jobs, generation_requests};
use crate::error::AppResult;

/// A claimed job.
#[derive(Debug, QueryableByName)]
pub struct Job {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Set for the generation phases.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub generation_request_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub phase: JobKind,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Set for `JobKind::Export`.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub data_export_id: Option<Uuid>,
    /// Set for `JobKind::Publish`.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub published_post_id: Option<Uuid>,
}

impl Job {
    /// The generation request of a generation phase's job.
    pub fn request_id(&self) -> AppResult<Uuid> {
        self.generation_request_id.ok_or_else(|| {
            crate::error::AppError::internal(anyhow::anyhow!(
                "job {} of phase {:?} has no generation request",
                self.id,
                self.phase
            ))
        })
    }
}

/// Runs the jobs of a kind another domain queues (`JobKind::Export`,
/// `JobKind::Publish`): the
/// queue claims, leases, retries and settles them as it does its own, and the
/// domain stays out of the generation code (it registers a runner in `App`).
#[async_trait::async_trait]
pub trait JobRunner: Send + Sync + std::fmt::Debug {
    /// One attempt; `Done::Retry` or an error is retried with backoff.
    async fn run(&self, app: &Arc<App>, job: &Job) -> AppResult<super::steps::Done>;
    /// The last attempt failed: record why.
    async fn fail(&self, app: &App, job: &Job, reason: String) -> AppResult<()>;
    /// Called by the sweeper on each of its rounds (expiries and the like).
    async fn sweep(&self, _app: &Arc<App>) -> AppResult<()> {
        Ok(())
    }
    /// Work of its own beside the queue, for as long as the workers run
    /// (refreshing social connections before their tokens expire).
    async fn background(&self, _app: Arc<App>, _shutdown: watch::Receiver<bool>) {}
}

/// The runners of the job kinds that are not generation phases.
#[derive(Debug, Default)]
pub struct JobRunners(Vec<(JobKind, Arc<dyn JobRunner>)>);

impl JobRunners {
    pub fn with(mut self, phase: JobKind, runner: Arc<dyn JobRunner>) -> Self {
        self.0.push((phase, runner));
        self
    }

    pub fn get(&self, phase: JobKind) -> Option<&Arc<dyn JobRunner>> {
        self.0.iter().find(|(p, _)| *p == phase).map(|(_, r)| r)
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<dyn JobRunner>> {
        self.0.iter().map(|(_, r)| r)
    }
}

/// Queues the build of a data export (inside the caller's transaction).
pub async fn enqueue_export(conn: &mut AsyncPgConnection, export_id: Uuid) -> AppResult<()> {
    diesel::insert_into(generation_jobs::table)
        .values((
            generation_jobs::data_export_id.eq(export_id),
            generation_jobs::phase.eq(JobKind::Export),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Queues a publication job for `published_post_id` (inside the caller's
/// transaction); a second one for the same post is not queued
/// (`uq_generationjob_publishedpost`).
pub async fn enqueue_publication(
    conn: &mut AsyncPgConnection,
    published_post_id: Uuid,
) -> AppResult<bool> {
    let inserted = diesel::insert_into(generation_jobs::table)
        .values((
            generation_jobs::published_post_id.eq(published_post_id),
            generation_jobs::phase.eq(JobKind::Publish),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Queues the job of `phase` (inside the caller's transaction).
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    request_id: Uuid,
    phase: JobPhase,
) -> AppResult<()> {
    diesel::insert_into(generation_jobs::table)
        .values((
            generation_jobs::generation_request_id.eq(request_id),
            generation_jobs::phase.eq(phase),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives up the request's queued and running jobs (it ended).
pub async fn close_open(conn: &mut AsyncPgConnection, request_id: Uuid) -> AppResult<()> {
    diesel::update(
        generation_jobs::table.filter(generation_jobs::generation_request_id.eq(request_id)),
    )
    .filter(generation_jobs::status.eq_any(JobStatus::OPEN))
    .set(generation_jobs::status.eq(JobStatus::Failed))
    .execute(conn)
    .await?;
    Ok(())
}

/// Jobs queued or running, for `/metrics`.
pub async fn open_jobs(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(generation_jobs::table
        .filter(generation_jobs::status.eq_any(JobStatus::OPEN))
        .count()
        .get_result(conn)
        .await?)
}

/// Claims the next runnable job: queued and due, or running with a lapsed lease.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    lease: Duration,
) -> AppResult<Option<Job>> {
    Ok(diesel::sql_query(
        "UPDATE generation_jobs SET status = $3, locked_by = $1, \
             lease_until = now() + make_interval(secs => $2), attempts = attempts + 1 \
         WHERE id = (SELECT id FROM generation_jobs \
                     WHERE (status = $4 AND run_after <= now()) \
                        OR (status = $3 AND lease_until < now()) \
                     ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, generation_request_id, phase, attempts, data_export_id, published_post_id",
    )
    .bind::<Text, _>(worker)
    .bind::<Integer, _>(lease.as_secs() as i32)
    .bind::<Text, _>(JobStatus::Running)
    .bind::<Text, _>(JobStatus::Queued)
    .get_result::<Job>(conn)
    .await
    .optional()?)
}

/// Extends the lease of a job still running.
pub async fn extend_lease(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    lease: Duration,
) -> AppResult<()> {
    diesel::sql_query(
        "UPDATE generation_jobs SET lease_until = now() + make_interval(secs => $2) \
         WHERE id = $1 AND status = $3",
    )
    .bind::<SqlUuid, _>(job_id)
    .bind::<Integer, _>(lease.as_secs() as i32)
    .bind::<Text, _>(JobStatus::Running)
    .execute(conn)
    .await?;
    Ok(())
}

/// Settles a claimed job: `Done`, `Failed`, or `Queued` again after `retry_in`.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    job_id: Uuid,
    status: JobStatus,
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

/// Keeps the lease of a running job alive until aborted.
pub async fn heartbeat(app: Arc<App>, job_id: Uuid, lease: Duration) {
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        let extended = async {
            let mut conn = app.worker_db.conn().await?;
            extend_lease(&mut conn, job_id, lease).await
        }
        .await;
        if let Err(e) = extended {
            tracing::warn!(error = ?e, %job_id, "heartbeat failed");
        }
    }
}

/// Requests whose phase deadline has passed and that have not ended.
async fn overdue(conn: &mut AsyncPgConnection) -> AppResult<Vec<Uuid>> {
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
        .load(conn)
        .await?)
}

/// Ends requests past their phase deadline (Failed, with refunds): nothing stays
/// "processing" forever, even if every worker died.
pub async fn sweep(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.config.generation.sweep_interval) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        let ended: AppResult<()> = async {
            let mut conn = app.worker_db.conn().await?;
            for id in overdue(&mut conn).await? {
                let outcome = service::end_unsuccessfully(
                    &mut conn,
                    id,
                    GenerationStatus::Failed,
                    Some("the generation took too long".into()),
                )
                .await;
                match outcome {
                    Ok(Some(outcome)) => pipeline::after_commit(&app, &outcome).await,
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = ?e, %id, "could not end an overdue request"),
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = ended {
            tracing::warn!(error = ?e, "deadline sweep failed");
        }
        for runner in app.job_runners.all() {
            if let Err(e) = runner.sweep(&app).await {
                tracing::warn!(error = ?e, ?runner, "sweep of a job kind failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_enums_match_the_migration() {
        let pipeline =
            include_str!("../../migrations/2026-11-22-000013_generation_pipeline/up.sql");
        // The export and publish kinds (issue 15) redefined the phase check.
        let sql = include_str!("../../migrations/2026-12-04-400001_job_subjects/up.sql");
        let phases: Vec<String> = JobKind::ALL
            .iter()
            .map(|p| format!("'{}'", p.as_db_str()))
            .collect();
        assert!(
            sql.contains(&format!("CHECK (phase IN ({}))", phases.join(", "))),
            "{phases:?}"
        );
        // A phase's job is read back as the kind of the same spelling.
        for phase in JobPhase::ALL {
            assert!(
                JobKind::from_db_str(phase.as_db_str()).is_some(),
                "{phase:?}"
            );
        }
        let statuses: Vec<String> = JobStatus::ALL
            .iter()
            .map(|s| format!("'{}'", s.as_db_str()))
            .collect();
        assert!(
            pipeline.contains(&format!("CHECK (status IN ({}))", statuses.join(", "))),
            "{statuses:?}"
        );
    }
}
