//! Data exports (issue 15): the job builds a ZIP of the documented layout into
//! storage, a signed link downloads it, failures say why, one runs at a time,
//! and a large export keeps the real server's memory flat.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_graphql::ID;
use atelier::graphql::id::GlobalId;
use diesel_async::SimpleAsyncConnection;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{error_code, TestApp, TestDb};

const REQUEST: &str = "mutation($kind: DataExportKind!) { requestDataExport(input: {kind: $kind}) { dataExport { id kind status downloadUrl } } }";
const STATUS: &str = "query($id: ID!) { node(id: $id) { ... on UserDataExport { id status failureReason downloadUrl byteSize expiresAt removedAt } } }";

fn uuid_of(id: &Value) -> Uuid {
    let global =
        GlobalId::decode(&ID(id.as_str().expect("an ID").to_string()), "id").expect("a global ID");
    global.key.parse().expect("a UUID key")
}

/// The path and query of a link of this server, for a client of the test's own.
fn local_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/".into(), |i| rest[i..].to_string())
}

/// A workbench, a project, a generation request and one asset per file (the
/// bytes written to storage under `files/<key>` by `put`), owned by `user`.
/// Returns the asset ids with their bytes, in creation order.
async fn seed_content<F, Fut>(
    conn: &mut diesel_async::AsyncPgConnection,
    user: Uuid,
    files: Vec<(String, Vec<u8>)>,
    mut put: F,
) -> (Uuid, Uuid, Vec<(Uuid, String, Vec<u8>)>)
where
    F: FnMut(String, Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (workbench, project, request) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    conn.batch_execute(&format!(
        "INSERT INTO workbenches (id, user_id, name) VALUES ('{workbench}', '{user}', 'Bench');
         INSERT INTO projects (id, workbench_id, user_id, name) VALUES ('{project}', '{workbench}', '{user}', 'Launch');
         INSERT INTO generation_requests (id, user_id, project_id, input_prompt)
             VALUES ('{request}', '{user}', '{project}', 'a lighthouse at dawn');"
    ))
    .await
    .expect("seed content");
    let mut assets = Vec::new();
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        let id = Uuid::new_v4();
        let key = format!("seeded/{id}.png");
        put(key.clone(), bytes.clone()).await;
        // Even ones come from the generation request and are finals.
        let (generated, is_final) = if i % 2 == 0 {
            (format!("'{request}'"), "true")
        } else {
            ("NULL".to_string(), "false")
        };
        conn.batch_execute(&format!(
            "INSERT INTO assets (id, project_id, user_id, generation_request_id, name, type, file_path, mime_type, format, is_final, created_at)
                VALUES ('{id}', '{project}', '{user}', {generated}, '{name}', 'Uploaded', '{key}', 'image/png', 'png', {is_final}, now() + interval '{i} milliseconds');"
        ))
        .await
        .expect("seed asset");
        assets.push((id, name, bytes));
    }
    (project, request, assets)
}

async fn wait_for(
    app_graphql: impl Fn() -> futures_util::future::BoxFuture<'static, Value>,
    status: &str,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = app_graphql().await;
        if r["data"]["node"]["status"] == status {
            return r["data"]["node"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "the export did not reach {status}: {r}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn status_of(app: &TestApp, token: &str, id: &Value, status: &str) -> Value {
    let client = app.client.clone();
    let url = app.url("/graphql");
    let token = token.to_string();
    let id = id.clone();
    wait_for(
        move || {
            let (client, url, token, id) = (client.clone(), url.clone(), token.clone(), id.clone());
            Box::pin(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"query": STATUS, "variables": {"id": id}}))
                    .send()
                    .await
                    .expect("status request")
                    .json()
                    .await
                    .expect("JSON")
            })
        },
        status,
    )
    .await
}

fn unzip(bytes: Vec<u8>) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut entries = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("an entry");
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("entry bytes");
        let name = entry.name().expect("an entry name").to_string();
        entries.insert(name, content);
    }
    entries
}

fn json_of(entries: &std::collections::BTreeMap<String, Vec<u8>>, path: &str) -> Value {
    serde_json::from_slice(
        entries
            .get(path)
            .unwrap_or_else(|| panic!("{path} in {:?}", entries.keys().collect::<Vec<_>>())),
    )
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn an_account_export_unpacks_to_the_documented_layout_with_byte_identical_files() {
    let app = TestApp::spawn().await;
    let (token, user_gid) = app.sign_up("exporter@example.com", "password-123").await;
    let user = uuid_of(&json!(user_gid));
    let files: Vec<(String, Vec<u8>)> = (0..3u8)
        .map(|i| {
            let bytes: Vec<u8> = (0..50_000u32)
                .map(|n| (n.wrapping_mul(31) as u8) ^ i)
                .collect();
            (format!("shot {i}.png"), bytes)
        })
        .collect();
    let mut conn = app.db.conn().await;
    let storage = app.app.storage.clone();
    let (project, request, assets) = seed_content(&mut conn, user, files, |key, bytes| {
        let storage = storage.clone();
        async move { storage.put(&key, bytes).await.expect("stored") }
    })
    .await;

    let r = app
        .graphql_as(&token, REQUEST, json!({"kind": "ACCOUNT"}))
        .await;
    let export = &r["data"]["requestDataExport"]["dataExport"];
    assert_eq!(export["status"], "PENDING", "{r}");
    assert_eq!(export["kind"], "ACCOUNT");
    assert!(export["downloadUrl"].is_null());
    let done = status_of(&app, &token, &export["id"], "COMPLETED").await;
    assert!(
        done["expiresAt"].is_string() && done["removedAt"].is_null(),
        "{done}"
    );

    // The completion was announced as a notification.
    let notes = app
        .graphql_as(
            &token,
            "{ notifications { edges { node { type } } } }",
            json!({}),
        )
        .await;
    assert!(
        notes["data"]["notifications"]["edges"]
            .as_array()
            .expect("notifications")
            .iter()
            .any(|e| e["node"]["type"] == "data_export_completed"),
        "{notes}"
    );

    let url = done["downloadUrl"].as_str().expect("a download URL");
    let response = app
        .client
        .get(app.url(&local_path(url)))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    let zipped = response.bytes().await.expect("body").to_vec();
    assert_eq!(done["byteSize"], json!(zipped.len()));
    let entries = unzip(zipped);

    let manifest = json_of(&entries, "manifest.json");
    assert_eq!(manifest["format"], "atelier-export/1");
    assert_eq!(manifest["kind"], "account");
    assert_eq!(manifest["userId"], json!(user));
    assert_eq!(manifest["counts"]["assets"], 3);
    assert_eq!(manifest["counts"]["projects"], 1);
    assert_eq!(manifest["counts"]["generation_requests"], 1);

    let account = json_of(&entries, "account.json");
    assert_eq!(account["email"], "exporter@example.com");
    assert!(account.get("password_hash").is_none(), "{account}");
    assert!(account.get("email_verification_token").is_none());
    assert_eq!(
        json_of(&entries, &format!("projects/{project}.json"))["name"],
        "Launch"
    );
    assert_eq!(
        json_of(&entries, &format!("generation_requests/{request}.json"))["input_prompt"],
        "a lighthouse at dawn"
    );
    assert!(entries
        .keys()
        .any(|k| k.starts_with("workbenches/") && k.ends_with(".json")));
    assert!(entries
        .keys()
        .any(|k| k.starts_with("credit_transactions/")));

    use sha2::Digest;
    for (id, name, bytes) in &assets {
        let doc = json_of(&entries, &format!("assets/{id}.json"));
        let path = format!("files/{id}/{name}");
        assert_eq!(doc["file"], json!(path));
        assert!(doc.get("file_path").is_none(), "{doc}");
        assert_eq!(entries.get(&path), Some(bytes), "{path} differs");
        let listed = manifest["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["path"] == json!(path))
            .unwrap_or_else(|| panic!("{path} in the manifest"));
        assert_eq!(listed["bytes"], json!(bytes.len()));
        assert_eq!(
            listed["sha256"],
            json!(data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes)))
        );
    }
    // Nothing but the documented layout.
    for key in entries.keys() {
        let top = key.split('/').next().unwrap_or_default();
        assert!(
            [
                "manifest.json",
                "account.json",
                "files",
                "assets",
                "team_memberships",
                "brand_kits",
                "templates",
                "workbenches",
                "projects",
                "generation_requests",
                "credit_transactions",
                "model_feedback",
                "notifications",
                "api_clients",
            ]
            .contains(&top),
            "undocumented entry {key}"
        );
    }
}

#[tokio::test]
async fn another_users_export_is_not_found_and_one_export_runs_at_a_time() {
    // No workers: the export stays pending.
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, _) = app.sign_up("owner-exp@example.com", "password-123").await;
    let (other, _) = app.sign_up("other-exp@example.com", "password-123").await;
    let r = app
        .graphql_as(&owner, REQUEST, json!({"kind": "SHOWCASE"}))
        .await;
    let id = r["data"]["requestDataExport"]["dataExport"]["id"].clone();
    assert!(id.is_string(), "{r}");

    let second = app
        .graphql_as(&owner, REQUEST, json!({"kind": "ACCOUNT"}))
        .await;
    assert_eq!(error_code(&second), Some("CONFLICT"), "{second}");
    // Another user may export while the first one's runs.
    let theirs = app
        .graphql_as(&other, REQUEST, json!({"kind": "DATASET"}))
        .await;
    assert!(theirs["errors"].is_null(), "{theirs}");

    let foreign = app.graphql_as(&other, STATUS, json!({"id": id})).await;
    assert_eq!(error_code(&foreign), Some("NOT_FOUND"), "{foreign}");
    let anonymous = app.graphql(STATUS, json!({"id": id})).await;
    assert!(
        matches!(
            error_code(&anonymous),
            Some("NOT_FOUND" | "UNAUTHENTICATED")
        ),
        "{anonymous}"
    );
    let own = app.graphql_as(&owner, STATUS, json!({"id": id})).await;
    assert_eq!(own["data"]["node"]["status"], "PENDING", "{own}");

    let listed = app
        .graphql_as(
            &other,
            "{ myDataExports { totalCount edges { node { kind } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["myDataExports"]["totalCount"], 1, "{listed}");
    assert_eq!(
        listed["data"]["myDataExports"]["edges"][0]["node"]["kind"],
        "DATASET"
    );
    let n = app
        .graphql_as(&owner, "{ myDataExports { totalCount } }", json!({}))
        .await;
    assert_eq!(n["data"]["myDataExports"]["totalCount"], 1);
}

#[tokio::test]
async fn a_failed_export_says_why_and_a_forged_link_is_refused() {
    let app = TestApp::spawn_with(&[("GENERATION_MAX_ATTEMPTS", "1")]).await;
    let (token, user_gid) = app.sign_up("broken@example.com", "password-123").await;
    let user = uuid_of(&json!(user_gid));
    let mut conn = app.db.conn().await;
    // An asset whose file is not in storage.
    let (_, _, assets) = seed_content(
        &mut conn,
        user,
        vec![("lost.png".into(), b"never stored".to_vec())],
        |_, _| async {},
    )
    .await;
    let r = app
        .graphql_as(&token, REQUEST, json!({"kind": "ACCOUNT"}))
        .await;
    let id = r["data"]["requestDataExport"]["dataExport"]["id"].clone();
    let failed = status_of(&app, &token, &id, "FAILED").await;
    assert_eq!(
        failed["failureReason"],
        json!(format!(
            "the file of asset {} could not be read",
            assets[0].0
        )),
        "{failed}"
    );
    assert!(failed["downloadUrl"].is_null());
    // Failed, it no longer blocks a new one.
    let again = app
        .graphql_as(&token, REQUEST, json!({"kind": "MODEL"}))
        .await;
    assert!(again["errors"].is_null(), "{again}");
    let model = status_of(
        &app,
        &token,
        &again["data"]["requestDataExport"]["dataExport"]["id"],
        "COMPLETED",
    )
    .await;
    let url = local_path(model["downloadUrl"].as_str().expect("a URL"));
    assert_eq!(
        app.client
            .get(app.url(&url))
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    // The signature covers the export and the expiry.
    let forged = url.replace("expires=", "expires=9");
    assert_eq!(
        app.client
            .get(app.url(&forged))
            .send()
            .await
            .expect("get")
            .status(),
        403
    );
    let other_export = format!(
        "/exports/{}?{}",
        Uuid::new_v4(),
        url.split_once('?').map_or("", |(_, q)| q)
    );
    assert_eq!(
        app.client
            .get(app.url(&other_export))
            .send()
            .await
            .expect("get")
            .status(),
        403
    );
}

#[tokio::test]
async fn the_sweep_removes_an_export_after_its_ttl() {
    let app = TestApp::spawn_with(&[("SWEEP_INTERVAL_MS", "100")]).await;
    let (token, _) = app.sign_up("sweep@example.com", "password-123").await;
    let r = app
        .graphql_as(&token, REQUEST, json!({"kind": "DATASET"}))
        .await;
    let id = r["data"]["requestDataExport"]["dataExport"]["id"].clone();
    let done = status_of(&app, &token, &id, "COMPLETED").await;
    let export = uuid_of(&id);
    let key = format!(
        "exports/{}/{export}.zip",
        uuid_of(&json!(
            app.graphql_as(&token, "{ me { id } }", json!({})).await["data"]["me"]["id"]
        ))
    );
    let file = app.data_dir.path().join("files").join(&key);
    assert!(file.exists(), "{} after {done}", file.display());
    let mut conn = app.db.conn().await;
    conn.batch_execute(&format!(
        "UPDATE user_data_exports SET expires_at = now() - interval '1 second' WHERE id = '{export}'"
    ))
    .await
    .expect("expire");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.graphql_as(&token, STATUS, json!({"id": id})).await;
        if r["data"]["node"]["removedAt"].is_string() {
            assert!(r["data"]["node"]["downloadUrl"].is_null(), "{r}");
            break;
        }
        assert!(Instant::now() < deadline, "not swept: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!file.exists(), "the file stayed");
}

/// Peak and current resident memory of a process, from /proc (bytes).
fn memory_of(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::test]
async fn a_200_mb_export_keeps_the_servers_peak_memory_within_100_mb_of_its_baseline() {
    const FILES: usize = 20;
    const FILE_BYTES: usize = 10 * 1024 * 1024;
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
        .env("TMPDIR", data_dir.path())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "error")
        .env("WORKERS", "1")
        .env("WORKER_POLL_MS", "50")
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
    let gql = |token: Option<String>, query: &'static str, variables: Value| {
        let client = client.clone();
        let url = format!("{base}/graphql");
        async move {
            let mut request = client
                .post(url)
                .json(&json!({"query": query, "variables": variables}));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request
                .send()
                .await
                .expect("request")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    let signed = gql(
        None,
        "mutation { signUp(input: {email: \"big@example.com\", password: \"password-123\"}) { token user { id } } }",
        json!({}),
    )
    .await;
    let token = signed["data"]["signUp"]["token"]
        .as_str()
        .expect("a token")
        .to_string();
    let user = uuid_of(&signed["data"]["signUp"]["user"]["id"]);

    // Warm up the export path on a small export, so the baseline holds what
    // any export costs (code paths, pools, the allocator's arenas).
    let small = gql(Some(token.clone()), REQUEST, json!({"kind": "ACCOUNT"})).await;
    let small_id = small["data"]["requestDataExport"]["dataExport"]["id"].clone();
    let poll = |id: Value| {
        let token = token.clone();
        move || -> futures_util::future::BoxFuture<'static, Value> {
            Box::pin(gql(Some(token.clone()), STATUS, json!({"id": id.clone()})))
        }
    };
    wait_for(poll(small_id), "COMPLETED").await;

    // 200 MB of incompressible files, seeded straight into storage.
    let files_dir = data_dir.path().join("files");
    let mut conn = db.conn().await;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|i| {
            let mut bytes = vec![0u8; FILE_BYTES];
            for chunk in bytes.chunks_mut(8) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                chunk.copy_from_slice(&seed.to_le_bytes()[..chunk.len()]);
            }
            (format!("big-{i}.png"), bytes)
        })
        .collect();
    seed_content(&mut conn, user, files, |key, bytes| {
        let path = files_dir.join(key);
        async move {
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
            std::fs::write(&path, bytes).expect("seeded file");
        }
    })
    .await;

    let (_, baseline) = memory_of(child.id());
    let big = gql(Some(token.clone()), REQUEST, json!({"kind": "ACCOUNT"})).await;
    let big_id = big["data"]["requestDataExport"]["dataExport"]["id"].clone();
    let done = wait_for(poll(big_id), "COMPLETED").await;
    let size = done["byteSize"].as_u64().expect("a size");
    assert!(size > (FILES * FILE_BYTES) as u64, "{size} bytes");

    // Downloading streams it too.
    let url = local_path(done["downloadUrl"].as_str().expect("a URL"));
    let mut response = client
        .get(format!("{base}{url}"))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    let mut downloaded = 0u64;
    while let Some(chunk) = response.chunk().await.expect("a chunk") {
        downloaded += chunk.len() as u64;
    }
    assert_eq!(downloaded, size);

    let (peak, now) = memory_of(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let growth = peak.saturating_sub(baseline);
    eprintln!("RSS baseline {baseline}, peak {peak}, now {now} (+{growth} at peak) for a {size}-byte export");
    assert!(
        growth < 100 << 20,
        "peak RSS {peak} is {growth} bytes above the baseline {baseline} for a {size}-byte export"
    );
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws socket of `token`'s, subscribed to `notificationReceived`.
pub(crate) async fn notifications_socket(app: &TestApp, token: &str) -> Socket {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut request = format!("ws://{}/graphql", app.address)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    let ack = next_message(&mut socket, Duration::from_secs(5))
        .await
        .expect("ack");
    assert_eq!(ack["type"], "connection_ack");
    let subscribe = json!({"id": "n", "type": "subscribe", "payload": {
        "query": "subscription { notificationReceived { type message metadata } }"}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .expect("subscribe");
    socket
}

/// The next protocol message (pings skipped), or `None` after `within`.
pub(crate) async fn next_message(socket: &mut Socket, within: Duration) -> Option<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
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

/// The next `notificationReceived` event's notification.
pub(crate) async fn next_notification(socket: &mut Socket) -> Value {
    let message = next_message(socket, Duration::from_secs(60))
        .await
        .expect("a notification in time");
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"]["notificationReceived"].clone()
}

#[tokio::test]
async fn a_finished_export_is_announced_on_notification_received() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("live-export@example.com", "password-123").await;
    let mut socket = notifications_socket(&app, &token).await;
    // The subscription is live once the server has it; a moment is enough on loopback.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = app
        .graphql_as(&token, REQUEST, json!({"kind": "ACCOUNT"}))
        .await;
    let id = r["data"]["requestDataExport"]["dataExport"]["id"].clone();
    let notification = next_notification(&mut socket).await;
    assert_eq!(
        notification["type"], "data_export_completed",
        "{notification}"
    );
    assert_eq!(
        notification["metadata"]["dataExportId"],
        json!(uuid_of(&id))
    );
    assert_eq!(notification["metadata"]["kind"], "account");
}
