//! Social media connections against a fake platform the test starts (OAuth 2.0
//! authorization, token, account and revocation endpoints): connecting, the
//! tokens unreadable in the database, a refresh and a failed one, disconnecting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::fake_oidc::{consent, query_of, text, REDIRECT_URI};
use crate::helpers::{error_code, TestApp};

#[derive(Default)]
struct PlatformState {
    /// code -> PKCE challenge
    codes: HashMap<String, String>,
    issued: Vec<String>,
    refreshes: usize,
    refresh_fails: bool,
    expires_in: i64,
    revoked: Vec<HashMap<String, String>>,
    /// Publication calls answered 500 before the platform works.
    publish_failures_left: usize,
    publish_calls: usize,
    /// Posts made: (idempotency key, caption, media).
    posts: Vec<(String, String, Vec<u8>)>,
}

#[derive(Clone)]
struct FakePlatform {
    base: String,
    state: Arc<Mutex<PlatformState>>,
}

impl FakePlatform {
    async fn start(expires_in: i64) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let platform = FakePlatform {
            base,
            state: Arc::new(Mutex::new(PlatformState {
                expires_in,
                ..Default::default()
            })),
        };
        let router = axum::Router::new()
            .route("/oauth/authorize", axum::routing::get(authorize))
            .route("/oauth/token", axum::routing::post(token))
            .route("/oauth/revoke", axum::routing::post(revoke))
            .route("/me", axum::routing::get(me))
            .route("/publish", axum::routing::post(publish))
            .with_state(platform.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        platform
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlatformState> {
        self.state.lock().expect("fake platform state")
    }

    /// `SOCIAL_PLATFORMS_FILE` content naming this platform as Instagram.
    fn config_file(&self) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temp file");
        let config = json!({"Instagram": {
            "authorizeUrl": format!("{}/oauth/authorize", self.base),
            "tokenUrl": format!("{}/oauth/token", self.base),
            "revokeUrl": format!("{}/oauth/revoke", self.base),
            "accountUrl": format!("{}/me", self.base),
            "clientId": "ig-client",
            "clientSecret": "ig-secret",
            "scopes": ["publish", "profile"],
            "publishUrl": format!("{}/publish", self.base),
        }});
        std::fs::write(file.path(), config.to_string()).expect("written");
        file
    }
}

fn new_tokens(state: &mut PlatformState) -> Value {
    let access = format!("ig-access-{}", uuid::Uuid::new_v4().simple());
    let refresh = format!("ig-refresh-{}", uuid::Uuid::new_v4().simple());
    state.issued.push(access.clone());
    state.issued.push(refresh.clone());
    json!({"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
           "expires_in": state.expires_in})
}

async fn authorize(
    State(platform): State<FakePlatform>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let code = format!("ig-code-{}", uuid::Uuid::new_v4().simple());
    platform.lock().codes.insert(
        code.clone(),
        query.get("code_challenge").cloned().unwrap_or_default(),
    );
    let location = format!(
        "{}?code={code}&state={}",
        query.get("redirect_uri").cloned().unwrap_or_default(),
        query.get("state").cloned().unwrap_or_default()
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn token(
    State(platform): State<FakePlatform>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut state = platform.lock();
    let refused = (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_grant"})),
    );
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let challenge = form
                .get("code")
                .and_then(|c| state.codes.remove(c))
                .unwrap_or_default();
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            if challenge.is_empty()
                || URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge
            {
                return refused.into_response();
            }
            Json(new_tokens(&mut state)).into_response()
        }
        Some("refresh_token") => {
            let known = form
                .get("refresh_token")
                .is_some_and(|t| state.issued.contains(t));
            if state.refresh_fails || !known {
                return refused.into_response();
            }
            state.refreshes += 1;
            Json(new_tokens(&mut state)).into_response()
        }
        _ => refused.into_response(),
    }
}

async fn me(State(platform): State<FakePlatform>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    if !platform.lock().issued.contains(&bearer) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(json!({"id": 4242, "username": "sam.makes"})).into_response()
}

async fn publish(
    State(platform): State<FakePlatform>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut state = platform.lock();
    state.publish_calls += 1;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    if !state.issued.contains(&bearer) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if state.publish_failures_left > 0 {
        state.publish_failures_left -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let media = base64::engine::general_purpose::STANDARD
        .decode(body["media"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let index = match state.posts.iter().position(|(k, _, _)| *k == key) {
        Some(i) => i,
        None => {
            let caption = body["caption"].as_str().unwrap_or_default().to_string();
            state.posts.push((key, caption, media));
            state.posts.len() - 1
        }
    };
    Json(json!({"id": format!("ig-post-{}", index + 1)})).into_response()
}

async fn revoke(
    State(platform): State<FakePlatform>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    platform.lock().revoked.push(form);
    StatusCode::OK.into_response()
}

const BEGIN: &str = "mutation($input: BeginSocialConnectionInput!) {
  beginSocialConnection(input: $input) { authorizationUrl state } }";
const COMPLETE: &str = "mutation($input: CompleteSocialConnectionInput!) {
  completeSocialConnection(input: $input) { socialMediaConnection { id platform externalUserId expiresAt status } } }";
const MINE: &str = "{ mySocialConnections { id platform externalUserId expiresAt status } }";
const DISCONNECT: &str = "mutation($input: DisconnectSocialAccountInput!) {
  disconnectSocialAccount(input: $input) { socialMediaConnection { id platform } } }";

async fn spawn(
    platform: &FakePlatform,
    extra: &[(&str, &str)],
) -> (TestApp, tempfile::NamedTempFile) {
    let file = platform.config_file();
    let path = file.path().display().to_string();
    let mut vars = vec![
        ("SOCIAL_PLATFORMS_FILE", path.as_str()),
        ("SOCIAL_REDIRECT_URIS", REDIRECT_URI),
    ];
    vars.extend_from_slice(extra);
    (TestApp::spawn_with(&vars).await, file)
}

/// Connects Instagram for the holder of `token`; returns the connection.
async fn connect(app: &TestApp, token: &str) -> Value {
    let begun = app
        .graphql_as(
            token,
            BEGIN,
            json!({"input": {"platform": "INSTAGRAM", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    let url = text(&begun["data"]["beginSocialConnection"]["authorizationUrl"]).to_string();
    assert!(!url.is_empty(), "{begun}");
    let (code, state) = consent(&url).await;
    let completed = app
        .graphql_as(
            token,
            COMPLETE,
            json!({"input": {"platform": "INSTAGRAM", "code": code, "state": state}}),
        )
        .await;
    assert!(completed["errors"].is_null(), "{completed}");
    completed["data"]["completeSocialConnection"]["socialMediaConnection"].clone()
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// Every text-like value of every table, as text.
async fn every_text_value(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.conn().await;
    let columns: Vec<String> = diesel::sql_query(
        "SELECT quote_ident(table_name) || '.' || quote_ident(column_name) AS v
         FROM information_schema.columns
         WHERE table_schema = 'public'
           AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')",
    )
    .load::<Row>(&mut conn)
    .await
    .expect("columns")
    .into_iter()
    .filter_map(|r| r.v)
    .collect();
    let mut values = Vec::new();
    for column in columns {
        let (table, col) = column.split_once('.').expect("table.column");
        let sql = format!("SELECT {col}::text AS v FROM public.{table} WHERE {col} IS NOT NULL");
        let rows = diesel::sql_query(&sql)
            .load::<Row>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        values.extend(rows.into_iter().filter_map(|r| r.v));
    }
    values
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

#[tokio::test]
async fn a_connection_keeps_its_tokens_sealed_and_shows_only_platform_account_expiry_and_status() {
    let platform = FakePlatform::start(3600).await;
    let (app, _file) = spawn(&platform, &[]).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;

    let begun = app
        .graphql_as(
            &token,
            BEGIN,
            json!({"input": {"platform": "INSTAGRAM", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    let params = query_of(text(
        &begun["data"]["beginSocialConnection"]["authorizationUrl"],
    ));
    assert_eq!(params["client_id"], "ig-client");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["scope"], "publish profile");

    let connection = connect(&app, &token).await;
    assert_eq!(connection["platform"], "INSTAGRAM");
    assert_eq!(connection["externalUserId"], "4242");
    assert_eq!(connection["status"], "ACTIVE");
    assert!(connection["expiresAt"].is_string());

    let mine = app.graphql_as(&token, MINE, json!({})).await;
    assert_eq!(
        mine["data"]["mySocialConnections"].as_array().map(Vec::len),
        Some(1),
        "{mine}"
    );
    let shown = mine.to_string();
    let issued = platform.lock().issued.clone();
    assert_eq!(issued.len(), 2);
    for secret in &issued {
        assert!(!shown.contains(secret.as_str()), "a token in a response");
    }
    // No column of any table holds either token, whole or as a substring.
    let values = every_text_value(&app).await;
    for secret in &issued {
        assert!(
            !values.iter().any(|v| v.contains(secret.as_str())),
            "{secret} is readable in the database"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM social_media_connections
             WHERE access_token LIKE 'v1:%' AND refresh_token LIKE 'v1:%'"
        )
        .await,
        1
    );

    // Another user sees none of it; anonymous callers are refused; nobody
    // finishes a flow another account started.
    let (other, _) = app.sign_up("eve@example.com", "eve password 12").await;
    let theirs = app.graphql_as(&other, MINE, json!({})).await;
    assert_eq!(theirs["data"]["mySocialConnections"], json!([]));
    let anonymous = app.graphql(MINE, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let begun = app
        .graphql_as(
            &token,
            BEGIN,
            json!({"input": {"platform": "INSTAGRAM", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    let (code, state) = consent(text(
        &begun["data"]["beginSocialConnection"]["authorizationUrl"],
    ))
    .await;
    let hijack = app
        .graphql_as(
            &other,
            COMPLETE,
            json!({"input": {"platform": "INSTAGRAM", "code": code, "state": state}}),
        )
        .await;
    assert_eq!(error_code(&hijack), Some("SOCIAL_AUTH_FAILED"), "{hijack}");
    assert_eq!(hijack["errors"][0]["extensions"]["reason"], "INVALID_STATE");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM social_media_connections").await,
        1
    );
}

#[tokio::test]
async fn a_platform_without_settings_is_not_configured() {
    let app = TestApp::spawn_with(&[("SOCIAL_REDIRECT_URIS", REDIRECT_URI)]).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    let response = app
        .graphql_as(
            &token,
            BEGIN,
            json!({"input": {"platform": "TIKTOK", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    assert_eq!(
        error_code(&response),
        Some("PROVIDER_NOT_CONFIGURED"),
        "{response}"
    );
}

/// Polls `check` every 100 ms for up to 20 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn a_token_close_to_expiry_is_refreshed_and_a_failed_refresh_expires_the_connection_with_a_notification(
) {
    // Tokens live 10 minutes; the margin is an hour: every sweep refreshes.
    let platform = FakePlatform::start(600).await;
    let (app, _file) = spawn(
        &platform,
        &[
            ("SOCIAL_REFRESH_INTERVAL_MS", "100"),
            ("SOCIAL_REFRESH_MARGIN_SECONDS", "3600"),
        ],
    )
    .await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    let connection = connect(&app, &token).await;
    let first_expiry = text(&connection["expiresAt"]).to_string();
    let sealed_before = count(
        &app,
        "SELECT count(DISTINCT access_token) AS n FROM social_media_connections",
    )
    .await;
    assert_eq!(sealed_before, 1);

    eventually("a refresh", async || platform.lock().refreshes >= 1).await;
    // The refreshed tokens are the ones stored (sealed), and still not readable.
    eventually("the new tokens stored", async || {
        let mine = app.graphql_as(&token, MINE, json!({})).await;
        mine["data"]["mySocialConnections"][0]["expiresAt"] != first_expiry.as_str()
    })
    .await;
    let values = every_text_value(&app).await;
    for secret in platform.lock().issued.clone() {
        assert!(!values.iter().any(|v| v.contains(secret.as_str())));
    }

    platform.lock().refresh_fails = true;
    eventually("the connection expired", async || {
        let mine = app.graphql_as(&token, MINE, json!({})).await;
        mine["data"]["mySocialConnections"][0]["status"] == "EXPIRED"
    })
    .await;
    let notifications = app
        .graphql_as(
            &token,
            "{ notifications(first: 10) { edges { node { type message metadata } } } }",
            json!({}),
        )
        .await;
    let expired: Vec<&Value> = notifications["data"]["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["type"] == "social_connection_expired")
        .collect();
    assert_eq!(expired.len(), 1, "{notifications}");
    assert_eq!(
        expired[0]["node"]["metadata"]["connectionId"],
        connection["id"]
    );
    assert_eq!(expired[0]["node"]["metadata"]["platform"], "Instagram");
    // An expired connection is not refreshed again.
    let refreshes = platform.lock().refreshes;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(platform.lock().refreshes, refreshes);
}

#[tokio::test]
async fn disconnecting_revokes_the_tokens_at_the_platform_and_deletes_them() {
    let platform = FakePlatform::start(3600).await;
    let (app, _file) = spawn(&platform, &[]).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    let (other, _) = app.sign_up("eve@example.com", "eve password 12").await;
    let connection = connect(&app, &token).await;
    let id = text(&connection["id"]).to_string();

    let not_theirs = app
        .graphql_as(&other, DISCONNECT, json!({"input": {"connectionId": id}}))
        .await;
    assert_eq!(error_code(&not_theirs), Some("NOT_FOUND"), "{not_theirs}");
    assert!(platform.lock().revoked.is_empty());

    let done = app
        .graphql_as(&token, DISCONNECT, json!({"input": {"connectionId": id}}))
        .await;
    assert!(done["errors"].is_null(), "{done}");
    assert_eq!(
        done["data"]["disconnectSocialAccount"]["socialMediaConnection"]["id"],
        id.as_str()
    );
    let (revoked, issued) = {
        let state = platform.lock();
        (state.revoked.clone(), state.issued.clone())
    };
    let revoked_tokens: Vec<&str> = revoked.iter().map(|f| f["token"].as_str()).collect();
    assert_eq!(revoked_tokens, vec![issued[0].as_str(), issued[1].as_str()]);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM social_media_connections").await,
        0
    );
    let mine = app.graphql_as(&token, MINE, json!({})).await;
    assert_eq!(mine["data"]["mySocialConnections"], json!([]));

    let again = app
        .graphql_as(&token, DISCONNECT, json!({"input": {"connectionId": id}}))
        .await;
    assert_eq!(error_code(&again), Some("NOT_FOUND"));
}

#[tokio::test]
async fn only_a_session_of_the_owner_reaches_a_connection() {
    let platform = FakePlatform::start(3600).await;
    let (app, _file) = spawn(&platform, &[]).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    let (other, _) = app.sign_up("eve@example.com", "eve password 12").await;
    let connection = connect(&app, &token).await;
    let id = text(&connection["id"]).to_string();
    const NODE: &str =
        "query($id: ID!) { node(id: $id) { ... on SocialMediaConnection { platform status } } }";

    let own = app.graphql_as(&token, NODE, json!({"id": id})).await;
    assert_eq!(own["data"]["node"]["platform"], "INSTAGRAM", "{own}");
    let foreign = app.graphql_as(&other, NODE, json!({"id": id})).await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");

    // The owner's API key: account self-service needs a session.
    let created = app
        .graphql_as(
            &token,
            "mutation { createApiClient(input: {name: \"CI\", scopes: [\"generation:read\"]}) { secret apiClient { apiKey } } }",
            json!({}),
        )
        .await;
    let payload = &created["data"]["createApiClient"];
    let authorization = format!(
        "ApiKey {}:{}",
        text(&payload["apiClient"]["apiKey"]),
        text(&payload["secret"])
    );
    let listed = app
        .graphql_with(Some(&authorization), &[], MINE, json!({}))
        .await;
    assert_eq!(error_code(&listed), Some("FORBIDDEN"), "{listed}");
    let removed = app
        .graphql_with(
            Some(&authorization),
            &[],
            DISCONNECT,
            json!({"input": {"connectionId": id}}),
        )
        .await;
    assert_eq!(error_code(&removed), Some("FORBIDDEN"), "{removed}");
    let anonymous = app
        .graphql(DISCONNECT, json!({"input": {"connectionId": id}}))
        .await;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM social_media_connections").await,
        1
    );
}

const PUBLISH: &str = "mutation($input: PublishAssetInput!) {
  publishAsset(input: $input) { publishedPost { id platform caption status externalPostId } } }";
const POST: &str =
    "query($id: ID!) { publishedPost(id: $id) { status externalPostId error publishedAt } }";

#[tokio::test]
async fn publishing_under_a_retry_storm_makes_exactly_one_post() {
    let platform = FakePlatform::start(3600).await;
    platform.lock().publish_failures_left = 2;
    let (app, _file) = spawn(&platform, &[("WORKER_POLL_MS", "50")]).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    let connection = connect(&app, &token).await;
    let project_id = crate::uploads::project_in(&app, &token, None).await;
    let bytes = crate::uploads::png(32, 24, 5);
    let uploaded = crate::uploads::upload(
        &app,
        &token,
        &project_id,
        Some("Launch"),
        "launch.png",
        "image/png",
        &bytes,
    )
    .await;
    let asset_id = text(&uploaded["data"]["uploadAsset"]["asset"]["id"]).to_string();
    assert!(!asset_id.is_empty(), "{uploaded}");
    let input = json!({"input": {"assetId": asset_id, "connectionId": connection["id"],
                                 "caption": "Out now"}});

    // The client retries too: five identical requests at once.
    let requests = (0..5).map(|_| app.graphql_as(&token, PUBLISH, input.clone()));
    let answers = futures_util::future::join_all(requests).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| {
            assert!(a["errors"].is_null(), "{a}");
            text(&a["data"]["publishAsset"]["publishedPost"]["id"]).to_string()
        })
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "one post for one (asset, connection, caption)"
    );
    let post_id = ids.into_iter().next().unwrap_or_default();
    assert_eq!(
        answers[0]["data"]["publishAsset"]["publishedPost"]["platform"],
        "INSTAGRAM"
    );

    eventually("the post published", async || {
        let post = app.graphql_as(&token, POST, json!({"id": post_id})).await;
        post["data"]["publishedPost"]["status"] == "PUBLISHED"
    })
    .await;
    let post = app.graphql_as(&token, POST, json!({"id": post_id})).await;
    assert_eq!(post["data"]["publishedPost"]["externalPostId"], "ig-post-1");
    assert!(post["data"]["publishedPost"]["publishedAt"].is_string());
    {
        let state = platform.lock();
        assert_eq!(state.publish_calls, 3, "two failures, then the post");
        assert_eq!(state.posts.len(), 1);
        assert_eq!(state.posts[0].1, "Out now");
        assert_eq!(state.posts[0].2, bytes, "the asset's bytes, unchanged");
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM published_posts").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM generation_jobs WHERE published_post_id IS NOT NULL AND status = 'done' AND attempts = 3").await,
        1
    );
    let notifications = app
        .graphql_as(
            &token,
            "{ notifications(first: 10) { edges { node { type metadata } } } }",
            json!({}),
        )
        .await;
    let published: Vec<&Value> = notifications["data"]["notifications"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["type"] == "social_post_published")
        .collect();
    assert_eq!(published.len(), 1, "{notifications}");
    assert_eq!(
        published[0]["node"]["metadata"]["externalPostId"],
        "ig-post-1"
    );

    // Asked again later: the same record, no new job, no new post.
    let again = app.graphql_as(&token, PUBLISH, input.clone()).await;
    assert_eq!(
        again["data"]["publishAsset"]["publishedPost"]["id"],
        post_id.as_str()
    );
    assert_eq!(
        again["data"]["publishAsset"]["publishedPost"]["status"],
        "PUBLISHED"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM generation_jobs WHERE published_post_id IS NOT NULL"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_platform_that_keeps_failing_ends_the_post_failed_with_a_notification() {
    let platform = FakePlatform::start(3600).await;
    platform.lock().publish_failures_left = 100;
    let (app, _file) = spawn(&platform, &[("WORKER_POLL_MS", "50")]).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    let (other, _) = app.sign_up("eve@example.com", "eve password 12").await;
    let connection = connect(&app, &token).await;
    let project_id = crate::uploads::project_in(&app, &token, None).await;
    let uploaded = crate::uploads::upload(
        &app,
        &token,
        &project_id,
        None,
        "a.png",
        "image/png",
        &crate::uploads::png(8, 8, 1),
    )
    .await;
    let asset_id = text(&uploaded["data"]["uploadAsset"]["asset"]["id"]).to_string();

    // Someone else can neither use the connection nor see the asset.
    let foreign = app
        .graphql_as(
            &other,
            PUBLISH,
            json!({"input": {"assetId": asset_id, "connectionId": connection["id"], "caption": "x"}}),
        )
        .await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");

    let answer = app
        .graphql_as(
            &token,
            PUBLISH,
            json!({"input": {"assetId": asset_id, "connectionId": connection["id"], "caption": "x"}}),
        )
        .await;
    let post_id = text(&answer["data"]["publishAsset"]["publishedPost"]["id"]).to_string();
    assert!(!post_id.is_empty(), "{answer}");
    eventually("the post failed", async || {
        let post = app.graphql_as(&token, POST, json!({"id": post_id})).await;
        post["data"]["publishedPost"]["status"] == "FAILED"
    })
    .await;
    // GENERATION_MAX_ATTEMPTS (3) tries, then given up.
    assert_eq!(platform.lock().publish_calls, 3);
    assert!(platform.lock().posts.is_empty());
    let theirs = app.graphql_as(&other, POST, json!({"id": post_id})).await;
    assert!(theirs["data"]["publishedPost"].is_null(), "{theirs}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM notifications WHERE type = 'social_post_failed'"
        )
        .await,
        1
    );
}
