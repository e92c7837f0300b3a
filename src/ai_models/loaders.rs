//! Batched loads of AI models and versions: one query per batch of keys.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::model::{self, AiModel, AiModelVersion};
use crate::app::AppState;
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The ai models domain's loaders: `Loader<Key>` for each of its keys.
pub struct AiModelLoaders {
    app: AppState,
}

impl DomainLoaders for AiModelLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// An AI model by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AiModelById(pub Uuid);

/// A model version by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AiModelVersionById(pub Uuid);

/// The Production versions of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProductionVersionsOf(pub Uuid);

impl Loader<AiModelById> for AiModelLoaders {
    type Value = AiModel;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AiModelById],
    ) -> Result<HashMap<AiModelById, AiModel>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::find_by_ids(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|m| (AiModelById(m.id), m)).collect())
    }
}

impl Loader<AiModelVersionById> for AiModelLoaders {
    type Value = AiModelVersion;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[AiModelVersionById],
    ) -> Result<HashMap<AiModelVersionById, AiModelVersion>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::find_versions_by_ids(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|v| (AiModelVersionById(v.id), v))
            .collect())
    }
}

impl Loader<ProductionVersionsOf> for AiModelLoaders {
    type Value = Vec<AiModelVersion>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ProductionVersionsOf],
    ) -> Result<HashMap<ProductionVersionsOf, Vec<AiModelVersion>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::production_versions_of(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        let mut grouped: HashMap<ProductionVersionsOf, Vec<AiModelVersion>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for version in rows {
            grouped
                .entry(ProductionVersionsOf(version.model_id))
                .or_default()
                .push(version);
        }
        Ok(grouped)
    }
}
