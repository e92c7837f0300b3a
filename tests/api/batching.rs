//! Batched loading of the creative graph (a fixed number of SQL statements however
//! many rows a page holds) and gap-free version numbers under concurrent calls.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const ASSETS_PER_PROJECT: usize = 20;

/// The database key inside a global ID (`base64url("Type:uuid")`).
fn uuid_of(global_id: &str) -> uuid::Uuid {
    let raw = URL_SAFE_NO_PAD.decode(global_id).expect("base64url ID");
    let text = String::from_utf8(raw).expect("UTF-8 ID");
    let (_, key) = text.split_once(':').expect("Type:key");
    key.parse().expect("a UUID key")
}

async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.graphql_as(token, query, variables).await;
    assert_eq!(response["errors"], Value::Null, "{query}: {response}");
    response["data"].clone()
}

fn id(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not an ID: {value}"))
        .to_string()
}

/// A team of the caller with a default brand kit, a private template and a workbench.
struct Setup {
    token: String,
    team: String,
    workbench: String,
    kit: String,
    template: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (token, _) = app.sign_up("owner@example.com", "password-123").await;
    let team = ok(
        app,
        &token,
        "mutation { createTeam(input: {name: \"Studio\"}) { team { id } } }",
        json!({}),
    )
    .await;
    let team = id(&team["createTeam"]["team"]["id"]);
    let kit = ok(
        app,
        &token,
        "mutation($team: ID!) { createBrandKit(input: {teamId: $team, name: \"Look\", isDefault: true, colors: [{name: \"Primary\", hex: \"#FF0000\"}]}) { brandKit { id } } }",
        json!({"team": team}),
    )
    .await;
    let kit = id(&kit["createBrandKit"]["brandKit"]["id"]);
    let template = ok(
        app,
        &token,
        "mutation($team: ID!) { createTemplate(input: {teamId: $team, name: \"Layout\", category: \"social\", previewUrl: \"p.png\", sourceData: {}}) { template { id } } }",
        json!({"team": team}),
    )
    .await;
    let template = id(&template["createTemplate"]["template"]["id"]);
    let workbench = ok(
        app,
        &token,
        "mutation($team: ID!, $kit: ID!) { createWorkbench(input: {teamId: $team, name: \"Bench\", defaultBrandKitId: $kit}) { workbench { id } } }",
        json!({"team": team, "kit": kit}),
    )
    .await;
    let workbench = id(&workbench["createWorkbench"]["workbench"]["id"]);
    Setup {
        token,
        team,
        workbench,
        kit,
        template,
    }
}

/// Adds `n` projects to the workbench, each with 20 assets; every asset has a
/// generation request and one or two versions. All by SQL, in a few statements.
async fn add_projects(app: &TestApp, s: &Setup, n: usize) {
    let (workbench, kit, template) = (uuid_of(&s.workbench), uuid_of(&s.kit), uuid_of(&s.template));
    let mut conn = app.db.conn().await;
    conn.batch_execute(&format!(
        "BEGIN;
         CREATE TEMP TABLE new_projects ON COMMIT DROP AS
           WITH owner AS (SELECT user_id FROM workbenches WHERE id = '{workbench}'),
                numbered AS (SELECT count(*) AS base FROM projects WHERE workbench_id = '{workbench}')
           SELECT gen_random_uuid() AS id, 'Project ' || lpad((numbered.base + g)::text, 3, '0') AS name, owner.user_id
             FROM generate_series(1, {n}) g, owner, numbered;
         INSERT INTO projects (id, workbench_id, user_id, name, template_id, brand_kit_id)
           SELECT id, '{workbench}', user_id, name, '{template}', '{kit}' FROM new_projects;
         CREATE TEMP TABLE new_assets ON COMMIT DROP AS
           SELECT gen_random_uuid() AS id, gen_random_uuid() AS request_id, p.id AS project_id, p.user_id, a AS n
             FROM new_projects p, generate_series(1, {ASSETS_PER_PROJECT}) a;
         INSERT INTO generation_requests (id, user_id, project_id, input_prompt)
           SELECT request_id, user_id, project_id, 'A poster, asset ' || n FROM new_assets;
         INSERT INTO assets (id, project_id, user_id, generation_request_id, name, type, file_path, mime_type, format, created_at)
           SELECT id, project_id, user_id, request_id, 'Asset ' || lpad(n::text, 2, '0'), 'Uploaded',
                  'assets/' || project_id || '/' || id || '.png', 'image/png', 'png',
                  now() + n * interval '1 millisecond'
             FROM new_assets;
         INSERT INTO asset_versions (asset_id, project_id, version_number, file_path, created_by_user_id)
           SELECT a.id, a.project_id, v, 'assets/' || a.project_id || '/' || a.id || '.png', a.user_id
             FROM new_assets a, generate_series(1, 2) v
            WHERE v <= 1 + a.n % 2;
         COMMIT;"
    ))
    .await
    .unwrap_or_else(|e| panic!("bulk insert: {e}"));
}

const PAGE: &str = "query($first: Int!, $team: ID!) {
  projects(first: $first, filter: {teamId: $team}, orderBy: {field: NAME, direction: ASC}) {
    totalCount
    edges { node {
      id name
      workbench { id }
      brandKit { id }
      template { id }
      assets(first: 20) {
        totalCount
        edges { node {
          id
          project { id }
          user { id }
          generationRequest { id }
          versions { id versionNumber }
        } }
      }
    } }
  }
}";

/// Runs the page and returns (statements it cost, response data).
async fn run_page(app: &TestApp, s: &Setup, first: usize) -> (u64, Value) {
    let before = app.statements();
    let data = ok(app, &s.token, PAGE, json!({"first": first, "team": s.team})).await;
    (app.statements() - before, data)
}

/// Checks every project and asset of the page is complete and consistent.
fn check_page(s: &Setup, data: &Value, projects: usize) {
    let edges = data["projects"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), projects);
    assert_eq!(data["projects"]["totalCount"], projects);
    for (i, edge) in edges.iter().enumerate() {
        let project = &edge["node"];
        assert_eq!(project["name"], format!("Project {:03}", i + 1));
        assert_eq!(project["workbench"]["id"], s.workbench.as_str());
        assert_eq!(project["brandKit"]["id"], s.kit.as_str());
        assert_eq!(project["template"]["id"], s.template.as_str());
        assert_eq!(project["assets"]["totalCount"], ASSETS_PER_PROJECT);
        let assets = project["assets"]["edges"].as_array().expect("assets");
        assert_eq!(assets.len(), ASSETS_PER_PROJECT);
        for (j, asset) in assets.iter().enumerate() {
            let asset = &asset["node"];
            assert_eq!(asset["project"]["id"], project["id"]);
            assert!(asset["user"]["id"].is_string(), "{asset}");
            assert!(asset["generationRequest"]["id"].is_string(), "{asset}");
            let versions: Vec<i64> = asset["versions"]
                .as_array()
                .expect("versions")
                .iter()
                .map(|v| v["versionNumber"].as_i64().expect("number"))
                .collect();
            let expected: Vec<i64> = (1..=1 + (j as i64 + 1) % 2).collect();
            assert_eq!(versions, expected, "asset {j} of project {i}");
        }
    }
}

#[tokio::test]
async fn a_page_of_projects_with_assets_costs_a_fixed_number_of_statements() {
    // No generation workers: their polling goes through the same counted pool.
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let s = setup(&app).await;
    add_projects(&app, &s, 50).await;
    // Warm-up: the first request of a server may do one-off work.
    run_page(&app, &s, 1).await;

    let (for_fifty, fifty) = run_page(&app, &s, 50).await;
    check_page(&s, &fifty, 50);

    add_projects(&app, &s, 50).await;
    let (for_hundred, hundred) = run_page(&app, &s, 100).await;
    check_page(&s, &hundred, 100);

    println!("50 projects x 20 assets: {for_fifty} statements; 100 x 20: {for_hundred}");
    // 12: the caller's reach, the count and the page of projects, then one batch
    // per relation and level: workbenches, brand kits, templates, asset counts,
    // asset pages, and the assets' projects, users, generation requests and
    // versions. Nothing depends on how many projects or assets there are.
    assert_eq!(
        for_fifty, for_hundred,
        "the statement count grows with the page: {for_fifty} for 1,000 assets, {for_hundred} for 2,000"
    );
    assert_eq!(
        for_fifty, 12,
        "50 projects x 20 assets took {for_fifty} statements"
    );
}

const CREATE_VERSION: &str = "mutation($input: CreateAssetVersionInput!) { createAssetVersion(input: $input) { assetVersion { id versionNumber description } } }";

#[tokio::test]
async fn concurrent_versions_are_numbered_without_gaps_or_duplicates() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    add_projects(&app, &s, 1).await;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let mut conn = app.db.conn().await;
    // Start from an asset without versions.
    let asset_uuid = diesel::sql_query("SELECT id FROM assets ORDER BY created_at LIMIT 1")
        .get_result::<Row>(&mut conn)
        .await
        .expect("an asset")
        .id;
    conn.batch_execute(&format!(
        "DELETE FROM asset_versions WHERE asset_id = '{asset_uuid}'"
    ))
    .await
    .expect("clear versions");
    let asset = URL_SAFE_NO_PAD.encode(format!("Asset:{asset_uuid}"));

    let url = app.url("/graphql");
    let calls = (0..20).map(|i| {
        let client = reqwest::Client::new();
        let url = url.clone();
        let token = s.token.clone();
        let asset = asset.clone();
        tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({
                    "query": CREATE_VERSION,
                    "variables": {"input": {"assetId": asset, "description": format!("call {i}")}},
                }))
                .send()
                .await
                .expect("request sent");
            assert!(response.status().is_success());
            response.json::<Value>().await.expect("JSON body")
        })
    });
    let responses = futures_util::future::join_all(calls).await;
    let mut numbers: Vec<i64> = responses
        .into_iter()
        .map(|r| {
            let r = r.expect("task");
            assert_eq!(r["errors"], Value::Null, "{r}");
            r["data"]["createAssetVersion"]["assetVersion"]["versionNumber"]
                .as_i64()
                .expect("versionNumber")
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=20).collect::<Vec<i64>>());

    #[derive(diesel::QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        version_number: i32,
    }
    let stored: Vec<i32> = diesel::sql_query(format!(
        "SELECT version_number FROM asset_versions WHERE asset_id = '{asset_uuid}' ORDER BY version_number"
    ))
    .load::<Number>(&mut conn)
    .await
    .expect("versions")
    .into_iter()
    .map(|n| n.version_number)
    .collect();
    assert_eq!(stored, (1..=20).collect::<Vec<i32>>());

    let listed = ok(
        &app,
        &s.token,
        "query($id: ID!) { asset(id: $id) { versions { versionNumber } } }",
        json!({"id": asset}),
    )
    .await;
    let listed: Vec<i64> = listed["asset"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["versionNumber"].as_i64().expect("number"))
        .collect();
    assert_eq!(listed, (1..=20).collect::<Vec<i64>>(), "oldest first");
}
