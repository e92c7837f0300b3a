//! Every error GraphQL itself raises carries Apollo Server's code: a document
//! that does not parse, one that does not validate, a variable or argument that
//! does not coerce (naming it), an operation name that names none, a
//! subscription sent over HTTP; messages are one line, in graphql-js's words;
//! the HTTP status follows GraphQL over HTTP.

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn first_error(body: &Value) -> &Value {
    &body["errors"][0]
}

#[tokio::test]
async fn a_document_that_does_not_parse_is_graphql_parse_failed() {
    let app = TestApp::spawn().await;
    let (status, body) = post(&app, json!({"query": "{ aiModels {"})).await;
    assert_eq!(status, 400, "{body}");
    let error = first_error(&body);
    assert_eq!(
        error["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
        "{body}"
    );
    assert_eq!(
        error["message"],
        "Syntax Error: Expected Name, found <EOF>."
    );
    assert_eq!(error["locations"][0]["line"], 1, "{body}");

    let (_, body) = post(&app, json!({"query": "query {\n  me {\n    id\n  }\n}\n}"})).await;
    let message = first_error(&body)["message"].as_str().unwrap_or_default();
    assert_eq!(message, "Syntax Error: Unexpected \"}\".", "{body}");
}

#[tokio::test]
async fn a_document_that_does_not_validate_is_graphql_validation_failed() {
    let app = TestApp::spawn().await;
    let (status, body) = post(&app, json!({"query": "{ aiModelz { name } }"})).await;
    assert_eq!(status, 400, "{body}");
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert!(!codes.is_empty(), "{body}");
    assert!(
        codes.iter().all(|c| *c == "GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    let messages = body["errors"].to_string();
    assert!(
        messages.contains("Did you mean"),
        "suggestions in development: {body}"
    );
    assert!(
        body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| !e["message"].as_str().unwrap_or_default().contains('\n')),
        "{body}"
    );

    let (_, body) = post(&app, json!({"query": "{ me { id } } { me { id } }"})).await;
    assert_eq!(
        first_error(&body)["message"],
        "This anonymous operation must be the only defined operation.",
        "{body}"
    );
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );

    let (_, body) = post(
        &app,
        json!({"query": "query A { me { id } } query B { me { id } }", "operationName": "C"}),
    )
    .await;
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "OPERATION_RESOLUTION_FAILURE",
        "{body}"
    );
}

#[tokio::test]
async fn values_that_do_not_coerce_are_bad_user_input_naming_the_field() {
    let app = TestApp::spawn().await;
    let (status, body) = post(
        &app,
        json!({"query": "query($n: Int) { aiModels(first: $n) { totalCount } }", "variables": {"n": "ten"}}),
    )
    .await;
    assert_eq!(
        status, 400,
        "a variable that does not coerce is a request error: {body}"
    );
    let error = first_error(&body);
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], "first", "{body}");

    let (_, body) = post(
        &app,
        json!({"query": "{ aiModels(first: \"ten\") { totalCount } }"}),
    )
    .await;
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(first_error(&body)["extensions"]["field"], "first", "{body}");

    let (_, body) = post(
        &app,
        json!({"query": "mutation($input: SignUpInput!) { signUp(input: $input) { token } }",
               "variables": {"input": {"email": 5, "password": "password-123"}}}),
    )
    .await;
    let error = first_error(&body);
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(error["extensions"]["field"], "email", "{body}");
    assert_eq!(error["extensions"]["argument"], "input", "{body}");
}

#[tokio::test]
async fn production_keeps_the_codes_without_suggestions() {
    let key = "0".repeat(64);
    let app = TestApp::spawn_with(&[("ATELIER_ENV", "production"), ("ENCRYPTION_KEY", &key)]).await;
    let (_, body) = post(&app, json!({"query": "{ aiModelz { name } }"})).await;
    assert_eq!(
        first_error(&body)["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert!(!body.to_string().contains("Did you mean"), "{body}");
}

#[tokio::test]
async fn every_error_of_a_bad_request_corpus_has_a_code() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("codes@example.com", "password-123").await;
    let bodies = [
        json!({"query": "{"}),
        json!({"query": "{ nope }"}),
        json!({"query": "{ me { id } } query B { me { id } }"}),
        json!({"query": "query A { me { id } } query A { me { id } }"}),
        json!({"query": "fragment F on User { id }"}),
        json!({"query": "query A { me { id } }", "operationName": "Missing"}),
        json!({"query": "query($id: ID!) { project(id: $id) { id } }"}),
        json!({"query": "query($n: Int) { aiModels(first: $n) { totalCount } }", "variables": {"n": 1e30}}),
        json!({"query": "{ aiModels(after: \"forged-cursor\") { totalCount } }"}),
        json!({"query": "{ project(id: \"UHJvamVjdDpub3QtYS11dWlk\") { id } }"}),
        json!({"query": "{ me { id @skip } }"}),
        json!({"query": "{ me { id(x: 1) } }"}),
        json!({"query": "query($x: NoSuchType) { me { id } }"}),
        json!({"query": "{ me { ...Missing } }"}),
        json!({"query": "{ me }"}),
        json!({"query": "{ me { id ✓ } }"}),
    ];
    for body in bodies {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", format!("Bearer {token}"))
            .json(&body)
            .send()
            .await
            .expect("sent");
        let answer: Value = response.json().await.expect("json");
        let errors = answer["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "{body} -> {answer}");
        for error in errors {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            assert!(
                !code.is_empty() && code != "INTERNAL_SERVER_ERROR",
                "{body} -> {error}"
            );
            assert!(
                !error["message"].as_str().unwrap_or_default().contains('\n'),
                "{error}"
            );
        }
    }
}

#[tokio::test]
async fn a_subscription_over_http_is_a_bad_request_that_names_the_websocket() {
    let app = TestApp::spawn().await;
    let (_, body) = post(
        &app,
        json!({"query": "subscription Balance { creditBalanceChanged { balance } }",
               "operationName": "Balance"}),
    )
    .await;
    let error = first_error(&body);
    assert_eq!(error["extensions"]["code"], "BAD_REQUEST", "{body}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("/graphql/ws"), "{body}");
    assert!(!message.contains('\n'), "{body}");
}
