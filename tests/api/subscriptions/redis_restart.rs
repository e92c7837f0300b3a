//! Redis killed and started again under load, with two instances sharing it:
//! requests keep their answers (no 5xx), a subscriber on the other instance
//! still learns the status that changed while Redis was away (its periodic
//! re-read), pub/sub works again afterwards for a subscriber that cannot
//! re-read, and rate limits and persisted queries fall back to the instance
//! and are shared again once Redis is back.

use std::time::Instant;

use sha2::{Digest, Sha256};

use super::*;
use crate::timeouts::{load, PrivateRedis};

fn sha256_hex(text: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(text.as_bytes()))
}

async fn post(app: &TestApp, body: Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON body")
}

/// A persisted query registered with its text, then run on `runner` by hash alone.
async fn persisted(registrar: &TestApp, runner: &TestApp, query: &str) -> Value {
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(query)}});
    let registered = post(registrar, json!({"query": query, "extensions": extensions})).await;
    assert!(registered["errors"].is_null(), "{registered}");
    post(runner, json!({"extensions": extensions})).await
}

/// Failed sign-ins for `email`, alternating between the two instances; the codes.
async fn failed_sign_ins(one: &TestApp, two: &TestApp, email: &str, n: usize) -> Vec<String> {
    let mut codes = Vec::new();
    for i in 0..n {
        let app = if i % 2 == 0 { one } else { two };
        let response = app
            .graphql(
                "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
                json!({"input": {"email": email, "password": "wrong-password"}}),
            )
            .await;
        codes.push(
            crate::helpers::error_code(&response)
                .unwrap_or_default()
                .to_string(),
        );
    }
    codes
}

async fn wait_ready(app: &TestApp, ready: bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .status();
        if status.is_success() == ready {
            return;
        }
        assert!(Instant::now() < deadline, "/readyz still {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Subscribes on `socket` and returns the first status (the current state).
async fn subscribe_status(socket: &mut Socket, id: &str, request_id: &str) -> String {
    let subscribe = json!({"id": id, "type": "subscribe", "payload": {"query": STATUS, "variables": {"id": request_id}}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    let first = next_json(socket, Duration::from_secs(5))
        .await
        .expect("the current state");
    first["payload"]["data"]["generationStatus"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Statuses from `socket` until `want` arrives or `within` passes.
async fn statuses_until(socket: &mut Socket, want: &str, within: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    while let Some(message) = next_json(
        socket,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        if message["type"] == "complete" {
            break;
        }
        let status = message["payload"]["data"]["generationStatus"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen.push(status.clone());
        if status == want {
            break;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_and_restarted_under_two_instances_loses_no_answer_and_everything_is_shared_again(
) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut redis = PrivateRedis::start(port);
    let url = redis.url();
    // `rereads` re-reads a followed request every second; `events` only every
    // ten minutes, so whatever it hears came through Redis. Only `worker` works.
    let shared = [("REDIS_URL", url.as_str()), ("REDIS_PREFIX", "restart")];
    let mut vars = shared.to_vec();
    vars.extend([("WORKERS", "0"), ("SUBSCRIPTION_RECHECK_MS", "1000")]);
    let rereads = TestApp::spawn_with(&vars).await;
    let mut vars = shared.to_vec();
    vars.extend([("WORKERS", "0"), ("SUBSCRIPTION_RECHECK_MS", "600000")]);
    let events = rereads.spawn_sibling(&vars).await;
    // The worker polls every 2 s: a request made on another instance while
    // Redis is away (no wake-up crosses over) waits that long, so both
    // subscribers below see it before its samples.
    let mut vars = shared.to_vec();
    vars.push(("WORKER_POLL_MS", "2000"));
    let worker = rereads.spawn_sibling(&vars).await;

    let email = "restart@example.com";
    let (token, project, model) = user_with_project(&worker, email).await;
    let mut rereading = connect(&rereads, "graphql-transport-ws", &token).await;
    let mut listening = connect(&events, "graphql-transport-ws", &token).await;

    // Killed under load on both serving instances: every answer still right.
    let (a, b, ()) = tokio::join!(
        load(&rereads, &token, email, Duration::from_secs(2)),
        load(&events, &token, email, Duration::from_secs(2)),
        async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            redis.kill();
        }
    );
    assert_eq!(
        (a.1, b.1),
        (0, 0),
        "wrong answers while Redis died: {a:?} {b:?}"
    );
    wait_ready(&rereads, false).await;

    // A generation moves on while Redis is away; the re-reading subscriber
    // still sees it, the other one cannot (its event was never delivered).
    let request_id = request_generation(&rereads, &token, &project, &model).await;
    let first = subscribe_status(&mut rereading, "1", &request_id).await;
    let listening_first = subscribe_status(&mut listening, "1", &request_id).await;
    assert_ne!(
        listening_first, "AWAITING_SELECTION",
        "subscribed before the samples"
    );
    let seen = statuses_until(
        &mut rereading,
        "AWAITING_SELECTION",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(
        seen.last().map(String::as_str).or(Some(first.as_str())),
        Some("AWAITING_SELECTION"),
        "the re-read delivered the change made while Redis was away: {first} then {seen:?}"
    );

    // Rate limits and persisted queries work per instance meanwhile.
    let codes = failed_sign_ins(&rereads, &rereads, "down@example.com", 12).await;
    assert_eq!(
        codes.last().map(String::as_str),
        Some("RATE_LIMITED"),
        "{codes:?}"
    );
    let alone = persisted(&rereads, &rereads, "query DownApq { __typename }").await;
    assert_eq!(alone["data"]["__typename"], "Query", "{alone}");

    // Redis comes back (empty): under load again, with no wrong answer.
    let (a, b, ()) = tokio::join!(
        load(&rereads, &token, email, Duration::from_secs(2)),
        load(&events, &token, email, Duration::from_secs(2)),
        async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            redis.restart();
        }
    );
    assert_eq!(
        (a.1, b.1),
        (0, 0),
        "wrong answers while Redis came back: {a:?} {b:?}"
    );
    for app in [&rereads, &events, &worker] {
        wait_ready(app, true).await;
    }
    // Ready means listening: each instance's event relay is subscribed again.
    let client = redis::Client::open(url.as_str()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let (_, relays): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("restart:events")
        .query_async(&mut conn)
        .await
        .expect("PUBSUB NUMSUB");
    assert_eq!(relays, 3, "every ready instance listens to Redis again");

    // The subscriber that never re-reads on its own missed AWAITING_SELECTION
    // while Redis was away; its instance's relay subscribing again makes it
    // read the request at once.
    let caught_up = statuses_until(
        &mut listening,
        "AWAITING_SELECTION",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        caught_up.last().map(String::as_str),
        Some("AWAITING_SELECTION"),
        "a re-subscription re-reads what was missed: {caught_up:?}"
    );

    // Pub/sub again: the subscriber that never re-reads hears the final phase.
    let sample = read_first_sample(&worker, &token, &request_id).await;
    let started = Instant::now();
    let selected = worker
        .graphql_as(
            &token,
            "mutation($r: ID!, $s: ID!) { selectGenerationSample(input: {generationRequestId: $r, sampleAssetId: $s}) { generationRequest { status } } }",
            json!({"r": request_id, "s": sample}),
        )
        .await;
    assert!(selected["errors"].is_null(), "{selected}");
    let heard = statuses_until(&mut listening, "COMPLETED", Duration::from_secs(30)).await;
    assert_eq!(
        heard.last().map(String::as_str),
        Some("COMPLETED"),
        "events reach the other instance through Redis again: {heard:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "heard through Redis, not a 10-minute re-read"
    );

    // Shared again: attempts on both instances add up, and a query registered
    // on one instance runs by hash on the other.
    let codes = failed_sign_ins(&rereads, &events, "back@example.com", 12).await;
    assert_eq!(
        codes.iter().filter(|c| *c == "RATE_LIMITED").count(),
        2,
        "ten attempts a minute for one email across both instances: {codes:?}"
    );
    let shared_query = persisted(&rereads, &events, "query BackApq { __typename }").await;
    assert_eq!(
        shared_query["data"]["__typename"], "Query",
        "{shared_query}"
    );
}

async fn read_first_sample(app: &TestApp, token: &str, request_id: &str) -> Value {
    let data = app
        .graphql_as(
            token,
            "query($id: ID!) { generationRequest(id: $id) { status samples { id } } }",
            json!({"id": request_id}),
        )
        .await;
    let request = &data["data"]["generationRequest"];
    assert_eq!(request["status"], "AWAITING_SELECTION", "{data}");
    request["samples"][0]["id"].clone()
}
