//! Batched loads of the creative graph: one query per batch of keys, and one
//! query per batch of parents for connection pages.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::{Asset, AssetVersion, BrandKit, Project, Template, Workbench};
use super::templates;
use crate::db::schema::{asset_versions, assets, brand_kits, projects, workbenches};
use crate::error::AppError;
use crate::graphql::Loaders;

macro_rules! by_id_loader {
    ($(#[$meta:meta])* $key:ident, $row:ty, $table:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for Loaders {
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

impl Loader<TemplateById> for Loaders {
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

impl Loader<VersionsOfAsset> for Loaders {
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

/// A page of the live assets of a project (oldest first), or of its deleted ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetsPage {
    pub project_id: Uuid,
    pub offset: i64,
    pub limit: i64,
    pub deleted: bool,
}

/// How many live (or deleted) assets a project has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssetCount {
    pub project_id: Uuid,
    pub deleted: bool,
}

/// A page of the live projects of a workbench (newest first), or of its deleted ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectsPage {
    pub workbench_id: Uuid,
    pub offset: i64,
    pub limit: i64,
    pub deleted: bool,
}

/// How many live (or deleted) projects a workbench has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectCount {
    pub workbench_id: Uuid,
    pub deleted: bool,
}

#[derive(QueryableByName)]
struct ParentCount {
    #[diesel(sql_type = SqlUuid)]
    parent: Uuid,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Groups page keys by their window, so each distinct window costs one query for
/// all its parents (in practice one window per field, so one query).
fn by_window<K: Copy, F: Fn(&K) -> (i64, i64, bool)>(
    keys: &[K],
    window: F,
) -> HashMap<(i64, i64, bool), Vec<K>> {
    let mut groups: HashMap<(i64, i64, bool), Vec<K>> = HashMap::new();
    for key in keys {
        groups.entry(window(key)).or_default().push(*key);
    }
    groups
}

impl Loader<AssetsPage> for Loaders {
    type Value = Vec<Asset>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AssetsPage],
    ) -> Result<HashMap<AssetsPage, Vec<Asset>>, Self::Error> {
        let mut out: HashMap<AssetsPage, Vec<Asset>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let mut conn = self.app.db.conn().await?;
        for ((offset, limit, deleted), group) in by_window(keys, |k| (k.offset, k.limit, k.deleted))
        {
            let parents: Vec<Uuid> = group.iter().map(|k| k.project_id).collect();
            // Window function: the page of every parent in one statement.
            let rows: Vec<Asset> = diesel::sql_query(
                "SELECT * FROM (SELECT a.*, a.type AS type_, row_number() OVER (PARTITION BY a.project_id ORDER BY a.created_at, a.id) - 1 AS position \
                 FROM assets a WHERE a.project_id = ANY($1) AND (a.deleted_at IS NOT NULL) = $2) ranked \
                 WHERE position >= $3 AND position < $3 + $4 ORDER BY project_id, position",
            )
            .bind::<Array<SqlUuid>, _>(&parents)
            .bind::<Bool, _>(deleted)
            .bind::<BigInt, _>(offset)
            .bind::<BigInt, _>(limit)
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
            for asset in rows {
                if let Some(project_id) = asset.project_id {
                    let key = AssetsPage {
                        project_id,
                        offset,
                        limit,
                        deleted,
                    };
                    out.entry(key).or_default().push(asset);
                }
            }
        }
        Ok(out)
    }
}

impl Loader<AssetCount> for Loaders {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AssetCount]) -> Result<HashMap<AssetCount, i64>, Self::Error> {
        let parents: Vec<(Uuid, bool)> = keys.iter().map(|k| (k.project_id, k.deleted)).collect();
        let counts = count_children(
            self,
            "SELECT project_id AS parent, count(*) AS n FROM assets \
             WHERE project_id = ANY($1) AND (deleted_at IS NOT NULL) = $2 GROUP BY project_id",
            &parents,
        )
        .await?;
        Ok(keys
            .iter()
            .map(|k| {
                (
                    *k,
                    counts.get(&(k.project_id, k.deleted)).copied().unwrap_or(0),
                )
            })
            .collect())
    }
}

impl Loader<ProjectsPage> for Loaders {
    type Value = Vec<Project>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ProjectsPage],
    ) -> Result<HashMap<ProjectsPage, Vec<Project>>, Self::Error> {
        let mut out: HashMap<ProjectsPage, Vec<Project>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let mut conn = self.app.db.conn().await?;
        for ((offset, limit, deleted), group) in by_window(keys, |k| (k.offset, k.limit, k.deleted))
        {
            let parents: Vec<Uuid> = group.iter().map(|k| k.workbench_id).collect();
            let rows: Vec<Project> = diesel::sql_query(
                "SELECT * FROM (SELECT p.*, row_number() OVER (PARTITION BY p.workbench_id ORDER BY p.updated_at DESC, p.id) - 1 AS position \
                 FROM projects p WHERE p.workbench_id = ANY($1) AND (p.deleted_at IS NOT NULL) = $2) ranked \
                 WHERE position >= $3 AND position < $3 + $4 ORDER BY workbench_id, position",
            )
            .bind::<Array<SqlUuid>, _>(&parents)
            .bind::<Bool, _>(deleted)
            .bind::<BigInt, _>(offset)
            .bind::<BigInt, _>(limit)
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
            for project in rows {
                let key = ProjectsPage {
                    workbench_id: project.workbench_id,
                    offset,
                    limit,
                    deleted,
                };
                out.entry(key).or_default().push(project);
            }
        }
        Ok(out)
    }
}

impl Loader<ProjectCount> for Loaders {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ProjectCount]) -> Result<HashMap<ProjectCount, i64>, Self::Error> {
        let parents: Vec<(Uuid, bool)> = keys.iter().map(|k| (k.workbench_id, k.deleted)).collect();
        let counts = count_children(
            self,
            "SELECT workbench_id AS parent, count(*) AS n FROM projects \
             WHERE workbench_id = ANY($1) AND (deleted_at IS NOT NULL) = $2 GROUP BY workbench_id",
            &parents,
        )
        .await?;
        Ok(keys
            .iter()
            .map(|k| {
                (
                    *k,
                    counts
                        .get(&(k.workbench_id, k.deleted))
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect())
    }
}

/// Live (or deleted) children per parent, one `sql` statement per kind asked for;
/// `sql` takes the parent ids as `$1` and "deleted" as `$2`, and returns
/// `parent` and `n`.
async fn count_children(
    loaders: &Loaders,
    sql: &'static str,
    parents: &[(Uuid, bool)],
) -> Result<HashMap<(Uuid, bool), i64>, async_graphql::Error> {
    let mut out = HashMap::new();
    if parents.is_empty() {
        return Ok(out);
    }
    let mut conn = loaders.app.db.conn().await?;
    for deleted in [false, true] {
        let ids: Vec<Uuid> = parents
            .iter()
            .filter(|(_, d)| *d == deleted)
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let counts: Vec<ParentCount> = diesel::sql_query(sql)
            .bind::<Array<SqlUuid>, _>(&ids)
            .bind::<Bool, _>(deleted)
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        out.extend(counts.into_iter().map(|c| ((c.parent, deleted), c.n)));
    }
    Ok(out)
}
