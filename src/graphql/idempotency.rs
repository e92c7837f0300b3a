//! `Idempotency-Key` for side-effecting requests: the first response is stored
//! with a hash of the request and replayed for a repeat; the same key with another
//! request is `CONFLICT`; a repeat while the first still runs is `CONFLICT` with
//! `extensions.retryable = true`. Keys expire after 24 hours.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

use crate::authz::{Caller, RequestInfo};
use crate::db::schema::idempotency_keys;
use crate::error::{AppError, AppResult};

pub const MAX_KEY_LENGTH: usize = 255;
const LIFETIME: TimeDelta = TimeDelta::hours(24);
/// A claim older than this was left by a process that died: it may be taken over.
const ABANDONED_AFTER: TimeDelta = TimeDelta::minutes(5);

/// Whose key space a request uses.
pub fn caller_scope(caller: &Caller, info: &RequestInfo) -> String {
    match caller {
        Caller::Session { user_id, .. } => format!("user:{user_id}"),
        Caller::ApiClient { client_id, .. } => format!("client:{client_id}"),
        Caller::Anonymous => format!("ip:{}", info.ip_string()),
    }
}

/// The hash that tells two requests apart.
pub fn request_hash(request: &async_graphql::Request) -> String {
    let mut hasher = Sha256::new();
    hasher.update(request.query.as_bytes());
    hasher.update([0]);
    hasher.update(request.operation_name.as_deref().unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(&request.variables).unwrap_or_default());
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

/// What to do with a keyed request.
pub enum Claim {
    /// First time: run it, then [`complete`].
    Run,
    /// Done before: send this response again.
    Replay(Box<async_graphql::Response>),
}

/// Claims `key` for this request, or finds what happened to it before.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
    hash: &str,
) -> AppResult<Claim> {
    if key.is_empty() || key.len() > MAX_KEY_LENGTH {
        return Err(AppError::bad_input(
            "Idempotency-Key",
            format!("1 to {MAX_KEY_LENGTH} characters"),
        ));
    }
    let now = Utc::now();
    // Expired keys, and claims abandoned by a dead process, are free again.
    diesel::delete(idempotency_keys::table)
        .filter(idempotency_keys::caller.eq(scope))
        .filter(idempotency_keys::key.eq(key))
        .filter(
            idempotency_keys::expires_at
                .lt(now)
                .or(idempotency_keys::status
                    .eq("running")
                    .and(idempotency_keys::updated_at.lt(now - ABANDONED_AFTER))),
        )
        .execute(conn)
        .await?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::caller.eq(scope),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::expires_at.eq(now + LIFETIME),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Run);
    }
    let (stored_hash, status, response): (String, String, Option<serde_json::Value>) =
        idempotency_keys::table
            .filter(idempotency_keys::caller.eq(scope))
            .filter(idempotency_keys::key.eq(key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::status,
                idempotency_keys::response,
            ))
            .first(conn)
            .await?;
    if stored_hash != hash {
        return Err(AppError::Conflict(
            "this Idempotency-Key was used for another request".into(),
        ));
    }
    match (status.as_str(), response) {
        ("done", Some(json)) => Ok(Claim::Replay(Box::new(
            serde_json::from_value(json).map_err(AppError::internal)?,
        ))),
        _ => Err(AppError::RetryableConflict(
            "the first request with this Idempotency-Key is still running".into(),
        )),
    }
}

/// Deletes expired keys: a claim deletes only its own key's expired row, so keys
/// never used again would otherwise stay forever. Returns the rows deleted.
pub async fn sweep_expired(conn: &mut AsyncPgConnection) -> AppResult<usize> {
    Ok(diesel::delete(idempotency_keys::table)
        .filter(idempotency_keys::expires_at.lt(Utc::now()))
        .execute(conn)
        .await?)
}

/// Stores the response of a claimed key.
pub async fn complete(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
    response: &async_graphql::Response,
) -> AppResult<()> {
    let json = serde_json::to_value(response).map_err(AppError::internal)?;
    diesel::update(idempotency_keys::table)
        .filter(idempotency_keys::caller.eq(scope))
        .filter(idempotency_keys::key.eq(key))
        .set((
            idempotency_keys::status.eq("done"),
            idempotency_keys::response.eq(Some(json)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
