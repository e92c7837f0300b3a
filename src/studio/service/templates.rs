//! Template queries.

use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::validate;
use crate::authz::reach::Reach;
use crate::db::escape_like;
use crate::db::schema::templates;
use crate::error::{AppError, AppResult};
use crate::graphql::pagination::Window;
use crate::studio::model::Template;

/// Narrows a template list.
#[derive(Debug, Clone, Default, async_graphql::InputObject)]
pub struct TemplateFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only templates carrying every one of these tags.
    pub tags: Option<Vec<String>>,
    /// Case-insensitive substring of the name or description.
    pub search: Option<String>,
    /// Only the caller's (and their teams') private templates.
    #[graphql(default)]
    pub private_only: bool,
}

/// Public templates, plus the private ones within the caller's reach.
fn visible_templates<'a>(
    filter: &'a TemplateFilter,
    reach: Option<&Reach>,
) -> templates::BoxedQuery<'a, diesel::pg::Pg> {
    let mut query = match reach {
        None => templates::table
            .filter(templates::is_public.eq(true))
            .into_boxed(),
        Some(reach) => {
            let personal = templates::team_id
                .is_null()
                .and(templates::user_id.eq(reach.user_id))
                .and(diesel::dsl::sql::<diesel::sql_types::Bool>(
                    if reach.personal { "TRUE" } else { "FALSE" },
                ));
            templates::table
                .filter(
                    templates::is_public
                        .eq(true)
                        .or(templates::team_id.eq_any(reach.teams.clone()))
                        .or(personal),
                )
                .into_boxed()
        }
    };
    if filter.private_only {
        query = query.filter(templates::is_public.eq(false));
    }
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

/// How many visible templates match.
pub async fn count_visible(
    conn: &mut AsyncPgConnection,
    filter: &TemplateFilter,
    reach: Option<&Reach>,
) -> QueryResult<i64> {
    visible_templates(filter, reach)
        .count()
        .get_result(conn)
        .await
}

/// One page of visible templates, newest first.
pub async fn page_visible(
    conn: &mut AsyncPgConnection,
    filter: &TemplateFilter,
    reach: Option<&Reach>,
    window: Window,
) -> QueryResult<Vec<Template>> {
    visible_templates(filter, reach)
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

/// A private template of a user or a team.
pub struct NewTemplate {
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub preview_url: String,
    pub source_data: serde_json::Value,
    pub tags: Vec<String>,
}

fn check_tags(tags: &[String]) -> AppResult<()> {
    if tags.len() > 50
        || tags
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > 50)
    {
        return Err(AppError::bad_input(
            "tags",
            "at most 50 tags of 1 to 50 characters",
        ));
    }
    Ok(())
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    team_id: Option<Uuid>,
    new: NewTemplate,
) -> AppResult<Template> {
    check_tags(&new.tags)?;
    validate::object("sourceData", &new.source_data)?;
    Ok(diesel::insert_into(templates::table)
        .values((
            templates::user_id.eq(Some(user_id)),
            templates::team_id.eq(team_id),
            templates::name.eq(new.name),
            templates::description.eq(new.description),
            templates::category.eq(new.category),
            templates::preview_url.eq(new.preview_url),
            templates::source_data.eq(new.source_data),
            templates::tags.eq(Some(serde_json::json!(new.tags))),
            templates::is_public.eq(false),
        ))
        .returning(Template::as_returning())
        .get_result(conn)
        .await?)
}

/// A public system template: nobody's, read by everyone, changed by platform admins.
pub async fn create_system(conn: &mut AsyncPgConnection, new: NewTemplate) -> AppResult<Template> {
    check_tags(&new.tags)?;
    validate::object("sourceData", &new.source_data)?;
    Ok(diesel::insert_into(templates::table)
        .values((
            templates::user_id.eq(None::<Uuid>),
            templates::team_id.eq(None::<Uuid>),
            templates::name.eq(new.name),
            templates::description.eq(new.description),
            templates::category.eq(new.category),
            templates::preview_url.eq(new.preview_url),
            templates::source_data.eq(new.source_data),
            templates::tags.eq(Some(serde_json::json!(new.tags))),
            templates::is_public.eq(true),
        ))
        .returning(Template::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = templates)]
pub struct TemplateChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub category: Option<String>,
    pub preview_url: Option<String>,
    pub source_data: Option<serde_json::Value>,
    pub tags: Option<Option<serde_json::Value>>,
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: TemplateChanges,
) -> AppResult<Template> {
    if let Some(Some(tags)) = &changes.tags {
        let list: Vec<String> = serde_json::from_value(tags.clone()).unwrap_or_default();
        check_tags(&list)?;
    }
    if let Some(data) = &changes.source_data {
        validate::object("sourceData", data)?;
    }
    let nothing = changes.name.is_none()
        && changes.description.is_none()
        && changes.category.is_none()
        && changes.preview_url.is_none()
        && changes.source_data.is_none()
        && changes.tags.is_none();
    if nothing {
        return Ok(templates::table
            .find(id)
            .select(Template::as_select())
            .first(conn)
            .await?);
    }
    Ok(diesel::update(templates::table.find(id))
        .set(&changes)
        .returning(Template::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    diesel::delete(templates::table.find(id))
        .execute(conn)
        .await?;
    Ok(())
}
