//! Opaque global IDs: base64url of `<TypeName>:<key>`, so a client can hand any ID
//! to `node(id)` and the server knows which table to read.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Every type that implements `Node`, by its GraphQL name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    User,
    BrandKit,
    Workbench,
    Project,
    Asset,
    AssetVersion,
    GenerationRequest,
    SocialMediaConnection,
    ApiClient,
    BillingSubscription,
    CreditTransaction,
    UsageLog,
    Team,
    TeamMember,
    Session,
    Notification,
    Template,
    AiModel,
    AiModelVersion,
    AiModelValidationResult,
    AiModelDeployment,
    AiModelFeedback,
    UserDataExport,
    TeamInvitation,
    PublishedPost,
}

impl NodeType {
    /// Every variant, in declaration order.
    pub const ALL: [NodeType; 25] = [
        Self::User,
        Self::BrandKit,
        Self::Workbench,
        Self::Project,
        Self::Asset,
        Self::AssetVersion,
        Self::GenerationRequest,
        Self::SocialMediaConnection,
        Self::ApiClient,
        Self::BillingSubscription,
        Self::CreditTransaction,
        Self::UsageLog,
        Self::Team,
        Self::TeamMember,
        Self::Session,
        Self::Notification,
        Self::Template,
        Self::AiModel,
        Self::AiModelVersion,
        Self::AiModelValidationResult,
        Self::AiModelDeployment,
        Self::AiModelFeedback,
        Self::UserDataExport,
        Self::TeamInvitation,
        Self::PublishedPost,
    ];

    /// The GraphQL type name, which is also the prefix inside the ID.
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::BrandKit => "BrandKit",
            Self::Workbench => "Workbench",
            Self::Project => "Project",
            Self::Asset => "Asset",
            Self::AssetVersion => "AssetVersion",
            Self::GenerationRequest => "GenerationRequest",
            Self::SocialMediaConnection => "SocialMediaConnection",
            Self::ApiClient => "APIClient",
            Self::BillingSubscription => "BillingSubscription",
            Self::CreditTransaction => "CreditTransaction",
            Self::UsageLog => "UsageLog",
            Self::Team => "Team",
            Self::TeamMember => "TeamMember",
            Self::Session => "Session",
            Self::Notification => "Notification",
            Self::Template => "Template",
            Self::AiModel => "AIModel",
            Self::AiModelVersion => "AIModelVersion",
            Self::AiModelValidationResult => "AIModelValidationResult",
            Self::AiModelDeployment => "AIModelDeployment",
            Self::AiModelFeedback => "AIModelFeedback",
            Self::UserDataExport => "UserDataExport",
            Self::TeamInvitation => "TeamInvitation",
            Self::PublishedPost => "PublishedPost",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A decoded global ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalId {
    pub node_type: NodeType,
    pub key: String,
}

impl GlobalId {
    pub fn encode(node_type: NodeType, key: impl std::fmt::Display) -> ID {
        ID(URL_SAFE_NO_PAD.encode(format!("{}:{key}", node_type.name())))
    }

    pub fn uuid(node_type: NodeType, id: Uuid) -> ID {
        Self::encode(node_type, id)
    }

    /// Decodes any global ID; `field` names the argument in the error.
    pub fn decode(id: &ID, field: &str) -> AppResult<Self> {
        let malformed = || AppError::bad_input(field, format!("'{}' is not a valid ID", id.0));
        let bytes = URL_SAFE_NO_PAD
            .decode(id.0.trim_end_matches('='))
            .map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (name, key) = text.split_once(':').ok_or_else(malformed)?;
        let node_type = NodeType::from_name(name).ok_or_else(malformed)?;
        if key.is_empty() {
            return Err(malformed());
        }
        Ok(Self {
            node_type,
            key: key.to_string(),
        })
    }

    /// Decodes an ID that must be of `expected` type and carry a UUID key.
    pub fn decode_uuid(id: &ID, expected: NodeType, field: &str) -> AppResult<Uuid> {
        let global = Self::decode(id, field)?;
        if global.node_type != expected {
            return Err(AppError::bad_input(
                field,
                format!("expected an ID of a {}", expected.name()),
            ));
        }
        global.as_uuid(field)
    }

    pub fn as_uuid(&self, field: &str) -> AppResult<Uuid> {
        Uuid::parse_str(&self.key)
            .map_err(|_| AppError::bad_input(field, "the ID does not name a valid record"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let uuid = Uuid::new_v4();
        let id = GlobalId::uuid(NodeType::AiModel, uuid);
        assert_eq!(
            GlobalId::decode_uuid(&id, NodeType::AiModel, "id").ok(),
            Some(uuid)
        );
    }

    #[test]
    fn an_id_of_another_type_is_refused() {
        let id = GlobalId::uuid(NodeType::Template, Uuid::new_v4());
        let err = GlobalId::decode_uuid(&id, NodeType::AiModel, "id").expect_err("wrong type");
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn garbage_is_refused() {
        for raw in ["", "!!!", "bm90LWFuLWlk", "VW5rbm93bjox"] {
            let err = GlobalId::decode(&ID(raw.into()), "id").expect_err(raw);
            assert_eq!(err.code(), "BAD_USER_INPUT");
        }
    }
}
