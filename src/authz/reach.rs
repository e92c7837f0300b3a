//! What the caller can see in lists: the teams they belong to (and those where they
//! may see deleted rows), and their own personal resources. One query per request.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::authz::matrix::{self, Action, Resource, Role};
use crate::authz::Caller;
use crate::db::schema::team_members;
use crate::error::{AppError, AppResult};
use crate::teams::model::TeamRole;

/// The caller's reach, for SQL filters that must agree with the matrix.
#[derive(Debug, Clone)]
pub struct Reach {
    pub user_id: Uuid,
    /// Teams where the caller may read (any membership: Read is VIEWER).
    pub teams: Vec<Uuid>,
    /// Teams where the caller may read soft-deleted rows.
    pub teams_with_deleted: Vec<Uuid>,
    /// False for a team's API client: it reaches no personal resources.
    pub personal: bool,
}

impl Reach {
    pub async fn of(
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        resource: Resource,
    ) -> AppResult<Self> {
        let user_id = caller.user_id().ok_or(AppError::Unauthenticated)?;
        let rows: Vec<(Uuid, TeamRole)> = team_members::table
            .filter(team_members::user_id.eq(user_id))
            .select((team_members::team_id, team_members::role))
            .load(conn)
            .await?;
        let only_team = match caller {
            Caller::ApiClient { team_id, .. } => *team_id,
            _ => None,
        };
        let in_reach = |team: &Uuid| only_team.is_none_or(|t| t == *team);
        let deleted_min = matrix::lookup(resource, Action::ReadDeleted).min;
        Ok(Self {
            user_id,
            teams: rows.iter().map(|(t, _)| *t).filter(in_reach).collect(),
            teams_with_deleted: rows
                .iter()
                .filter(|(t, role)| in_reach(t) && Role::from(*role) >= deleted_min)
                .map(|(t, _)| *t)
                .collect(),
            personal: only_team.is_none(),
        })
    }
}
