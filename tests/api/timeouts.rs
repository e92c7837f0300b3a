//! No client and no dependency can hold the server: slow request heads and
//! bodies are cut off, idle connections closed, connections past the cap
//! refused with a clear 503, and a Redis that stops answering costs each
//! request at most a short timeout once, then nothing until it is back.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

/// Reads until the server closes the connection (or `limit` passes); returns
/// what it sent and when it closed.
async fn read_until_closed(
    stream: &mut (impl tokio::io::AsyncRead + Unpin),
    limit: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("still open after {limit:?}"),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_at_the_header_timeout() {
    let app = TestApp::spawn_with(&[("HTTP_HEADER_TIMEOUT_MS", "1000")]).await;
    let mut slow = TcpStream::connect(app.address).await.expect("connect");
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: applic")
        .await
        .expect("half a head");
    // Others are served meanwhile.
    let body = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query");
    let (_, after) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(
        after >= Duration::from_millis(700) && after < Duration::from_millis(2500),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn a_slow_body_is_cut_off_with_408() {
    let app = TestApp::spawn_with(&[
        ("HTTP_HEADER_TIMEOUT_MS", "1000"),
        ("HTTP_MIN_BODY_BYTES_PER_SECOND", "100"),
    ])
    .await;
    let slow = TcpStream::connect(app.address).await.expect("connect");
    let (mut answers, mut slow) = slow.into_split();
    slow.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"query\": \"",
    )
    .await
    .expect("head");
    let started = Instant::now();
    // Ten bytes every half second: 20 bytes a second, under the 100 required.
    let writer = tokio::spawn(async move {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if slow.write_all(b"          ").await.is_err() {
                break;
            }
        }
    });
    let (answer, _) = read_until_closed(&mut answers, Duration::from_secs(5)).await;
    writer.abort();
    let elapsed = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("too slowly"), "{answer}");
    assert!(
        elapsed < Duration::from_secs(4),
        "answered after {elapsed:?}"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_and_connections_past_the_cap_get_503() {
    let app = TestApp::spawn_with(&[
        ("HTTP_IDLE_TIMEOUT_SECONDS", "1"),
        ("HTTP_HEADER_TIMEOUT_MS", "30000"),
        ("HTTP_MAX_CONNECTIONS", "2"),
    ])
    .await;
    let mut first = TcpStream::connect(app.address).await.expect("connect");
    let mut second = TcpStream::connect(app.address).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Both slots are taken by silent connections: the next one is refused at once.
    let refused = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ __typename }"}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "SERVICE_UNAVAILABLE"
    );
    assert_eq!(body["errors"][0]["extensions"]["retryable"], true);

    // Silent for the idle timeout, they are closed, and the slots are free again.
    let (_, after) = read_until_closed(&mut first, Duration::from_secs(4)).await;
    assert!(
        after < Duration::from_millis(2500),
        "closed after {after:?}"
    );
    read_until_closed(&mut second, Duration::from_secs(4)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let body = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query");
}

/// A Redis of the test's own, so it can be killed and started again.
pub(crate) struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    pub(crate) fn start(port: u16) -> Self {
        let mut redis = Self { port, child: None };
        redis.restart();
        redis
    }

    pub(crate) fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGSTOP or SIGCONT: a Redis that hangs without closing its connections.
    pub(crate) fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status();
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Signed-in reads for `length`, four at a time; the slowest answer, and the
/// count of answers that were not the expected email.
pub(crate) async fn load(
    app: &TestApp,
    token: &str,
    email: &str,
    length: Duration,
) -> (Duration, usize, usize) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = reqwest::Client::new();
        let url = app.url("/graphql");
        let (token, email) = (token.to_string(), email.to_string());
        tasks.push(tokio::spawn(async move {
            let (mut slowest, mut wrong, mut sent) = (Duration::ZERO, 0, 0);
            while started.elapsed() < length {
                let began = Instant::now();
                let answer = tokio::time::timeout(
                    Duration::from_secs(5),
                    client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"query": "{ me { email } }"}))
                        .send(),
                )
                .await;
                let body: Option<Value> = match answer {
                    Ok(Ok(response)) => response.json().await.ok(),
                    _ => None,
                };
                slowest = slowest.max(began.elapsed());
                sent += 1;
                if body.as_ref().map(|b| b["data"]["me"]["email"].clone()) != Some(json!(email)) {
                    wrong += 1;
                }
            }
            (slowest, wrong, sent)
        }));
    }
    let mut total = (Duration::ZERO, 0, 0);
    for task in tasks {
        let (slowest, wrong, sent) = task.await.expect("load task");
        total = (total.0.max(slowest), total.1 + wrong, total.2 + sent);
    }
    total
}

#[tokio::test]
async fn redis_stopped_under_load_costs_requests_under_a_second_and_everything_recovers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut redis = PrivateRedis::start(port);
    let url = redis.url();
    let app = TestApp::spawn_with(&[("REDIS_URL", url.as_str()), ("REDIS_PREFIX", "fault")]).await;
    let (token, _) = app.sign_up("redis-fault@example.com", "password-123").await;
    let email = "redis-fault@example.com";

    let (slowest, wrong, sent) = load(&app, &token, email, Duration::from_secs(1)).await;
    assert_eq!(wrong, 0, "with Redis up: {wrong} of {sent} wrong");
    eprintln!("Redis up: {sent} requests, slowest {slowest:?}");

    // Killed half a second into three seconds of load.
    let ((slowest, wrong, sent), ()) =
        tokio::join!(load(&app, &token, email, Duration::from_secs(3)), async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            redis.kill();
        });
    eprintln!("Redis down: {sent} requests, slowest {slowest:?}, {wrong} wrong");
    assert_eq!(
        wrong, 0,
        "every request answered correctly: {wrong} of {sent} wrong"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "slowest answer {slowest:?}"
    );
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503, "readiness says Redis is down");
    // Sign-in attempts are still limited, per instance, while Redis is away.
    let mut codes = Vec::new();
    for _ in 0..12 {
        let response = app
            .graphql(
                "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
                json!({"input": {"email": "victim@example.com", "password": "wrong-password"}}),
            )
            .await;
        codes.push(
            crate::helpers::error_code(&response)
                .unwrap_or_default()
                .to_string(),
        );
    }
    assert_eq!(
        codes.last().map(String::as_str),
        Some("RATE_LIMITED"),
        "{codes:?}"
    );

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        if ready.status().is_success() {
            break;
        }
        assert!(Instant::now() < deadline, "not ready again in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The cache is used again: a fresh sign-in's session lands in the new Redis.
    let deadline = Instant::now() + Duration::from_secs(10);
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    loop {
        let (slowest, wrong, sent) = load(&app, &token, email, Duration::from_millis(300)).await;
        assert_eq!(wrong, 0, "after recovery: {wrong} of {sent} wrong");
        assert!(
            slowest < Duration::from_secs(1),
            "slowest answer {slowest:?}"
        );
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("fault:*")
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        if !keys.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cache never wrote to Redis again"
        );
    }

    // A Redis that hangs (connections open, no answers) costs the timeout once.
    let ((slowest, wrong, sent), ()) =
        tokio::join!(load(&app, &token, email, Duration::from_secs(3)), async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            redis.signal("-STOP");
        });
    redis.signal("-CONT");
    eprintln!("Redis hung: {sent} requests, slowest {slowest:?}, {wrong} wrong");
    assert_eq!(wrong, 0, "while hung: {wrong} of {sent} wrong");
    assert!(
        slowest < Duration::from_secs(1),
        "slowest answer {slowest:?}"
    );
}

#[tokio::test]
async fn a_statement_timeout_is_a_retryable_internal_error_and_the_next_request_succeeds() {
    use diesel_async::SimpleAsyncConnection;
    let app = TestApp::spawn_with(&[("DATABASE_STATEMENT_TIMEOUT_MS", "500")]).await;
    let query = "{ aiModels(first: 1) { totalCount } }";
    let before = app.graphql(query, json!({})).await;
    assert!(before["errors"].is_null(), "{before}");

    // Another session holds the table: the read waits past its statement_timeout.
    let mut holder = app.db.conn().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE ai_models IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let started = Instant::now();
    let blocked = app.graphql(query, json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let error = &blocked["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "INTERNAL_SERVER_ERROR",
        "{blocked}"
    );
    assert_eq!(error["extensions"]["retryable"], true, "{blocked}");
    assert!(
        !error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("statement"),
        "no internal detail: {blocked}"
    );
    holder.batch_execute("ROLLBACK").await.expect("unlock");

    let after = app.graphql(query, json!({})).await;
    assert!(after["errors"].is_null(), "{after}");
}

/// Reads that need the database, one after another for `length`: the slowest
/// answer, the successes, and the failures that were not a retryable error.
async fn database_load(app: &TestApp, length: Duration) -> (Duration, usize, Vec<String>) {
    let started = Instant::now();
    let (mut slowest, mut succeeded, mut unclean) = (Duration::ZERO, 0, Vec::new());
    while started.elapsed() < length {
        let began = Instant::now();
        let response = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({"query": "{ aiModels(first: 1) { totalCount } }"}))
            .send()
            .await
            .expect("an answer");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        slowest = slowest.max(began.elapsed());
        if body["data"]["aiModels"]["totalCount"].is_number() {
            succeeded += 1;
        } else if status.is_server_error()
            || body["errors"][0]["extensions"]["code"] != "INTERNAL_SERVER_ERROR"
            || body["errors"][0]["extensions"]["retryable"] != true
        {
            unclean.push(format!("HTTP {status}: {body}"));
        }
    }
    (slowest, succeeded, unclean)
}

#[tokio::test]
async fn the_database_restarted_under_load_fails_requests_cleanly_and_they_succeed_again() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    // When the tests run as root, PostgreSQL runs as `postgres` and must enter it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let root = dir.path().join("pg");
    let cluster = atelier::db::embedded::PrivatePostgres::start(&root)
        .await
        .expect("a private PostgreSQL");
    let url = cluster.url();
    let app = TestApp::spawn_with(&[("DATABASE_URL", url.as_str()), ("WORKERS", "0")]).await;
    let (slowest, succeeded, unclean) = database_load(&app, Duration::from_millis(500)).await;
    assert!(succeeded > 0 && unclean.is_empty(), "{unclean:?}");
    eprintln!("database up: {succeeded} answers, slowest {slowest:?}");

    cluster.stop().expect("stop PostgreSQL");
    let (slowest, answered, unclean) = database_load(&app, Duration::from_secs(1)).await;
    eprintln!("database down: slowest {slowest:?}");
    assert_eq!(answered, 0, "the database really was down");
    assert!(unclean.is_empty(), "not a retryable error: {unclean:?}");
    assert!(slowest < Duration::from_secs(11), "slowest {slowest:?}");

    let again = atelier::db::embedded::PrivatePostgres::start(&root)
        .await
        .expect("PostgreSQL again");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, succeeded, unclean) = database_load(&app, Duration::from_millis(200)).await;
        assert!(unclean.is_empty(), "{unclean:?}");
        if succeeded > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never answered again without a restart"
        );
    }
    drop(app);
    let _ = again.stop();
}
