//! Sign-up, sign-in, sign-out, email verification and password reset.

use std::sync::OnceLock;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::mailer::{Mail, Mailer};
use super::model::User;
use super::password::{hash_password, verify_password};
use super::{mfa, sessions, validate};
use crate::app::App;
use crate::authz::RequestInfo;
use crate::credits::ledger::{self, Movement, Payer};
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::users;
use crate::error::{AppError, AppResult};
use crate::secrets::{random_token, sha256_hex};

/// A password-reset token is good for an hour.
pub const RESET_TOKEN_TTL: TimeDelta = TimeDelta::hours(1);
/// An email-verification token is good for a day.
pub const VERIFICATION_TOKEN_TTL: TimeDelta = TimeDelta::hours(24);
const ATTEMPT_WINDOW: Duration = Duration::from_secs(60);

/// Runs argon2 off the async runtime: it takes tens of milliseconds of CPU.
async fn hash_blocking(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

async fn verify_blocking(password: String, phc: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(AppError::internal)
}

/// A hash verified when the email is unknown, so both failures take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not the password of anyone").unwrap_or_default())
}

/// Counts an attempt against the per-email and per-IP limits.
pub async fn count_attempt(
    app: &App,
    what: &str,
    email: &str,
    info: &RequestInfo,
) -> AppResult<()> {
    let limits = &app.config.auth;
    app.rate_limiter
        .hit(
            &format!("{what}:email:{email}"),
            limits.attempts_per_minute,
            ATTEMPT_WINDOW,
        )
        .await?;
    app.rate_limiter
        .hit(
            &format!("{what}:ip:{}", info.ip_string()),
            limits.attempts_per_ip_per_minute,
            ATTEMPT_WINDOW,
        )
        .await
}

pub struct SignUp {
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    pub username: Option<String>,
}

/// Creates the account with its sign-up credit grant, opens a session and sends
/// the verification mail.
pub async fn sign_up(app: &App, input: SignUp, info: &RequestInfo) -> AppResult<(String, User)> {
    let email = validate::email("email", &input.email)?;
    validate::password("password", &input.password)?;
    let username = input
        .username
        .as_deref()
        .map(|u| validate::username("username", u))
        .transpose()?;
    let full_name = input
        .full_name
        .as_deref()
        .map(|n| validate::full_name("fullName", n))
        .transpose()?;
    count_attempt(app, "signup", &email, info).await?;
    let password_hash = hash_blocking(input.password).await?;
    let grant = app.config.auth.signup_credit_grant;
    let verification = random_token();
    let ttl = app.config.auth.session_ttl;
    let public_url = app.config.mail.public_url.clone();

    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let (token, user, mail_id, mail) = conn
        .transaction(async |conn| {
            let mut user: User = diesel::insert_into(users::table)
                .values((
                    users::email.eq(&email),
                    users::password_hash.eq(&password_hash),
                    users::username.eq(&username),
                    users::full_name.eq(&full_name),
                    users::email_verification_token.eq(sha256_hex(&verification)),
                    users::email_verification_expires.eq(Utc::now() + VERIFICATION_TOKEN_TTL),
                    users::last_login_at.eq(Utc::now()),
                ))
                .returning(User::as_returning())
                .get_result(conn)
                .await?;
            grant_signup_credits(conn, &mut user, grant).await?;
            let (token, _) = sessions::open(conn, user.id, info, ttl).await?;
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(user.id),
                    action_type: "signup",
                    details: Some(json!({"ip": info.ip_string()})),
                    credits_cost: None,
                    ..Default::default()
                },
            )
            .await?;
            let mail = verification_mail(&public_url, &email, &verification);
            let mail_id = Mailer::enqueue(conn, &mail).await?;
            Ok::<_, AppError>((token, user, mail_id, mail))
        })
        .await?;
    app.mailer.deliver(conn, mail_id, &mail).await;
    Ok((token, user))
}

fn verification_mail(public_url: &str, to: &str, token: &str) -> Mail {
    Mail {
        to: to.to_string(),
        kind: "email_verification",
        subject: "Confirm your email address".into(),
        body: format!(
            "Confirm this address for Atelier with the token below (valid 24 hours):\n\n{token}\n\n{public_url}/verify-email?token={token}\n"
        ),
    }
}

/// Checks the credentials (and the TOTP code of an MFA account) and opens a session.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    totp_code: Option<&str>,
    info: &RequestInfo,
) -> AppResult<(String, User)> {
    let email = email.trim().to_lowercase();
    count_attempt(app, "signin", &email, info).await?;
    let mut conn = app.db.conn().await?;
    let user: Option<User> = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(&email),
        )
        .filter(users::deleted_at.is_null())
        .select(User::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let phc = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let password_ok = verify_blocking(password.to_string(), phc).await?;
    let Some(user) = user.filter(|_| password_ok) else {
        usage::record(
            &mut conn,
            UsageEntry {
                user_id: None,
                action_type: "login_failed",
                details: Some(json!({"email": email, "ip": info.ip_string()})),
                ..Default::default()
            },
        )
        .await?;
        return Err(AppError::BadCredentials);
    };
    // Only after the password matched: a suspension is not revealed to a guesser.
    if user.suspended_at.is_some() {
        return Err(AppError::AccountSuspended);
    }

    let mfa_step = mfa_step(app, &user, totp_code)?;

    let ttl = app.config.auth.session_ttl;
    let conn: &mut AsyncPgConnection = &mut conn;
    let (token, user) = conn
        .transaction(async |conn| {
            spend_mfa_step(conn, user.id, mfa_step).await?;
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
                    details: Some(json!({"ip": info.ip_string(), "mfa": mfa_step.is_some()})),
                    ..Default::default()
                },
            )
            .await?;
            Ok::<_, AppError>((token, user))
        })
        .await?;
    Ok((token, user))
}

/// Ends the current session.
pub async fn sign_out(app: &App, user_id: Uuid, session_id: Uuid) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    sessions::revoke(&mut conn, user_id, Some(session_id), None)
        .await?
        .settle(app)
        .await;
    usage::record(
        &mut conn,
        UsageEntry {
            user_id: Some(user_id),
            action_type: "logout",
            ..Default::default()
        },
    )
    .await
}

/// Sends a fresh verification token to the account's address (or pending address).
pub async fn request_email_verification(app: &App, user_id: Uuid) -> AppResult<()> {
    let token = random_token();
    let mut conn = app.db.conn().await?;
    // Only an account with something to verify gets a new token: a refused request
    // must not replace a token already mailed.
    let user: Option<User> = diesel::update(users::table.find(user_id))
        .filter(
            users::is_email_verified
                .eq(false)
                .or(users::pending_email.is_not_null()),
        )
        .set((
            users::email_verification_token.eq(sha256_hex(&token)),
            users::email_verification_expires.eq(Utc::now() + VERIFICATION_TOKEN_TTL),
        ))
        .returning(User::as_returning())
        .get_result(&mut conn)
        .await
        .optional()?;
    let user =
        user.ok_or_else(|| AppError::Conflict("the email address is already verified".into()))?;
    let to = user.pending_email.as_deref().unwrap_or(&user.email);
    let mail = verification_mail(&app.config.mail.public_url, to, &token);
    let id = Mailer::enqueue(&mut conn, &mail).await?;
    app.mailer.deliver(&mut conn, id, &mail).await;
    Ok(())
}

/// Marks the address verified (switching to a pending new address); single use.
pub async fn verify_email(app: &App, token: &str, info: &RequestInfo) -> AppResult<User> {
    // Each occurrence counts (aliases too): tokens are not guessable, but tries are capped anyway.
    app.rate_limiter
        .hit(
            &format!("verify:ip:{}", info.ip_string()),
            app.config.auth.attempts_per_ip_per_minute,
            ATTEMPT_WINDOW,
        )
        .await?;
    let mut conn = app.db.conn().await?;
    let user: Option<User> = users::table
        .filter(users::email_verification_token.eq(sha256_hex(token)))
        .filter(users::email_verification_expires.gt(Utc::now()))
        .filter(users::deleted_at.is_null())
        .select(User::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let user =
        user.ok_or_else(|| AppError::bad_input("token", "the token is invalid or expired"))?;
    let email = user
        .pending_email
        .clone()
        .unwrap_or_else(|| user.email.clone());
    let user: User = diesel::update(users::table.find(user.id))
        .set((
            users::email.eq(email),
            users::pending_email.eq(None::<String>),
            users::is_email_verified.eq(true),
            users::email_verification_token.eq(None::<String>),
            users::email_verification_expires.eq(None::<chrono::DateTime<Utc>>),
        ))
        .returning(User::as_returning())
        .get_result(&mut conn)
        .await?;
    usage::record(
        &mut conn,
        UsageEntry {
            user_id: Some(user.id),
            action_type: "email_verified",
            ..Default::default()
        },
    )
    .await?;
    Ok(user)
}

/// Mails a reset token if the address belongs to an account; answers the same either way.
pub async fn request_password_reset(app: &App, email: &str, info: &RequestInfo) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    count_attempt(app, "reset", &email, info).await?;
    let token = random_token();
    let mut conn = app.db.conn().await?;
    let user: Option<User> = diesel::update(users::table)
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(&email),
        )
        .filter(users::deleted_at.is_null())
        .set((
            users::password_reset_token.eq(sha256_hex(&token)),
            users::password_reset_expires.eq(Utc::now() + RESET_TOKEN_TTL),
        ))
        .returning(User::as_returning())
        .get_result(&mut conn)
        .await
        .optional()?;
    if let Some(user) = user {
        let mail = Mail {
            to: user.email.clone(),
            kind: "password_reset",
            subject: "Reset your password".into(),
            body: format!(
                "Someone asked to reset the password of your Atelier account. If it was you, use this token within an hour:\n\n{token}\n\n{}/reset-password?token={token}\n",
                app.config.mail.public_url
            ),
        };
        let id = Mailer::enqueue(&mut conn, &mail).await?;
        app.mailer.deliver(&mut conn, id, &mail).await;
        usage::record(
            &mut conn,
            UsageEntry {
                user_id: Some(user.id),
                action_type: "password_reset_requested",
                details: Some(json!({"ip": info.ip_string()})),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// Sets a new password with a reset token (single use) and revokes every session.
pub async fn reset_password(
    app: &App,
    token: &str,
    new_password: String,
    info: &RequestInfo,
) -> AppResult<()> {
    validate::password("newPassword", &new_password)?;
    app.rate_limiter
        .hit(
            &format!("reset-use:ip:{}", info.ip_string()),
            app.config.auth.attempts_per_ip_per_minute,
            ATTEMPT_WINDOW,
        )
        .await?;
    let password_hash = hash_blocking(new_password).await?;
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let token_hash = sha256_hex(token);
    let revoked = conn
        .transaction(async |conn| {
            // Clearing the token in the same statement makes it single-use under races.
            let user_id: Option<Uuid> = diesel::update(users::table)
                .filter(users::password_reset_token.eq(&token_hash))
                .filter(users::password_reset_expires.gt(Utc::now()))
                .filter(users::deleted_at.is_null())
                .set((
                    users::password_hash.eq(&password_hash),
                    users::password_reset_token.eq(None::<String>),
                    users::password_reset_expires.eq(None::<chrono::DateTime<Utc>>),
                ))
                .returning(users::id)
                .get_result(conn)
                .await
                .optional()?;
            let user_id = user_id
                .ok_or_else(|| AppError::bad_input("token", "the token is invalid or expired"))?;
            let revoked = sessions::revoke(conn, user_id, None, None).await?;
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(user_id),
                    action_type: "password_reset",
                    details: Some(json!({"ip": info.ip_string()})),
                    ..Default::default()
                },
            )
            .await?;
            Ok::<_, AppError>(revoked)
        })
        .await?;
    revoked.settle(app).await;
    Ok(())
}

/// The TOTP step a sign-in of `user` spends: `None` for an account without
/// MFA; `MFA_REQUIRED` without a valid code not used before. Every way of
/// signing in (password, social identity) goes through it.
pub(crate) fn mfa_step(app: &App, user: &User, totp_code: Option<&str>) -> AppResult<Option<i64>> {
    if !user.mfa_enabled {
        return Ok(None);
    }
    let Some(code) = totp_code.filter(|c| !c.trim().is_empty()) else {
        return Err(AppError::MfaRequired(
            "this account needs a TOTP code (totpCode)",
        ));
    };
    let secret = user
        .mfa_secret
        .as_deref()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("MFA on without a secret")))?;
    let secret = app.secret_box.open(secret).map_err(AppError::internal)?;
    mfa::verify(
        &secret,
        code,
        Utc::now().timestamp(),
        user.mfa_last_used_step,
    )
    .map(Some)
    .ok_or(AppError::MfaRequired(
        "the TOTP code is wrong or was already used",
    ))
}

/// Spends the sign-in's TOTP step inside its transaction. Conditional on the
/// last step, so two sign-ins racing with one code cannot both pass.
pub(crate) async fn spend_mfa_step(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    step: Option<i64>,
) -> AppResult<()> {
    let Some(step) = step else {
        return Ok(());
    };
    let updated = diesel::update(users::table.find(user_id))
        .filter(
            users::mfa_last_used_step
                .is_null()
                .or(users::mfa_last_used_step.lt(step)),
        )
        .set(users::mfa_last_used_step.eq(step))
        .execute(conn)
        .await?;
    if updated == 0 {
        return Err(AppError::MfaRequired("the TOTP code was already used"));
    }
    Ok(())
}

/// A new account's sign-up grant (`SIGNUP_CREDIT_GRANT`), whichever way it
/// signed up: through the ledger, so the balance and its row move together.
pub(crate) async fn grant_signup_credits(
    conn: &mut AsyncPgConnection,
    user: &mut User,
    grant: rust_decimal::Decimal,
) -> AppResult<()> {
    if grant.is_zero() {
        return Ok(());
    }
    user.credit_balance = ledger::credit(
        conn,
        Payer::User(user.id),
        grant,
        Movement {
            user_id: user.id,
            action_type: "signup_grant",
            description: Some("Welcome credits".into()),
            generation_request_id: None,
        },
    )
    .await?;
    Ok(())
}
