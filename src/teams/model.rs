//! Team rows.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::{team_members, teams};
use crate::db::string_enum;

string_enum! {
    /// A member's role, strongest first.
    pub enum TeamRole {
        /// Owns the team; exactly one per team.
        Owner => "Owner",
        /// Manages members and settings.
        Admin => "Admin",
        /// Creates and edits content.
        Editor => "Editor",
        /// Reads content.
        Viewer => "Viewer",
    }
}

/// A collaboration group.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Team {
    #[graphql(skip)]
    pub id: Uuid,
    /// Team name.
    pub name: String,
    #[graphql(skip)]
    pub owner_id: Uuid,
    /// When the team was created.
    pub created_at: DateTime<Utc>,
    /// When the team last changed.
    pub updated_at: DateTime<Utc>,
    /// What the team is for.
    pub description: Option<String>,
    /// The team's shared credit pool.
    pub credit_balance: Decimal,
}

/// A user's membership in a team.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = team_members, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct TeamMember {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub team_id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// Role in the team.
    pub role: TeamRole,
    /// When the user joined.
    pub joined_at: DateTime<Utc>,
    /// Last activity of the user in the team.
    pub last_active_at: Option<DateTime<Utc>>,
}

impl TeamRole {
    /// Position in `OWNER > ADMIN > EDITOR > VIEWER`; larger is stronger.
    pub fn rank(self) -> u8 {
        match self {
            Self::Owner => 4,
            Self::Admin => 3,
            Self::Editor => 2,
            Self::Viewer => 1,
        }
    }
}

/// An invitation to join a team, by email. The token itself is mailed once and
/// never stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = crate::db::schema::team_invitations, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct TeamInvitation {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub team_id: Uuid,
    /// The invited address.
    pub email: String,
    /// The role the invitee gets on accepting (never OWNER).
    pub role: TeamRole,
    #[graphql(skip)]
    pub invited_by: Option<Uuid>,
    /// After this the token is refused.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted (`null` while pending).
    pub accepted_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub accepted_by: Option<Uuid>,
    /// When it was sent (or last sent again).
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub updated_at: DateTime<Utc>,
}
