//! Sign-up, sign-in, sign-out, email verification and password reset.

use crate::authz::guards::Need;
use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::ok_payload;
use crate::accounts::auth::{self, SignUp};
use crate::accounts::model::User;
use crate::authz::{caller, request_info, Caller, SignedInDuringRequest};
use crate::error::AppError;
use crate::graphql::app;

/// A new account.
#[derive(InputObject)]
pub struct SignUpInput {
    /// Sign-in address (unique, case-insensitive).
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Unique handle: 3-50 of a-z, 0-9, `_ . -`.
    pub username: Option<String>,
}

/// Credentials.
#[derive(InputObject)]
pub struct SignInInput {
    /// The account email.
    pub email: String,
    /// The account password.
    pub password: String,
    /// The current code of the authenticator app, for accounts with MFA.
    pub totp_code: Option<String>,
}

/// A session: the token goes in `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct SignUpPayload {
    /// Session token, shown only here.
    pub token: String,
    /// The account, as it is now.
    pub user: User,
}

/// A session: the token goes in `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct SignInPayload {
    /// Session token, shown only here.
    pub token: String,
    /// The account, as it is now.
    pub user: User,
}

/// The input of `signOut`.
#[derive(InputObject, Default)]
pub struct SignOutInput {
    /// Also end every other session of the account.
    #[graphql(default)]
    pub everywhere: bool,
}

/// The input of `verifyEmail`.
#[derive(InputObject)]
pub struct VerifyEmailInput {
    /// The token from the verification mail.
    pub token: String,
}

/// What `verifyEmail` returns.
#[derive(SimpleObject)]
pub struct VerifyEmailPayload {
    /// The account, as it is now.
    pub user: User,
}

/// The input of `requestPasswordReset`.
#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    /// The account email; the answer is the same whether it exists or not.
    pub email: String,
}

/// The input of `resetPassword`.
#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the reset mail.
    pub token: String,
    /// 8 to 128 characters.
    pub new_password: String,
}

ok_payload!(
    /// The session ended.
    SignOutPayload,
    /// A verification mail is on its way.
    RequestEmailVerificationPayload,
    /// If the address has an account, a reset mail is on its way (the answer is the same either way).
    RequestPasswordResetPayload,
    /// The password changed and every session was ended.
    ResetPasswordPayload,
);

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account (with the sign-up credit grant) and signs it in.
    #[graphql(guard = "Need::anyone()")]
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `signUp`.")] input: SignUpInput,
    ) -> async_graphql::Result<SignUpPayload> {
        let (token, user) = auth::sign_up(
            app(ctx),
            SignUp {
                email: input.email,
                password: input.password,
                full_name: input.full_name,
                username: input.username,
            },
            request_info(ctx),
        )
        .await?;
        SignedInDuringRequest::mark(ctx, user.id);
        Ok(SignUpPayload { token, user })
    }

    /// Opens a session. A wrong email and a wrong password give the same error;
    /// an account with MFA needs `totpCode` (`MFA_REQUIRED` otherwise).
    #[graphql(guard = "Need::anyone()")]
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `signIn`.")] input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let (token, user) = auth::sign_in(
            app(ctx),
            &input.email,
            &input.password,
            input.totp_code.as_deref(),
            request_info(ctx),
        )
        .await?;
        SignedInDuringRequest::mark(ctx, user.id);
        Ok(SignInPayload { token, user })
    }

    /// Ends the current session (and optionally all others).
    #[graphql(guard = "Need::session()")]
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "What to end (default: this session only).")] input: SignOutInput,
    ) -> async_graphql::Result<SignOutPayload> {
        let Caller::Session {
            user_id,
            session_id,
            ..
        } = caller(ctx)
        else {
            return Err(AppError::Unauthenticated.into());
        };
        if input.everywhere {
            let app = app(ctx);
            let mut conn = app.db.conn().await?;
            crate::accounts::sessions::revoke(&mut conn, *user_id, None, None)
                .await?
                .settle(app)
                .await;
        }
        auth::sign_out(app(ctx), *user_id, *session_id).await?;
        Ok(SignOutPayload { ok: true })
    }

    /// Mails a new verification token to the account's (or its pending) address.
    #[graphql(guard = "Need::session()")]
    async fn request_email_verification(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<RequestEmailVerificationPayload> {
        let user_id = crate::authz::require_user(ctx)?;
        auth::request_email_verification(app(ctx), user_id).await?;
        Ok(RequestEmailVerificationPayload { ok: true })
    }

    /// Confirms an address with the mailed token (single use, expires after a day).
    #[graphql(guard = "Need::anyone()")]
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `verifyEmail`.")] input: VerifyEmailInput,
    ) -> async_graphql::Result<VerifyEmailPayload> {
        let user = auth::verify_email(app(ctx), &input.token, request_info(ctx)).await?;
        // Holding the mailed token proves the account is the caller's.
        SignedInDuringRequest::mark(ctx, user.id);
        Ok(VerifyEmailPayload { user })
    }

    /// Mails a reset token (valid one hour) if the address has an account.
    #[graphql(guard = "Need::anyone()")]
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `requestPasswordReset`.")] input: RequestPasswordResetInput,
    ) -> async_graphql::Result<RequestPasswordResetPayload> {
        auth::request_password_reset(app(ctx), &input.email, request_info(ctx)).await?;
        Ok(RequestPasswordResetPayload { ok: true })
    }

    /// Sets a new password with a reset token and ends every session.
    #[graphql(guard = "Need::anyone()")]
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `resetPassword`.")] input: ResetPasswordInput,
    ) -> async_graphql::Result<ResetPasswordPayload> {
        auth::reset_password(
            app(ctx),
            &input.token,
            input.new_password,
            request_info(ctx),
        )
        .await?;
        Ok(ResetPasswordPayload { ok: true })
    }
}
