//! `Project`: assets and generation requests around a brief.

use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::{Need, OnParent};
use crate::authz::roles::{load_authorized, Target};
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use crate::teams::loaders::TeamLoaders;
use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use uuid::Uuid;

use super::{children, loader_error, reach};
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource, Role};
use crate::authz::roles::{can, role_on, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::studio::loaders::{
    BrandKitById, ProjectAssets, ProjectById, TemplateById, WorkbenchById,
};
use crate::studio::model::{Asset, BrandKit, Project, Template, Workbench};
use crate::studio::service::projects::{
    self, ProjectFilter, ProjectOrder, ProjectQuery as DecodedFilter,
};
use crate::teams::loaders::TeamById;
use crate::teams::model::Team;

/// What the caller may do with a project.
#[derive(SimpleObject)]
pub struct ProjectViewerCan {
    /// Whether the caller may update it.
    pub update: bool,
    /// Whether the caller may delete it.
    pub delete: bool,
    /// Whether the caller may restore it.
    pub restore: bool,
    /// Whether the caller may upload assets here.
    pub upload_asset: bool,
    /// Whether the caller may request generations here.
    pub request_generation: bool,
}

#[ComplexObject]
impl Project {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Project, self.id)
    }

    /// The project's generation requests, newest first (its readers see them).
    async fn generation_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list (`projectId` is ignored).")] filter: Option<
            crate::generation::history::GenerationHistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<
        crate::graphql::pagination::Conn<crate::generation::model::GenerationRequest>,
    > {
        let filter = filter.map(|f| crate::generation::history::GenerationHistoryFilter {
            project_id: None,
            ..f
        });
        Ok(crate::generation::history::connection(
            crate::graphql::app(ctx),
            crate::generation::history::Of::Project(self.id),
            filter,
            first,
            after,
        )
        .await?)
    }

    /// The workbench it belongs to.
    async fn workbench(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Workbench>> {
        loader::<StudioLoaders>(ctx)
            .load_one(WorkbenchById(self.workbench_id))
            .await
    }

    /// The team holding it; `null` for a personal project.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        match self.team_id {
            Some(id) => loader::<TeamLoaders>(ctx).load_one(TeamById(id)).await,
            None => Ok(None),
        }
    }

    /// The workbench's owner (denormalized).
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.user_id))
            .await
    }

    /// The template it started from.
    async fn template(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Template>> {
        let Some(id) = self.template_id else {
            return Ok(None);
        };
        // A project only ever points at a public template or one of its own holder
        // (checked when it is set), so whoever reads the project may read it.
        loader::<StudioLoaders>(ctx)
            .load_one(TemplateById(id))
            .await
    }

    /// Its brand kit override.
    async fn brand_kit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BrandKit>> {
        let Some(id) = self.brand_kit_id else {
            return Ok(None);
        };
        // Set only to a kit of the project's own holder (checked when it is set).
        loader::<StudioLoaders>(ctx)
            .load_one(BrandKitById(id))
            .await
    }

    /// Its assets, oldest first; `deleted: true` lists the soft-deleted ones (ADMIN).
    #[graphql(
        guard = "OnParent::matrix(self.holder(), Resource::Asset, Action::ReadDeleted).when(deleted)"
    )]
    async fn assets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
        #[graphql(default, desc = "List soft-deleted assets instead (ADMIN).")] deleted: bool,
    ) -> async_graphql::Result<Conn<Asset>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        children::<ProjectAssets>(ctx, &args, self.id, deleted).await
    }

    /// The caller's role here.
    async fn my_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Role> {
        Ok(role_on(ctx, self.holder()).await?)
    }

    /// What the caller may do here.
    async fn viewer_can(&self, ctx: &Context<'_>) -> async_graphql::Result<ProjectViewerCan> {
        let h = self.holder();
        Ok(ProjectViewerCan {
            update: can(ctx, h, Resource::Project, Action::Update).await?,
            delete: can(ctx, h, Resource::Project, Action::Delete).await?,
            restore: can(ctx, h, Resource::Project, Action::Restore).await?,
            upload_asset: can(ctx, h, Resource::Asset, Action::Create).await?,
            request_generation: can(ctx, h, Resource::GenerationRequest, Action::Create).await?,
        })
    }
}

impl Target for Project {
    const RESOURCE: Resource = Resource::Project;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<StudioLoaders>(ctx)
            .load_one(ProjectById(id))
            .await
            .map_err(loader_error)
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(Project::holder(self)))
    }

    fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// A project the caller can read; `null` otherwise. `deleted: true` finds a
    /// soft-deleted one (ADMIN).
    #[graphql(guard = "Need::matrix(Resource::Project, Action::Read)")]
    async fn project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a Project.")] id: ID,
        #[graphql(default, desc = "Find it although soft-deleted (ADMIN).")] deleted: bool,
    ) -> async_graphql::Result<Option<Project>> {
        let action = if deleted {
            Action::ReadDeleted
        } else {
            Action::Read
        };
        match load_authorized::<Project>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::Project, "id")?,
            action,
        )
        .await
        {
            Ok(p) if deleted == p.deleted_at.is_some() => Ok(Some(p)),
            // Deleted rows are absent unless the caller may see them: null, not an error.
            Ok(_) | Err(AppError::NotFound(_)) => Ok(None),
            Err(AppError::Forbidden) if deleted => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The projects the caller can read, filtered and sorted.
    #[expect(
        clippy::too_many_arguments,
        reason = "the four Relay connection arguments"
    )]
    #[graphql(guard = "Need::matrix(Resource::Project, Action::Read)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ProjectFilter>,
        #[graphql(desc = "Sort order (default: most recently updated first).")] order_by: Option<
            ProjectOrder,
        >,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<Project>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let filter = filter.unwrap_or_default();
        let decoded = DecodedFilter {
            workbench_id: filter
                .workbench_id
                .as_ref()
                .map(|id| GlobalId::decode_uuid(id, NodeType::Workbench, "workbenchId"))
                .transpose()?,
            team_id: filter
                .team_id
                .as_ref()
                .map(|id| GlobalId::decode_uuid(id, NodeType::Team, "teamId"))
                .transpose()?,
            search: filter.search,
            target_platform: filter.target_platform,
            deleted: filter.deleted,
        };
        let reach = reach(ctx, Resource::Project).await?;
        let mut conn = app(ctx).db.conn().await?;
        let total = projects::count_visible(&mut conn, &reach, &decoded).await?;
        let window = args.window(total)?;
        let rows = projects::page_visible(
            &mut conn,
            &reach,
            &decoded,
            order_by.unwrap_or_default(),
            window,
        )
        .await?;
        Ok(pagination::connection(window, total, rows))
    }
}
