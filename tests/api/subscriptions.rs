//! Subscriptions from real clients: a Rust WebSocket client on both
//! sub-protocols, the `graphql-ws` npm client, and two instances sharing Redis.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{redis_vars, TestApp};

mod redis_restart;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A signed-up user with a personal project; returns (token, project id, model id).
async fn user_with_project(app: &TestApp, email: &str) -> (String, String, String) {
    app.seed_demo().await;
    let (token, _) = app.sign_up(email, "password-123").await;
    let bench = app
        .graphql_as(
            &token,
            "mutation { createWorkbench(input: {name: \"Bench\"}) { workbench { id } } }",
            json!({}),
        )
        .await;
    let bench_id = bench["data"]["createWorkbench"]["workbench"]["id"].clone();
    let project = app
        .graphql_as(
            &token,
            "mutation($w: ID!) { createProject(input: {workbenchId: $w, name: \"Live\"}) { project { id } } }",
            json!({"w": bench_id}),
        )
        .await;
    let project_id = project["data"]["createProject"]["project"]["id"]
        .as_str()
        .expect("project")
        .to_string();
    let model_id = atelier::graphql::id::GlobalId::uuid(
        atelier::graphql::id::NodeType::AiModel,
        atelier::demo::demo_id("aimodel:Atelier Diffusion"),
    )
    .0;
    (token, project_id, model_id)
}

async fn request_generation(
    app: &TestApp,
    token: &str,
    project_id: &str,
    model_id: &str,
) -> String {
    let response = app
        .graphql_as(
            token,
            "mutation($input: RequestGenerationInput!) { requestGeneration(input: $input) { generationRequest { id } } }",
            json!({"input": {"projectId": project_id, "aiModelId": model_id, "inputPrompt": "a lighthouse at dusk",
                   "inputParameters": {"sampleCount": 2, "resolution": "512x512"}}}),
        )
        .await;
    response["data"]["requestGeneration"]["generationRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("request failed: {response}"))
        .to_string()
}

async fn connect(app: &TestApp, protocol: &str, token: &str) -> Socket {
    let mut request = format!("ws://{}/graphql", app.address)
        .into_client_request()
        .expect("request");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    let ack = next_json(&mut socket, Duration::from_secs(5))
        .await
        .expect("ack");
    assert_eq!(ack["type"], "connection_ack");
    socket
}

/// The next text message as JSON (skipping pings and keep-alives).
async fn next_json(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).ok()?;
            if !matches!(value["type"].as_str(), Some("ka" | "ping" | "pong")) {
                return Some(value);
            }
        }
    }
}

const STATUS: &str = "subscription($id: ID!) { generationStatus(generationRequestId: $id) { id status samples { id } } }";

/// Follows a request over an open socket, selecting the first sample when asked;
/// returns the statuses seen, and whether the server completed the stream.
async fn follow(
    app: &TestApp,
    socket: &mut Socket,
    token: &str,
    request_id: &str,
    legacy: bool,
) -> (Vec<String>, bool) {
    let subscribe = if legacy {
        json!({"id": "1", "type": "start", "payload": {"query": STATUS, "variables": {"id": request_id}}})
    } else {
        json!({"id": "1", "type": "subscribe", "payload": {"query": STATUS, "variables": {"id": request_id}}})
    };
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    let mut statuses = Vec::new();
    let mut completed = false;
    while let Some(message) = next_json(socket, Duration::from_secs(30)).await {
        match message["type"].as_str() {
            Some("next" | "data") => {
                let request = &message["payload"]["data"]["generationStatus"];
                let status = request["status"].as_str().unwrap_or_default().to_string();
                if status == "AWAITING_SELECTION" {
                    let sample = request["samples"][0]["id"].clone();
                    let answer = app
                        .graphql_as(
                            token,
                            "mutation($r: ID!, $s: ID!) { selectGenerationSample(input: {generationRequestId: $r, sampleAssetId: $s}) { generationRequest { status } } }",
                            json!({"r": request_id, "s": sample}),
                        )
                        .await;
                    assert!(answer["errors"].is_null(), "{answer}");
                }
                statuses.push(status);
            }
            Some("complete") => {
                completed = true;
                break;
            }
            other => panic!("unexpected message {other:?}: {message}"),
        }
    }
    (statuses, completed)
}

fn assert_full_journey(statuses: &[String]) {
    for expected in ["AWAITING_SELECTION", "PROCESSING_FINAL", "COMPLETED"] {
        assert!(
            statuses.iter().any(|s| s == expected),
            "{expected} missing from {statuses:?}"
        );
    }
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("COMPLETED"),
        "{statuses:?}"
    );
    let order = [
        "PENDING",
        "PROCESSING_SAMPLES",
        "AWAITING_SELECTION",
        "PROCESSING_FINAL",
        "COMPLETED",
    ];
    let positions: Vec<usize> = statuses
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("known status"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order or repeated: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rust_client_follows_a_generation_from_pending_to_completed() {
    let app = TestApp::spawn().await;
    let (token, project, model) = user_with_project(&app, "rust-ws@example.com").await;
    let mut socket = connect(&app, "graphql-transport-ws", &token).await;
    let request_id = request_generation(&app, &token, &project, &model).await;
    let (statuses, completed) = follow(&app, &mut socket, &token, &request_id, false).await;
    assert_full_journey(&statuses);
    assert!(
        completed,
        "the server completes the stream after a terminal status"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_legacy_protocol_streams_the_same_journey() {
    let app = TestApp::spawn().await;
    let (token, project, model) = user_with_project(&app, "legacy-ws@example.com").await;
    let mut socket = connect(&app, "graphql-ws", &token).await;
    let request_id = request_generation(&app, &token, &project, &model).await;
    let (statuses, completed) = follow(&app, &mut socket, &token, &request_id, true).await;
    assert_full_journey(&statuses);
    assert!(completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscriber_arriving_late_gets_the_current_state_at_once() {
    let app = TestApp::spawn().await;
    let (token, project, model) = user_with_project(&app, "late@example.com").await;
    let request_id = request_generation(&app, &token, &project, &model).await;
    // Wait until the samples are there, then subscribe: the first message is that state.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = app
            .graphql_as(
                &token,
                "query($id: ID!) { generationRequest(id: $id) { status } }",
                json!({"id": request_id}),
            )
            .await;
        if r["data"]["generationRequest"]["status"] == "AWAITING_SELECTION" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "samples never came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut socket = connect(&app, "graphql-transport-ws", &token).await;
    let (statuses, _) = follow(&app, &mut socket, &token, &request_id, false).await;
    assert_eq!(
        statuses.first().map(String::as_str),
        Some("AWAITING_SELECTION")
    );
    assert_eq!(statuses.last().map(String::as_str), Some("COMPLETED"));
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_request_cannot_be_followed() {
    let app = TestApp::spawn().await;
    let (token, project, model) = user_with_project(&app, "owner-ws@example.com").await;
    let request_id = request_generation(&app, &token, &project, &model).await;
    let (stranger, _) = app.sign_up("stranger-ws@example.com", "password-123").await;
    let mut socket = connect(&app, "graphql-transport-ws", &stranger).await;
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": STATUS, "variables": {"id": request_id}}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    let reply = next_json(&mut socket, Duration::from_secs(5))
        .await
        .expect("reply");
    // Refused as if it did not exist: an execution error in the stream (or an
    // `error` message), never data.
    let code = match reply["type"].as_str() {
        Some("error") => reply["payload"][0]["extensions"]["code"].clone(),
        _ => reply["payload"]["errors"][0]["extensions"]["code"].clone(),
    };
    assert_eq!(code, "NOT_FOUND", "{reply}");
    assert!(
        reply["payload"]["data"]["generationStatus"].is_null(),
        "{reply}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_graphql_ws_npm_client_follows_a_generation() {
    let app = TestApp::spawn().await;
    let (token, project, model) = user_with_project(&app, "npm-client@example.com").await;
    let request_id = request_generation(&app, &token, &project, &model).await;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/follow-generation.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(app.url(""))
        .arg(&token)
        .arg(&request_id)
        .output()
        .await
        .expect("node runs (the test command installs Node and tests/node's packages)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node exited {}: {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let statuses: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["status"].as_str().map(String::from))
        .collect();
    assert_full_journey(&statuses);
}

/// Two instances over one database; only the second runs workers, and the first
/// re-reads the database only every 10 minutes, so news can reach it by events only.
async fn two_instances(redis: bool) -> (TestApp, TestApp) {
    let mut vars: Vec<(&'static str, String)> = vec![
        ("WORKERS", "0".into()),
        ("SUBSCRIPTION_RECHECK_MS", "600000".into()),
    ];
    if redis {
        vars.extend(redis_vars("subscriptions"));
    }
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let subscriber = TestApp::spawn_with(&refs).await;
    let mut worker_vars = refs.clone();
    worker_vars.retain(|(k, _)| *k != "WORKERS");
    let worker = subscriber.spawn_sibling(&worker_vars).await;
    (subscriber, worker)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_on_one_instance_reaches_a_subscriber_on_another_through_redis() {
    let (subscriber, worker) = two_instances(true).await;
    let (token, project, model) = user_with_project(&worker, "redis-ws@example.com").await;
    let mut socket = connect(&subscriber, "graphql-transport-ws", &token).await;
    // The mutation goes to the worker instance; the subscription lives on the other.
    let request_id = request_generation(&worker, &token, &project, &model).await;
    let (statuses, completed) = follow(&worker, &mut socket, &token, &request_id, false).await;
    assert_full_journey(&statuses);
    assert!(completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_redis_the_other_instance_hears_nothing() {
    let (subscriber, worker) = two_instances(false).await;
    let (token, project, model) = user_with_project(&worker, "no-redis-ws@example.com").await;
    let request_id = request_generation(&worker, &token, &project, &model).await;
    let mut socket = connect(&subscriber, "graphql-transport-ws", &token).await;
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": STATUS, "variables": {"id": request_id}}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    let first = next_json(&mut socket, Duration::from_secs(5))
        .await
        .expect("current state");
    let first_status = first["payload"]["data"]["generationStatus"]["status"].clone();
    // The samples get made on the other instance; in-process events do not cross over.
    let later = next_json(&mut socket, Duration::from_secs(4)).await;
    if let Some(message) = later {
        assert_eq!(
            message["payload"]["data"]["generationStatus"]["status"], first_status,
            "an update crossed instances without Redis: {message}"
        );
    }
}

/// Every status reaches every subscriber in its event, however briefly it lasted:
/// the subscriber's instance reads nothing while the request moves on.
#[tokio::test(flavor = "multi_thread")]
async fn status_events_carry_the_request_so_subscribers_read_nothing() {
    let (subscriber, worker) = two_instances(true).await;
    let (token, project, model) = user_with_project(&worker, "carried@example.com").await;
    let mut socket = connect(&subscriber, "graphql-transport-ws", &token).await;
    let request_id = request_generation(&worker, &token, &project, &model).await;
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { generationStatus(generationRequestId: $id) { status updatedAt } }",
        "variables": {"id": request_id}}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    let first = next_json(&mut socket, Duration::from_secs(30))
        .await
        .expect("the current state");
    let mut statuses = vec![first["payload"]["data"]["generationStatus"]["status"]
        .as_str()
        .expect("a status")
        .to_string()];
    let reads_before = subscriber.statements();
    while let Some(message) = next_json(&mut socket, Duration::from_secs(30)).await {
        if message["type"] == "complete" {
            break;
        }
        let status = message["payload"]["data"]["generationStatus"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("a status: {message}"))
            .to_string();
        if status == "AWAITING_SELECTION" {
            let read = worker
                .graphql_as(
                    &token,
                    "query($id: ID!) { generationRequest(id: $id) { samples { id } } }",
                    json!({"id": request_id}),
                )
                .await;
            let sample = read["data"]["generationRequest"]["samples"][0]["id"].clone();
            let answer = worker
                .graphql_as(
                    &token,
                    "mutation($r: ID!, $s: ID!) { selectGenerationSample(input: {generationRequestId: $r, sampleAssetId: $s}) { generationRequest { status } } }",
                    json!({"r": request_id, "s": sample}),
                )
                .await;
            assert!(answer["errors"].is_null(), "{answer}");
        }
        statuses.push(status);
    }
    assert_full_journey(&statuses);
    assert_eq!(
        subscriber.statements() - reads_before,
        0,
        "the subscriber's instance read the database: {statuses:?}"
    );
}
