//! The GraphQL schema: roots merged from the domains, per-request context, the
//! DataLoader registry, IDs and pagination.

pub mod id;
pub mod node;
pub mod pagination;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};

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
);

/// The mutation root: one part per domain.
#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::accounts::graphql::AuthMutation,
    crate::accounts::graphql::SecurityMutation,
    crate::accounts::graphql::ApiClientMutation,
    crate::teams::graphql::TeamMutation,
    crate::studio::graphql::WorkbenchMutation,
    crate::studio::graphql::ProjectMutation,
    crate::studio::graphql::BrandKitMutation,
    crate::studio::graphql::TemplateMutation,
    crate::studio::graphql::AssetMutation,
    crate::generation::graphql::GenerationMutation,
    crate::notifications::graphql::NotificationMutation,
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
    let loaders = DataLoader::new(Loaders { app: app.clone() }, tokio::spawn);
    builder().data(app).data(loaders).finish()
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
    ctx.data_unchecked::<DataLoader<Loaders>>()
}
