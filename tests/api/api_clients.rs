//! API clients end to end: creation, `ApiKey <apiKey>:<secret>` authentication,
//! every refusal (secret, revocation, expiry, deleted owner, origin, IP, rate
//! limit, session-only operations), rotation, `last_used_at` and team clients.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::sql_types::{Nullable, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

const PASSWORD: &str = "correct horse battery";

const CREATE: &str = "mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { secret apiClient { id name apiKey isActive scopes allowedOrigins allowedIps rateLimitPerMin expiresAt lastUsedAt } } }";
const MY_CLIENTS: &str = "{ myApiClients { id name apiKey isActive scopes lastUsedAt } }";
const ME: &str = "{ me { id email } }";
const ROTATE: &str = "mutation($id: ID!) { rotateApiClientSecret(input: {apiClientId: $id}) { secret apiClient { id apiKey } } }";
const REVOKE: &str =
    "mutation($id: ID!) { revokeApiClient(input: {apiClientId: $id}) { apiClient { id isActive } } }";

// ---------------------------------------------------------------- helpers

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// The `v` column of the first row of `sql`.
async fn sql_value(app: &TestApp, sql: &str) -> Option<String> {
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .load::<Row>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{sql} returned no row"))
        .v
}

async fn sql_exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.conn().await;
    conn.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The UUID inside a global ID (`base64url("Type:<uuid>")`).
fn uuid_of(global_id: &str) -> String {
    let raw = URL_SAFE_NO_PAD.decode(global_id).expect("base64url ID");
    let text = String::from_utf8(raw).expect("UTF-8 ID");
    text.split_once(':').expect("Type:key").1.to_string()
}

fn team_global_id(team: &uuid::Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("Team:{team}"))
}

/// A created client: its global ID, API key and secret.
struct Client {
    id: String,
    api_key: String,
    secret: String,
}

impl Client {
    fn authorization(&self) -> String {
        format!("ApiKey {}:{}", self.api_key, self.secret)
    }

    fn uuid(&self) -> String {
        uuid_of(&self.id)
    }
}

/// Creates a client with `scopes: ["generation:read"]` plus `extra` input fields.
async fn create_client(app: &TestApp, token: &str, extra: Value) -> Client {
    let mut input = json!({"name": "CI", "scopes": ["generation:read"]});
    for (key, value) in extra.as_object().expect("an object") {
        input[key] = value.clone();
    }
    let response = app
        .graphql_as(token, CREATE, json!({ "input": input }))
        .await;
    assert!(response["errors"].is_null(), "creation failed: {response}");
    let payload = &response["data"]["createApiClient"];
    Client {
        id: payload["apiClient"]["id"].as_str().expect("id").to_string(),
        api_key: payload["apiClient"]["apiKey"]
            .as_str()
            .expect("apiKey")
            .to_string(),
        secret: payload["secret"].as_str().expect("secret").to_string(),
    }
}

async fn me_with(app: &TestApp, authorization: &str, headers: &[(&str, &str)]) -> Value {
    app.graphql_with(Some(authorization), headers, ME, json!({}))
        .await
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Waits for a new rate-limit minute when fewer than `margin` seconds of the
/// current one remain, so a burst of requests falls into one fixed window.
async fn within_one_minute_window(margin: u64) {
    let left = 60 - unix_now() % 60;
    if left < margin {
        tokio::time::sleep(Duration::from_millis(left * 1000 + 300)).await;
    }
}

fn assert_code(response: &Value, code: &str) {
    assert_eq!(error_code(response), Some(code), "{response}");
}

fn assert_ok(response: &Value) {
    assert!(
        response["errors"].is_null(),
        "unexpected errors: {response}"
    );
}

fn assert_bad_input(response: &Value, field: &str) {
    assert_eq!(
        error_code(response),
        Some("BAD_USER_INPUT"),
        "expected BAD_USER_INPUT on {field}: {response}"
    );
    assert_eq!(
        response["errors"][0]["extensions"]["field"], field,
        "{response}"
    );
}

// ---------------------------------------------------------------- creation and use

#[tokio::test]
async fn a_new_client_returns_its_secret_once_and_the_api_key_authenticates_me() {
    let app = TestApp::spawn().await;
    let (token, user_id) = app.sign_up("ada@example.com", PASSWORD).await;
    let response = app
        .graphql_as(
            &token,
            CREATE,
            json!({"input": {"name": "  CI  ", "scopes": ["projects:read", "generation:write", "projects:read"]}}),
        )
        .await;
    assert_ok(&response);
    let payload = &response["data"]["createApiClient"];
    let client = &payload["apiClient"];
    assert_eq!(client["name"], "CI");
    assert_eq!(client["isActive"], true);
    assert_eq!(
        client["scopes"],
        json!(["generation:write", "projects:read"])
    );
    assert!(client["lastUsedAt"].is_null());
    let api_key = client["apiKey"].as_str().expect("apiKey");
    let secret = payload["secret"].as_str().expect("secret");
    assert!(secret.len() >= 40, "a long random secret: {secret}");
    assert!(!secret.contains(api_key) && !api_key.contains(secret));

    let me = me_with(&app, &format!("ApiKey {api_key}:{secret}"), &[]).await;
    assert_ok(&me);
    assert_eq!(me["data"]["me"]["id"], user_id.as_str());
    assert_eq!(me["data"]["me"]["email"], "ada@example.com");
}

#[tokio::test]
async fn my_api_clients_lists_the_client_without_any_secret() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    let listed = app.graphql_as(&token, MY_CLIENTS, json!({})).await;
    assert_ok(&listed);
    let clients = listed["data"]["myApiClients"].as_array().expect("a list");
    assert_eq!(clients.len(), 1, "{listed}");
    assert_eq!(clients[0]["id"], client.id.as_str());
    assert_eq!(clients[0]["apiKey"], client.api_key.as_str());
    assert!(
        !listed.to_string().contains(&client.secret),
        "the secret is shown again: {listed}"
    );

    let introspection = app
        .graphql(
            "{ __type(name: \"APIClient\") { fields { name } } }",
            json!({}),
        )
        .await;
    let fields: Vec<String> = introspection["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_lowercase))
        .collect();
    assert!(fields.contains(&"apikey".to_string()), "{fields:?}");
    assert!(
        !fields.iter().any(|f| f.contains("secret")),
        "APIClient exposes a secret field: {fields:?}"
    );

    // Another user does not see it.
    let (other, _) = app.sign_up("bob@example.com", PASSWORD).await;
    let theirs = app.graphql_as(&other, MY_CLIENTS, json!({})).await;
    assert_eq!(theirs["data"]["myApiClients"], json!([]));
}

#[tokio::test]
async fn invalid_client_settings_are_bad_user_input_naming_the_field() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let cases = [
        (json!({"scopes": ["everything"]}), "scopes"),
        (json!({"scopes": []}), "scopes"),
        (
            json!({"allowedOrigins": ["app.example.com"]}),
            "allowedOrigins",
        ),
        (
            json!({"allowedOrigins": ["https://app.example.com/path"]}),
            "allowedOrigins",
        ),
        (json!({"allowedIps": ["10.0.0.0/33"]}), "allowedIps"),
        (json!({"allowedIps": ["not-an-ip"]}), "allowedIps"),
        (json!({"expiresAt": "2020-01-01T00:00:00Z"}), "expiresAt"),
        (json!({"name": "   "}), "name"),
        (json!({"rateLimitPerMin": 0}), "rateLimitPerMin"),
    ];
    for (extra, field) in cases {
        let mut input = json!({"name": "CI", "scopes": ["generation:read"]});
        for (key, value) in extra.as_object().expect("object") {
            input[key] = value.clone();
        }
        let response = app
            .graphql_as(&token, CREATE, json!({ "input": input }))
            .await;
        assert_bad_input(&response, field);
    }
    let listed = app.graphql_as(&token, MY_CLIENTS, json!({})).await;
    assert_eq!(listed["data"]["myApiClients"], json!([]), "nothing created");
}

#[tokio::test]
async fn a_wrong_secret_an_unknown_key_and_a_malformed_value_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    for authorization in [
        format!("ApiKey {}:wrong-secret", client.api_key),
        format!("ApiKey {}:", client.api_key),
        format!("ApiKey {}", client.api_key),
        format!("ApiKey atl_unknown:{}", client.secret),
        format!("Bearer {}", client.secret),
    ] {
        let response = me_with(&app, &authorization, &[]).await;
        assert_code(&response, "UNAUTHENTICATED");
        assert!(response["data"].is_null(), "{authorization}: {response}");
    }
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
}

#[tokio::test]
async fn a_revoked_client_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    let revoked = app
        .graphql_as(&token, REVOKE, json!({"id": client.id}))
        .await;
    assert_ok(&revoked);
    assert_eq!(
        revoked["data"]["revokeApiClient"]["apiClient"]["isActive"],
        false
    );
    assert_code(
        &me_with(&app, &client.authorization(), &[]).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn an_expired_client_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({"expiresAt": "2099-01-01T00:00:00Z"})).await;
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    sql_exec(
        &app,
        &format!(
            "UPDATE api_clients SET expires_at = now() - interval '1 second' WHERE id = '{}'",
            client.uuid()
        ),
    )
    .await;
    assert_code(
        &me_with(&app, &client.authorization(), &[]).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_client_of_a_soft_deleted_user_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, user_id) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    // Only the user row changes: the client itself stays active.
    sql_exec(
        &app,
        &format!(
            "UPDATE users SET deleted_at = now() WHERE id = '{}'",
            uuid_of(&user_id)
        ),
    )
    .await;
    assert_code(
        &me_with(&app, &client.authorization(), &[]).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn deleting_the_account_stops_its_clients() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    assert_ok(
        &app.graphql_as(
            &token,
            "mutation($p: String!) { deleteAccount(input: {password: $p}) { ok } }",
            json!({"p": PASSWORD}),
        )
        .await,
    );
    assert_code(
        &me_with(&app, &client.authorization(), &[]).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn rotating_the_secret_refuses_the_old_one_and_accepts_the_new_one() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    let rotated = app
        .graphql_as(&token, ROTATE, json!({"id": client.id}))
        .await;
    assert_ok(&rotated);
    let payload = &rotated["data"]["rotateApiClientSecret"];
    assert_eq!(payload["apiClient"]["apiKey"], client.api_key.as_str());
    let new_secret = payload["secret"].as_str().expect("a new secret");
    assert_ne!(new_secret, client.secret);
    assert_code(
        &me_with(&app, &client.authorization(), &[]).await,
        "UNAUTHENTICATED",
    );
    assert_ok(
        &me_with(
            &app,
            &format!("ApiKey {}:{new_secret}", client.api_key),
            &[],
        )
        .await,
    );
}

#[tokio::test]
async fn another_user_cannot_rotate_or_revoke_a_personal_client() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let (other, _) = app.sign_up("bob@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    assert_code(
        &app.graphql_as(&other, ROTATE, json!({"id": client.id}))
            .await,
        "NOT_FOUND",
    );
    assert_code(
        &app.graphql_as(&other, REVOKE, json!({"id": client.id}))
            .await,
        "NOT_FOUND",
    );
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
}

// ---------------------------------------------------------------- allow lists

#[tokio::test]
async fn a_client_with_allowed_origins_needs_one_of_them_in_the_origin_header() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({"allowedOrigins": ["https://a.com"]})).await;
    let auth = client.authorization();
    assert_ok(&me_with(&app, &auth, &[("origin", "https://a.com")]).await);
    assert_code(
        &me_with(&app, &auth, &[("origin", "https://b.com")]).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &me_with(&app, &auth, &[("origin", "https://a.com.evil.io")]).await,
        "UNAUTHENTICATED",
    );
    assert_code(&me_with(&app, &auth, &[]).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_client_with_allowed_ips_works_only_from_a_listed_network() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    // The test's requests come from 127.0.0.1.
    let loopback = create_client(&app, &token, json!({"allowedIps": ["127.0.0.0/8"]})).await;
    assert_ok(&me_with(&app, &loopback.authorization(), &[]).await);
    let single = create_client(&app, &token, json!({"allowedIps": ["127.0.0.1"]})).await;
    assert_ok(&me_with(&app, &single.authorization(), &[]).await);
    let private = create_client(&app, &token, json!({"allowedIps": ["10.0.0.0/8"]})).await;
    assert_code(
        &me_with(&app, &private.authorization(), &[]).await,
        "UNAUTHENTICATED",
    );
    // A forwarded-for header does not move the caller into the allowed network.
    assert_code(
        &me_with(
            &app,
            &private.authorization(),
            &[("x-forwarded-for", "10.1.2.3")],
        )
        .await,
        "UNAUTHENTICATED",
    );
}

// ---------------------------------------------------------------- session-only operations

#[tokio::test]
async fn an_api_client_cannot_use_session_only_operations() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    let auth = client.authorization();
    let operations = [
        ("{ mySessions { id } }", json!({})),
        ("{ myApiClients { id } }", json!({})),
        (CREATE, json!({"input": {"name": "child", "scopes": ["generation:read"]}})),
        (
            "mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) { user { id } } }",
            json!({"c": PASSWORD, "n": "a brand new secret"}),
        ),
        (ROTATE, json!({"id": client.id})),
        (REVOKE, json!({"id": client.id})),
        ("mutation { beginMfaEnrollment { secret } }", json!({})),
        (
            "mutation($p: String!) { deleteAccount(input: {password: $p}) { ok } }",
            json!({"p": PASSWORD}),
        ),
    ];
    for (query, variables) in operations {
        let response = app.graphql_with(Some(&auth), &[], query, variables).await;
        assert_code(&response, "FORBIDDEN");
    }
    // Nothing happened: the password, the client and the account are unchanged.
    let signed_in = app
        .graphql(
            "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
            json!({"e": "ada@example.com", "p": PASSWORD}),
        )
        .await;
    assert_ok(&signed_in);
    assert_ok(&me_with(&app, &auth, &[]).await);
    let listed = app.graphql_as(&token, MY_CLIENTS, json!({})).await;
    assert_eq!(
        listed["data"]["myApiClients"].as_array().map(Vec::len),
        Some(1)
    );
}

// ---------------------------------------------------------------- rate limit and last use

#[tokio::test]
async fn a_client_over_its_rate_limit_is_rate_limited_with_retry_after() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({"rateLimitPerMin": 2})).await;
    let other = create_client(&app, &token, json!({"rateLimitPerMin": 2})).await;
    within_one_minute_window(10).await;
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    let third = me_with(&app, &client.authorization(), &[]).await;
    assert_code(&third, "RATE_LIMITED");
    let retry_after = third["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("an integer retryAfter: {third}"));
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // The limit is per client.
    assert_ok(&me_with(&app, &other.authorization(), &[]).await);
}

#[tokio::test]
async fn last_used_at_is_set_on_use_and_written_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let client = create_client(&app, &token, json!({})).await;
    let last_used = format!(
        "SELECT last_used_at::text AS v FROM api_clients WHERE id = '{}'",
        client.uuid()
    );
    assert_eq!(sql_value(&app, &last_used).await, None);

    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    let first = sql_value(&app, &last_used).await.expect("set on first use");
    let recent = sql_value(
        &app,
        &format!(
            "SELECT (last_used_at > now() - interval '1 minute')::text AS v FROM api_clients WHERE id = '{}'",
            client.uuid()
        ),
    )
    .await;
    assert_eq!(recent.as_deref(), Some("true"));

    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    assert_eq!(
        sql_value(&app, &last_used).await.as_deref(),
        Some(first.as_str()),
        "rewritten within a minute"
    );

    let listed = app.graphql_as(&token, MY_CLIENTS, json!({})).await;
    assert!(listed["data"]["myApiClients"][0]["lastUsedAt"].is_string());

    // Older than a minute: the next request writes it again.
    sql_exec(
        &app,
        &format!(
            "UPDATE api_clients SET last_used_at = now() - interval '2 minutes' WHERE id = '{}'",
            client.uuid()
        ),
    )
    .await;
    let stale = sql_value(&app, &last_used).await;
    assert_ok(&me_with(&app, &client.authorization(), &[]).await);
    let refreshed = sql_value(&app, &last_used).await;
    assert!(refreshed.is_some());
    assert_ne!(refreshed, stale);
}

// ---------------------------------------------------------------- team clients

#[tokio::test]
async fn only_a_team_admin_or_owner_creates_a_client_for_the_team() {
    let app = TestApp::spawn().await;
    let (owner, owner_id) = app.sign_up("owner@example.com", PASSWORD).await;
    let (admin, admin_id) = app.sign_up("admin@example.com", PASSWORD).await;
    let (editor, editor_id) = app.sign_up("editor@example.com", PASSWORD).await;
    let (outsider, _) = app.sign_up("outsider@example.com", PASSWORD).await;
    let team = uuid::Uuid::new_v4();
    sql_exec(
        &app,
        &format!(
            "INSERT INTO teams (id, name, owner_id) VALUES ('{team}', 'Acme', '{owner}');
             INSERT INTO team_members (team_id, user_id, role) VALUES
               ('{team}', '{owner}', 'Owner'),
               ('{team}', '{admin}', 'Admin'),
               ('{team}', '{editor}', 'Editor');",
            owner = uuid_of(&owner_id),
            admin = uuid_of(&admin_id),
            editor = uuid_of(&editor_id),
        ),
    )
    .await;
    let team_id = team_global_id(&team);
    let input =
        json!({"input": {"name": "Team CI", "teamId": team_id, "scopes": ["projects:read"]}});

    assert_code(
        &app.graphql_as(&editor, CREATE, input.clone()).await,
        "FORBIDDEN",
    );
    assert_code(
        &app.graphql_as(&outsider, CREATE, input.clone()).await,
        "NOT_FOUND",
    );
    let wrong_type = app
        .graphql_as(
            &admin,
            CREATE,
            json!({"input": {"name": "Team CI", "teamId": owner_id, "scopes": ["projects:read"]}}),
        )
        .await;
    assert_bad_input(&wrong_type, "teamId");

    let created = app.graphql_as(&admin, CREATE, input.clone()).await;
    assert_ok(&created);
    let client_id = created["data"]["createApiClient"]["apiClient"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let api_key = created["data"]["createApiClient"]["apiClient"]["apiKey"]
        .as_str()
        .expect("apiKey");
    let secret = created["data"]["createApiClient"]["secret"]
        .as_str()
        .expect("secret");
    assert_eq!(
        sql_value(
            &app,
            &format!(
                "SELECT team_id::text AS v FROM api_clients WHERE id = '{}'",
                uuid_of(&client_id)
            ),
        )
        .await,
        Some(team.to_string())
    );
    assert_ok(&me_with(&app, &format!("ApiKey {api_key}:{secret}"), &[]).await);

    let ids = |response: &Value| -> Vec<String> {
        response["data"]["myApiClients"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|c| c["id"].as_str().map(String::from))
            .collect()
    };
    let admins = app.graphql_as(&admin, MY_CLIENTS, json!({})).await;
    assert_eq!(ids(&admins), vec![client_id.clone()]);
    let owners = app.graphql_as(&owner, MY_CLIENTS, json!({})).await;
    assert_eq!(ids(&owners), vec![client_id.clone()]);
    let editors = app.graphql_as(&editor, MY_CLIENTS, json!({})).await;
    assert!(ids(&editors).is_empty(), "{editors}");

    // The editor can no more manage it than create one.
    assert_code(
        &app.graphql_as(&editor, REVOKE, json!({"id": client_id}))
            .await,
        "FORBIDDEN",
    );
    assert_code(
        &app.graphql_as(&outsider, REVOKE, json!({"id": client_id}))
            .await,
        "NOT_FOUND",
    );
    let rotated = app
        .graphql_as(&owner, ROTATE, json!({"id": client_id}))
        .await;
    assert_ok(&rotated);
}
