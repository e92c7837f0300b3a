//! The generation workers: each one claims a job from the queue, runs its step,
//! and settles it (done, retried with backoff, or failed for good, which ends the
//! request with its refunds). Workers run inside the server (`WORKERS`) or as
//! `atelier worker` processes, any number against one database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::model::{GenerationStatus, JobStatus};
use super::queue::{self, Job};
use super::steps::{self, Done};
use crate::app::App;
use crate::error::AppResult;

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
    tasks.push(tokio::spawn(queue::sweep(app.clone(), shutdown.clone())));
    // The other job kinds' own background work (refreshing social connections).
    for runner in app.job_runners.all() {
        let (runner, app, shutdown) = (runner.clone(), app.clone(), shutdown.clone());
        tasks.push(tokio::spawn(async move {
            runner.background(app, shutdown).await
        }));
    }
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
            queue::claim(&mut conn, &name, config.lease).await
        }
        .await;
        match claimed {
            Ok(Some(job)) => {
                let heartbeat = tokio::spawn(queue::heartbeat(app.clone(), job.id, config.lease));
                let started = Instant::now();
                let outcome = match app.job_runners.get(job.phase) {
                    Some(runner) => runner.run(&app, &job).await,
                    None => steps::run(&app, &job).await,
                };
                heartbeat.abort();
                let label = match &outcome {
                    Ok(Done::Done) => "done",
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

async fn settle_job(app: &App, job: &Job, outcome: AppResult<Done>) -> AppResult<()> {
    let mut conn = app.worker_db.conn().await?;
    let error = match outcome {
        Ok(Done::Done) => {
            return queue::settle(&mut conn, job.id, JobStatus::Done, None, None).await
        }
        Ok(Done::Retry(error)) => error,
        Err(e) => format!("{:#}", anyhow::Error::from(e)),
    };
    let max = app.config.generation.max_attempts as i32;
    if job.attempts < max {
        let backoff = Duration::from_millis(500 * 2u64.pow(job.attempts.clamp(0, 10) as u32));
        tracing::warn!(job = %job.id, attempt = job.attempts, %error, "generation step failed; will retry");
        return queue::settle(
            &mut conn,
            job.id,
            JobStatus::Queued,
            Some(error),
            Some(backoff),
        )
        .await;
    }
    tracing::error!(job = %job.id, %error, "generation failed for good");
    queue::settle(
        &mut conn,
        job.id,
        JobStatus::Failed,
        Some(error.clone()),
        None,
    )
    .await?;
    if let Some(runner) = app.job_runners.get(job.phase) {
        return runner.fail(app, job, error).await;
    }
    steps::fail(
        app,
        &mut conn,
        job.request_id()?,
        GenerationStatus::Failed,
        Some(format!("generation failed: {error}")),
    )
    .await
    .map(|_| ())
}
