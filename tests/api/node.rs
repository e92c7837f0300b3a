//! `node(id)`: public types resolve, private ones stay hidden, bad IDs are refused cleanly.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::helpers::{error_code, TestApp};

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on AIModel { name } ... on Template { name } ... on AIModelVersion { versionNumber } } }";

fn raw_id(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn node_returns_each_public_type() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let listing = app
        .graphql(
            "{ aiModels { edges { node { id name versions { id } } } } templates { edges { node { id name } } } }",
            json!({}),
        )
        .await;
    let model = &listing["data"]["aiModels"]["edges"][0]["node"];
    let version_id = model["versions"][0]["id"].clone();
    let template = &listing["data"]["templates"]["edges"][0]["node"];

    for (id, typename) in [
        (model["id"].clone(), "AIModel"),
        (version_id, "AIModelVersion"),
        (template["id"].clone(), "Template"),
    ] {
        let found = app.graphql(NODE, json!({"id": id})).await;
        assert_eq!(found["errors"], serde_json::Value::Null, "{found}");
        assert_eq!(found["data"]["node"]["__typename"], typename);
        assert_eq!(found["data"]["node"]["id"], id);
    }
}

#[tokio::test]
async fn hidden_objects_are_not_found_and_private_types_need_credentials() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let (outsider, _) = app.sign_up("outsider@example.com", "password-123").await;
    let id_of =
        |typename: &str, key: &str| raw_id(&format!("{typename}:{}", atelier::demo::demo_id(key)));
    // (type, id, code for an anonymous caller, code for a signed-in outsider)
    let cases = [
        (
            "AIModel",
            id_of("AIModel", "aimodel:Legacy Painter"),
            "NOT_FOUND",
            "NOT_FOUND",
        ),
        (
            "Template",
            id_of("Template", "template:olivia-private"),
            "NOT_FOUND",
            "NOT_FOUND",
        ),
        (
            "Project",
            id_of("Project", "project:spring-launch"),
            "UNAUTHENTICATED",
            "NOT_FOUND",
        ),
        (
            "Team",
            id_of("Team", "team:acme"),
            "UNAUTHENTICATED",
            "NOT_FOUND",
        ),
        (
            "Workbench",
            id_of("Workbench", "workbench:acme-campaigns"),
            "UNAUTHENTICATED",
            "NOT_FOUND",
        ),
        (
            "Asset",
            id_of("Asset", "asset:spring-hero"),
            "UNAUTHENTICATED",
            "NOT_FOUND",
        ),
        (
            "User",
            id_of("User", "user:owner@atelier.test"),
            "UNAUTHENTICATED",
            "OK",
        ),
    ];
    for (typename, id, anonymous, outsider_code) in cases {
        let response = app.graphql(NODE, json!({"id": id})).await;
        assert_eq!(
            response["data"]["node"],
            serde_json::Value::Null,
            "{typename}"
        );
        assert_eq!(
            error_code(&response),
            Some(anonymous),
            "{typename}: {response}"
        );

        let response = app.graphql_as(&outsider, NODE, json!({"id": id})).await;
        if outsider_code == "OK" {
            // Another user's public profile is readable by anyone signed in.
            assert_eq!(
                response["data"]["node"]["__typename"], typename,
                "{response}"
            );
        } else {
            assert_eq!(
                response["data"]["node"],
                serde_json::Value::Null,
                "{typename}"
            );
            assert_eq!(
                error_code(&response),
                Some(outsider_code),
                "{typename}: {response}"
            );
        }
    }
}

#[tokio::test]
async fn forged_and_malformed_ids_are_client_errors() {
    let app = TestApp::spawn().await;
    let cases = [
        ("not base64 at all !!!", "BAD_USER_INPUT"),
        (&raw_id("no-colon-here")[..], "BAD_USER_INPUT"),
        (&raw_id("Spaceship:123")[..], "BAD_USER_INPUT"),
        (&raw_id("AIModel:not-a-uuid")[..], "BAD_USER_INPUT"),
        (&raw_id("AIModel:")[..], "BAD_USER_INPUT"),
        (
            &raw_id(&format!("AIModel:{}", uuid::Uuid::new_v4()))[..],
            "NOT_FOUND",
        ),
        ("", "BAD_USER_INPUT"),
    ];
    for (id, code) in cases {
        let response = app.graphql(NODE, json!({"id": id})).await;
        assert_eq!(error_code(&response), Some(code), "{id:?}: {response}");
        assert_eq!(response["data"]["node"], serde_json::Value::Null);
    }
}

#[tokio::test]
async fn an_id_of_the_wrong_type_is_refused_by_typed_lookups() {
    let app = TestApp::spawn().await;
    let template_id = raw_id(&format!("Template:{}", uuid::Uuid::new_v4()));
    let response = app
        .graphql(
            "query($id: ID!) { aiModel(id: $id) { name } }",
            json!({"id": template_id}),
        )
        .await;
    assert_eq!(error_code(&response), Some("BAD_USER_INPUT"));
    assert_eq!(response["errors"][0]["extensions"]["field"], "id");
}
