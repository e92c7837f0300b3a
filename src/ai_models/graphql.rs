//! Public reads of AI models: active models and their Production versions.

use super::loaders::AiModelLoaders;
use crate::authz::guards::Need;
use crate::graphql::loader;
use async_graphql::{Context, Object, ID};

use super::loaders::AiModelById;
use super::model::{self, AiModel, AiModelFilter};
use crate::error::AppError;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};

#[derive(Default)]
pub struct AiModelQuery;

#[Object]
impl AiModelQuery {
    /// Active AI models, by name. Anyone may list them.
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
        let mut conn = app(ctx).db.conn().await?;
        let total = model::count_active(&mut conn, &filter)
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = model::list_active(&mut conn, &filter, window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }

    /// One active AI model; `null` when it does not exist or is inactive.
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
        Ok(found.filter(|m| m.is_active))
    }
}
