//! What every operation goes through before a resolver runs, over HTTP and
//! WebSocket alike: persisted-query lookup, size and shape limits (on the parsed
//! document, before authentication, so a refused query runs no SQL), and the
//! caller's complexity budget.

use crate::accounts::model::SubscriptionTier;
use crate::accounts::profile_cache;
use crate::app::App;
use crate::authz::Caller;
use crate::error::AppError;
use crate::graphql::{limits, persisted};

/// What an admitted request costs, and the persisted query it asks to register
/// (stored through [`register`] once the caller is known).
pub struct Admitted {
    pub cost: u64,
    pub registration: Option<persisted::Registration>,
}

/// Resolves a persisted query and checks the document against the shape limits.
/// Returns the query's cost, or the response that refuses it. The document is
/// parsed here once and kept in the request: the label, the GET check and the
/// executor read that parse instead of their own.
pub async fn admit(
    app: &App,
    request: &mut async_graphql::Request,
) -> Result<Admitted, async_graphql::Response> {
    let registration = resolve_persisted(app, request).await?;
    let shape = &app.config.limits;
    shape.check_size(&request.query).map_err(refused)?;
    // An unparsable document is left to the executor, which reports it properly.
    // The variables step aside while the request lends out its parsed document.
    let variables = std::mem::take(&mut request.variables);
    let measured = request
        .parsed_query()
        .ok()
        .map(|document| limits::measure(document, &variables));
    request.variables = variables;
    if let Some(m) = &measured {
        shape.check(m).map_err(refused)?;
    }
    Ok(Admitted {
        cost: measured.map_or(0, |m| m.complexity),
        registration,
    })
}

/// Replaces a persisted query's hash by its text (Automatic Persisted Queries),
/// or refuses it; with a safelist, a query that is not on it. A text sent with
/// its hash comes back as the registration to store once the request is admitted.
async fn resolve_persisted(
    app: &App,
    request: &mut async_graphql::Request,
) -> Result<Option<persisted::Registration>, async_graphql::Response> {
    let hash = request
        .extensions
        .get("persistedQuery")
        .and_then(|p| match p {
            async_graphql::Value::Object(fields) => fields.get("sha256Hash").cloned(),
            _ => None,
        })
        .and_then(|h| match h {
            async_graphql::Value::String(h) => Some(h),
            _ => None,
        });
    match persisted::resolve(&app.cache, &app.safelist, &request.query, hash.as_deref()).await {
        // The text replaces an empty query or is the same text (its hash matched),
        // so a parse the request already keeps is still the parse of its query.
        Ok(persisted::Resolution::Stored(text)) => request.query = text,
        Ok(persisted::Resolution::AsSent) => {}
        Ok(persisted::Resolution::Register(pending)) => return Ok(Some(pending)),
        Err(refusal) => return Err(persisted_refusal(refusal)),
    }
    Ok(None)
}

/// Stores the persisted query an admitted request brought, for its caller.
pub async fn register(
    app: &App,
    registration: Option<persisted::Registration>,
    caller: &Caller,
    info: &crate::authz::RequestInfo,
) {
    if let Some(registration) = registration {
        let scope = crate::graphql::idempotency::caller_scope(caller, info);
        persisted::register(app, registration, &scope).await;
    }
}

/// Refuses a query costing more than the caller's plan (or API client) allows.
pub async fn check_budget(
    app: &App,
    caller: &Caller,
    cost: u64,
) -> Result<(), async_graphql::Response> {
    limits::check_budget(cost, budget_of(app, caller).await).map_err(refused)
}

/// The operation's name for metrics: the one asked for, or the document's only
/// named operation, else `anonymous`.
pub fn operation_label(request: &mut async_graphql::Request) -> String {
    use async_graphql::parser::types::DocumentOperations;
    if let Some(name) = &request.operation_name {
        return name.clone();
    }
    match request.parsed_query().map(|d| &d.operations) {
        Ok(DocumentOperations::Multiple(ops)) if ops.len() == 1 => ops
            .keys()
            .next()
            .map_or_else(|| "anonymous".into(), |n| n.to_string()),
        _ => "anonymous".into(),
    }
}

/// The persisted-query protocol's answers (Apollo clients match on these).
fn persisted_refusal(refusal: persisted::Refusal) -> async_graphql::Response {
    use persisted::Refusal;
    let (message, code) = match refusal {
        Refusal::NotFound => ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"),
        Refusal::HashMismatch => (
            "provided sha256Hash does not match the query",
            "BAD_USER_INPUT",
        ),
        Refusal::NotSafelisted => (
            "only registered operations run on this server",
            "PERSISTED_QUERY_NOT_ALLOWED",
        ),
    };
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    let mut error = async_graphql::ServerError::new(message, None);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// An error response of a request refused before it ran.
pub fn refused(error: AppError) -> async_graphql::Response {
    let error: async_graphql::Error = error.into();
    let mut error = error.into_server_error(Default::default());
    error.locations.clear();
    async_graphql::Response::from_errors(vec![error])
}

/// The complexity budget of a caller: by plan for users, fixed for API clients.
async fn budget_of(app: &App, caller: &Caller) -> u64 {
    let budgets = &app.config.budgets;
    match caller {
        Caller::Anonymous => budgets.anonymous,
        Caller::ApiClient { .. } => budgets.api_client,
        Caller::Session { user_id, .. } => {
            let profile = profile_cache::load(&app.cache, &app.db, &[*user_id]).await;
            match profile.ok().and_then(|p| p.get(user_id).map(|p| p.tier())) {
                Some(SubscriptionTier::Pro) => budgets.pro,
                Some(SubscriptionTier::Team) => budgets.team,
                Some(SubscriptionTier::Enterprise) => budgets.enterprise,
                _ => budgets.free,
            }
        }
    }
}
