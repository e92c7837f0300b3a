//! The Relay `Node` interface and `node(id)`.

use async_graphql::{Context, Interface, Object, ID};

use super::id::{GlobalId, NodeType};
use super::loaders;
use crate::accounts::model::{ApiClient, Session, SocialMediaConnection, User, UserDataExport};
use crate::ai_models::loaders::{AiModelById, AiModelVersionById};
use crate::ai_models::model::{
    AiModel, AiModelDeployment, AiModelFeedback, AiModelValidationResult, AiModelVersion,
    AiModelVersionStatus,
};
use crate::credits::model::{BillingSubscription, CreditTransaction, UsageLog};
use crate::error::AppError;
use crate::generation::model::GenerationRequest;
use crate::notifications::model::Notification;
use crate::studio::loaders::TemplateById;
use crate::studio::model::{Asset, AssetVersion, BrandKit, Project, Template, Workbench};
use crate::teams::model::{Team, TeamMember};

/// An object with a global ID that `node(id)` can fetch.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global ID."))]
#[allow(clippy::large_enum_variant)]
pub enum Node {
    User(User),
    Session(Session),
    SocialMediaConnection(SocialMediaConnection),
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
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID returned by this API.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let global = GlobalId::decode(&id, "id")?;
        let found = match global.node_type {
            NodeType::AiModel => {
                let id = global.as_uuid("id")?;
                loaders(ctx)
                    .load_one(AiModelById(id))
                    .await?
                    .filter(|m| m.is_active)
                    .map(Node::AiModel)
            }
            NodeType::AiModelVersion => {
                let id = global.as_uuid("id")?;
                match loaders(ctx).load_one(AiModelVersionById(id)).await? {
                    Some(version) if version.status == AiModelVersionStatus::Production => {
                        let model = loaders(ctx).load_one(AiModelById(version.model_id)).await?;
                        model
                            .filter(|m| m.is_active)
                            .map(|_| Node::AiModelVersion(version))
                    }
                    _ => None,
                }
            }
            NodeType::Template => {
                let id = global.as_uuid("id")?;
                loaders(ctx)
                    .load_one(TemplateById(id))
                    .await?
                    .filter(|t| t.is_public)
                    .map(Node::Template)
            }
            // Private types become readable with their permission guards.
            _ => {
                if global.node_type != NodeType::UsageLog {
                    global.as_uuid("id")?;
                }
                None
            }
        };
        match found {
            Some(node) => Ok(Some(node)),
            None => Err(AppError::NotFound("node").into()),
        }
    }
}
