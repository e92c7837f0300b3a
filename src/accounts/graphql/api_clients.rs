//! API clients of the caller and of the teams they administer.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use crate::accounts::api_clients::{self, CreateApiClientInput};
use crate::accounts::model::ApiClient;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{can, can_read, teams_where, Holder};
use crate::error::{AppError, AppResult};
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

/// The matrix's `TeamApiClient` cell on `holder` (a personal client's owner is
/// its OWNER). A team member below the cell gets `FORBIDDEN`; anyone else finds
/// nothing (`NOT_FOUND` of `noun`), so a client's existence does not leak.
async fn may_manage(
    ctx: &Context<'_>,
    holder: Holder,
    action: Action,
    noun: &'static str,
) -> AppResult<()> {
    if can(ctx, holder, Resource::TeamApiClient, action).await? {
        return Ok(());
    }
    if matches!(holder, Holder::Team(_)) && can_read(ctx, holder, Resource::Team).await? {
        return Err(AppError::Forbidden);
    }
    Err(AppError::NotFound(noun))
}

/// A client the caller may change (rotate, revoke).
async fn managed(ctx: &Context<'_>, id: uuid::Uuid) -> AppResult<ApiClient> {
    let client = api_clients::find(app(ctx), id)
        .await?
        .ok_or(AppError::NotFound("API client"))?;
    let holder = Holder::of(client.team_id, client.user_id);
    may_manage(ctx, holder, Action::Update, "API client").await?;
    Ok(client)
}

#[derive(Default)]
pub struct ApiClientQuery;

#[Object]
impl ApiClientQuery {
    /// The caller's personal API clients and those of teams they administer.
    #[graphql(guard = "Need::session()")]
    async fn my_api_clients(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiClient>> {
        let teams = teams_where(ctx, Resource::TeamApiClient, Action::Read).await?;
        Ok(api_clients::list_managed(app(ctx), require_user(ctx)?, &teams).await?)
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
        let user_id = require_user(ctx)?;
        let new = api_clients::validate(input)?;
        if let Some(team_id) = new.team_id {
            may_manage(ctx, Holder::Team(team_id), Action::Create, "team").await?;
        }
        let (api_client, secret) = api_clients::create(app(ctx), user_id, new).await?;
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
        managed(ctx, id).await?;
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
        managed(ctx, id).await?;
        let api_client = api_clients::revoke(app(ctx), require_user(ctx)?, id).await?;
        Ok(RevokeApiClientPayload { api_client })
    }
}
