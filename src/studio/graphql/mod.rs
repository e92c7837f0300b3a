//! The creative graph in the schema: one file per type, each with its queries and
//! mutations.

mod asset;
mod brand_kit;
mod project;
mod template;
mod workbench;

pub(crate) use asset::asset_for;
pub use asset::{AssetMutation, AssetQuery};
pub(crate) use brand_kit::kit_for;
pub use brand_kit::{BrandKitMutation, BrandKitQuery};
pub(crate) use project::project_for;
pub use project::{ProjectMutation, ProjectQuery};
pub(crate) use template::template_for;
pub use template::{TemplateMutation, TemplateQuery};
pub(crate) use workbench::workbench_for;
pub use workbench::{WorkbenchMutation, WorkbenchQuery};

use async_graphql::Context;

use crate::authz::caller;
use crate::authz::matrix::Resource;
use crate::error::AppResult;
use crate::graphql::app;
use crate::studio::access::Reach;

/// The caller's reach for list queries (one query).
async fn reach(ctx: &Context<'_>, resource: Resource) -> AppResult<Reach> {
    let mut conn = app(ctx).db.conn().await?;
    Reach::of(&mut conn, caller(ctx), resource).await
}

/// A loader error as an application error.
fn loader_error(e: async_graphql::Error) -> crate::error::AppError {
    crate::error::AppError::internal(anyhow::anyhow!(e.message))
}
