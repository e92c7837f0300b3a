//! A corpus of bad requests: each gets a client error, never a 5xx, and the
//! server keeps answering.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn bad_requests_get_client_errors_never_5xx() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("fuzz@example.com", "password-123").await;
    let deep = format!("{}{}", "{ a ".repeat(300), "}".repeat(300));
    let bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"not json at all".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"{\"query\": 42}".to_vec(),
        vec![0xff, 0xfe, 0xfd, b'{', b'}'],
        br#"{"query": "{ \xc3\x28 }"}"#.to_vec(),
        json!({"query": "{ nope }"}).to_string().into_bytes(),
        json!({"query": "query A { me { id } } query B { me { id } }"}).to_string().into_bytes(),
        json!({"query": "query A { me { id } }", "operationName": "Missing"}).to_string().into_bytes(),
        json!({"query": "query($id: ID!) { project(id: $id) { id } }", "variables": {"id": 42}}).to_string().into_bytes(),
        json!({"query": "query($n: Int) { aiModels(first: $n) { totalCount } }", "variables": {"n": "ten"}}).to_string().into_bytes(),
        json!({"query": "query($n: Int) { aiModels(first: $n) { totalCount } }", "variables": {"n": 1e30}}).to_string().into_bytes(),
        json!({"query": "{ aiModels(after: \"forged-cursor\") { totalCount } }"}).to_string().into_bytes(),
        json!({"query": "{ project(id: \"UHJvamVjdDpub3QtYS11dWlk\") { id } }"}).to_string().into_bytes(),
        json!({"query": "{ node(id: \"\\u0000\") { id } }"}).to_string().into_bytes(),
        json!({"query": deep}).to_string().into_bytes(),
        json!({"query": format!("{{ templates(filter: {{search: \"{}\"}}) {{ totalCount }} }}", "x".repeat(20_000))}).to_string().into_bytes(),
        json!({"query": "mutation { signUp(input: {email: \"a@b.co\", password: \"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\"}) { token } }"}).to_string().into_bytes(),
        json!({"query": "mutation { updateProfile(input: {fullName: \"\\u0007bell\"}) { user { id } } }"}).to_string().into_bytes(),
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(body)
            .send()
            .await
            .expect("sent");
        let status = response.status();
        assert!(!status.is_server_error(), "case {i}: HTTP {status}");
        let text = response.text().await.unwrap_or_default();
        assert!(!text.contains("INTERNAL_SERVER_ERROR"), "case {i}: {text}");
    }
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("alive");
    assert_eq!(health.status(), 200);
}
