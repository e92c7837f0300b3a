//! Social sign-in (OpenID Connect): `beginSocialSignIn`, `completeSocialSignIn`,
//! `linkSocialAccount`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::accounts::model::{SocialProvider, User};
use crate::accounts::social::service::{self, Completion, LinkProof};
use crate::authz::guards::Need;
use crate::authz::{caller, request_info, Caller, SignedInDuringRequest};
use crate::error::AppError;
use crate::graphql::app;

/// The input of `beginSocialSignIn`.
#[derive(InputObject)]
pub struct BeginSocialSignInInput {
    /// The identity provider.
    pub provider: SocialProvider,
    /// Where the provider sends the browser back; must be on `SOCIAL_REDIRECT_URIS`.
    pub redirect_uri: String,
}

/// Where to send the browser.
#[derive(SimpleObject)]
pub struct BeginSocialSignInPayload {
    /// The provider's authorization URL (authorization code with PKCE S256).
    pub authorization_url: String,
    /// The flow's `state`, also in the URL; valid 10 minutes, once.
    pub state: String,
}

/// The input of `completeSocialSignIn`.
#[derive(InputObject)]
pub struct CompleteSocialSignInInput {
    /// The identity provider the flow began with.
    pub provider: SocialProvider,
    /// The `code` the provider returned to the redirect URI.
    pub code: String,
    /// The `state` the provider returned to the redirect URI.
    pub state: String,
    /// The current TOTP code, for an account with MFA.
    pub totp_code: Option<String>,
}

/// A session: the token goes in `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct CompleteSocialSignInPayload {
    /// Session token, shown only here.
    pub token: String,
    /// The account, as it is now.
    pub user: User,
}

/// The input of `linkSocialAccount`: the link token and, without a session of
/// the account, its password.
#[derive(InputObject)]
pub struct LinkSocialAccountInput {
    /// `extensions.linkToken` of the `ACCOUNT_LINK_REQUIRED` error (10 minutes, once).
    pub link_token: String,
    /// The account's password; not needed when signed in to that account.
    pub password: Option<String>,
    /// The current TOTP code, for an account with MFA confirming by password.
    pub totp_code: Option<String>,
}

/// The account, now reachable through its social identity.
#[derive(SimpleObject)]
pub struct LinkSocialAccountPayload {
    /// A new session token when the link was confirmed by password; `null` with a session.
    pub token: Option<String>,
    /// The account, as it is now.
    pub user: User,
}

#[derive(Default)]
pub struct SocialSignInMutation;

#[Object]
impl SocialSignInMutation {
    /// Starts a social sign-in: the provider's authorization URL, with a state,
    /// a nonce and a PKCE challenge kept here for 10 minutes
    /// (`PROVIDER_NOT_CONFIGURED` for a provider without settings).
    #[graphql(guard = "Need::anyone()")]
    async fn begin_social_sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `beginSocialSignIn`.")] input: BeginSocialSignInInput,
    ) -> async_graphql::Result<BeginSocialSignInPayload> {
        let (authorization_url, state) = service::begin(
            app(ctx),
            input.provider,
            &input.redirect_uri,
            request_info(ctx),
        )
        .await?;
        Ok(BeginSocialSignInPayload {
            authorization_url,
            state,
        })
    }

    /// Finishes a social sign-in: exchanges the code, verifies the ID token and
    /// signs in (a first sign-in creates the account). The email of an existing
    /// account is `ACCOUNT_LINK_REQUIRED`; a refused flow is `SOCIAL_AUTH_FAILED`
    /// with `extensions.reason`.
    #[graphql(guard = "Need::anyone()")]
    async fn complete_social_sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `completeSocialSignIn`.")] input: CompleteSocialSignInInput,
    ) -> async_graphql::Result<CompleteSocialSignInPayload> {
        let (token, user) = service::complete(
            app(ctx),
            Completion {
                provider: input.provider,
                code: &input.code,
                state: &input.state,
                totp_code: input.totp_code.as_deref(),
            },
            request_info(ctx),
        )
        .await?;
        SignedInDuringRequest::mark(ctx, user.id);
        Ok(CompleteSocialSignInPayload { token, user })
    }

    /// Links a pending social identity to the account with its email, confirmed
    /// by that account's session or password; never silently.
    #[graphql(guard = "Need::anyone()")]
    async fn link_social_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `linkSocialAccount`.")] input: LinkSocialAccountInput,
    ) -> async_graphql::Result<LinkSocialAccountPayload> {
        let proof = match (caller(ctx), input.password.as_deref()) {
            (_, Some(password)) => LinkProof::Password {
                password,
                totp_code: input.totp_code.as_deref(),
            },
            (Caller::Session { user_id, .. }, None) => LinkProof::Session(*user_id),
            // An API key cannot change the account that owns it.
            (Caller::ApiClient { .. }, None) => return Err(AppError::Forbidden.into()),
            (Caller::Anonymous, None) => {
                return Err(AppError::bad_input(
                    "password",
                    "give the account's password, or call this signed in to it",
                )
                .into())
            }
        };
        let (token, user) =
            service::link(app(ctx), &input.link_token, proof, request_info(ctx)).await?;
        SignedInDuringRequest::mark(ctx, user.id);
        Ok(LinkSocialAccountPayload { token, user })
    }
}
