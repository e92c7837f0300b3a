//! `Project`: assets and generation requests around a brief.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};

use super::{children, loader_error, reach};
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource, Role};
use crate::authz::roles::{authorize, can, role_on};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::graphql::{app, loaders};
use crate::studio::loaders::{
    BrandKitById, ProjectAssets, ProjectById, TemplateById, WorkbenchById,
};
use crate::studio::model::{Asset, BrandKit, Project, Template, Workbench};
use crate::studio::projects::{self, ProjectFilter, ProjectOrder, ProjectQuery as DecodedFilter};
use crate::teams::loaders::TeamById;
use crate::teams::model::Team;

/// What the caller may do with a project.
#[derive(SimpleObject)]
pub struct ProjectViewerCan {
    pub update: bool,
    pub delete: bool,
    pub restore: bool,
    pub upload_asset: bool,
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
        loaders(ctx)
            .load_one(WorkbenchById(self.workbench_id))
            .await
    }

    /// The team holding it; `null` for a personal project.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        match self.team_id {
            Some(id) => loaders(ctx).load_one(TeamById(id)).await,
            None => Ok(None),
        }
    }

    /// The workbench's owner (denormalized).
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loaders(ctx).load_one(UserById(self.user_id)).await
    }

    /// The template it started from.
    async fn template(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Template>> {
        let Some(id) = self.template_id else {
            return Ok(None);
        };
        // A project only ever points at a public template or one of its own holder
        // (checked when it is set), so whoever reads the project may read it.
        loaders(ctx).load_one(TemplateById(id)).await
    }

    /// Its brand kit override.
    async fn brand_kit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BrandKit>> {
        let Some(id) = self.brand_kit_id else {
            return Ok(None);
        };
        // Set only to a kit of the project's own holder (checked when it is set).
        loaders(ctx).load_one(BrandKitById(id)).await
    }

    /// Its assets, oldest first; `deleted: true` lists the soft-deleted ones (ADMIN).
    async fn assets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default)] deleted: bool,
    ) -> async_graphql::Result<Conn<Asset>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        if deleted && !can(ctx, self.holder(), Resource::Asset, Action::ReadDeleted).await? {
            return Err(AppError::Forbidden.into());
        }
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

/// A project the caller may do `action` on. Deleted projects are found only for
/// restoring (or when `with_deleted` is asked by someone allowed to read them).
pub(crate) async fn project_for(
    ctx: &Context<'_>,
    id: &ID,
    field: &str,
    action: Action,
) -> AppResult<Project> {
    let id = GlobalId::decode_uuid(id, NodeType::Project, field)?;
    let project = loaders(ctx)
        .load_one(ProjectById(id))
        .await
        .map_err(loader_error)?
        .ok_or(AppError::NotFound("project"))?;
    let deleted = project.deleted_at.is_some();
    match (deleted, action) {
        (true, Action::Restore | Action::ReadDeleted) | (false, _) => {}
        (true, _) => return Err(AppError::NotFound("project")),
    }
    authorize(ctx, project.holder(), Resource::Project, action).await?;
    Ok(project)
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object(guard = "crate::authz::policy::RootGuard::query()")]
impl ProjectQuery {
    /// A project the caller can read; `null` otherwise. `deleted: true` finds a
    /// soft-deleted one (ADMIN).
    async fn project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default)] deleted: bool,
    ) -> async_graphql::Result<Option<Project>> {
        let action = if deleted {
            Action::ReadDeleted
        } else {
            Action::Read
        };
        match project_for(ctx, &id, "id", action).await {
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
    async fn projects(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProjectFilter>,
        order_by: Option<ProjectOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
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
