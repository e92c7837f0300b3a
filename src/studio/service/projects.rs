//! Project rows: create, update, soft delete and restore, and filtered, sorted lists.

use async_graphql::{Enum, InputObject, ID};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::authz::reach::Reach;
use crate::db::escape_like;
use crate::db::schema::projects;
use crate::error::AppResult;
use crate::graphql::pagination::Window;
use crate::studio::model::Project;

/// Narrows a project list.
#[derive(Debug, Default, InputObject)]
pub struct ProjectFilter {
    /// Only this workbench's projects.
    pub workbench_id: Option<ID>,
    /// Only this team's projects.
    pub team_id: Option<ID>,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// Only projects for this platform.
    pub target_platform: Option<String>,
    /// Soft-deleted projects instead of live ones (ADMIN of the team, or the owner).
    #[graphql(default)]
    pub deleted: bool,
}

/// What to sort projects by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum ProjectOrderField {
    /// By name.
    Name,
    /// By creation time.
    CreatedAt,
    /// By last change.
    #[default]
    UpdatedAt,
}

/// Which way a list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    #[default]
    Desc,
}

/// Sort order of a project list (default: most recently updated first).
#[derive(Debug, Clone, Copy, Default, InputObject)]
pub struct ProjectOrder {
    /// What to sort by (default: last change).
    #[graphql(default)]
    pub field: ProjectOrderField,
    /// Which way (default: descending).
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// The decoded filter.
#[derive(Debug, Default)]
pub struct ProjectQuery {
    pub workbench_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub search: Option<String>,
    pub target_platform: Option<String>,
    pub deleted: bool,
}

fn visible(reach: &Reach, q: &ProjectQuery) -> projects::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = projects::table.into_boxed();
    let personal_flag =
        diesel::dsl::sql::<diesel::sql_types::Bool>(if reach.personal { "TRUE" } else { "FALSE" });
    if q.deleted {
        query = query.filter(projects::deleted_at.is_not_null()).filter(
            projects::team_id
                .eq_any(reach.teams_with_deleted.clone())
                .or(projects::team_id
                    .is_null()
                    .and(projects::user_id.eq(reach.user_id))
                    .and(personal_flag)),
        );
    } else {
        query = query.filter(projects::deleted_at.is_null()).filter(
            projects::team_id
                .eq_any(reach.teams.clone())
                .or(projects::team_id
                    .is_null()
                    .and(projects::user_id.eq(reach.user_id))
                    .and(personal_flag)),
        );
    }
    if let Some(id) = q.workbench_id {
        query = query.filter(projects::workbench_id.eq(id));
    }
    if let Some(id) = q.team_id {
        query = query.filter(projects::team_id.eq(id));
    }
    if let Some(search) = &q.search {
        query = query.filter(projects::name.ilike(format!("%{}%", escape_like(search))));
    }
    if let Some(platform) = &q.target_platform {
        query = query.filter(projects::target_platform.eq(platform.clone()));
    }
    query
}

pub async fn count_visible(
    conn: &mut AsyncPgConnection,
    reach: &Reach,
    q: &ProjectQuery,
) -> AppResult<i64> {
    Ok(visible(reach, q).count().get_result(conn).await?)
}

pub async fn page_visible(
    conn: &mut AsyncPgConnection,
    reach: &Reach,
    q: &ProjectQuery,
    order: ProjectOrder,
    window: Window,
) -> AppResult<Vec<Project>> {
    let query = visible(reach, q);
    let query = match (order.field, order.direction) {
        (ProjectOrderField::Name, OrderDirection::Asc) => {
            query.order((projects::name.asc(), projects::id.asc()))
        }
        (ProjectOrderField::Name, OrderDirection::Desc) => {
            query.order((projects::name.desc(), projects::id.asc()))
        }
        (ProjectOrderField::CreatedAt, OrderDirection::Asc) => {
            query.order((projects::created_at.asc(), projects::id.asc()))
        }
        (ProjectOrderField::CreatedAt, OrderDirection::Desc) => {
            query.order((projects::created_at.desc(), projects::id.asc()))
        }
        (ProjectOrderField::UpdatedAt, OrderDirection::Asc) => {
            query.order((projects::updated_at.asc(), projects::id.asc()))
        }
        (ProjectOrderField::UpdatedAt, OrderDirection::Desc) => {
            query.order((projects::updated_at.desc(), projects::id.asc()))
        }
    };
    Ok(query
        .offset(window.offset)
        .limit(window.limit)
        .select(Project::as_select())
        .load(conn)
        .await?)
}

pub struct NewProject {
    pub workbench_id: Uuid,
    pub name: String,
    pub template_id: Option<Uuid>,
    pub brand_kit_id: Option<Uuid>,
    pub target_platform: Option<String>,
}

/// Inserts a project; its owner and team are copied from the workbench (by trigger).
pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    new: NewProject,
) -> AppResult<Project> {
    Ok(diesel::insert_into(projects::table)
        .values((
            projects::workbench_id.eq(new.workbench_id),
            projects::user_id.eq(user_id),
            projects::name.eq(new.name),
            projects::template_id.eq(new.template_id),
            projects::brand_kit_id.eq(new.brand_kit_id),
            projects::target_platform.eq(new.target_platform),
        ))
        .returning(Project::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = projects)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub target_platform: Option<Option<String>>,
    pub template_id: Option<Option<Uuid>>,
    pub brand_kit_id: Option<Option<Uuid>>,
    pub collaboration_state: Option<Option<serde_json::Value>>,
    pub last_collaborated_at: Option<Option<chrono::DateTime<Utc>>>,
}

impl ProjectChanges {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.target_platform.is_none()
            && self.template_id.is_none()
            && self.brand_kit_id.is_none()
            && self.collaboration_state.is_none()
    }
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: ProjectChanges,
) -> AppResult<Project> {
    if changes.is_empty() {
        return Ok(projects::table
            .find(id)
            .select(Project::as_select())
            .first(conn)
            .await?);
    }
    Ok(diesel::update(projects::table.find(id))
        .set(&changes)
        .returning(Project::as_returning())
        .get_result(conn)
        .await?)
}

/// Sets or clears `deleted_at`.
pub async fn set_deleted(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    deleted: bool,
) -> AppResult<Project> {
    let at = deleted.then(Utc::now);
    Ok(diesel::update(projects::table.find(id))
        .set(projects::deleted_at.eq(at))
        .returning(Project::as_returning())
        .get_result(conn)
        .await?)
}
