//! Generation request rows, and the typed statuses of requests and jobs.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::generation_requests;
use crate::db::string_enum;

string_enum! {
    /// Where a generation request stands.
    pub enum GenerationStatus {
        /// Accepted, waiting for a worker.
        Pending => "Pending",
        /// Samples are being generated.
        ProcessingSamples => "ProcessingSamples",
        /// Samples are ready; one must be selected.
        AwaitingSelection => "AwaitingSelection",
        /// The final is being generated.
        ProcessingFinal => "ProcessingFinal",
        /// The final is ready.
        Completed => "Completed",
        /// Generation failed; unused credits were refunded.
        Failed => "Failed",
        /// Cancelled by the user; unused credits were refunded.
        Cancelled => "Cancelled",
        /// Refused by the content-safety check; credits were refunded.
        ContentRejected => "ContentRejected",
    }
}

string_enum! {
    /// What a job of the queue makes.
    pub enum JobPhase {
        /// The samples of a request.
        Samples => "samples",
        /// The final of the selected sample.
        Final => "final",
    }
}

string_enum! {
    /// What a job of the queue does: a generation phase (spelled as its
    /// `JobPhase`), or a kind another domain runs through a `JobRunner`.
    pub enum JobKind {
        /// The samples of a request.
        Samples => "samples",
        /// The final of the selected sample.
        Final => "final",
        /// A data export's ZIP (issue 15).
        Export => "export",
        /// The publication of an asset on a connected platform (issue 15).
        Publish => "publish",
    }
}

string_enum! {
    /// Where a job of the queue stands.
    pub enum JobStatus {
        /// Waiting for a worker (or for its retry time).
        Queued => "queued",
        /// Claimed by a worker under a lease.
        Running => "running",
        /// Finished.
        Done => "done",
        /// Given up on (the request failed or ended).
        Failed => "failed",
    }
}

impl JobStatus {
    /// The statuses of a job still to be worked on.
    pub const OPEN: [JobStatus; 2] = [JobStatus::Queued, JobStatus::Running];
}

// Serializable: status events carry the row itself.
/// A request for AI images.
#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Identifiable,
    SimpleObject,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = generation_requests, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct GenerationRequest {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    #[graphql(skip)]
    pub project_id: Option<Uuid>,
    /// What to generate.
    pub input_prompt: String,
    /// Style hints.
    pub style_guidance: Option<String>,
    /// Format, resolution, sample count and other parameters.
    pub input_parameters: Option<serde_json::Value>,
    /// Where the request stands.
    pub status: GenerationStatus,
    /// Why the request failed or was rejected.
    pub error_message: Option<String>,
    /// Sample metadata: `[{id, url, resolution}]`.
    pub sample_assets: Option<serde_json::Value>,
    #[graphql(skip)]
    pub selected_sample_id: Option<Uuid>,
    #[graphql(skip)]
    pub final_asset_id: Option<Uuid>,
    /// Credits charged for the samples.
    pub credits_cost_sample: Option<Decimal>,
    /// Credits charged for the final.
    pub credits_cost_final: Option<Decimal>,
    /// Model (and version) that served the request.
    pub ai_model_used: Option<String>,
    /// Total processing time.
    pub processing_time_ms: Option<i32>,
    /// When the request was made.
    pub created_at: DateTime<Utc>,
    /// When the request last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub idempotency_key: Option<String>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
    #[graphql(skip)]
    pub ai_model_version_id: Option<Uuid>,
    #[graphql(skip)]
    pub sample_charged_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub final_charged_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub sample_refunded_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub final_refunded_at: Option<DateTime<Utc>>,
    /// When the current phase must be over (it then fails, with its refund).
    pub phase_deadline: Option<DateTime<Utc>>,
    /// When the request reached a terminal status.
    pub completed_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    #[serde(default)]
    pub ai_model_deployment_id: Option<Uuid>,
}

/// A request as `requestGeneration` writes it; it starts Pending.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = generation_requests)]
pub struct NewGenerationRequest<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub project_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub input_prompt: &'a str,
    pub style_guidance: Option<&'a str>,
    pub input_parameters: Option<serde_json::Value>,
    pub credits_cost_sample: Option<Decimal>,
    pub credits_cost_final: Option<Decimal>,
    pub ai_model_used: Option<String>,
    pub ai_model_version_id: Option<Uuid>,
    /// The deployment that serves it, when the model has Active ones.
    pub ai_model_deployment_id: Option<Uuid>,
    pub idempotency_key: Option<&'a str>,
    pub phase_deadline: Option<DateTime<Utc>>,
    /// Set by the pipeline with the charge.
    pub sample_charged_at: Option<DateTime<Utc>>,
    /// Set by the pipeline with the charge.
    pub final_charged_at: Option<DateTime<Utc>>,
}
