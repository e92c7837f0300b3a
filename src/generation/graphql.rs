//! Generation requests in the schema (reads; the pipeline adds the mutations).

use async_graphql::{ComplexObject, Context, Object, ID};

use super::loaders::GenerationRequestById;
use super::model::GenerationRequest;
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource};
use crate::authz::roles::{authorize, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::loaders;
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
    let project = loaders(ctx)
        .load_one(ProjectById(project_id))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))?;
    Ok(project
        .filter(|p| p.deleted_at.is_none())
        .map(|p| p.holder()))
}

/// A request the caller may do `action` on.
pub(crate) async fn request_for(
    ctx: &Context<'_>,
    id: &ID,
    field: &str,
    action: Action,
) -> AppResult<GenerationRequest> {
    let id = GlobalId::decode_uuid(id, NodeType::GenerationRequest, field)?;
    let request = loaders(ctx)
        .load_one(GenerationRequestById(id))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))?
        .ok_or(AppError::NotFound("generation request"))?;
    let holder = request_holder(ctx, &request)
        .await?
        .ok_or(AppError::NotFound("generation request"))?;
    authorize(ctx, holder, Resource::GenerationRequest, action).await?;
    Ok(request)
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
            Some(id) => loaders(ctx).load_one(ProjectById(id)).await,
            None => Ok(None),
        }
    }

    /// Who asked for it.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loaders(ctx).load_one(UserById(self.user_id)).await
    }

    /// The final image, once generated.
    async fn final_asset(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        match self.final_asset_id {
            Some(id) => loaders(ctx).load_one(AssetById(id)).await,
            None => Ok(None),
        }
    }

    /// The sample the requester picked.
    async fn selected_sample(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        match self.selected_sample_id {
            Some(id) => loaders(ctx).load_one(AssetById(id)).await,
            None => Ok(None),
        }
    }
}

#[derive(Default)]
pub struct GenerationQuery;

#[Object(guard = "crate::authz::policy::RootGuard::query()")]
impl GenerationQuery {
    /// A generation request the caller can read; `null` otherwise.
    async fn generation_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<GenerationRequest>> {
        match request_for(ctx, &id, "id", Action::Read).await {
            Ok(r) => Ok(Some(r)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
