//! `Project`: assets and generation requests around a brief.

use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use uuid::Uuid;

use super::workbench::{brand_kit_for, workbench_for};
use super::{children, loader_error, reach};
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource, Role};
use crate::authz::require_user;
use crate::authz::roles::{authorize, can, role_on, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::graphql::{app, loaders};
use crate::studio::loaders::{
    BrandKitById, ProjectAssets, ProjectById, TemplateById, WorkbenchById,
};
use crate::studio::model::{Asset, BrandKit, Project, Template, Workbench};
use crate::studio::projects::{
    self, NewProject, ProjectChanges, ProjectFilter, ProjectOrder, ProjectQuery as DecodedFilter,
};
use crate::studio::validate;
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

/// A template usable by a project held by `holder`: public, or private to the same owner.
async fn template_for(ctx: &Context<'_>, id: &ID, holder: Holder) -> AppResult<Uuid> {
    let template_id = GlobalId::decode_uuid(id, NodeType::Template, "templateId")?;
    let template = loaders(ctx)
        .load_one(TemplateById(template_id))
        .await
        .map_err(loader_error)?;
    match template {
        Some(t) if t.is_public || t.holder() == holder => Ok(t.id),
        _ => Err(AppError::bad_input(
            "templateId",
            "no such template available here",
        )),
    }
}

fn platform(raw: Option<String>) -> AppResult<Option<String>> {
    let platform = validate::optional_text("targetPlatform", raw, 50)?;
    if platform.as_deref().is_some_and(|p| {
        !p.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }) {
        return Err(AppError::bad_input(
            "targetPlatform",
            "letters, digits, '_' and '-' only, e.g. InstagramStory",
        ));
    }
    Ok(platform)
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

#[derive(InputObject)]
pub struct CreateProjectInput {
    pub workbench_id: ID,
    /// 1 to 100 characters.
    pub name: String,
    /// A public template, or a private one of the same team (or account).
    pub template_id: Option<ID>,
    /// Overrides the workbench's default brand kit.
    pub brand_kit_id: Option<ID>,
    /// e.g. `InstagramStory`, `TikTok`.
    pub target_platform: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateProjectInput {
    pub id: ID,
    pub name: Option<String>,
    pub target_platform: MaybeUndefined<String>,
    pub template_id: MaybeUndefined<ID>,
    pub brand_kit_id: MaybeUndefined<ID>,
    /// The canvas state; sets `lastCollaboratedAt`.
    pub collaboration_state: MaybeUndefined<serde_json::Value>,
}

#[derive(InputObject)]
pub struct DeleteProjectInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct RestoreProjectInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct CreateProjectPayload {
    pub project: Project,
}

#[derive(SimpleObject)]
pub struct UpdateProjectPayload {
    pub project: Project,
}

#[derive(SimpleObject)]
pub struct DeleteProjectPayload {
    /// The project, now soft-deleted.
    pub project: Project,
}

#[derive(SimpleObject)]
pub struct RestoreProjectPayload {
    pub project: Project,
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object(guard = "crate::authz::policy::RootGuard::mutation()")]
impl ProjectMutation {
    /// Creates a project in a workbench (EDITOR of its team, or its owner).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> async_graphql::Result<CreateProjectPayload> {
        let user_id = require_user(ctx)?;
        let workbench =
            workbench_for(ctx, &input.workbench_id, "workbenchId", Action::Read).await?;
        let holder = workbench.holder();
        authorize(ctx, holder, Resource::Project, Action::Create).await?;
        let name = validate::name("name", &input.name, 100)?;
        let template_id = match &input.template_id {
            Some(id) => Some(template_for(ctx, id, holder).await?),
            None => None,
        };
        let brand_kit_id = match &input.brand_kit_id {
            Some(id) => Some(brand_kit_for(ctx, id, "brandKitId", holder).await?),
            None => workbench.default_brand_kit_id,
        };
        let mut conn = app(ctx).db.conn().await?;
        let project = projects::create(
            &mut conn,
            user_id,
            NewProject {
                workbench_id: workbench.id,
                name,
                template_id,
                brand_kit_id,
                target_platform: platform(input.target_platform)?,
            },
        )
        .await?;
        Ok(CreateProjectPayload { project })
    }

    /// Changes a project (EDITOR).
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectInput,
    ) -> async_graphql::Result<UpdateProjectPayload> {
        let project = project_for(ctx, &input.id, "id", Action::Update).await?;
        let holder = project.holder();
        let mut changes = ProjectChanges {
            name: input
                .name
                .as_deref()
                .map(|n| validate::name("name", n, 100))
                .transpose()?,
            ..Default::default()
        };
        changes.target_platform = match input.target_platform {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(p) => Some(platform(Some(p))?),
        };
        changes.template_id = match &input.template_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(template_for(ctx, id, holder).await?)),
        };
        changes.brand_kit_id = match &input.brand_kit_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => {
                Some(Some(brand_kit_for(ctx, id, "brandKitId", holder).await?))
            }
        };
        if let MaybeUndefined::Value(state) = &input.collaboration_state {
            if state.to_string().len() > 5 * 1024 * 1024 {
                return Err(AppError::bad_input("collaborationState", "at most 5 MiB").into());
            }
        }
        match input.collaboration_state {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => {
                changes.collaboration_state = Some(None);
                changes.last_collaborated_at = Some(Some(chrono::Utc::now()));
            }
            MaybeUndefined::Value(state) => {
                changes.collaboration_state = Some(Some(state));
                changes.last_collaborated_at = Some(Some(chrono::Utc::now()));
            }
        }
        let mut conn = app(ctx).db.conn().await?;
        let project = projects::update(&mut conn, project.id, changes).await?;
        Ok(UpdateProjectPayload { project })
    }

    /// Soft-deletes a project (ADMIN, or the owner of a personal one).
    async fn delete_project(
        &self,
        ctx: &Context<'_>,
        input: DeleteProjectInput,
    ) -> async_graphql::Result<DeleteProjectPayload> {
        let project = project_for(ctx, &input.id, "id", Action::Delete).await?;
        let mut conn = app(ctx).db.conn().await?;
        let project = projects::set_deleted(&mut conn, project.id, true).await?;
        Ok(DeleteProjectPayload { project })
    }

    /// Brings a soft-deleted project back (ADMIN).
    async fn restore_project(
        &self,
        ctx: &Context<'_>,
        input: RestoreProjectInput,
    ) -> async_graphql::Result<RestoreProjectPayload> {
        let project = project_for(ctx, &input.id, "id", Action::Restore).await?;
        if project.deleted_at.is_none() {
            return Err(AppError::Conflict("the project is not deleted".into()).into());
        }
        let mut conn = app(ctx).db.conn().await?;
        let project = projects::set_deleted(&mut conn, project.id, false).await?;
        Ok(RestoreProjectPayload { project })
    }
}
