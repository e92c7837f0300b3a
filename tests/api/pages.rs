//! The pages for people: the favicon, and the dashboard (on in development,
//! off in production unless `ENABLE_DASHBOARD`), served with every file they
//! need from this server.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_favicon_is_an_icon() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/x-icon");
    let bytes = response.bytes().await.expect("body");
    assert_eq!(&bytes[..4], &[0, 0, 1, 0], "an ICO header");
    assert!(bytes.len() > 100);
}

#[tokio::test]
async fn the_dashboard_loads_only_from_this_server() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/dashboard"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for asset in [
        "/dashboard/assets/dashboard.js",
        "/dashboard/assets/dashboard.css",
        "/dashboard/assets/graphql-ws.min.js",
    ] {
        assert!(html.contains(asset), "{asset}");
        let file = app.client.get(app.url(asset)).send().await.expect("sent");
        assert_eq!(file.status(), 200, "{asset}");
        let text = file.text().await.expect("text");
        assert!(
            !text.contains("https://") || asset.ends_with("min.js"),
            "{asset}"
        );
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let missing = app
        .client
        .get(app.url("/dashboard/assets/nope.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn production_serves_the_dashboard_only_when_enabled() {
    let key = "0".repeat(64);
    let off = TestApp::spawn_with(&[("ATELIER_ENV", "production"), ("ENCRYPTION_KEY", &key)]).await;
    let status = off
        .client
        .get(off.url("/dashboard"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 404);
    let on = TestApp::spawn_with(&[
        ("ATELIER_ENV", "production"),
        ("ENCRYPTION_KEY", &key),
        ("ENABLE_DASHBOARD", "true"),
    ])
    .await;
    let status = on
        .client
        .get(on.url("/dashboard"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 200);
}
