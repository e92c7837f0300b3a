//! Batched loads of the creative graph: one query per batch of keys, and one
//! query per batch of parents for connection pages.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::{Asset, AssetVersion, BrandKit, Project, Template, Workbench};
use super::service::templates;
use crate::app::AppState;
use crate::db::schema::{asset_versions, assets, brand_kits, projects, workbenches};
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;
use crate::graphql::pagination::Window;

/// The studio domain's loaders: `Loader<Key>` for each of its keys.
pub struct StudioLoaders {
    app: AppState,
}

impl DomainLoaders for StudioLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

macro_rules! by_id_loader {
    ($(#[$meta:meta])* $key:ident, $row:ty, $table:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for StudioLoaders {
            type Value = $row;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $row>, Self::Error> {
                if keys.is_empty() {
                    return Ok(HashMap::new());
                }
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let mut conn = self.app.db.conn().await?;
                let rows: Vec<$row> = $table::table
                    .filter($table::id.eq_any(&ids))
                    .select(<$row>::as_select())
                    .load(&mut conn)
                    .await
                    .map_err(AppError::from)?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
}

by_id_loader!(
    /// A workbench by id.
    WorkbenchById, Workbench, workbenches
);
by_id_loader!(
    /// A project by id (soft-deleted ones included; readers filter).
    ProjectById, Project, projects
);
by_id_loader!(
    /// A brand kit by id.
    BrandKitById, BrandKit, brand_kits
);
by_id_loader!(
    /// An asset by id (soft-deleted ones included; readers filter).
    AssetById, Asset, assets
);
by_id_loader!(
    /// An asset version by id.
    AssetVersionById, AssetVersion, asset_versions
);

/// A template by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateById(pub Uuid);

impl Loader<TemplateById> for StudioLoaders {
    type Value = Template;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[TemplateById],
    ) -> Result<HashMap<TemplateById, Template>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = templates::find_by_ids(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|t| (TemplateById(t.id), t)).collect())
    }
}

/// Every version of an asset, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionsOfAsset(pub Uuid);

impl Loader<VersionsOfAsset> for StudioLoaders {
    type Value = Vec<AssetVersion>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VersionsOfAsset],
    ) -> Result<HashMap<VersionsOfAsset, Vec<AssetVersion>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<AssetVersion> = asset_versions::table
            .filter(asset_versions::asset_id.eq_any(&ids))
            .order((asset_versions::asset_id, asset_versions::version_number))
            .select(AssetVersion::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        let mut grouped: HashMap<VersionsOfAsset, Vec<AssetVersion>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for version in rows {
            if let Some(asset_id) = version.asset_id {
                grouped
                    .entry(VersionsOfAsset(asset_id))
                    .or_default()
                    .push(version);
            }
        }
        Ok(grouped)
    }
}

/// Children listed a page at a time under their parent, for connection fields:
/// one statement per batch of parents for the pages, one for the counts.
///
/// Each kind is a marker type, so `ChildPage<ProjectAssets>` and
/// `ChildPage<WorkbenchProjects>` are distinct key types: each keeps its own
/// DataLoader batch (its own statement) and cache. Both statements take the
/// parent ids as `$1` and "deleted" as `$2`.
pub trait Children: Copy + Eq + Hash + Send + Sync + 'static {
    /// The child row, read by column name from `PAGE_SQL`.
    type Row: QueryableByName<Pg> + Clone + Send + Sync + 'static;

    /// The children of every parent ranked by a window function (0-based
    /// `position`), kept where `$3 <= position < $3 + $4`, ordered by parent
    /// then position: the page of every parent in one statement.
    const PAGE_SQL: &'static str;

    /// How many children each parent has, as `parent` and `n`.
    const COUNT_SQL: &'static str;

    /// The parent a loaded row belongs to.
    fn parent_of(row: &Self::Row) -> Option<Uuid>;
}

/// The live assets of a project (oldest first), or its deleted ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectAssets;

impl Children for ProjectAssets {
    type Row = Asset;
    const PAGE_SQL: &'static str = "SELECT * FROM (SELECT a.*, a.type AS type_, row_number() OVER (PARTITION BY a.project_id ORDER BY a.created_at, a.id) - 1 AS position \
         FROM assets a WHERE a.project_id = ANY($1) AND (a.deleted_at IS NOT NULL) = $2) ranked \
         WHERE position >= $3 AND position < $3 + $4 ORDER BY project_id, position";
    const COUNT_SQL: &'static str = "SELECT project_id AS parent, count(*) AS n FROM assets \
         WHERE project_id = ANY($1) AND (deleted_at IS NOT NULL) = $2 GROUP BY project_id";

    fn parent_of(asset: &Asset) -> Option<Uuid> {
        asset.project_id
    }
}

/// The live projects of a workbench (most recently updated first), or its deleted ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkbenchProjects;

impl Children for WorkbenchProjects {
    type Row = Project;
    const PAGE_SQL: &'static str = "SELECT * FROM (SELECT p.*, row_number() OVER (PARTITION BY p.workbench_id ORDER BY p.updated_at DESC, p.id) - 1 AS position \
         FROM projects p WHERE p.workbench_id = ANY($1) AND (p.deleted_at IS NOT NULL) = $2) ranked \
         WHERE position >= $3 AND position < $3 + $4 ORDER BY workbench_id, position";
    const COUNT_SQL: &'static str = "SELECT workbench_id AS parent, count(*) AS n FROM projects \
         WHERE workbench_id = ANY($1) AND (deleted_at IS NOT NULL) = $2 GROUP BY workbench_id";

    fn parent_of(project: &Project) -> Option<Uuid> {
        Some(project.workbench_id)
    }
}

/// One page of the live (or deleted) children of kind `C` of a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChildPage<C> {
    pub parent: Uuid,
    pub window: Window,
    pub deleted: bool,
    pub kind: PhantomData<C>,
}

/// How many live (or deleted) children of kind `C` a parent has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChildCount<C> {
    pub parent: Uuid,
    pub deleted: bool,
    pub kind: PhantomData<C>,
}

impl<C: Children> Loader<ChildPage<C>> for StudioLoaders {
    type Value = Vec<C::Row>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildPage<C>],
    ) -> Result<HashMap<ChildPage<C>, Vec<C::Row>>, Self::Error> {
        let mut out: HashMap<ChildPage<C>, Vec<C::Row>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        // Each distinct window costs one statement for all its parents (in
        // practice one window per field, so one statement).
        let mut by_window: HashMap<(Window, bool), Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_window
                .entry((key.window, key.deleted))
                .or_default()
                .push(key.parent);
        }
        let mut conn = self.app.db.conn().await?;
        for ((window, deleted), parents) in by_window {
            let rows: Vec<C::Row> = diesel::sql_query(C::PAGE_SQL)
                .bind::<Array<SqlUuid>, _>(&parents)
                .bind::<Bool, _>(deleted)
                .bind::<BigInt, _>(window.offset)
                .bind::<BigInt, _>(window.limit)
                .load(&mut conn)
                .await
                .map_err(AppError::from)?;
            for row in rows {
                if let Some(parent) = C::parent_of(&row) {
                    let key = ChildPage {
                        parent,
                        window,
                        deleted,
                        kind: PhantomData,
                    };
                    out.entry(key).or_default().push(row);
                }
            }
        }
        Ok(out)
    }
}

#[derive(QueryableByName)]
struct ParentCount {
    #[diesel(sql_type = SqlUuid)]
    parent: Uuid,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl<C: Children> Loader<ChildCount<C>> for StudioLoaders {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildCount<C>],
    ) -> Result<HashMap<ChildCount<C>, i64>, Self::Error> {
        // A parent with no children has no row: it counts 0.
        let mut out: HashMap<ChildCount<C>, i64> = keys.iter().map(|k| (*k, 0)).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let mut conn = self.app.db.conn().await?;
        // One statement per kind asked for (live, deleted).
        for deleted in [false, true] {
            let ids: Vec<Uuid> = keys
                .iter()
                .filter(|k| k.deleted == deleted)
                .map(|k| k.parent)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let counts: Vec<ParentCount> = diesel::sql_query(C::COUNT_SQL)
                .bind::<Array<SqlUuid>, _>(&ids)
                .bind::<Bool, _>(deleted)
                .load(&mut conn)
                .await
                .map_err(AppError::from)?;
            for count in counts {
                let key = ChildCount {
                    parent: count.parent,
                    deleted,
                    kind: PhantomData,
                };
                out.insert(key, count.n);
            }
        }
        Ok(out)
    }
}
