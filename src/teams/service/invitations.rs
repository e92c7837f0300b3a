//! Invitations by email: a single-use token that expires, mailed to the address;
//! an account that already has the address also gets a `collaboration_invite`
//! notification. Inviting the same address again replaces the old token.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::{log, no_owner_grants};
use crate::accounts::mailer::{Mail, Mailer};
use crate::accounts::validate;
use crate::app::App;
use crate::db::schema::{team_invitations, team_members, teams, users};
use crate::error::{AppError, AppResult};
use crate::notifications::model::Notification;
use crate::secrets::{random_token, sha256_hex};
use crate::teams::model::{TeamInvitation, TeamMember, TeamRole};

/// Invites `email` into the team with `role` (never OWNER) and mails the token.
pub async fn invite(
    app: &App,
    actor: Uuid,
    team_id: Uuid,
    email: &str,
    role: TeamRole,
) -> AppResult<TeamInvitation> {
    no_owner_grants(role)?;
    let email = validate::email("email", email)?;
    let token = random_token();
    let expires_at = Utc::now()
        + chrono::TimeDelta::from_std(app.config.sharing.invitation_ttl)
            .map_err(AppError::internal)?;
    let public_url = app.config.mail.public_url.clone();
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let (invitation, notification, mail_id, mail) = conn
        .transaction(async |conn| {
            let team_name: String = teams::table
                .find(team_id)
                .select(teams::name)
                .first(conn)
                .await
                .optional()?
                .ok_or(AppError::NotFound("team"))?;
            let invitee: Option<Uuid> = users::table
                .filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("lower(users.email) = ")
                        .bind::<diesel::sql_types::Text, _>(&email),
                )
                .filter(users::deleted_at.is_null())
                .select(users::id)
                .first(conn)
                .await
                .optional()?;
            if let Some(user_id) = invitee {
                let member: i64 = team_members::table
                    .filter(team_members::team_id.eq(team_id))
                    .filter(team_members::user_id.eq(user_id))
                    .count()
                    .get_result(conn)
                    .await?;
                if member > 0 {
                    return Err(AppError::Conflict(
                        "this address already belongs to a member".into(),
                    ));
                }
            }
            // The old token stops working: one pending invitation per address.
            diesel::delete(
                team_invitations::table
                    .filter(team_invitations::team_id.eq(team_id))
                    .filter(team_invitations::accepted_at.is_null())
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                            .bind::<diesel::sql_types::Text, _>(&email),
                    ),
            )
            .execute(conn)
            .await?;
            let invitation: TeamInvitation = diesel::insert_into(team_invitations::table)
                .values((
                    team_invitations::team_id.eq(team_id),
                    team_invitations::email.eq(&email),
                    team_invitations::role.eq(role),
                    team_invitations::token_hash.eq(sha256_hex(&token)),
                    team_invitations::invited_by.eq(actor),
                    team_invitations::expires_at.eq(expires_at),
                ))
                .returning(TeamInvitation::as_returning())
                .get_result(conn)
                .await?;
            let notification = match invitee {
                Some(user_id) => Some(
                    crate::notifications::service::create(
                        conn,
                        user_id,
                        "collaboration_invite",
                        &format!(
                            "You are invited to join the team {team_name} as {}",
                            role.as_db_str()
                        ),
                        json!({
                            "teamId": team_id,
                            "invitationId": invitation.id,
                            "role": role.as_db_str(),
                        }),
                    )
                    .await?,
                ),
                None => None,
            };
            let mail = Mail {
                to: email.clone(),
                kind: "team_invitation",
                subject: format!("You are invited to join {team_name} on Atelier"),
                body: format!(
                    "You are invited to join the team {team_name} on Atelier as {}. Sign in or sign up with this address, then accept with the token below (valid until {}):\n\n{token}\n\n{public_url}/accept-invitation?token={token}\n",
                    role.as_db_str(),
                    expires_at.to_rfc3339(),
                ),
            };
            let mail_id = Mailer::enqueue(conn, &mail).await?;
            log(
                conn,
                actor,
                "team_member_invited",
                json!({"teamId": team_id, "invitationId": invitation.id, "role": role.as_db_str()}),
            )
            .await?;
            Ok::<_, AppError>((invitation, notification, mail_id, mail))
        })
        .await?;
    app.mailer.deliver(conn, mail_id, &mail).await;
    if let Some(notification) = notification {
        publish(app, &notification).await;
    }
    Ok(invitation)
}

async fn publish(app: &App, notification: &Notification) {
    crate::notifications::service::publish(app, notification).await;
}

/// Accepts an invitation with its token: the caller's account must have the
/// invited address (holding the token proves the mailbox). Single use: the
/// token is spent in the same transaction that adds the member.
pub async fn accept(app: &App, user_id: Uuid, token: &str) -> AppResult<TeamMember> {
    let refused = || AppError::bad_input("token", "the invitation is invalid, used or expired");
    let mut conn = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    conn.transaction(async |conn| {
        let invitation: TeamInvitation = team_invitations::table
            .filter(team_invitations::token_hash.eq(sha256_hex(token)))
            .select(TeamInvitation::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or_else(refused)?;
        if invitation.accepted_at.is_some() || invitation.expires_at <= Utc::now() {
            return Err(refused());
        }
        let email: String = users::table
            .find(user_id)
            .select(users::email)
            .first(conn)
            .await?;
        if email.to_lowercase() != invitation.email.to_lowercase() {
            return Err(AppError::Forbidden);
        }
        diesel::update(team_invitations::table.find(invitation.id))
            .set((
                team_invitations::accepted_at.eq(diesel::dsl::now),
                team_invitations::accepted_by.eq(user_id),
            ))
            .execute(conn)
            .await?;
        let member: Option<TeamMember> = diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(invitation.team_id),
                team_members::user_id.eq(user_id),
                team_members::role.eq(invitation.role),
            ))
            .on_conflict_do_nothing()
            .returning(TeamMember::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        let member = member.ok_or_else(|| {
            AppError::Conflict("you are already a member of this team".into())
        })?;
        log(
            conn,
            user_id,
            "team_invitation_accepted",
            json!({"teamId": invitation.team_id, "invitationId": invitation.id, "role": invitation.role.as_db_str()}),
        )
        .await?;
        Ok(member)
    })
    .await
}

/// Withdraws a pending invitation: its token stops working.
pub async fn revoke(app: &App, actor: Uuid, invitation: &TeamInvitation) -> AppResult<()> {
    if invitation.accepted_at.is_some() {
        return Err(AppError::Conflict(
            "the invitation was already accepted".into(),
        ));
    }
    let mut conn = app.db.conn().await?;
    diesel::delete(team_invitations::table.find(invitation.id))
        .execute(&mut conn)
        .await?;
    log(
        &mut conn,
        actor,
        "team_invitation_revoked",
        json!({"teamId": invitation.team_id, "invitationId": invitation.id}),
    )
    .await
}
