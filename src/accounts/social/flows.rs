//! Authorization-code flows in progress (`oauth_flows`): the `state` a flow is
//! known by (stored as its SHA-256), its PKCE verifier (sealed) and nonce, for
//! ten minutes, deleted when used so a state works once. Social sign-in and the
//! connections domain both start and finish flows here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::app::App;
use crate::db::schema::oauth_flows;
use crate::error::{AppError, AppResult};
use crate::secrets::{random_token, sha256_hex};

/// How long a started flow (or a pending link) may be finished.
pub const FLOW_TTL: TimeDelta = TimeDelta::minutes(10);

/// What a flow is for; a state of one purpose never finishes another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    Connection,
    /// A verified social identity waiting for its account's confirmation.
    Link,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Connection => "connection",
            Self::Link => "link",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_flows, check_for_backend(diesel::pg::Pg))]
pub struct FlowRow {
    pub id: Uuid,
    pub provider: String,
    pub user_id: Option<Uuid>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub nonce: Option<String>,
    pub subject: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub expires_at: DateTime<Utc>,
}

/// A flow just started: what goes into the authorization URL.
pub struct StartedFlow {
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
}

/// A finished flow: what the token request needs.
pub struct TakenFlow {
    pub user_id: Option<Uuid>,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub nonce: String,
}

/// The S256 challenge of a PKCE verifier (RFC 7636).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `uri` is on the `SOCIAL_REDIRECT_URIS` allow list (exact match).
pub fn check_redirect_uri(app: &App, uri: &str) -> AppResult<()> {
    if app.config.social.redirect_uris.iter().any(|u| u == uri) {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "redirectUri",
            "this redirect URI is not on the allow list (SOCIAL_REDIRECT_URIS)",
        ))
    }
}

async fn sweep_expired(conn: &mut AsyncPgConnection) -> AppResult<()> {
    diesel::delete(oauth_flows::table.filter(oauth_flows::expires_at.lt(Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}

/// Starts a flow: a fresh state, nonce and PKCE verifier, kept for [`FLOW_TTL`].
pub async fn start(
    app: &App,
    purpose: Purpose,
    provider: &str,
    user_id: Option<Uuid>,
    redirect_uri: &str,
) -> AppResult<StartedFlow> {
    let state = random_token();
    let nonce = random_token();
    // 43 characters of base64url: a valid PKCE verifier (43-128 unreserved characters).
    let verifier = random_token();
    let sealed = app.secret_box.seal(&verifier).map_err(AppError::internal)?;
    let mut conn = app.db.conn().await?;
    sweep_expired(&mut conn).await?;
    diesel::insert_into(oauth_flows::table)
        .values((
            oauth_flows::state_hash.eq(sha256_hex(&state)),
            oauth_flows::purpose.eq(purpose.as_str()),
            oauth_flows::provider.eq(provider),
            oauth_flows::user_id.eq(user_id),
            oauth_flows::redirect_uri.eq(redirect_uri),
            oauth_flows::code_verifier.eq(sealed),
            oauth_flows::nonce.eq(&nonce),
            oauth_flows::expires_at.eq(Utc::now() + FLOW_TTL),
        ))
        .execute(&mut conn)
        .await?;
    Ok(StartedFlow {
        state,
        code_challenge: s256_challenge(&verifier),
        nonce,
    })
}

fn invalid_state() -> AppError {
    super::oidc::refused(
        "INVALID_STATE",
        "this sign-in was not started here, has expired or was already used",
    )
}

/// Finishes a flow of `purpose` and `provider` by its state, once: the row is
/// deleted in the statement that reads it, so a replayed state finds nothing.
pub async fn take(
    app: &App,
    purpose: Purpose,
    provider: &str,
    state: &str,
) -> AppResult<TakenFlow> {
    let mut conn = app.db.conn().await?;
    let row: Option<FlowRow> = diesel::delete(
        oauth_flows::table
            .filter(oauth_flows::state_hash.eq(sha256_hex(state)))
            .filter(oauth_flows::purpose.eq(purpose.as_str()))
            .filter(oauth_flows::provider.eq(provider)),
    )
    .returning(FlowRow::as_returning())
    .get_result(&mut conn)
    .await
    .optional()?;
    let row = row
        .filter(|r| r.expires_at > Utc::now())
        .ok_or_else(invalid_state)?;
    let code_verifier = app
        .secret_box
        .open(row.code_verifier.as_deref().unwrap_or_default())
        .map_err(AppError::internal)?;
    Ok(TakenFlow {
        user_id: row.user_id,
        redirect_uri: row.redirect_uri.unwrap_or_default(),
        code_verifier,
        nonce: row.nonce.unwrap_or_default(),
    })
}

/// A verified identity to be linked: returns the link token.
pub async fn start_link(
    conn: &mut AsyncPgConnection,
    provider: &str,
    subject: &str,
    email: &str,
    email_verified: bool,
) -> AppResult<String> {
    let token = random_token();
    diesel::insert_into(oauth_flows::table)
        .values((
            oauth_flows::state_hash.eq(sha256_hex(&token)),
            oauth_flows::purpose.eq(Purpose::Link.as_str()),
            oauth_flows::provider.eq(provider),
            oauth_flows::subject.eq(subject),
            oauth_flows::email.eq(email),
            oauth_flows::email_verified.eq(email_verified),
            oauth_flows::expires_at.eq(Utc::now() + FLOW_TTL),
        ))
        .execute(conn)
        .await?;
    Ok(token)
}

/// The pending link of a token, without using it up (a wrong password must not
/// cost the user the link).
pub async fn peek_link(conn: &mut AsyncPgConnection, token: &str) -> AppResult<FlowRow> {
    let row: Option<FlowRow> = oauth_flows::table
        .filter(oauth_flows::state_hash.eq(sha256_hex(token)))
        .filter(oauth_flows::purpose.eq(Purpose::Link.as_str()))
        .filter(oauth_flows::expires_at.gt(Utc::now()))
        .select(FlowRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.ok_or_else(|| {
        super::oidc::refused(
            "INVALID_STATE",
            "this link token is unknown, expired or already used",
        )
    })
}

/// Uses up a pending link (inside the linking transaction): false if another
/// request used it first.
pub async fn consume(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<bool> {
    Ok(diesel::delete(oauth_flows::table.find(id))
        .execute(conn)
        .await?
        == 1)
}
