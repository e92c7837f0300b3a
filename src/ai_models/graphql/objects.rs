//! Fields of the registry's objects that are computed or kept from non-admins.

use async_graphql::{ComplexObject, Context, ID};

use crate::accounts::loaders::AccountLoaders;
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::ai_models::feedback::{self, Rating};
use crate::ai_models::loaders::AiModelLoaders;
use crate::ai_models::loaders::{
    AiModelById, AiModelVersionById, DeploymentsOf, ProductionVersionsOf, RatingOfModel,
    RatingOfVersion, ValidationById, ValidationsOf, VersionsOf,
};
use crate::ai_models::model::{
    AiModel, AiModelDeployment, AiModelFeedback, AiModelValidationResult, AiModelVersion,
};
use crate::authz::guards::platform_may;
use crate::authz::matrix::{Action, Resource};
use crate::error::AppError;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::loader;
use crate::graphql::pagination::{self, Conn, PageArgs};

/// What the public does not see of the registry: the matrix's (AiModel, ReadAll).
fn admin(ctx: &Context<'_>) -> bool {
    platform_may(ctx, Resource::AiModel, Action::ReadAll)
}

async fn user(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> async_graphql::Result<Option<User>> {
    match id {
        Some(id) if admin(ctx) => loader::<AccountLoaders>(ctx).load_one(UserById(id)).await,
        _ => Ok(None),
    }
}

#[ComplexObject]
impl AiModel {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModel, self.id)
    }

    /// The versions serving requests (status `PRODUCTION`), newest first; for
    /// platform admins every version, newest first.
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AiModelVersion>> {
        let found = if admin(ctx) {
            loader::<AiModelLoaders>(ctx)
                .load_one(VersionsOf(self.id))
                .await?
        } else {
            loader::<AiModelLoaders>(ctx)
                .load_one(ProductionVersionsOf(self.id))
                .await?
        };
        Ok(found.unwrap_or_default())
    }

    /// The model's rating over all its versions; anyone may read it.
    async fn rating(&self, ctx: &Context<'_>) -> async_graphql::Result<Rating> {
        Ok(loader::<AiModelLoaders>(ctx)
            .load_one(RatingOfModel(self.id))
            .await?
            .unwrap_or_default())
    }
}

#[ComplexObject]
impl AiModelVersion {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelVersion, self.id)
    }

    /// The model this is a version of.
    async fn model(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AiModel>> {
        loader::<AiModelLoaders>(ctx)
            .load_one(AiModelById(self.model_id))
            .await
    }

    /// The version's rating; anyone may read it.
    async fn rating(&self, ctx: &Context<'_>) -> async_graphql::Result<Rating> {
        Ok(loader::<AiModelLoaders>(ctx)
            .load_one(RatingOfVersion(self.id))
            .await?
            .unwrap_or_default())
    }

    /// The feedback given on the version's results, newest first; platform
    /// admins only (an empty list for everyone else).
    async fn feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<AiModelFeedback>> {
        let args = PageArgs::new(first, after, None, None);
        args.validate()?;
        if !admin(ctx) {
            return Ok(pagination::connection(args.window(0)?, 0, Vec::new()));
        }
        let mut conn = app(ctx).db.conn().await?;
        let total = feedback::count_of_version(&mut conn, self.id)
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = feedback::page_of_version(&mut conn, self.id, window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }

    /// Provider settings in the documented shape (README, "The model registry");
    /// platform admins only, `null` for everyone else.
    async fn parameters(&self, ctx: &Context<'_>) -> Option<serde_json::Value> {
        admin(ctx).then(|| self.parameters.clone()).flatten()
    }

    /// Where the artifacts are stored; platform admins only.
    async fn source_path(&self, ctx: &Context<'_>) -> Option<String> {
        admin(ctx).then(|| self.source_path.clone()).flatten()
    }

    /// Who created the version; platform admins only.
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.created_by_user_id).await
    }

    /// The latest validation result, which decides promotion; platform admins only.
    async fn validation_result(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<AiModelValidationResult>> {
        match self.validation_result_id {
            Some(id) if admin(ctx) => {
                loader::<AiModelLoaders>(ctx)
                    .load_one(ValidationById(id))
                    .await
            }
            _ => Ok(None),
        }
    }

    /// Every validation of the version, newest first; platform admins only
    /// (empty for everyone else).
    async fn validations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<AiModelValidationResult>> {
        if !admin(ctx) {
            return Ok(Vec::new());
        }
        Ok(loader::<AiModelLoaders>(ctx)
            .load_one(ValidationsOf(self.id))
            .await?
            .unwrap_or_default())
    }

    /// The version's deployments, newest first: its deployment history; platform
    /// admins only (empty for everyone else).
    async fn deployments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<AiModelDeployment>> {
        if !admin(ctx) {
            return Ok(Vec::new());
        }
        Ok(loader::<AiModelLoaders>(ctx)
            .load_one(DeploymentsOf(self.id))
            .await?
            .unwrap_or_default())
    }
}

#[ComplexObject]
impl AiModelValidationResult {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelValidationResult, self.id)
    }

    /// Who recorded it.
    async fn validated_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.validated_by_user_id).await
    }
}

#[ComplexObject]
impl AiModelDeployment {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelDeployment, self.id)
    }

    /// The deployed version.
    async fn model_version(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<AiModelVersion>> {
        loader::<AiModelLoaders>(ctx)
            .load_one(crate::ai_models::loaders::AiModelVersionById(
                self.model_version_id,
            ))
            .await
    }

    /// Who deployed it.
    async fn deployed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.deployed_by_user_id).await
    }
}

#[ComplexObject]
impl AiModelFeedback {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AiModelFeedback, self.id)
    }

    /// Who gave it (their public profile).
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.user_id {
            Some(id) => loader::<AccountLoaders>(ctx).load_one(UserById(id)).await,
            None => Ok(None),
        }
    }

    /// The version that served the rated request.
    async fn model_version(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<AiModelVersion>> {
        match self.model_version_id {
            Some(id) => {
                loader::<AiModelLoaders>(ctx)
                    .load_one(AiModelVersionById(id))
                    .await
            }
            None => Ok(None),
        }
    }
}
