//! Account rows. Secrets (password and token hashes, the MFA secret, OAuth tokens)
//! are never GraphQL fields.

use async_graphql::{ComplexObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::{api_clients, sessions, users};
use crate::db::string_enum;
use crate::graphql::id::{GlobalId, NodeType};

string_enum! {
    /// The plan a user is on.
    pub enum SubscriptionTier {
        /// No paid plan.
        Free => "Free",
        /// Individual paid plan.
        Pro => "Pro",
        /// Team plan.
        Team => "Team",
        /// Enterprise agreement.
        Enterprise => "Enterprise",
    }
}

string_enum! {
    /// The identity provider a user signed up with.
    pub enum SocialProvider {
        /// Google.
        Google => "google",
        /// Facebook.
        Facebook => "facebook",
        /// Apple.
        Apple => "apple",
    }
}

/// A registered account. Its GraphQL fields are in `graphql/user.rs`: most are
/// visible to the account itself (and platform admins) only.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password_hash: Option<String>,
    pub social_provider: Option<SocialProvider>,
    pub social_provider_id: Option<String>,
    pub is_email_verified: bool,
    pub email_verification_token: Option<String>,
    pub password_reset_token: Option<String>,
    pub password_reset_expires: Option<DateTime<Utc>>,
    pub full_name: Option<String>,
    pub username: Option<String>,
    pub profile_picture_url: Option<String>,
    pub language_preference: String,
    pub timezone: String,
    pub mfa_enabled: bool,
    pub mfa_secret: Option<String>,
    pub subscription_tier: SubscriptionTier,
    pub credit_balance: Decimal,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub currency_preference: String,
    pub number_notation: String,
    pub is_platform_admin: bool,
    pub email_verification_expires: Option<DateTime<Utc>>,
    pub pending_email: Option<String>,
    pub mfa_last_used_step: Option<i64>,
    pub suspended_at: Option<DateTime<Utc>>,
}

/// A signed-in device.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Session {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// Device description.
    pub device_info: String,
    /// IP address the session was opened from.
    pub ip_address: String,
    /// Full user agent string.
    pub user_agent: Option<String>,
    /// Last request made with this session.
    pub last_activity: DateTime<Utc>,
    /// When the session stops being valid.
    pub expires_at: DateTime<Utc>,
    /// When the session was opened.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub token_hash: String,
    #[graphql(skip)]
    pub revoked_at: Option<DateTime<Utc>>,
}

#[ComplexObject]
impl Session {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Session, self.id)
    }

    /// Whether this is the session making the request.
    async fn is_current(&self, ctx: &async_graphql::Context<'_>) -> bool {
        matches!(
            crate::authz::caller(ctx),
            crate::authz::Caller::Session { session_id, .. } if *session_id == self.id
        )
    }
}

/// Credentials for programmatic access.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = api_clients, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "APIClient", complex)]
pub struct ApiClient {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// Name given by its owner.
    pub name: String,
    /// Public key identifier (the part before `:` in `ApiKey <apiKey>:<secret>`).
    pub api_key: String,
    #[graphql(skip)]
    pub secret_hash: String,
    /// Granular permissions.
    pub permissions: Option<serde_json::Value>,
    /// Inactive clients are refused.
    pub is_active: bool,
    /// When the client was created.
    pub created_at: DateTime<Utc>,
    /// When the client last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
    /// After this instant the client is refused.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last authenticated request (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Origins allowed to use the client; empty means any.
    pub allowed_origins: serde_json::Value,
    /// IP addresses or CIDR ranges allowed to use the client; empty means any.
    pub allowed_ips: serde_json::Value,
    /// Requests per minute allowed.
    pub rate_limit_per_min: Option<i32>,
    /// Scopes granted, e.g. `generation:write`.
    pub scopes: serde_json::Value,
}

#[ComplexObject]
impl ApiClient {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::ApiClient, self.id)
    }
}
