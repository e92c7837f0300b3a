//! No secret is stored in plain text: after the flows that create secrets, every
//! text-like column of every table is scanned for each of them.

use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::TestApp;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "plain text password 42";

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

/// The `v` column of every row of `sql`, nulls left out.
async fn sql_values(app: &TestApp, sql: &str) -> Vec<String> {
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .load::<Row>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|r| r.v)
        .collect()
}

fn ok<'a>(response: &'a Value, field: &str) -> &'a Value {
    assert!(response["errors"].is_null(), "{field} failed: {response}");
    &response["data"][field]
}

/// The token in a mail body (the `token=` parameter of its link).
fn token_in(body: &str) -> String {
    body.split("token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in {body}"))
        .to_string()
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Every text, varchar, char, json and jsonb column of the public schema, as
/// `(table, column)`.
async fn text_columns(app: &TestApp) -> Vec<(String, String)> {
    sql_values(
        app,
        "SELECT table_name || '.' || column_name AS v FROM information_schema.columns
         WHERE table_schema = 'public'
           AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
         ORDER BY table_name, column_name",
    )
    .await
    .into_iter()
    .map(|name| {
        let (table, column) = name.split_once('.').expect("table.column");
        (table.to_string(), column.to_string())
    })
    .collect()
}

/// `(what, table.column)` for every secret found in a scanned column.
async fn find_secrets(
    app: &TestApp,
    columns: &[(String, String)],
    secrets: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!(
            "SELECT {col}::text AS v FROM public.{table} WHERE {col} IS NOT NULL",
            col = quote(column),
            table = quote(table),
        );
        for value in sql_values(app, &sql).await {
            let lower = value.to_lowercase();
            for (what, secret) in secrets {
                // Case-insensitive: base32 and hex survive a change of case.
                if lower.contains(&secret.to_lowercase()) {
                    found.push((what.to_string(), format!("{table}.{column}")));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn no_password_token_or_secret_is_stored_in_plain_text() {
    let app = TestApp::spawn().await;

    // Sign-up (with its verification mail) and a second session.
    let signed_up = app
        .graphql(
            "mutation($input: SignUpInput!) { signUp(input: $input) { token } }",
            json!({"input": {"email": EMAIL, "password": PASSWORD, "fullName": "Ada"}}),
        )
        .await;
    let first_session = ok(&signed_up, "signUp")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let signup_verification = token_in(
        &app.last_mail(EMAIL, "email_verification")
            .await
            .expect("the sign-up verification mail"),
    );
    let signed_in = app
        .graphql(
            "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
            json!({"e": EMAIL, "p": PASSWORD}),
        )
        .await;
    let second_session = ok(&signed_in, "signIn")["token"]
        .as_str()
        .expect("token")
        .to_string();

    // A fresh verification token, and a reset token.
    let requested = app
        .graphql_as(
            &first_session,
            "mutation { requestEmailVerification { ok } }",
            json!({}),
        )
        .await;
    ok(&requested, "requestEmailVerification");
    let verification = token_in(
        &app.last_mail(EMAIL, "email_verification")
            .await
            .expect("a verification mail"),
    );
    assert_ne!(verification, signup_verification);
    let reset = app
        .graphql(
            "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }",
            json!({"e": EMAIL}),
        )
        .await;
    ok(&reset, "requestPasswordReset");
    let reset_token = token_in(
        &app.last_mail(EMAIL, "password_reset")
            .await
            .expect("a reset mail"),
    );

    // MFA enrolled and confirmed.
    let begun = app
        .graphql_as(
            &first_session,
            "mutation { beginMfaEnrollment { secret } }",
            json!({}),
        )
        .await;
    let totp_secret = ok(&begun, "beginMfaEnrollment")["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let raw = data_encoding::BASE32_NOPAD
        .decode(totp_secret.as_bytes())
        .expect("base32");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let code = format!(
        "{:06}",
        atelier::accounts::mfa::code_at(&raw, atelier::accounts::mfa::step_of(now))
    );
    let confirmed = app
        .graphql_as(
            &first_session,
            "mutation($c: String!) { confirmMfa(input: {code: $c}) { user { mfaEnabled } } }",
            json!({"c": code}),
        )
        .await;
    assert_eq!(ok(&confirmed, "confirmMfa")["user"]["mfaEnabled"], true);

    // An API client.
    let created = app
        .graphql_as(
            &first_session,
            "mutation { createApiClient(input: {name: \"CI\", scopes: [\"generation:read\"]}) { secret } }",
            json!({}),
        )
        .await;
    let api_secret = ok(&created, "createApiClient")["secret"]
        .as_str()
        .expect("secret")
        .to_string();

    let secrets = [
        ("the password", PASSWORD.to_string()),
        ("the first session token", first_session),
        ("the second session token", second_session),
        ("the API client secret", api_secret),
        ("the password reset token", reset_token),
        ("the sign-up verification token", signup_verification),
        ("the email verification token", verification),
        ("the TOTP secret", totp_secret),
    ];

    let columns = text_columns(&app).await;
    for expected in [
        "users.password_hash",
        "users.password_reset_token",
        "users.email_verification_token",
        "users.mfa_secret",
        "sessions.token_hash",
        "api_clients.secret_hash",
        "usage_logs.details",
        "mail_outbox.body",
    ] {
        assert!(
            columns.iter().any(|(t, c)| format!("{t}.{c}") == expected),
            "{expected} is not scanned: {columns:?}"
        );
    }

    // The scan works: the mail bodies hold the tokens they deliver.
    let in_outbox = find_secrets(
        &app,
        &[("mail_outbox".to_string(), "body".to_string())],
        &secrets,
    )
    .await;
    for what in [
        "the password reset token",
        "the email verification token",
        "the sign-up verification token",
    ] {
        assert!(
            in_outbox.iter().any(|(w, _)| w == what),
            "the scan misses {what} in mail_outbox.body: {in_outbox:?}"
        );
    }

    // mail_outbox.body is left out: without SMTP the outbox is the mail itself,
    // and a reset or verification mail has to carry its token to the user.
    let scanned: Vec<(String, String)> = columns
        .into_iter()
        .filter(|(t, c)| !(t == "mail_outbox" && c == "body"))
        .collect();
    let found = find_secrets(&app, &scanned, &secrets).await;
    assert!(found.is_empty(), "secrets stored in plain text: {found:?}");
}

#[tokio::test]
async fn stored_credentials_are_argon2id_hashes_sha256_digests_and_sealed_secrets() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up(EMAIL, PASSWORD).await;
    app.graphql(
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
        json!({"e": EMAIL, "p": PASSWORD}),
    )
    .await;
    let reset = app
        .graphql(
            "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }",
            json!({"e": EMAIL}),
        )
        .await;
    ok(&reset, "requestPasswordReset");
    let begun = app
        .graphql_as(
            &token,
            "mutation { beginMfaEnrollment { secret } }",
            json!({}),
        )
        .await;
    let totp_secret = ok(&begun, "beginMfaEnrollment")["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let created = app
        .graphql_as(
            &token,
            "mutation { createApiClient(input: {name: \"CI\", scopes: [\"generation:read\"]}) { secret } }",
            json!({}),
        )
        .await;
    ok(&created, "createApiClient");

    let is_sha256_hex = |value: &str| {
        value.len() == 64
            && value
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    };

    let password_hash = sql_values(&app, "SELECT password_hash AS v FROM users").await;
    assert_eq!(password_hash.len(), 1);
    assert!(
        password_hash[0].starts_with("$argon2id$"),
        "{}",
        password_hash[0]
    );

    let session_hashes = sql_values(&app, "SELECT token_hash AS v FROM sessions").await;
    assert_eq!(session_hashes.len(), 2, "{session_hashes:?}");
    for hash in &session_hashes {
        assert!(is_sha256_hex(hash), "{hash}");
    }

    let mfa_secret = sql_values(&app, "SELECT mfa_secret AS v FROM users").await;
    assert_eq!(mfa_secret.len(), 1);
    assert!(mfa_secret[0].starts_with("v1:"), "{}", mfa_secret[0]);
    assert!(!mfa_secret[0].contains(&totp_secret));

    for column in [
        "SELECT password_reset_token AS v FROM users",
        "SELECT email_verification_token AS v FROM users",
        "SELECT secret_hash AS v FROM api_clients",
    ] {
        let values = sql_values(&app, column).await;
        assert_eq!(values.len(), 1, "{column}: {values:?}");
        assert!(is_sha256_hex(&values[0]), "{column}: {}", values[0]);
    }
}
