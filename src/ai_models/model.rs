//! AI model rows and their queries.

use async_graphql::{ComplexObject, Context, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{
    ai_model_deployments, ai_model_feedback, ai_model_validation_results, ai_model_versions,
    ai_models,
};
use crate::db::{escape_like, string_enum};
use crate::graphql::id::{GlobalId, NodeType};
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
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = ai_models, check_for_backend(diesel::pg::Pg))]
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

#[ComplexObject]
impl AiModel {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModel, self.id)
    }

    /// The versions serving requests (status `PRODUCTION`), newest first.
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AiModelVersion>> {
        let loader = crate::graphql::loader::<super::loaders::AiModelLoaders>(ctx);
        Ok(loader
            .load_one(super::loaders::ProductionVersionsOf(self.id))
            .await?
            .unwrap_or_default())
    }
}

/// A specific version of an AI model.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = ai_model_versions, check_for_backend(diesel::pg::Pg))]
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
    // Holds provider settings (endpoints, keys): platform admins only, in a later issue.
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

#[ComplexObject]
impl AiModelVersion {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelVersion, self.id)
    }

    /// The model this is a version of.
    async fn model(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AiModel>> {
        let loader = crate::graphql::loader::<super::loaders::AiModelLoaders>(ctx);
        loader
            .load_one(super::loaders::AiModelById(self.model_id))
            .await
    }
}

/// Results of validating a model version.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = ai_model_validation_results, check_for_backend(diesel::pg::Pg))]
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

#[ComplexObject]
impl AiModelValidationResult {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelValidationResult, self.id)
    }
}

/// A deployment of a model version.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = ai_model_deployments, check_for_backend(diesel::pg::Pg))]
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
    #[graphql(skip)]
    pub endpoint: Option<String>,
    #[graphql(skip)]
    pub kubernetes_details: Option<serde_json::Value>,
    #[graphql(skip)]
    pub deployed_by_user_id: Option<Uuid>,
    /// When it was deployed.
    pub deployment_timestamp: DateTime<Utc>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

#[ComplexObject]
impl AiModelDeployment {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelDeployment, self.id)
    }
}

/// A user's feedback on a model's output.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = ai_model_feedback, check_for_backend(diesel::pg::Pg))]
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

#[ComplexObject]
impl AiModelFeedback {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelFeedback, self.id)
    }
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
}

type ActiveModelsQuery<'a> = ai_models::BoxedQuery<'a, diesel::pg::Pg>;

fn active_models(filter: &AiModelFilter) -> ActiveModelsQuery<'_> {
    let mut query = ai_models::table
        .filter(ai_models::is_active.eq(true))
        .into_boxed();
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

/// How many active models match.
pub async fn count_active(
    conn: &mut AsyncPgConnection,
    filter: &AiModelFilter,
) -> QueryResult<i64> {
    active_models(filter).count().get_result(conn).await
}

/// One page of active models, by name.
pub async fn list_active(
    conn: &mut AsyncPgConnection,
    filter: &AiModelFilter,
    window: Window,
) -> QueryResult<Vec<AiModel>> {
    active_models(filter)
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
