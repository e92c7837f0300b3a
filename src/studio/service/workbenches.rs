//! Workbench rows: create, update, delete, and the caller's visible list.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::authz::reach::Reach;
use crate::db::schema::workbenches;
use crate::error::AppResult;
use crate::graphql::pagination::Window;
use crate::studio::model::Workbench;

pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    team_id: Option<Uuid>,
    name: &str,
    default_brand_kit_id: Option<Uuid>,
) -> AppResult<Workbench> {
    Ok(diesel::insert_into(workbenches::table)
        .values((
            workbenches::user_id.eq(user_id),
            workbenches::team_id.eq(team_id),
            workbenches::name.eq(name),
            workbenches::default_brand_kit_id.eq(default_brand_kit_id),
        ))
        .returning(Workbench::as_returning())
        .get_result(conn)
        .await?)
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = workbenches)]
pub struct WorkbenchChanges {
    pub name: Option<String>,
    pub default_brand_kit_id: Option<Option<Uuid>>,
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: WorkbenchChanges,
) -> AppResult<Workbench> {
    if changes.name.is_none() && changes.default_brand_kit_id.is_none() {
        return Ok(workbenches::table
            .find(id)
            .select(Workbench::as_select())
            .first(conn)
            .await?);
    }
    Ok(diesel::update(workbenches::table.find(id))
        .set(&changes)
        .returning(Workbench::as_returning())
        .get_result(conn)
        .await?)
}

/// Deletes the workbench and, by cascade, its projects.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    diesel::delete(workbenches::table.find(id))
        .execute(conn)
        .await?;
    Ok(())
}

fn visible(
    reach: &Reach,
    team_id: Option<Uuid>,
) -> workbenches::BoxedQuery<'static, diesel::pg::Pg> {
    let mut query = workbenches::table.into_boxed();
    let personal = workbenches::team_id
        .is_null()
        .and(workbenches::user_id.eq(reach.user_id))
        .and(diesel::dsl::sql::<diesel::sql_types::Bool>(
            if reach.personal { "TRUE" } else { "FALSE" },
        ));
    query = query.filter(
        workbenches::team_id
            .eq_any(reach.teams.clone())
            .or(personal),
    );
    if let Some(team_id) = team_id {
        query = query.filter(workbenches::team_id.eq(team_id));
    }
    query
}

pub async fn count_visible(
    conn: &mut AsyncPgConnection,
    reach: &Reach,
    team_id: Option<Uuid>,
) -> AppResult<i64> {
    Ok(visible(reach, team_id).count().get_result(conn).await?)
}

pub async fn page_visible(
    conn: &mut AsyncPgConnection,
    reach: &Reach,
    team_id: Option<Uuid>,
    window: Window,
) -> AppResult<Vec<Workbench>> {
    Ok(visible(reach, team_id)
        .order((workbenches::name.asc(), workbenches::id.asc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(Workbench::as_select())
        .load(conn)
        .await?)
}
