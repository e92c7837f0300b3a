//! The GraphQL schema: roots merged from the domains, per-request context, the
//! DataLoader registry, IDs and pagination.

pub mod admission;
pub mod errors;
pub mod id;
pub mod idempotency;
pub mod limits;
pub mod node;
pub mod pagination;
pub mod persisted;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::AppState;

/// The query root: one part per domain.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    crate::accounts::graphql::UserQuery,
    crate::accounts::graphql::SecurityQuery,
    crate::accounts::graphql::ApiClientQuery,
    crate::teams::graphql::TeamQuery,
    crate::ai_models::graphql::AiModelQuery,
    crate::studio::graphql::WorkbenchQuery,
    crate::studio::graphql::ProjectQuery,
    crate::studio::graphql::BrandKitQuery,
    crate::studio::graphql::TemplateQuery,
    crate::studio::graphql::AssetQuery,
    crate::generation::graphql::GenerationQuery,
    crate::notifications::graphql::NotificationQuery,
    crate::credits::graphql::CreditQuery,
    crate::admin::graphql::AdminQuery,
);

/// The mutation root: one part per domain.
#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::accounts::graphql::AuthMutation,
    crate::accounts::graphql::SecurityMutation,
    crate::accounts::graphql::ApiClientMutation,
    crate::teams::graphql::TeamMutation,
    crate::ai_models::graphql::AiModelMutation,
    crate::ai_models::graphql::FeedbackMutation,
    crate::studio::graphql::WorkbenchMutation,
    crate::studio::graphql::ProjectMutation,
    crate::studio::graphql::BrandKitMutation,
    crate::studio::graphql::TemplateMutation,
    crate::studio::graphql::AssetMutation,
    crate::generation::graphql::GenerationMutation,
    crate::notifications::graphql::NotificationMutation,
    crate::admin::graphql::AdminMutation,
);

/// The subscription root: one part per domain.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    crate::generation::graphql::GenerationSubscription,
    crate::notifications::graphql::NotificationSubscription,
    crate::credits::graphql::CreditSubscription,
);

pub type AtelierSchema = Schema<Query, Mutation, Subscription>;

/// What every DataLoader of every domain needs; each domain implements
/// `Loader<Key>` on it for its own key types.
pub struct Loaders {
    pub app: AppState,
    /// Bumped on every use of the loaders of one request (see [`request_loaders`]).
    activity: Arc<AtomicU64>,
}

/// The schema's shape, without runtime data: shared by the server and `sdl()`.
fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

/// The schema served by this process.
pub fn build_schema(app: AppState) -> AtelierSchema {
    // Subscriptions and other callers without per-request loaders use this one.
    let loaders = new_loaders(app.clone());
    let mut builder = builder();
    if !app.config.http.introspection {
        builder = builder.disable_introspection();
    }
    if app.config.environment == crate::config::Environment::Production {
        // No "did you mean ...?": it would describe the schema to a prober.
        builder = builder.disable_suggestions();
    }
    // Spans for parsing, validation and each resolver, under the request's span.
    builder
        .extension(async_graphql::extensions::Tracing)
        .extension(errors::ErrorCodes)
        .data(app)
        .data(loaders)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The application state inside a resolver.
pub fn app<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The DataLoader registry inside a resolver.
pub fn loaders<'a>(ctx: &Context<'a>) -> &'a DataLoader<Loaders> {
    let loaders = ctx.data_unchecked::<DataLoader<Loaders>>();
    loaders.loader().activity.fetch_add(1, Ordering::Relaxed);
    loaders
}

/// The loaders of one HTTP request: one batch per relation per level, however
/// long it takes to resolve a level.
///
/// A level (say 2000 assets) is not resolved in one go: nested `FuturesUnordered`
/// yield back to the executor every few items, and a fixed delay would fire
/// part-way and split the batch. So a batch starts only once the request has
/// stopped asking its loaders for more (its activity counter settled), which
/// makes the number of SQL statements of a query independent of its page size.
fn request_loaders(app: AppState) -> DataLoader<Loaders> {
    new_loaders(app)
}

/// What every operation runs with, over HTTP and WebSocket alike: its caller,
/// where it came from, and loaders of its own.
pub fn in_context(
    request: async_graphql::Request,
    app: &AppState,
    caller: crate::authz::Caller,
    info: crate::authz::RequestInfo,
) -> async_graphql::Request {
    request
        .data(caller)
        .data(info)
        .data(crate::authz::SignedInDuringRequest::default())
        .data(request_loaders(app.clone()))
}

fn new_loaders(app: AppState) -> DataLoader<Loaders> {
    let activity = Arc::new(AtomicU64::new(0));
    let watched = activity.clone();
    DataLoader::new(Loaders { app, activity }, move |batch| {
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
