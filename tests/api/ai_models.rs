//! Public AI model and template reads: filters, pagination, and batched loading.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

use atelier::db::schema::{ai_model_versions, ai_models};

use crate::helpers::{error_code, TestApp};

/// Inserts `n` active image models, each with a Production and a Staged version.
async fn insert_models(app: &TestApp, n: usize) {
    let mut conn = app.db.conn().await;
    for i in 0..n {
        let model_id = uuid::Uuid::new_v4();
        diesel::insert_into(ai_models::table)
            .values((
                ai_models::id.eq(model_id),
                ai_models::name.eq(format!("Model {i:03}")),
                ai_models::provider.eq("Internal"),
                ai_models::task_type.eq("ImageGeneration"),
            ))
            .execute(&mut conn)
            .await
            .expect("model");
        for (number, status) in [("1.0", "Production"), ("2.0-beta", "Staged")] {
            diesel::insert_into(ai_model_versions::table)
                .values((
                    ai_model_versions::model_id.eq(model_id),
                    ai_model_versions::version_number.eq(number),
                    ai_model_versions::status.eq(status),
                ))
                .execute(&mut conn)
                .await
                .expect("version");
        }
    }
}

const MODELS_WITH_VERSIONS: &str = "query($first: Int) { aiModels(first: $first) { totalCount edges { node { name versions { versionNumber status model { name } } } } } }";

/// Statements sent while answering one query.
async fn statements_for(app: &TestApp, first: i32) -> (u64, serde_json::Value) {
    let before = app.statements();
    let response = app
        .graphql(MODELS_WITH_VERSIONS, json!({"first": first}))
        .await;
    (app.statements() - before, response)
}

#[tokio::test]
async fn listing_models_with_versions_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    insert_models(&app, 50).await;

    let (for_ten, small) = statements_for(&app, 10).await;
    let (for_fifty, large) = statements_for(&app, 50).await;

    let edges = large["data"]["aiModels"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 50);
    assert_eq!(
        small["data"]["aiModels"]["edges"].as_array().map(Vec::len),
        Some(10)
    );
    for edge in edges {
        let versions = edge["node"]["versions"].as_array().expect("versions");
        assert_eq!(versions.len(), 1, "only the Production version is public");
        assert_eq!(versions[0]["status"], "PRODUCTION");
        assert_eq!(versions[0]["model"]["name"], edge["node"]["name"]);
    }
    // count + page + versions of all models + models of all versions.
    assert_eq!(
        for_fifty, 4,
        "50 models with versions took {for_fifty} statements"
    );
    assert_eq!(
        for_ten, for_fifty,
        "the statement count grows with the page size"
    );
}

#[tokio::test]
async fn models_page_forward_and_backward() {
    let app = TestApp::spawn().await;
    insert_models(&app, 25).await;
    let page = "query($first: Int, $after: String, $last: Int, $before: String) { aiModels(first: $first, after: $after, last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } edges { node { name } } } }";

    let first = app.graphql(page, json!({"first": 10})).await;
    let conn = &first["data"]["aiModels"];
    assert_eq!(conn["totalCount"], 25);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(conn["edges"][0]["node"]["name"], "Model 000");

    let second = app
        .graphql(
            page,
            json!({"first": 10, "after": conn["pageInfo"]["endCursor"]}),
        )
        .await;
    assert_eq!(
        second["data"]["aiModels"]["edges"][0]["node"]["name"],
        "Model 010"
    );

    let last = app.graphql(page, json!({"last": 5})).await;
    let edges = last["data"]["aiModels"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 5);
    assert_eq!(edges[0]["node"]["name"], "Model 020");
    assert_eq!(last["data"]["aiModels"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn oversized_pages_and_forged_cursors_are_refused_before_any_sql() {
    let app = TestApp::spawn().await;
    for (variables, field) in [
        (json!({"first": 101}), "first"),
        (json!({"first": -1}), "first"),
        (json!({"first": 5, "after": "Zm9yZ2Vk"}), "after"),
    ] {
        let before = app.statements();
        let response = app
            .graphql(
                "query($first: Int, $after: String) { aiModels(first: $first, after: $after) { totalCount } }",
                variables.clone(),
            )
            .await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{variables}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field);
        assert_eq!(app.statements(), before, "SQL ran for {variables}");
    }
}

#[tokio::test]
async fn models_and_templates_filter() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let response = app
        .graphql(
            r#"{
                safety: aiModels(filter: {taskType: CONTENT_SAFETY}) { totalCount edges { node { name } } }
                search: aiModels(filter: {search: "sketch"}) { totalCount }
                all: aiModels { totalCount }
                social: templates(filter: {category: "social"}) { totalCount }
                banner: templates(filter: {tags: ["banner"]}) { totalCount edges { node { name } } }
                wildcard: templates(filter: {search: "%"}) { totalCount }
                everything: templates { totalCount }
            }"#,
            json!({}),
        )
        .await;
    let data = &response["data"];
    assert_eq!(data["safety"]["totalCount"], 1);
    assert_eq!(data["safety"]["edges"][0]["node"]["name"], "Atelier Safety");
    assert_eq!(data["search"]["totalCount"], 1);
    assert_eq!(data["all"]["totalCount"], 3, "the inactive model is hidden");
    assert_eq!(data["social"]["totalCount"], 2);
    assert_eq!(data["banner"]["totalCount"], 1);
    assert_eq!(
        data["banner"]["edges"][0]["node"]["name"],
        "LinkedIn Banner"
    );
    assert_eq!(data["wildcard"]["totalCount"], 0, "% is matched literally");
    assert_eq!(
        data["everything"]["totalCount"], 3,
        "the private template is hidden"
    );
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let first = app
        .graphql(
            "{ aiModels { totalCount } templates { totalCount } }",
            json!({}),
        )
        .await;
    app.seed_demo().await;
    let second = app
        .graphql(
            "{ aiModels { totalCount } templates { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(first, second);
}
