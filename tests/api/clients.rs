//! The standard GraphQL client libraries against one running server, each doing
//! what an application does with it (tests/node/clients/, Node's test runner):
//! Apollo Client 3 (split HTTP / graphql-ws link, normalised cache, error
//! policy), urql with its defaults, graphql-ws, subscriptions-transport-ws,
//! graphql-request, apollo-upload-client's multipart upload, Apollo's persisted
//! query link, and graphql-codegen's types compiled by tsc.

use std::path::{Path, PathBuf};

use crate::helpers::TestApp;

/// Runs every `*.test.mjs` of `dir` (relative to tests/node) with Node's test
/// runner against `app`, one file at a time; fails with the runner's report
/// unless every test passed, and returns the report.
pub async fn run_node_suite(app: &TestApp, dir: &str, env: &[(&str, String)]) -> String {
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let mut files: Vec<PathBuf> = std::fs::read_dir(node_dir.join(dir))
        .expect("the suite's folder")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no tests in {dir}");
    let output = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("--test-concurrency=1")
        .args(&files)
        .current_dir(&node_dir)
        .env("ATELIER_URL", app.url(""))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .expect("node runs (the test command installs Node and tests/node's packages)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "node --test {dir} failed:\n{report}"
    );
    assert!(report.contains("fail 0"), "{report}");
    report
}

/// Fails unless the report shows each named test as passed.
pub fn assert_passed(report: &str, names: &[&str]) {
    for name in names {
        assert!(
            report.lines().any(|l| l.contains('✔') && l.contains(name)),
            "{name} did not pass:\n{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_standard_client_libraries_work_with_their_defaults() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let report = run_node_suite(&app, "clients", &[]).await;
    assert_passed(
        &report,
        &[
            "Apollo Client",
            "urql",
            "graphql-ws",
            "subscriptions-transport-ws",
            "graphql-request",
            "apollo-upload-client",
            "persisted queries",
            "graphql-codegen",
        ],
    );
}
