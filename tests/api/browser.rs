//! Headless Chromium as a person uses it (tests/node/browser/, Playwright):
//! GraphiQL loads with nothing leaving the machine and no console error, its
//! Docs pane lists the roots, a typed query shows data, a subscription shows
//! live events while another client changes the data; the dashboard signs in,
//! asks for a generation, follows it live to a picked sample and the final, and
//! the balance drops. Screenshots are kept in target/browser/.

use std::path::Path;

use crate::clients::{assert_passed, run_node_suite};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn graphiql_and_the_dashboard_work_in_chromium() {
    // The dashboard's final debit (10 -> 9 -> 5) crosses this: a live notification.
    let app = TestApp::spawn_with(&[("LOW_BALANCE_THRESHOLD", "6.00")]).await;
    app.seed_demo().await;
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&artifacts).expect("target/browser");
    for shot in ["graphiql.png", "dashboard.png"] {
        let _ = std::fs::remove_file(artifacts.join(shot));
    }
    let report = run_node_suite(
        &app,
        "browser",
        &[("ATELIER_ARTIFACTS", artifacts.display().to_string())],
    )
    .await;
    assert_passed(&report, &["GraphiQL", "dashboard"]);
    for shot in ["graphiql.png", "dashboard.png"] {
        let bytes = std::fs::read(artifacts.join(shot)).unwrap_or_else(|error| {
            let listing: Vec<_> = std::fs::read_dir(&artifacts)
                .map(|dir| dir.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            panic!("{shot} was not taken ({error}); {artifacts:?} holds {listing:?}:\n{report}")
        });
        assert_eq!(&bytes[1..4], b"PNG", "{shot}");
    }
}
