//! The export kind of the job queue: the queue claims, leases and retries it;
//! this runner builds the ZIP and records the outcome.

use std::sync::Arc;

use super::model::{self, DataExportStatus};
use super::{archive, service};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::generation::queue::{Job, JobRunner};
use crate::generation::steps::Done;

#[derive(Debug)]
pub struct ExportJob;

fn export_id(job: &Job) -> AppResult<uuid::Uuid> {
    job.data_export_id
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("export job {} has no export", job.id)))
}

#[async_trait::async_trait]
impl JobRunner for ExportJob {
    async fn run(&self, app: &Arc<App>, job: &Job) -> AppResult<Done> {
        let mut conn = app.worker_db.conn().await?;
        let Some(export) = model::by_id(&mut conn, export_id(job)?).await? else {
            return Ok(Done::Done);
        };
        // A retried job whose export already ended has nothing left to do.
        if export.status != DataExportStatus::Pending {
            return Ok(Done::Done);
        }
        match archive::build(app, &mut conn, &export).await {
            Ok(built) => {
                if !service::complete(app, &mut conn, &export, &built).await? {
                    // Ended meanwhile: the file is nobody's.
                    let _ = app.storage.delete(&built.key).await;
                }
                Ok(Done::Done)
            }
            Err(e) => {
                tracing::warn!(error = ?e, export = %export.id, "building an export failed");
                // The outermost context is written for the user; the chain is for the log.
                Ok(Done::Retry(e.to_string()))
            }
        }
    }

    async fn fail(&self, app: &App, job: &Job, reason: String) -> AppResult<()> {
        let mut conn = app.worker_db.conn().await?;
        service::fail(app, &mut conn, export_id(job)?, &reason).await
    }

    async fn sweep(&self, app: &Arc<App>) -> AppResult<()> {
        let removed = service::sweep_expired(app).await?;
        if removed > 0 {
            tracing::info!(removed, "expired data exports removed");
        }
        Ok(())
    }
}
