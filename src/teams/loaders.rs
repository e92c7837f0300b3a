//! Batched loads of teams and memberships.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::{Team, TeamInvitation, TeamMember, TeamRole};
use crate::app::AppState;
use crate::db::schema::{team_invitations, team_members, teams};
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The teams domain's loaders: `Loader<Key>` for each of its keys.
pub struct TeamLoaders {
    app: AppState,
}

impl DomainLoaders for TeamLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// The role of a user in a team, if a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembershipOf {
    pub team_id: Uuid,
    pub user_id: Uuid,
}

/// A team by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamById(pub Uuid);

/// A membership row by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamMemberById(pub Uuid);

impl Loader<MembershipOf> for TeamLoaders {
    type Value = TeamRole;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[MembershipOf],
    ) -> Result<HashMap<MembershipOf, TeamRole>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let teams: Vec<Uuid> = keys.iter().map(|k| k.team_id).collect();
        let users: Vec<Uuid> = keys.iter().map(|k| k.user_id).collect();
        let mut conn = self.app.db.conn().await?;
        // The cross product of the two id lists is a superset; keep the asked pairs.
        let rows: Vec<(Uuid, Uuid, TeamRole)> = team_members::table
            .filter(team_members::team_id.eq_any(&teams))
            .filter(team_members::user_id.eq_any(&users))
            .select((
                team_members::team_id,
                team_members::user_id,
                team_members::role,
            ))
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|(team_id, user_id, role)| (MembershipOf { team_id, user_id }, role))
            .filter(|(key, _)| keys.contains(key))
            .collect())
    }
}

impl Loader<TeamById> for TeamLoaders {
    type Value = Team;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TeamById]) -> Result<HashMap<TeamById, Team>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<Team> = teams::table
            .filter(teams::id.eq_any(&ids))
            .select(Team::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|t| (TeamById(t.id), t)).collect())
    }
}

impl Loader<TeamMemberById> for TeamLoaders {
    type Value = TeamMember;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[TeamMemberById],
    ) -> Result<HashMap<TeamMemberById, TeamMember>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<TeamMember> = team_members::table
            .filter(team_members::id.eq_any(&ids))
            .select(TeamMember::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|m| (TeamMemberById(m.id), m))
            .collect())
    }
}

/// Every member of a team, strongest role first, then by joining date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembersOf(pub Uuid);

impl Loader<MembersOf> for TeamLoaders {
    type Value = Vec<TeamMember>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[MembersOf],
    ) -> Result<HashMap<MembersOf, Vec<TeamMember>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<TeamMember> = team_members::table
            .filter(team_members::team_id.eq_any(&ids))
            .order((team_members::joined_at.asc(), team_members::id.asc()))
            .select(TeamMember::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        let mut grouped: HashMap<MembersOf, Vec<TeamMember>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for member in rows {
            grouped
                .entry(MembersOf(member.team_id))
                .or_default()
                .push(member);
        }
        for members in grouped.values_mut() {
            members.sort_by_key(|m| std::cmp::Reverse(m.role.rank()));
        }
        Ok(grouped)
    }
}

/// An invitation by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TeamInvitationById(pub Uuid);

impl Loader<TeamInvitationById> for TeamLoaders {
    type Value = TeamInvitation;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[TeamInvitationById],
    ) -> Result<HashMap<TeamInvitationById, TeamInvitation>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<TeamInvitation> = team_invitations::table
            .filter(team_invitations::id.eq_any(&ids))
            .select(TeamInvitation::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|i| (TeamInvitationById(i.id), i))
            .collect())
    }
}

/// A team's pending (not yet accepted) invitations, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PendingInvitationsOf(pub Uuid);

impl Loader<PendingInvitationsOf> for TeamLoaders {
    type Value = Vec<TeamInvitation>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PendingInvitationsOf],
    ) -> Result<HashMap<PendingInvitationsOf, Vec<TeamInvitation>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<TeamInvitation> = team_invitations::table
            .filter(team_invitations::team_id.eq_any(&ids))
            .filter(team_invitations::accepted_at.is_null())
            .order((
                team_invitations::created_at.desc(),
                team_invitations::id.asc(),
            ))
            .select(TeamInvitation::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        let mut grouped: HashMap<PendingInvitationsOf, Vec<TeamInvitation>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for invitation in rows {
            grouped
                .entry(PendingInvitationsOf(invitation.team_id))
                .or_default()
                .push(invitation);
        }
        Ok(grouped)
    }
}
