//! The creative graph in the schema: one file per type, each with its queries and
//! mutations.

mod asset;
mod brand_kit;
mod project;
mod project_mutation;
mod template;
mod workbench;

pub use asset::{AssetMutation, AssetQuery};
pub use brand_kit::{BrandKitMutation, BrandKitQuery};
pub use project::ProjectQuery;
pub use project_mutation::ProjectMutation;
pub use template::{TemplateMutation, TemplateQuery};
pub use workbench::{WorkbenchMutation, WorkbenchQuery};

use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use std::marker::PhantomData;

use async_graphql::{Context, OutputType};
use uuid::Uuid;

use crate::authz::caller;
use crate::authz::matrix::Resource;
use crate::authz::reach::Reach;
use crate::error::AppResult;
use crate::graphql::app;
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::studio::loaders::{ChildCount, ChildPage, Children};

/// The caller's reach for list queries (one query).
async fn reach(ctx: &Context<'_>, resource: Resource) -> AppResult<Reach> {
    let mut conn = app(ctx).db.conn().await?;
    Reach::of(&mut conn, caller(ctx), resource).await
}

/// The connection of the live (or deleted) children of kind `C` of `parent`:
/// the count, then the page it allows. Each is batched across the parents of
/// the level, so the field costs two statements however many parents there are.
async fn children<C: Children>(
    ctx: &Context<'_>,
    args: &PageArgs,
    parent: Uuid,
    deleted: bool,
) -> async_graphql::Result<Conn<C::Row>>
where
    C::Row: OutputType,
{
    let total = loader::<StudioLoaders>(ctx)
        .load_one(ChildCount::<C> {
            parent,
            deleted,
            kind: PhantomData,
        })
        .await?
        .unwrap_or(0);
    let window = args.window(total)?;
    let page = loader::<StudioLoaders>(ctx)
        .load_one(ChildPage::<C> {
            parent,
            window,
            deleted,
            kind: PhantomData,
        })
        .await?
        .unwrap_or_default();
    Ok(pagination::connection(window, total, page))
}

/// A loader error as an application error.
fn loader_error(e: async_graphql::Error) -> crate::error::AppError {
    crate::error::AppError::internal(anyhow::anyhow!(e.message))
}
