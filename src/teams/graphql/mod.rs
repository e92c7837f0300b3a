//! Teams and members in the schema.

mod invitations;

pub use invitations::InvitationMutation;

use super::loaders::TeamLoaders;
use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::{Need, OnParent};
use crate::authz::roles::{load_authorized, Target};
use crate::graphql::loader;
use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use uuid::Uuid;

use super::loaders::{MembersOf, TeamById};
use super::model::{Team, TeamMember, TeamRole};
use super::service;
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource, Role};
use crate::authz::require_user;
use crate::authz::roles::{authorize, can, role_on, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};

/// What the caller may do with a team, from the permission matrix.
#[derive(SimpleObject)]
pub struct TeamViewerCan {
    /// Rename, describe.
    pub update_settings: bool,
    /// Delete the team.
    pub delete: bool,
    /// Add, re-role and remove members.
    pub manage_members: bool,
    /// Hand ownership to another member.
    pub transfer_ownership: bool,
    /// Leave the team (the owner cannot).
    pub leave: bool,
    /// Move credits into the team pool.
    pub manage_credits: bool,
    /// Create and revoke the team's API clients.
    pub manage_api_clients: bool,
    /// Create workbenches, projects, brand kits and templates.
    pub create_content: bool,
}

#[ComplexObject]
impl Team {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Team, self.id)
    }

    /// The team pool's credit movements, newest first (VIEWER and up).
    #[graphql(
        guard = "OnParent::matrix(Holder::Team(self.id), Resource::TeamCredits, Action::Read)"
    )]
    async fn credit_transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Type and date range.")] filter: Option<
            crate::credits::history::HistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<crate::credits::model::CreditTransaction>> {
        let ledger = crate::credits::history::Ledger::Team(self.id);
        Ok(
            crate::credits::history::transactions_connection(
                app(ctx),
                ledger,
                filter,
                first,
                after,
            )
            .await?,
        )
    }

    /// The usage log of the team's projects and pool, newest first (VIEWER and
    /// up, as PERMISSIONS.md's "Team credit transactions and usage log" row says).
    #[graphql(
        guard = "OnParent::matrix(Holder::Team(self.id), Resource::TeamCredits, Action::Read)"
    )]
    async fn usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Action type and date range.")] filter: Option<
            crate::credits::history::HistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<crate::credits::model::UsageLog>> {
        let ledger = crate::credits::history::Ledger::Team(self.id);
        Ok(
            crate::credits::history::usage_connection(app(ctx), ledger, filter, first, after)
                .await?,
        )
    }

    /// Pending invitations, newest first (ADMIN and up).
    #[graphql(
        guard = "OnParent::matrix(Holder::Team(self.id), Resource::TeamInvitation, Action::Read)"
    )]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::model::TeamInvitation>> {
        invitations::pending_of(ctx, self.id).await
    }

    /// The team's current plan subscription (Active or Trial), if any (VIEWER).
    #[graphql(
        guard = "OnParent::matrix(Holder::Team(self.id), Resource::TeamCredits, Action::Read)"
    )]
    async fn subscription(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::credits::model::BillingSubscription>> {
        crate::billing::graphql::of_team(ctx, self.id).await
    }

    /// The owner's public profile.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.owner_id))
            .await
    }

    /// Members, strongest role first.
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<TeamMember>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let all = loader::<TeamLoaders>(ctx)
            .load_one(MembersOf(self.id))
            .await?
            .unwrap_or_default();
        let total = all.len() as i64;
        let window = args.window(total)?;
        let page = all
            .into_iter()
            .skip(window.offset as usize)
            .take(window.limit as usize)
            .collect();
        Ok(pagination::connection(window, total, page))
    }

    /// The caller's role in this team.
    async fn my_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Role> {
        Ok(role_on(ctx, Holder::Team(self.id)).await?)
    }

    /// What the caller may do here.
    async fn viewer_can(&self, ctx: &Context<'_>) -> async_graphql::Result<TeamViewerCan> {
        let holder = Holder::Team(self.id);
        let role = role_on(ctx, holder).await?;
        let allowed = async |resource, action| can(ctx, holder, resource, action).await;
        Ok(TeamViewerCan {
            update_settings: allowed(Resource::Team, Action::Update).await?,
            delete: allowed(Resource::Team, Action::Delete).await?,
            manage_members: allowed(Resource::TeamMember, Action::Update).await?,
            transfer_ownership: allowed(Resource::Team, Action::TransferOwnership).await?,
            leave: allowed(Resource::TeamMember, Action::Leave).await?
                && crate::authz::matrix::owner_may(role, Action::Leave),
            manage_credits: allowed(Resource::TeamCredits, Action::Update).await?,
            manage_api_clients: allowed(Resource::TeamApiClient, Action::Create).await?,
            create_content: allowed(Resource::Project, Action::Create).await?,
        })
    }
}

#[ComplexObject]
impl TeamMember {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::TeamMember, self.id)
    }

    /// The member's public profile.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.user_id))
            .await
    }

    /// The team.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        loader::<TeamLoaders>(ctx)
            .load_one(TeamById(self.team_id))
            .await
    }
}

impl Target for Team {
    const RESOURCE: Resource = Resource::Team;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<TeamLoaders>(ctx)
            .load_one(TeamById(id))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(Holder::Team(self.id)))
    }
}

fn user_id_of(id: &ID, field: &str) -> AppResult<Uuid> {
    GlobalId::decode_uuid(id, NodeType::User, field)
}

#[derive(Default)]
pub struct TeamQuery;

#[Object]
impl TeamQuery {
    /// A team the caller belongs to; `null` otherwise.
    #[graphql(guard = "Need::matrix(Resource::Team, Action::Read)")]
    async fn team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a Team.")] id: ID,
    ) -> async_graphql::Result<Option<Team>> {
        match load_authorized::<Team>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::Team, "id")?,
            Action::Read,
        )
        .await
        {
            Ok(team) => Ok(Some(team)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The teams the caller belongs to, by name.
    #[graphql(guard = "Need::matrix(Resource::Team, Action::Read)")]
    async fn my_teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<Team>> {
        let user_id = require_user(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let mut conn = app(ctx).db.conn().await?;
        let total = service::count_for_user(&mut conn, user_id).await?;
        let window = args.window(total)?;
        let rows = service::page_for_user(&mut conn, user_id, window).await?;
        Ok(pagination::connection(window, total, rows))
    }
}

/// The input of `createTeam`.
#[derive(InputObject)]
pub struct CreateTeamInput {
    /// 1 to 100 characters.
    pub name: String,
    /// What the team is for (optional).
    pub description: Option<String>,
}

/// The input of `updateTeam`.
#[derive(InputObject)]
pub struct UpdateTeamInput {
    /// ID of the team.
    pub team_id: ID,
    /// New name (omit to keep).
    pub name: Option<String>,
    /// `null` clears it.
    pub description: MaybeUndefined<String>,
}

/// The input of `deleteTeam`.
#[derive(InputObject)]
pub struct DeleteTeamInput {
    /// ID of the team.
    pub team_id: ID,
}

/// The input of `addTeamMember`.
#[derive(InputObject)]
pub struct AddTeamMemberInput {
    /// ID of the team.
    pub team_id: ID,
    /// Email of an existing account.
    pub email: String,
    /// Any role but OWNER (ownership moves with transferTeamOwnership).
    pub role: TeamRole,
}

/// The input of `updateTeamMemberRole`.
#[derive(InputObject)]
pub struct UpdateTeamMemberRoleInput {
    /// ID of the team.
    pub team_id: ID,
    /// ID of the member's user.
    pub user_id: ID,
    /// The new role; never OWNER (use `transferTeamOwnership`).
    pub role: TeamRole,
}

/// The input of `removeTeamMember`.
#[derive(InputObject)]
pub struct RemoveTeamMemberInput {
    /// ID of the team.
    pub team_id: ID,
    /// ID of the member's user.
    pub user_id: ID,
}

/// The input of `leaveTeam`.
#[derive(InputObject)]
pub struct LeaveTeamInput {
    /// ID of the team.
    pub team_id: ID,
}

/// The input of `transferTeamOwnership`.
#[derive(InputObject)]
pub struct TransferTeamOwnershipInput {
    /// ID of the team.
    pub team_id: ID,
    /// A member who becomes OWNER; the current owner becomes ADMIN.
    pub user_id: ID,
}

/// What `createTeam` returns.
#[derive(SimpleObject)]
pub struct CreateTeamPayload {
    /// The team, as it is now.
    pub team: Team,
}

/// What `updateTeam` returns.
#[derive(SimpleObject)]
pub struct UpdateTeamPayload {
    /// The team, as it is now.
    pub team: Team,
}

/// What `deleteTeam` returns.
#[derive(SimpleObject)]
pub struct DeleteTeamPayload {
    /// ID of the team, now deleted.
    pub deleted_team_id: ID,
}

/// What `addTeamMember` returns.
#[derive(SimpleObject)]
pub struct AddTeamMemberPayload {
    /// The member, as it is now.
    pub member: TeamMember,
}

/// What `updateTeamMemberRole` returns.
#[derive(SimpleObject)]
pub struct UpdateTeamMemberRolePayload {
    /// The member, as it is now.
    pub member: TeamMember,
}

/// What `removeTeamMember` returns.
#[derive(SimpleObject)]
pub struct RemoveTeamMemberPayload {
    /// The membership as it was.
    pub member: TeamMember,
}

/// What `leaveTeam` returns.
#[derive(SimpleObject)]
pub struct LeaveTeamPayload {
    /// ID of the team the caller left.
    pub left_team_id: ID,
}

/// What `transferTeamOwnership` returns.
#[derive(SimpleObject)]
pub struct TransferTeamOwnershipPayload {
    /// The team, as it is now.
    pub team: Team,
}

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Creates a team; the caller becomes its OWNER.
    #[graphql(guard = "Need::session()")]
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createTeam`.")] input: CreateTeamInput,
    ) -> async_graphql::Result<CreateTeamPayload> {
        let user_id = require_user(ctx)?;
        let team = service::create_team(app(ctx), user_id, &input.name, input.description).await?;
        Ok(CreateTeamPayload { team })
    }

    /// Renames or re-describes a team (ADMIN).
    #[graphql(guard = "Need::matrix(Resource::Team, Action::Update)")]
    async fn update_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateTeam`.")] input: UpdateTeamInput,
    ) -> async_graphql::Result<UpdateTeamPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(ctx, Holder::Team(team_id), Resource::Team, Action::Update).await?;
        let team = service::update_team(app(ctx), team_id, input.name, input.description).await?;
        Ok(UpdateTeamPayload { team })
    }

    /// Deletes a team and everything it holds (OWNER).
    #[graphql(guard = "Need::matrix(Resource::Team, Action::Delete)")]
    async fn delete_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteTeam`.")] input: DeleteTeamInput,
    ) -> async_graphql::Result<DeleteTeamPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(ctx, Holder::Team(team_id), Resource::Team, Action::Delete).await?;
        service::delete_team(app(ctx), require_user(ctx)?, team_id).await?;
        Ok(DeleteTeamPayload {
            deleted_team_id: input.team_id,
        })
    }

    /// Adds an existing account to the team (ADMIN; never as OWNER).
    #[graphql(guard = "Need::matrix(Resource::TeamMember, Action::Create)")]
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `addTeamMember`.")] input: AddTeamMemberInput,
    ) -> async_graphql::Result<AddTeamMemberPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(
            ctx,
            Holder::Team(team_id),
            Resource::TeamMember,
            Action::Create,
        )
        .await?;
        let member = service::add_member(
            app(ctx),
            require_user(ctx)?,
            team_id,
            &input.email,
            input.role,
        )
        .await?;
        Ok(AddTeamMemberPayload { member })
    }

    /// Changes a member's role (ADMIN; not the OWNER's, never to OWNER).
    #[graphql(guard = "Need::matrix(Resource::TeamMember, Action::Update)")]
    async fn update_team_member_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateTeamMemberRole`.")] input: UpdateTeamMemberRoleInput,
    ) -> async_graphql::Result<UpdateTeamMemberRolePayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        let user_id = user_id_of(&input.user_id, "userId")?;
        authorize(
            ctx,
            Holder::Team(team_id),
            Resource::TeamMember,
            Action::Update,
        )
        .await?;
        let member =
            service::update_member_role(app(ctx), require_user(ctx)?, team_id, user_id, input.role)
                .await?;
        Ok(UpdateTeamMemberRolePayload { member })
    }

    /// Removes a member (ADMIN; not the OWNER).
    #[graphql(guard = "Need::matrix(Resource::TeamMember, Action::Delete)")]
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `removeTeamMember`.")] input: RemoveTeamMemberInput,
    ) -> async_graphql::Result<RemoveTeamMemberPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        let user_id = user_id_of(&input.user_id, "userId")?;
        authorize(
            ctx,
            Holder::Team(team_id),
            Resource::TeamMember,
            Action::Delete,
        )
        .await?;
        let member = service::remove_member(app(ctx), require_user(ctx)?, team_id, user_id).await?;
        Ok(RemoveTeamMemberPayload { member })
    }

    /// Leaves a team (any member but the OWNER).
    #[graphql(guard = "Need::matrix(Resource::TeamMember, Action::Leave)")]
    async fn leave_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `leaveTeam`.")] input: LeaveTeamInput,
    ) -> async_graphql::Result<LeaveTeamPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(
            ctx,
            Holder::Team(team_id),
            Resource::TeamMember,
            Action::Leave,
        )
        .await?;
        service::leave(app(ctx), require_user(ctx)?, team_id).await?;
        Ok(LeaveTeamPayload {
            left_team_id: input.team_id,
        })
    }

    /// Makes another member the OWNER; the caller becomes ADMIN (OWNER only).
    #[graphql(guard = "Need::matrix(Resource::Team, Action::TransferOwnership)")]
    async fn transfer_team_ownership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `transferTeamOwnership`.")]
        input: TransferTeamOwnershipInput,
    ) -> async_graphql::Result<TransferTeamOwnershipPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        let user_id = user_id_of(&input.user_id, "userId")?;
        authorize(
            ctx,
            Holder::Team(team_id),
            Resource::Team,
            Action::TransferOwnership,
        )
        .await?;
        let team =
            service::transfer_ownership(app(ctx), require_user(ctx)?, team_id, user_id).await?;
        Ok(TransferTeamOwnershipPayload { team })
    }
}
