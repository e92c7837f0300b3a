//! Changes that need the current password or a TOTP code: password, email, MFA,
//! and deleting the account.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::User;
use super::password::{hash_password, verify_password};
use super::{auth, mfa, sessions, validate};
use crate::app::App;
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::{api_clients, users};
use crate::error::{AppError, AppResult};
use crate::events::Revoked;

async fn load_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<User> {
    users::table
        .find(user_id)
        .filter(users::deleted_at.is_null())
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(AppError::Unauthenticated)
}

/// Checks the current password (off the runtime); a wrong one is `BAD_USER_INPUT`.
async fn check_password(user: &User, password: &str, field: &str) -> AppResult<()> {
    let phc = user.password_hash.clone().unwrap_or_default();
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(AppError::internal)?;
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_input(field, "the current password is wrong"))
    }
}

async fn log(conn: &mut AsyncPgConnection, user_id: Uuid, action_type: &str) -> AppResult<()> {
    usage::record(
        conn,
        UsageEntry {
            user_id: Some(user_id),
            action_type,
            ..Default::default()
        },
    )
    .await
}

/// Sets a new password and revokes every other session.
pub async fn change_password(
    app: &App,
    user_id: Uuid,
    session_id: Uuid,
    current: &str,
    new: String,
) -> AppResult<()> {
    validate::password("newPassword", &new)?;
    let mut conn = app.db.conn().await?;
    let user = load_user(&mut conn, user_id).await?;
    check_password(&user, current, "currentPassword").await?;
    let phc = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let revoked = conn
        .transaction(async |conn| {
            diesel::update(users::table.find(user_id))
                .set(users::password_hash.eq(&phc))
                .execute(conn)
                .await?;
            let revoked = sessions::revoke(conn, user_id, None, Some(session_id)).await?;
            log(conn, user_id, "password_changed").await?;
            Ok::<_, AppError>(revoked)
        })
        .await?;
    revoked.settle(app).await;
    Ok(())
}

/// Records the new address as pending and mails it a verification token; the
/// address changes when that token is used.
pub async fn change_email(
    app: &App,
    user_id: Uuid,
    new_email: &str,
    password: &str,
) -> AppResult<()> {
    let email = validate::email("newEmail", new_email)?;
    let mut conn = app.db.conn().await?;
    let user = load_user(&mut conn, user_id).await?;
    check_password(&user, password, "currentPassword").await?;
    let taken: i64 = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(&email),
        )
        .count()
        .get_result(&mut conn)
        .await?;
    if taken > 0 {
        return Err(AppError::Conflict(
            "this email is already registered".into(),
        ));
    }
    diesel::update(users::table.find(user_id))
        .set(users::pending_email.eq(&email))
        .execute(&mut conn)
        .await?;
    log(&mut conn, user_id, "email_change_requested").await?;
    drop(conn);
    auth::request_email_verification(app, user_id).await
}

/// Starts MFA enrolment: a new secret (stored encrypted, not yet enforced).
pub async fn begin_mfa_enrollment(app: &App, user_id: Uuid) -> AppResult<(String, String)> {
    let mut conn = app.db.conn().await?;
    let user = load_user(&mut conn, user_id).await?;
    if user.mfa_enabled {
        return Err(AppError::Conflict(
            "MFA is already on; disable it first".into(),
        ));
    }
    let secret = mfa::generate_secret();
    let sealed = app.secret_box.seal(&secret).map_err(AppError::internal)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::mfa_secret.eq(sealed),
            users::mfa_last_used_step.eq(None::<i64>),
        ))
        .execute(&mut conn)
        .await?;
    let url = mfa::otpauth_url(&secret, &user.email).map_err(AppError::internal)?;
    Ok((secret, url))
}

/// The step a code of the user's stored secret matches, if any.
fn check_code(app: &App, user: &User, code: &str) -> AppResult<i64> {
    let sealed = user
        .mfa_secret
        .as_deref()
        .ok_or_else(|| AppError::bad_input("code", "start MFA enrolment first"))?;
    let secret = app.secret_box.open(sealed).map_err(AppError::internal)?;
    mfa::verify(
        &secret,
        code,
        Utc::now().timestamp(),
        user.mfa_last_used_step,
    )
    .ok_or_else(|| AppError::bad_input("code", "the code is wrong or was already used"))
}

/// Counts a TOTP code attempt: every occurrence counts, so a document of many
/// aliased calls cannot brute-force the six digits.
async fn code_attempt(app: &App, user_id: Uuid) -> AppResult<()> {
    app.rate_limiter
        .hit(
            &format!("totp:user:{user_id}"),
            app.config.auth.attempts_per_minute,
            std::time::Duration::from_secs(60),
        )
        .await
}

/// Turns MFA on once the user proves the authenticator works.
pub async fn confirm_mfa(app: &App, user_id: Uuid, code: &str) -> AppResult<()> {
    code_attempt(app, user_id).await?;
    let mut conn = app.db.conn().await?;
    let user = load_user(&mut conn, user_id).await?;
    if user.mfa_enabled {
        return Err(AppError::Conflict("MFA is already on".into()));
    }
    let step = check_code(app, &user, code)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::mfa_enabled.eq(true),
            users::mfa_last_used_step.eq(step),
        ))
        .execute(&mut conn)
        .await?;
    log(&mut conn, user_id, "mfa_enabled").await
}

/// Turns MFA off with a current code, and forgets the secret.
pub async fn disable_mfa(app: &App, user_id: Uuid, code: &str) -> AppResult<()> {
    code_attempt(app, user_id).await?;
    let mut conn = app.db.conn().await?;
    let user = load_user(&mut conn, user_id).await?;
    if !user.mfa_enabled {
        return Err(AppError::Conflict("MFA is not on".into()));
    }
    check_code(app, &user, code)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::mfa_enabled.eq(false),
            users::mfa_secret.eq(None::<String>),
            users::mfa_last_used_step.eq(None::<i64>),
        ))
        .execute(&mut conn)
        .await?;
    log(&mut conn, user_id, "mfa_disabled").await
}

/// Soft-deletes the account: sign-in is refused, sessions and API clients stop.
/// Rows stay for audit and billing (generation requests RESTRICT a hard delete).
pub async fn delete_account(app: &App, user_id: Uuid, password: &str) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    let user = load_user(&mut conn, user_id).await?;
    check_password(&user, password, "password").await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let revoked = conn
        .transaction(async |conn| {
            diesel::update(users::table.find(user_id))
                .set(users::deleted_at.eq(Utc::now()))
                .execute(conn)
                .await?;
            diesel::update(api_clients::table.filter(api_clients::user_id.eq(user_id)))
                .set(api_clients::is_active.eq(false))
                .execute(conn)
                .await?;
            let revoked = sessions::revoke(conn, user_id, None, None).await?;
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(user_id),
                    action_type: "account_deleted",
                    details: Some(json!({"email": user.email})),
                    ..Default::default()
                },
            )
            .await?;
            Ok::<_, AppError>(revoked)
        })
        .await?;
    revoked.settle(app).await;
    // Sockets of the account's API clients close too.
    Revoked {
        users: vec![user_id],
        ..Revoked::default()
    }
    .announce(&app.events)
    .await;
    Ok(())
}

/// Grants or revokes platform administration (the command line's `atelier admin`);
/// nothing in the API can. Returns false when no live account has this email.
pub async fn set_platform_admin(app: &App, email: &str, admin: bool) -> AppResult<bool> {
    let email = email.trim().to_lowercase();
    let mut conn = app.db.conn().await?;
    let changed: Option<Uuid> = conn
        .transaction(async |conn| {
            let before: Option<(Uuid, bool)> = users::table
                .filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                        .bind::<diesel::sql_types::Text, _>(&email),
                )
                .filter(users::deleted_at.is_null())
                .select((users::id, users::is_platform_admin))
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some((user_id, was)) = before else {
                return Ok::<_, AppError>(None);
            };
            diesel::update(users::table.find(user_id))
                .set(users::is_platform_admin.eq(admin))
                .execute(conn)
                .await?;
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(user_id),
                    action_type: if admin {
                        "platform_admin_granted"
                    } else {
                        "platform_admin_revoked"
                    },
                    ..Default::default()
                },
            )
            .await?;
            // The command line is an admin action too: audited like the API's.
            crate::admin::audit::record(
                conn,
                &crate::admin::audit::Actor::cli(),
                crate::admin::audit::Entry {
                    action: if admin {
                        "user.grant_admin"
                    } else {
                        "user.revoke_admin"
                    },
                    target_type: "User",
                    target_id: Some(user_id.to_string()),
                    before: Some(json!({"isPlatformAdmin": was})),
                    after: Some(json!({"isPlatformAdmin": admin})),
                },
            )
            .await?;
            Ok(Some(user_id))
        })
        .await?;
    let Some(user_id) = changed else {
        return Ok(false);
    };
    // Cached sessions and open sockets carry the flag: drop them so the change
    // applies at once.
    sessions::forget_all_of(app, &mut conn, user_id).await?;
    Revoked {
        users: vec![user_id],
        ..Revoked::default()
    }
    .announce(&app.events)
    .await;
    Ok(true)
}
