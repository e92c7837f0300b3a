//! Users, sessions, MFA, password reset, API clients: who is calling.

pub mod api_clients;
pub mod auth;
pub mod graphql;
pub mod loaders;
pub mod mailer;
pub mod mfa;
pub mod model;
pub mod password;
pub mod profile;
pub mod profile_cache;
pub mod security;
pub mod sessions;
pub mod social;
pub mod validate;

use crate::app::App;
use crate::authz::{Caller, RequestInfo};
use crate::error::{AppError, AppResult};

/// Resolves the `Authorization` header (`Bearer <token>` or `ApiKey <key>:<secret>`);
/// none means an anonymous caller, anything unusable is `UNAUTHENTICATED`.
pub async fn authenticate(
    app: &App,
    authorization: Option<&str>,
    info: &RequestInfo,
) -> AppResult<Caller> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Caller::Anonymous);
    };
    let (scheme, credentials) = value.split_once(' ').ok_or(AppError::Unauthenticated)?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        sessions::authenticate(app, credentials).await
    } else if scheme.eq_ignore_ascii_case("apikey") {
        api_clients::authenticate(app, credentials, info).await
    } else {
        Err(AppError::Unauthenticated)
    }
}
