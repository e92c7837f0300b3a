//! What callers send cannot grow the server without bound: persisted-query
//! registrations are capped in size, rate and count; the in-process cache stays
//! under its bytes; Redis keys all expire and their key spaces stay capped.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{error_code, redis_vars, TestApp, TestDb};

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXLOWER.encode(&Sha256::digest(text.as_bytes()))
}

/// A distinct, valid query of about `bytes` bytes (the padding is a comment).
fn padded_query(i: usize, bytes: usize) -> String {
    let head = format!("# {i} ");
    let padding = "x".repeat(bytes.saturating_sub(head.len() + 20));
    format!("{head}{padding}\n{{ __typename }}")
}

/// Sends `query` with its hash, as an Apollo client registers it.
async fn register(client: &reqwest::Client, base: &str, query: &str) -> Value {
    client
        .post(format!("{base}/graphql"))
        .json(&json!({
            "query": query,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}
        }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON body")
}

/// Sends only the hash, as an Apollo client does once the text is registered.
async fn by_hash(app: &TestApp, query: &str, authorization: Option<&str>) -> Value {
    let mut request = app.client.post(app.url("/graphql")).json(&json!({
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}}
    }));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON body")
}

/// `count` registrations of `bytes` each, eight at a time.
async fn flood(base: &str, count: usize, bytes: usize) {
    let client = reqwest::Client::new();
    futures_util::stream::iter(0..count)
        .map(|i| {
            let client = client.clone();
            async move {
                let body = register(&client, base, &padded_query(i, bytes)).await;
                assert_eq!(body["data"]["__typename"], "Query", "{body}");
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::test]
async fn an_apq_flood_leaves_the_in_process_cache_under_its_bytes() {
    let app = TestApp::spawn_with(&[
        ("CACHE_MAX_MB", "1"),
        ("APQ_REGISTRATIONS_PER_MINUTE", "1000000"),
    ])
    .await;
    // 5 MB of registrations into a 1 MB cache.
    flood(&app.url(""), 640, 8000).await;
    let atelier::cache::Cache::Memory(cache) = &app.app.cache else {
        panic!("no Redis configured: the cache is in process")
    };
    let held = cache.weighted_size();
    assert!(held <= 1 << 20, "the cache holds {held} bytes");
    assert!(held > 0, "registrations were stored at all");

    // The protocol still works: a fresh registration is found by its hash.
    let query = padded_query(99_999, 500);
    register(&app.client, &app.url(""), &query).await;
    let found = by_hash(&app, &query, None).await;
    assert_eq!(found["data"]["__typename"], "Query", "{found}");
}

#[tokio::test]
async fn apq_registration_is_capped_in_size_and_rate_per_caller() {
    let app = TestApp::spawn_with(&[
        ("APQ_MAX_QUERY_BYTES", "300"),
        ("APQ_REGISTRATIONS_PER_MINUTE", "3"),
    ])
    .await;
    let base = app.url("");

    // Too large to store: it runs, but its hash stays unknown.
    let large = padded_query(0, 1000);
    let ran = register(&app.client, &base, &large).await;
    assert_eq!(ran["data"]["__typename"], "Query");
    assert_eq!(
        error_code(&by_hash(&app, &large, None).await),
        Some("PERSISTED_QUERY_NOT_FOUND")
    );

    // Anonymous callers from one address share three registrations a minute
    // (the large one above counted no registration: it was refused first).
    let small: Vec<String> = (1..=5).map(|i| padded_query(i, 100)).collect();
    for query in &small {
        let ran = register(&app.client, &base, query).await;
        assert_eq!(ran["data"]["__typename"], "Query", "every request runs");
    }
    for (i, query) in small.iter().enumerate() {
        let found = by_hash(&app, query, None).await;
        if i < 3 {
            assert_eq!(found["data"]["__typename"], "Query", "{i}: {found}");
        } else {
            assert_eq!(
                error_code(&found),
                Some("PERSISTED_QUERY_NOT_FOUND"),
                "{i}: {found}"
            );
        }
    }

    // A signed-in caller has a rate of its own.
    let (token, _) = app.sign_up("apq@example.com", "password-123").await;
    let bearer = format!("Bearer {token}");
    let query = padded_query(6, 100);
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", &bearer)
        .json(&json!({
            "query": query,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(&query)}}
        }))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    let found = by_hash(&app, &query, Some(&bearer)).await;
    assert_eq!(found["data"]["__typename"], "Query", "{found}");
}

#[tokio::test]
async fn in_process_rate_limit_windows_are_capped_and_still_count() {
    let app = TestApp::spawn_with(&[
        ("RATE_LIMIT_MAX_KEYS", "50"),
        ("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "100000"),
    ])
    .await;
    // 120 distinct emails: a window per email and one for the address asked for.
    for i in 0..120 {
        app.graphql(
            "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
            json!({"input": {"email": format!("nobody{i}@example.com"), "password": "wrong-password"}}),
        )
        .await;
    }
    let atelier::rate_limit::RateLimiter::Memory(windows) = &app.app.rate_limiter else {
        panic!("no Redis configured: windows are in process")
    };
    assert!(windows.len() <= 50, "{} windows held", windows.len());
    // The per-email limit (10 a minute) still holds for one email attacked in a row.
    let mut codes = Vec::new();
    for _ in 0..12 {
        let response = app
            .graphql(
                "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
                json!({"input": {"email": "target@example.com", "password": "wrong-password"}}),
            )
            .await;
        codes.push(error_code(&response).unwrap_or_default().to_string());
    }
    assert!(codes[..10].iter().all(|c| c != "RATE_LIMITED"), "{codes:?}");
    assert!(codes[10..].iter().all(|c| c == "RATE_LIMITED"), "{codes:?}");
}

#[tokio::test]
async fn every_redis_key_expires_and_the_apq_and_rate_limit_spaces_stay_capped() {
    let vars = redis_vars("bounds");
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut settings = refs.clone();
    settings.extend([
        ("APQ_MAX_ENTRIES", "5"),
        ("RATE_LIMIT_MAX_KEYS", "6"),
        ("APQ_REGISTRATIONS_PER_MINUTE", "1000"),
    ]);
    let app = TestApp::spawn_with(&settings).await;
    let (token, _) = app.sign_up("keys@example.com", "password-123").await;
    app.graphql_as(&token, "{ me { id fullName } }", json!({}))
        .await;
    let queries: Vec<String> = (0..12).map(|i| padded_query(i, 200)).collect();
    for query in &queries {
        register(&app.client, &app.url(""), query).await;
    }
    for i in 0..12 {
        app.graphql(
            "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
            json!({"input": {"email": format!("someone{i}@example.com"), "password": "wrong-password"}}),
        )
        .await;
    }

    let client = redis::Client::open(vars[0].1.as_str()).expect("redis url");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let prefix = &vars[1].1;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut redis)
        .await
        .expect("KEYS");
    assert!(keys.len() > 3, "{keys:?}");
    for key in &keys {
        let ttl: i64 = redis::cmd("TTL")
            .arg(key)
            .query_async(&mut redis)
            .await
            .expect("TTL");
        assert!(ttl > 0, "{key} has no expiry ({ttl})");
    }
    let apq = keys
        .iter()
        .filter(|k| k.starts_with(&format!("{prefix}:apq:")) && !k.ends_with(":index"))
        .count();
    assert_eq!(apq, 5, "the five newest registrations: {keys:?}");
    let windows = keys
        .iter()
        .filter(|k| k.starts_with(&format!("{prefix}:rl:")))
        .count();
    assert!(windows <= 6, "{windows} rate-limit windows: {keys:?}");
    // The newest registration is the one found, by another instance (the one
    // that registered them keeps its own bounded copy in process, see cache.rs).
    let other = app.spawn_sibling(&settings).await;
    let newest = by_hash(&other, &queries[11], None).await;
    assert_eq!(newest["data"]["__typename"], "Query", "{newest}");
    let oldest = by_hash(&other, &queries[0], None).await;
    assert_eq!(error_code(&oldest), Some("PERSISTED_QUERY_NOT_FOUND"));
}

/// Resident memory of a process, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmRSS")
}

#[tokio::test]
async fn an_apq_flood_keeps_the_real_servers_memory_under_its_ceiling() {
    let db = TestDb::migrated().await;
    let data_dir = tempfile::tempdir().expect("data dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .env_remove("REDIS_URL")
        .env("DATABASE_URL", &db.url)
        .env("DATABASE_POOL_SIZE", "4")
        .env("DATA_DIR", data_dir.path())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "error")
        .env("WORKERS", "0")
        .env("CACHE_MAX_MB", "2")
        .env("APQ_REGISTRATIONS_PER_MINUTE", "1000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("atelier starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "not ready in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Warm up, so the baseline includes what serving requests costs anyway.
    flood(&base, 200, 8000).await;
    let before = rss_bytes(child.id());
    // 16 MB of registrations: unbounded, they would all stay resident.
    flood(&base, 2000, 8000).await;
    let after = rss_bytes(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let growth = after.saturating_sub(before);
    eprintln!("RSS {before} -> {after} bytes (+{growth})");
    assert!(
        growth < 10 << 20,
        "RSS grew by {growth} bytes through a 16 MB flood into a 2 MB cache"
    );
}
