//! Batched loads of AI models and versions: one query per batch of keys.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::feedback::{self, Rating};
use super::model::{
    self, AiModel, AiModelDeployment, AiModelFeedback, AiModelValidationResult, AiModelVersion,
};
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

/// Every version of a model, newest first (platform admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionsOf(pub Uuid);

/// A validation result by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidationById(pub Uuid);

/// Every validation of a version, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidationsOf(pub Uuid);

/// A deployment by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeploymentById(pub Uuid);

/// Every deployment of a version, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeploymentsOf(pub Uuid);

/// Groups `rows` under the key each belongs to; every key gets a list.
fn grouped<K, V>(keys: &[K], rows: Vec<V>, key_of: impl Fn(&V) -> K) -> HashMap<K, Vec<V>>
where
    K: Copy + Eq + std::hash::Hash,
{
    let mut map: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        map.entry(key_of(&row)).or_default().push(row);
    }
    map
}

impl Loader<VersionsOf> for AiModelLoaders {
    type Value = Vec<AiModelVersion>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[VersionsOf],
    ) -> Result<HashMap<VersionsOf, Vec<AiModelVersion>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::versions_of(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(grouped(keys, rows, |v| VersionsOf(v.model_id)))
    }
}

impl Loader<ValidationById> for AiModelLoaders {
    type Value = AiModelValidationResult;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ValidationById],
    ) -> Result<HashMap<ValidationById, AiModelValidationResult>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::validations_by_ids(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|v| (ValidationById(v.id), v))
            .collect())
    }
}

impl Loader<ValidationsOf> for AiModelLoaders {
    type Value = Vec<AiModelValidationResult>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ValidationsOf],
    ) -> Result<HashMap<ValidationsOf, Vec<AiModelValidationResult>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::validations_of(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(grouped(keys, rows, |v| ValidationsOf(v.model_version_id)))
    }
}

impl Loader<DeploymentById> for AiModelLoaders {
    type Value = AiModelDeployment;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[DeploymentById],
    ) -> Result<HashMap<DeploymentById, AiModelDeployment>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::deployments_by_ids(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|d| (DeploymentById(d.id), d))
            .collect())
    }
}

impl Loader<DeploymentsOf> for AiModelLoaders {
    type Value = Vec<AiModelDeployment>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[DeploymentsOf],
    ) -> Result<HashMap<DeploymentsOf, Vec<AiModelDeployment>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = model::deployments_of(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(grouped(keys, rows, |d| DeploymentsOf(d.model_version_id)))
    }
}

/// The aggregate rating of a model (all its versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RatingOfModel(pub Uuid);

/// The aggregate rating of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RatingOfVersion(pub Uuid);

/// The feedback given on a generation request, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeedbackOf(pub Uuid);

impl Loader<RatingOfModel> for AiModelLoaders {
    type Value = Rating;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RatingOfModel],
    ) -> Result<HashMap<RatingOfModel, Rating>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = feedback::ratings_of_models(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|(id, r)| (RatingOfModel(id), r))
            .collect())
    }
}

impl Loader<RatingOfVersion> for AiModelLoaders {
    type Value = Rating;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RatingOfVersion],
    ) -> Result<HashMap<RatingOfVersion, Rating>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = feedback::ratings_of_versions(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|(id, r)| (RatingOfVersion(id), r))
            .collect())
    }
}

impl Loader<FeedbackOf> for AiModelLoaders {
    type Value = Vec<AiModelFeedback>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[FeedbackOf],
    ) -> Result<HashMap<FeedbackOf, Vec<AiModelFeedback>>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows = feedback::of_requests(&mut conn, &ids)
            .await
            .map_err(AppError::from)?;
        Ok(grouped(keys, rows, |f| {
            FeedbackOf(f.generation_request_id.unwrap_or_default())
        }))
    }
}
