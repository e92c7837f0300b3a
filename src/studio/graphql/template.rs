//! `Template`: system templates everyone can read, and private ones of a user or team.

use crate::authz::guards::Need;
use crate::authz::roles::{load_authorized, Target};
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use uuid::Uuid;

use super::loader_error;
use crate::authz::matrix::{Action, Resource};
use crate::authz::reach::Reach;
use crate::authz::roles::{authorize, can, can_read, Holder};
use crate::authz::{caller, require_user};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::studio::loaders::TemplateById;
use crate::studio::model::Template;
use crate::studio::service::templates::{self, NewTemplate, TemplateChanges, TemplateFilter};
use crate::studio::service::validate;

/// What the caller may do with a template.
#[derive(SimpleObject)]
pub struct TemplateViewerCan {
    /// Whether the caller may update it.
    pub update: bool,
    /// Whether the caller may delete it.
    pub delete: bool,
}

#[ComplexObject]
impl Template {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Template, self.id)
    }

    /// What the caller may do here (system templates: nothing).
    async fn viewer_can(&self, ctx: &Context<'_>) -> async_graphql::Result<TemplateViewerCan> {
        let h = self.holder();
        if h == Holder::Public {
            return Ok(TemplateViewerCan {
                update: false,
                delete: false,
            });
        }
        Ok(TemplateViewerCan {
            update: can(ctx, h, Resource::Template, Action::Update).await?,
            delete: can(ctx, h, Resource::Template, Action::Delete).await?,
        })
    }
}

impl Target for Template {
    const RESOURCE: Resource = Resource::Template;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<StudioLoaders>(ctx)
            .load_one(TemplateById(id))
            .await
            .map_err(loader_error)
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(Template::holder(self)))
    }

    /// The matrix's exceptions for templates (PERMISSIONS.md): a public template
    /// is read by anyone, one the caller cannot read looks absent whoever asks
    /// (signed in or not), and system templates are changed by platform admins only.
    async fn check(&self, ctx: &Context<'_>, holder: Holder, action: Action) -> AppResult<()> {
        if action == Action::Read {
            return if self.is_public || can_read(ctx, holder, Resource::Template).await? {
                Ok(())
            } else {
                Err(AppError::NotFound("template"))
            };
        }
        if holder == Holder::Public {
            return if caller(ctx).is_platform_admin() {
                Ok(())
            } else {
                Err(AppError::Forbidden)
            };
        }
        authorize(ctx, holder, Resource::Template, action).await?;
        Ok(())
    }
}

#[derive(Default)]
pub struct TemplateQuery;

#[Object]
impl TemplateQuery {
    /// A template the caller can read; `null` otherwise.
    #[graphql(guard = "Need::anyone()")]
    async fn template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a Template.")] id: ID,
    ) -> async_graphql::Result<Option<Template>> {
        match load_authorized::<Template>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::Template, "id")?,
            Action::Read,
        )
        .await
        {
            Ok(t) => Ok(Some(t)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Public templates, plus the caller's and their teams' private ones, newest
    /// first, searchable by category, tags and text.
    #[graphql(guard = "Need::anyone()")]
    async fn templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<TemplateFilter>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<Template>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let filter = filter.unwrap_or_default();
        let mut conn = app(ctx).db.conn().await?;
        let reach = match caller(ctx).user_id() {
            Some(_) => Some(Reach::of(&mut conn, caller(ctx), Resource::Template).await?),
            None => None,
        };
        let total = templates::count_visible(&mut conn, &filter, reach.as_ref())
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = templates::page_visible(&mut conn, &filter, reach.as_ref(), window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }
}

/// The input of `createTemplate`.
#[derive(InputObject)]
pub struct CreateTemplateInput {
    /// The team it belongs to (EDITOR); omitted for a personal template.
    pub team_id: Option<ID>,
    /// Its name (1-100 characters).
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// A category to group templates by, e.g. `social`.
    pub category: String,
    /// Preview image URL or storage path.
    pub preview_url: String,
    /// Content and layout for the editor (a JSON object).
    pub source_data: serde_json::Value,
    /// Free-form tags to search by.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// A public system template of the platform (platform admins only).
    #[graphql(default)]
    pub system: bool,
}

/// The input of `updateTemplate`.
#[derive(InputObject)]
pub struct UpdateTemplateInput {
    /// ID of the template to update.
    pub id: ID,
    /// New name (omit to keep).
    pub name: Option<String>,
    /// New description (omit to keep).
    pub description: MaybeUndefined<String>,
    /// New category (omit to keep).
    pub category: Option<String>,
    /// New preview image URL (omit to keep).
    pub preview_url: Option<String>,
    /// New template content (omit to keep).
    pub source_data: Option<serde_json::Value>,
    /// New tags (omit to keep).
    pub tags: Option<Vec<String>>,
}

/// The input of `deleteTemplate`.
#[derive(InputObject)]
pub struct DeleteTemplateInput {
    /// ID of the template to delete.
    pub id: ID,
}

/// What `createTemplate` returns.
#[derive(SimpleObject)]
pub struct CreateTemplatePayload {
    /// The template, as it is now.
    pub template: Template,
}

/// What `updateTemplate` returns.
#[derive(SimpleObject)]
pub struct UpdateTemplatePayload {
    /// The template, as it is now.
    pub template: Template,
}

/// What `deleteTemplate` returns.
#[derive(SimpleObject)]
pub struct DeleteTemplatePayload {
    /// ID of the template, now deleted.
    pub deleted_template_id: ID,
}

#[derive(Default)]
pub struct TemplateMutation;

#[Object]
impl TemplateMutation {
    /// Saves a private template, personal or in a team (EDITOR), or a public system
    /// template (`system: true`, platform admins).
    #[graphql(guard = "Need::matrix(Resource::Template, Action::Create)")]
    async fn create_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createTemplate`.")] input: CreateTemplateInput,
    ) -> async_graphql::Result<CreateTemplatePayload> {
        let user_id = require_user(ctx)?;
        let team_id = input
            .team_id
            .as_ref()
            .map(|id| GlobalId::decode_uuid(id, NodeType::Team, "teamId"))
            .transpose()?;
        if input.system {
            if !caller(ctx).is_platform_admin() {
                return Err(AppError::Forbidden.into());
            }
            if team_id.is_some() {
                return Err(
                    AppError::bad_input("teamId", "a system template belongs to no team").into(),
                );
            }
        } else {
            authorize(
                ctx,
                Holder::of(team_id, user_id),
                Resource::Template,
                Action::Create,
            )
            .await?;
        }
        let new = NewTemplate {
            name: validate::name("name", &input.name, 100)?,
            description: validate::optional_text("description", input.description, 5000)?,
            category: validate::name("category", &input.category, 50)?,
            preview_url: validate::name("previewUrl", &input.preview_url, 1024)?,
            source_data: input.source_data,
            tags: input.tags,
        };
        let mut conn = app(ctx).db.conn().await?;
        let template = if input.system {
            templates::create_system(&mut conn, new).await?
        } else {
            templates::create(&mut conn, user_id, team_id, new).await?
        };
        Ok(CreateTemplatePayload { template })
    }

    /// Changes a private template (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::Template, Action::Update)")]
    async fn update_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateTemplate`.")] input: UpdateTemplateInput,
    ) -> async_graphql::Result<UpdateTemplatePayload> {
        let template = load_authorized::<Template>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Template, "id")?,
            Action::Update,
        )
        .await?;
        let changes = TemplateChanges {
            name: input
                .name
                .as_deref()
                .map(|n| validate::name("name", n, 100))
                .transpose()?,
            description: match input.description {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(d) => {
                    Some(validate::optional_text("description", Some(d), 5000)?)
                }
            },
            category: input
                .category
                .as_deref()
                .map(|c| validate::name("category", c, 50))
                .transpose()?,
            preview_url: input
                .preview_url
                .as_deref()
                .map(|p| validate::name("previewUrl", p, 1024))
                .transpose()?,
            source_data: input.source_data,
            tags: input.tags.map(|t| Some(serde_json::json!(t))),
        };
        let mut conn = app(ctx).db.conn().await?;
        let template = templates::update(&mut conn, template.id, changes).await?;
        Ok(UpdateTemplatePayload { template })
    }

    /// Deletes a private template (ADMIN); projects using it lose the link.
    #[graphql(guard = "Need::matrix(Resource::Template, Action::Delete)")]
    async fn delete_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteTemplate`.")] input: DeleteTemplateInput,
    ) -> async_graphql::Result<DeleteTemplatePayload> {
        let template = load_authorized::<Template>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Template, "id")?,
            Action::Delete,
        )
        .await?;
        let mut conn = app(ctx).db.conn().await?;
        templates::delete(&mut conn, template.id).await?;
        Ok(DeleteTemplatePayload {
            deleted_template_id: input.id,
        })
    }
}
