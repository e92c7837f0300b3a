//! Accounts end to end: sign-up, sign-in, sessions, email verification, password
//! reset, MFA, profile, password and email changes, deletion, rate limits.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atelier::accounts::mfa::{code_at, step_of};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::sql_types::{Nullable, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

const PASSWORD: &str = "correct horse battery";

const SIGN_UP: &str = "mutation($input: SignUpInput!) { signUp(input: $input) { token user { id email username fullName creditBalance isEmailVerified mfaEnabled languagePreference timezone currencyPreference numberNotation } } }";
const SIGN_IN: &str =
    "mutation($input: SignInInput!) { signIn(input: $input) { token user { id email } } }";
const ME: &str = "{ me { id email pendingEmail isEmailVerified mfaEnabled username fullName profilePictureUrl languagePreference timezone currencyPreference numberNotation creditBalance } }";
const MY_SESSIONS: &str = "{ mySessions { id isCurrent } }";
const VERIFY_EMAIL: &str = "mutation($token: String!) { verifyEmail(input: {token: $token}) { user { email isEmailVerified pendingEmail } } }";
const REQUEST_RESET: &str =
    "mutation($email: String!) { requestPasswordReset(input: {email: $email}) { ok } }";
const RESET_PASSWORD: &str = "mutation($token: String!, $password: String!) { resetPassword(input: {token: $token, newPassword: $password}) { ok } }";
const UPDATE_PROFILE: &str = "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { user { username fullName profilePictureUrl languagePreference timezone currencyPreference numberNotation } } }";
const CHANGE_PASSWORD: &str = "mutation($current: String!, $new: String!) { changePassword(input: {currentPassword: $current, newPassword: $new}) { user { id } } }";
const CHANGE_EMAIL: &str = "mutation($email: String!, $password: String!) { changeEmail(input: {newEmail: $email, currentPassword: $password}) { user { email pendingEmail } } }";
const DELETE_ACCOUNT: &str =
    "mutation($password: String!) { deleteAccount(input: {password: $password}) { ok } }";
pub(crate) const BEGIN_MFA: &str = "mutation { beginMfaEnrollment { secret otpauthUrl } }";
pub(crate) const CONFIRM_MFA: &str =
    "mutation($code: String!) { confirmMfa(input: {code: $code}) { user { mfaEnabled } } }";
const DISABLE_MFA: &str =
    "mutation($code: String!) { disableMfa(input: {code: $code}) { user { mfaEnabled } } }";

// ---------------------------------------------------------------- helpers

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// The `v` column of every row of `sql`.
async fn sql_values(app: &TestApp, sql: &str) -> Vec<Option<String>> {
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .load::<Row>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| r.v)
        .collect()
}

/// A `count(*)` query's result.
async fn sql_count(app: &TestApp, sql: &str) -> i64 {
    let values = sql_values(app, sql).await;
    values
        .into_iter()
        .next()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{sql} gave no count"))
}

async fn sql_exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.conn().await;
    conn.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The UUID inside a global ID (`base64url("Type:<uuid>")`).
fn uuid_of(global_id: &Value) -> String {
    let raw = URL_SAFE_NO_PAD
        .decode(global_id.as_str().expect("an ID string"))
        .expect("base64url ID");
    let text = String::from_utf8(raw).expect("UTF-8 ID");
    text.split_once(':').expect("Type:key").1.to_string()
}

/// The token in a mail body (the `token=` parameter of its link).
fn token_in(body: &str) -> String {
    body.split("token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in {body}"))
        .to_string()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    app.graphql(
        SIGN_IN,
        json!({"input": {"email": email, "password": password}}),
    )
    .await
}

async fn sign_in_with_code(app: &TestApp, email: &str, code: Option<&str>) -> Value {
    app.graphql(
        SIGN_IN,
        json!({"input": {"email": email, "password": PASSWORD, "totpCode": code}}),
    )
    .await
}

/// Signs in and returns the new session's token.
async fn session_token(app: &TestApp, email: &str, password: &str) -> String {
    let response = sign_in(app, email, password).await;
    response["data"]["signIn"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("sign-in failed: {response}"))
        .to_string()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.graphql_as(token, ME, json!({})).await
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Waits for a new rate-limit minute when fewer than `margin` seconds of the
/// current one remain, so a burst of attempts falls into one fixed window.
async fn within_one_minute_window(margin: i64) {
    let left = 60 - unix_now() % 60;
    if left < margin {
        tokio::time::sleep(Duration::from_millis(left as u64 * 1000 + 300)).await;
    }
}

fn totp(secret: &str, step: i64) -> String {
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .expect("a base32 secret");
    format!("{:06}", code_at(&raw, step))
}

/// A code the server accepts now (its window is one step either side) and that
/// is later than `last_used`; waits for the next step when none is left.
pub(crate) async fn fresh_code(secret: &str, last_used: Option<i64>) -> (String, i64) {
    loop {
        let now = unix_now();
        let current = step_of(now);
        // The previous step only while the request surely lands in this step.
        let lowest = if now % 30 < 20 { current - 1 } else { current };
        let step = last_used.map_or(lowest, |last| lowest.max(last + 1));
        if step <= current + 1 {
            return (totp(secret, step), step);
        }
        tokio::time::sleep(Duration::from_millis((30 - now % 30) as u64 * 1000 + 300)).await;
    }
}

/// A six-digit code that matches none of the steps near now.
fn wrong_code(secret: &str) -> String {
    let current = step_of(unix_now());
    let valid: Vec<String> = (current - 3..=current + 3)
        .map(|s| totp(secret, s))
        .collect();
    (0..)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .expect("a wrong code")
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

fn assert_code(response: &Value, code: &str) {
    assert_eq!(error_code(response), Some(code), "{response}");
}

fn assert_ok(response: &Value) {
    assert!(
        response["errors"].is_null(),
        "unexpected errors: {response}"
    );
}

// ---------------------------------------------------------------- sign-up

#[tokio::test]
async fn sign_up_returns_a_token_and_the_user_with_private_fields() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql(
            SIGN_UP,
            json!({"input": {"email": " Ada@Example.com ", "password": PASSWORD, "fullName": "Ada Lovelace", "username": "ada"}}),
        )
        .await;
    assert_ok(&response);
    let payload = &response["data"]["signUp"];
    let token = payload["token"].as_str().expect("a token");
    assert!(token.len() >= 40, "a long random token: {token}");
    let user = &payload["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["username"], "ada");
    assert_eq!(user["fullName"], "Ada Lovelace");
    assert_eq!(user["isEmailVerified"], false);
    assert_eq!(user["mfaEnabled"], false);
    assert_eq!(user["languagePreference"], "en-US");
    assert_eq!(user["timezone"], "UTC");
    assert_eq!(user["currencyPreference"], "USD");
    assert_eq!(user["numberNotation"], "standard");
    assert!(!user["creditBalance"].is_null(), "{response}");

    let me = me(&app, token).await;
    assert_ok(&me);
    assert_eq!(me["data"]["me"]["id"], user["id"]);
    assert_eq!(me["data"]["me"]["email"], "ada@example.com");
}

#[tokio::test]
async fn a_new_account_has_ten_credits_and_a_signup_grant_transaction() {
    let app = TestApp::spawn().await;
    let (token, user_id) = app.sign_up("grant@example.com", PASSWORD).await;
    let me = me(&app, &token).await;
    assert_eq!(me["data"]["me"]["creditBalance"], "10.00", "{me}");
    let uuid = uuid_of(&json!(user_id));
    let rows = sql_values(
        &app,
        &format!(
            "SELECT amount::text || ' ' || action_type AS v FROM credit_transactions WHERE user_id = '{uuid}'"
        ),
    )
    .await;
    assert_eq!(rows, vec![Some("10.00 signup_grant".to_string())]);
    let balance = sql_values(
        &app,
        &format!("SELECT credit_balance::text AS v FROM users WHERE id = '{uuid}'"),
    )
    .await;
    assert_eq!(balance, vec![Some("10.00".to_string())]);
}

#[tokio::test]
async fn signing_up_again_with_the_same_email_in_other_case_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let again = app
        .graphql(
            SIGN_UP,
            json!({"input": {"email": "ADA@Example.COM", "password": PASSWORD}}),
        )
        .await;
    assert_code(&again, "CONFLICT");
    assert!(again["data"].is_null(), "{again}");
    assert_eq!(
        sql_count(&app, "SELECT count(*)::text AS v FROM users").await,
        1
    );
}

#[tokio::test]
async fn sign_up_refuses_a_bad_email_a_short_password_and_a_bad_username_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"email": "ada@example", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"email": "ada@example.com", "password": "short"}),
            "password",
        ),
        (
            json!({"email": "ada@example.com", "password": PASSWORD, "username": "Bad Name!"}),
            "username",
        ),
        (
            json!({"email": "ada@example.com", "password": PASSWORD, "username": "ab"}),
            "username",
        ),
    ];
    for (input, field) in cases {
        let response = app.graphql(SIGN_UP, json!({ "input": input })).await;
        assert_bad_input(&response, field);
    }
    assert_eq!(
        sql_count(&app, "SELECT count(*)::text AS v FROM users").await,
        0
    );
}

// ---------------------------------------------------------------- sign-in

#[tokio::test]
async fn sign_in_opens_a_session_and_logs_login_success() {
    let app = TestApp::spawn().await;
    let (_, user_id) = app.sign_up("ada@example.com", PASSWORD).await;
    let response = sign_in(&app, "ADA@example.com", PASSWORD).await;
    assert_ok(&response);
    assert_eq!(response["data"]["signIn"]["user"]["id"], user_id.as_str());
    assert_eq!(
        response["data"]["signIn"]["user"]["email"],
        "ada@example.com"
    );
    let token = response["data"]["signIn"]["token"].as_str().expect("token");
    let me = me(&app, token).await;
    assert_eq!(me["data"]["me"]["id"], user_id.as_str());
    let uuid = uuid_of(&json!(user_id));
    assert_eq!(
        sql_count(
            &app,
            &format!("SELECT count(*)::text AS v FROM usage_logs WHERE action_type = 'login_success' AND user_id = '{uuid}'"),
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_give_the_same_unauthenticated_error() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let wrong_password = sign_in(&app, "ada@example.com", "not the password").await;
    let unknown_email = sign_in(&app, "nobody@example.com", PASSWORD).await;
    assert_code(&wrong_password, "UNAUTHENTICATED");
    assert_code(&unknown_email, "UNAUTHENTICATED");
    assert_eq!(wrong_password["errors"], unknown_email["errors"]);
    assert!(wrong_password["data"].is_null());
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*)::text AS v FROM usage_logs WHERE action_type = 'login_failed' AND details->>'email' IN ('ada@example.com', 'nobody@example.com')",
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_soft_deleted_account_cannot_sign_in() {
    let app = TestApp::spawn().await;
    app.sign_up("gone@example.com", PASSWORD).await;
    let before = sign_in(&app, "gone@example.com", PASSWORD).await;
    assert_ok(&before);
    sql_exec(
        &app,
        "UPDATE users SET deleted_at = now() WHERE email = 'gone@example.com'",
    )
    .await;
    let after = sign_in(&app, "gone@example.com", PASSWORD).await;
    assert_code(&after, "UNAUTHENTICATED");
    let unknown = sign_in(&app, "nobody@example.com", PASSWORD).await;
    assert_eq!(after["errors"], unknown["errors"]);
}

#[tokio::test]
async fn me_is_null_for_an_anonymous_caller() {
    let app = TestApp::spawn().await;
    let response = app.graphql("{ me { id } }", json!({})).await;
    assert_ok(&response);
    assert!(response["data"].is_object(), "{response}");
    assert!(response["data"]["me"].is_null(), "{response}");
}

#[tokio::test]
async fn after_sign_out_the_token_is_refused() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    assert_ok(&me(&app, &token).await);
    let out = app
        .graphql_as(&token, "mutation { signOut { ok } }", json!({}))
        .await;
    assert_ok(&out);
    assert_eq!(out["data"]["signOut"]["ok"], true);
    assert_code(&me(&app, &token).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn sign_out_without_a_session_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let response = app.graphql("mutation { signOut { ok } }", json!({})).await;
    assert_code(&response, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_garbage_bearer_token_and_an_unknown_scheme_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    for authorization in [
        "Bearer not-a-real-token".to_string(),
        "Bearer".to_string(),
        format!("Basic {token}"),
        format!("Token {token}"),
    ] {
        let response = app
            .graphql_with(Some(&authorization), &[], "{ me { id } }", json!({}))
            .await;
        assert_code(&response, "UNAUTHENTICATED");
        assert!(response["data"].is_null(), "{authorization}: {response}");
    }
    // The same token under its proper scheme works.
    assert_ok(
        &app.graphql_with(
            Some(&format!("Bearer {token}")),
            &[],
            "{ me { id } }",
            json!({}),
        )
        .await,
    );
}

// ---------------------------------------------------------------- sessions

#[tokio::test]
async fn my_sessions_lists_every_session_and_marks_the_current_one() {
    let app = TestApp::spawn().await;
    let (first, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let second = session_token(&app, "ada@example.com", PASSWORD).await;

    let seen_by_first = app.graphql_as(&first, MY_SESSIONS, json!({})).await;
    assert_ok(&seen_by_first);
    let sessions = seen_by_first["data"]["mySessions"]
        .as_array()
        .expect("list");
    assert_eq!(sessions.len(), 2, "{seen_by_first}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["isCurrent"] == true).collect();
    assert_eq!(current.len(), 1, "{seen_by_first}");

    let seen_by_second = app.graphql_as(&second, MY_SESSIONS, json!({})).await;
    let sessions2 = seen_by_second["data"]["mySessions"]
        .as_array()
        .expect("list");
    let current2: Vec<&Value> = sessions2
        .iter()
        .filter(|s| s["isCurrent"] == true)
        .collect();
    assert_eq!(current2.len(), 1, "{seen_by_second}");
    assert_ne!(
        current[0]["id"], current2[0]["id"],
        "each token is its own session"
    );

    assert_code(
        &app.graphql(MY_SESSIONS, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn revoking_another_session_makes_its_token_fail() {
    let app = TestApp::spawn().await;
    let (mine, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let other = session_token(&app, "ada@example.com", PASSWORD).await;
    assert_ok(&me(&app, &other).await);

    let list = app.graphql_as(&mine, MY_SESSIONS, json!({})).await;
    let other_id = list["data"]["mySessions"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["isCurrent"] == false)
        .map(|s| s["id"].clone())
        .expect("another session");
    let revoked = app
        .graphql_as(
            &mine,
            "mutation($id: ID!) { revokeSession(input: {sessionId: $id}) { revokedSessionId } }",
            json!({"id": other_id}),
        )
        .await;
    assert_ok(&revoked);
    assert_eq!(
        revoked["data"]["revokeSession"]["revokedSessionId"],
        other_id
    );
    assert_code(&me(&app, &other).await, "UNAUTHENTICATED");
    assert_ok(&me(&app, &mine).await);
    let list = app.graphql_as(&mine, MY_SESSIONS, json!({})).await;
    assert_eq!(list["data"]["mySessions"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn revoking_a_session_of_another_user_is_not_found() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let (bob, _) = app.sign_up("bob@example.com", PASSWORD).await;
    let bob_sessions = app.graphql_as(&bob, MY_SESSIONS, json!({})).await;
    let bob_session = bob_sessions["data"]["mySessions"][0]["id"].clone();
    assert!(bob_session.is_string(), "{bob_sessions}");
    let response = app
        .graphql_as(
            &ada,
            "mutation($id: ID!) { revokeSession(input: {sessionId: $id}) { revokedSessionId } }",
            json!({"id": bob_session}),
        )
        .await;
    assert_code(&response, "NOT_FOUND");
    assert_ok(&me(&app, &bob).await);
}

#[tokio::test]
async fn revoke_other_sessions_keeps_only_the_current_one() {
    let app = TestApp::spawn().await;
    let (current, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let second = session_token(&app, "ada@example.com", PASSWORD).await;
    let third = session_token(&app, "ada@example.com", PASSWORD).await;
    let response = app
        .graphql_as(
            &current,
            "mutation { revokeOtherSessions { revokedCount } }",
            json!({}),
        )
        .await;
    assert_ok(&response);
    assert_eq!(response["data"]["revokeOtherSessions"]["revokedCount"], 2);
    assert_code(&me(&app, &second).await, "UNAUTHENTICATED");
    assert_code(&me(&app, &third).await, "UNAUTHENTICATED");
    assert_ok(&me(&app, &current).await);
    let list = app.graphql_as(&current, MY_SESSIONS, json!({})).await;
    assert_eq!(list["data"]["mySessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["data"]["mySessions"][0]["isCurrent"], true);
}

// ---------------------------------------------------------------- email verification

#[tokio::test]
async fn the_mailed_verification_token_verifies_the_email_once() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let requested = app
        .graphql_as(
            &token,
            "mutation { requestEmailVerification { ok } }",
            json!({}),
        )
        .await;
    assert_ok(&requested);
    assert_eq!(requested["data"]["requestEmailVerification"]["ok"], true);
    let body = app
        .last_mail("ada@example.com", "email_verification")
        .await
        .expect("a verification mail");
    let verification = token_in(&body);

    let verified = app
        .graphql_as(&token, VERIFY_EMAIL, json!({"token": verification}))
        .await;
    assert_ok(&verified);
    assert_eq!(
        verified["data"]["verifyEmail"]["user"]["isEmailVerified"],
        true
    );
    assert_eq!(
        me(&app, &token).await["data"]["me"]["isEmailVerified"],
        true
    );

    let reused = app
        .graphql(VERIFY_EMAIL, json!({"token": verification}))
        .await;
    assert_bad_input(&reused, "token");
}

#[tokio::test]
async fn a_bogus_verification_token_is_bad_user_input() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let response = app
        .graphql(VERIFY_EMAIL, json!({"token": "bogus-token"}))
        .await;
    assert_bad_input(&response, "token");
    assert_eq!(
        me(&app, &token).await["data"]["me"]["isEmailVerified"],
        false
    );
}

#[tokio::test]
async fn requesting_verification_of_a_verified_address_is_a_conflict() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let body = app
        .last_mail("ada@example.com", "email_verification")
        .await
        .expect("the sign-up mail");
    assert_ok(
        &app.graphql(VERIFY_EMAIL, json!({"token": token_in(&body)}))
            .await,
    );
    let again = app
        .graphql_as(
            &token,
            "mutation { requestEmailVerification { ok } }",
            json!({}),
        )
        .await;
    assert_code(&again, "CONFLICT");
}

// ---------------------------------------------------------------- password reset

#[tokio::test]
async fn a_password_reset_request_answers_the_same_for_unknown_emails_and_mails_only_real_accounts()
{
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", PASSWORD).await;
    let known = app
        .graphql(REQUEST_RESET, json!({"email": "ada@example.com"}))
        .await;
    let unknown = app
        .graphql(REQUEST_RESET, json!({"email": "nobody@example.com"}))
        .await;
    assert_ok(&known);
    assert_eq!(known["data"]["requestPasswordReset"]["ok"], true);
    assert_eq!(known, unknown);
    assert!(app
        .last_mail("ada@example.com", "password_reset")
        .await
        .is_some());
    assert!(app
        .last_mail("nobody@example.com", "password_reset")
        .await
        .is_none());
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*)::text AS v FROM mail_outbox WHERE kind = 'password_reset'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn reset_password_sets_the_new_password_revokes_every_session_and_is_single_use() {
    let app = TestApp::spawn().await;
    let (first, user_id) = app.sign_up("ada@example.com", PASSWORD).await;
    let second = session_token(&app, "ada@example.com", PASSWORD).await;
    assert_ok(
        &app.graphql(REQUEST_RESET, json!({"email": "ada@example.com"}))
            .await,
    );
    let body = app
        .last_mail("ada@example.com", "password_reset")
        .await
        .expect("a reset mail");
    let reset_token = token_in(&body);

    let too_short = app
        .graphql(
            RESET_PASSWORD,
            json!({"token": reset_token, "password": "short"}),
        )
        .await;
    assert_bad_input(&too_short, "newPassword");

    let reset = app
        .graphql(
            RESET_PASSWORD,
            json!({"token": reset_token, "password": "a brand new secret"}),
        )
        .await;
    assert_ok(&reset);
    assert_eq!(reset["data"]["resetPassword"]["ok"], true);

    assert_code(&me(&app, &first).await, "UNAUTHENTICATED");
    assert_code(&me(&app, &second).await, "UNAUTHENTICATED");
    assert_code(
        &sign_in(&app, "ada@example.com", PASSWORD).await,
        "UNAUTHENTICATED",
    );
    assert_ok(&sign_in(&app, "ada@example.com", "a brand new secret").await);

    let reused = app
        .graphql(
            RESET_PASSWORD,
            json!({"token": reset_token, "password": "yet another secret"}),
        )
        .await;
    assert_bad_input(&reused, "token");
    assert_ok(&sign_in(&app, "ada@example.com", "a brand new secret").await);

    let uuid = uuid_of(&json!(user_id));
    assert_eq!(
        sql_count(
            &app,
            &format!("SELECT count(*)::text AS v FROM usage_logs WHERE action_type = 'password_reset' AND user_id = '{uuid}'"),
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = TestApp::spawn().await;
    app.sign_up("ada@example.com", PASSWORD).await;
    assert_ok(
        &app.graphql(REQUEST_RESET, json!({"email": "ada@example.com"}))
            .await,
    );
    let reset_token = token_in(
        &app.last_mail("ada@example.com", "password_reset")
            .await
            .expect("a reset mail"),
    );
    sql_exec(
        &app,
        "UPDATE users SET password_reset_expires = now() - interval '1 minute' WHERE email = 'ada@example.com'",
    )
    .await;
    let response = app
        .graphql(
            RESET_PASSWORD,
            json!({"token": reset_token, "password": "a brand new secret"}),
        )
        .await;
    assert_bad_input(&response, "token");
    assert_ok(&sign_in(&app, "ada@example.com", PASSWORD).await);
    assert_code(
        &sign_in(&app, "ada@example.com", "a brand new secret").await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_bogus_reset_token_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql(
            RESET_PASSWORD,
            json!({"token": "bogus", "password": "a brand new secret"}),
        )
        .await;
    assert_bad_input(&response, "token");
}

// ---------------------------------------------------------------- MFA

#[tokio::test]
async fn mfa_enrolment_is_confirmed_with_a_code_then_sign_in_needs_a_fresh_code_and_disable_works()
{
    let app = TestApp::spawn().await;
    let (token, user_id) = app.sign_up("ada@example.com", PASSWORD).await;

    let not_started = app
        .graphql_as(&token, CONFIRM_MFA, json!({"code": "123456"}))
        .await;
    assert_bad_input(&not_started, "code");

    let begun = app.graphql_as(&token, BEGIN_MFA, json!({})).await;
    assert_ok(&begun);
    let secret = begun["data"]["beginMfaEnrollment"]["secret"]
        .as_str()
        .expect("a secret")
        .to_string();
    let url = begun["data"]["beginMfaEnrollment"]["otpauthUrl"]
        .as_str()
        .expect("a URL");
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    assert_eq!(
        data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .expect("base32")
            .len(),
        20
    );

    // Not enforced before it is confirmed.
    assert_ok(&sign_in_with_code(&app, "ada@example.com", None).await);

    let wrong = app
        .graphql_as(&token, CONFIRM_MFA, json!({"code": wrong_code(&secret)}))
        .await;
    assert_bad_input(&wrong, "code");
    assert_eq!(me(&app, &token).await["data"]["me"]["mfaEnabled"], false);

    let (code, step) = fresh_code(&secret, None).await;
    let confirmed = app
        .graphql_as(&token, CONFIRM_MFA, json!({"code": code}))
        .await;
    assert_ok(&confirmed);
    assert_eq!(confirmed["data"]["confirmMfa"]["user"]["mfaEnabled"], true);
    assert_eq!(me(&app, &token).await["data"]["me"]["mfaEnabled"], true);

    let again = app.graphql_as(&token, BEGIN_MFA, json!({})).await;
    assert_code(&again, "CONFLICT");

    assert_code(
        &sign_in_with_code(&app, "ada@example.com", None).await,
        "MFA_REQUIRED",
    );
    assert_code(
        &sign_in_with_code(&app, "ada@example.com", Some(&wrong_code(&secret))).await,
        "MFA_REQUIRED",
    );
    // The code used to confirm is spent.
    assert_code(
        &sign_in_with_code(&app, "ada@example.com", Some(&code)).await,
        "MFA_REQUIRED",
    );
    let (code, step) = fresh_code(&secret, Some(step)).await;
    let signed_in = sign_in_with_code(&app, "ada@example.com", Some(&code)).await;
    assert_ok(&signed_in);
    assert!(signed_in["data"]["signIn"]["token"].is_string());
    let replayed = sign_in_with_code(&app, "ada@example.com", Some(&code)).await;
    assert_code(&replayed, "MFA_REQUIRED");

    let uuid = uuid_of(&json!(user_id));
    assert_eq!(
        sql_count(
            &app,
            &format!("SELECT count(*)::text AS v FROM usage_logs WHERE action_type = 'mfa_enabled' AND user_id = '{uuid}'"),
        )
        .await,
        1
    );

    let wrong_disable = app
        .graphql_as(&token, DISABLE_MFA, json!({"code": wrong_code(&secret)}))
        .await;
    assert_bad_input(&wrong_disable, "code");
    let (code, _) = fresh_code(&secret, Some(step)).await;
    let disabled = app
        .graphql_as(&token, DISABLE_MFA, json!({"code": code}))
        .await;
    assert_ok(&disabled);
    assert_eq!(disabled["data"]["disableMfa"]["user"]["mfaEnabled"], false);
    assert_ok(&sign_in_with_code(&app, "ada@example.com", None).await);
    let not_on = app
        .graphql_as(&token, DISABLE_MFA, json!({"code": "123456"}))
        .await;
    assert_code(&not_on, "CONFLICT");
}

// ---------------------------------------------------------------- profile

#[tokio::test]
async fn update_profile_stores_normalised_values() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let response = app
        .graphql_as(
            &token,
            UPDATE_PROFILE,
            json!({"input": {
                "fullName": "Ada King",
                "username": "countess",
                "profilePictureUrl": "https://img.example.com/ada.png",
                "languagePreference": "en-us",
                "timezone": "Europe/Paris",
                "currencyPreference": "eur",
                "numberNotation": "compact"
            }}),
        )
        .await;
    assert_ok(&response);
    let expected = json!({
        "fullName": "Ada King",
        "username": "countess",
        "profilePictureUrl": "https://img.example.com/ada.png",
        "languagePreference": "en-US",
        "timezone": "Europe/Paris",
        "currencyPreference": "EUR",
        "numberNotation": "compact"
    });
    let user = &response["data"]["updateProfile"]["user"];
    for (key, value) in expected.as_object().expect("object") {
        assert_eq!(&user[key], value, "{key} in the payload");
    }
    let me = me(&app, &token).await;
    for (key, value) in expected.as_object().expect("object") {
        assert_eq!(&me["data"]["me"][key], value, "{key} read back");
    }

    // null clears a clearable field; omitted fields stay.
    let cleared = app
        .graphql_as(
            &token,
            UPDATE_PROFILE,
            json!({"input": {"profilePictureUrl": null}}),
        )
        .await;
    assert_ok(&cleared);
    let user = &cleared["data"]["updateProfile"]["user"];
    assert!(user["profilePictureUrl"].is_null());
    assert_eq!(user["timezone"], "Europe/Paris");
}

#[tokio::test]
async fn each_invalid_profile_value_is_bad_user_input_with_its_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let before = me(&app, &token).await;
    assert_ok(&before);
    let cases = [
        ("languagePreference", json!("english")),
        ("timezone", json!("Mars/Olympus")),
        ("currencyPreference", json!("XYZ")),
        ("numberNotation", json!("roman")),
        ("username", json!("Not Valid")),
        ("fullName", json!("   ")),
        ("profilePictureUrl", json!("ftp://img.example.com/a.png")),
    ];
    for (field, value) in cases {
        // A valid change next to the bad one must not be applied either.
        let mut input = json!({"numberNotation": "scientific", "fullName": "Changed"});
        input[field] = value;
        let response = app
            .graphql_as(&token, UPDATE_PROFILE, json!({ "input": input }))
            .await;
        assert_bad_input(&response, field);
        let after = me(&app, &token).await;
        assert_eq!(after, before, "{field} changed something");
    }
}

// ---------------------------------------------------------------- password and email changes

#[tokio::test]
async fn change_password_with_a_wrong_current_password_names_current_password() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let response = app
        .graphql_as(
            &token,
            CHANGE_PASSWORD,
            json!({"current": "not my password", "new": "a brand new secret"}),
        )
        .await;
    assert_bad_input(&response, "currentPassword");
    let short = app
        .graphql_as(
            &token,
            CHANGE_PASSWORD,
            json!({"current": PASSWORD, "new": "short"}),
        )
        .await;
    assert_bad_input(&short, "newPassword");
    assert_ok(&sign_in(&app, "ada@example.com", PASSWORD).await);
}

#[tokio::test]
async fn change_password_revokes_the_other_sessions_and_keeps_the_current_one() {
    let app = TestApp::spawn().await;
    let (current, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let other = session_token(&app, "ada@example.com", PASSWORD).await;
    let response = app
        .graphql_as(
            &current,
            CHANGE_PASSWORD,
            json!({"current": PASSWORD, "new": "a brand new secret"}),
        )
        .await;
    assert_ok(&response);
    assert_ok(&me(&app, &current).await);
    assert_code(&me(&app, &other).await, "UNAUTHENTICATED");
    assert_code(
        &sign_in(&app, "ada@example.com", PASSWORD).await,
        "UNAUTHENTICATED",
    );
    assert_ok(&sign_in(&app, "ada@example.com", "a brand new secret").await);
}

#[tokio::test]
async fn change_email_waits_for_verification_of_the_new_address() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let response = app
        .graphql_as(
            &token,
            CHANGE_EMAIL,
            json!({"email": "Ada@New.example.com", "password": PASSWORD}),
        )
        .await;
    assert_ok(&response);
    let user = &response["data"]["changeEmail"]["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["pendingEmail"], "ada@new.example.com");

    let body = app
        .last_mail("ada@new.example.com", "email_verification")
        .await
        .expect("a mail to the new address");
    // Still signs in with the old address until verified.
    assert_ok(&sign_in(&app, "ada@example.com", PASSWORD).await);

    let verified = app
        .graphql_as(&token, VERIFY_EMAIL, json!({"token": token_in(&body)}))
        .await;
    assert_ok(&verified);
    let user = &verified["data"]["verifyEmail"]["user"];
    assert_eq!(user["email"], "ada@new.example.com");
    assert!(user["pendingEmail"].is_null());
    assert_eq!(user["isEmailVerified"], true);
    let me = me(&app, &token).await;
    assert_eq!(me["data"]["me"]["email"], "ada@new.example.com");
    assert_ok(&sign_in(&app, "ada@new.example.com", PASSWORD).await);
    assert_code(
        &sign_in(&app, "ada@example.com", PASSWORD).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn change_email_refuses_a_wrong_password_a_bad_address_and_a_taken_one() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    app.sign_up("bob@example.com", PASSWORD).await;
    let wrong = app
        .graphql_as(
            &token,
            CHANGE_EMAIL,
            json!({"email": "ada@new.example.com", "password": "not my password"}),
        )
        .await;
    assert_bad_input(&wrong, "currentPassword");
    let bad = app
        .graphql_as(
            &token,
            CHANGE_EMAIL,
            json!({"email": "not an email", "password": PASSWORD}),
        )
        .await;
    assert_bad_input(&bad, "newEmail");
    let taken = app
        .graphql_as(
            &token,
            CHANGE_EMAIL,
            json!({"email": "BOB@example.com", "password": PASSWORD}),
        )
        .await;
    assert_code(&taken, "CONFLICT");
    assert!(me(&app, &token).await["data"]["me"]["pendingEmail"].is_null());
    assert!(app
        .last_mail("ada@new.example.com", "email_verification")
        .await
        .is_none());
}

// ---------------------------------------------------------------- deletion

#[tokio::test]
async fn delete_account_needs_the_password_then_refuses_sign_in_and_the_old_token() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let wrong = app
        .graphql_as(
            &token,
            DELETE_ACCOUNT,
            json!({"password": "not my password"}),
        )
        .await;
    assert_bad_input(&wrong, "password");
    assert_ok(&me(&app, &token).await);

    let deleted = app
        .graphql_as(&token, DELETE_ACCOUNT, json!({"password": PASSWORD}))
        .await;
    assert_ok(&deleted);
    assert_eq!(deleted["data"]["deleteAccount"]["ok"], true);
    assert_code(
        &sign_in(&app, "ada@example.com", PASSWORD).await,
        "UNAUTHENTICATED",
    );
    assert_code(&me(&app, &token).await, "UNAUTHENTICATED");
}

// ---------------------------------------------------------------- other users

#[tokio::test]
async fn another_user_shows_the_public_profile_but_not_the_email() {
    let app = TestApp::spawn().await;
    let (ada, _) = app.sign_up("ada@example.com", PASSWORD).await;
    let bea = app
        .graphql(
            SIGN_UP,
            json!({"input": {"email": "bea@example.com", "password": PASSWORD, "fullName": "Bea Smith", "username": "bea"}}),
        )
        .await;
    let bea_token = bea["data"]["signUp"]["token"].as_str().expect("token");
    let bea_id = bea["data"]["signUp"]["user"]["id"].clone();
    assert_ok(
        &app.graphql_as(
            bea_token,
            UPDATE_PROFILE,
            json!({"input": {"profilePictureUrl": "https://img.example.com/bea.png"}}),
        )
        .await,
    );

    let query = "query($id: ID!) { user(id: $id) { id username fullName profilePictureUrl email creditBalance } }";
    let seen = app.graphql_as(&ada, query, json!({"id": bea_id})).await;
    assert_ok(&seen);
    let user = &seen["data"]["user"];
    assert_eq!(user["id"], bea_id);
    assert_eq!(user["username"], "bea");
    assert_eq!(user["fullName"], "Bea Smith");
    assert_eq!(user["profilePictureUrl"], "https://img.example.com/bea.png");
    assert!(user["email"].is_null(), "{seen}");
    assert!(user["creditBalance"].is_null(), "{seen}");

    // The user herself sees her email through the same query.
    let own = app
        .graphql_as(bea_token, query, json!({"id": bea_id}))
        .await;
    assert_eq!(own["data"]["user"]["email"], "bea@example.com");

    let anonymous = app.graphql(query, json!({"id": bea_id})).await;
    assert_code(&anonymous, "UNAUTHENTICATED");
}

// ---------------------------------------------------------------- rate limits

#[tokio::test]
async fn the_fourth_failed_sign_in_for_one_email_within_a_minute_is_rate_limited() {
    let app = TestApp::spawn_with(&[("AUTH_ATTEMPTS_PER_MINUTE", "3")]).await;
    app.sign_up("ada@example.com", PASSWORD).await;
    within_one_minute_window(25).await;
    for _ in 1..=3 {
        let response = sign_in(&app, "ada@example.com", "not the password").await;
        assert_code(&response, "UNAUTHENTICATED");
    }
    let fourth = sign_in(&app, "ada@example.com", "not the password").await;
    assert_code(&fourth, "RATE_LIMITED");
    let retry_after = fourth["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("an integer retryAfter: {fourth}"));
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Even the right password waits now, and another email is not affected.
    assert_code(
        &sign_in(&app, "ADA@example.com", PASSWORD).await,
        "RATE_LIMITED",
    );
    assert_code(
        &sign_in(&app, "bob@example.com", PASSWORD).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn the_fourth_sign_in_from_one_ip_within_a_minute_is_rate_limited_across_emails() {
    let app = TestApp::spawn_with(&[("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "3")]).await;
    within_one_minute_window(25).await;
    for n in 1..=3 {
        let response = sign_in(&app, &format!("user{n}@example.com"), PASSWORD).await;
        assert_code(&response, "UNAUTHENTICATED");
    }
    let fourth = sign_in(&app, "user4@example.com", PASSWORD).await;
    assert_code(&fourth, "RATE_LIMITED");
    let retry_after = fourth["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("an integer retryAfter: {fourth}"));
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}
