//! GraphQL over HTTP: media types, GET for reads only, CSRF prevention, CORS,
//! content negotiation and production mode.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const SIGN_UP: &str = r#"mutation { signUp(input: {email: "csrf@example.com", password: "password-123"}) { token } }"#;

async fn users(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = app.db.conn().await;
    diesel::sql_query("SELECT count(*) AS n FROM users")
        .get_result::<Count>(&mut conn)
        .await
        .expect("count")
        .n
}

#[tokio::test]
async fn a_cross_site_simple_request_runs_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"query": SIGN_UP}).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{content_type}");
        let error: Value = response.json().await.expect("json");
        assert!(error["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("preflight"));
    }
    assert_eq!(users(&app).await, 0, "the mutation did not run");
}

#[tokio::test]
async fn a_get_with_no_ambient_credential_reads_and_never_writes() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("get@example.com", "password-123").await;
    let query = [("query", "{ aiModels { totalCount } me { email } }")];
    // What urql sends by default: a GET, no CSRF header; with a bearer token or none.
    let bare = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .send()
        .await
        .expect("sent");
    assert_eq!(bare.status(), 200);
    let bare: Value = bare.json().await.expect("json");
    assert_eq!(bare["data"]["aiModels"]["totalCount"], 0, "{bare}");
    let bearer: Value = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(bearer["data"]["me"]["email"], "get@example.com", "{bearer}");

    for preflight in [None, Some("1")] {
        let mut mutation = app
            .client
            .get(app.url("/graphql"))
            .query(&[("query", SIGN_UP)]);
        if let Some(value) = preflight {
            mutation = mutation.header("graphql-preflight", value);
        }
        let mutation = mutation.send().await.expect("sent");
        assert_eq!(mutation.status(), 405, "{preflight:?}");
        assert_eq!(mutation.headers()["allow"], "POST");
    }
    assert_eq!(users(&app).await, 1, "only the account signed up over POST");
}

#[tokio::test]
async fn ambient_credentials_need_the_preflight_header() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ambient@example.com", "password-123").await;
    let query = [("query", "{ aiModels { totalCount } }")];
    let bearer = format!("Bearer {token}");
    for (name, value) in [
        ("cookie", "session=abc"),
        ("authorization", "Basic dXNlcjpwYXNz"),
        ("authorization", "Negotiate YIIB"),
    ] {
        let refused = app
            .client
            .get(app.url("/graphql"))
            .query(&query)
            .header(name, value)
            .send()
            .await
            .expect("sent");
        assert_eq!(refused.status(), 400, "{name}: {value}");
        let body: Value = refused.json().await.expect("json");
        assert!(body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("preflight"));
        let with_header = app
            .client
            .get(app.url("/graphql"))
            .query(&query)
            .header(name, value)
            .header("apollo-require-preflight", "true")
            .send()
            .await
            .expect("sent");
        assert_ne!(with_header.status(), 400, "{name}: {value} with the header");
    }
    // A cookie next to a bearer token still counts as ambient.
    let both = app
        .client
        .get(app.url("/graphql"))
        .query(&query)
        .header("authorization", &bearer)
        .header("cookie", "session=abc")
        .send()
        .await
        .expect("sent");
    assert_eq!(both.status(), 400);

    // A simple POST with a bearer token needs no header, but must still be JSON.
    let plain = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .header("authorization", &bearer)
        .body(
            json!({"query": "mutation { createTeam(input: {name: \"T\"}) { team { id } } }"})
                .to_string(),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(plain.status(), 415);
}

#[tokio::test]
async fn other_media_types_are_refused_and_responses_follow_accept() {
    let app = TestApp::spawn().await;
    let xml = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/xml")
        .body("<query/>")
        .send()
        .await
        .expect("sent");
    assert_eq!(xml.status(), 415);

    let query = json!({"query": "{ aiModels { totalCount } }"});
    let new_style = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&query)
        .send()
        .await
        .expect("sent");
    assert!(new_style.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("application/graphql-response+json"));
    let broken = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "{ aiModels {"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        broken.status(),
        400,
        "a document that does not parse is a request error"
    );
    let broken: Value = broken.json().await.expect("json");
    assert!(broken.get("data").is_none(), "no data entry: {broken}");
    let legacy = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/json")
        .json(&query)
        .send()
        .await
        .expect("sent");
    assert!(legacy.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("application/json"));
    let body: Value = legacy.json().await.expect("json");
    assert_eq!(body["data"]["aiModels"]["totalCount"], 0);
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::spawn_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com")]).await;
    for (origin, allowed) in [
        ("https://app.example.com", true),
        ("https://evil.example", false),
    ] {
        let preflight = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
            .await
            .expect("sent");
        let header = preflight
            .headers()
            .get("access-control-allow-origin")
            .cloned();
        assert_eq!(header.is_some(), allowed, "{origin}: {header:?}");
    }
}

#[tokio::test]
async fn production_mode_hides_the_schema_and_graphiql() {
    let key = "0".repeat(64);
    let app = TestApp::spawn_with(&[("ATELIER_ENV", "production"), ("ENCRYPTION_KEY", &key)]).await;
    let introspection = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await;
    // Introspection is off: the schema is not answered.
    assert!(
        introspection["data"]["__schema"].is_null(),
        "{introspection}"
    );
    assert!(
        !introspection.to_string().contains("AIModel"),
        "{introspection}"
    );
    let typo = app.graphql("{ aiModel { name } }", json!({})).await;
    let message = typo["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("Did you mean"),
        "no suggestions: {message}"
    );
    let graphiql = app
        .client
        .get(app.url("/graphiql"))
        .send()
        .await
        .expect("sent");
    assert_eq!(graphiql.status(), 404);
    // Internal errors are still masked, with an id (unit-tested in error.rs).
}

fn apq(query: Option<&str>, hash: &str) -> Value {
    let mut body = json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}});
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    body
}

async fn post(app: &TestApp, body: &Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .json(body)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn automatic_persisted_queries_are_shared_by_instances_through_redis() {
    let vars = crate::helpers::redis_vars("apq");
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let one = TestApp::spawn_with(&refs).await;
    let two = one.spawn_sibling(&refs).await;
    let query = "{ aiModels { totalCount } }";
    let hash = atelier::graphql::persisted::sha256_hex(query);

    let unknown = post(&one, &apq(None, &hash)).await;
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    let registered = post(&one, &apq(Some(query), &hash)).await;
    assert_eq!(
        registered["data"]["aiModels"]["totalCount"], 0,
        "{registered}"
    );

    // The other instance knows it by hash alone.
    let by_hash = post(&two, &apq(None, &hash)).await;
    assert_eq!(by_hash["data"]["aiModels"]["totalCount"], 0, "{by_hash}");

    let forged = post(&one, &apq(Some("{ me { id } }"), &hash)).await;
    assert_eq!(forged["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn safelist_mode_runs_registered_operations_only() {
    let allowed = "query Models { aiModels { totalCount } }";
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("operations.json");
    std::fs::write(&file, json!([allowed]).to_string()).expect("write");
    let app =
        TestApp::spawn_with(&[("PERSISTED_QUERIES_FILE", file.to_str().expect("path"))]).await;

    let listed = post(&app, &json!({"query": allowed})).await;
    assert_eq!(listed["data"]["aiModels"]["totalCount"], 0, "{listed}");
    let hash = atelier::graphql::persisted::sha256_hex(allowed);
    let by_hash = post(&app, &apq(None, &hash)).await;
    assert_eq!(by_hash["data"]["aiModels"]["totalCount"], 0, "{by_hash}");

    let other = post(&app, &json!({"query": "{ aiModels { totalCount } }"})).await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_ALLOWED",
        "{other}"
    );
}

#[tokio::test]
async fn batches_are_for_signed_in_callers_and_capped() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("batch@example.com", "password-123").await;
    let one = json!({"query": "{ me { email } }"});
    let send = |body: Value, token: Option<String>| {
        let mut request = app.client.post(app.url("/graphql")).json(&body);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.send()
    };

    let anonymous: Value = send(json!([one, one]), None)
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );

    let three: Value = send(json!([one, one, one]), Some(token.clone()))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let results = three.as_array().expect("an array of results");
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|r| r["data"]["me"]["email"] == "batch@example.com"),
        "{three}"
    );

    let eleven: Vec<Value> = (0..11).map(|_| one.clone()).collect();
    let too_many: Value = send(json!(eleven), Some(token))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{too_many}"
    );
}

#[tokio::test]
async fn every_aliased_sign_in_counts_against_the_rate_limit() {
    let app = TestApp::spawn_with(&[
        ("AUTH_ATTEMPTS_PER_MINUTE", "3"),
        ("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "1000"),
    ])
    .await;
    app.sign_up("alias@example.com", "password-123").await;
    let attempts: String = (0..6)
        .map(|i| format!("a{i}: signIn(input: {{email: \"alias@example.com\", password: \"guess-{i}-xx\"}}) {{ token }} "))
        .collect();
    let response = app
        .graphql(&format!("mutation {{ {attempts} }}"), json!({}))
        .await;
    let codes: Vec<&str> = response["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "RATE_LIMITED").count(),
        3,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == "UNAUTHENTICATED").count(),
        3,
        "{codes:?}"
    );
}

const CREATE_TEAM: &str = "mutation { createTeam(input: {name: \"Once\"}) { team { id } } }";

async fn with_key(app: &TestApp, token: &str, key: &str, query: &str) -> Value {
    app.graphql_with(
        Some(&format!("Bearer {token}")),
        &[("idempotency-key", key)],
        query,
        json!({}),
    )
    .await
}

async fn teams(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel_async::RunQueryDsl;
    let mut conn = app.db.conn().await;
    diesel::sql_query("SELECT count(*) AS n FROM teams")
        .get_result::<Count>(&mut conn)
        .await
        .expect("count")
        .n
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("idem@example.com", "password-123").await;
    let first = with_key(&app, &token, "key-1", CREATE_TEAM).await;
    let again = with_key(&app, &token, "key-1", CREATE_TEAM).await;
    assert!(
        first["data"]["createTeam"]["team"]["id"].is_string(),
        "{first}"
    );
    assert_eq!(first["data"], again["data"], "the same response");
    assert_eq!(teams(&app).await, 1, "one team, not two");

    let other = with_key(
        &app,
        &token,
        "key-1",
        "mutation { createTeam(input: {name: \"Other\"}) { team { id } } }",
    )
    .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "CONFLICT",
        "{other}"
    );
    assert!(other["errors"][0]["extensions"]["retryable"].is_null());

    let fresh = with_key(&app, &token, "key-2", CREATE_TEAM).await;
    assert_ne!(fresh["data"], first["data"], "another key, another team");
    assert_eq!(teams(&app).await, 2);

    let long = with_key(&app, &token, &"k".repeat(256), CREATE_TEAM).await;
    assert_eq!(
        long["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{long}"
    );
    assert_eq!(teams(&app).await, 2);
}

#[tokio::test]
async fn a_repeat_while_the_first_still_runs_is_a_retryable_conflict() {
    let app = TestApp::spawn().await;
    let (token, user) = app.sign_up("running@example.com", "password-123").await;
    let user_id = atelier::graphql::id::GlobalId::decode_uuid(
        &async_graphql::ID(user),
        atelier::graphql::id::NodeType::User,
        "id",
    )
    .expect("user id");
    let hash =
        atelier::graphql::idempotency::request_hash(&async_graphql::Request::new(CREATE_TEAM));
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.conn().await;
        conn.batch_execute(&format!(
            "INSERT INTO idempotency_keys (caller, key, request_hash, status, expires_at) \
             VALUES ('user:{user_id}', 'busy', '{hash}', 'running', now() + interval '1 hour')"
        ))
        .await
        .expect("a claim in progress");
    }
    let response = with_key(&app, &token, "busy", CREATE_TEAM).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "CONFLICT",
        "{response}"
    );
    assert_eq!(response["errors"][0]["extensions"]["retryable"], true);
    assert_eq!(teams(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_graphql_http_audit_finds_no_must_failures() {
    let app = TestApp::spawn().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/audit.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(app.url("/graphql"))
        .output()
        .await
        .expect("node runs (the test command installs Node and tests/node's packages)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("summary");
    println!(
        "graphql-http audit: {} passed, failed {} (MUST/SHOULD/MAY)",
        summary["passed"], summary["failed"]
    );
    assert_eq!(summary["failed"]["MUST"], 0, "{summary:#}");
    assert!(summary["passed"].as_u64() >= Some(45), "{summary:#}");
}
