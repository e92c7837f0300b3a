//! Batched loads of users and of their cached profile fields.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::User;
use super::profile_cache::{self, CachedProfile};
use crate::app::AppState;
use crate::db::schema::users;
use crate::error::AppError;
use crate::graphql::loading::DomainLoaders;

/// The accounts domain's loaders: `Loader<Key>` for each of its keys.
pub struct AccountLoaders {
    app: AppState,
}

impl DomainLoaders for AccountLoaders {
    fn new(app: AppState) -> Self {
        Self { app }
    }
}

/// A user by id (deleted ones included; callers decide what to show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub Uuid);

/// The cached profile fields of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileOf(pub Uuid);

impl Loader<UserById> for AccountLoaders {
    type Value = User;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, User>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut conn = self.app.db.conn().await?;
        let rows: Vec<User> = users::table
            .filter(users::id.eq_any(&ids))
            .select(User::as_select())
            .load(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|u| (UserById(u.id), u)).collect())
    }
}

impl Loader<ProfileOf> for AccountLoaders {
    type Value = Arc<CachedProfile>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ProfileOf],
    ) -> Result<HashMap<ProfileOf, Arc<CachedProfile>>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let found = profile_cache::load(&self.app.cache, &self.app.db, &ids).await?;
        Ok(found
            .into_iter()
            .map(|(id, p)| (ProfileOf(id), Arc::new(p)))
            .collect())
    }
}
