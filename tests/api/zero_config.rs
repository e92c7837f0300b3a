//! With no DATABASE_URL the server provisions its own PostgreSQL under DATA_DIR,
//! and its data survives a restart. Bad settings stop it with one line naming them.

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_atelier");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn atelier(args: &[&str], data_dir: &std::path::Path, port: u16) -> Command {
    let mut cmd = Command::new(BINARY);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("DATA_DIR", data_dir)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LOG_LEVEL", "warn");
    cmd
}

async fn wait_ready(client: &reqwest::Client, port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("atelier exited early: {status}");
        }
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "not ready in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "atelier exited with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("atelier did not stop on SIGTERM");
}

async fn model_names(client: &reqwest::Client, port: u16) -> Vec<String> {
    let body: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({"query": "{ aiModels { edges { node { id name } } } }"}))
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    body["data"]["aiModels"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| format!("{} {}", e["node"]["id"], e["node"]["name"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn starts_with_no_database_url_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    // When the tests run as root, PostgreSQL runs as `postgres` and must enter it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data_dir = dir.path().join("data");
    let client = reqwest::Client::new();

    let port = free_port();
    let mut first = atelier(&["serve", "--seed-demo"], &data_dir, port)
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_ready(&client, port, &mut first).await;
    let before = model_names(&client, port).await;
    assert_eq!(before.len(), 3, "demo models are served: {before:?}");
    stop(&mut first);
    assert!(data_dir.join("postgres/PG_VERSION").exists());

    let port = free_port();
    let mut second = atelier(&["serve"], &data_dir, port).spawn().expect("spawn");
    wait_ready(&client, port, &mut second).await;
    let after = model_names(&client, port).await;
    stop(&mut second);
    assert_eq!(before, after, "the same rows are there after a restart");
}

#[test]
fn bad_settings_stop_it_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &str, &str); 5] = [
        ("PORT", "not-a-port", "PORT: "),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL: "),
        (
            "DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
            "DATABASE_URL: ",
        ),
        ("REDIS_URL", "http://localhost", "REDIS_URL: "),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: "),
    ];
    for (setting, value, prefix) in cases {
        let output = atelier(&["migrate"], dir.path(), 0)
            .env(setting, value)
            .output()
            .expect("run");
        assert!(!output.status.success(), "{setting}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("error: {prefix}")),
            "{setting}={value}: {stderr}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_named() {
    let db = crate::helpers::TestDb::migrated().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let output = atelier(&["migrate"], dir.path(), 0)
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: REDIS_URL: "), "{stderr}");
}

#[tokio::test]
async fn platform_admin_is_granted_and_revoked_from_the_command_line_only() {
    let app = crate::helpers::TestApp::spawn().await;
    let (token, _) = app.sign_up("root@example.com", "password-123").await;
    let is_admin = |response: serde_json::Value| response["data"]["me"]["isPlatformAdmin"].clone();
    let me = "{ me { isPlatformAdmin } }";
    assert_eq!(is_admin(app.graphql_as(&token, me, json!({})).await), false);

    let dir = tempfile::tempdir().expect("tempdir");
    for (verb, expected) in [("grant", true), ("revoke", false)] {
        let output = atelier(&["admin", verb, "ROOT@example.com"], dir.path(), 0)
            .env("DATABASE_URL", &app.db.url)
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The server's cached session still says otherwise until it expires from the
        // in-process cache; a fresh sign-in reads the database.
        let fresh = app
            .graphql(
                "mutation { signIn(input: {email: \"root@example.com\", password: \"password-123\"}) { token } }",
                json!({}),
            )
            .await;
        let fresh_token = fresh["data"]["signIn"]["token"]
            .as_str()
            .expect("token")
            .to_string();
        assert_eq!(
            is_admin(app.graphql_as(&fresh_token, me, json!({})).await),
            expected
        );
    }

    let unknown = atelier(&["admin", "grant", "nobody@example.com"], dir.path(), 0)
        .env("DATABASE_URL", &app.db.url)
        .output()
        .expect("run");
    assert!(!unknown.status.success());
    let introspection = app
        .graphql(
            "{ __schema { mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let names = introspection.to_string();
    assert!(
        !names.contains("Admin\"") && !names.contains("grantPlatformAdmin"),
        "no API grants it"
    );
}
