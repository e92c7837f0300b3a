//! Social sign-in: begin (the authorization URL), complete (code exchange, ID
//! token check, then sign in, sign up or ask for a link) and link (an existing
//! account confirms a social identity with its password or session).

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::flows::{self, Purpose};
use super::oidc::{refused, IdClaims};
use crate::accounts::model::{SocialProvider, User};
use crate::accounts::{auth, sessions};
use crate::app::App;
use crate::authz::RequestInfo;
use crate::config::OidcProviderConfig;
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::users;
use crate::error::{AppError, AppResult};

/// The provider's settings, or `PROVIDER_NOT_CONFIGURED`.
fn provider_config(app: &App, provider: SocialProvider) -> AppResult<&OidcProviderConfig> {
    let social = &app.config.social;
    match provider {
        SocialProvider::Google => social.google.as_ref(),
        SocialProvider::Facebook => social.facebook.as_ref(),
        SocialProvider::Apple => social.apple.as_ref(),
    }
    .ok_or_else(|| {
        AppError::ProviderNotConfigured(format!(
            "sign-in with {} is not configured on this server",
            provider.as_db_str()
        ))
    })
}

/// The URL to send the browser to, and the flow's `state`.
pub async fn begin(
    app: &App,
    provider: SocialProvider,
    redirect_uri: &str,
    info: &RequestInfo,
) -> AppResult<(String, String)> {
    let config = provider_config(app, provider)?;
    flows::check_redirect_uri(app, redirect_uri)?;
    // Anyone may start a flow, and each one is a row for ten minutes: capped per address.
    app.rate_limiter
        .hit(
            &format!("social-begin:ip:{}", info.ip_string()),
            app.config.auth.attempts_per_ip_per_minute,
            std::time::Duration::from_secs(60),
        )
        .await?;
    let discovery = app.oidc.discovery(&app.http, config).await?;
    let flow = flows::start(
        app,
        Purpose::SignIn,
        provider.as_db_str(),
        None,
        redirect_uri,
    )
    .await?;
    let url = reqwest::Url::parse_with_params(
        &discovery.authorization_endpoint,
        &[
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", "openid email profile"),
            ("state", flow.state.as_str()),
            ("nonce", flow.nonce.as_str()),
            ("code_challenge", flow.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .map_err(|_| {
        refused(
            "PROVIDER_UNAVAILABLE",
            "the provider's authorization endpoint is not a URL",
        )
    })?;
    Ok((url.to_string(), flow.state))
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// What `completeSocialSignIn` asks of the flow's caller.
pub struct Completion<'a> {
    pub provider: SocialProvider,
    pub code: &'a str,
    pub state: &'a str,
    pub totp_code: Option<&'a str>,
}

/// Exchanges the code, checks the ID token and signs the identity in: its
/// account, or a new one; the email of an existing account asks for a link.
pub async fn complete(
    app: &App,
    input: Completion<'_>,
    info: &RequestInfo,
) -> AppResult<(String, User)> {
    let config = provider_config(app, input.provider)?;
    // Per address only: every user of a provider shares its name, so a per-"email"
    // limit would cap the provider as a whole.
    app.rate_limiter
        .hit(
            &format!("social-complete:ip:{}", info.ip_string()),
            app.config.auth.attempts_per_ip_per_minute,
            std::time::Duration::from_secs(60),
        )
        .await?;
    let flow = flows::take(
        app,
        Purpose::SignIn,
        input.provider.as_db_str(),
        input.state,
    )
    .await?;
    let discovery = app.oidc.discovery(&app.http, config).await?;
    let response = app
        .http
        .post(&discovery.token_endpoint)
        .basic_auth(
            &config.client_id,
            Some(config.client_secret.expose_secret()),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", input.code),
            ("redirect_uri", flow.redirect_uri.as_str()),
            ("client_id", config.client_id.as_str()),
            ("code_verifier", flow.code_verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "token endpoint unreachable");
            refused(
                "PROVIDER_UNAVAILABLE",
                "the sign-in provider did not answer",
            )
        })?;
    if !response.status().is_success() {
        // The provider refuses a code that is not its own, used, or whose PKCE
        // verifier does not match its challenge.
        return Err(refused(
            "TOKEN_EXCHANGE_FAILED",
            "the provider refused the authorization code",
        ));
    }
    let tokens: TokenResponse = response.json().await.map_err(|_| {
        refused(
            "TOKEN_EXCHANGE_FAILED",
            "the provider's token answer is malformed",
        )
    })?;
    let id_token = tokens
        .id_token
        .ok_or_else(|| refused("TOKEN_EXCHANGE_FAILED", "the provider sent no ID token"))?;
    let claims = app
        .oidc
        .verify_id_token(&app.http, config, &discovery, &id_token, &flow.nonce)
        .await?;
    sign_in_identity(app, input.provider, claims, input.totp_code, info).await
}

/// Accounts by email, case-insensitively (as `signIn` finds them).
fn by_email(email: &str) -> users::BoxedQuery<'static, diesel::pg::Pg> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(email.trim().to_lowercase()),
        )
        .into_boxed()
}

async fn sign_in_identity(
    app: &App,
    provider: SocialProvider,
    claims: IdClaims,
    totp_code: Option<&str>,
    info: &RequestInfo,
) -> AppResult<(String, User)> {
    let mut conn = app.db.conn().await?;
    let linked: Option<User> = users::table
        .filter(users::social_provider.eq(provider))
        .filter(users::social_provider_id.eq(&claims.sub))
        .filter(users::deleted_at.is_null())
        .select(User::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    if let Some(user) = linked {
        return open_session(app, &mut conn, user, totp_code, info, "social").await;
    }
    let email = claims
        .email
        .as_deref()
        .map(|e| crate::accounts::validate::email("email", e))
        .transpose()
        .map_err(|_| refused("EMAIL_MISSING", "the provider sent no usable email address"))?
        .ok_or_else(|| refused("EMAIL_MISSING", "the provider sent no email address"))?;
    let existing: Option<Uuid> = by_email(&email)
        .select(users::id)
        .first(&mut conn)
        .await
        .optional()?;
    if existing.is_some() {
        // An address the provider has not verified proves nothing about who owns
        // the account: offering a link would let a look-alike identity be
        // phished onto it.
        if !claims.email_verified {
            return Err(refused(
                "EMAIL_NOT_VERIFIED",
                "an account with this email exists, and the provider has not verified the address",
            ));
        }
        // Never signed in silently: the account's owner confirms the link.
        let link_token = flows::start_link(
            &mut conn,
            provider.as_db_str(),
            &claims.sub,
            &email,
            claims.email_verified,
        )
        .await?;
        return Err(AppError::AccountLinkRequired { link_token });
    }
    sign_up_identity(app, &mut conn, provider, &claims, &email, info).await
}

/// A first sign-in: the account (no password), the sign-up grant, a session.
async fn sign_up_identity(
    app: &App,
    conn: &mut AsyncPgConnection,
    provider: SocialProvider,
    claims: &IdClaims,
    email: &str,
    info: &RequestInfo,
) -> AppResult<(String, User)> {
    let grant = app.config.auth.signup_credit_grant;
    let ttl = app.config.auth.session_ttl;
    let full_name = claims
        .name
        .as_deref()
        .map(|n| n.trim().chars().take(100).collect::<String>())
        .filter(|n| !n.is_empty());
    conn.transaction(async |conn| {
        let mut user: User = diesel::insert_into(users::table)
            .values((
                users::email.eq(email),
                users::password_hash.eq(None::<String>),
                users::social_provider.eq(provider),
                users::social_provider_id.eq(&claims.sub),
                users::is_email_verified.eq(claims.email_verified),
                users::full_name.eq(&full_name),
                users::last_login_at.eq(Utc::now()),
            ))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        auth::grant_signup_credits(conn, &mut user, grant).await?;
        let (token, _) = sessions::open(conn, user.id, info, ttl).await?;
        usage::record(
            conn,
            UsageEntry {
                user_id: Some(user.id),
                action_type: "signup",
                details: Some(json!({"ip": info.ip_string(), "provider": provider.as_db_str()})),
                ..Default::default()
            },
        )
        .await?;
        Ok::<_, AppError>((token, user))
    })
    .await
}

/// Opens a session for an account reached through its social identity: a
/// suspended account is refused, an MFA account needs its TOTP code.
async fn open_session(
    app: &App,
    conn: &mut AsyncPgConnection,
    user: User,
    totp_code: Option<&str>,
    info: &RequestInfo,
    how: &'static str,
) -> AppResult<(String, User)> {
    if user.suspended_at.is_some() {
        return Err(AppError::AccountSuspended);
    }
    let mfa_step = auth::mfa_step(app, &user, totp_code)?;
    let ttl = app.config.auth.session_ttl;
    conn.transaction(async |conn| {
        auth::spend_mfa_step(conn, user.id, mfa_step).await?;
        let user: User = diesel::update(users::table.find(user.id))
            .set(users::last_login_at.eq(Utc::now()))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        let (token, _) = sessions::open(conn, user.id, info, ttl).await?;
        usage::record(
            conn,
            UsageEntry {
                user_id: Some(user.id),
                action_type: "login_success",
                details: Some(
                    json!({"ip": info.ip_string(), "via": how, "mfa": mfa_step.is_some()}),
                ),
                ..Default::default()
            },
        )
        .await?;
        Ok::<_, AppError>((token, user))
    })
    .await
}

/// How the account confirms a link.
pub enum LinkProof<'a> {
    /// The caller's session belongs to the account.
    Session(Uuid),
    /// The account's password (and TOTP code with MFA): signs in too.
    Password {
        password: &'a str,
        totp_code: Option<&'a str>,
    },
}

/// Links the pending social identity of `link_token` to the account with its
/// email, once that account has proved itself; returns a new session token
/// when the proof was a password.
pub async fn link(
    app: &App,
    link_token: &str,
    proof: LinkProof<'_>,
    info: &RequestInfo,
) -> AppResult<(Option<String>, User)> {
    let mut conn = app.db.conn().await?;
    let pending = flows::peek_link(&mut conn, link_token).await?;
    let email = pending.email.clone().unwrap_or_default();
    let (token, user_id) = match proof {
        LinkProof::Session(user_id) => {
            let matches: Option<Uuid> = by_email(&email)
                .filter(users::id.eq(user_id))
                .select(users::id)
                .first(&mut conn)
                .await
                .optional()?;
            // Another account's session may not take this identity.
            matches.ok_or(AppError::Forbidden)?;
            (None, user_id)
        }
        LinkProof::Password {
            password,
            totp_code,
        } => {
            let (token, user) = auth::sign_in(app, &email, password, totp_code, info).await?;
            (Some(token), user.id)
        }
    };
    let provider = SocialProvider::from_db_str(&pending.provider)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown provider in a link")))?;
    let subject = pending.subject.clone().unwrap_or_default();
    let user = conn
        .transaction(async |conn| {
            if !flows::consume(conn, pending.id).await? {
                return Err(refused("INVALID_STATE", "this link token was already used"));
            }
            let user: Option<User> = diesel::update(users::table.find(user_id))
                .filter(users::social_provider.is_null())
                .set((
                    users::social_provider.eq(provider),
                    users::social_provider_id.eq(&subject),
                ))
                .returning(User::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            let user = user.ok_or_else(|| {
                AppError::Conflict("this account is already linked to a social identity".into())
            })?;
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(user.id),
                    action_type: "social_account_linked",
                    details: Some(json!({"provider": provider.as_db_str()})),
                    ..Default::default()
                },
            )
            .await?;
            Ok::<_, AppError>(user)
        })
        .await?;
    Ok((token, user))
}
