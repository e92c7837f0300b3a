//! The Relay `Node` interface and `node(id)`.

use crate::accounts::loaders::AccountLoaders;
use crate::ai_models::loaders::AiModelLoaders;
use crate::authz::guards::{platform_may, Need};
use crate::authz::roles::load_authorized;
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use crate::teams::loaders::TeamLoaders;
use async_graphql::{Context, Interface, Object, ID};

use super::id::{GlobalId, NodeType};
use crate::accounts::loaders::UserById;
use crate::accounts::model::{ApiClient, Session, User};
use crate::ai_models::loaders::{AiModelById, AiModelVersionById};
use crate::ai_models::model::{
    AiModel, AiModelDeployment, AiModelFeedback, AiModelValidationResult, AiModelVersion,
    AiModelVersionStatus,
};
use crate::authz::caller;
use crate::authz::matrix::{Action, Resource};
use crate::authz::roles::{authorize, Holder};
use crate::connections::model::SocialMediaConnection;
use crate::credits::model::{BillingSubscription, CreditTransaction, UsageLog};
use crate::error::{AppError, AppResult};
use crate::exports::model::UserDataExport;
use crate::generation::model::GenerationRequest;
use crate::notifications::model::Notification;
use crate::studio::loaders::AssetVersionById;
use crate::studio::model::{Asset, AssetVersion, BrandKit, Project, Template, Workbench};
use crate::teams::loaders::TeamMemberById;
use crate::teams::model::{Team, TeamMember};

/// An object with a global ID that `node(id)` can fetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global ID."))]
#[allow(clippy::large_enum_variant)]
pub enum Node {
    User(User),
    Session(Session),
    SocialMediaConnection(SocialMediaConnection),
    PublishedPost(crate::connections::publishing::PublishedPost),
    ApiClient(ApiClient),
    UserDataExport(UserDataExport),
    Team(Team),
    TeamMember(TeamMember),
    BrandKit(BrandKit),
    Workbench(Workbench),
    Project(Project),
    Asset(Asset),
    AssetVersion(AssetVersion),
    Template(Template),
    GenerationRequest(GenerationRequest),
    CreditTransaction(CreditTransaction),
    UsageLog(UsageLog),
    BillingSubscription(BillingSubscription),
    Notification(Notification),
    AiModel(AiModel),
    AiModelVersion(AiModelVersion),
    AiModelValidationResult(AiModelValidationResult),
    AiModelDeployment(AiModelDeployment),
    AiModelFeedback(AiModelFeedback),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID. An ID that is not one of ours is
    /// `BAD_USER_INPUT`; an object that does not exist, or that the caller may not
    /// see, is `NOT_FOUND` (the two are indistinguishable on purpose).
    #[graphql(guard = "Need::anyone()")]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID returned by this API.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let global = GlobalId::decode(&id, "id")?;
        match resolve(ctx, &id, &global).await {
            Ok(Some(node)) => Ok(Some(node)),
            Ok(None) | Err(AppError::NotFound(_)) | Err(AppError::Forbidden) => {
                Err(AppError::NotFound("node").into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Each type through its own typed lookup, so `node` applies the same permission
/// checks as the type's own query.
async fn resolve(ctx: &Context<'_>, id: &ID, global: &GlobalId) -> AppResult<Option<Node>> {
    let load_error = |e: async_graphql::Error| AppError::internal(anyhow::anyhow!(e.message));
    Ok(match global.node_type {
        NodeType::AiModel => {
            let id = global.as_uuid("id")?;
            loader::<AiModelLoaders>(ctx)
                .load_one(AiModelById(id))
                .await
                .map_err(load_error)?
                .filter(|m| m.is_active || platform_may(ctx, Resource::AiModel, Action::ReadAll))
                .map(Node::AiModel)
        }
        // Validation results and deployments are the platform admins' to read.
        NodeType::AiModelValidationResult
            if platform_may(ctx, Resource::AiModel, Action::ReadAll) =>
        {
            let id = global.as_uuid("id")?;
            loader::<AiModelLoaders>(ctx)
                .load_one(crate::ai_models::loaders::ValidationById(id))
                .await
                .map_err(load_error)?
                .map(Node::AiModelValidationResult)
        }
        NodeType::AiModelDeployment if platform_may(ctx, Resource::AiModel, Action::ReadAll) => {
            let id = global.as_uuid("id")?;
            loader::<AiModelLoaders>(ctx)
                .load_one(crate::ai_models::loaders::DeploymentById(id))
                .await
                .map_err(load_error)?
                .map(Node::AiModelDeployment)
        }
        NodeType::AiModelVersion => {
            let id = global.as_uuid("id")?;
            match loader::<AiModelLoaders>(ctx)
                .load_one(AiModelVersionById(id))
                .await
                .map_err(load_error)?
            {
                Some(version) if platform_may(ctx, Resource::AiModel, Action::ReadAll) => {
                    Some(Node::AiModelVersion(version))
                }
                Some(version) if version.status == AiModelVersionStatus::Production => {
                    let model = loader::<AiModelLoaders>(ctx)
                        .load_one(AiModelById(version.model_id))
                        .await
                        .map_err(load_error)?;
                    model
                        .filter(|m| m.is_active)
                        .map(|_| Node::AiModelVersion(version))
                }
                _ => None,
            }
        }
        NodeType::Template => Some(Node::Template(
            load_authorized::<Template>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::Template, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::Team => Some(Node::Team(
            load_authorized::<Team>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::Team, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::TeamMember => {
            let member_id = global.as_uuid("id")?;
            let member = loader::<TeamLoaders>(ctx)
                .load_one(TeamMemberById(member_id))
                .await
                .map_err(load_error)?
                .ok_or(AppError::NotFound("team member"))?;
            authorize(
                ctx,
                Holder::Team(member.team_id),
                Resource::TeamMember,
                Action::Read,
            )
            .await?;
            Some(Node::TeamMember(member))
        }
        NodeType::Workbench => Some(Node::Workbench(
            load_authorized::<Workbench>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::Workbench, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::Project => Some(Node::Project(
            load_authorized::<Project>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::Project, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::BrandKit => Some(Node::BrandKit(
            load_authorized::<BrandKit>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::BrandKit, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::Asset => Some(Node::Asset(
            load_authorized::<Asset>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::Asset, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::AssetVersion => {
            let version_id = global.as_uuid("id")?;
            let version = loader::<StudioLoaders>(ctx)
                .load_one(AssetVersionById(version_id))
                .await
                .map_err(load_error)?
                .ok_or(AppError::NotFound("asset version"))?;
            let asset_id = version
                .asset_id
                .ok_or(AppError::NotFound("asset version"))?;
            load_authorized::<Asset>(ctx, asset_id, Action::Read).await?;
            Some(Node::AssetVersion(version))
        }
        NodeType::GenerationRequest => Some(Node::GenerationRequest(
            load_authorized::<GenerationRequest>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::GenerationRequest, "id")?,
                Action::Read,
            )
            .await?,
        )),
        NodeType::User => {
            let user_id = global.as_uuid("id")?;
            if caller(ctx).user_id().is_none() {
                return Err(AppError::Unauthenticated);
            }
            loader::<AccountLoaders>(ctx)
                .load_one(UserById(user_id))
                .await
                .map_err(load_error)?
                .filter(|u| u.deleted_at.is_none())
                .map(Node::User)
        }
        NodeType::UserDataExport => Some(Node::UserDataExport(
            load_authorized::<UserDataExport>(
                ctx,
                GlobalId::decode_uuid(id, NodeType::UserDataExport, "id")?,
                Action::Read,
            )
            .await?,
        )),
        // SELF: a session of the connection's owner (as `mySocialConnections`).
        NodeType::SocialMediaConnection => {
            let id = global.as_uuid("id")?;
            let crate::authz::Caller::Session { user_id, .. } = caller(ctx) else {
                return Ok(None);
            };
            loader::<crate::connections::loaders::ConnectionLoaders>(ctx)
                .load_one(crate::connections::loaders::ConnectionById(id))
                .await
                .map_err(load_error)?
                .filter(|c| c.user_id == *user_id)
                .map(Node::SocialMediaConnection)
        }
        NodeType::PublishedPost => {
            let id = global.as_uuid("id")?;
            let crate::authz::Caller::Session { user_id, .. } = caller(ctx) else {
                return Ok(None);
            };
            crate::connections::publishing::owned(crate::graphql::app(ctx), *user_id, id)
                .await?
                .map(Node::PublishedPost)
        }
        // Account records, billing and model administration become reachable with
        // their own issues; until then they are not found through `node`.
        NodeType::UsageLog => None,
        _ => {
            global.as_uuid("id")?;
            None
        }
    })
}
