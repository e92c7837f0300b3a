//! The HTTP surface: GraphQL over HTTP and WebSocket, GraphiQL, health checks.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql_axum::{GraphQLBatchRequest, GraphQLRequest, GraphQLResponse};
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, Request, State, WebSocketUpgrade,
};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::accounts;
use crate::app::AppState;
use crate::authz::RequestInfo;
use crate::error::AppError;
use crate::graphql::admission::refused;
use crate::graphql::{self, AtelierSchema};
use crate::studio;
use crate::ws;

/// The state of every route.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub schema: AtelierSchema,
    pub sockets: Arc<ws::Sockets>,
}

/// All routes of one server; `sockets` is its registry of open WebSockets.
pub fn router(app: AppState, sockets: Arc<ws::Sockets>) -> Router {
    let schema = graphql::build_schema(app.clone());
    // Room for the largest upload plus the rest of a multipart request.
    let body_limit = usize::try_from(app.storage.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    let mut router = Router::new();
    if app.config.http.graphiql {
        router = router
            .route("/graphiql", get(graphiql))
            .route("/graphiql/assets/{file}", get(graphiql_asset));
    }
    router = router.merge(crate::pages::favicon());
    if app.config.http.dashboard {
        router = router.merge(crate::pages::dashboard());
    }
    let cors = cors_layer(&app.config.http.cors_origins);
    let body_rate = crate::listener::BodyRate {
        grace: app.config.bounds.http_header_timeout,
        bytes_per_second: app.config.bounds.http_min_body_rate,
    };
    router
        .route(
            "/graphql",
            get(graphql_get)
                .post(graphql_post)
                .layer(axum::middleware::from_fn(http_rules)),
        )
        .route("/graphql/ws", get(graphql_ws))
        .route("/files/{asset_id}", get(download))
        .route("/exports/{export_id}", get(download_export))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/webhooks/stripe", axum::routing::post(stripe_webhook))
        .route("/webhooks/odoo", axum::routing::post(odoo_webhook))
        .layer(axum::middleware::from_fn(move |request, next| {
            crate::listener::cut_off_slow_bodies(body_rate, request, next)
        }))
        // Refuses an oversized body with 413 before reading it (the GraphQL extractor
        // streams the body itself, so axum's own limit does not apply to it).
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            // Every log line of a request carries its id (also sent back as x-request-id).
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            app.config.http.request_timeout,
        ))
        .layer(cors)
        .with_state(ServerState {
            app,
            schema,
            sockets,
        })
}

/// `POST /webhooks/stripe`: 2xx once the event is applied (or was before, or is
/// of no interest), 400 for a bad signature or payload (nothing written), 503
/// without `STRIPE_WEBHOOK_SECRET`, 500 when our side failed (Stripe retries).
async fn stripe_webhook(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use crate::billing::webhooks::{self, Delivery, Refusal};
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let answer = |status: StatusCode, what: &str| {
        (status, Json(serde_json::json!({ "result": what }))).into_response()
    };
    match webhooks::receive(&state.app, signature, &body).await {
        Ok(Delivery::Applied) => answer(StatusCode::OK, "applied"),
        Ok(Delivery::Duplicate) => answer(StatusCode::OK, "duplicate"),
        Ok(Delivery::AlreadyGranted) => answer(StatusCode::OK, "already granted"),
        Ok(Delivery::Ignored) => answer(StatusCode::OK, "ignored"),
        Err(Refusal::NotConfigured) => {
            answer(StatusCode::SERVICE_UNAVAILABLE, "BILLING_NOT_CONFIGURED")
        }
        Err(Refusal::Signature(why)) => {
            tracing::warn!(?why, "stripe webhook refused: signature");
            answer(StatusCode::BAD_REQUEST, "bad signature")
        }
        Err(Refusal::Payload) => answer(StatusCode::BAD_REQUEST, "not a Stripe event"),
        Err(Refusal::Failed(e)) => {
            tracing::error!(error = ?e, "stripe webhook failed");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "failed")
        }
    }
}

/// `POST /webhooks/odoo`: 202 and a sync pass at once for a good
/// `X-Odoo-Signature`, 400 and nothing run for a bad or missing one, 503 without
/// the Odoo settings or ODOO_WEBHOOK_SECRET.
async fn odoo_webhook(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use crate::billing::odoo::webhook::{self, Refusal};
    let signature = headers
        .get("x-odoo-signature")
        .and_then(|v| v.to_str().ok());
    let answer = |status: StatusCode, what: &str| {
        (status, Json(serde_json::json!({ "result": what }))).into_response()
    };
    match webhook::receive(&state.app, signature, &body) {
        Ok(()) => answer(StatusCode::ACCEPTED, "sync scheduled"),
        Err(Refusal::NotConfigured) => {
            answer(StatusCode::SERVICE_UNAVAILABLE, "ODOO_NOT_CONFIGURED")
        }
        Err(Refusal::Signature) => {
            tracing::warn!("odoo webhook refused: signature");
            answer(StatusCode::BAD_REQUEST, "bad signature")
        }
    }
}

/// CORS for the configured origins only (none: same-origin browsers only).
fn cors_layer(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| header::HeaderValue::from_str(o).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("apollo-require-preflight"),
            header::HeaderName::from_static("x-apollo-operation-name"),
            header::HeaderName::from_static("graphql-preflight"),
            header::HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// How long shutdown waits for sockets to take their close frames.
const SOCKET_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves until `shutdown` resolves, then lets in-flight requests finish and
/// closes every socket with 1001 (upgraded sockets are not HTTP requests, so the
/// graceful shutdown of the HTTP server alone would leave them open).
pub async fn serve(
    app: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sockets = ws::Sockets::start(
        app.config.websocket.max_connections,
        &app.events,
        app.metrics.websocket.clone(),
    );
    let closing = sockets.clone();
    let bounds = app.config.bounds.clone();
    crate::listener::serve(listener, router(app, sockets), &bounds, async move {
        shutdown.await;
        closing.shut_down(SOCKET_GRACE).await;
    })
    .await
}

/// Who is calling and from where, for one HTTP request.
fn request_info(headers: &HeaderMap, peer: SocketAddr) -> RequestInfo {
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    RequestInfo {
        ip: Some(peer.ip()),
        user_agent: header(header::USER_AGENT),
        origin: header(header::ORIGIN),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

/// Checks the limits, authenticates, checks the caller's budget, then runs the
/// operation with the caller in its context. A query over a limit runs nothing:
/// the shape limits are checked before authentication, on the parsed document.
async fn execute(
    state: &ServerState,
    headers: &HeaderMap,
    peer: SocketAddr,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let started = std::time::Instant::now();
    let mut request = request;
    let admitted = graphql::admission::admit(&state.app, &mut request).await;
    let operation = graphql::admission::operation_label(&mut request);
    let response = match admitted {
        Ok(admitted) => run(state, headers, peer, request, admitted).await,
        Err(refusal) => refusal,
    };
    let outcome = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|ext| ext.get("code"))
        .map_or_else(
            || {
                if response.errors.is_empty() {
                    "ok".to_string()
                } else {
                    "error".to_string()
                }
            },
            |code| code.to_string().trim_matches('"').to_string(),
        );
    state
        .app
        .metrics
        .request(&operation, &outcome, started.elapsed().as_secs_f64());
    response
}

async fn run(
    state: &ServerState,
    headers: &HeaderMap,
    peer: SocketAddr,
    mut request: async_graphql::Request,
    admitted: graphql::admission::Admitted,
) -> async_graphql::Response {
    let app = &state.app;
    let cost = admitted.cost;
    let info = request_info(headers, peer);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match accounts::authenticate(app, authorization, &info).await {
        Ok(caller) => caller,
        Err(e) => return refused(e),
    };
    if let Err(refusal) = graphql::admission::check_budget(app, &caller, cost).await {
        return refusal;
    }
    graphql::admission::register(app, admitted.registration, &caller, &info).await;
    // Side-effecting requests may carry an Idempotency-Key: the first response is
    // kept and replayed for repeats of the same request.
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|_| is_mutation(&mut request));
    let scope = graphql::idempotency::caller_scope(&caller, &info);
    if let Some(key) = &idempotency_key {
        let hash = graphql::idempotency::request_hash(&request);
        let claimed = async {
            let mut conn = app.db.conn().await?;
            graphql::idempotency::claim(&mut conn, &scope, key, &hash).await
        }
        .await;
        match claimed {
            Ok(graphql::idempotency::Claim::Run) => {}
            Ok(graphql::idempotency::Claim::Replay(response)) => return *response,
            Err(e) => return refused(e),
        }
    }
    let mut response = state
        .schema
        .execute(graphql::in_context(request, app, caller, info))
        .await;
    response
        .extensions
        .insert("cost".into(), async_graphql::Value::from(cost));
    if let Some(key) = &idempotency_key {
        let stored = async {
            let mut conn = app.db.conn().await?;
            graphql::idempotency::complete(&mut conn, &scope, key, &response).await
        }
        .await;
        if let Err(e) = stored {
            tracing::error!(error = ?e, "could not store an idempotent response");
        }
    }
    response
}

/// One operation, or a JSON array of them: a batch is for signed-in callers only
/// and at most `MAX_BATCH` long (each operation is checked and counted on its own).
async fn graphql_post(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLBatchRequest,
) -> Response {
    let response = match request.into_inner() {
        async_graphql::BatchRequest::Single(request) => {
            async_graphql::BatchResponse::Single(execute(&state, &headers, peer, request).await)
        }
        async_graphql::BatchRequest::Batch(requests) => {
            let max = state.app.config.http.max_batch;
            if !headers.contains_key(header::AUTHORIZATION) {
                async_graphql::BatchResponse::Single(refused(AppError::Unauthenticated))
            } else if requests.len() > max {
                async_graphql::BatchResponse::Single(refused(AppError::bad_input(
                    "batch",
                    format!("at most {max} operations per batch"),
                )))
            } else {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(execute(&state, &headers, peer, request).await);
                }
                async_graphql::BatchResponse::Batch(responses)
            }
        }
    };
    negotiate(&headers, GraphQLResponse(response))
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The media type of a request body, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// A JSON error body for a request refused before GraphQL sees it.
fn http_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]});
    (status, Json(body)).into_response()
}

/// GraphQL over HTTP: supported body types only (415), and CSRF prevention — a
/// request a browser could send cross-site without a preflight (a GET, or a POST
/// with a "simple" content type, multipart included) that carries an ambient
/// credential, or such a POST without any credential, must carry a non-empty
/// `apollo-require-preflight`, `x-apollo-operation-name` or `graphql-preflight`
/// header, which no cross-site form can add; otherwise 400 and nothing runs
/// (the rule and its reasons: `csrf.rs`).
async fn http_rules(request: Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers();
    if is_websocket_upgrade(headers) {
        return next.run(request).await;
    }
    let media = media_type(headers);
    let is_post = request.method() == axum::http::Method::POST;
    if is_post {
        let supported = matches!(
            media.as_deref(),
            Some("application/json")
                | Some("application/graphql-response+json")
                | Some("multipart/form-data")
        );
        let simple = matches!(
            media.as_deref(),
            None | Some("text/plain")
                | Some("application/x-www-form-urlencoded")
                | Some("multipart/form-data")
        );
        if !supported && !simple {
            return http_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send application/json (or multipart/form-data for uploads)",
            );
        }
        if !simple {
            return next.run(request).await;
        }
    }
    let preflighted = [
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "graphql-preflight",
    ]
    .iter()
    .any(|name| headers.get(*name).is_some_and(|v| !v.is_empty()));
    if !preflighted && crate::csrf::needs_preflight(headers, !is_post) {
        return http_error(
            StatusCode::BAD_REQUEST,
            "this request needs an apollo-require-preflight, x-apollo-operation-name or graphql-preflight header (CSRF prevention)",
        );
    }
    if is_post && media.as_deref() != Some("multipart/form-data") {
        // text/plain or form bodies with the header: still not GraphQL bodies.
        return http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send application/json (or multipart/form-data for uploads)",
        );
    }
    next.run(request).await
}

/// GraphQL over HTTP's media types: `application/graphql-response+json` when the
/// client asks for it, then a request error (the document did not parse or
/// validate: nothing ran) is a 400 without `data`; otherwise `application/json`
/// with 200, as legacy clients expect.
fn negotiate(headers: &HeaderMap, response: GraphQLResponse) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let graphql_response = accept.contains("application/graphql-response+json");
    if graphql_response {
        if let async_graphql::BatchResponse::Single(single) = &response.0 {
            let request_error = single.data == async_graphql::Value::Null
                && !single.errors.is_empty()
                && single.errors.iter().all(|e| e.path.is_empty());
            if request_error {
                let body =
                    serde_json::json!({"errors": single.errors, "extensions": single.extensions});
                return (
                    StatusCode::BAD_REQUEST,
                    [(
                        header::CONTENT_TYPE,
                        "application/graphql-response+json; charset=utf-8",
                    )],
                    body.to_string(),
                )
                    .into_response();
            }
        }
        return response.into_response();
    }
    let mut response = response.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Whether the operation a GET would run is a mutation (GET may only read).
fn is_mutation(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => match &name {
            Some(name) => ops
                .iter()
                .any(|(n, op)| n.as_str() == name && op.node.ty == OperationType::Mutation),
            None => false,
        },
    }
}

/// `GET /graphql` is a query in the URL, or a WebSocket upgrade for subscriptions.
async fn graphql_get(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if is_websocket_upgrade(request.headers()) {
        let (mut parts, _) = request.into_parts();
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => {
                let info = request_info(&parts.headers, peer);
                ws::upgrade(state.app, state.schema, &state.sockets, upgrade, info)
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let headers = request.headers().clone();
    match <GraphQLRequest as axum::extract::FromRequest<ServerState>>::from_request(request, &state)
        .await
    {
        Ok(request) => {
            let mut request = request.into_inner();
            if is_mutation(&mut request) {
                let mut response =
                    http_error(StatusCode::METHOD_NOT_ALLOWED, "mutations need POST");
                response
                    .headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
                return response;
            }
            let response = execute(&state, &headers, peer, request).await;
            negotiate(&headers, response.into())
        }
        Err(rejection) => rejection.into_response(),
    }
}

/// Subscriptions: credentials come in the `connection_init` payload
/// (`{"authorization": "Bearer <token>"}`, `Authorization` accepted too).
async fn graphql_ws(
    State(state): State<ServerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let info = request_info(&headers, peer);
    ws::upgrade(state.app, state.schema, &state.sockets, upgrade, info)
}

#[derive(serde::Deserialize)]
struct DownloadParams {
    expires: i64,
    signature: String,
}

/// Serves an asset's file to the holder of a signed, unexpired URL (`Asset.downloadUrl`).
async fn download(
    State(state): State<ServerState>,
    Path(asset_id): Path<String>,
    Query(params): Query<DownloadParams>,
) -> Response {
    let Ok(asset_id) = uuid::Uuid::parse_str(&asset_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !studio::service::assets::check_download(
        &state.app,
        asset_id,
        params.expires,
        &params.signature,
    ) {
        return (StatusCode::FORBIDDEN, "this link is invalid or has expired").into_response();
    }
    match studio::service::assets::file_of(&state.app, asset_id).await {
        Ok(Some((asset, bytes))) => {
            let disposition = format!(
                "inline; filename=\"{}\"",
                asset.name.replace(['"', '\\', '\r', '\n'], "_")
            );
            let mut headers = HeaderMap::new();
            if let Ok(v) = header::HeaderValue::from_str(&asset.mime_type) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = header::HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("private, max-age=300"),
            );
            headers.insert(
                "x-content-type-options",
                header::HeaderValue::from_static("nosniff"),
            );
            (headers, bytes).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, %asset_id, "download failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Serves a data export's ZIP to the holder of a signed, unexpired URL
/// (`UserDataExport.downloadUrl`), streamed from storage.
async fn download_export(
    State(state): State<ServerState>,
    Path(export_id): Path<String>,
    Query(params): Query<DownloadParams>,
) -> Response {
    let Ok(export_id) = uuid::Uuid::parse_str(&export_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !crate::exports::service::check_download(
        &state.app,
        export_id,
        params.expires,
        &params.signature,
    ) {
        return (StatusCode::FORBIDDEN, "this link is invalid or has expired").into_response();
    }
    match crate::exports::service::file_of(&state.app, export_id).await {
        Ok(Some((export, size, stream))) => {
            let disposition = format!(
                "attachment; filename=\"atelier-{}-export-{}.zip\"",
                export.kind.as_db_str(),
                export.requested_at.format("%Y%m%d")
            );
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/zip"),
            );
            headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(size));
            if let Ok(v) = header::HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("private, no-store"),
            );
            (headers, axum::body::Body::from_stream(stream)).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, %export_id, "export download failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Prometheus text format.
async fn metrics(State(state): State<ServerState>) -> Response {
    let app = &state.app;
    let depth = async {
        let mut conn = app.db.conn().await.ok()?;
        crate::generation::queue::open_jobs(&mut conn).await.ok()
    }
    .await
    .unwrap_or(-1);
    app.metrics.set_queue_depth(depth);
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        app.metrics.render(),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<ServerState>) -> Response {
    match state.app.check_ready().await {
        Ok(()) => Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(problem) => {
            tracing::warn!(%problem, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "problem": problem})),
            )
                .into_response()
        }
    }
}

async fn graphiql() -> Html<&'static str> {
    Html(GRAPHIQL_HTML)
}

const GRAPHIQL_HTML: &str = include_str!("../assets/graphiql/index.html");

/// GraphiQL's own files, compiled in so the page works with no internet access.
const GRAPHIQL_ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/assets/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/assets/graphiql.min.css"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/assets/graphql-ws.min.js"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/assets/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/assets/react-dom.production.min.js"),
    ),
];

async fn graphiql_asset(Path(file): Path<String>) -> Response {
    match GRAPHIQL_ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(content_type),
            );
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("public, max-age=86400"),
            );
            (headers, *bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
