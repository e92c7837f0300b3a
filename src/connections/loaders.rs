//! Batched loads of connections.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::SocialMediaConnection;
use crate::app::AppState;
use crate::db::schema::social_media_connections;
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The connections domain's loaders.
pub struct ConnectionLoaders {
    app: AppState,
}

impl DomainLoaders for ConnectionLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// A connection by id (callers check it is the caller's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionById(pub Uuid);

impl Loader<ConnectionById> for ConnectionLoaders {
    type Value = SocialMediaConnection;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ConnectionById],
    ) -> Result<HashMap<ConnectionById, SocialMediaConnection>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<SocialMediaConnection> = social_media_connections::table
            .filter(social_media_connections::id.eq_any(&ids))
            .select(SocialMediaConnection::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|c| (ConnectionById(c.id), c))
            .collect())
    }
}
