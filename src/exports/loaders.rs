//! Batched loads of data exports.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::UserDataExport;
use crate::app::AppState;
use crate::db::schema::user_data_exports;
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The exports domain's loaders.
pub struct ExportLoaders {
    app: AppState,
}

impl DomainLoaders for ExportLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// An export by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DataExportById(pub Uuid);

impl Loader<DataExportById> for ExportLoaders {
    type Value = UserDataExport;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[DataExportById],
    ) -> Result<HashMap<DataExportById, UserDataExport>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<UserDataExport> = user_data_exports::table
            .filter(user_data_exports::id.eq_any(&ids))
            .select(UserDataExport::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|e| (DataExportById(e.id), e))
            .collect())
    }
}
