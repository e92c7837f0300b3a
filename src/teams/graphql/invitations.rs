//! Team invitations in the schema: `inviteTeamMember`, `revokeTeamInvitation`,
//! `acceptTeamInvitation` and `Team.invitations`.

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use uuid::Uuid;

use crate::accounts::loaders::{AccountLoaders, UserById};
use crate::accounts::model::User;
use crate::authz::guards::Need;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{can, can_read, Holder, Target};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::{app, loader};
use crate::teams::loaders::{PendingInvitationsOf, TeamById, TeamInvitationById, TeamLoaders};
use crate::teams::model::{Team, TeamInvitation, TeamMember, TeamRole};
use crate::teams::service::invitations;

#[ComplexObject]
impl TeamInvitation {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::TeamInvitation, self.id)
    }

    /// The team the invitation is for.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        loader::<TeamLoaders>(ctx)
            .load_one(TeamById(self.team_id))
            .await
    }

    /// Who sent it (`null` once that account is gone).
    async fn invited_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.invited_by {
            Some(id) => loader::<AccountLoaders>(ctx).load_one(UserById(id)).await,
            None => Ok(None),
        }
    }

    /// Whether the token has expired (invite again to send a new one).
    async fn expired(&self) -> bool {
        self.expires_at <= chrono::Utc::now()
    }
}

impl Target for TeamInvitation {
    const RESOURCE: Resource = Resource::TeamInvitation;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<TeamLoaders>(ctx)
            .load_one(TeamInvitationById(id))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(Holder::Team(self.team_id)))
    }
}

/// The matrix's `TeamInvitation` cell on the team: a member below it gets
/// `FORBIDDEN` (the team is no secret to them); anyone else finds nothing.
async fn may_manage(ctx: &Context<'_>, team_id: Uuid, action: Action) -> AppResult<()> {
    let holder = Holder::Team(team_id);
    if can(ctx, holder, Resource::TeamInvitation, action).await? {
        return Ok(());
    }
    if can_read(ctx, holder, Resource::Team).await? {
        return Err(AppError::Forbidden);
    }
    Err(AppError::NotFound("team"))
}

/// `Team.invitations`: the pending ones, newest first (the guard on the field
/// checks ADMIN).
pub(super) async fn pending_of(
    ctx: &Context<'_>,
    team_id: Uuid,
) -> async_graphql::Result<Vec<TeamInvitation>> {
    Ok(loader::<TeamLoaders>(ctx)
        .load_one(PendingInvitationsOf(team_id))
        .await?
        .unwrap_or_default())
}

/// The input of `inviteTeamMember`.
#[derive(InputObject)]
pub struct InviteTeamMemberInput {
    /// ID of the team.
    pub team_id: ID,
    /// The address to invite; it need not have an account yet.
    pub email: String,
    /// The role on accepting: ADMIN, EDITOR or VIEWER (never OWNER).
    pub role: TeamRole,
}

/// The input of `revokeTeamInvitation`.
#[derive(InputObject)]
pub struct RevokeTeamInvitationInput {
    /// ID of a pending invitation.
    pub invitation_id: ID,
}

/// The input of `acceptTeamInvitation`.
#[derive(InputObject)]
pub struct AcceptTeamInvitationInput {
    /// The token from the invitation mail.
    pub token: String,
}

/// What `inviteTeamMember` returns.
#[derive(SimpleObject)]
pub struct InviteTeamMemberPayload {
    /// The pending invitation (its token went by mail only).
    pub invitation: TeamInvitation,
}

/// What `revokeTeamInvitation` returns.
#[derive(SimpleObject)]
pub struct RevokeTeamInvitationPayload {
    /// ID of the invitation, now withdrawn.
    pub revoked_invitation_id: ID,
}

/// What `acceptTeamInvitation` returns.
#[derive(SimpleObject)]
pub struct AcceptTeamInvitationPayload {
    /// The caller's new membership.
    pub member: TeamMember,
}

#[derive(Default)]
pub struct InvitationMutation;

#[Object]
impl InvitationMutation {
    /// Invites an address into the team (ADMIN; never as OWNER). The token goes
    /// by mail; an account with the address also gets a `collaboration_invite`
    /// notification. Inviting the address again replaces the old token.
    #[graphql(guard = "Need::matrix(Resource::TeamInvitation, Action::Create)")]
    async fn invite_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `inviteTeamMember`.")] input: InviteTeamMemberInput,
    ) -> async_graphql::Result<InviteTeamMemberPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        may_manage(ctx, team_id, Action::Create).await?;
        let invitation = invitations::invite(
            app(ctx),
            require_user(ctx)?,
            team_id,
            &input.email,
            input.role,
        )
        .await?;
        Ok(InviteTeamMemberPayload { invitation })
    }

    /// Withdraws a pending invitation (ADMIN); its token stops working.
    #[graphql(guard = "Need::matrix(Resource::TeamInvitation, Action::Delete)")]
    async fn revoke_team_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `revokeTeamInvitation`.")] input: RevokeTeamInvitationInput,
    ) -> async_graphql::Result<RevokeTeamInvitationPayload> {
        let id = GlobalId::decode_uuid(
            &input.invitation_id,
            NodeType::TeamInvitation,
            "invitationId",
        )?;
        let invitation = TeamInvitation::load(ctx, id)
            .await?
            .ok_or(AppError::NotFound("invitation"))?;
        may_manage(ctx, invitation.team_id, Action::Delete)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("invitation"),
                other => other,
            })?;
        invitations::revoke(app(ctx), require_user(ctx)?, &invitation).await?;
        Ok(RevokeTeamInvitationPayload {
            revoked_invitation_id: input.invitation_id,
        })
    }

    /// Joins the team of an invitation, with the token from its mail. The
    /// caller's account must have the invited address (sign up with it first if
    /// needed); a token works once, and not after it expired.
    #[graphql(guard = "Need::session()")]
    async fn accept_team_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `acceptTeamInvitation`.")] input: AcceptTeamInvitationInput,
    ) -> async_graphql::Result<AcceptTeamInvitationPayload> {
        let member = invitations::accept(app(ctx), require_user(ctx)?, &input.token).await?;
        Ok(AcceptTeamInvitationPayload { member })
    }
}
