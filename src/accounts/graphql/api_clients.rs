//! API clients of the caller and of the teams they administer.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use crate::accounts::api_clients::{self, CreateApiClientInput};
use crate::accounts::model::ApiClient;
use crate::authz::require_user;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};

/// The new client and its secret: shown only here, store it now.
#[derive(SimpleObject)]
pub struct CreateApiClientPayload {
    /// The API client, as it is now.
    pub api_client: ApiClient,
    /// Use as `Authorization: ApiKey <apiKey>:<secret>`.
    pub secret: String,
}

/// The input of `rotateApiClientSecret`.
#[derive(InputObject)]
pub struct RotateApiClientSecretInput {
    /// ID of the API client.
    pub api_client_id: ID,
}

/// The old secret stops working at once.
#[derive(SimpleObject)]
pub struct RotateApiClientSecretPayload {
    /// The API client, as it is now.
    pub api_client: ApiClient,
    /// The new secret, shown only here.
    pub secret: String,
}

/// The input of `revokeApiClient`.
#[derive(InputObject)]
pub struct RevokeApiClientInput {
    /// ID of the API client.
    pub api_client_id: ID,
}

/// What `revokeApiClient` returns.
#[derive(SimpleObject)]
pub struct RevokeApiClientPayload {
    /// The API client, as it is now.
    pub api_client: ApiClient,
}

#[derive(Default)]
pub struct ApiClientQuery;

#[Object]
impl ApiClientQuery {
    /// The caller's personal API clients and those of teams they administer.
    #[graphql(guard = "Need::session()")]
    async fn my_api_clients(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiClient>> {
        Ok(api_clients::list_managed(app(ctx), require_user(ctx)?).await?)
    }
}

#[derive(Default)]
pub struct ApiClientMutation;

#[Object]
impl ApiClientMutation {
    /// Creates an API client; a team's client needs ADMIN or OWNER in that team.
    #[graphql(guard = "Need::session()")]
    async fn create_api_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createApiClient`.")] input: CreateApiClientInput,
    ) -> async_graphql::Result<CreateApiClientPayload> {
        let (api_client, secret) = api_clients::create(app(ctx), require_user(ctx)?, input).await?;
        Ok(CreateApiClientPayload { api_client, secret })
    }

    /// Replaces the client's secret.
    #[graphql(guard = "Need::session()")]
    async fn rotate_api_client_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `rotateApiClientSecret`.")]
        input: RotateApiClientSecretInput,
    ) -> async_graphql::Result<RotateApiClientSecretPayload> {
        let id = GlobalId::decode_uuid(&input.api_client_id, NodeType::ApiClient, "apiClientId")?;
        let (api_client, secret) =
            api_clients::rotate_secret(app(ctx), require_user(ctx)?, id).await?;
        Ok(RotateApiClientSecretPayload { api_client, secret })
    }

    /// Deactivates the client for good.
    #[graphql(guard = "Need::session()")]
    async fn revoke_api_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `revokeApiClient`.")] input: RevokeApiClientInput,
    ) -> async_graphql::Result<RevokeApiClientPayload> {
        let id = GlobalId::decode_uuid(&input.api_client_id, NodeType::ApiClient, "apiClientId")?;
        let api_client = api_clients::revoke(app(ctx), require_user(ctx)?, id).await?;
        Ok(RevokeApiClientPayload { api_client })
    }
}
