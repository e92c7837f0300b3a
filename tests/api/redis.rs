//! Behaviour that depends on Redis: the shared profile cache and rate limits
//! shared by several server instances.

use serde_json::json;

use crate::helpers::{error_code, redis_vars, TestApp};

fn as_refs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

const ME: &str = "{ me { id fullName timezone } }";

#[tokio::test]
async fn profile_fields_come_from_redis_and_an_update_is_visible_at_once() {
    let vars = redis_vars("cache");
    let app = TestApp::spawn_with(&as_refs(&vars)).await;
    let (token, _) = app.sign_up("cached@example.com", "password-123").await;
    app.graphql_as(
        &token,
        "mutation { updateProfile(input: {fullName: \"First Name\"}) { user { fullName } } }",
        json!({}),
    )
    .await;
    let first = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(first["data"]["me"]["fullName"], "First Name");

    // A write that bypasses the application is not seen: the value is served from Redis.
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.conn().await;
        conn.batch_execute(
            "UPDATE users SET full_name = 'Behind the back' WHERE email = 'cached@example.com'",
        )
        .await
        .expect("direct update");
    }
    let cached = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(
        cached["data"]["me"]["fullName"], "First Name",
        "served from the cache"
    );

    // The key is in Redis, under this deployment's prefix.
    let client = redis::Client::open(vars[0].1.as_str()).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:user:*:profile", vars[1].1))
        .query_async(&mut redis)
        .await
        .expect("KEYS");
    assert_eq!(keys.len(), 1, "one cached profile: {keys:?}");

    // An update through the API invalidates it: the next read is fresh.
    let updated = app
        .graphql_as(
            &token,
            "mutation { updateProfile(input: {fullName: \"Second Name\", timezone: \"Asia/Tokyo\"}) { user { fullName timezone } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        updated["data"]["updateProfile"]["user"]["fullName"],
        "Second Name"
    );
    let after = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(after["data"]["me"]["fullName"], "Second Name");
    assert_eq!(after["data"]["me"]["timezone"], "Asia/Tokyo");
}

#[tokio::test]
async fn another_instance_sees_an_update_at_once_through_the_shared_cache() {
    let vars = redis_vars("cache2");
    let one = TestApp::spawn_with(&as_refs(&vars)).await;
    let two = one.spawn_sibling(&as_refs(&vars)).await;
    let (token, _) = one.sign_up("shared@example.com", "password-123").await;
    // Instance two caches the profile...
    let before = two.graphql_as(&token, ME, json!({})).await;
    assert_eq!(before["data"]["me"]["timezone"], "UTC");
    // ...instance one changes it...
    one.graphql_as(
        &token,
        "mutation { updateProfile(input: {timezone: \"America/Lima\"}) { user { timezone } } }",
        json!({}),
    )
    .await;
    // ...and instance two serves the new value on the next read.
    let after = two.graphql_as(&token, ME, json!({})).await;
    assert_eq!(after["data"]["me"]["timezone"], "America/Lima");
}

async fn failed_sign_in(app: &TestApp, email: &str) -> serde_json::Value {
    app.graphql(
        "mutation($email: String!) { signIn(input: {email: $email, password: \"wrong-password\"}) { token } }",
        json!({"email": email}),
    )
    .await
}

#[tokio::test]
async fn sign_in_attempts_are_counted_across_instances_sharing_redis() {
    let mut vars = redis_vars("ratelimit").to_vec();
    vars.push(("AUTH_ATTEMPTS_PER_MINUTE", "3".into()));
    vars.push(("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "1000".into()));
    let one = TestApp::spawn_with(&as_refs(&vars)).await;
    let two = one.spawn_sibling(&as_refs(&vars)).await;
    let email = "target@example.com";

    for app in [&one, &two, &one] {
        let response = failed_sign_in(app, email).await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    }
    let limited = failed_sign_in(&two, email).await;
    assert_eq!(error_code(&limited), Some("RATE_LIMITED"), "{limited}");
    let retry_after = limited["errors"][0]["extensions"]["retryAfter"].as_u64();
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{limited}"
    );
}

#[tokio::test]
async fn without_redis_each_instance_counts_on_its_own() {
    let vars = [
        ("AUTH_ATTEMPTS_PER_MINUTE", "3"),
        ("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "1000"),
    ];
    let one = TestApp::spawn_with(&vars).await;
    let two = one.spawn_sibling(&vars).await;
    // Five attempts in all, but no instance has seen more than three.
    for app in [&one, &two, &one, &two, &one] {
        let response = failed_sign_in(app, "local@example.com").await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    }
    let limited = failed_sign_in(&one, "local@example.com").await;
    assert_eq!(
        error_code(&limited),
        Some("RATE_LIMITED"),
        "the fourth on one instance"
    );
}
