//! The connections part of the schema: `mySocialConnections`,
//! `beginSocialConnection`, `completeSocialConnection`, `disconnectSocialAccount`.
//! All SELF (PERMISSIONS.md): a session of the account; an API key cannot
//! manage the account that owns it.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::model::{SocialMediaConnection, SocialPlatform};
use super::publishing::{self, PublishedPost};
use super::service;
use crate::authz::guards::Need;
use crate::authz::matrix::Action;
use crate::authz::require_user;
use crate::authz::roles::load_authorized;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::studio::model::Asset;

/// The input of `beginSocialConnection`.
#[derive(InputObject)]
pub struct BeginSocialConnectionInput {
    /// The network to connect.
    pub platform: SocialPlatform,
    /// Where the platform sends the browser back; must be on `SOCIAL_REDIRECT_URIS`.
    pub redirect_uri: String,
}

/// Where to send the browser.
#[derive(SimpleObject)]
pub struct BeginSocialConnectionPayload {
    /// The platform's authorization URL (authorization code with PKCE S256).
    pub authorization_url: String,
    /// The flow's `state`, also in the URL; valid 10 minutes, once.
    pub state: String,
}

/// The input of `completeSocialConnection`.
#[derive(InputObject)]
pub struct CompleteSocialConnectionInput {
    /// The network the flow began with.
    pub platform: SocialPlatform,
    /// The `code` the platform returned to the redirect URI.
    pub code: String,
    /// The `state` the platform returned to the redirect URI.
    pub state: String,
}

/// The connection made.
#[derive(SimpleObject)]
pub struct CompleteSocialConnectionPayload {
    /// The connection (its tokens are never shown).
    pub social_media_connection: SocialMediaConnection,
}

/// The input of `disconnectSocialAccount`.
#[derive(InputObject)]
pub struct DisconnectSocialAccountInput {
    /// The connection's ID.
    pub connection_id: ID,
}

/// The connection removed.
#[derive(SimpleObject)]
pub struct DisconnectSocialAccountPayload {
    /// The connection as it was; its tokens are revoked and deleted.
    pub social_media_connection: SocialMediaConnection,
}

/// The input of `publishAsset`.
#[derive(InputObject)]
pub struct PublishAssetInput {
    /// The asset to publish (the caller may read it: VIEWER and up).
    pub asset_id: ID,
    /// One of the caller's own connections.
    pub connection_id: ID,
    /// The text published with it (at most 2200 characters).
    pub caption: String,
}

/// The publication, queued.
#[derive(SimpleObject)]
pub struct PublishAssetPayload {
    /// Pending until its job has run; the same post for the same asset,
    /// connection and caption.
    pub published_post: PublishedPost,
}

#[derive(Default)]
pub struct ConnectionQuery;

#[Object]
impl ConnectionQuery {
    /// The caller's connected social network accounts: platform, external
    /// account, expiry and status.
    #[graphql(guard = "Need::session()")]
    async fn my_social_connections(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<SocialMediaConnection>> {
        let user_id = require_user(ctx)?;
        Ok(service::of_user(app(ctx), user_id).await?)
    }

    /// One of the caller's publications, or `null`.
    #[graphql(guard = "Need::session()")]
    async fn published_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The publication's ID.")] id: ID,
    ) -> async_graphql::Result<Option<PublishedPost>> {
        let id = GlobalId::decode_uuid(&id, NodeType::PublishedPost, "id")?;
        let user_id = require_user(ctx)?;
        Ok(publishing::owned(app(ctx), user_id, id).await?)
    }
}

#[derive(Default)]
pub struct ConnectionMutation;

#[Object]
impl ConnectionMutation {
    /// Starts connecting a social network account: the platform's authorization
    /// URL (`PROVIDER_NOT_CONFIGURED` for a platform without settings).
    #[graphql(guard = "Need::session()")]
    async fn begin_social_connection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `beginSocialConnection`.")]
        input: BeginSocialConnectionInput,
    ) -> async_graphql::Result<BeginSocialConnectionPayload> {
        let user_id = require_user(ctx)?;
        let (authorization_url, state) =
            service::begin(app(ctx), user_id, input.platform, &input.redirect_uri).await?;
        Ok(BeginSocialConnectionPayload {
            authorization_url,
            state,
        })
    }

    /// Finishes connecting: exchanges the code and keeps the tokens, sealed. A
    /// second connection to the same platform replaces the first.
    #[graphql(guard = "Need::session()")]
    async fn complete_social_connection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `completeSocialConnection`.")]
        input: CompleteSocialConnectionInput,
    ) -> async_graphql::Result<CompleteSocialConnectionPayload> {
        let user_id = require_user(ctx)?;
        let social_media_connection =
            service::complete(app(ctx), user_id, input.platform, &input.code, &input.state).await?;
        Ok(CompleteSocialConnectionPayload {
            social_media_connection,
        })
    }

    /// Disconnects an account: its tokens are revoked at the platform where it
    /// has a revocation endpoint, and deleted.
    #[graphql(guard = "Need::session()")]
    async fn disconnect_social_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `disconnectSocialAccount`.")]
        input: DisconnectSocialAccountInput,
    ) -> async_graphql::Result<DisconnectSocialAccountPayload> {
        let id = GlobalId::decode_uuid(
            &input.connection_id,
            NodeType::SocialMediaConnection,
            "connectionId",
        )?;
        let user_id = require_user(ctx)?;
        let social_media_connection = service::disconnect(app(ctx), user_id, id).await?;
        Ok(DisconnectSocialAccountPayload {
            social_media_connection,
        })
    }

    /// Publishes an asset through one of the caller's connections: a job of
    /// the queue uploads it (retried), and a notification says when it is done
    /// or failed. Idempotent per (asset, connection, caption).
    #[graphql(guard = "Need::session()")]
    async fn publish_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `publishAsset`.")] input: PublishAssetInput,
    ) -> async_graphql::Result<PublishAssetPayload> {
        let asset_id = GlobalId::decode_uuid(&input.asset_id, NodeType::Asset, "assetId")?;
        let connection_id = GlobalId::decode_uuid(
            &input.connection_id,
            NodeType::SocialMediaConnection,
            "connectionId",
        )?;
        let user_id = require_user(ctx)?;
        // PERMISSIONS.md: VIEWER on the asset ("some Export allowed"), as a download.
        let asset = load_authorized::<Asset>(ctx, asset_id, Action::Download).await?;
        let published_post =
            publishing::request(app(ctx), user_id, asset.id, connection_id, &input.caption).await?;
        Ok(PublishAssetPayload { published_post })
    }
}
