//! AI model rows and their queries.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{
    ai_model_deployments, ai_model_feedback, ai_model_validation_results, ai_model_versions,
    ai_models,
};
use crate::db::{escape_like, string_enum};
use crate::graphql::pagination::Window;

string_enum! {
    /// What a model does.
    pub enum AiTaskType {
        /// Text to image.
        ImageGeneration => "ImageGeneration",
        /// Text generation.
        TextGeneration => "TextGeneration",
        /// Image to image.
        ImageTransformation => "ImageTransformation",
        /// Applies a style to an image.
        StyleTransfer => "StyleTransfer",
        /// Screens prompts and images.
        ContentSafety => "ContentSafety",
    }
}

string_enum! {
    /// Lifecycle of a model version.
    pub enum AiModelVersionStatus {
        /// Uploaded, not serving.
        Staged => "Staged",
        /// Serving requests.
        Production => "Production",
        /// Still works, should not be chosen.
        Deprecated => "Deprecated",
        /// Retired.
        Archived => "Archived",
        /// Failed validation or deployment.
        Failed => "Failed",
    }
}

string_enum! {
    /// Outcome of one validation check.
    pub enum ValidationStatus {
        /// Passed.
        Passed => "Passed",
        /// Failed.
        Failed => "Failed",
        /// Not finished.
        Pending => "Pending",
        /// Not run.
        Skipped => "Skipped",
    }
}

string_enum! {
    /// Where a version is deployed.
    pub enum DeploymentEnvironment {
        /// Staging.
        Staging => "staging",
        /// Production.
        Production => "production",
        /// Testing.
        Testing => "testing",
    }
}

string_enum! {
    /// State of a deployment.
    pub enum DeploymentStatus {
        /// Requested.
        Initiated => "Initiated",
        /// Rolling out.
        Deploying => "Deploying",
        /// Serving.
        Active => "Active",
        /// Stopped.
        Inactive => "Inactive",
        /// Did not deploy.
        Failed => "Failed",
        /// Replaced by the previous deployment.
        RolledBack => "RolledBack",
    }
}

/// An AI model offered by the platform.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject, serde::Serialize)]
#[diesel(table_name = ai_models, check_for_backend(diesel::pg::Pg))]
#[serde(rename_all = "camelCase")]
#[graphql(name = "AIModel", complex)]
pub struct AiModel {
    #[graphql(skip)]
    pub id: Uuid,
    /// Unique model name.
    pub name: String,
    /// What the model is good at.
    pub description: Option<String>,
    /// Who provides it, e.g. `Internal`, `OpenAI`.
    pub provider: String,
    /// What it does.
    pub task_type: AiTaskType,
    /// Inactive models are hidden from non-admins and refuse new requests.
    pub is_active: bool,
    /// When the model was added.
    pub created_at: DateTime<Utc>,
    /// When the model last changed.
    pub updated_at: DateTime<Utc>,
}

/// A specific version of an AI model.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject, serde::Serialize)]
#[diesel(table_name = ai_model_versions, check_for_backend(diesel::pg::Pg))]
#[serde(rename_all = "camelCase")]
#[graphql(name = "AIModelVersion", complex)]
pub struct AiModelVersion {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub model_id: Uuid,
    /// Version label, e.g. `1.0`.
    pub version_number: String,
    #[graphql(skip)]
    pub source_path: Option<String>,
    /// Artifact format, e.g. `ONNX`, `API`.
    pub format: Option<String>,
    // Provider settings (endpoints, key variables): platform admins only, through
    // the resolver in graphql/objects.rs.
    #[graphql(skip)]
    pub parameters: Option<serde_json::Value>,
    /// Lifecycle state.
    pub status: AiModelVersionStatus,
    #[graphql(skip)]
    pub validation_result_id: Option<Uuid>,
    #[graphql(skip)]
    pub created_by_user_id: Option<Uuid>,
    /// What changed in this version.
    pub release_notes: Option<String>,
    /// When the version was created.
    pub created_at: DateTime<Utc>,
    /// When the version last changed.
    pub updated_at: DateTime<Utc>,
}

/// Results of validating a model version.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject, serde::Serialize)]
#[diesel(table_name = ai_model_validation_results, check_for_backend(diesel::pg::Pg))]
#[serde(rename_all = "camelCase")]
#[graphql(name = "AIModelValidationResult", complex)]
pub struct AiModelValidationResult {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub model_version_id: Uuid,
    /// When validation ran.
    pub validation_timestamp: DateTime<Utc>,
    /// Security scan outcome.
    pub security_scan_status: ValidationStatus,
    /// Functional test outcome.
    pub functional_status: ValidationStatus,
    /// Latency, throughput and quality figures.
    pub performance_benchmark: Option<serde_json::Value>,
    /// Full results log.
    pub results: Option<serde_json::Value>,
    #[graphql(skip)]
    pub validated_by_user_id: Option<Uuid>,
    /// When the result was recorded.
    pub created_at: DateTime<Utc>,
}

/// A deployment of a model version.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject, serde::Serialize)]
#[diesel(table_name = ai_model_deployments, check_for_backend(diesel::pg::Pg))]
#[serde(rename_all = "camelCase")]
#[graphql(name = "AIModelDeployment", complex)]
pub struct AiModelDeployment {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub model_version_id: Uuid,
    /// Target environment.
    pub environment: DeploymentEnvironment,
    /// State.
    pub status: DeploymentStatus,
    /// e.g. `blue_green`, `canary`.
    pub deployment_strategy: Option<String>,
    /// Where the provider is called: an `http` version's requests go here.
    pub endpoint: Option<String>,
    /// Kubernetes deployment name, namespace, pod counts...
    pub kubernetes_details: Option<serde_json::Value>,
    #[graphql(skip)]
    pub deployed_by_user_id: Option<Uuid>,
    /// When it was deployed.
    pub deployment_timestamp: DateTime<Utc>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// The share (0-100) of the model's requests this deployment serves while
    /// `ACTIVE` in production; under 100 is a canary beside the older ones.
    pub traffic_percent: i32,
    /// When it last became `ACTIVE`.
    pub activated_at: Option<DateTime<Utc>>,
}

/// A user's feedback on a model's output.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject, serde::Serialize)]
#[diesel(table_name = ai_model_feedback, check_for_backend(diesel::pg::Pg))]
#[serde(rename_all = "camelCase")]
#[graphql(name = "AIModelFeedback", complex)]
pub struct AiModelFeedback {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Option<Uuid>,
    #[graphql(skip)]
    pub generation_request_id: Option<Uuid>,
    #[graphql(skip)]
    pub model_version_id: Option<Uuid>,
    /// 1 to 5 stars.
    pub rating: Option<i32>,
    /// Free text.
    pub comment: Option<String>,
    /// When the feedback was given.
    pub feedback_timestamp: DateTime<Utc>,
    /// Structured feedback.
    pub details: Option<serde_json::Value>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
}

/// Narrows the public model list.
#[derive(Debug, Clone, Default, async_graphql::InputObject)]
#[graphql(name = "AIModelFilter")]
pub struct AiModelFilter {
    /// Only models doing this task.
    pub task_type: Option<AiTaskType>,
    /// Only models of this provider (exact match).
    pub provider: Option<String>,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// Inactive models too: honoured for platform admins only (others always
    /// see active models alone).
    pub include_inactive: Option<bool>,
}

type ActiveModelsQuery<'a> = ai_models::BoxedQuery<'a, diesel::pg::Pg>;

fn active_models(filter: &AiModelFilter, all: bool) -> ActiveModelsQuery<'_> {
    let mut query = ai_models::table.into_boxed();
    if !all {
        query = query.filter(ai_models::is_active.eq(true));
    }
    if let Some(task_type) = filter.task_type {
        query = query.filter(ai_models::task_type.eq(task_type));
    }
    if let Some(provider) = &filter.provider {
        query = query.filter(ai_models::provider.eq(provider));
    }
    if let Some(search) = &filter.search {
        query = query.filter(ai_models::name.ilike(format!("%{}%", escape_like(search))));
    }
    query
}

/// How many models match (active ones only unless `all`).
pub async fn count_active(
    conn: &mut AsyncPgConnection,
    filter: &AiModelFilter,
    all: bool,
) -> QueryResult<i64> {
    active_models(filter, all).count().get_result(conn).await
}

/// One page of models (active ones only unless `all`), by name.
pub async fn list_active(
    conn: &mut AsyncPgConnection,
    filter: &AiModelFilter,
    all: bool,
    window: Window,
) -> QueryResult<Vec<AiModel>> {
    active_models(filter, all)
        .order((ai_models::name.asc(), ai_models::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(AiModel::as_select())
        .load(conn)
        .await
}

/// Models by id, whatever their state (the caller decides what may be shown).
pub async fn find_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<AiModel>> {
    ai_models::table
        .filter(ai_models::id.eq_any(ids))
        .select(AiModel::as_select())
        .load(conn)
        .await
}

/// Versions by id, whatever their state.
pub async fn find_versions_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<AiModelVersion>> {
    ai_model_versions::table
        .filter(ai_model_versions::id.eq_any(ids))
        .select(AiModelVersion::as_select())
        .load(conn)
        .await
}

/// Production versions of the given models, newest first.
pub async fn production_versions_of(
    conn: &mut AsyncPgConnection,
    model_ids: &[Uuid],
) -> QueryResult<Vec<AiModelVersion>> {
    ai_model_versions::table
        .filter(ai_model_versions::model_id.eq_any(model_ids))
        .filter(ai_model_versions::status.eq(AiModelVersionStatus::Production))
        .order((
            ai_model_versions::created_at.desc(),
            ai_model_versions::id.asc(),
        ))
        .select(AiModelVersion::as_select())
        .load(conn)
        .await
}

/// Every version of the given models, newest first.
pub async fn versions_of(
    conn: &mut AsyncPgConnection,
    model_ids: &[Uuid],
) -> QueryResult<Vec<AiModelVersion>> {
    ai_model_versions::table
        .filter(ai_model_versions::model_id.eq_any(model_ids))
        .order((
            ai_model_versions::created_at.desc(),
            ai_model_versions::id.asc(),
        ))
        .select(AiModelVersion::as_select())
        .load(conn)
        .await
}

/// Validation results by id.
pub async fn validations_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<AiModelValidationResult>> {
    ai_model_validation_results::table
        .filter(ai_model_validation_results::id.eq_any(ids))
        .select(AiModelValidationResult::as_select())
        .load(conn)
        .await
}

/// Every validation of the given versions, newest first.
pub async fn validations_of(
    conn: &mut AsyncPgConnection,
    version_ids: &[Uuid],
) -> QueryResult<Vec<AiModelValidationResult>> {
    ai_model_validation_results::table
        .filter(ai_model_validation_results::model_version_id.eq_any(version_ids))
        .order((
            ai_model_validation_results::validation_timestamp.desc(),
            ai_model_validation_results::id.asc(),
        ))
        .select(AiModelValidationResult::as_select())
        .load(conn)
        .await
}

/// Deployments by id.
pub async fn deployments_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<AiModelDeployment>> {
    ai_model_deployments::table
        .filter(ai_model_deployments::id.eq_any(ids))
        .select(AiModelDeployment::as_select())
        .load(conn)
        .await
}

/// Every deployment of the given versions, newest first: the versions' history.
pub async fn deployments_of(
    conn: &mut AsyncPgConnection,
    version_ids: &[Uuid],
) -> QueryResult<Vec<AiModelDeployment>> {
    ai_model_deployments::table
        .filter(ai_model_deployments::model_version_id.eq_any(version_ids))
        .order((
            ai_model_deployments::deployment_timestamp.desc(),
            ai_model_deployments::id.asc(),
        ))
        .select(AiModelDeployment::as_select())
        .load(conn)
        .await
}
