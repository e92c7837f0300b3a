//! The HTTP surface: health, readiness, GraphiQL, WebSocket handshake.

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn graphiql_is_served_with_its_own_assets() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/graphiql"))
        .send()
        .await
        .expect("graphiql");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/graphiql/assets/"))
        .collect();
    assert!(
        assets.len() >= 4,
        "GraphiQL page loads its assets: {assets:?}"
    );
    for asset in assets {
        let response = app.client.get(app.url(asset)).send().await.expect("asset");
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.bytes().await.expect("bytes").len() > 1000,
            "{asset} is empty"
        );
    }
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn.jsdelivr"),
        "no CDN"
    );
}

#[tokio::test]
async fn graphql_over_get_runs_a_query() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("graphql-preflight", "1")
        .query(&[("query", "{ aiModels { totalCount } }")])
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["data"]["aiModels"]["totalCount"], 0);
}

#[tokio::test]
async fn websocket_accepts_both_subprotocols_on_both_paths() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let app = TestApp::spawn().await;
    for path in ["/graphql", "/graphql/ws"] {
        for protocol in ["graphql-transport-ws", "graphql-ws"] {
            let mut request = format!("ws://{}{path}", app.address)
                .into_client_request()
                .expect("request");
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
            let (mut socket, response) = tokio_tungstenite::connect_async(request)
                .await
                .unwrap_or_else(|e| panic!("{path} {protocol}: {e}"));
            assert_eq!(
                response.headers()["sec-websocket-protocol"],
                protocol,
                "{path} negotiates {protocol}"
            );
            socket
                .send(Message::Text(
                    r#"{"type":"connection_init","payload":{}}"#.into(),
                ))
                .await
                .expect("init");
            let ack = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
                .await
                .expect("ack in time")
                .expect("a message")
                .expect("not an error");
            let ack: serde_json::Value =
                serde_json::from_str(ack.to_text().expect("text")).expect("json");
            assert_eq!(ack["type"], "connection_ack", "{path} {protocol}");
        }
    }
}

#[tokio::test]
async fn websocket_checks_the_credentials_of_connection_init() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("socket@example.com", "password-123").await;
    for (authorization, accepted) in [
        (format!("Bearer {token}"), true),
        ("Bearer not-a-session".to_string(), false),
    ] {
        let mut request = format!("ws://{}/graphql/ws", app.address)
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        let init = serde_json::json!({"type": "connection_init", "payload": {"authorization": authorization}});
        socket
            .send(Message::Text(init.to_string().into()))
            .await
            .expect("init");
        let reply = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
            .await
            .expect("a reply in time");
        let acked = matches!(
            &reply,
            Some(Ok(Message::Text(text))) if text.contains("connection_ack")
        );
        assert_eq!(acked, accepted, "{authorization}: {reply:?}");
        if !accepted {
            // graphql-transport-ws: 4403 Forbidden.
            match reply {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(u16::from(frame.code), 4403, "{frame:?}");
                    assert_eq!(frame.reason.as_str(), "Forbidden", "{frame:?}");
                }
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome() {
    let app = TestApp::spawn().await;
    app.graphql(
        "query ListModels { aiModels { totalCount } }",
        serde_json::json!({}),
    )
    .await;
    app.graphql(
        "query Broken { node(id: \"nope\") { id } }",
        serde_json::json!({}),
    )
    .await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/plain"));
    let text = response.text().await.expect("text");
    assert!(
        text.contains("atelier_graphql_requests_total{operation=\"ListModels\",outcome=\"ok\"}"),
        "{text}"
    );
    assert!(
        text.contains(
            "atelier_graphql_requests_total{operation=\"Broken\",outcome=\"BAD_USER_INPUT\"}"
        ),
        "{text}"
    );
    assert!(text.contains("atelier_graphql_request_seconds_count{operation=\"ListModels\"}"));
    assert!(text.contains("atelier_db_pool_size"));
    assert!(text.contains("atelier_generation_queue_depth 0"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&serde_json::json!({"query": "{ aiModels { totalCount } }"}))
        .send()
        .await
        .expect("sent");
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id");
    assert_eq!(id.to_str().unwrap_or_default().len(), 36, "a UUID: {id:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_lets_an_in_flight_request_finish_and_takes_no_new_ones() {
    use diesel_async::SimpleAsyncConnection;

    let mut app = TestApp::spawn().await;
    let (token, _) = app.sign_up("inflight@example.com", "password-123").await;
    // Hold the user's row, so the update below is certainly mid-flight (waiting on
    // the lock) when the shutdown begins.
    let mut holder = app.db.conn().await;
    holder
        .batch_execute(
            "BEGIN; SELECT id FROM users WHERE email = 'inflight@example.com' FOR UPDATE",
        )
        .await
        .expect("lock the row");
    let request = {
        let client = app.client.clone();
        let url = app.url("/graphql");
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({
                    "query": "mutation { updateProfile(input: {fullName: \"Still Here\"}) { user { fullName } } }"
                }))
                .send()
                .await
        })
    };
    let mut watcher = app.db.conn().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        use diesel_async::RunQueryDsl;
        let waiting: i64 = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<Count>(&mut watcher)
        .await
        .expect("pg_stat_activity")
        .n;
        if waiting > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the update never reached the lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    app.stop();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // New connections are no longer accepted...
    let refused = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&serde_json::json!({"query": "{ __typename }"}))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a request after the shutdown began: {refused:?}"
    );
    // ...while the one in flight completes once its lock is released.
    holder.batch_execute("COMMIT").await.expect("release");
    let response = request
        .await
        .expect("the request task")
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(
        body["data"]["updateProfile"]["user"]["fullName"], "Still Here",
        "{body}"
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
