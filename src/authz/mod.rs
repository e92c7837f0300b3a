//! Who is calling, and the guards that resolvers declare (`guards`), from the
//! one matrix (`matrix`), with the caller's role on a target (`roles`).
//!
//! The caller is resolved once per request (from `Authorization`) and placed in
//! the GraphQL request data; guards read it. Resource roles (the team matrix of
//! PERMISSIONS.md) build on this.

pub mod guards;
pub mod matrix;
pub mod reach;
pub mod roles;

use async_graphql::Context;
use uuid::Uuid;

use crate::error::AppError;

/// The principal behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No credentials: a GUEST everywhere.
    Anonymous,
    /// A user signed in with a session token.
    Session {
        user_id: Uuid,
        session_id: Uuid,
        is_platform_admin: bool,
    },
    /// An API client acting as its user, limited to its scopes.
    ApiClient {
        user_id: Uuid,
        client_id: Uuid,
        team_id: Option<Uuid>,
        scopes: Vec<String>,
    },
}

impl Caller {
    /// The user the request acts as.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::Session { user_id, .. } | Self::ApiClient { user_id, .. } => Some(*user_id),
        }
    }

    /// Platform administration is only ever done with a session, never an API key.
    pub fn is_platform_admin(&self) -> bool {
        matches!(
            self,
            Self::Session {
                is_platform_admin: true,
                ..
            }
        )
    }

    /// Whether the caller may use `scope` (sessions hold every scope).
    pub fn has_scope(&self, scope: &str) -> bool {
        match self {
            Self::Anonymous => false,
            Self::Session { .. } => true,
            Self::ApiClient { scopes, .. } => scopes.iter().any(|s| s == scope),
        }
    }
}

/// Scopes an API client can be granted.
pub const API_SCOPES: &[&str] = &[
    "generation:read",
    "generation:write",
    "assets:read",
    "assets:write",
    "projects:read",
    "projects:write",
];

/// The caller of the current request.
pub fn caller<'a>(ctx: &Context<'a>) -> &'a Caller {
    static ANONYMOUS: Caller = Caller::Anonymous;
    ctx.data_opt::<Caller>().unwrap_or(&ANONYMOUS)
}

/// The signed-in user's id, or `UNAUTHENTICATED`.
pub fn require_user(ctx: &Context<'_>) -> Result<Uuid, AppError> {
    caller(ctx).user_id().ok_or(AppError::Unauthenticated)
}

/// Where the request came from; recorded on sessions and checked against API
/// client allow lists.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    pub origin: Option<String>,
    /// The `x-request-id` of the HTTP request (or of the WebSocket upgrade).
    pub request_id: Option<String>,
}

impl RequestInfo {
    pub fn ip_string(&self) -> String {
        self.ip
            .map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }
}

/// The origin of the current request (empty when unknown, e.g. in unit tests).
pub fn request_info<'a>(ctx: &Context<'a>) -> &'a RequestInfo {
    static UNKNOWN: RequestInfo = RequestInfo {
        ip: None,
        user_agent: None,
        origin: None,
        request_id: None,
    };
    ctx.data_opt::<RequestInfo>().unwrap_or(&UNKNOWN)
}

/// Set by `signUp` / `signIn` to the account they signed in, so the payload shows
/// that account's private fields although the request itself came anonymously.
#[derive(Debug, Default)]
pub struct SignedInDuringRequest(std::sync::OnceLock<Uuid>);

impl SignedInDuringRequest {
    pub fn mark(ctx: &Context<'_>, user_id: Uuid) {
        if let Some(slot) = ctx.data_opt::<SignedInDuringRequest>() {
            let _ = slot.0.set(user_id);
        }
    }
}

/// Whether the request acts as `user_id` (its caller, or the account it just signed in).
pub fn acts_as(ctx: &Context<'_>, user_id: Uuid) -> bool {
    caller(ctx).user_id() == Some(user_id)
        || ctx
            .data_opt::<SignedInDuringRequest>()
            .and_then(|s| s.0.get())
            == Some(&user_id)
}
