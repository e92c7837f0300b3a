//! Batched loads of the creative graph.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use super::model::Template;
use super::templates;
use crate::error::AppError;
use crate::graphql::Loaders;

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
