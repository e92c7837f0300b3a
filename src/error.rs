//! The one error type at the boundary, and how it reaches a GraphQL client.
//!
//! Every error carries `extensions.code` (see `shared/API.md`). Internal errors are
//! logged with an `errorId` and reach the client as `INTERNAL_SERVER_ERROR` with
//! that id and no detail.

use async_graphql::ErrorExtensions;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What went wrong, in terms a client can act on.
///
/// Deliberately not `Display`: async-graphql converts every `Display` type into an
/// error without extensions, and this type must always go through
/// [`ErrorExtensions::extend`] so that `extensions.code` is never missing.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    /// A wrong email or password: one message for both, so neither leaks.
    BadCredentials,
    Forbidden,
    NotFound(&'static str),
    BadUserInput {
        message: String,
        field: Option<String>,
    },
    Conflict(String),
    /// A conflict with the target's state, with a machine-readable
    /// `extensions.reason` (e.g. `VALIDATION_NOT_PASSED`).
    ConflictReason {
        reason: &'static str,
        message: String,
    },
    /// A conflict that goes away: retry later (`extensions.retryable`).
    RetryableConflict(String),
    InsufficientCredits,
    /// Sign-in of an account a platform admin suspended.
    AccountSuspended,
    RateLimited {
        retry_after_secs: u64,
    },
    /// Sign-in of an account with MFA needs a valid, unused TOTP code.
    MfaRequired(&'static str),
    /// A query over one of the limits (`limit` names it).
    QueryTooComplex {
        limit: &'static str,
        measured: u64,
        max: u64,
    },
    Internal(anyhow::Error),
    /// A dependency that could not do its part (the file store refused a
    /// write): nothing was changed and a retry may succeed. Logged like
    /// `Internal`; the client sees `INTERNAL_SERVER_ERROR` with
    /// `extensions.retryable` and `extensions.reason`, and a message that says
    /// what failed without internal detail.
    Unavailable {
        reason: &'static str,
        message: &'static str,
        cause: anyhow::Error,
    },
    /// An optional integration (a social sign-in provider, a platform) without
    /// its settings.
    ProviderNotConfigured(String),
    /// A social sign-in or connection flow refused, with `extensions.reason`
    /// (`INVALID_SIGNATURE`, `WRONG_AUDIENCE`, `INVALID_STATE`...).
    SocialAuthFailed {
        reason: &'static str,
        message: String,
    },
    /// A social identity whose email belongs to an existing account: that account
    /// confirms it with `linkSocialAccount` (`extensions.linkToken`).
    AccountLinkRequired {
        link_token: String,
    },
    /// A billing operation on a server without its payment settings (issue 14).
    BillingNotConfigured,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A bad argument, naming the offending field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    /// The file store failed to save or read a file.
    pub fn storage(err: impl Into<anyhow::Error>) -> Self {
        Self::Unavailable {
            reason: "STORAGE_UNAVAILABLE",
            message: "the file store is unavailable: nothing was saved; retry later",
            cause: err.into(),
        }
    }

    /// The message a client sees.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::BadCredentials => "invalid email or password".into(),
            Self::Forbidden => "you are not allowed to do this".into(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Conflict(message) | Self::RetryableConflict(message) => message.clone(),
            Self::ConflictReason { message, .. } => message.clone(),
            Self::InsufficientCredits => "not enough credits".into(),
            Self::AccountSuspended => "this account is suspended".into(),
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests, retry in {retry_after_secs} s")
            }
            Self::MfaRequired(message) => (*message).into(),
            Self::QueryTooComplex {
                limit,
                measured,
                max,
            } => format!("the query is over the {limit} limit: {measured} > {max}"),
            Self::Internal(_) => "Internal server error".into(),
            Self::Unavailable { message, .. } => (*message).into(),
            Self::ProviderNotConfigured(message) => message.clone(),
            Self::SocialAuthFailed { message, .. } => message.clone(),
            Self::AccountLinkRequired { .. } => "an account with this email exists: sign in to it (or give its password) with linkSocialAccount to link this identity".into(),
            Self::BillingNotConfigured => "billing is not configured on this server".into(),
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::BadCredentials => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) | Self::RetryableConflict(_) | Self::ConflictReason { .. } => {
                "CONFLICT"
            }
            Self::InsufficientCredits => "INSUFFICIENT_CREDITS",
            Self::AccountSuspended => "ACCOUNT_SUSPENDED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::MfaRequired(_) => "MFA_REQUIRED",
            Self::QueryTooComplex { .. } => "QUERY_TOO_COMPLEX",
            Self::Internal(_) | Self::Unavailable { .. } => "INTERNAL_SERVER_ERROR",
            Self::ProviderNotConfigured(_) => "PROVIDER_NOT_CONFIGURED",
            Self::SocialAuthFailed { .. } => "SOCIAL_AUTH_FAILED",
            Self::AccountLinkRequired { .. } => "ACCOUNT_LINK_REQUIRED",
            Self::BillingNotConfigured => "BILLING_NOT_CONFIGURED",
        }
    }
}

/// A constraint whose violation is the caller's mistake, not ours.
struct KnownConstraint {
    name: &'static str,
    field: &'static str,
    message: &'static str,
    conflict: bool,
}

/// Named constraints translated into user errors, so resolvers never match on error strings.
const KNOWN_CONSTRAINTS: &[KnownConstraint] = &[
    KnownConstraint {
        name: "uq_user_email",
        field: "email",
        message: "this email is already registered",
        conflict: true,
    },
    KnownConstraint {
        name: "idx_user_email_unique",
        field: "email",
        message: "this email is already registered",
        conflict: true,
    },
    KnownConstraint {
        name: "uq_user_username",
        field: "username",
        message: "this username is taken",
        conflict: true,
    },
    KnownConstraint {
        name: "idx_user_username_unique",
        field: "username",
        message: "this username is taken",
        conflict: true,
    },
    KnownConstraint {
        name: "uq_teammember_team_user",
        field: "userId",
        message: "this user is already a member of the team",
        conflict: true,
    },
    KnownConstraint {
        name: "uq_aimodel_name",
        field: "name",
        message: "an AI model with this name exists",
        conflict: true,
    },
    KnownConstraint {
        name: "uq_aimodelversion_model_version",
        field: "versionNumber",
        message: "this model already has a version with this number",
        conflict: true,
    },
    KnownConstraint {
        name: "uq_aimodelversion_one_production",
        field: "modelVersionId",
        message: "another version of this model was promoted at the same time",
        conflict: true,
    },
    KnownConstraint {
        name: "ck_users_credit_balance",
        field: "creditBalance",
        message: "not enough credits",
        conflict: false,
    },
];

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => Self::NotFound("record"),
            DieselError::DatabaseError(kind, info) => {
                let known = info
                    .constraint_name()
                    .and_then(|name| KNOWN_CONSTRAINTS.iter().find(|c| c.name == name));
                match (kind, known) {
                    (_, Some(c)) if c.name == "ck_users_credit_balance" => {
                        Self::InsufficientCredits
                    }
                    (_, Some(c)) if c.conflict => Self::Conflict(c.message.to_string()),
                    (_, Some(c)) => Self::bad_input(c.field, c.message),
                    (DatabaseErrorKind::UniqueViolation, None) => {
                        Self::Conflict("this already exists".into())
                    }
                    _ => Self::Internal(err.into()),
                }
            }
            _ => Self::Internal(err.into()),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Internal(anyhow::Error::new(err).context("database pool"))
    }
}

/// Whether an internal error is one a retry may not meet: no pooled connection
/// in time, `statement_timeout`, a connection lost (the database restarting), a
/// serialization failure. Clients see `extensions.retryable = true`.
fn is_transient(cause: &anyhow::Error) -> bool {
    cause.chain().any(|e| {
        if e.is::<diesel_async::pooled_connection::deadpool::PoolError>() {
            return true;
        }
        match e.downcast_ref::<DieselError>() {
            Some(DieselError::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection
                        | DatabaseErrorKind::SerializationFailure
                        | DatabaseErrorKind::UnableToSendCommand
                ) || info.message().contains("statement timeout")
                    || info.message().contains("terminating connection")
            }
            Some(DieselError::BrokenTransactionManager) => true,
            _ => false,
        }
    })
}

impl From<AppError> for anyhow::Error {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Internal(cause) | AppError::Unavailable { cause, .. } => cause,
            other => anyhow::anyhow!("{}: {}", other.code(), other.message()),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            Self::Internal(cause) => {
                let error_id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %error_id, error = ?cause, "internal error");
                let retryable = is_transient(cause);
                async_graphql::Error::new("Internal server error").extend_with(|_, e| {
                    e.set("code", "INTERNAL_SERVER_ERROR");
                    e.set("errorId", error_id.to_string());
                    if retryable {
                        e.set("retryable", true);
                    }
                })
            }
            Self::Unavailable { reason, cause, .. } => {
                let error_id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %error_id, reason, error = ?cause, "dependency unavailable");
                async_graphql::Error::new(self.message()).extend_with(|_, e| {
                    e.set("code", self.code());
                    e.set("errorId", error_id.to_string());
                    e.set("reason", *reason);
                    e.set("retryable", true);
                })
            }
            other => async_graphql::Error::new(other.message()).extend_with(|_, e| {
                e.set("code", other.code());
                match other {
                    Self::BadUserInput {
                        field: Some(field), ..
                    } => e.set("field", field.as_str()),
                    Self::RateLimited { retry_after_secs } => {
                        e.set("retryAfter", *retry_after_secs)
                    }
                    Self::RetryableConflict(_) => e.set("retryable", true),
                    Self::ConflictReason { reason, .. } => e.set("reason", *reason),
                    Self::SocialAuthFailed { reason, .. } => e.set("reason", *reason),
                    Self::AccountLinkRequired { link_token } => {
                        e.set("linkToken", link_token.as_str())
                    }
                    Self::QueryTooComplex {
                        limit,
                        measured,
                        max,
                    } => {
                        e.set("limit", *limit);
                        e.set("measured", *measured);
                        e.set("max", *max);
                    }
                    _ => {}
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(err: AppError) -> bool {
        let gql: async_graphql::Error = err.into();
        let ext = gql.extensions.expect("extensions are set");
        ext.get("retryable") == Some(&async_graphql::Value::Boolean(true))
    }

    #[test]
    fn a_pool_timeout_and_a_statement_timeout_are_retryable_internal_errors() {
        use deadpool::managed::TimeoutType;
        use diesel_async::pooled_connection::deadpool::PoolError;
        let pool = AppError::from(PoolError::Timeout(TimeoutType::Wait));
        assert_eq!(pool.code(), "INTERNAL_SERVER_ERROR");
        assert!(retryable(pool));
        let statement = AppError::from(DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("canceling statement due to statement timeout".to_string()),
        ));
        assert!(retryable(statement));
        let lost = AppError::from(DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_string()),
        ));
        assert!(retryable(lost));
        assert!(!retryable(AppError::internal(anyhow::anyhow!("a bug"))));
    }

    fn code_of(err: AppError) -> String {
        let gql: async_graphql::Error = err.into();
        let ext = gql.extensions.expect("extensions are set");
        match ext.get("code") {
            Some(async_graphql::Value::String(s)) => s.clone(),
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn each_variant_maps_to_its_code() {
        assert_eq!(code_of(AppError::Unauthenticated), "UNAUTHENTICATED");
        assert_eq!(code_of(AppError::Forbidden), "FORBIDDEN");
        assert_eq!(code_of(AppError::NotFound("project")), "NOT_FOUND");
        assert_eq!(
            code_of(AppError::bad_input("name", "empty")),
            "BAD_USER_INPUT"
        );
        assert_eq!(code_of(AppError::Conflict("x".into())), "CONFLICT");
        assert_eq!(
            code_of(AppError::InsufficientCredits),
            "INSUFFICIENT_CREDITS"
        );
        assert_eq!(
            code_of(AppError::RateLimited {
                retry_after_secs: 3
            }),
            "RATE_LIMITED"
        );
        assert_eq!(
            code_of(AppError::internal(anyhow::anyhow!("db exploded"))),
            "INTERNAL_SERVER_ERROR"
        );
        assert_eq!(
            code_of(AppError::ProviderNotConfigured("google".into())),
            "PROVIDER_NOT_CONFIGURED"
        );
        assert_eq!(
            code_of(AppError::SocialAuthFailed {
                reason: "WRONG_NONCE",
                message: "x".into()
            }),
            "SOCIAL_AUTH_FAILED"
        );
        assert_eq!(
            code_of(AppError::AccountLinkRequired {
                link_token: "t".into()
            }),
            "ACCOUNT_LINK_REQUIRED"
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let gql: async_graphql::Error = AppError::internal(anyhow::anyhow!("secret detail")).into();
        assert!(!gql.message.contains("secret"));
        let ext = gql.extensions.expect("extensions");
        assert!(ext.get("errorId").is_some());
    }

    #[test]
    fn bad_input_names_the_field() {
        let gql: async_graphql::Error = AppError::bad_input("first", "too large").into();
        let ext = gql.extensions.expect("extensions");
        assert_eq!(
            ext.get("field"),
            Some(&async_graphql::Value::String("first".into()))
        );
    }
}
