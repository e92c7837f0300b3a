//! Self-service on one's own account: profile, password, email, MFA, sessions.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::ok_payload;
use crate::accounts::model::{Session, User};
use crate::accounts::profile::{self, UpdateProfileInput};
use crate::accounts::{security, sessions};
use crate::authz::{caller, require_user, Caller};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};

/// The caller's session ids; every operation here needs a session.
fn session_of(ctx: &Context<'_>) -> AppResult<(uuid::Uuid, uuid::Uuid)> {
    match caller(ctx) {
        Caller::Session {
            user_id,
            session_id,
            ..
        } => Ok((*user_id, *session_id)),
        Caller::Anonymous => Err(AppError::Unauthenticated),
        Caller::ApiClient { .. } => Err(AppError::Forbidden),
    }
}

async fn fresh_user(ctx: &Context<'_>, user_id: uuid::Uuid) -> async_graphql::Result<User> {
    // The loader may hold the row from before the change; read it again.
    let mut conn = app(ctx).db.conn().await?;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    Ok(crate::db::schema::users::table
        .find(user_id)
        .select(User::as_select())
        .first(&mut conn)
        .await
        .map_err(AppError::from)?)
}

/// What `updateProfile` returns.
#[derive(SimpleObject)]
pub struct UpdateProfilePayload {
    /// The account, as it is now.
    pub user: User,
}

/// The input of `changePassword`.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The current password, to confirm.
    pub current_password: String,
    /// 8 to 128 characters.
    pub new_password: String,
}

/// What `changePassword` returns.
#[derive(SimpleObject)]
pub struct ChangePasswordPayload {
    /// The account, as it is now.
    pub user: User,
}

/// The input of `changeEmail`.
#[derive(InputObject)]
pub struct ChangeEmailInput {
    /// The new address; it becomes the account email once verified.
    pub new_email: String,
    /// The current password, to confirm.
    pub current_password: String,
}

/// The new address is pending until its verification token is used.
#[derive(SimpleObject)]
pub struct ChangeEmailPayload {
    /// The account, as it is now.
    pub user: User,
}

/// The input of `deleteAccount`.
#[derive(InputObject)]
pub struct DeleteAccountInput {
    /// The current password, to confirm.
    pub password: String,
}

/// What an authenticator app needs; confirm with a code to turn MFA on.
#[derive(SimpleObject)]
pub struct BeginMfaEnrollmentPayload {
    /// Base32 secret, for manual entry.
    pub secret: String,
    /// `otpauth://` URL, for a QR code.
    pub otpauth_url: String,
}

/// The input of `confirmMfa`.
#[derive(InputObject)]
pub struct ConfirmMfaInput {
    /// The current 6-digit code.
    pub code: String,
}

/// What `confirmMfa` returns.
#[derive(SimpleObject)]
pub struct ConfirmMfaPayload {
    /// The account, as it is now.
    pub user: User,
}

/// The input of `disableMfa`.
#[derive(InputObject)]
pub struct DisableMfaInput {
    /// The current 6-digit code.
    pub code: String,
}

/// What `disableMfa` returns.
#[derive(SimpleObject)]
pub struct DisableMfaPayload {
    /// The account, as it is now.
    pub user: User,
}

/// The input of `revokeSession`.
#[derive(InputObject)]
pub struct RevokeSessionInput {
    /// ID of one of the caller's sessions.
    pub session_id: ID,
}

/// What `revokeSession` returns.
#[derive(SimpleObject)]
pub struct RevokeSessionPayload {
    /// The revoked session's ID.
    pub revoked_session_id: ID,
}

/// What `revokeOtherSessions` returns.
#[derive(SimpleObject)]
pub struct RevokeOtherSessionsPayload {
    /// How many sessions ended.
    pub revoked_count: i32,
}

ok_payload!(
    /// The account is deleted: sign-in is refused from now on.
    DeleteAccountPayload,
);

#[derive(Default)]
pub struct SecurityQuery;

#[Object]
impl SecurityQuery {
    /// The caller's live sessions, newest first.
    #[graphql(guard = "Need::session()")]
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Session>> {
        let user_id = require_user(ctx)?;
        let mut conn = app(ctx).db.conn().await?;
        Ok(sessions::list_active(&mut conn, user_id).await?)
    }
}

#[derive(Default)]
pub struct SecurityMutation;

#[Object]
impl SecurityMutation {
    /// Changes profile fields; omitted fields stay as they are.
    #[graphql(guard = "Need::session()")]
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateProfile`.")] input: UpdateProfileInput,
    ) -> async_graphql::Result<UpdateProfilePayload> {
        let (user_id, _) = session_of(ctx)?;
        let user = profile::update_profile(app(ctx), user_id, input).await?;
        Ok(UpdateProfilePayload { user })
    }

    /// Sets a new password; every other session ends.
    #[graphql(guard = "Need::session()")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `changePassword`.")] input: ChangePasswordInput,
    ) -> async_graphql::Result<ChangePasswordPayload> {
        let (user_id, session_id) = session_of(ctx)?;
        security::change_password(
            app(ctx),
            user_id,
            session_id,
            &input.current_password,
            input.new_password,
        )
        .await?;
        Ok(ChangePasswordPayload {
            user: fresh_user(ctx, user_id).await?,
        })
    }

    /// Starts an email change: the new address gets a verification token.
    #[graphql(guard = "Need::session()")]
    async fn change_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `changeEmail`.")] input: ChangeEmailInput,
    ) -> async_graphql::Result<ChangeEmailPayload> {
        let (user_id, _) = session_of(ctx)?;
        security::change_email(app(ctx), user_id, &input.new_email, &input.current_password)
            .await?;
        Ok(ChangeEmailPayload {
            user: fresh_user(ctx, user_id).await?,
        })
    }

    /// Deletes the account (soft): sessions and API clients stop working.
    #[graphql(guard = "Need::session()")]
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteAccount`.")] input: DeleteAccountInput,
    ) -> async_graphql::Result<DeleteAccountPayload> {
        let (user_id, _) = session_of(ctx)?;
        security::delete_account(app(ctx), user_id, &input.password).await?;
        Ok(DeleteAccountPayload { ok: true })
    }

    /// Starts MFA enrolment: returns a new TOTP secret.
    #[graphql(guard = "Need::session()")]
    async fn begin_mfa_enrollment(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BeginMfaEnrollmentPayload> {
        let (user_id, _) = session_of(ctx)?;
        let (secret, otpauth_url) = security::begin_mfa_enrollment(app(ctx), user_id).await?;
        Ok(BeginMfaEnrollmentPayload {
            secret,
            otpauth_url,
        })
    }

    /// Turns MFA on with a code from the enrolled authenticator.
    #[graphql(guard = "Need::session()")]
    async fn confirm_mfa(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `confirmMfa`.")] input: ConfirmMfaInput,
    ) -> async_graphql::Result<ConfirmMfaPayload> {
        let (user_id, _) = session_of(ctx)?;
        security::confirm_mfa(app(ctx), user_id, &input.code).await?;
        Ok(ConfirmMfaPayload {
            user: fresh_user(ctx, user_id).await?,
        })
    }

    /// Turns MFA off with a current code.
    #[graphql(guard = "Need::session()")]
    async fn disable_mfa(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `disableMfa`.")] input: DisableMfaInput,
    ) -> async_graphql::Result<DisableMfaPayload> {
        let (user_id, _) = session_of(ctx)?;
        security::disable_mfa(app(ctx), user_id, &input.code).await?;
        Ok(DisableMfaPayload {
            user: fresh_user(ctx, user_id).await?,
        })
    }

    /// Ends one of the caller's sessions.
    #[graphql(guard = "Need::session()")]
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `revokeSession`.")] input: RevokeSessionInput,
    ) -> async_graphql::Result<RevokeSessionPayload> {
        let (user_id, _) = session_of(ctx)?;
        let session_id = GlobalId::decode_uuid(&input.session_id, NodeType::Session, "sessionId")?;
        let app = app(ctx);
        let mut conn = app.db.conn().await?;
        let revoked = sessions::revoke(&mut conn, user_id, Some(session_id), None).await?;
        let found = !revoked.is_empty();
        revoked.settle(app).await;
        if !found {
            return Err(AppError::NotFound("session").into());
        }
        Ok(RevokeSessionPayload {
            revoked_session_id: input.session_id,
        })
    }

    /// Ends every session of the caller except the current one.
    #[graphql(guard = "Need::session()")]
    async fn revoke_other_sessions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<RevokeOtherSessionsPayload> {
        let (user_id, session_id) = session_of(ctx)?;
        let app = app(ctx);
        let mut conn = app.db.conn().await?;
        let revoked = sessions::revoke(&mut conn, user_id, None, Some(session_id)).await?;
        let count = revoked.len();
        revoked.settle(app).await;
        Ok(RevokeOtherSessionsPayload {
            revoked_count: i32::try_from(count).unwrap_or(i32::MAX),
        })
    }
}
