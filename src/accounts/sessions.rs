//! Session tokens: 256 random bits handed to the client once; the database keeps
//! only their SHA-256. A bearer token is resolved through the cache (Redis or
//! in-process), which is cleared on every revocation.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::Session;
use crate::app::App;
use crate::authz::{Caller, RequestInfo};
use crate::db::schema::{sessions, users};
use crate::error::{AppError, AppResult};
use crate::events::Revoked;
use crate::secrets::{random_token, sha256_hex};

/// How long a resolved session stays in the cache; revocation deletes it sooner.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// `last_activity` is written at most this often per session.
const ACTIVITY_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// What the cache holds for a live session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedSession {
    session_id: Uuid,
    user_id: Uuid,
    is_platform_admin: bool,
    expires_at: DateTime<Utc>,
    last_activity: DateTime<Utc>,
}

/// session id, user id, platform admin, expiry, last activity.
type LiveSessionRow = (Uuid, Uuid, bool, DateTime<Utc>, DateTime<Utc>);

fn cache_key(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// Opens a session; returns the token (shown once) and the row.
pub async fn open(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    info: &RequestInfo,
    ttl: Duration,
) -> AppResult<(String, Session)> {
    let token = random_token();
    let expires_at = Utc::now()
        + chrono::TimeDelta::from_std(ttl).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let user_agent = info.user_agent.clone();
    let session = diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::device_info.eq(device_info(user_agent.as_deref())),
            sessions::ip_address.eq(info.ip_string()),
            sessions::user_agent.eq(user_agent),
            sessions::expires_at.eq(expires_at),
            sessions::token_hash.eq(sha256_hex(&token)),
        ))
        .returning(Session::as_returning())
        .get_result(conn)
        .await?;
    Ok((token, session))
}

/// A short, readable device description from the user agent.
fn device_info(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "unknown device".into();
    };
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"]
        .into_iter()
        .find(|b| ua.contains(b))
        .map(|b| b.trim_end_matches('/').replace("Edg", "Edge"));
    let os = ["Windows", "Mac OS X", "Android", "iPhone", "iPad", "Linux"]
        .into_iter()
        .find(|o| ua.contains(o));
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b,
        (None, Some(o)) => o.to_string(),
        (None, None) => ua.chars().take(255).collect(),
    }
}

/// Resolves `Authorization: Bearer <token>`.
pub async fn authenticate(app: &App, token: &str) -> AppResult<Caller> {
    let token_hash = sha256_hex(token);
    let key = cache_key(&token_hash);
    let now = Utc::now();
    let cached = match app.cache.get(&key).await {
        Some(json) => serde_json::from_str::<CachedSession>(&json).ok(),
        None => None,
    };
    let mut session = match cached {
        Some(s) => s,
        None => {
            let mut conn = app.db.conn().await?;
            let found: Option<LiveSessionRow> = sessions::table
                .inner_join(users::table)
                .filter(sessions::token_hash.eq(&token_hash))
                .filter(sessions::revoked_at.is_null())
                .filter(users::deleted_at.is_null())
                .filter(users::suspended_at.is_null())
                .select((
                    sessions::id,
                    sessions::user_id,
                    users::is_platform_admin,
                    sessions::expires_at,
                    sessions::last_activity,
                ))
                .first(&mut conn)
                .await
                .optional()?;
            let Some((session_id, user_id, is_platform_admin, expires_at, last_activity)) = found
            else {
                return Err(AppError::Unauthenticated);
            };
            let session = CachedSession {
                session_id,
                user_id,
                is_platform_admin,
                expires_at,
                last_activity,
            };
            store(app, &key, &session).await;
            session
        }
    };
    if session.expires_at <= now {
        app.cache.delete(&key).await;
        return Err(AppError::Unauthenticated);
    }
    if now - session.last_activity >= ACTIVITY_RESOLUTION {
        let mut conn = app.db.conn().await?;
        diesel::update(sessions::table.find(session.session_id))
            .set(sessions::last_activity.eq(now))
            .execute(&mut conn)
            .await?;
        session.last_activity = now;
        store(app, &key, &session).await;
    }
    Ok(Caller::Session {
        user_id: session.user_id,
        session_id: session.session_id,
        is_platform_admin: session.is_platform_admin,
    })
}

async fn store(app: &App, key: &str, session: &CachedSession) {
    if let Ok(json) = serde_json::to_string(session) {
        app.cache.set(key, &json, CACHE_TTL).await;
    }
}

/// The user's live sessions, newest first.
pub async fn list_active(conn: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<Vec<Session>> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .order(sessions::created_at.desc())
        .select(Session::as_select())
        .load(conn)
        .await?)
}

/// Sessions just revoked in the database. Their cached copies and open sockets
/// outlive the revocation until [`RevokedSessions::settle`], which must run after
/// the transaction commits: settling earlier would let a concurrent request cache
/// (or a socket re-authenticate with) a session the commit is about to end.
#[must_use = "settle the revocation after it commits"]
pub struct RevokedSessions {
    ids: Vec<Uuid>,
    hashes: Vec<String>,
}

impl RevokedSessions {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Drops the cached sessions and closes their sockets on every instance.
    pub async fn settle(self, app: &App) {
        forget(app, &self.hashes).await;
        Revoked {
            sessions: self.ids,
            ..Revoked::default()
        }
        .announce(&app.events)
        .await;
    }
}

/// Revokes the matching live sessions of `user_id`; `only` narrows to one
/// session, `except` spares one. Settle the result once it has committed.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    only: Option<Uuid>,
    except: Option<Uuid>,
) -> AppResult<RevokedSessions> {
    let mut query = diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(sessions::id.eq(id));
    }
    if let Some(id) = except {
        query = query.filter(sessions::id.ne(id));
    }
    let revoked: Vec<(Uuid, String)> = query
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .returning((sessions::id, sessions::token_hash))
        .get_results(conn)
        .await?;
    let (ids, hashes) = revoked.into_iter().unzip();
    Ok(RevokedSessions { ids, hashes })
}

/// Drops cached sessions of a user whose standing changed (admin flag, deletion),
/// so the next request reads the database again.
pub async fn forget_all_of(
    app: &App,
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<()> {
    let hashes: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select(sessions::token_hash)
        .load(conn)
        .await?;
    forget(app, &hashes).await;
    Ok(())
}

async fn forget(app: &App, hashes: &[String]) {
    for hash in hashes {
        app.cache.delete(&cache_key(hash)).await;
    }
}
