//! Generation requests in the schema (reads; the pipeline adds the mutations).

use super::loaders::GenerationLoaders;
use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::Need;
use crate::authz::roles::{load_authorized, load_authorized_by, Target};
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, Subscription, ID};
use futures_util::Stream;
use uuid::Uuid;

use super::loaders::GenerationRequestById;
use super::model::{GenerationRequest, GenerationStatus};
use super::service::{self, NewRequest};
use super::{events, pipeline};
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::caller;
use crate::authz::matrix::{Action, Resource};
use crate::authz::roles::{authorize, can, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::studio::loaders::{AssetById, ProjectById};
use crate::studio::model::{Asset, Project};

/// Who holds a request: its project's holder, or its requester when the project is gone.
pub(crate) async fn request_holder(
    ctx: &Context<'_>,
    request: &GenerationRequest,
) -> AppResult<Option<Holder>> {
    let Some(project_id) = request.project_id else {
        return Ok(Some(Holder::User(request.user_id)));
    };
    let project = loader::<StudioLoaders>(ctx)
        .load_one(ProjectById(project_id))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))?;
    Ok(project
        .filter(|p| p.deleted_at.is_none())
        .map(|p| p.holder()))
}

impl Target for GenerationRequest {
    const RESOURCE: Resource = Resource::GenerationRequest;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<GenerationLoaders>(ctx)
            .load_one(GenerationRequestById(id))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))
    }

    async fn holder(&self, ctx: &Context<'_>) -> AppResult<Option<Holder>> {
        request_holder(ctx, self).await
    }
}

#[ComplexObject]
impl GenerationRequest {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::GenerationRequest, self.id)
    }

    /// The project it was made for.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        match self.project_id {
            Some(id) => loader::<StudioLoaders>(ctx).load_one(ProjectById(id)).await,
            None => Ok(None),
        }
    }

    /// Who asked for it.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.user_id))
            .await
    }

    /// The final image, once generated.
    async fn final_asset(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        match self.final_asset_id {
            Some(id) => loader::<StudioLoaders>(ctx).load_one(AssetById(id)).await,
            None => Ok(None),
        }
    }

    /// The samples generated so far, in order.
    async fn samples(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Asset>> {
        let ids: Vec<uuid::Uuid> = self
            .sample_assets
            .as_ref()
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|s| s.get("id")?.as_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let found = loader::<StudioLoaders>(ctx)
            .load_many(ids.iter().copied().map(AssetById))
            .await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| found.get(&AssetById(id)).cloned())
            .collect())
    }

    /// What the caller may do with it.
    async fn viewer_can(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<GenerationRequestViewerCan> {
        let Some(holder) = request_holder(ctx, self).await? else {
            return Ok(GenerationRequestViewerCan {
                select_sample: false,
                cancel: false,
            });
        };
        let allowed = can(ctx, holder, Resource::GenerationRequest, act_on(ctx, self)).await?;
        Ok(GenerationRequestViewerCan {
            select_sample: allowed && self.status == GenerationStatus::AwaitingSelection,
            cancel: allowed && !self.status.is_terminal(),
        })
    }

    /// The model version that served the request (chosen by the model's
    /// deployments when it has Active ones, else its Production version).
    async fn ai_model_version(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::ai_models::model::AiModelVersion>> {
        match self.ai_model_version_id {
            Some(id) => {
                loader::<crate::ai_models::loaders::AiModelLoaders>(ctx)
                    .load_one(crate::ai_models::loaders::AiModelVersionById(id))
                    .await
            }
            None => Ok(None),
        }
    }

    /// The deployment that served the request; platform admins only (deployments
    /// are theirs to read), `null` for everyone else.
    async fn deployment(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::ai_models::model::AiModelDeployment>> {
        match self.ai_model_deployment_id {
            Some(id)
                if crate::authz::guards::platform_may(
                    ctx,
                    crate::authz::matrix::Resource::AiModel,
                    crate::authz::matrix::Action::ReadAll,
                ) =>
            {
                loader::<crate::ai_models::loaders::AiModelLoaders>(ctx)
                    .load_one(crate::ai_models::loaders::DeploymentById(id))
                    .await
            }
            _ => Ok(None),
        }
    }

    /// The feedback given on this request, newest first (its readers see it).
    async fn feedback(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::ai_models::model::AiModelFeedback>> {
        Ok(loader::<crate::ai_models::loaders::AiModelLoaders>(ctx)
            .load_one(crate::ai_models::loaders::FeedbackOf(self.id))
            .await?
            .unwrap_or_default())
    }

    /// The sample the requester picked.
    async fn selected_sample(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        match self.selected_sample_id {
            Some(id) => loader::<StudioLoaders>(ctx).load_one(AssetById(id)).await,
            None => Ok(None),
        }
    }
}

#[derive(Default)]
pub struct GenerationQuery;

#[Object]
impl GenerationQuery {
    /// The caller's own generation requests, newest first (those of team
    /// projects too, while the caller can still read them elsewhere).
    #[graphql(guard = "Need::matrix(Resource::GenerationRequest, Action::Read)")]
    async fn my_generation_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<
            super::history::GenerationHistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<crate::graphql::pagination::Conn<GenerationRequest>> {
        let user_id = crate::authz::require_user(ctx)?;
        let only_team = match caller(ctx) {
            crate::authz::Caller::ApiClient { team_id, .. } => *team_id,
            _ => None,
        };
        Ok(super::history::connection(
            app(ctx),
            super::history::Of::User {
                id: user_id,
                only_team,
            },
            filter,
            first,
            after,
        )
        .await?)
    }

    /// A generation request the caller can read; `null` otherwise.
    #[graphql(guard = "Need::matrix(Resource::GenerationRequest, Action::Read)")]
    async fn generation_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a GenerationRequest.")] id: ID,
    ) -> async_graphql::Result<Option<GenerationRequest>> {
        match load_authorized::<GenerationRequest>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::GenerationRequest, "id")?,
            Action::Read,
        )
        .await
        {
            Ok(r) => Ok(Some(r)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The statuses after which nothing changes.
fn is_final_status(status: GenerationStatus) -> bool {
    status.is_terminal()
}

/// What the caller may do with a request.
#[derive(SimpleObject)]
pub struct GenerationRequestViewerCan {
    /// Pick a sample (EDITOR for one's own request, ADMIN for others').
    pub select_sample: bool,
    /// Cancel it (same rule).
    pub cancel: bool,
}

/// The action for selecting or cancelling: one's own request or someone else's.
fn act_on(ctx: &Context<'_>, request: &GenerationRequest) -> Action {
    if caller(ctx).user_id() == Some(request.user_id) {
        Action::ActOnOwn
    } else {
        Action::ActOnOthers
    }
}

/// The input of `requestGeneration`.
#[derive(InputObject)]
pub struct RequestGenerationInput {
    /// ID of the project.
    pub project_id: ID,
    /// What to generate (1 to 4000 characters).
    pub input_prompt: String,
    /// Style hints.
    pub style_guidance: Option<String>,
    /// `{sampleCount: 1-4, resolution: "1024x1024", format: "png" | "jpeg" | "webp"}`.
    pub input_parameters: Option<serde_json::Value>,
    /// An active image model.
    pub ai_model_id: ID,
    /// Repeating a key returns the first request and charges nothing more.
    pub idempotency_key: Option<String>,
}

/// The input of `selectGenerationSample`.
#[derive(InputObject)]
pub struct SelectGenerationSampleInput {
    /// ID of the generation request.
    pub generation_request_id: ID,
    /// One of the request's `samples`.
    pub sample_asset_id: ID,
}

/// The input of `cancelGeneration`.
#[derive(InputObject)]
pub struct CancelGenerationInput {
    /// ID of the generation request.
    pub generation_request_id: ID,
}

/// What `requestGeneration` returns.
#[derive(SimpleObject)]
pub struct RequestGenerationPayload {
    /// The generation request, as it is now.
    pub generation_request: GenerationRequest,
}

/// What `selectGenerationSample` returns.
#[derive(SimpleObject)]
pub struct SelectGenerationSamplePayload {
    /// The generation request, as it is now.
    pub generation_request: GenerationRequest,
}

/// What `cancelGeneration` returns.
#[derive(SimpleObject)]
pub struct CancelGenerationPayload {
    /// The generation request, as it is now.
    pub generation_request: GenerationRequest,
}

#[derive(Default)]
pub struct GenerationMutation;

#[Object]
impl GenerationMutation {
    /// Asks for samples (EDITOR). The sample price is charged at once, from the
    /// team's pool for a team project, otherwise from the caller's balance.
    #[graphql(guard = "Need::matrix(Resource::GenerationRequest, Action::Create)")]
    async fn request_generation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `requestGeneration`.")] input: RequestGenerationInput,
    ) -> async_graphql::Result<RequestGenerationPayload> {
        let user_id = crate::authz::require_user(ctx)?;
        let project = load_authorized::<Project>(
            ctx,
            GlobalId::decode_uuid(&input.project_id, NodeType::Project, "projectId")?,
            Action::Read,
        )
        .await?;
        authorize(
            ctx,
            project.holder(),
            Resource::GenerationRequest,
            Action::Create,
        )
        .await?;
        let model_id = GlobalId::decode_uuid(&input.ai_model_id, NodeType::AiModel, "aiModelId")?;
        let api_client_id = match caller(ctx) {
            crate::authz::Caller::ApiClient { client_id, .. } => Some(*client_id),
            _ => None,
        };
        let app = app(ctx);
        let (request, outcome) = service::request(
            app,
            NewRequest {
                user_id,
                project,
                prompt: input.input_prompt,
                style_guidance: input.style_guidance,
                model_id,
                input_parameters: input.input_parameters,
                idempotency_key: input.idempotency_key,
                api_client_id,
            },
        )
        .await?;
        if let Some(outcome) = &outcome {
            pipeline::after_commit(app, outcome).await;
        }
        Ok(RequestGenerationPayload {
            generation_request: request,
        })
    }

    /// Picks a sample; the final price is charged and the final is generated.
    #[graphql(guard = "Need::matrix(Resource::GenerationRequest, Action::ActOnOwn)")]
    async fn select_generation_sample(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `selectGenerationSample`.")]
        input: SelectGenerationSampleInput,
    ) -> async_graphql::Result<SelectGenerationSamplePayload> {
        let request = load_authorized_by::<GenerationRequest>(
            ctx,
            GlobalId::decode_uuid(
                &input.generation_request_id,
                NodeType::GenerationRequest,
                "generationRequestId",
            )?,
            |ctx, request| (Resource::GenerationRequest, act_on(ctx, request)),
        )
        .await?;
        let sample_id =
            GlobalId::decode_uuid(&input.sample_asset_id, NodeType::Asset, "sampleAssetId")?;
        let app = app(ctx);
        let actor = crate::authz::require_user(ctx)?;
        let outcome = service::select_sample(app, &request, sample_id, actor).await?;
        pipeline::after_commit(app, &outcome).await;
        Ok(SelectGenerationSamplePayload {
            generation_request: outcome.request,
        })
    }

    /// Cancels a request before its final is done; undelivered phases are refunded.
    #[graphql(guard = "Need::matrix(Resource::GenerationRequest, Action::ActOnOwn)")]
    async fn cancel_generation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `cancelGeneration`.")] input: CancelGenerationInput,
    ) -> async_graphql::Result<CancelGenerationPayload> {
        let request = load_authorized_by::<GenerationRequest>(
            ctx,
            GlobalId::decode_uuid(
                &input.generation_request_id,
                NodeType::GenerationRequest,
                "generationRequestId",
            )?,
            |ctx, request| (Resource::GenerationRequest, act_on(ctx, request)),
        )
        .await?;
        let app = app(ctx);
        let outcome = service::cancel(app, &request).await?;
        pipeline::after_commit(app, &outcome).await;
        Ok(CancelGenerationPayload {
            generation_request: outcome.request,
        })
    }
}

#[derive(Default)]
pub struct GenerationSubscription;

#[Subscription]
impl GenerationSubscription {
    /// The request now, then again each time its status or samples change; the
    /// stream ends after a terminal status. A client that reconnects gets the
    /// current state at once, so no change is missed.
    #[graphql(guard = "Need::matrix(Resource::GenerationRequest, Action::Read)")]
    async fn generation_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of the GenerationRequest to follow.")] generation_request_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = GenerationRequest>> {
        let request = load_authorized::<GenerationRequest>(
            ctx,
            GlobalId::decode_uuid(
                &generation_request_id,
                NodeType::GenerationRequest,
                "generationRequestId",
            )?,
            Action::Read,
        )
        .await?;
        let app = app(ctx).clone();
        // Subscribe before reading, so nothing between the read and the
        // subscription is lost; the periodic re-read covers a lost event (Redis away).
        let changes = app.events.subscribe(events::topic(request.id));
        Ok(status_stream(app, request, changes))
    }
}

fn status_stream(
    app: crate::app::AppState,
    first: GenerationRequest,
    changes: impl Stream<Item = serde_json::Value> + Send + 'static,
) -> impl Stream<Item = GenerationRequest> {
    struct State {
        app: crate::app::AppState,
        id: uuid::Uuid,
        last: Option<(GenerationStatus, chrono::DateTime<chrono::Utc>)>,
        pending_first: Option<GenerationRequest>,
        changes: std::pin::Pin<Box<dyn Stream<Item = serde_json::Value> + Send>>,
        tick: tokio::time::Interval,
        resubscribed: tokio::sync::watch::Receiver<u64>,
        done: bool,
    }
    let state = State {
        id: first.id,
        last: None,
        pending_first: Some(first),
        changes: Box::pin(changes),
        tick: {
            let every = app.config.generation.recheck_interval;
            tokio::time::interval_at(tokio::time::Instant::now() + every, every)
        },
        resubscribed: app.events.resubscribed(),
        done: false,
        app,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        use futures_util::StreamExt;
        if state.done {
            return None;
        }
        if let Some(first) = state.pending_first.take() {
            state.last = Some((first.status, first.updated_at));
            state.done = is_final_status(first.status);
            return Some((first, state));
        }
        loop {
            let carried = tokio::select! {
                event = state.changes.next() => match event {
                    Some(mut event) => serde_json::from_value::<GenerationRequest>(
                        event["request"].take(),
                    )
                    .ok(),
                    None => {
                        // The bus closed: keep going on the periodic re-read alone.
                        state.changes = Box::pin(futures_util::stream::pending());
                        None
                    }
                },
                _ = state.tick.tick() => None,
                // Events were lost while Redis was away: read the request now.
                // (The sender lives in `state.app`'s bus, so this never errs.)
                _ = state.resubscribed.changed() => None,
            };
            let current = match carried {
                Some(row) => Some(row),
                None => match state.app.db.conn().await {
                    Ok(mut conn) => service::load(&mut conn, state.id).await.ok(),
                    Err(_) => None,
                },
            };
            let Some(current) = current else { continue };
            // Events from different writers may arrive out of order, and a re-read
            // may already have shown a change: never step back. (`updatedAt` is the
            // writing transaction's start, so only the stage orders two statuses.)
            let stale = state.last.is_some_and(|(status, at)| {
                current.status.stage() < status.stage()
                    || (current.status == status && current.updated_at <= at)
            });
            if stale {
                continue;
            }
            state.last = Some((current.status, current.updated_at));
            state.done = is_final_status(current.status);
            return Some((current, state));
        }
    })
}
