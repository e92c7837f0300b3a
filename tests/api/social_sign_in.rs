//! Social sign-in against a local OpenID provider the test starts
//! (`fake_oidc.rs`): a full sign-in, each forged case refused with its code
//! and nothing written, a key rotation, and linking to a password account.

use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

use crate::fake_oidc::{self, consent, query_of, text, FakeOp, Forgery, Key, REDIRECT_URI};
use crate::helpers::{error_code, TestApp};

const BEGIN: &str = "mutation($input: BeginSocialSignInInput!) {
  beginSocialSignIn(input: $input) { authorizationUrl state } }";
const COMPLETE: &str = "mutation($input: CompleteSocialSignInInput!) {
  completeSocialSignIn(input: $input) { token user { id email socialProvider creditBalance isEmailVerified } } }";
const LINK: &str = "mutation($input: LinkSocialAccountInput!) {
  linkSocialAccount(input: $input) { token user { id email socialProvider } } }";

async fn spawn(op: &FakeOp) -> TestApp {
    let vars = op.google_vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::spawn_with(&vars).await
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

async fn users(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) AS n FROM users").await
}

async fn begin(app: &TestApp) -> (String, String) {
    let response = app
        .graphql(
            BEGIN,
            json!({"input": {"provider": "GOOGLE", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    let payload = &response["data"]["beginSocialSignIn"];
    assert!(payload["authorizationUrl"].is_string(), "{response}");
    (
        text(&payload["authorizationUrl"]).to_string(),
        text(&payload["state"]).to_string(),
    )
}

async fn complete(app: &TestApp, code: &str, state: &str) -> Value {
    app.graphql(
        COMPLETE,
        json!({"input": {"provider": "GOOGLE", "code": code, "state": state}}),
    )
    .await
}

/// Begin, consent at the provider, complete.
async fn sign_in(app: &TestApp) -> Value {
    let (url, _) = begin(app).await;
    let (code, state) = consent(&url).await;
    complete(app, &code, &state).await
}

fn reason(response: &Value) -> &str {
    text(&response["errors"][0]["extensions"]["reason"])
}

#[tokio::test]
async fn a_first_social_sign_in_creates_the_account_and_the_next_signs_into_it() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;

    let (url, state) = begin(&app).await;
    let params = query_of(&url);
    assert!(
        url.starts_with(&format!("{}/authorize?", op.issuer())),
        "{url}"
    );
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["client_id"], fake_oidc::CLIENT_ID);
    assert_eq!(params["redirect_uri"], REDIRECT_URI);
    assert_eq!(params["state"], state);
    assert!(params["nonce"].len() >= 32 && params["code_challenge"].len() == 43);
    assert!(params["scope"].split(' ').any(|s| s == "openid"));
    // The server keeps the flow; nothing secret is in it as plain text.
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM oauth_flows").await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM oauth_flows WHERE state_hash = '{state}' OR code_verifier NOT LIKE 'v1:%'"
            )
        )
        .await,
        0
    );

    let (code, returned_state) = consent(&url).await;
    let before = users(&app).await;
    let response = complete(&app, &code, &returned_state).await;
    assert!(response["errors"].is_null(), "{response}");
    let payload = &response["data"]["completeSocialSignIn"];
    assert_eq!(payload["user"]["email"], "sam@example.com");
    assert_eq!(payload["user"]["socialProvider"], "GOOGLE");
    assert_eq!(payload["user"]["isEmailVerified"], true);
    assert_eq!(
        payload["user"]["creditBalance"], "10.00",
        "the sign-up grant"
    );
    assert_eq!(users(&app).await, before + 1);
    // The token exchange carried the verifier of the challenge sent at the start.
    {
        let state = op.lock();
        let request = state.token_requests.last().expect("a token request");
        let verifier = &request["code_verifier"];
        use base64::Engine;
        use sha2::Digest;
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        assert_eq!(challenge, params["code_challenge"]);
    }
    // The account has no password, and the session works.
    let user_id = text(&payload["user"]["id"]).to_string();
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM users WHERE password_hash IS NULL AND social_provider = 'google' AND social_provider_id = 'op-subject-1'"
        )
        .await,
        1
    );
    let me = app
        .graphql_as(text(&payload["token"]), "{ me { id } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["id"], user_id.as_str());
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'signup_grant'"
        )
        .await,
        1
    );

    // The same identity again: the same account, no second grant; the JWKS came from the cache.
    let again = sign_in(&app).await;
    assert_eq!(
        again["data"]["completeSocialSignIn"]["user"]["id"],
        user_id.as_str(),
        "{again}"
    );
    assert_eq!(users(&app).await, before + 1);
    assert_eq!(op.lock().jwks_fetches, 1, "max-age=3600 is honoured");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM oauth_flows").await,
        0
    );
}

#[tokio::test]
async fn an_es256_provider_signs_in_too() {
    let op = FakeOp::start_with(Key::generate(Algorithm::ES256, "ec-1")).await;
    let app = spawn(&op).await;
    let response = sign_in(&app).await;
    assert!(response["errors"].is_null(), "{response}");
    assert_eq!(
        response["data"]["completeSocialSignIn"]["user"]["email"],
        "sam@example.com"
    );
}

/// Signs in with the provider forging what `forgery` says: refused with
/// `reason`, no account and no session written.
async fn refused_with(op: &FakeOp, app: &TestApp, forgery: Forgery, expected: &str) {
    op.lock().forgery = forgery;
    let users_before = users(app).await;
    let sessions_before = count(app, "SELECT count(*) AS n FROM sessions").await;
    let response = sign_in(app).await;
    assert_eq!(
        error_code(&response),
        Some("SOCIAL_AUTH_FAILED"),
        "{response}"
    );
    assert_eq!(reason(&response), expected, "{response}");
    assert!(response["data"].is_null() || response["data"]["completeSocialSignIn"].is_null());
    assert_eq!(
        users(app).await,
        users_before,
        "{expected}: no user written"
    );
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM sessions").await,
        sessions_before,
        "{expected}: no session written"
    );
    op.lock().forgery = Forgery::default();
}

#[tokio::test]
async fn forged_id_tokens_are_refused_each_with_its_reason_and_nothing_written() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    let published_kid = op.lock().signer.kid.clone();

    let mut impostor = Key::generate(Algorithm::RS256, &published_kid);
    impostor.kid = published_kid;
    refused_with(
        &op,
        &app,
        Forgery {
            signed_with: Some(impostor),
            ..Default::default()
        },
        "INVALID_SIGNATURE",
    )
    .await;
    refused_with(
        &op,
        &app,
        Forgery {
            signed_with: Some(Key::generate(Algorithm::RS256, "not-published")),
            ..Default::default()
        },
        "UNKNOWN_KEY",
    )
    .await;
    refused_with(
        &op,
        &app,
        Forgery {
            audience: Some("another-client".into()),
            ..Default::default()
        },
        "WRONG_AUDIENCE",
    )
    .await;
    refused_with(
        &op,
        &app,
        Forgery {
            issuer: Some("https://accounts.evil.example".into()),
            ..Default::default()
        },
        "WRONG_ISSUER",
    )
    .await;
    refused_with(
        &op,
        &app,
        Forgery {
            expires_in: Some(-3600),
            issued_ago: Some(3700),
            ..Default::default()
        },
        "TOKEN_EXPIRED",
    )
    .await;
    refused_with(
        &op,
        &app,
        Forgery {
            nonce: Some("a-nonce-of-another-flow".into()),
            ..Default::default()
        },
        "WRONG_NONCE",
    )
    .await;
    // And the untouched provider still signs in: the refusals were the forgeries.
    let response = sign_in(&app).await;
    assert!(response["errors"].is_null(), "{response}");
}

#[tokio::test]
async fn a_replayed_state_is_refused() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    let (url, _) = begin(&app).await;
    let (code, state) = consent(&url).await;
    let first = complete(&app, &code, &state).await;
    assert!(first["errors"].is_null(), "{first}");
    let users_before = users(&app).await;
    let requests_before = op.lock().token_requests.len();

    let replay = complete(&app, &code, &state).await;
    assert_eq!(error_code(&replay), Some("SOCIAL_AUTH_FAILED"), "{replay}");
    assert_eq!(reason(&replay), "INVALID_STATE");
    // Refused before any call to the provider.
    assert_eq!(op.lock().token_requests.len(), requests_before);
    assert_eq!(users(&app).await, users_before);

    let unknown = complete(&app, &code, "a-state-never-issued").await;
    assert_eq!(reason(&unknown), "INVALID_STATE", "{unknown}");
}

#[tokio::test]
async fn a_code_issued_for_another_pkce_challenge_is_refused_by_the_provider() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    // The victim's flow, and a code the attacker got for a flow of their own.
    let (_, victim_state) = begin(&app).await;
    let (attacker_url, _) = begin(&app).await;
    let (attacker_code, _) = consent(&attacker_url).await;
    let users_before = users(&app).await;

    let response = complete(&app, &attacker_code, &victim_state).await;
    assert_eq!(
        error_code(&response),
        Some("SOCIAL_AUTH_FAILED"),
        "{response}"
    );
    assert_eq!(reason(&response), "TOKEN_EXCHANGE_FAILED");
    assert_eq!(users(&app).await, users_before);
    // The server did send a verifier: the victim flow's, which does not match.
    let state = op.lock();
    let request = state.token_requests.last().expect("a token request");
    assert!(request.get("code_verifier").is_some_and(|v| v.len() >= 43));
}

#[tokio::test]
async fn a_redirect_uri_off_the_allow_list_is_refused_and_no_flow_starts() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    for uri in [
        "https://evil.example/auth/callback",
        "https://app.example/auth/callback/../../steal",
        "https://app.example/auth/callback?x=1",
    ] {
        let response = app
            .graphql(
                BEGIN,
                json!({"input": {"provider": "GOOGLE", "redirectUri": uri}}),
            )
            .await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], "redirectUri");
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM oauth_flows").await,
        0
    );
}

#[tokio::test]
async fn a_provider_without_settings_is_not_configured() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    let response = app
        .graphql(
            BEGIN,
            json!({"input": {"provider": "APPLE", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    assert_eq!(
        error_code(&response),
        Some("PROVIDER_NOT_CONFIGURED"),
        "{response}"
    );
    let response = app
        .graphql(
            COMPLETE,
            json!({"input": {"provider": "FACEBOOK", "code": "c", "state": "s"}}),
        )
        .await;
    assert_eq!(
        error_code(&response),
        Some("PROVIDER_NOT_CONFIGURED"),
        "{response}"
    );
}

#[tokio::test]
async fn after_the_provider_rotates_its_key_sign_in_works_once_the_jwks_is_fetched_again() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    let first = sign_in(&app).await;
    assert!(first["errors"].is_null(), "{first}");
    assert_eq!(op.lock().jwks_fetches, 1);

    // The provider retires key-1 and signs with key-2 from now on; the server's
    // cached JWKS (max-age=3600) does not know key-2.
    let rotated = Key::generate(Algorithm::RS256, "key-2");
    {
        let mut state = op.lock();
        state.published = vec![rotated.jwk.clone()];
        state.signer = rotated;
    }
    let second = sign_in(&app).await;
    assert!(second["errors"].is_null(), "{second}");
    assert_eq!(
        second["data"]["completeSocialSignIn"]["user"]["id"],
        first["data"]["completeSocialSignIn"]["user"]["id"]
    );
    assert_eq!(
        op.lock().jwks_fetches,
        2,
        "fetched again for the unknown kid"
    );

    // A token signed with the retired key is now refused.
    let retired = Key::generate(Algorithm::RS256, "key-1");
    op.lock().forgery = Forgery {
        signed_with: Some(retired),
        ..Default::default()
    };
    let third = sign_in(&app).await;
    assert_eq!(reason(&third), "UNKNOWN_KEY", "{third}");
}

#[tokio::test]
async fn a_social_sign_in_with_the_email_of_a_password_account_signs_in_only_once_linked() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    let (alice_token, alice_id) = app.sign_up("Sam@Example.com", "alice password 1").await;
    let users_before = users(&app).await;
    let sessions_before = count(&app, "SELECT count(*) AS n FROM sessions").await;

    // An address the provider has not verified gets no link offer at all.
    op.lock().identity.email_verified = false;
    let unverified = sign_in(&app).await;
    assert_eq!(reason(&unverified), "EMAIL_NOT_VERIFIED", "{unverified}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM oauth_flows").await,
        0,
        "no pending link"
    );
    op.lock().identity.email_verified = true;

    let response = sign_in(&app).await;
    assert_eq!(
        error_code(&response),
        Some("ACCOUNT_LINK_REQUIRED"),
        "{response}"
    );
    assert!(response["data"].is_null() || response["data"]["completeSocialSignIn"].is_null());
    let link_token = text(&response["errors"][0]["extensions"]["linkToken"]).to_string();
    assert!(link_token.len() >= 43);
    assert_eq!(users(&app).await, users_before);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM sessions").await,
        sessions_before,
        "no session for the existing account"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM users WHERE social_provider IS NOT NULL"
        )
        .await,
        0
    );

    // Another account's session cannot take the identity; a wrong password neither,
    // and neither uses up the link.
    let (bob_token, _) = app.sign_up("bob@example.com", "bob password 1").await;
    let stolen = app
        .graphql_as(
            &bob_token,
            LINK,
            json!({"input": {"linkToken": link_token}}),
        )
        .await;
    assert_eq!(error_code(&stolen), Some("FORBIDDEN"), "{stolen}");
    let wrong = app
        .graphql(
            LINK,
            json!({"input": {"linkToken": link_token, "password": "not alice's"}}),
        )
        .await;
    assert_eq!(error_code(&wrong), Some("UNAUTHENTICATED"), "{wrong}");

    // Alice confirms with her password: linked, and signed in.
    let linked = app
        .graphql(
            LINK,
            json!({"input": {"linkToken": link_token, "password": "alice password 1"}}),
        )
        .await;
    assert!(linked["errors"].is_null(), "{linked}");
    assert_eq!(
        linked["data"]["linkSocialAccount"]["user"]["id"],
        alice_id.as_str()
    );
    assert_eq!(
        linked["data"]["linkSocialAccount"]["user"]["socialProvider"],
        "GOOGLE"
    );
    assert!(linked["data"]["linkSocialAccount"]["token"].is_string());
    // Once only.
    let reused = app
        .graphql_as(
            &alice_token,
            LINK,
            json!({"input": {"linkToken": link_token}}),
        )
        .await;
    assert_eq!(reason(&reused), "INVALID_STATE", "{reused}");

    // Now the social sign-in opens Alice's account.
    let after = sign_in(&app).await;
    assert!(after["errors"].is_null(), "{after}");
    assert_eq!(
        after["data"]["completeSocialSignIn"]["user"]["id"],
        alice_id.as_str()
    );
    assert_eq!(users(&app).await, users_before + 1, "only Bob was added");
}

#[tokio::test]
async fn a_linked_account_with_mfa_needs_its_totp_code() {
    let op = FakeOp::start().await;
    let app = spawn(&op).await;
    let (token, _) = app.sign_up("sam@example.com", "sam password 12").await;
    // Link with the session this time.
    let response = sign_in(&app).await;
    let link_token = text(&response["errors"][0]["extensions"]["linkToken"]).to_string();
    let linked = app
        .graphql_as(&token, LINK, json!({"input": {"linkToken": link_token}}))
        .await;
    assert!(linked["errors"].is_null(), "{linked}");
    assert!(linked["data"]["linkSocialAccount"]["token"].is_null());

    let begun = app
        .graphql_as(&token, crate::accounts::BEGIN_MFA, json!({}))
        .await;
    let secret = text(&begun["data"]["beginMfaEnrollment"]["secret"]).to_string();
    let (code, step) = crate::accounts::fresh_code(&secret, None).await;
    let confirmed = app
        .graphql_as(&token, crate::accounts::CONFIRM_MFA, json!({"code": code}))
        .await;
    assert!(confirmed["errors"].is_null(), "{confirmed}");
    let sessions_before = count(&app, "SELECT count(*) AS n FROM sessions").await;
    let without = sign_in(&app).await;
    assert_eq!(error_code(&without), Some("MFA_REQUIRED"), "{without}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM sessions").await,
        sessions_before
    );

    let (url, _) = begin(&app).await;
    let (code, state) = consent(&url).await;
    let with = app
        .graphql(
            COMPLETE,
            json!({"input": {"provider": "GOOGLE", "code": code, "state": state,
                             "totpCode": crate::accounts::fresh_code(&secret, Some(step)).await.0}}),
        )
        .await;
    assert!(with["errors"].is_null(), "{with}");
}

#[tokio::test]
async fn starting_and_completing_flows_is_rate_limited_per_address() {
    let op = FakeOp::start().await;
    let mut vars = op.google_vars();
    vars.push(("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "2".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = TestApp::spawn_with(&vars).await;
    begin(&app).await;
    begin(&app).await;
    let third = app
        .graphql(
            BEGIN,
            json!({"input": {"provider": "GOOGLE", "redirectUri": REDIRECT_URI}}),
        )
        .await;
    assert_eq!(error_code(&third), Some("RATE_LIMITED"), "{third}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM oauth_flows").await,
        2
    );
    for _ in 0..2 {
        let refused = complete(&app, "code", "state").await;
        assert_eq!(reason(&refused), "INVALID_STATE", "{refused}");
    }
    let limited = complete(&app, "code", "state").await;
    assert_eq!(error_code(&limited), Some("RATE_LIMITED"), "{limited}");
}
