//! The registry's changes, for platform admins (the root guard refuses everyone
//! else before these run).

use crate::authz::guards::Need;
use crate::authz::matrix::{Action, Resource};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};

use crate::admin::audit::actor;
use crate::ai_models::deployments::{self, NewDeployment};
use crate::ai_models::model::{
    AiModel, AiModelDeployment, AiModelValidationResult, AiModelVersion, AiModelVersionStatus,
    AiTaskType, DeploymentEnvironment, ValidationStatus,
};
use crate::ai_models::service::{self, ModelChanges, NewModel, NewVersion};
use crate::ai_models::validation::{self, NewValidation};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};

/// The input of `createAiModel`.
#[derive(InputObject)]
#[graphql(name = "CreateAiModelInput")]
pub struct CreateAiModelInput {
    /// Unique, 1 to 100 characters.
    pub name: String,
    /// What the model is good at.
    pub description: Option<String>,
    /// Who provides it, e.g. `Internal`, `OpenAI` (1 to 50 characters).
    pub provider: String,
    /// What it does.
    pub task_type: AiTaskType,
    /// Whether it is offered (default true).
    #[graphql(default = true)]
    pub is_active: bool,
}

/// The input of `updateAiModel`.
#[derive(InputObject)]
#[graphql(name = "UpdateAiModelInput")]
pub struct UpdateAiModelInput {
    /// The model to change.
    pub id: ID,
    /// New unique name.
    pub name: Option<String>,
    /// New description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// New provider.
    pub provider: Option<String>,
    /// New task type.
    pub task_type: Option<AiTaskType>,
    /// Offer or withdraw the model.
    pub is_active: Option<bool>,
}

/// The input of `createAiModelVersion`.
#[derive(InputObject)]
#[graphql(name = "CreateAiModelVersionInput")]
pub struct CreateAiModelVersionInput {
    /// The model this is a version of.
    pub model_id: ID,
    /// Unique per model, e.g. `2.1` (1 to 50 characters).
    pub version_number: String,
    /// Where the artifacts are stored (at most 1024 characters).
    pub source_path: Option<String>,
    /// e.g. `ONNX`, `API` (at most 50 characters).
    pub format: Option<String>,
    /// What changed.
    pub release_notes: Option<String>,
    /// Provider settings in the documented shape (README, "The model registry").
    pub parameters: serde_json::Value,
}

/// The input of `promoteAiModelVersion`, `deprecateAiModelVersion`,
/// `failAiModelVersion` and `archiveAiModelVersion`: the version whose status
/// changes.
#[derive(InputObject)]
#[graphql(name = "AiModelVersionStatusInput")]
pub struct AiModelVersionStatusInput {
    /// The version to move.
    pub model_version_id: ID,
}

/// The input of `recordAiModelValidation`.
#[derive(InputObject)]
#[graphql(name = "RecordAiModelValidationInput")]
pub struct RecordAiModelValidationInput {
    /// The validated version.
    pub model_version_id: ID,
    /// Security scan outcome.
    pub security_scan_status: ValidationStatus,
    /// Functional test outcome.
    pub functional_status: ValidationStatus,
    /// Latency, throughput, quality figures (a JSON object).
    pub performance_benchmark: Option<serde_json::Value>,
    /// The tools' full results (a JSON object).
    pub results: Option<serde_json::Value>,
}

/// The input of `deployAiModelVersion`.
#[derive(InputObject)]
#[graphql(name = "DeployAiModelVersionInput")]
pub struct DeployAiModelVersionInput {
    /// The version to deploy (not Failed or Archived; to `PRODUCTION` only with a
    /// passed latest validation).
    pub model_version_id: ID,
    /// Where.
    pub environment: DeploymentEnvironment,
    /// e.g. `blue_green`, `canary` (at most 50 characters).
    pub deployment_strategy: Option<String>,
    /// Where an `http` version is called (an absolute http(s) URL, at most 255).
    pub endpoint: Option<String>,
    /// Kubernetes details (a JSON object).
    pub kubernetes_details: Option<serde_json::Value>,
    /// Share of the model's requests, 0 to 100 (default 100). 100 replaces the
    /// model's Active deployments in the environment; less is a canary beside them.
    #[graphql(default = 100)]
    pub traffic_percent: i32,
}

/// The input of `rollbackAiModelDeployment`.
#[derive(InputObject)]
#[graphql(name = "RollbackAiModelDeploymentInput")]
pub struct RollbackAiModelDeploymentInput {
    /// The Active deployment to roll back.
    pub deployment_id: ID,
}

/// The new deployment.
#[derive(SimpleObject)]
#[graphql(name = "DeployAIModelVersionPayload")]
pub struct DeployAiModelVersionPayload {
    /// Now `ACTIVE`.
    pub deployment: AiModelDeployment,
}

/// A rollback's two sides.
#[derive(SimpleObject)]
#[graphql(name = "RollbackAIModelDeploymentPayload")]
pub struct RollbackAiModelDeploymentPayload {
    /// The deployment rolled back (`ROLLED_BACK`).
    pub deployment: AiModelDeployment,
    /// The deployment Active again, when none other of the model was left Active
    /// in that environment; `null` otherwise.
    pub restored_deployment: Option<AiModelDeployment>,
}

/// The created or changed model.
#[derive(SimpleObject)]
#[graphql(name = "AIModelPayload")]
pub struct AiModelPayload {
    /// The model as committed.
    pub ai_model: AiModel,
}

/// The created or moved version.
#[derive(SimpleObject)]
#[graphql(name = "AIModelVersionPayload")]
pub struct AiModelVersionPayload {
    /// The version as committed.
    pub ai_model_version: AiModelVersion,
}

/// The recorded validation.
#[derive(SimpleObject)]
#[graphql(name = "RecordAIModelValidationPayload")]
pub struct RecordAiModelValidationPayload {
    /// The new result, now the version's `validationResult`.
    pub validation_result: AiModelValidationResult,
}

fn version_id(id: &ID) -> async_graphql::Result<uuid::Uuid> {
    Ok(GlobalId::decode_uuid(
        id,
        NodeType::AiModelVersion,
        "modelVersionId",
    )?)
}

#[derive(Default)]
pub struct AiModelMutation;

#[Object]
impl AiModelMutation {
    /// Adds a model to the catalogue (platform admins).
    #[graphql(guard = "Need::matrix(Resource::AiModel, Action::Create)")]
    async fn create_ai_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createAiModel`.")] input: CreateAiModelInput,
    ) -> async_graphql::Result<AiModelPayload> {
        let new = NewModel {
            name: input.name,
            description: input.description,
            provider: input.provider,
            task_type: input.task_type,
            is_active: input.is_active,
        };
        let ai_model = service::create_model(app(ctx), &actor(ctx), new).await?;
        Ok(AiModelPayload { ai_model })
    }

    /// Changes a model's name, description, provider, task type or activity
    /// (platform admins).
    #[graphql(guard = "Need::matrix(Resource::AiModel, Action::Update)")]
    async fn update_ai_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateAiModel`.")] input: UpdateAiModelInput,
    ) -> async_graphql::Result<AiModelPayload> {
        let id = GlobalId::decode_uuid(&input.id, NodeType::AiModel, "id")?;
        let changes = ModelChanges {
            name: input.name,
            description: match input.description {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(d) => Some(Some(d)),
            },
            provider: input.provider,
            task_type: input.task_type,
            is_active: input.is_active,
        };
        let ai_model = service::update_model(app(ctx), &actor(ctx), id, changes).await?;
        Ok(AiModelPayload { ai_model })
    }

    /// Adds a version (status `STAGED`) to a model (platform admins).
    #[graphql(guard = "Need::matrix(Resource::AiModelVersion, Action::Create)")]
    async fn create_ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createAiModelVersion`.")] input: CreateAiModelVersionInput,
    ) -> async_graphql::Result<AiModelVersionPayload> {
        let model_id = GlobalId::decode_uuid(&input.model_id, NodeType::AiModel, "modelId")?;
        let new = NewVersion {
            model_id,
            version_number: input.version_number,
            source_path: input.source_path,
            format: input.format,
            release_notes: input.release_notes,
            parameters: input.parameters,
        };
        let ai_model_version = service::create_version(app(ctx), &actor(ctx), new).await?;
        Ok(AiModelVersionPayload { ai_model_version })
    }

    /// Makes a version the model's Production version; the previous one becomes
    /// `DEPRECATED`. Needs a latest validation that passed both checks
    /// (`CONFLICT` with `extensions.reason` otherwise).
    #[graphql(guard = "Need::matrix(Resource::AiModelVersion, Action::Update)")]
    async fn promote_ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `promoteAiModelVersion`.")] input: AiModelVersionStatusInput,
    ) -> async_graphql::Result<AiModelVersionPayload> {
        move_version(ctx, &input, AiModelVersionStatus::Production).await
    }

    /// Takes a Production version out of service (`DEPRECATED`).
    #[graphql(guard = "Need::matrix(Resource::AiModelVersion, Action::Update)")]
    async fn deprecate_ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deprecateAiModelVersion`.")]
        input: AiModelVersionStatusInput,
    ) -> async_graphql::Result<AiModelVersionPayload> {
        move_version(ctx, &input, AiModelVersionStatus::Deprecated).await
    }

    /// Marks a Staged version that did not make it (a failed scan, a broken
    /// build) as `FAILED`: it can then only be archived, never promoted.
    #[graphql(guard = "Need::matrix(Resource::AiModelVersion, Action::Update)")]
    async fn fail_ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `failAiModelVersion`.")] input: AiModelVersionStatusInput,
    ) -> async_graphql::Result<AiModelVersionPayload> {
        move_version(ctx, &input, AiModelVersionStatus::Failed).await
    }

    /// Retires a Staged, Deprecated or Failed version (`ARCHIVED`).
    #[graphql(guard = "Need::matrix(Resource::AiModelVersion, Action::Update)")]
    async fn archive_ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `archiveAiModelVersion`.")] input: AiModelVersionStatusInput,
    ) -> async_graphql::Result<AiModelVersionPayload> {
        move_version(ctx, &input, AiModelVersionStatus::Archived).await
    }

    /// Records a validation of a version; it becomes the version's latest
    /// (`validationResult`), which promotion checks.
    #[graphql(guard = "Need::matrix(Resource::AiModelValidation, Action::Create)")]
    async fn record_ai_model_validation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `recordAiModelValidation`.")]
        input: RecordAiModelValidationInput,
    ) -> async_graphql::Result<RecordAiModelValidationPayload> {
        let new = NewValidation {
            model_version_id: version_id(&input.model_version_id)?,
            security_scan_status: input.security_scan_status,
            functional_status: input.functional_status,
            performance_benchmark: input.performance_benchmark,
            results: input.results,
        };
        let validation_result = validation::record(app(ctx), &actor(ctx), new).await?;
        Ok(RecordAiModelValidationPayload { validation_result })
    }

    /// Deploys a version (Initiated -> Deploying -> Active at once; there is no
    /// orchestrator to wait for). Active production deployments serve the
    /// model's generation requests, split by `trafficPercent`.
    #[graphql(guard = "Need::matrix(Resource::AiModelDeployment, Action::Create)")]
    async fn deploy_ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deployAiModelVersion`.")] input: DeployAiModelVersionInput,
    ) -> async_graphql::Result<DeployAiModelVersionPayload> {
        let new = NewDeployment {
            model_version_id: version_id(&input.model_version_id)?,
            environment: input.environment,
            deployment_strategy: input.deployment_strategy,
            endpoint: input.endpoint,
            kubernetes_details: input.kubernetes_details,
            traffic_percent: input.traffic_percent,
        };
        let deployment = deployments::deploy(app(ctx), &actor(ctx), new).await?;
        Ok(DeployAiModelVersionPayload { deployment })
    }

    /// Rolls an Active deployment back; the previous Active deployment of that
    /// model and environment becomes Active again, in the same transaction.
    #[graphql(guard = "Need::matrix(Resource::AiModelDeployment, Action::Update)")]
    async fn rollback_ai_model_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `rollbackAiModelDeployment`.")]
        input: RollbackAiModelDeploymentInput,
    ) -> async_graphql::Result<RollbackAiModelDeploymentPayload> {
        let id = GlobalId::decode_uuid(
            &input.deployment_id,
            NodeType::AiModelDeployment,
            "deploymentId",
        )?;
        let (deployment, restored_deployment) =
            deployments::rollback(app(ctx), &actor(ctx), id).await?;
        Ok(RollbackAiModelDeploymentPayload {
            deployment,
            restored_deployment,
        })
    }
}

/// The four status mutations differ only in the status they ask for; the state
/// table in `ai_models::state` decides whether the move is allowed.
async fn move_version(
    ctx: &Context<'_>,
    input: &AiModelVersionStatusInput,
    to: AiModelVersionStatus,
) -> async_graphql::Result<AiModelVersionPayload> {
    let id = version_id(&input.model_version_id)?;
    let ai_model_version = service::set_version_status(app(ctx), &actor(ctx), id, to).await?;
    Ok(AiModelVersionPayload { ai_model_version })
}
