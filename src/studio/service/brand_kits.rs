//! Brand kit rows. Making a kit the default clears the owner's previous default in
//! the same transaction (the database allows one default per owner).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::validate;
use crate::authz::reach::Reach;
use crate::db::schema::brand_kits;
use crate::error::{AppError, AppResult};
use crate::graphql::pagination::Window;
use crate::studio::model::BrandKit;

/// Validated content of a kit.
#[derive(Debug, Default)]
pub struct KitContent {
    pub name: Option<String>,
    pub colors: Option<Value>,
    pub fonts: Option<Value>,
    pub logos: Option<Option<Value>>,
    pub style_preferences: Option<Option<Value>>,
    pub is_default: Option<bool>,
}

impl KitContent {
    pub fn validate(&self) -> AppResult<()> {
        if let Some(colors) = &self.colors {
            validate::colours(colors)?;
        }
        if let Some(fonts) = &self.fonts {
            validate::fonts(fonts)?;
        }
        if let Some(Some(logos)) = &self.logos {
            validate::logos(logos)?;
        }
        if let Some(Some(style)) = &self.style_preferences {
            validate::object("stylePreferences", style)?;
        }
        Ok(())
    }
}

async fn clear_default(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    team_id: Option<Uuid>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut query = diesel::update(brand_kits::table)
        .filter(brand_kits::is_default.eq(true))
        .into_boxed();
    query = match team_id {
        Some(team) => query.filter(brand_kits::team_id.eq(team)),
        None => query
            .filter(brand_kits::team_id.is_null())
            .filter(brand_kits::user_id.eq(user_id)),
    };
    if let Some(id) = except {
        query = query.filter(brand_kits::id.ne(id));
    }
    query
        .set(brand_kits::is_default.eq(false))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    team_id: Option<Uuid>,
    content: KitContent,
) -> AppResult<BrandKit> {
    content.validate()?;
    let name = content
        .name
        .ok_or_else(|| AppError::bad_input("name", "a brand kit needs a name"))?;
    let colors = content.colors.unwrap_or_else(|| Value::Array(vec![]));
    let fonts = content.fonts.unwrap_or_else(|| Value::Array(vec![]));
    let is_default = content.is_default.unwrap_or(false);
    conn.transaction(async |conn| {
        if is_default {
            clear_default(conn, user_id, team_id, None).await?;
        }
        Ok(diesel::insert_into(brand_kits::table)
            .values((
                brand_kits::user_id.eq(user_id),
                brand_kits::team_id.eq(team_id),
                brand_kits::name.eq(&name),
                brand_kits::colors.eq(&colors),
                brand_kits::fonts.eq(&fonts),
                brand_kits::logos.eq(content.logos.clone().flatten()),
                brand_kits::style_preferences.eq(content.style_preferences.clone().flatten()),
                brand_kits::is_default.eq(is_default),
            ))
            .returning(BrandKit::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    kit: &BrandKit,
    content: KitContent,
) -> AppResult<BrandKit> {
    content.validate()?;
    #[derive(AsChangeset, Default)]
    #[diesel(table_name = brand_kits)]
    struct Changes {
        name: Option<String>,
        colors: Option<Value>,
        fonts: Option<Value>,
        logos: Option<Option<Value>>,
        style_preferences: Option<Option<Value>>,
        is_default: Option<bool>,
    }
    let changes = Changes {
        name: content.name,
        colors: content.colors,
        fonts: content.fonts,
        logos: content.logos,
        style_preferences: content.style_preferences,
        is_default: content.is_default,
    };
    let nothing = changes.name.is_none()
        && changes.colors.is_none()
        && changes.fonts.is_none()
        && changes.logos.is_none()
        && changes.style_preferences.is_none()
        && changes.is_default.is_none();
    if nothing {
        return Ok(kit.clone());
    }
    let (id, user_id, team_id) = (kit.id, kit.user_id, kit.team_id);
    conn.transaction(async |conn| {
        if changes.is_default == Some(true) {
            clear_default(conn, user_id, team_id, Some(id)).await?;
        }
        Ok(diesel::update(brand_kits::table.find(id))
            .set(&changes)
            .returning(BrandKit::as_returning())
            .get_result(conn)
            .await?)
    })
    .await
}

pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<()> {
    diesel::delete(brand_kits::table.find(id))
        .execute(conn)
        .await?;
    Ok(())
}

fn visible(
    reach: &Reach,
    team_id: Option<Uuid>,
) -> brand_kits::BoxedQuery<'static, diesel::pg::Pg> {
    let personal = brand_kits::team_id
        .is_null()
        .and(brand_kits::user_id.eq(reach.user_id))
        .and(diesel::dsl::sql::<diesel::sql_types::Bool>(
            if reach.personal { "TRUE" } else { "FALSE" },
        ));
    let mut query = brand_kits::table
        .filter(brand_kits::team_id.eq_any(reach.teams.clone()).or(personal))
        .into_boxed();
    if let Some(team_id) = team_id {
        query = query.filter(brand_kits::team_id.eq(team_id));
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
) -> AppResult<Vec<BrandKit>> {
    Ok(visible(reach, team_id)
        .order((
            brand_kits::is_default.desc(),
            brand_kits::name.asc(),
            brand_kits::id.asc(),
        ))
        .offset(window.offset)
        .limit(window.limit)
        .select(BrandKit::as_select())
        .load(conn)
        .await?)
}
