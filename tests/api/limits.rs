//! Query limits: checked before anything runs (no SQL), reported with the measured
//! value and the limit; complexity budgets by plan; every response carries its cost.

use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

fn nested(depth: usize) -> String {
    // aiModels -> edges -> node -> versions -> model -> versions -> model ...
    let mut inner = "name".to_string();
    for i in 0..depth {
        inner = if i % 2 == 0 {
            format!("versions {{ model {{ {inner} }} }}")
        } else {
            inner
        };
    }
    format!("{{ aiModels {{ edges {{ node {{ {inner} }} }} }} }}")
}

async fn refused(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let auth = token.map(|t| format!("Bearer {t}"));
    // Warm the session and profile caches: who is calling may cost a lookup, the
    // refused query itself must not.
    app.graphql_with(auth.as_deref(), &[], "{ me { fullName } }", json!({}))
        .await;
    let before = app.statements();
    let response = app
        .graphql_with(auth.as_deref(), &[], query, json!({}))
        .await;
    assert_eq!(
        error_code(&response),
        Some("QUERY_TOO_COMPLEX"),
        "{response}"
    );
    assert!(response["data"].is_null(), "{response}");
    assert_eq!(app.statements(), before, "SQL ran for a refused query");
    response["errors"][0]["extensions"].clone()
}

#[tokio::test]
async fn queries_over_a_shape_limit_are_refused_before_any_sql() {
    let app = TestApp::spawn().await;

    let deep = refused(&app, None, &nested(12)).await;
    assert_eq!(deep["limit"], "depth");
    assert!(deep["measured"].as_u64() > deep["max"].as_u64(), "{deep}");
    assert_eq!(deep["max"], 12);

    let aliases: String = (0..31).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let many = refused(&app, None, &format!("{{ {aliases} }}")).await;
    assert_eq!(many["limit"], "aliases");
    assert_eq!(many["measured"], 31);

    let roots: String = (0..21)
        .map(|i| format!("r{i}: aiModels {{ totalCount }} "))
        .collect();
    let wide = refused(&app, None, &format!("{{ {roots} }}")).await;
    assert!(
        wide["limit"] == "rootFields" || wide["limit"] == "aliases",
        "{wide}"
    );

    let huge = format!("{{ me {{ id }} }} # {}", "x".repeat(40 * 1024));
    let big = refused(&app, None, &huge).await;
    assert_eq!(big["limit"], "documentBytes");

    let directives = "{ me { id @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) @include(if: true) } }";
    let decorated = refused(&app, None, directives).await;
    assert_eq!(decorated["limit"], "directivesPerField");
}

#[tokio::test]
async fn a_query_at_the_limits_runs_and_reports_its_cost() {
    let app = TestApp::spawn().await;
    let response = app
        .graphql(
            "{ aiModels(first: 5) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert!(response["errors"].is_null(), "{response}");
    let cost = response["extensions"]["cost"]
        .as_u64()
        .expect("extensions.cost");
    // aiModels once, then edges, node and name once per item of the page.
    assert_eq!(cost, 1 + 3 * 5, "a page of 5: {cost}");
    let bigger = app
        .graphql(
            "{ aiModels(first: 50) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        bigger["extensions"]["cost"].as_u64(),
        Some(1 + 3 * 50),
        "{bigger}"
    );
}

const EXPENSIVE: &str = "{ projects(first: 100) { edges { node { id assets(first: 100) { edges { node { id name } } } } } } }";

#[tokio::test]
async fn each_plan_has_its_own_complexity_budget() {
    let app = TestApp::spawn_with(&[
        ("QUERY_BUDGET_FREE", "20000"),
        ("QUERY_BUDGET_PRO", "200000"),
    ])
    .await;
    let (token, _) = app.sign_up("budget@example.com", "password-123").await;

    let free = refused(&app, Some(&token), EXPENSIVE).await;
    assert_eq!(free["limit"], "complexity");
    assert_eq!(free["max"], 20000);

    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.conn().await;
        conn.batch_execute(
            "UPDATE users SET subscription_tier = 'Pro' WHERE email = 'budget@example.com'",
        )
        .await
        .expect("upgrade");
    }
    // The plan is read through the profile cache; clear it as a plan change would.
    let user_id = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = app.db.conn().await;
        atelier::db::schema::users::table
            .filter(atelier::db::schema::users::email.eq("budget@example.com"))
            .select(atelier::db::schema::users::id)
            .first::<uuid::Uuid>(&mut conn)
            .await
            .expect("user")
    };
    atelier::accounts::profile_cache::invalidate(&app.app.cache, user_id).await;
    let pro = app.graphql_as(&token, EXPENSIVE, json!({})).await;
    assert!(pro["errors"].is_null(), "{pro}");
    assert!(pro["extensions"]["cost"].as_u64() > Some(20000), "{pro}");

    let anonymous = refused(&app, None, EXPENSIVE).await;
    assert_eq!(anonymous["limit"], "complexity");
}
