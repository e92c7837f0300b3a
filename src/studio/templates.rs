//! Template queries.

use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::Template;
use crate::ai_models::model::escape_like;
use crate::db::schema::templates;
use crate::graphql::pagination::Window;

/// Narrows a template list.
#[derive(Debug, Clone, Default, async_graphql::InputObject)]
pub struct TemplateFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only templates carrying every one of these tags.
    pub tags: Option<Vec<String>>,
    /// Case-insensitive substring of the name or description.
    pub search: Option<String>,
}

fn public_templates(filter: &TemplateFilter) -> templates::BoxedQuery<'_, diesel::pg::Pg> {
    let mut query = templates::table
        .filter(templates::is_public.eq(true))
        .into_boxed();
    if let Some(category) = &filter.category {
        query = query.filter(templates::category.eq(category));
    }
    if let Some(tags) = filter.tags.as_ref().filter(|t| !t.is_empty()) {
        // `tags @> '["a","b"]'` is answered by the GIN index on tags.
        let wanted = serde_json::Value::from(tags.clone());
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("tags @> ").bind::<Jsonb, _>(wanted),
        );
    }
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", escape_like(search));
        query = query.filter(
            templates::name
                .ilike(pattern.clone())
                .or(templates::description.ilike(pattern)),
        );
    }
    query
}

/// How many public templates match.
pub async fn count_public(
    conn: &mut AsyncPgConnection,
    filter: &TemplateFilter,
) -> QueryResult<i64> {
    public_templates(filter).count().get_result(conn).await
}

/// One page of public templates, newest first.
pub async fn list_public(
    conn: &mut AsyncPgConnection,
    filter: &TemplateFilter,
    window: Window,
) -> QueryResult<Vec<Template>> {
    public_templates(filter)
        .order((templates::created_at.desc(), templates::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(Template::as_select())
        .load(conn)
        .await
}

/// Templates by id, public or not (the caller decides what may be shown).
pub async fn find_by_ids(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Template>> {
    templates::table
        .filter(templates::id.eq_any(ids))
        .select(Template::as_select())
        .load(conn)
        .await
}
