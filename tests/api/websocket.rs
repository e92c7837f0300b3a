//! The WebSocket transport on a raw client: every close code of
//! graphql-transport-ws, the init timeout, keep-alives both ways, the caps on
//! operations and sockets, slow consumers, revocation and shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{redis_vars, TestApp};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);
const NOTIFICATIONS: &str = "subscription { notificationReceived { id } }";

pub(crate) async fn open(app: &TestApp, protocol: Option<&str>) -> Socket {
    try_open(app, protocol).await.expect("socket opens")
}

async fn try_open(
    app: &TestApp,
    protocol: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/graphql", app.address)
        .into_client_request()
        .expect("request");
    if let Some(protocol) = protocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

pub(crate) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

pub(crate) fn init(token: &str) -> Value {
    json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}})
}

pub(crate) fn subscribe(id: &str, query: &str) -> Value {
    json!({"type": "subscribe", "id": id, "payload": {"query": query}})
}

/// An initialised graphql-transport-ws socket of `token`.
pub(crate) async fn signed_in(app: &TestApp, token: &str) -> Socket {
    let mut socket = open(app, Some("graphql-transport-ws")).await;
    send(&mut socket, init(token)).await;
    let ack = next_message(&mut socket).await.expect("an answer to init");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

/// The next GraphQL message, skipping keep-alives; `None` once the socket closed.
pub(crate) async fn next_message(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Err(_) => panic!("no message within {WAIT:?}"),
            Ok(Some(Ok(Message::Text(text)))) => {
                let value: Value = serde_json::from_str(&text).expect("JSON message");
                if !matches!(value["type"].as_str(), Some("ping" | "pong" | "ka")) {
                    return Some(value);
                }
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => return None,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Reads until the server closes the socket; its close code and reason.
pub(crate) async fn close_of(socket: &mut Socket) -> (u16, String) {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Err(_) => panic!("the socket was not closed within {WAIT:?}"),
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                return (u16::from(frame.code), frame.reason.to_string())
            }
            Ok(Some(Ok(Message::Close(None)))) => return (1005, String::new()),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("the socket failed instead of closing: {e}"),
            Ok(None) => panic!("the connection ended without a close frame"),
        }
    }
}

/// Whether the socket still answers a ping.
async fn answers_ping(socket: &mut Socket) -> bool {
    send(socket, json!({"type": "ping", "payload": {"probe": 1}})).await;
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let value: Value = serde_json::from_str(&text).expect("JSON message");
                if value["type"] == "pong" {
                    return value["payload"]["probe"] == 1;
                }
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => return false,
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_protocol_violation_closes_the_socket_with_its_code() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("codes@example.com", "password-123").await;

    for protocol in [None, Some("subscriptions-transport-ws-v9")] {
        let mut socket = open(&app, protocol).await;
        assert_eq!(close_of(&mut socket).await.0, 4406, "{protocol:?}");
    }

    let mut socket = open(&app, Some("graphql-transport-ws")).await;
    send(&mut socket, subscribe("1", "{ __typename }")).await;
    assert_eq!(
        close_of(&mut socket).await,
        (4401, "Unauthorized".into()),
        "subscribe before connection_ack"
    );

    let mut socket = open(&app, Some("graphql-transport-ws")).await;
    send(&mut socket, init("not-a-session")).await;
    assert_eq!(close_of(&mut socket).await, (4403, "Forbidden".into()));

    let mut socket = signed_in(&app, &token).await;
    send(&mut socket, init(&token)).await;
    assert_eq!(
        close_of(&mut socket).await,
        (4429, "Too many initialisation requests".into())
    );

    let mut socket = signed_in(&app, &token).await;
    send(&mut socket, subscribe("dup", NOTIFICATIONS)).await;
    send(&mut socket, subscribe("dup", NOTIFICATIONS)).await;
    assert_eq!(
        close_of(&mut socket).await,
        (4409, "Subscriber for dup already exists".into())
    );

    for bad in [
        Message::Text("not json".into()),
        Message::Text(json!({"type": "subscribe", "id": "1"}).to_string().into()),
        Message::Text(json!({"type": "launch", "id": "1"}).to_string().into()),
        Message::Binary(vec![1, 2, 3].into()),
    ] {
        let mut socket = signed_in(&app, &token).await;
        socket.send(bad.clone()).await.expect("send");
        let (code, reason) = close_of(&mut socket).await;
        assert_eq!(code, 4400, "{bad:?}: {reason}");
        assert!(reason.starts_with("Invalid message received"), "{reason}");
    }

    // None of that hurt the server: a new socket works.
    let mut socket = signed_in(&app, &token).await;
    assert!(answers_ping(&mut socket).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_over_a_mebibyte_ends_the_socket_and_the_server_carries_on() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("big@example.com", "password-123").await;
    // Under the bound: a large ping is read and the socket stays.
    let mut socket = signed_in(&app, &token).await;
    let padding = "x".repeat(900 * 1024);
    send(
        &mut socket,
        json!({"type": "ping", "payload": {"probe": 1, "pad": padding}}),
    )
    .await;
    assert!(
        answers_ping(&mut socket).await,
        "a message under the bound is read"
    );
    // Over it: the server stops reading that socket.
    let mut socket = signed_in(&app, &token).await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let _ = socket
        .send(Message::Text(
            format!("{{\"type\":\"ping\",\"p\":\"{padding}\"}}").into(),
        ))
        .await;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the socket ended");
    let mut socket = signed_in(&app, &token).await;
    assert!(answers_ping(&mut socket).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_socket_that_never_initialises_is_closed_after_the_timeout() {
    let app = TestApp::spawn_with(&[("WS_INIT_TIMEOUT_MS", "300")]).await;
    let (token, _) = app.sign_up("timeout@example.com", "password-123").await;
    let mut idle = open(&app, Some("graphql-transport-ws")).await;
    let mut initialised = signed_in(&app, &token).await;
    assert_eq!(
        close_of(&mut idle).await,
        (4408, "Connection initialisation timeout".into())
    );
    // The deadline only concerns sockets that did not initialise in time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(answers_ping(&mut initialised).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_alives_go_both_ways_and_a_silent_client_is_dropped() {
    let app = TestApp::spawn_with(&[("WS_KEEPALIVE_MS", "200")]).await;
    let (token, _) = app.sign_up("pings@example.com", "password-123").await;

    // The server answers a client's ping with its payload...
    let mut socket = signed_in(&app, &token).await;
    assert!(answers_ping(&mut socket).await);

    // ...and pings on its own: both the protocol's ping and a WebSocket ping.
    let (mut protocol_pings, mut frame_pings) = (0, 0);
    let deadline = tokio::time::Instant::now() + WAIT;
    while protocol_pings < 2 || frame_pings < 2 {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("pings arrive")
            .expect("open")
            .expect("a frame");
        match message {
            Message::Text(text) if text.contains(r#""type":"ping""#) => {
                protocol_pings += 1;
                send(&mut socket, json!({"type": "pong"})).await;
            }
            Message::Ping(_) => frame_pings += 1,
            _ => {}
        }
    }
    // A client that answers stays connected well past three intervals.
    let until = tokio::time::Instant::now() + Duration::from_millis(1000);
    while tokio::time::Instant::now() < until {
        if let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout_at(until, socket.next()).await
        {
            if text.contains(r#""type":"ping""#) {
                send(&mut socket, json!({"type": "pong"})).await;
            }
        }
    }
    assert!(answers_ping(&mut socket).await);

    // A client that reads nothing (so answers nothing) is taken for dead.
    let mut silent = signed_in(&app, &token).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        close_of(&mut silent).await,
        (1001, "keep-alive timeout".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_per_socket_are_capped() {
    let app = TestApp::spawn_with(&[("WS_MAX_SUBSCRIPTIONS", "3")]).await;
    let (token, _) = app.sign_up("cap@example.com", "password-123").await;
    let mut socket = signed_in(&app, &token).await;
    for id in ["a", "b", "c"] {
        send(&mut socket, subscribe(id, NOTIFICATIONS)).await;
    }
    send(&mut socket, subscribe("d", NOTIFICATIONS)).await;
    let refused = next_message(&mut socket).await.expect("an error message");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "d");
    let extensions = &refused["payload"][0]["extensions"];
    assert_eq!(extensions["code"], "QUERY_TOO_COMPLEX", "{refused}");
    assert_eq!(extensions["limit"], "subscriptions");
    assert_eq!(extensions["max"], 3);

    // Completing one makes room; the socket itself stayed open.
    send(&mut socket, json!({"type": "complete", "id": "a"})).await;
    send(&mut socket, subscribe("e", "{ me { email } }")).await;
    let next = next_message(&mut socket).await.expect("a result");
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["id"], "e");
    assert_eq!(next["payload"]["data"]["me"]["email"], "cap@example.com");
    let complete = next_message(&mut socket).await.expect("complete");
    assert_eq!(complete, json!({"type": "complete", "id": "e"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn sockets_per_instance_are_capped() {
    let app = TestApp::spawn_with(&[("WS_MAX_CONNECTIONS", "2")]).await;
    let first = open(&app, Some("graphql-transport-ws")).await;
    let _second = open(&app, Some("graphql-transport-ws")).await;
    match try_open(&app, Some("graphql-transport-ws")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert!(response.headers().contains_key("retry-after"));
        }
        other => panic!("a third socket was not refused: {other:?}"),
    }
    // A closed socket frees its place.
    drop(first);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match try_open(&app, Some("graphql-transport-ws")).await {
            Ok(_) => break,
            Err(e) if tokio::time::Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the freed place was never given out: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_consumer_is_disconnected_and_others_carry_on() {
    let app = TestApp::spawn_with(&[("WS_OUTBOUND_QUEUE", "4")]).await;
    let (token, _) = app.sign_up("slow@example.com", "password-123").await;
    let slow_before = app.metric("atelier_websocket_slow_consumers_total").await;
    let mut reader = signed_in(&app, &token).await;
    let mut slow = signed_in(&app, &token).await;
    // Large answers, asked for far faster than this client reads them (it does
    // not read at all), overflow the socket buffers and then the queue.
    let query =
        "{ __schema { types { name description fields { name description type { name } } } } }";
    // Stop as soon as the server has cut it, so that this client reads (and gets
    // the close frame) while the server still waits to deliver it.
    let cut = || {
        app.app
            .metrics
            .render()
            .contains("atelier_websocket_slow_consumers_total 1\n")
    };
    let mut sent = 0;
    for n in 0..3000 {
        if cut()
            || slow
                .send(Message::Text(
                    subscribe(&format!("q{n}"), query).to_string().into(),
                ))
                .await
                .is_err()
        {
            break;
        }
        sent += 1;
    }
    assert!(
        sent > 4,
        "the queue of 4 overflowed only after more operations than it holds: {sent}"
    );
    assert!(
        answers_ping(&mut reader).await,
        "the other socket is served"
    );
    // Whatever was delivered before the cut can be read; then the socket ends.
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the slow socket is cut off");
    assert_eq!(ended, Some(1013), "closed as too slow");
    let slow_consumers = app.metric("atelier_websocket_slow_consumers_total").await - slow_before;
    assert_eq!(slow_consumers, 1.into(), "counted once: {slow_consumers}");
    assert!(answers_ping(&mut reader).await, "the other socket still is");
}

pub(crate) async fn notifications_socket(app: &TestApp, token: &str) -> Socket {
    let mut socket = signed_in(app, token).await;
    send(&mut socket, subscribe("n", NOTIFICATIONS)).await;
    socket
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_credentials_close_their_sockets_at_once() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("revoked@example.com", "password-123").await;
    let (other_token, _) = app.sign_up("bystander@example.com", "password-123").await;
    let mut revoked = notifications_socket(&app, &token).await;
    let mut bystander = notifications_socket(&app, &other_token).await;

    let out = app
        .graphql_as(&token, "mutation { signOut { ok } }", json!({}))
        .await;
    assert_eq!(out["data"]["signOut"]["ok"], true, "{out}");
    assert_eq!(
        close_of(&mut revoked).await,
        (4403, "Forbidden: credentials revoked".into())
    );
    assert!(answers_ping(&mut bystander).await);

    // The revoked token cannot open a new one either.
    let mut again = open(&app, Some("graphql-transport-ws")).await;
    send(&mut again, init(&token)).await;
    assert_eq!(close_of(&mut again).await.0, 4403);

    // Deleting an account closes the sockets of all its sessions.
    let signed_in_again = app
        .graphql(
            r#"mutation { signIn(input: {email: "bystander@example.com", password: "password-123"}) { token } }"#,
            json!({}),
        )
        .await;
    let token = signed_in_again["data"]["signIn"]["token"]
        .as_str()
        .expect("a second session")
        .to_string();
    let mut second = notifications_socket(&app, &token).await;
    let out = app
        .graphql_as(
            &other_token,
            "mutation { deleteAccount(input: {password: \"password-123\"}) { ok } }",
            json!({}),
        )
        .await;
    assert!(out["errors"].is_null(), "{out}");
    assert_eq!(close_of(&mut bystander).await.0, 4403);
    assert_eq!(close_of(&mut second).await.0, 4403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_whose_event_was_lost_still_closes_the_socket() {
    use diesel_async::SimpleAsyncConnection;

    let app = TestApp::spawn_with(&[("WS_CREDENTIAL_RECHECK_MS", "200")]).await;
    let (token, user_id) = app.sign_up("lost@example.com", "password-123").await;
    let (other_token, _) = app.sign_up("kept@example.com", "password-123").await;
    let mut socket = notifications_socket(&app, &token).await;
    let mut kept = notifications_socket(&app, &other_token).await;
    // Revoked behind the API's back: no event is published, as when Redis was down.
    let user_id = atelier::graphql::id::GlobalId::decode_uuid(
        &async_graphql::ID(user_id),
        atelier::graphql::id::NodeType::User,
        "id",
    )
    .expect("a user id");
    let mut conn = app.db.conn().await;
    conn.batch_execute(&format!(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = '{user_id}'"
    ))
    .await
    .expect("revoke in the database");
    atelier::accounts::sessions::forget_all_of(&app.app, &mut conn, user_id)
        .await
        .expect("forget the cached session");
    assert_eq!(
        close_of(&mut socket).await,
        (4403, "Forbidden: credentials revoked".into())
    );
    // Sockets whose credentials still hold pass the same check.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(answers_ping(&mut kept).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_on_one_instance_closes_sockets_on_another_through_redis() {
    let vars = redis_vars("ws-revoke");
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = TestApp::spawn_with(&refs).await;
    let second = first.spawn_sibling(&refs).await;
    let (token, _) = first.sign_up("two@example.com", "password-123").await;
    let mut socket = notifications_socket(&second, &token).await;
    let out = first
        .graphql_as(&token, "mutation { signOut { ok } }", json!({}))
        .await;
    assert_eq!(out["data"]["signOut"]["ok"], true, "{out}");
    assert_eq!(close_of(&mut socket).await.0, 4403);
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_closes_sockets_with_going_away() {
    let mut app = TestApp::spawn().await;
    let (token, _) = app.sign_up("bye@example.com", "password-123").await;
    let mut socket = notifications_socket(&app, &token).await;
    app.stop();
    assert_eq!(
        close_of(&mut socket).await,
        (1001, "server shutting down".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_legacy_protocol_acknowledges_runs_and_stops_operations() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("legacy@example.com", "password-123").await;
    let mut socket = open(&app, Some("graphql-ws")).await;
    send(&mut socket, init(&token)).await;
    assert_eq!(
        next_message(&mut socket).await.expect("ack")["type"],
        "connection_ack"
    );
    send(
        &mut socket,
        json!({"type": "start", "id": "1", "payload": {"query": "{ me { email } }"}}),
    )
    .await;
    let data = next_message(&mut socket).await.expect("data");
    assert_eq!(data["type"], "data", "{data}");
    assert_eq!(data["payload"]["data"]["me"]["email"], "legacy@example.com");
    assert_eq!(
        next_message(&mut socket).await.expect("complete"),
        json!({"type": "complete", "id": "1"})
    );

    let mut refused = open(&app, Some("graphql-ws")).await;
    send(&mut refused, init("nope")).await;
    let error = next_message(&mut refused).await.expect("connection_error");
    assert_eq!(error["type"], "connection_error", "{error}");
    assert_eq!(close_of(&mut refused).await.0, 4403);
}
