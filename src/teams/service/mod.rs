//! Team rules that go beyond the matrix: one OWNER per team, ADMINs cannot touch
//! the OWNER or grant OWNER, the OWNER cannot leave before transferring.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

pub mod invitations;

use super::model::{Team, TeamMember, TeamRole};
use crate::app::App;
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::{team_members, teams, users};
use crate::error::{AppError, AppResult};

fn check_name(name: &str) -> AppResult<String> {
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input(
            "name",
            "a name has 1 to 100 characters",
        ));
    }
    Ok(name)
}

fn check_description(description: Option<String>) -> AppResult<Option<String>> {
    match description.map(|d| d.trim().to_string()) {
        Some(d) if d.chars().count() > 2000 => Err(AppError::bad_input(
            "description",
            "at most 2000 characters",
        )),
        Some(d) if d.is_empty() => Ok(None),
        other => Ok(other),
    }
}

pub(super) async fn log(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    action: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    usage::record(
        conn,
        UsageEntry {
            user_id: Some(user_id),
            action_type: action,
            details: Some(details),
            ..Default::default()
        },
    )
    .await
}

/// Creates a team whose OWNER is its creator.
pub async fn create_team(
    app: &App,
    user_id: Uuid,
    name: &str,
    description: Option<String>,
) -> AppResult<Team> {
    let name = check_name(name)?;
    let description = check_description(description)?;
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    conn.transaction(async |conn| {
        let team: Team = diesel::insert_into(teams::table)
            .values((
                teams::name.eq(&name),
                teams::description.eq(&description),
                teams::owner_id.eq(user_id),
            ))
            .returning(Team::as_returning())
            .get_result(conn)
            .await?;
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(team.id),
                team_members::user_id.eq(user_id),
                team_members::role.eq(TeamRole::Owner),
                team_members::last_active_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        log(conn, user_id, "team_created", json!({"teamId": team.id})).await?;
        Ok(team)
    })
    .await
}

pub async fn update_team(
    app: &App,
    team_id: Uuid,
    name: Option<String>,
    description: async_graphql::MaybeUndefined<String>,
) -> AppResult<Team> {
    #[derive(AsChangeset, Default)]
    #[diesel(table_name = teams)]
    struct Changes {
        name: Option<String>,
        description: Option<Option<String>>,
    }
    let changes = Changes {
        name: name.as_deref().map(check_name).transpose()?,
        description: match description {
            async_graphql::MaybeUndefined::Undefined => None,
            async_graphql::MaybeUndefined::Null => Some(None),
            async_graphql::MaybeUndefined::Value(d) => Some(check_description(Some(d))?),
        },
    };
    let mut conn = app.db.conn().await?;
    if changes.name.is_none() && changes.description.is_none() {
        return Ok(teams::table
            .find(team_id)
            .select(Team::as_select())
            .first(&mut conn)
            .await?);
    }
    Ok(diesel::update(teams::table.find(team_id))
        .set(&changes)
        .returning(Team::as_returning())
        .get_result(&mut conn)
        .await?)
}

/// Deletes the team and, by cascade, its members, workbenches, projects and kits.
pub async fn delete_team(app: &App, actor: Uuid, team_id: Uuid) -> AppResult<Team> {
    let mut conn = app.db.conn().await?;
    let team: Team = diesel::delete(teams::table.find(team_id))
        .returning(Team::as_returning())
        .get_result(&mut conn)
        .await?;
    log(
        &mut conn,
        actor,
        "team_deleted",
        json!({"teamId": team_id, "name": team.name}),
    )
    .await?;
    Ok(team)
}

async fn membership(
    conn: &mut AsyncPgConnection,
    team_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<TeamMember>> {
    Ok(team_members::table
        .filter(team_members::team_id.eq(team_id))
        .filter(team_members::user_id.eq(user_id))
        .select(TeamMember::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub(super) fn no_owner_grants(role: TeamRole) -> AppResult<()> {
    if role == TeamRole::Owner {
        return Err(AppError::bad_input(
            "role",
            "ownership moves only with transferTeamOwnership",
        ));
    }
    Ok(())
}

/// Adds an existing account, by email, with a role below OWNER.
pub async fn add_member(
    app: &App,
    actor: Uuid,
    team_id: Uuid,
    email: &str,
    role: TeamRole,
) -> AppResult<TeamMember> {
    no_owner_grants(role)?;
    let email = email.trim().to_lowercase();
    let mut conn = app.db.conn().await?;
    let user_id: Option<Uuid> = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                .bind::<diesel::sql_types::Text, _>(&email),
        )
        .filter(users::deleted_at.is_null())
        .select(users::id)
        .first(&mut conn)
        .await
        .optional()?;
    let user_id =
        user_id.ok_or_else(|| AppError::bad_input("email", "no account has this email"))?;
    let member: TeamMember = diesel::insert_into(team_members::table)
        .values((
            team_members::team_id.eq(team_id),
            team_members::user_id.eq(user_id),
            team_members::role.eq(role),
        ))
        .returning(TeamMember::as_returning())
        .get_result(&mut conn)
        .await?;
    log(
        &mut conn,
        actor,
        "team_member_added",
        json!({"teamId": team_id, "userId": user_id, "role": role.as_db_str()}),
    )
    .await?;
    Ok(member)
}

/// Changes a member's role; the OWNER's role does not change here.
pub async fn update_member_role(
    app: &App,
    actor: Uuid,
    team_id: Uuid,
    user_id: Uuid,
    role: TeamRole,
) -> AppResult<TeamMember> {
    no_owner_grants(role)?;
    let mut conn = app.db.conn().await?;
    let current = membership(&mut conn, team_id, user_id)
        .await?
        .ok_or(AppError::NotFound("team member"))?;
    if current.role == TeamRole::Owner {
        return Err(AppError::Forbidden);
    }
    let member: TeamMember = diesel::update(team_members::table.find(current.id))
        .set(team_members::role.eq(role))
        .returning(TeamMember::as_returning())
        .get_result(&mut conn)
        .await?;
    log(
        &mut conn,
        actor,
        "team_member_role_changed",
        json!({"teamId": team_id, "userId": user_id, "role": role.as_db_str()}),
    )
    .await?;
    Ok(member)
}

/// Removes a member other than the OWNER.
pub async fn remove_member(
    app: &App,
    actor: Uuid,
    team_id: Uuid,
    user_id: Uuid,
) -> AppResult<TeamMember> {
    let mut conn = app.db.conn().await?;
    let current = membership(&mut conn, team_id, user_id)
        .await?
        .ok_or(AppError::NotFound("team member"))?;
    if current.role == TeamRole::Owner {
        return Err(AppError::Forbidden);
    }
    diesel::delete(team_members::table.find(current.id))
        .execute(&mut conn)
        .await?;
    log(
        &mut conn,
        actor,
        "team_member_removed",
        json!({"teamId": team_id, "userId": user_id}),
    )
    .await?;
    Ok(current)
}

/// The caller leaves; the OWNER must transfer ownership first.
pub async fn leave(app: &App, user_id: Uuid, team_id: Uuid) -> AppResult<TeamMember> {
    let mut conn = app.db.conn().await?;
    let current = membership(&mut conn, team_id, user_id)
        .await?
        .ok_or(AppError::NotFound("team"))?;
    if current.role == TeamRole::Owner {
        return Err(AppError::Conflict(
            "the owner cannot leave; transfer ownership first".into(),
        ));
    }
    diesel::delete(team_members::table.find(current.id))
        .execute(&mut conn)
        .await?;
    log(&mut conn, user_id, "team_left", json!({"teamId": team_id})).await?;
    Ok(current)
}

/// Makes another member the OWNER; the old OWNER becomes ADMIN. One transaction:
/// the database checks at commit that the team still has exactly one OWNER.
pub async fn transfer_ownership(
    app: &App,
    actor: Uuid,
    team_id: Uuid,
    new_owner: Uuid,
) -> AppResult<Team> {
    if new_owner == actor {
        return Err(AppError::bad_input("userId", "you already own this team"));
    }
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    conn.transaction(async |conn| {
        let target = membership(conn, team_id, new_owner).await?.ok_or_else(|| {
            AppError::bad_input("userId", "the new owner must be a member of the team")
        })?;
        let current = membership(conn, team_id, actor)
            .await?
            .ok_or(AppError::NotFound("team"))?;
        diesel::update(team_members::table.find(current.id))
            .set(team_members::role.eq(TeamRole::Admin))
            .execute(conn)
            .await?;
        diesel::update(team_members::table.find(target.id))
            .set(team_members::role.eq(TeamRole::Owner))
            .execute(conn)
            .await?;
        let team: Team = diesel::update(teams::table.find(team_id))
            .set(teams::owner_id.eq(new_owner))
            .returning(Team::as_returning())
            .get_result(conn)
            .await?;
        log(
            conn,
            actor,
            "team_ownership_transferred",
            json!({"teamId": team_id, "to": new_owner}),
        )
        .await?;
        Ok(team)
    })
    .await
}

/// Records that a member acted in the team, at most once a minute.
pub async fn touch_membership(app: &App, team_id: Uuid, user_id: Uuid) -> AppResult<()> {
    let mut conn = app.db.conn().await?;
    diesel::update(team_members::table)
        .filter(team_members::team_id.eq(team_id))
        .filter(team_members::user_id.eq(user_id))
        .filter(team_members::last_active_at.is_null().or(
            team_members::last_active_at.lt(chrono::Utc::now() - chrono::TimeDelta::minutes(1)),
        ))
        .set(team_members::last_active_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// How many teams a user belongs to.
pub async fn count_for_user(conn: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<i64> {
    let mine = team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id);
    Ok(teams::table
        .filter(teams::id.eq_any(mine))
        .count()
        .get_result(conn)
        .await?)
}

/// A page of the teams a user belongs to, by name.
pub async fn page_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    window: crate::graphql::pagination::Window,
) -> AppResult<Vec<Team>> {
    let mine = team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id);
    Ok(teams::table
        .filter(teams::id.eq_any(mine))
        .order((teams::name.asc(), teams::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(Team::as_select())
        .load(conn)
        .await?)
}
