//! How resolvers reach the DataLoaders. Each domain owns a loader struct (in its
//! `loaders.rs`) and implements `Loader<Key>` on it for its own keys; the schema
//! registers one `DataLoader` per domain per request ([`super::in_context`]) and
//! a resolver asks for the one it needs with [`loader`]. This module imports no
//! domain, so a domain's loaders depend on nothing above them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::dataloader::DataLoader;
use async_graphql::Context;

use crate::app::AppState;

/// A domain's loader struct: built from the application state.
pub trait DomainLoaders: Send + Sync + 'static {
    fn new(app: AppState) -> Self;
}

/// Bumped on every use of the loaders of one request, whatever their domain:
/// a batch starts only once the request stopped asking (see [`new_loader`]).
#[derive(Debug, Clone, Default)]
pub struct LoaderActivity(Arc<AtomicU64>);

/// The request's DataLoader of domain loaders `L`.
pub fn loader<'a, L: Send + Sync + 'static>(ctx: &Context<'a>) -> &'a DataLoader<L> {
    if let Some(activity) = ctx.data_opt::<LoaderActivity>() {
        activity.0.fetch_add(1, Ordering::Relaxed);
    }
    ctx.data_unchecked::<DataLoader<L>>()
}

/// A DataLoader of `L` for one request: one batch per relation per level,
/// however long it takes to resolve a level.
///
/// A level (say 2000 assets) is not resolved in one go: nested `FuturesUnordered`
/// yield back to the executor every few items, and a fixed delay would fire
/// part-way and split the batch. So a batch starts only once the request has
/// stopped asking its loaders for more (its activity counter settled), which
/// makes the number of SQL statements of a query independent of its page size.
pub fn new_loader<L: DomainLoaders>(app: AppState, activity: &LoaderActivity) -> DataLoader<L> {
    let watched = activity.0.clone();
    DataLoader::new(L::new(app), move |batch| {
        let activity = watched.clone();
        tokio::spawn(async move {
            settle(&activity).await;
            batch.await;
        })
    })
    // A page of 100 projects x 20 assets asks for 2000 keys at once: never split it.
    .max_batch_size(50_000)
    .delay(Duration::from_millis(1))
}

/// Waits until `activity` stops moving across a few scheduler turns (at most 50 ms).
async fn settle(activity: &AtomicU64) {
    let started = Instant::now();
    loop {
        let before = activity.load(Ordering::Relaxed);
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        if activity.load(Ordering::Relaxed) == before
            || started.elapsed() > Duration::from_millis(50)
        {
            return;
        }
    }
}
