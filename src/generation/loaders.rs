//! Batched loads of generation requests.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::GenerationRequest;
use crate::app::AppState;
use crate::db::schema::generation_requests;
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The generation domain's loaders: `Loader<Key>` for each of its keys.
pub struct GenerationLoaders {
    app: AppState,
}

impl DomainLoaders for GenerationLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// A generation request by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GenerationRequestById(pub Uuid);

impl Loader<GenerationRequestById> for GenerationLoaders {
    type Value = GenerationRequest;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[GenerationRequestById],
    ) -> Result<HashMap<GenerationRequestById, GenerationRequest>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<GenerationRequest> = generation_requests::table
            .filter(generation_requests::id.eq_any(&ids))
            .select(GenerationRequest::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| (GenerationRequestById(r.id), r))
            .collect())
    }
}
