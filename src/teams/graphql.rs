//! Teams and members in the schema.

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
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::graphql::{app, loaders};

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
    async fn credit_transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Type and date range.")] filter: Option<
            crate::credits::history::HistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<crate::credits::model::CreditTransaction>> {
        authorize(
            ctx,
            Holder::Team(self.id),
            Resource::TeamCredits,
            Action::Read,
        )
        .await?;
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
    async fn usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Action type and date range.")] filter: Option<
            crate::credits::history::HistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<crate::credits::model::UsageLog>> {
        authorize(
            ctx,
            Holder::Team(self.id),
            Resource::TeamCredits,
            Action::Read,
        )
        .await?;
        let ledger = crate::credits::history::Ledger::Team(self.id);
        Ok(
            crate::credits::history::usage_connection(app(ctx), ledger, filter, first, after)
                .await?,
        )
    }

    /// The owner's public profile.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loaders(ctx).load_one(UserById(self.owner_id)).await
    }

    /// Members, strongest role first.
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Conn<TeamMember>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let all = loaders(ctx)
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
            leave: allowed(Resource::TeamMember, Action::Leave).await? && role != Role::Owner,
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
        loaders(ctx).load_one(UserById(self.user_id)).await
    }

    /// The team.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        loaders(ctx).load_one(TeamById(self.team_id)).await
    }
}

/// A team the caller can read, or `NOT_FOUND`.
pub(crate) async fn readable_team(ctx: &Context<'_>, id: &ID, field: &str) -> AppResult<Team> {
    let team_id = GlobalId::decode_uuid(id, NodeType::Team, field)?;
    authorize(ctx, Holder::Team(team_id), Resource::Team, Action::Read).await?;
    loaders(ctx)
        .load_one(TeamById(team_id))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))?
        .ok_or(AppError::NotFound("team"))
}

fn user_id_of(id: &ID, field: &str) -> AppResult<Uuid> {
    GlobalId::decode_uuid(id, NodeType::User, field)
}

#[derive(Default)]
pub struct TeamQuery;

#[Object(guard = "crate::authz::policy::RootGuard::query()")]
impl TeamQuery {
    /// A team the caller belongs to; `null` otherwise.
    async fn team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a Team.")] id: ID,
    ) -> async_graphql::Result<Option<Team>> {
        match readable_team(ctx, &id, "id").await {
            Ok(team) => Ok(Some(team)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The teams the caller belongs to, by name.
    async fn my_teams(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
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

#[derive(InputObject)]
pub struct CreateTeamInput {
    /// 1 to 100 characters.
    pub name: String,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTeamInput {
    pub team_id: ID,
    pub name: Option<String>,
    /// `null` clears it.
    pub description: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct DeleteTeamInput {
    pub team_id: ID,
}

#[derive(InputObject)]
pub struct AddTeamMemberInput {
    pub team_id: ID,
    /// Email of an existing account.
    pub email: String,
    /// Any role but OWNER (ownership moves with transferTeamOwnership).
    pub role: TeamRole,
}

#[derive(InputObject)]
pub struct UpdateTeamMemberRoleInput {
    pub team_id: ID,
    pub user_id: ID,
    pub role: TeamRole,
}

#[derive(InputObject)]
pub struct RemoveTeamMemberInput {
    pub team_id: ID,
    pub user_id: ID,
}

#[derive(InputObject)]
pub struct LeaveTeamInput {
    pub team_id: ID,
}

#[derive(InputObject)]
pub struct TransferTeamOwnershipInput {
    pub team_id: ID,
    /// A member who becomes OWNER; the current owner becomes ADMIN.
    pub user_id: ID,
}

#[derive(SimpleObject)]
pub struct CreateTeamPayload {
    pub team: Team,
}

#[derive(SimpleObject)]
pub struct UpdateTeamPayload {
    pub team: Team,
}

#[derive(SimpleObject)]
pub struct DeleteTeamPayload {
    pub deleted_team_id: ID,
}

#[derive(SimpleObject)]
pub struct AddTeamMemberPayload {
    pub member: TeamMember,
}

#[derive(SimpleObject)]
pub struct UpdateTeamMemberRolePayload {
    pub member: TeamMember,
}

#[derive(SimpleObject)]
pub struct RemoveTeamMemberPayload {
    /// The membership as it was.
    pub member: TeamMember,
}

#[derive(SimpleObject)]
pub struct LeaveTeamPayload {
    pub left_team_id: ID,
}

#[derive(SimpleObject)]
pub struct TransferTeamOwnershipPayload {
    pub team: Team,
}

#[derive(Default)]
pub struct TeamMutation;

#[Object(guard = "crate::authz::policy::RootGuard::mutation()")]
impl TeamMutation {
    /// Creates a team; the caller becomes its OWNER.
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        input: CreateTeamInput,
    ) -> async_graphql::Result<CreateTeamPayload> {
        let user_id = require_user(ctx)?;
        let team = service::create_team(app(ctx), user_id, &input.name, input.description).await?;
        Ok(CreateTeamPayload { team })
    }

    /// Renames or re-describes a team (ADMIN).
    async fn update_team(
        &self,
        ctx: &Context<'_>,
        input: UpdateTeamInput,
    ) -> async_graphql::Result<UpdateTeamPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(ctx, Holder::Team(team_id), Resource::Team, Action::Update).await?;
        let team = service::update_team(app(ctx), team_id, input.name, input.description).await?;
        Ok(UpdateTeamPayload { team })
    }

    /// Deletes a team and everything it holds (OWNER).
    async fn delete_team(
        &self,
        ctx: &Context<'_>,
        input: DeleteTeamInput,
    ) -> async_graphql::Result<DeleteTeamPayload> {
        let team_id = GlobalId::decode_uuid(&input.team_id, NodeType::Team, "teamId")?;
        authorize(ctx, Holder::Team(team_id), Resource::Team, Action::Delete).await?;
        service::delete_team(app(ctx), require_user(ctx)?, team_id).await?;
        Ok(DeleteTeamPayload {
            deleted_team_id: input.team_id,
        })
    }

    /// Adds an existing account to the team (ADMIN; never as OWNER).
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        input: AddTeamMemberInput,
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
    async fn update_team_member_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateTeamMemberRoleInput,
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
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveTeamMemberInput,
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
    async fn leave_team(
        &self,
        ctx: &Context<'_>,
        input: LeaveTeamInput,
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
    async fn transfer_team_ownership(
        &self,
        ctx: &Context<'_>,
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
