//! The GraphQL schema: roots merged from the domains, per-request context, the
//! DataLoader registry, IDs and pagination.

pub mod activity;
pub mod admission;
pub mod errors;
pub mod id;
pub mod idempotency;
pub mod limits;
pub mod loading;
pub mod node;
pub mod pagination;
pub mod persisted;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};

pub use loading::loader;

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
    // Issue 15: data exports.
    crate::exports::graphql::ExportQuery,
    crate::connections::graphql::ConnectionQuery,
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
    // Issue 15: team invitations and data exports.
    crate::teams::graphql::InvitationMutation,
    crate::exports::graphql::ExportMutation,
    crate::accounts::graphql::SocialSignInMutation,
    crate::connections::graphql::ConnectionMutation,
);

/// The subscription root: one part per domain.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    crate::generation::graphql::GenerationSubscription,
    crate::notifications::graphql::NotificationSubscription,
    crate::credits::graphql::CreditSubscription,
);

pub type AtelierSchema = Schema<Query, Mutation, Subscription>;

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
    let mut builder = builder();
    if !app.config.http.introspection {
        builder = builder.disable_introspection();
    }
    if app.config.environment == crate::config::Environment::Production {
        // No "did you mean ...?": it would describe the schema to a prober.
        builder = builder.disable_suggestions();
    }
    // Spans for parsing, validation and each resolver, under the request's span,
    // only where something exports them: without a collector the log shows events,
    // not spans, and a span per resolver was 40 % of a nested read's instructions.
    if app.config.telemetry.otlp_endpoint.is_some() {
        builder = builder.extension(async_graphql::extensions::Tracing);
    }
    builder
        .extension(errors::ErrorCodes)
        .extension(activity::TouchActivity)
        .data(app.clone())
        // Subscriptions and other callers without per-request loaders use these.
        .with_domain_loaders(&app)
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
        .data(crate::authz::roles::Activity::default())
        .with_domain_loaders(app)
}

/// Registers one DataLoader per domain, sharing one activity counter (see
/// [`loading::new_loader`]). A new domain adds its loader struct here.
trait WithDomainLoaders: Sized {
    fn data<D: std::any::Any + Send + Sync>(self, data: D) -> Self;

    fn with_domain_loaders(self, app: &AppState) -> Self {
        use loading::new_loader;
        let activity = loading::LoaderActivity::default();
        self.data(new_loader::<crate::accounts::loaders::AccountLoaders>(
            app.clone(),
            &activity,
        ))
        .data(new_loader::<crate::teams::loaders::TeamLoaders>(
            app.clone(),
            &activity,
        ))
        .data(new_loader::<crate::studio::loaders::StudioLoaders>(
            app.clone(),
            &activity,
        ))
        .data(new_loader::<crate::generation::loaders::GenerationLoaders>(
            app.clone(),
            &activity,
        ))
        .data(new_loader::<crate::ai_models::loaders::AiModelLoaders>(
            app.clone(),
            &activity,
        ))
        // Issue 15: data exports.
        .data(new_loader::<crate::exports::loaders::ExportLoaders>(
            app.clone(),
            &activity,
        ))
        .data(new_loader::<crate::connections::loaders::ConnectionLoaders>(app.clone(), &activity))
        .data(activity)
    }
}

impl WithDomainLoaders for async_graphql::Request {
    fn data<D: std::any::Any + Send + Sync>(self, data: D) -> Self {
        async_graphql::Request::data(self, data)
    }
}

impl WithDomainLoaders for SchemaBuilder<Query, Mutation, Subscription> {
    fn data<D: std::any::Any + Send + Sync>(self, data: D) -> Self {
        SchemaBuilder::data(self, data)
    }
}
