//! `Workbench`: a container of projects, personal or a team's.

use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::{Need, OnParent};
use crate::authz::roles::{load_authorized, Target};
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use crate::teams::loaders::TeamLoaders;
use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use uuid::Uuid;

use super::{children, loader_error, reach};
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource, Role};
use crate::authz::require_user;
use crate::authz::roles::{authorize, can, role_on, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::studio::loaders::{BrandKitById, WorkbenchById, WorkbenchProjects};
use crate::studio::model::{BrandKit, Project, Workbench};
use crate::studio::service::{validate, workbenches};
use crate::teams::loaders::TeamById;
use crate::teams::model::Team;

/// What the caller may do with a workbench.
#[derive(SimpleObject)]
pub struct WorkbenchViewerCan {
    /// Whether the caller may update it.
    pub update: bool,
    /// Whether the caller may delete it.
    pub delete: bool,
    /// Whether the caller may create projects here.
    pub create_project: bool,
}

#[ComplexObject]
impl Workbench {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Workbench, self.id)
    }

    /// The team holding it; `null` for a personal workbench.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        match self.team_id {
            Some(id) => loader::<TeamLoaders>(ctx).load_one(TeamById(id)).await,
            None => Ok(None),
        }
    }

    /// Who created it (for a personal workbench, its owner).
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.user_id))
            .await
    }

    /// The brand kit new projects start with.
    async fn default_brand_kit(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<BrandKit>> {
        let Some(id) = self.default_brand_kit_id else {
            return Ok(None);
        };
        // Set only to a kit of the workbench's own holder (checked when it is set).
        loader::<StudioLoaders>(ctx)
            .load_one(BrandKitById(id))
            .await
    }

    /// Its projects, most recently updated first; `deleted: true` lists the
    /// soft-deleted ones instead (ADMIN).
    #[graphql(
        guard = "OnParent::matrix(self.holder(), Resource::Project, Action::ReadDeleted).when(deleted)"
    )]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(default, desc = "List soft-deleted projects instead (ADMIN).")] deleted: bool,
    ) -> async_graphql::Result<Conn<Project>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        children::<WorkbenchProjects>(ctx, &args, self.id, deleted).await
    }

    /// The caller's role here.
    async fn my_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Role> {
        Ok(role_on(ctx, self.holder()).await?)
    }

    /// What the caller may do here.
    async fn viewer_can(&self, ctx: &Context<'_>) -> async_graphql::Result<WorkbenchViewerCan> {
        let h = self.holder();
        Ok(WorkbenchViewerCan {
            update: can(ctx, h, Resource::Workbench, Action::Update).await?,
            delete: can(ctx, h, Resource::Workbench, Action::Delete).await?,
            create_project: can(ctx, h, Resource::Project, Action::Create).await?,
        })
    }
}

impl Target for Workbench {
    const RESOURCE: Resource = Resource::Workbench;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<StudioLoaders>(ctx)
            .load_one(WorkbenchById(id))
            .await
            .map_err(loader_error)
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(Workbench::holder(self)))
    }
}

/// A brand kit usable by things held by `holder`: readable, and held by the same owner.
pub(crate) async fn brand_kit_for(
    ctx: &Context<'_>,
    id: &ID,
    field: &str,
    holder: Holder,
) -> AppResult<Uuid> {
    let kit_id = GlobalId::decode_uuid(id, NodeType::BrandKit, field)?;
    let kit = loader::<StudioLoaders>(ctx)
        .load_one(BrandKitById(kit_id))
        .await
        .map_err(loader_error)?;
    match kit {
        Some(kit) if kit.holder() == holder => Ok(kit.id),
        _ => Err(AppError::bad_input(
            field,
            "no such brand kit in this team or account",
        )),
    }
}

fn team_of(id: &Option<ID>) -> AppResult<Option<Uuid>> {
    id.as_ref()
        .map(|id| GlobalId::decode_uuid(id, NodeType::Team, "teamId"))
        .transpose()
}

#[derive(Default)]
pub struct WorkbenchQuery;

#[Object]
impl WorkbenchQuery {
    /// A workbench the caller can read; `null` otherwise.
    #[graphql(guard = "Need::matrix(Resource::Workbench, Action::Read)")]
    async fn workbench(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a Workbench.")] id: ID,
    ) -> async_graphql::Result<Option<Workbench>> {
        match load_authorized::<Workbench>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::Workbench, "id")?,
            Action::Read,
        )
        .await
        {
            Ok(w) => Ok(Some(w)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The workbenches the caller can read (optionally one team's), by name.
    #[graphql(guard = "Need::matrix(Resource::Workbench, Action::Read)")]
    async fn workbenches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A team's workbenches; omitted: the caller's personal ones.")]
        team_id: Option<ID>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<Workbench>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let team_id = team_of(&team_id)?;
        let reach = reach(ctx, Resource::Workbench).await?;
        let mut conn = app(ctx).db.conn().await?;
        let total = workbenches::count_visible(&mut conn, &reach, team_id).await?;
        let window = args.window(total)?;
        let rows = workbenches::page_visible(&mut conn, &reach, team_id, window).await?;
        Ok(pagination::connection(window, total, rows))
    }
}

/// The input of `createWorkbench`.
#[derive(InputObject)]
pub struct CreateWorkbenchInput {
    /// 1 to 100 characters.
    pub name: String,
    /// The team to create it in (EDITOR); omitted for a personal workbench.
    pub team_id: Option<ID>,
    /// A brand kit of the same team (or of the caller, for a personal workbench).
    pub default_brand_kit_id: Option<ID>,
}

/// The input of `updateWorkbench`.
#[derive(InputObject)]
pub struct UpdateWorkbenchInput {
    /// ID of the workbench to update.
    pub id: ID,
    /// New name (omit to keep).
    pub name: Option<String>,
    /// `null` clears it.
    pub default_brand_kit_id: MaybeUndefined<ID>,
}

/// The input of `deleteWorkbench`.
#[derive(InputObject)]
pub struct DeleteWorkbenchInput {
    /// ID of the workbench to delete.
    pub id: ID,
}

/// What `createWorkbench` returns.
#[derive(SimpleObject)]
pub struct CreateWorkbenchPayload {
    /// The workbench, as it is now.
    pub workbench: Workbench,
}

/// What `updateWorkbench` returns.
#[derive(SimpleObject)]
pub struct UpdateWorkbenchPayload {
    /// The workbench, as it is now.
    pub workbench: Workbench,
}

/// What `deleteWorkbench` returns.
#[derive(SimpleObject)]
pub struct DeleteWorkbenchPayload {
    /// ID of the workbench, now deleted.
    pub deleted_workbench_id: ID,
}

#[derive(Default)]
pub struct WorkbenchMutation;

#[Object]
impl WorkbenchMutation {
    /// Creates a workbench, personal or in a team (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::Workbench, Action::Create)")]
    async fn create_workbench(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createWorkbench`.")] input: CreateWorkbenchInput,
    ) -> async_graphql::Result<CreateWorkbenchPayload> {
        let user_id = require_user(ctx)?;
        let team_id = team_of(&input.team_id)?;
        let holder = Holder::of(team_id, user_id);
        authorize(ctx, holder, Resource::Workbench, Action::Create).await?;
        let name = validate::name("name", &input.name, 100)?;
        let kit = match &input.default_brand_kit_id {
            Some(id) => Some(brand_kit_for(ctx, id, "defaultBrandKitId", holder).await?),
            None => None,
        };
        let mut conn = app(ctx).db.conn().await?;
        let workbench = workbenches::create(&mut conn, user_id, team_id, &name, kit).await?;
        Ok(CreateWorkbenchPayload { workbench })
    }

    /// Renames a workbench or changes its default brand kit (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::Workbench, Action::Update)")]
    async fn update_workbench(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateWorkbench`.")] input: UpdateWorkbenchInput,
    ) -> async_graphql::Result<UpdateWorkbenchPayload> {
        let workbench = load_authorized::<Workbench>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Workbench, "id")?,
            Action::Update,
        )
        .await?;
        let changes = workbenches::WorkbenchChanges {
            name: input
                .name
                .as_deref()
                .map(|n| validate::name("name", n, 100))
                .transpose()?,
            default_brand_kit_id: match &input.default_brand_kit_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(
                    brand_kit_for(ctx, id, "defaultBrandKitId", workbench.holder()).await?,
                )),
            },
        };
        let mut conn = app(ctx).db.conn().await?;
        let workbench = workbenches::update(&mut conn, workbench.id, changes).await?;
        Ok(UpdateWorkbenchPayload { workbench })
    }

    /// Deletes a workbench and its projects (ADMIN).
    #[graphql(guard = "Need::matrix(Resource::Workbench, Action::Delete)")]
    async fn delete_workbench(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteWorkbench`.")] input: DeleteWorkbenchInput,
    ) -> async_graphql::Result<DeleteWorkbenchPayload> {
        let workbench = load_authorized::<Workbench>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Workbench, "id")?,
            Action::Delete,
        )
        .await?;
        let mut conn = app(ctx).db.conn().await?;
        workbenches::delete(&mut conn, workbench.id).await?;
        Ok(DeleteWorkbenchPayload {
            deleted_workbench_id: input.id,
        })
    }
}
