//! `Project` mutations: create, update, soft delete and restore.

use crate::authz::guards::Need;
use crate::authz::roles::load_authorized;
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use uuid::Uuid;

use super::loader_error;
use super::workbench::brand_kit_for;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{authorize, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::studio::loaders::TemplateById;
use crate::studio::model::{Project, Workbench};
use crate::studio::service::projects::{self, NewProject, ProjectChanges};
use crate::studio::service::validate;

/// A template usable by a project held by `holder`: public, or private to the same owner.
async fn usable_template(ctx: &Context<'_>, id: &ID, holder: Holder) -> AppResult<Uuid> {
    let template_id = GlobalId::decode_uuid(id, NodeType::Template, "templateId")?;
    let template = loader::<StudioLoaders>(ctx)
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

/// The input of `createProject`.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// ID of the workbench.
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

/// The input of `updateProject`.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// ID of the project to update.
    pub id: ID,
    /// New name (omit to keep).
    pub name: Option<String>,
    /// New target platform (omit to keep, `null` to clear).
    pub target_platform: MaybeUndefined<String>,
    /// New template (omit to keep, `null` to clear).
    pub template_id: MaybeUndefined<ID>,
    /// New brand kit override, of the same holder (omit to keep, `null` to clear).
    pub brand_kit_id: MaybeUndefined<ID>,
    /// The canvas state; sets `lastCollaboratedAt`.
    pub collaboration_state: MaybeUndefined<serde_json::Value>,
}

/// The input of `deleteProject`.
#[derive(InputObject)]
pub struct DeleteProjectInput {
    /// ID of the project to delete.
    pub id: ID,
}

/// The input of `restoreProject`.
#[derive(InputObject)]
pub struct RestoreProjectInput {
    /// ID of the project to restore.
    pub id: ID,
}

/// What `createProject` returns.
#[derive(SimpleObject)]
pub struct CreateProjectPayload {
    /// The project, as it is now.
    pub project: Project,
}

/// What `updateProject` returns.
#[derive(SimpleObject)]
pub struct UpdateProjectPayload {
    /// The project, as it is now.
    pub project: Project,
}

/// What `deleteProject` returns.
#[derive(SimpleObject)]
pub struct DeleteProjectPayload {
    /// The project, now soft-deleted.
    pub project: Project,
}

/// What `restoreProject` returns.
#[derive(SimpleObject)]
pub struct RestoreProjectPayload {
    /// The project, as it is now.
    pub project: Project,
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// Creates a project in a workbench (EDITOR of its team, or its owner).
    #[graphql(guard = "Need::matrix(Resource::Project, Action::Create)")]
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createProject`.")] input: CreateProjectInput,
    ) -> async_graphql::Result<CreateProjectPayload> {
        let user_id = require_user(ctx)?;
        let workbench = load_authorized::<Workbench>(
            ctx,
            GlobalId::decode_uuid(&input.workbench_id, NodeType::Workbench, "workbenchId")?,
            Action::Read,
        )
        .await?;
        let holder = workbench.holder();
        authorize(ctx, holder, Resource::Project, Action::Create).await?;
        let name = validate::name("name", &input.name, 100)?;
        let template_id = match &input.template_id {
            Some(id) => Some(usable_template(ctx, id, holder).await?),
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
    #[graphql(guard = "Need::matrix(Resource::Project, Action::Update)")]
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateProject`.")] input: UpdateProjectInput,
    ) -> async_graphql::Result<UpdateProjectPayload> {
        let project = load_authorized::<Project>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Project, "id")?,
            Action::Update,
        )
        .await?;
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
            MaybeUndefined::Value(id) => Some(Some(usable_template(ctx, id, holder).await?)),
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
    #[graphql(guard = "Need::matrix(Resource::Project, Action::Delete)")]
    async fn delete_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteProject`.")] input: DeleteProjectInput,
    ) -> async_graphql::Result<DeleteProjectPayload> {
        let project = load_authorized::<Project>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Project, "id")?,
            Action::Delete,
        )
        .await?;
        let mut conn = app(ctx).db.conn().await?;
        let project = projects::set_deleted(&mut conn, project.id, true).await?;
        Ok(DeleteProjectPayload { project })
    }

    /// Brings a soft-deleted project back (ADMIN).
    #[graphql(guard = "Need::matrix(Resource::Project, Action::Restore)")]
    async fn restore_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `restoreProject`.")] input: RestoreProjectInput,
    ) -> async_graphql::Result<RestoreProjectPayload> {
        let project = load_authorized::<Project>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Project, "id")?,
            Action::Restore,
        )
        .await?;
        if project.deleted_at.is_none() {
            return Err(AppError::Conflict("the project is not deleted".into()).into());
        }
        let mut conn = app(ctx).db.conn().await?;
        let project = projects::set_deleted(&mut conn, project.id, false).await?;
        Ok(RestoreProjectPayload { project })
    }
}
