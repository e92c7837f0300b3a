//! The registry in GraphQL: public reads of active models and their Production
//! versions; everything else (inactive models, other versions, validations,
//! deployments, all the changes) for platform admins.

mod feedback;
mod mutation;
mod objects;

pub use feedback::FeedbackMutation;
pub use mutation::AiModelMutation;

use crate::authz::guards::Need;
use async_graphql::{Context, Object, ID};

use super::loaders::AiModelLoaders;
use super::loaders::{AiModelById, AiModelVersionById};
use super::model::{self, AiModel, AiModelFilter, AiModelVersion, AiModelVersionStatus};
use crate::authz::guards::platform_may;
use crate::authz::matrix::{Action, Resource};
use crate::error::AppError;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::graphql::{app, loader};

#[derive(Default)]
pub struct AiModelQuery;

#[Object]
impl AiModelQuery {
    /// AI models, by name. Anyone may list the active ones; platform admins see
    /// inactive ones too with `filter.includeInactive`.
    #[graphql(guard = "Need::anyone()")]
    async fn ai_models(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<AiModelFilter>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<AiModel>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let filter = filter.unwrap_or_default();
        let all = filter.include_inactive == Some(true)
            && platform_may(ctx, Resource::AiModel, Action::ReadAll);
        let mut conn = app(ctx).db.conn().await?;
        let total = model::count_active(&mut conn, &filter, all)
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = model::list_active(&mut conn, &filter, all, window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }

    /// One AI model; `null` when it does not exist or is inactive (platform admins
    /// see inactive ones).
    #[graphql(guard = "Need::anyone()")]
    async fn ai_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of an AIModel.")] id: ID,
    ) -> async_graphql::Result<Option<AiModel>> {
        let id = GlobalId::decode_uuid(&id, NodeType::AiModel, "id")?;
        let found = loader::<AiModelLoaders>(ctx)
            .load_one(AiModelById(id))
            .await?;
        let admin = platform_may(ctx, Resource::AiModel, Action::ReadAll);
        Ok(found.filter(|m| admin || m.is_active))
    }

    /// One model version: anyone may read a Production version of an active
    /// model, platform admins any version; `null` otherwise.
    #[graphql(guard = "Need::anyone()")]
    async fn ai_model_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of an AIModelVersion.")] id: ID,
    ) -> async_graphql::Result<Option<AiModelVersion>> {
        let id = GlobalId::decode_uuid(&id, NodeType::AiModelVersion, "id")?;
        let Some(version) = loader::<AiModelLoaders>(ctx)
            .load_one(AiModelVersionById(id))
            .await?
        else {
            return Ok(None);
        };
        if platform_may(ctx, Resource::AiModel, Action::ReadAll) {
            return Ok(Some(version));
        }
        if version.status != AiModelVersionStatus::Production {
            return Ok(None);
        }
        let model = loader::<AiModelLoaders>(ctx)
            .load_one(AiModelById(version.model_id))
            .await?;
        Ok(model.filter(|m| m.is_active).map(|_| version))
    }
}
