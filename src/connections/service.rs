//! Connecting a social network account (OAuth 2.0 authorization code with
//! PKCE), keeping its tokens fresh, and disconnecting it. Tokens are sealed
//! before they are written and opened only to call the platform.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

use super::model::{self, ConnectionStatus, SealedTokens, SocialMediaConnection, SocialPlatform};
use crate::accounts::social::flows::{self, Purpose};
use crate::accounts::social::oidc::refused;
use crate::app::App;
use crate::config::PlatformConfig;
use crate::db::schema::social_media_connections;
use crate::error::{AppError, AppResult};
use crate::notifications::service as notifications;

/// The platform's settings, or `PROVIDER_NOT_CONFIGURED`.
fn platform_config(app: &App, platform: SocialPlatform) -> AppResult<&PlatformConfig> {
    app.config
        .social
        .platforms
        .get(platform.as_db_str())
        .ok_or_else(|| {
            AppError::ProviderNotConfigured(format!(
                "connecting {} is not configured on this server",
                platform.as_db_str()
            ))
        })
}

/// The platform's authorization URL for the user, and the flow's state.
pub async fn begin(
    app: &App,
    user_id: Uuid,
    platform: SocialPlatform,
    redirect_uri: &str,
) -> AppResult<(String, String)> {
    let config = platform_config(app, platform)?;
    flows::check_redirect_uri(app, redirect_uri)?;
    let flow = flows::start(
        app,
        Purpose::Connection,
        platform.as_db_str(),
        Some(user_id),
        redirect_uri,
    )
    .await?;
    let scope = config.scopes.join(" ");
    let url = reqwest::Url::parse_with_params(
        &config.authorize_url,
        &[
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("state", flow.state.as_str()),
            ("code_challenge", flow.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .map_err(|e| AppError::internal(anyhow::anyhow!("authorize URL of {platform:?}: {e}")))?;
    Ok((url.to_string(), flow.state))
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct AccountResponse {
    id: serde_json::Value,
}

/// POSTs a token request (client authenticated with HTTP Basic, as RFC 6749 prefers).
async fn token_request(
    app: &App,
    config: &PlatformConfig,
    form: &[(&str, &str)],
) -> Result<TokenResponse, String> {
    let response = app
        .http
        .post(&config.token_url)
        .basic_auth(
            &config.client_id,
            Some(config.client_secret.expose_secret()),
        )
        .form(form)
        .send()
        .await
        .map_err(|e| format!("token endpoint unreachable: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("token endpoint answered {status}"));
    }
    response
        .json::<TokenResponse>()
        .await
        .map_err(|e| format!("token answer malformed: {e}"))
}

fn seal(app: &App, tokens: &TokenResponse, keep_refresh: Option<&str>) -> AppResult<SealedTokens> {
    let seal = |t: &str| app.secret_box.seal(t).map_err(AppError::internal);
    Ok(SealedTokens {
        access_token: seal(&tokens.access_token)?,
        // A refresh answer without a new refresh token keeps the old one (RFC 6749 6).
        refresh_token: match (&tokens.refresh_token, keep_refresh) {
            (Some(t), _) => Some(seal(t)?),
            (None, Some(sealed)) => Some(sealed.to_string()),
            (None, None) => None,
        },
        expires_at: tokens
            .expires_in
            .filter(|s| *s > 0)
            .map(|s| Utc::now() + TimeDelta::seconds(s.min(10 * 365 * 86_400))),
    })
}

/// Finishes the flow the same user began: code exchange, the account's id, the
/// sealed tokens written.
pub async fn complete(
    app: &App,
    user_id: Uuid,
    platform: SocialPlatform,
    code: &str,
    state: &str,
) -> AppResult<SocialMediaConnection> {
    let config = platform_config(app, platform)?;
    let flow = flows::take(app, Purpose::Connection, platform.as_db_str(), state).await?;
    if flow.user_id != Some(user_id) {
        return Err(refused(
            "INVALID_STATE",
            "this connection was started by another account",
        ));
    }
    let tokens = token_request(
        app,
        config,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", flow.redirect_uri.as_str()),
            ("client_id", config.client_id.as_str()),
            ("code_verifier", flow.code_verifier.as_str()),
        ],
    )
    .await
    .map_err(|e| {
        tracing::warn!(platform = platform.as_db_str(), error = %e, "connection code exchange failed");
        refused("TOKEN_EXCHANGE_FAILED", "the platform refused the authorization code")
    })?;
    let account: AccountResponse = app
        .http
        .get(&config.account_url)
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|_| {
            refused(
                "PROVIDER_UNAVAILABLE",
                "the platform did not say whose account this is",
            )
        })?
        .json()
        .await
        .map_err(|_| {
            refused(
                "PROVIDER_UNAVAILABLE",
                "the platform's account answer is malformed",
            )
        })?;
    let external_user_id = match account.id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    if external_user_id.is_empty() || external_user_id.len() > 100 {
        return Err(refused(
            "PROVIDER_UNAVAILABLE",
            "the platform's account id is unusable",
        ));
    }
    let sealed = seal(app, &tokens, None)?;
    let mut conn = app.db.conn().await?;
    model::upsert(&mut conn, user_id, platform, &external_user_id, &sealed).await
}

/// The caller's connections.
pub async fn of_user(app: &App, user_id: Uuid) -> AppResult<Vec<SocialMediaConnection>> {
    let mut conn = app.db.conn().await?;
    model::of_user(&mut conn, user_id).await
}

/// The user's connection `id` (`NOT_FOUND` for anyone else's).
pub async fn owned(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<SocialMediaConnection> {
    use social_media_connections as c;
    let row: Option<SocialMediaConnection> = c::table
        .find(id)
        .filter(c::user_id.eq(user_id))
        .select(SocialMediaConnection::as_select())
        .first(conn)
        .await
        .optional()?;
    row.ok_or(AppError::NotFound("social media connection"))
}

/// Revokes the tokens at the platform when it has a revocation endpoint (best
/// effort: the connection goes either way) and deletes them with the connection.
pub async fn disconnect(app: &App, user_id: Uuid, id: Uuid) -> AppResult<SocialMediaConnection> {
    let mut conn = app.db.conn().await?;
    let connection = owned(&mut conn, user_id, id).await?;
    if let Some(config) = app
        .config
        .social
        .platforms
        .get(connection.platform.as_db_str())
    {
        if let Some(revoke_url) = &config.revoke_url {
            let mut tokens = vec![(connection.access_token.as_str(), "access_token")];
            if let Some(refresh) = connection.refresh_token.as_deref() {
                tokens.push((refresh, "refresh_token"));
            }
            for (sealed, hint) in tokens {
                let Ok(token) = app.secret_box.open(sealed) else {
                    continue;
                };
                let revoked = app
                    .http
                    .post(revoke_url)
                    .basic_auth(
                        &config.client_id,
                        Some(config.client_secret.expose_secret()),
                    )
                    .form(&[("token", token.as_str()), ("token_type_hint", hint)])
                    .send()
                    .await
                    .and_then(|r| r.error_for_status());
                if let Err(e) = revoked {
                    tracing::warn!(error = %e, %id, "token revocation failed; deleting the tokens anyway");
                }
            }
        }
    }
    diesel::delete(social_media_connections::table.find(id))
        .execute(&mut conn)
        .await?;
    Ok(connection)
}

/// Refreshes one connection under a row lock (another instance skips it); a
/// refresh the platform refuses marks it `expired` and tells the user.
async fn refresh_one(app: &App, conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    use social_media_connections as c;
    let notification = conn
        .transaction(async |conn| {
            let row: Option<SocialMediaConnection> = c::table
                .find(id)
                .filter(c::status.eq(ConnectionStatus::Active))
                .for_update()
                .skip_locked()
                .select(SocialMediaConnection::as_select())
                .first(conn)
                .await
                .optional()?;
            let Some(row) = row else {
                return Ok(None);
            };
            let outcome = match (
                app.config.social.platforms.get(row.platform.as_db_str()),
                row.refresh_token.as_deref(),
            ) {
                (Some(config), Some(sealed)) => {
                    let refresh = app.secret_box.open(sealed).map_err(AppError::internal)?;
                    token_request(
                        app,
                        config,
                        &[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", refresh.as_str()),
                            ("client_id", config.client_id.as_str()),
                        ],
                    )
                    .await
                }
                (None, _) => Err("the platform is no longer configured".to_string()),
                (_, None) => Err("the platform gave no refresh token".to_string()),
            };
            match outcome {
                Ok(tokens) => {
                    let sealed = seal(app, &tokens, row.refresh_token.as_deref())?;
                    diesel::update(c::table.find(id))
                        .set((
                            c::access_token.eq(&sealed.access_token),
                            c::refresh_token.eq(&sealed.refresh_token),
                            c::expires_at.eq(sealed.expires_at),
                        ))
                        .execute(conn)
                        .await?;
                    Ok(None)
                }
                Err(why) => {
                    tracing::info!(%id, platform = row.platform.as_db_str(), why, "connection refresh failed; marked expired");
                    diesel::update(c::table.find(id))
                        .set(c::status.eq(ConnectionStatus::Expired))
                        .execute(conn)
                        .await?;
                    let notification = notifications::create(
                        conn,
                        row.user_id,
                        "social_connection_expired",
                        &format!(
                            "Your {} connection has expired: connect the account again to keep publishing.",
                            row.platform.as_db_str()
                        ),
                        json!({"connectionId": crate::graphql::id::GlobalId::uuid(
                            crate::graphql::id::NodeType::SocialMediaConnection,
                            row.id,
                        ).to_string(), "platform": row.platform.as_db_str()}),
                    )
                    .await?;
                    Ok::<_, AppError>(Some(notification))
                }
            }
        })
        .await?;
    if let Some(notification) = notification {
        notifications::publish(app, &notification).await;
    }
    Ok(())
}

/// Refreshes the connections expiring within `SOCIAL_REFRESH_MARGIN_SECONDS`.
pub async fn refresh_due(app: &App) -> AppResult<()> {
    let margin = TimeDelta::from_std(app.config.social.refresh_margin).unwrap_or_default();
    let before: DateTime<Utc> = Utc::now() + margin;
    let mut conn = app.worker_db.conn().await?;
    for id in model::due_for_refresh(&mut conn, before).await? {
        if let Err(e) = refresh_one(app, &mut conn, id).await {
            tracing::warn!(error = ?e, %id, "connection refresh failed");
        }
    }
    Ok(())
}

/// Runs [`refresh_due`] every `SOCIAL_REFRESH_INTERVAL_MS` beside the workers.
pub async fn keep_fresh(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    if app.config.social.platforms.is_empty() {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(app.config.social.refresh_interval) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = refresh_due(&app).await {
            tracing::warn!(error = ?e, "connection refresh sweep failed");
        }
    }
}
