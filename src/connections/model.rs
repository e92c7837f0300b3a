//! Connection rows. The tokens are sealed with `ENCRYPTION_KEY` and are never
//! GraphQL fields.

use async_graphql::{ComplexObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::social_media_connections;
use crate::db::string_enum;
use crate::error::AppResult;
use crate::graphql::id::{GlobalId, NodeType};

string_enum! {
    /// A social network a user can publish to.
    pub enum SocialPlatform {
        /// Instagram.
        Instagram => "Instagram",
        /// Facebook.
        Facebook => "Facebook",
        /// LinkedIn.
        #[graphql(name = "LINKEDIN")]
        LinkedIn => "LinkedIn",
        /// Twitter / X.
        Twitter => "Twitter",
        /// Pinterest.
        Pinterest => "Pinterest",
        /// TikTok.
        #[graphql(name = "TIKTOK")]
        TikTok => "TikTok",
    }
}

string_enum! {
    /// Whether a connection can be used.
    pub enum ConnectionStatus {
        /// Its tokens work (refreshed before they expire).
        Active => "active",
        /// A refresh failed: connect the account again.
        Expired => "expired",
    }
}

/// A connected social network account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = social_media_connections, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct SocialMediaConnection {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// The network.
    pub platform: SocialPlatform,
    /// The account's ID on that network.
    pub external_user_id: String,
    #[graphql(skip)]
    pub access_token: String,
    #[graphql(skip)]
    pub refresh_token: Option<String>,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the connection was made.
    pub created_at: DateTime<Utc>,
    /// When the connection last changed.
    pub updated_at: DateTime<Utc>,
    /// Whether the connection can be used.
    pub status: ConnectionStatus,
}

#[ComplexObject]
impl SocialMediaConnection {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::SocialMediaConnection, self.id)
    }
}

/// Sealed tokens as they are written.
pub struct SealedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts the connection, or replaces the tokens of the user's connection to
/// that platform (`uq_socialconnection_user_platform`).
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    platform: SocialPlatform,
    external_user_id: &str,
    tokens: &SealedTokens,
) -> AppResult<SocialMediaConnection> {
    use social_media_connections as c;
    Ok(diesel::insert_into(c::table)
        .values((
            c::user_id.eq(user_id),
            c::platform.eq(platform),
            c::external_user_id.eq(external_user_id),
            c::access_token.eq(&tokens.access_token),
            c::refresh_token.eq(&tokens.refresh_token),
            c::expires_at.eq(tokens.expires_at),
            c::status.eq(ConnectionStatus::Active),
        ))
        .on_conflict((c::user_id, c::platform))
        .do_update()
        .set((
            c::external_user_id.eq(external_user_id),
            c::access_token.eq(&tokens.access_token),
            c::refresh_token.eq(&tokens.refresh_token),
            c::expires_at.eq(tokens.expires_at),
            c::status.eq(ConnectionStatus::Active),
        ))
        .returning(SocialMediaConnection::as_returning())
        .get_result(conn)
        .await?)
}

/// The user's connections, by platform.
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<Vec<SocialMediaConnection>> {
    use social_media_connections as c;
    Ok(c::table
        .filter(c::user_id.eq(user_id))
        .order((c::platform.asc(), c::id.asc()))
        .select(SocialMediaConnection::as_select())
        .load(conn)
        .await?)
}

/// Active connections whose token expires before `before` (and that can be refreshed).
pub async fn due_for_refresh(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    use social_media_connections as c;
    Ok(c::table
        .filter(c::status.eq(ConnectionStatus::Active))
        .filter(c::expires_at.lt(before))
        .order(c::expires_at.asc())
        .limit(100)
        .select(c::id)
        .load(conn)
        .await?)
}
