//! Public reads of the creative graph: system templates.

use async_graphql::{Context, Object};

use super::model::Template;
use super::templates::{self, TemplateFilter};
use crate::error::AppError;
use crate::graphql::app;
use crate::graphql::pagination::{self, Conn, PageArgs};

#[derive(Default)]
pub struct StudioQuery;

#[Object]
impl StudioQuery {
    /// Public (system) templates, newest first, searchable by category and tags.
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
        let total = templates::count_public(&mut conn, &filter)
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = templates::list_public(&mut conn, &filter, window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }
}
