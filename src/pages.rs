//! The pages the server serves to people besides GraphiQL: the favicon and the
//! live dashboard (`/dashboard`, `ENABLE_DASHBOARD`), with every file compiled
//! in, so they work with no internet access.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const FAVICON: &[u8] = include_bytes!("../assets/favicon.ico");

/// The dashboard's files: name, content type, bytes. The graphql-ws browser
/// bundle is the one GraphiQL ships.
const DASHBOARD_FILES: &[(&str, &str, &[u8])] = &[
    (
        "dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/dashboard/dashboard.js"),
    ),
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/dashboard/dashboard.css"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/assets/graphql-ws.min.js"),
    ),
];

const DASHBOARD_HTML: &[u8] = include_bytes!("../assets/dashboard/index.html");

/// `/favicon.ico`, which every browser asks for.
pub fn favicon<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(
        "/favicon.ico",
        get(|| async { file("image/x-icon", FAVICON, "public, max-age=86400") }),
    )
}

/// `/dashboard` and its assets.
pub fn dashboard<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { file("text/html; charset=utf-8", DASHBOARD_HTML, "no-cache") }),
        )
        .route("/dashboard/assets/{file}", get(dashboard_asset))
}

async fn dashboard_asset(Path(name): Path<String>) -> Response {
    match DASHBOARD_FILES.iter().find(|(n, _, _)| *n == name) {
        // Revalidated each load: the files change with the server, not their names.
        Some((_, content_type, bytes)) => file(content_type, bytes, "no-cache"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn file(content_type: &'static str, bytes: &'static [u8], cache: &'static str) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    (headers, bytes).into_response()
}
