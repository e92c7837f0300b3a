//! The generation pipeline end to end, through HTTP against the running server:
//! request, samples, selection, final; what each phase costs and refunds (to the
//! cent, exactly once, under concurrency); validation; faults (a dead worker, a
//! failing provider, the content check, cancellation, the phase deadline, an
//! OpenAI-compatible service that fails once); and the state machine the
//! database enforces.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atelier::demo::demo_id;
use atelier::generation::worker::Workers;
use atelier::graphql::id::{GlobalId, NodeType};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures_util::future::join_all;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{error_code, TestApp};

mod faults;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// How long a request may take to reach a status (the machine has 2 cores and
/// other tests run alongside).
const WAIT: Duration = Duration::from_secs(30);

const REQUEST: &str = "mutation($input: RequestGenerationInput!) { requestGeneration(input: $input) { generationRequest { id status inputPrompt inputParameters creditsCostSample creditsCostFinal aiModelUsed phaseDeadline createdAt project { id } user { id } } } }";

const SELECT: &str = "mutation($input: SelectGenerationSampleInput!) { selectGenerationSample(input: $input) { generationRequest { id status selectedSample { id } } } }";

const CANCEL: &str = "mutation($id: ID!) { cancelGeneration(input: {generationRequestId: $id}) { generationRequest { id status errorMessage completedAt } } }";

const READ: &str = "query($id: ID!) { generationRequest(id: $id) { id status errorMessage inputParameters sampleAssets processingTimeMs phaseDeadline completedAt createdAt viewerCan { selectSample cancel } selectedSample { id } samples { id name type format mimeType resolution isFinal downloadUrl project { id } generationRequest { id } } finalAsset { id name type format mimeType resolution isFinal downloadUrl generationRequest { id } } } }";

/// The `data` of a response that must have no errors.
async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.graphql_as(token, query, variables).await;
    assert_eq!(response["errors"], Value::Null, "{query}: {response}");
    response["data"].clone()
}

/// The first error's code and field of a response that must fail.
async fn refused(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> (String, Option<String>) {
    let response = app.graphql_as(token, query, variables).await;
    let code = error_code(&response)
        .unwrap_or_else(|| panic!("expected an error from {query}: {response}"))
        .to_string();
    let field = response["errors"][0]["extensions"]["field"]
        .as_str()
        .map(str::to_string);
    (code, field)
}

fn id(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not an ID: {value}"))
        .to_string()
}

/// The database key inside a global ID (`base64url("Type:uuid")`).
fn uuid_of(global_id: &str) -> Uuid {
    let raw = URL_SAFE_NO_PAD.decode(global_id).expect("base64url ID");
    let text = String::from_utf8(raw).expect("UTF-8 ID");
    let (_, key) = text.split_once(':').expect("Type:key");
    key.parse().expect("a UUID key")
}

fn global(node_type: NodeType, id: Uuid) -> String {
    GlobalId::uuid(node_type, id).0
}

/// The global ID of a demo AI model.
fn demo_model(name: &str) -> String {
    global(NodeType::AiModel, demo_id(&format!("aimodel:{name}")))
}

/// A `Decimal` scalar as the API returns it.
fn dec(value: &Value) -> Decimal {
    match value {
        Value::String(s) => Decimal::from_str(s).unwrap_or_else(|_| panic!("not a decimal: {s}")),
        Value::Number(n) => Decimal::from_str(&n.to_string()).expect("a decimal number"),
        other => panic!("not a decimal: {other}"),
    }
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal literal")
}

/// The caller's balance, from `me`.
async fn balance(app: &TestApp, token: &str) -> Decimal {
    let data = ok(app, token, "{ me { creditBalance } }", json!({})).await;
    dec(&data["me"]["creditBalance"])
}

async fn team_balance(app: &TestApp, token: &str, team: &str) -> Decimal {
    let data = ok(
        app,
        token,
        "query($id: ID!) { team(id: $id) { creditBalance } }",
        json!({"id": team}),
    )
    .await;
    dec(&data["team"]["creditBalance"])
}

async fn exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.conn().await;
    conn.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Sets a user's balance by SQL, as an operator would, and drops the cached
/// profile (`me.creditBalance` is served from the profile cache).
async fn set_user_balance(app: &TestApp, user: Uuid, amount: &str) {
    exec(
        app,
        &format!("UPDATE users SET credit_balance = {amount} WHERE id = '{user}'"),
    )
    .await;
    atelier::accounts::profile_cache::invalidate(&app.app.cache, user).await;
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

async fn decimal(app: &TestApp, sql: &str) -> Decimal {
    #[derive(diesel::QueryableByName)]
    struct Amount {
        #[diesel(sql_type = diesel::sql_types::Numeric)]
        v: Decimal,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .get_result::<Amount>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .v
}

/// One row of `credit_transactions`.
#[derive(Debug, Clone, diesel::QueryableByName)]
struct Movement {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action_type: String,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    amount: Decimal,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    team_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    generation_request_id: Option<Uuid>,
}

/// The credit transactions matching `condition`, oldest first.
async fn movements(app: &TestApp, condition: &str) -> Vec<Movement> {
    let sql = format!(
        "SELECT action_type::text AS action_type, amount, team_id, generation_request_id \
         FROM credit_transactions WHERE {condition} ORDER BY created_at, amount DESC"
    );
    let mut conn = app.db.conn().await;
    diesel::sql_query(&sql)
        .load::<Movement>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn summary(list: &[Movement]) -> Vec<(String, Decimal)> {
    list.iter()
        .map(|m| (m.action_type.clone(), m.amount))
        .collect()
}

/// The usage-log actions of a request, oldest first.
async fn usage_actions(app: &TestApp, request: Uuid) -> Vec<(String, Option<Decimal>)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action_type: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
        credits_cost: Option<Decimal>,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(format!(
        "SELECT action_type::text AS action_type, credits_cost FROM usage_logs \
         WHERE generation_request_id = '{request}' ORDER BY id"
    ))
    .load::<Row>(&mut conn)
    .await
    .expect("usage logs")
    .into_iter()
    .map(|r| (r.action_type, r.credits_cost))
    .collect()
}

/// A signed-up account with a personal workbench and project.
struct Studio {
    token: String,
    user: Uuid,
    project: String,
}

async fn create_workbench(app: &TestApp, token: &str, team: Option<&str>) -> String {
    let data = ok(
        app,
        token,
        "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
        json!({"input": {"name": "Bench", "teamId": team}}),
    )
    .await;
    id(&data["createWorkbench"]["workbench"]["id"])
}

async fn create_project(app: &TestApp, token: &str, workbench: &str) -> String {
    let data = ok(
        app,
        token,
        "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
        json!({"input": {"workbenchId": workbench, "name": "Campaign"}}),
    )
    .await;
    id(&data["createProject"]["project"]["id"])
}

async fn studio(app: &TestApp, email: &str) -> Studio {
    let (token, user) = app.sign_up(email, "correct horse battery").await;
    let workbench = create_workbench(app, &token, None).await;
    let project = create_project(app, &token, &workbench).await;
    Studio {
        token,
        user: uuid_of(&user),
        project,
    }
}

/// A team of `owner` with a team workbench and project: (team, project).
async fn team_project(app: &TestApp, owner: &str) -> (String, String) {
    let data = ok(
        app,
        owner,
        "mutation { createTeam(input: {name: \"Pool Studio\"}) { team { id } } }",
        json!({}),
    )
    .await;
    let team = id(&data["createTeam"]["team"]["id"]);
    let workbench = create_workbench(app, owner, Some(&team)).await;
    let project = create_project(app, owner, &workbench).await;
    (team, project)
}

fn input(project: &str, prompt: &str, parameters: Value) -> Value {
    json!({"input": {
        "projectId": project,
        "inputPrompt": prompt,
        "aiModelId": demo_model("Atelier Diffusion"),
        "inputParameters": parameters,
    }})
}

/// Requests a generation that must be accepted; returns the request.
async fn request(app: &TestApp, token: &str, variables: Value) -> Value {
    let data = ok(app, token, REQUEST, variables).await;
    data["requestGeneration"]["generationRequest"].clone()
}

async fn read(app: &TestApp, token: &str, request_id: &str) -> Value {
    let data = ok(app, token, READ, json!({"id": request_id})).await;
    data["generationRequest"].clone()
}

const TERMINAL: [&str; 4] = ["COMPLETED", "FAILED", "CANCELLED", "CONTENT_REJECTED"];

/// Polls the request until its status is `want`; fails at once on any other
/// terminal status, and after [`WAIT`].
async fn wait_for(app: &TestApp, token: &str, request_id: &str, want: &str) -> Value {
    let started = Instant::now();
    loop {
        let current = read(app, token, request_id).await;
        let status = current["status"].as_str().unwrap_or_default().to_string();
        if status == want {
            return current;
        }
        assert!(
            !TERMINAL.contains(&status.as_str()),
            "request ended {status} while waiting for {want}: {current}"
        );
        assert!(
            started.elapsed() < WAIT,
            "request still {status} after {WAIT:?}, waiting for {want}: {current}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn local_path(download_url: &str) -> String {
    let start = download_url.find("/files/").expect("a /files/ URL");
    download_url[start..].to_string()
}

/// Downloads an asset through its signed URL.
async fn download(app: &TestApp, asset: &Value) -> Vec<u8> {
    let url = asset["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no downloadUrl: {asset}"));
    let response = app
        .client
        .get(app.url(&local_path(url)))
        .send()
        .await
        .expect("download sent");
    assert!(
        response.status().is_success(),
        "download of {url}: HTTP {}",
        response.status()
    );
    response.bytes().await.expect("body").to_vec()
}

/// Starts one in-process worker (and the deadline sweeper) on an app spawned
/// with `WORKERS=0`.
fn start_worker(app: &TestApp) -> Workers {
    Workers::start(app.app.clone(), 1).expect("one worker")
}

/// An image model served by `parameters` (an HTTP provider), inserted by SQL.
async fn insert_model(app: &TestApp, name: &str, parameters: Value) -> String {
    let model = Uuid::new_v4();
    let parameters = parameters.to_string().replace('\'', "''");
    exec(
        app,
        &format!(
            "INSERT INTO ai_models (id, name, provider, task_type, is_active) \
             VALUES ('{model}', '{name}', 'External', 'ImageGeneration', true); \
             INSERT INTO ai_model_versions (model_id, version_number, format, parameters, status) \
             VALUES ('{model}', '1.0', 'API', '{parameters}'::jsonb, 'Production');"
        ),
    )
    .await;
    global(NodeType::AiModel, model)
}

// ---------------------------------------------------------------------------
// 1. The whole flow
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_local_provider_runs_the_whole_pipeline_and_each_phase_is_paid_once() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let me = studio(&app, "flow@example.com").await;
    assert_eq!(balance(&app, &me.token).await, d("10.00"), "sign-up grant");
    let debited_before = app.metric("atelier_credits_debited_total").await;

    let created = request(
        &app,
        &me.token,
        input(
            &me.project,
            "A lighthouse at dusk",
            json!({"sampleCount": 3, "resolution": "1024x1024", "format": "jpeg"}),
        ),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    assert_eq!(created["status"], "PENDING", "{created}");
    assert_eq!(dec(&created["creditsCostSample"]), d("1.00"));
    assert_eq!(dec(&created["creditsCostFinal"]), d("4.00"));
    assert_eq!(created["project"]["id"], me.project.as_str());
    assert_eq!(
        created["inputParameters"],
        json!({"sampleCount": 3, "resolution": "1024x1024", "format": "jpeg"})
    );
    assert!(created["phaseDeadline"].is_string(), "{created}");
    assert_eq!(
        balance(&app, &me.token).await,
        d("9.00"),
        "the samples are charged when requested"
    );

    // Samples.
    let awaiting = wait_for(&app, &me.token, &request_id, "AWAITING_SELECTION").await;
    let samples = awaiting["samples"].as_array().expect("samples").clone();
    assert_eq!(samples.len(), 3, "{awaiting}");
    let mut sample_ids: Vec<String> = samples.iter().map(|s| id(&s["id"])).collect();
    for sample in &samples {
        assert_eq!(sample["type"], "AI_GENERATED", "{sample}");
        assert_eq!(sample["isFinal"], false, "{sample}");
        assert_eq!(sample["format"], "jpeg", "{sample}");
        assert_eq!(sample["mimeType"], "image/jpeg", "{sample}");
        assert_eq!(sample["resolution"], "512x512", "{sample}");
        assert_eq!(sample["generationRequest"]["id"], request_id.as_str());
        assert_eq!(sample["project"]["id"], me.project.as_str());
    }
    let listed: Vec<String> = awaiting["sampleAssets"]
        .as_array()
        .expect("sampleAssets")
        .iter()
        .map(|s| s["id"].as_str().expect("sample id").to_string())
        .collect();
    assert_eq!(
        listed,
        sample_ids
            .iter()
            .map(|s| uuid_of(s).to_string())
            .collect::<Vec<_>>(),
        "sampleAssets and samples agree"
    );
    sample_ids.sort();
    sample_ids.dedup();
    assert_eq!(sample_ids.len(), 3, "three distinct samples");
    assert_eq!(
        awaiting["viewerCan"],
        json!({"selectSample": true, "cancel": true})
    );
    assert!(awaiting["processingTimeMs"].is_number(), "{awaiting}");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}' \
                 AND type = 'AIGenerated' AND NOT is_final"
            )
        )
        .await,
        3
    );

    // The sample files are real JPEGs at the sample size (the resolution capped
    // at 512 per side), and differ from one another.
    let mut files = Vec::new();
    for sample in &samples {
        let bytes = download(&app, sample).await;
        assert_eq!(
            image::guess_format(&bytes).expect("a known format"),
            image::ImageFormat::Jpeg
        );
        let decoded = image::load_from_memory(&bytes).expect("the sample decodes");
        assert_eq!((decoded.width(), decoded.height()), (512, 512));
        files.push(bytes);
    }
    assert!(
        files[0] != files[1] && files[1] != files[2] && files[0] != files[2],
        "each sample is its own image"
    );

    // Selection charges the final at once.
    let chosen = samples[1].clone();
    let selected = ok(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": chosen["id"]}}),
    )
    .await;
    let selected = &selected["selectGenerationSample"]["generationRequest"];
    assert_eq!(selected["status"], "PROCESSING_FINAL", "{selected}");
    assert_eq!(selected["selectedSample"]["id"], chosen["id"]);
    assert_eq!(balance(&app, &me.token).await, d("5.00"));
    let debited = app.metric("atelier_credits_debited_total").await - debited_before;
    assert_eq!(debited, d("5.00"), "both debits are counted: {debited}");

    // The final.
    let done = wait_for(&app, &me.token, &request_id, "COMPLETED").await;
    let final_asset = &done["finalAsset"];
    assert_eq!(final_asset["isFinal"], true, "{done}");
    assert_eq!(final_asset["type"], "AI_GENERATED");
    assert_eq!(final_asset["resolution"], "1024x1024");
    assert_eq!(final_asset["format"], "jpeg");
    assert_eq!(final_asset["generationRequest"]["id"], request_id.as_str());
    assert_eq!(done["selectedSample"]["id"], chosen["id"]);
    assert!(done["completedAt"].is_string(), "{done}");
    assert_eq!(done["phaseDeadline"], Value::Null, "nothing is pending");
    assert_eq!(
        done["viewerCan"],
        json!({"selectSample": false, "cancel": false})
    );
    let final_bytes = download(&app, final_asset).await;
    assert_eq!(
        image::guess_format(&final_bytes).expect("a known format"),
        image::ImageFormat::Jpeg
    );
    let decoded = image::load_from_memory(&final_bytes).expect("the final decodes");
    assert_eq!((decoded.width(), decoded.height()), (1024, 1024));
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}'"
            )
        )
        .await,
        4,
        "three samples and one final"
    );

    // The money: 10 - 1 - 4, and the ledger explains every cent of it.
    let now = balance(&app, &me.token).await;
    assert_eq!(now, d("5.00"));
    let ledger = movements(&app, &format!("user_id = '{}'", me.user)).await;
    assert_eq!(
        summary(&ledger),
        vec![
            ("signup_grant".to_string(), d("10.00")),
            ("sample_generation".to_string(), d("-1.00")),
            ("final_generation".to_string(), d("-4.00")),
        ]
    );
    assert!(ledger.iter().all(|m| m.team_id.is_none()));
    assert_eq!(ledger[1].generation_request_id, Some(request_uuid));
    assert_eq!(ledger[2].generation_request_id, Some(request_uuid));
    assert_eq!(ledger.iter().map(|m| m.amount).sum::<Decimal>(), now);

    let usage = usage_actions(&app, request_uuid).await;
    let actions: Vec<&str> = usage.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "sample_generation_initiated",
            "sample_generation_completed",
            "final_generation_initiated",
            "final_generation_completed",
        ]
    );
    assert_eq!(usage[0].1, Some(d("1.00")));
    assert_eq!(usage[2].1, Some(d("4.00")));

    // The notification, and marking it read.
    let notes = ok(
        &app,
        &me.token,
        "{ unreadNotificationCount notifications(first: 50) { totalCount nodes { id type message isRead metadata } } }",
        json!({}),
    )
    .await;
    let unread = notes["unreadNotificationCount"].as_i64().expect("count");
    let complete: Vec<&Value> = notes["notifications"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["type"] == "generation_complete")
        .collect();
    assert_eq!(complete.len(), 1, "one generation_complete: {notes}");
    let note = complete[0];
    assert_eq!(note["isRead"], false);
    assert!(!note["message"].as_str().unwrap_or_default().is_empty());
    // The metadata points at the request (as a global ID or its database key).
    let linked = note["metadata"]["generationRequestId"]
        .as_str()
        .expect("metadata.generationRequestId");
    assert!(
        linked == request_id || linked == request_uuid.to_string(),
        "{note}"
    );
    assert_eq!(
        unread, 1,
        "the generation_complete is the one notification: {notes}"
    );
    let marked = ok(
        &app,
        &me.token,
        "mutation($ids: [ID!]!) { markNotificationsRead(input: {ids: $ids}) { markedCount unreadCount } }",
        json!({"ids": [note["id"]]}),
    )
    .await;
    assert_eq!(marked["markNotificationsRead"]["markedCount"], 1);
    assert_eq!(marked["markNotificationsRead"]["unreadCount"], unread - 1);
    let again = ok(
        &app,
        &me.token,
        "mutation($ids: [ID!]!) { markNotificationsRead(input: {ids: $ids}) { markedCount unreadCount } }",
        json!({"ids": [note["id"]]}),
    )
    .await;
    assert_eq!(again["markNotificationsRead"]["markedCount"], 0);
    let after = ok(
        &app,
        &me.token,
        "{ unreadNotificationCount notifications(unreadOnly: true, first: 50) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(after["unreadNotificationCount"], unread - 1);
    assert!(after["notifications"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .all(|n| n["id"] != note["id"]));

    // Completed is final: nothing more can be cancelled or selected.
    let (code, _) = refused(&app, &me.token, CANCEL, json!({"id": request_id})).await;
    assert_eq!(code, "CONFLICT");
    let (code, _) = refused(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": samples[0]["id"]}}),
    )
    .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(balance(&app, &me.token).await, d("5.00"));
}

#[tokio::test]
async fn a_team_project_is_paid_from_the_team_pool_not_by_the_member() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let (owner, owner_id) = app
        .sign_up("pool-owner@example.com", "correct horse battery")
        .await;
    let owner_uuid = uuid_of(&owner_id);
    let (team, project) = team_project(&app, &owner).await;
    let team_uuid = uuid_of(&team);

    // An empty pool refuses, even though the member has credits of their own.
    exec(
        &app,
        &format!("UPDATE teams SET credit_balance = 0 WHERE id = '{team_uuid}'"),
    )
    .await;
    let (code, _) = refused(
        &app,
        &owner,
        REQUEST,
        input(&project, "A team poster", json!({"sampleCount": 1})),
    )
    .await;
    assert_eq!(code, "INSUFFICIENT_CREDITS");
    assert_eq!(balance(&app, &owner).await, d("10.00"));

    exec(
        &app,
        &format!("UPDATE teams SET credit_balance = 20 WHERE id = '{team_uuid}'"),
    )
    .await;
    let created = request(
        &app,
        &owner,
        input(
            &project,
            "A team poster",
            json!({"sampleCount": 1, "resolution": "512x512", "format": "png"}),
        ),
    )
    .await;
    let request_id = id(&created["id"]);
    assert_eq!(team_balance(&app, &owner, &team).await, d("19.00"));
    assert_eq!(
        balance(&app, &owner).await,
        d("10.00"),
        "the member pays nothing"
    );

    let awaiting = wait_for(&app, &owner, &request_id, "AWAITING_SELECTION").await;
    ok(
        &app,
        &owner,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": awaiting["samples"][0]["id"]}}),
    )
    .await;
    assert_eq!(team_balance(&app, &owner, &team).await, d("15.00"));
    wait_for(&app, &owner, &request_id, "COMPLETED").await;
    assert_eq!(team_balance(&app, &owner, &team).await, d("15.00"));
    assert_eq!(balance(&app, &owner).await, d("10.00"));

    let pool = movements(&app, &format!("team_id = '{team_uuid}'")).await;
    assert_eq!(
        summary(&pool),
        vec![
            ("sample_generation".to_string(), d("-1.00")),
            ("final_generation".to_string(), d("-4.00")),
        ]
    );
    assert_eq!(
        pool.iter().map(|m| m.amount).sum::<Decimal>(),
        d("15.00") - d("20.00")
    );
    let own = movements(
        &app,
        &format!("user_id = '{owner_uuid}' AND team_id IS NULL"),
    )
    .await;
    assert_eq!(
        summary(&own),
        vec![("signup_grant".to_string(), d("10.00"))]
    );
}

// ---------------------------------------------------------------------------
// 2. Validation and permissions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn invalid_requests_are_refused_with_their_field_and_nothing_is_written() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    app.seed_demo().await;
    let me = studio(&app, "validation@example.com").await;
    let good = json!({"sampleCount": 2, "resolution": "1024x1024", "format": "png"});
    let with_model = |model: String| {
        json!({"input": {
            "projectId": me.project,
            "inputPrompt": "A red bicycle",
            "aiModelId": model,
            "inputParameters": good,
        }})
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "empty prompt",
            input(&me.project, "", good.clone()),
            "inputPrompt",
        ),
        (
            "blank prompt",
            input(&me.project, "   \n ", good.clone()),
            "inputPrompt",
        ),
        (
            "4001-character prompt",
            input(&me.project, &"a".repeat(4001), good.clone()),
            "inputPrompt",
        ),
        (
            "no samples",
            input(&me.project, "A red bicycle", json!({"sampleCount": 0})),
            "inputParameters.sampleCount",
        ),
        (
            "five samples",
            input(&me.project, "A red bicycle", json!({"sampleCount": 5})),
            "inputParameters.sampleCount",
        ),
        (
            "a resolution the model does not list",
            input(
                &me.project,
                "A red bicycle",
                json!({"sampleCount": 2, "resolution": "640x480"}),
            ),
            "inputParameters.resolution",
        ),
        (
            "gif",
            input(
                &me.project,
                "A red bicycle",
                json!({"sampleCount": 2, "format": "gif"}),
            ),
            "inputParameters.format",
        ),
        (
            "an inactive model",
            with_model(demo_model("Legacy Painter")),
            "aiModelId",
        ),
        (
            "a model that does not generate images",
            with_model(demo_model("Atelier Safety")),
            "aiModelId",
        ),
        (
            "no such model",
            with_model(global(NodeType::AiModel, Uuid::new_v4())),
            "aiModelId",
        ),
        (
            "not a model ID",
            with_model(me.project.clone()),
            "aiModelId",
        ),
    ];
    for (what, variables, field) in cases {
        let (code, got) = refused(&app, &me.token, REQUEST, variables).await;
        assert_eq!(code, "BAD_USER_INPUT", "{what}");
        assert_eq!(got.as_deref(), Some(field), "{what}");
    }
    let mine = format!("user_id = '{}'", me.user);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM generation_requests WHERE {mine}")
        )
        .await,
        0
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM generation_jobs").await,
        0
    );
    assert_eq!(balance(&app, &me.token).await, d("10.00"));

    // The limits themselves are allowed.
    let longest = request(
        &app,
        &me.token,
        input(&me.project, &"b".repeat(4000), json!({"sampleCount": 4})),
    )
    .await;
    assert_eq!(longest["status"], "PENDING");
    assert_eq!(balance(&app, &me.token).await, d("9.00"));

    // Too little money: refused, and not a row written.
    set_user_balance(&app, me.user, "0.50").await;
    let before = (
        count(
            &app,
            &format!("SELECT count(*) AS n FROM generation_requests WHERE {mine}"),
        )
        .await,
        count(
            &app,
            &format!("SELECT count(*) AS n FROM credit_transactions WHERE {mine}"),
        )
        .await,
        count(
            &app,
            &format!("SELECT count(*) AS n FROM usage_logs WHERE {mine}"),
        )
        .await,
        count(&app, "SELECT count(*) AS n FROM generation_jobs").await,
    );
    let (code, _) = refused(
        &app,
        &me.token,
        REQUEST,
        input(&me.project, "A red bicycle", good.clone()),
    )
    .await;
    assert_eq!(code, "INSUFFICIENT_CREDITS");
    let after = (
        count(
            &app,
            &format!("SELECT count(*) AS n FROM generation_requests WHERE {mine}"),
        )
        .await,
        count(
            &app,
            &format!("SELECT count(*) AS n FROM credit_transactions WHERE {mine}"),
        )
        .await,
        count(
            &app,
            &format!("SELECT count(*) AS n FROM usage_logs WHERE {mine}"),
        )
        .await,
        count(&app, "SELECT count(*) AS n FROM generation_jobs").await,
    );
    assert_eq!(after, before, "(requests, transactions, usage, jobs)");
    assert_eq!(balance(&app, &me.token).await, d("0.50"));
}

#[tokio::test]
async fn a_viewer_of_a_team_project_cannot_request_a_generation() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    app.seed_demo().await;
    let (owner, _) = app
        .sign_up("team-owner@example.com", "correct horse battery")
        .await;
    let (team, project) = team_project(&app, &owner).await;
    exec(
        &app,
        &format!(
            "UPDATE teams SET credit_balance = 50 WHERE id = '{}'",
            uuid_of(&team)
        ),
    )
    .await;
    let (viewer, viewer_id) = app
        .sign_up("team-viewer@example.com", "correct horse battery")
        .await;
    let (editor, _) = app
        .sign_up("team-editor@example.com", "correct horse battery")
        .await;
    for (email, role) in [
        ("team-viewer@example.com", "VIEWER"),
        ("team-editor@example.com", "EDITOR"),
    ] {
        ok(
            &app,
            &owner,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team, "email": email, "role": role}}),
        )
        .await;
    }

    let (code, _) = refused(
        &app,
        &viewer,
        REQUEST,
        input(&project, "A viewer's wish", json!({"sampleCount": 1})),
    )
    .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_requests WHERE user_id = '{}'",
                uuid_of(&viewer_id)
            )
        )
        .await,
        0
    );
    assert_eq!(team_balance(&app, &owner, &team).await, d("50.00"));
    assert_eq!(balance(&app, &viewer).await, d("10.00"));

    // An editor may; the viewer can read the request but not cancel it.
    let created = request(
        &app,
        &editor,
        input(&project, "An editor's wish", json!({"sampleCount": 1})),
    )
    .await;
    let request_id = id(&created["id"]);
    assert_eq!(team_balance(&app, &owner, &team).await, d("49.00"));
    let seen = read(&app, &viewer, &request_id).await;
    assert_eq!(seen["status"], "PENDING");
    assert_eq!(seen["viewerCan"]["cancel"], false);
    let (code, _) = refused(&app, &viewer, CANCEL, json!({"id": request_id})).await;
    assert_eq!(code, "FORBIDDEN");
    // A stranger cannot even see it.
    let (stranger, _) = app
        .sign_up("stranger@example.com", "correct horse battery")
        .await;
    let hidden = ok(
        &app,
        &stranger,
        "query($id: ID!) { generationRequest(id: $id) { id } }",
        json!({"id": request_id}),
    )
    .await;
    assert_eq!(hidden["generationRequest"], Value::Null);
}

// ---------------------------------------------------------------------------
// 3. Concurrency
// ---------------------------------------------------------------------------

#[tokio::test]
async fn fifty_simultaneous_requests_spend_exactly_the_balance() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    app.seed_demo().await;
    let me = studio(&app, "rush@example.com").await;
    set_user_balance(&app, me.user, "10").await;
    let before = balance(&app, &me.token).await;
    assert_eq!(before, d("10.00"));
    let ledger_before = movements(&app, &format!("user_id = '{}'", me.user))
        .await
        .iter()
        .map(|m| m.amount)
        .sum::<Decimal>();

    let calls = (0..50).map(|i| {
        let variables = input(
            &me.project,
            &format!("Rush #{i}"),
            json!({"sampleCount": 1, "resolution": "512x512"}),
        );
        let app = &app;
        let token = me.token.clone();
        async move { app.graphql_as(&token, REQUEST, variables).await }
    });
    let responses = join_all(calls).await;
    let mut accepted = Vec::new();
    let mut refused_for_money = 0;
    for response in &responses {
        match error_code(response) {
            None => accepted.push(id(
                &response["data"]["requestGeneration"]["generationRequest"]["id"]
            )),
            Some("INSUFFICIENT_CREDITS") => refused_for_money += 1,
            Some(other) => panic!("unexpected {other}: {response}"),
        }
    }
    assert_eq!(accepted.len(), 10, "exactly the balance's worth succeeds");
    assert_eq!(refused_for_money, 40);
    accepted.sort();
    accepted.dedup();
    assert_eq!(accepted.len(), 10, "ten distinct requests");

    let after = balance(&app, &me.token).await;
    assert_eq!(after, d("0.00"));
    let mine = format!("user_id = '{}'", me.user);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM generation_requests WHERE {mine}")
        )
        .await,
        10
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM generation_jobs").await,
        10
    );
    let ledger = movements(&app, &mine).await;
    let debits: Vec<&Movement> = ledger
        .iter()
        .filter(|m| m.action_type == "sample_generation")
        .collect();
    assert_eq!(debits.len(), 10);
    assert!(debits.iter().all(|m| m.amount == d("-1.00")));
    let total = ledger.iter().map(|m| m.amount).sum::<Decimal>();
    assert_eq!(total - ledger_before, after - before);
    assert_eq!(
        decimal(
            &app,
            &format!(
                "SELECT credit_balance AS v FROM users WHERE id = '{}'",
                me.user
            )
        )
        .await,
        d("0.00")
    );
}

#[tokio::test]
async fn twenty_concurrent_retries_of_one_idempotency_key_make_one_request() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    app.seed_demo().await;
    let me = studio(&app, "retry@example.com").await;
    let variables = || {
        let mut v = input(&me.project, "Retry me", json!({"sampleCount": 2}));
        v["input"]["idempotencyKey"] = json!("order-7f3a");
        v
    };
    let calls = (0..20).map(|_| {
        let app = &app;
        let token = me.token.clone();
        let variables = variables();
        async move { app.graphql_as(&token, REQUEST, variables).await }
    });
    let responses = join_all(calls).await;
    let ids: Vec<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r["errors"], Value::Null, "{r}");
            id(&r["data"]["requestGeneration"]["generationRequest"]["id"])
        })
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "every retry answers with the same request: {ids:?}"
    );
    let mine = format!("user_id = '{}'", me.user);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM generation_requests WHERE {mine}")
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM generation_jobs").await,
        1
    );
    let debits = movements(
        &app,
        &format!("{mine} AND action_type = 'sample_generation'"),
    )
    .await;
    assert_eq!(
        summary(&debits),
        vec![("sample_generation".into(), d("-1.00"))]
    );
    assert_eq!(balance(&app, &me.token).await, d("9.00"));

    // A later retry still finds it; another account's same key is its own.
    let late = request(&app, &me.token, variables()).await;
    assert_eq!(id(&late["id"]), ids[0]);
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    let other = studio(&app, "retry-other@example.com").await;
    let mut theirs = input(&other.project, "Retry me", json!({"sampleCount": 2}));
    theirs["input"]["idempotencyKey"] = json!("order-7f3a");
    let theirs = request(&app, &other.token, theirs).await;
    assert_ne!(id(&theirs["id"]), ids[0]);
    assert_eq!(balance(&app, &other.token).await, d("9.00"));
}

#[tokio::test]
async fn concurrent_selections_charge_the_final_once() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let me = studio(&app, "select@example.com").await;
    let created = request(
        &app,
        &me.token,
        input(
            &me.project,
            "A paper boat",
            json!({"sampleCount": 2, "resolution": "512x512"}),
        ),
    )
    .await;
    let request_id = id(&created["id"]);
    let awaiting = wait_for(&app, &me.token, &request_id, "AWAITING_SELECTION").await;
    let sample = awaiting["samples"][0]["id"].clone();

    // Not a sample of this request.
    let (code, field) = refused(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": global(NodeType::Asset, Uuid::new_v4())}}),
    )
    .await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("BAD_USER_INPUT", Some("sampleAssetId"))
    );

    // The final costs 4.00; with 3.00 left the selection is refused and nothing moves.
    set_user_balance(&app, me.user, "3").await;
    let (code, _) = refused(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": sample}}),
    )
    .await;
    assert_eq!(code, "INSUFFICIENT_CREDITS");
    let still = read(&app, &me.token, &request_id).await;
    assert_eq!(still["status"], "AWAITING_SELECTION");
    assert_eq!(still["selectedSample"], Value::Null);
    assert_eq!(balance(&app, &me.token).await, d("3.00"));

    set_user_balance(&app, me.user, "9").await;
    let calls = (0..10).map(|_| {
        let app = &app;
        let token = me.token.clone();
        let variables =
            json!({"input": {"generationRequestId": request_id, "sampleAssetId": sample}});
        async move { app.graphql_as(&token, SELECT, variables).await }
    });
    let responses = join_all(calls).await;
    let mut won = 0;
    for response in &responses {
        match error_code(response) {
            None => won += 1,
            Some("CONFLICT") => {}
            Some(other) => panic!("unexpected {other}: {response}"),
        }
    }
    assert_eq!(won, 1, "one selection wins");
    assert_eq!(balance(&app, &me.token).await, d("5.00"));
    let request_uuid = uuid_of(&request_id);
    let finals = movements(
        &app,
        &format!("generation_request_id = '{request_uuid}' AND action_type = 'final_generation'"),
    )
    .await;
    assert_eq!(finals.len(), 1);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request_uuid}' AND phase = 'final'"
            )
        )
        .await,
        1
    );
    let done = wait_for(&app, &me.token, &request_id, "COMPLETED").await;
    assert_eq!(done["finalAsset"]["isFinal"], true);
    assert_eq!(balance(&app, &me.token).await, d("5.00"));
}

// ---------------------------------------------------------------------------
// 4. Faults
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_job_whose_worker_died_is_finished_once_by_another_worker() {
    let app = TestApp::spawn_with(&[("WORKERS", "0"), ("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let me = studio(&app, "lazarus@example.com").await;
    let created = request(
        &app,
        &me.token,
        input(
            &me.project,
            "A phoenix rising",
            json!({"sampleCount": 3, "resolution": "512x512", "format": "png"}),
        ),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);

    // A worker claimed the job and started the samples; its lease is still alive.
    exec(
        &app,
        &format!(
            "UPDATE generation_jobs SET status = 'running', locked_by = 'alive', \
                    lease_until = now() + interval '1 hour', attempts = 1 \
              WHERE generation_request_id = '{request_uuid}'; \
             UPDATE generation_requests SET status = 'ProcessingSamples' WHERE id = '{request_uuid}';"
        ),
    )
    .await;
    let workers = start_worker(&app);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let untouched = read(&app, &me.token, &request_id).await;
    assert_eq!(
        untouched["status"], "PROCESSING_SAMPLES",
        "a job under a live lease is not taken: {untouched}"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request_uuid}' AND locked_by = 'alive'"
            )
        )
        .await,
        1
    );

    // The worker dies: its lease lapses, and another worker takes the job over.
    exec(
        &app,
        &format!(
            "UPDATE generation_jobs SET locked_by = 'dead', lease_until = now() - interval '1 second' \
              WHERE generation_request_id = '{request_uuid}'"
        ),
    )
    .await;
    let awaiting = wait_for(&app, &me.token, &request_id, "AWAITING_SELECTION").await;
    assert_eq!(awaiting["samples"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}'"
            )
        )
        .await,
        3,
        "no duplicate samples"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request_uuid}' \
                 AND status = 'done' AND attempts = 2 AND locked_by <> 'dead'"
            )
        )
        .await,
        1,
        "the job was claimed once more and finished"
    );
    // It stays finished.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = read(&app, &me.token, &request_id).await;
    assert_eq!(later["status"], "AWAITING_SELECTION");
    let debits = movements(&app, &format!("generation_request_id = '{request_uuid}'")).await;
    assert_eq!(
        summary(&debits),
        vec![("sample_generation".into(), d("-1.00"))]
    );
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    assert_eq!(
        usage_actions(&app, request_uuid)
            .await
            .iter()
            .filter(|(a, _)| a == "sample_generation_completed")
            .count(),
        1
    );
    workers.abort();
}

#[tokio::test]
async fn a_provider_that_keeps_failing_fails_the_request_with_a_refund() {
    let app =
        TestApp::spawn_with(&[("GENERATION_MAX_ATTEMPTS", "2"), ("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let model = insert_model(
        &app,
        "Unreachable",
        json!({
            "provider": "http",
            "endpoint": "http://127.0.0.1:1",
            "creditCost": {"sample": "1.00", "final": "4.00"},
            "resolutions": ["64x64"],
            "formats": ["png"],
            "attempts": 1,
            "timeoutSeconds": 1
        }),
    )
    .await;
    let me = studio(&app, "unlucky@example.com").await;
    let created = request(
        &app,
        &me.token,
        json!({"input": {
            "projectId": me.project,
            "inputPrompt": "Anything at all",
            "aiModelId": model,
            "inputParameters": {"sampleCount": 1, "resolution": "64x64", "format": "png"},
        }}),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    assert_eq!(balance(&app, &me.token).await, d("9.00"));

    let failed = wait_for(&app, &me.token, &request_id, "FAILED").await;
    let message = failed["errorMessage"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{failed}");
    assert_eq!(failed["samples"], json!([]));
    assert!(failed["completedAt"].is_string());
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request_uuid}' \
                 AND status = 'failed' AND attempts = 2"
            )
        )
        .await,
        1,
        "tried GENERATION_MAX_ATTEMPTS times"
    );
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    let ledger = movements(&app, &format!("generation_request_id = '{request_uuid}'")).await;
    assert_eq!(
        summary(&ledger),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("refund".into(), d("1.00")),
        ]
    );
    let all = movements(&app, &format!("user_id = '{}'", me.user)).await;
    assert_eq!(all.iter().map(|m| m.amount).sum::<Decimal>(), d("10.00"));

    let notes = ok(
        &app,
        &me.token,
        "{ notifications(first: 50) { nodes { type metadata } } }",
        json!({}),
    )
    .await;
    let failures: Vec<&Value> = notes["notifications"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["type"] == "generation_failed")
        .collect();
    assert_eq!(failures.len(), 1, "{notes}");
    // Later sweeps or retries change nothing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    assert_eq!(
        movements(&app, &format!("generation_request_id = '{request_uuid}'"))
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_blocked_prompt_is_rejected_and_refunded() {
    let app = TestApp::spawn_with(&[("CONTENT_BLOCKLIST", "forbiddenword, otherterm")]).await;
    app.seed_demo().await;
    let me = studio(&app, "blocked@example.com").await;
    let in_prompt = request(
        &app,
        &me.token,
        input(
            &me.project,
            "A poster of the ForbiddenWord, please",
            json!({"sampleCount": 2}),
        ),
    )
    .await;
    let mut in_style = input(&me.project, "A harmless meadow", json!({"sampleCount": 1}));
    in_style["input"]["styleGuidance"] = json!("in the manner of otherterm");
    let in_style = request(&app, &me.token, in_style).await;

    for created in [&in_prompt, &in_style] {
        let request_id = id(&created["id"]);
        let rejected = wait_for(&app, &me.token, &request_id, "CONTENT_REJECTED").await;
        assert!(
            !rejected["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{rejected}"
        );
        assert_eq!(rejected["samples"], json!([]), "nothing was generated");
        let request_uuid = uuid_of(&request_id);
        assert_eq!(
            count(
                &app,
                &format!(
                    "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}'"
                )
            )
            .await,
            0
        );
        assert_eq!(
            summary(&movements(&app, &format!("generation_request_id = '{request_uuid}'")).await),
            vec![
                ("sample_generation".into(), d("-1.00")),
                ("refund".into(), d("1.00")),
            ]
        );
    }
    assert_eq!(balance(&app, &me.token).await, d("10.00"));

    // A word that merely contains a blocked one is fine.
    let fine = request(
        &app,
        &me.token,
        input(
            &me.project,
            "forbiddenwords are just letters",
            json!({"sampleCount": 1}),
        ),
    )
    .await;
    wait_for(&app, &me.token, &id(&fine["id"]), "AWAITING_SELECTION").await;
}

#[tokio::test]
async fn cancelling_refunds_exactly_what_was_not_delivered() {
    let app = TestApp::spawn_with(&[("WORKERS", "0"), ("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let me = studio(&app, "cancel@example.com").await;
    let mine = format!("user_id = '{}'", me.user);
    let refunded_before = app.metric("atelier_credits_refunded_total").await;

    // Pending: the samples are refunded, once.
    let pending = request(
        &app,
        &me.token,
        input(&me.project, "Never mind", json!({"sampleCount": 2})),
    )
    .await;
    let pending_id = id(&pending["id"]);
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    let cancelled = ok(&app, &me.token, CANCEL, json!({"id": pending_id})).await;
    let cancelled = &cancelled["cancelGeneration"]["generationRequest"];
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
    assert!(cancelled["completedAt"].is_string());
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    let refunded = app.metric("atelier_credits_refunded_total").await - refunded_before;
    assert_eq!(refunded, d("1.00"), "the refund is counted: {refunded}");
    let (code, _) = refused(&app, &me.token, CANCEL, json!({"id": pending_id})).await;
    assert_eq!(code, "CONFLICT", "a second cancel");
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    let pending_uuid = uuid_of(&pending_id);
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{pending_uuid}'")).await),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("refund".into(), d("1.00")),
        ]
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{pending_uuid}' AND status IN ('queued', 'running')"
            )
        )
        .await,
        0,
        "its job is called off"
    );

    // Ten simultaneous cancels: one refund.
    let racing = request(
        &app,
        &me.token,
        input(&me.project, "Race to cancel", json!({"sampleCount": 1})),
    )
    .await;
    let racing_id = id(&racing["id"]);
    let calls = (0..10).map(|_| {
        let app = &app;
        let token = me.token.clone();
        let variables = json!({"id": racing_id});
        async move { app.graphql_as(&token, CANCEL, variables).await }
    });
    for response in join_all(calls).await {
        match error_code(&response) {
            None => assert_eq!(
                response["data"]["cancelGeneration"]["generationRequest"]["status"],
                "CANCELLED"
            ),
            Some("CONFLICT") => {}
            Some(other) => panic!("unexpected {other}: {response}"),
        }
    }
    let racing_uuid = uuid_of(&racing_id);
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{racing_uuid}'")).await),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("refund".into(), d("1.00")),
        ]
    );
    assert_eq!(balance(&app, &me.token).await, d("10.00"));

    // Awaiting selection: the samples were delivered, so nothing is refunded.
    let delivered = request(
        &app,
        &me.token,
        input(
            &me.project,
            "Keep the samples",
            json!({"sampleCount": 1, "resolution": "512x512"}),
        ),
    )
    .await;
    let delivered_id = id(&delivered["id"]);
    let workers = start_worker(&app);
    let awaiting = wait_for(&app, &me.token, &delivered_id, "AWAITING_SELECTION").await;
    let cancelled = ok(&app, &me.token, CANCEL, json!({"id": delivered_id})).await;
    assert_eq!(
        cancelled["cancelGeneration"]["generationRequest"]["status"],
        "CANCELLED"
    );
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    let delivered_uuid = uuid_of(&delivered_id);
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{delivered_uuid}'")).await),
        vec![("sample_generation".into(), d("-1.00"))]
    );
    // The samples stay the user's.
    let after = read(&app, &me.token, &delivered_id).await;
    assert_eq!(after["samples"].as_array().map(Vec::len), Some(1));
    let (code, _) = refused(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": delivered_id, "sampleAssetId": awaiting["samples"][0]["id"]}}),
    )
    .await;
    assert_eq!(code, "CONFLICT", "a cancelled request takes no selection");
    assert_eq!(balance(&app, &me.token).await, d("9.00"));

    // Processing the final: the final is refunded, the samples are not.
    let finalising = request(
        &app,
        &me.token,
        input(
            &me.project,
            "Stop the final",
            json!({"sampleCount": 1, "resolution": "512x512"}),
        ),
    )
    .await;
    let finalising_id = id(&finalising["id"]);
    let awaiting = wait_for(&app, &me.token, &finalising_id, "AWAITING_SELECTION").await;
    workers.stop(Duration::from_secs(20)).await;
    ok(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": finalising_id, "sampleAssetId": awaiting["samples"][0]["id"]}}),
    )
    .await;
    assert_eq!(balance(&app, &me.token).await, d("4.00"));
    let cancelled = ok(&app, &me.token, CANCEL, json!({"id": finalising_id})).await;
    assert_eq!(
        cancelled["cancelGeneration"]["generationRequest"]["status"],
        "CANCELLED"
    );
    assert_eq!(balance(&app, &me.token).await, d("8.00"));
    let finalising_uuid = uuid_of(&finalising_id);
    assert_eq!(
        summary(
            &movements(
                &app,
                &format!("generation_request_id = '{finalising_uuid}'")
            )
            .await
        ),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("final_generation".into(), d("-4.00")),
            ("refund".into(), d("4.00")),
        ]
    );

    // Every cent is accounted for.
    let ledger = movements(&app, &mine).await;
    assert_eq!(
        ledger.iter().map(|m| m.amount).sum::<Decimal>(),
        balance(&app, &me.token).await
    );
    // Cancelling is the user's own doing: no failure notification.
    let notes = ok(
        &app,
        &me.token,
        "{ notifications(first: 50) { nodes { type } } }",
        json!({}),
    )
    .await;
    assert!(
        notes["notifications"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|n| n["type"] != "generation_failed"),
        "{notes}"
    );
}

#[tokio::test]
async fn a_phase_past_its_deadline_fails_with_a_refund_even_if_its_worker_hangs() {
    let app = TestApp::spawn_with(&[
        ("WORKERS", "0"),
        ("GENERATION_PHASE_DEADLINE_SECONDS", "1"),
        ("SWEEP_INTERVAL_MS", "100"),
    ])
    .await;
    app.seed_demo().await;
    let me = studio(&app, "slowpoke@example.com").await;
    let created = request(
        &app,
        &me.token,
        input(&me.project, "Take your time", json!({"sampleCount": 2})),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    let deadline =
        chrono::DateTime::parse_from_rfc3339(created["phaseDeadline"].as_str().expect("deadline"))
            .expect("RFC 3339");
    let made =
        chrono::DateTime::parse_from_rfc3339(created["createdAt"].as_str().expect("createdAt"))
            .expect("RFC 3339");
    let span = (deadline - made).num_milliseconds();
    assert!(
        (500..=3000).contains(&span),
        "the phase deadline is about 1 s after the request: {span} ms"
    );

    // A worker took the job and hangs, heart-beating forever.
    exec(
        &app,
        &format!(
            "UPDATE generation_jobs SET status = 'running', locked_by = 'hung', \
                    lease_until = now() + interval '1 hour', attempts = 1 \
              WHERE generation_request_id = '{request_uuid}'; \
             UPDATE generation_requests SET status = 'ProcessingSamples' WHERE id = '{request_uuid}';"
        ),
    )
    .await;
    let workers = start_worker(&app);
    let failed = wait_for(&app, &me.token, &request_id, "FAILED").await;
    assert!(
        !failed["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{failed}"
    );
    assert_eq!(failed["phaseDeadline"], Value::Null);
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{request_uuid}'")).await),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("refund".into(), d("1.00")),
        ],
        "refunded once, however many sweeps ran"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request_uuid}' AND status = 'failed'"
            )
        )
        .await,
        1
    );
    let notes = ok(
        &app,
        &me.token,
        "{ notifications(first: 50) { nodes { type } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        notes["notifications"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .filter(|n| n["type"] == "generation_failed")
            .count(),
        1
    );
    workers.abort();
}

/// A fake OpenAI-compatible images service: answers a PNG of the requested size
/// (a different colour each call); optionally 500 to its first call, and
/// optionally holding each call until the test releases it.
struct FakeImages {
    fail_first: bool,
    calls: AtomicUsize,
    bodies: Mutex<Vec<Value>>,
    served: Mutex<Vec<Vec<u8>>>,
    hold: AtomicBool,
    release: tokio::sync::Semaphore,
}

impl FakeImages {
    fn new(fail_first: bool) -> Arc<Self> {
        Arc::new(Self {
            fail_first,
            calls: AtomicUsize::new(0),
            bodies: Mutex::new(Vec::new()),
            served: Mutex::new(Vec::new()),
            hold: AtomicBool::new(false),
            release: tokio::sync::Semaphore::new(0),
        })
    }

    fn calls(&self) -> usize {
        AtomicUsize::load(&self.calls, Ordering::SeqCst)
    }

    fn served(&self) -> Vec<Vec<u8>> {
        self.served.lock().expect("lock").clone()
    }

    /// Serves on a free port of 127.0.0.1; returns the endpoint.
    async fn start(self: &Arc<Self>) -> String {
        let router = axum::Router::new()
            .route(
                "/v1/images/generations",
                axum::routing::post(fake_generations),
            )
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        format!("http://{address}")
    }
}

async fn fake_generations(
    axum::extract::State(fake): axum::extract::State<Arc<FakeImages>>,
    axum::Json(body): axum::Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let call = fake.calls.fetch_add(1, Ordering::SeqCst);
    fake.bodies.lock().expect("lock").push(body.clone());
    if fake.fail_first && call == 0 {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "the GPU caught fire",
        )
            .into_response();
    }
    if AtomicBool::load(&fake.hold, Ordering::SeqCst) {
        if let Ok(permit) = fake.release.acquire().await {
            permit.forget();
        }
    }
    let (w, h) = body["size"]
        .as_str()
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .unwrap_or((64, 64));
    let shade = (call as u8).wrapping_mul(40);
    let picture = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("encode");
    let png = png.into_inner();
    fake.served.lock().expect("lock").push(png.clone());
    axum::Json(json!({"created": 0, "data": [{"b64_json": STANDARD.encode(&png)}]})).into_response()
}

/// The parameters of an image model served by the fake at `endpoint`.
fn fake_model(endpoint: &str) -> Value {
    json!({
        "provider": "http",
        "endpoint": endpoint,
        "model": "fake-image-1",
        "creditCost": {"sample": "1.00", "final": "4.00"},
        "resolutions": ["64x64"],
        "formats": ["png"],
        "attempts": 1,
        "timeoutSeconds": 20
    })
}

fn fake_input(project: &str, model: &str, prompt: &str, samples: i64) -> Value {
    json!({"input": {
        "projectId": project,
        "inputPrompt": prompt,
        "aiModelId": model,
        "inputParameters": {"sampleCount": samples, "resolution": "64x64", "format": "png"},
    }})
}

/// Waits until the fake has received `n` calls.
async fn wait_for_calls(fake: &FakeImages, n: usize) {
    let started = Instant::now();
    while fake.calls() < n {
        assert!(
            started.elapsed() < WAIT,
            "the service got {} calls, not {n}",
            fake.calls()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the fake has answered `n` images.
async fn wait_for_served(fake: &FakeImages, n: usize) {
    let started = Instant::now();
    while fake.served().len() < n {
        assert!(
            started.elapsed() < WAIT,
            "the service answered fewer than {n} images"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until no job of the request is held by a worker any more.
async fn wait_for_jobs_settled(app: &TestApp, request: Uuid) {
    let started = Instant::now();
    loop {
        let held = count(
            app,
            &format!(
                "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request}' \
                 AND lease_until IS NOT NULL"
            ),
        )
        .await;
        if held == 0 {
            return;
        }
        assert!(started.elapsed() < WAIT, "a job of {request} is still held");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_http_provider_retries_and_stores_exactly_what_the_service_returned() {
    let fake = FakeImages::new(true);
    let endpoint = fake.start().await;

    let app = TestApp::spawn_with(&[("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let model = insert_model(
        &app,
        "Fake Cloud",
        json!({
            "provider": "http",
            "endpoint": endpoint,
            "model": "fake-image-1",
            "creditCost": {"sample": "1.00", "final": "4.00"},
            "resolutions": ["64x64"],
            "formats": ["png"],
            "attempts": 1,
            "timeoutSeconds": 10
        }),
    )
    .await;
    let me = studio(&app, "cloud@example.com").await;
    let created = request(
        &app,
        &me.token,
        json!({"input": {
            "projectId": me.project,
            "inputPrompt": "A cloud shaped like a cat",
            "styleGuidance": "pastel",
            "aiModelId": model,
            "inputParameters": {"sampleCount": 2, "resolution": "64x64", "format": "png"},
        }}),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);

    let awaiting = wait_for(&app, &me.token, &request_id, "AWAITING_SELECTION").await;
    assert_eq!(fake.calls(), 3, "one failure, then two samples");
    let samples = awaiting["samples"].as_array().expect("samples").clone();
    assert_eq!(samples.len(), 2);
    let served = fake.served();
    for (i, sample) in samples.iter().enumerate() {
        assert_eq!(sample["resolution"], "64x64");
        assert_eq!(sample["format"], "png");
        let bytes = download(&app, sample).await;
        assert_eq!(
            bytes, served[i],
            "sample {i} is the service's image, byte for byte"
        );
    }
    {
        let bodies = fake.bodies.lock().expect("lock");
        for body in bodies.iter() {
            assert_eq!(body["size"], "64x64", "{body}");
            assert_eq!(body["model"], "fake-image-1", "{body}");
            assert_eq!(body["response_format"], "b64_json", "{body}");
            let prompt = body["prompt"].as_str().unwrap_or_default();
            assert!(
                prompt.contains("A cloud shaped like a cat") && prompt.contains("pastel"),
                "{body}"
            );
        }
    }
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}'"
            )
        )
        .await,
        2,
        "the retry made no duplicates"
    );
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{request_uuid}'")).await),
        vec![("sample_generation".into(), d("-1.00"))],
        "the retry charged nothing more"
    );

    // The final comes from the service too.
    ok(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": samples[1]["id"]}}),
    )
    .await;
    let done = wait_for(&app, &me.token, &request_id, "COMPLETED").await;
    assert_eq!(fake.calls(), 4);
    let final_bytes = download(&app, &done["finalAsset"]).await;
    let served = fake.served();
    assert_eq!(final_bytes, served[2]);
    assert_eq!(done["finalAsset"]["resolution"], "64x64");
    assert_eq!(balance(&app, &me.token).await, d("5.00"));
}

/// Live (not deleted) assets of a request: (samples, finals).
async fn live_assets(app: &TestApp, request: Uuid) -> (i64, i64) {
    let of = |finals: bool| {
        format!(
            "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request}' \
             AND deleted_at IS NULL AND is_final = {finals}"
        )
    };
    (count(app, &of(false)).await, count(app, &of(true)).await)
}

#[tokio::test]
async fn cancelling_while_the_final_is_made_leaves_no_unpaid_final() {
    let fake = FakeImages::new(false);
    let endpoint = fake.start().await;
    let app = TestApp::spawn_with(&[("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let model = insert_model(&app, "Slow Cloud", fake_model(&endpoint)).await;
    let me = studio(&app, "sneaky@example.com").await;
    let created = request(
        &app,
        &me.token,
        fake_input(&me.project, &model, "A free lunch", 1),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    let awaiting = wait_for(&app, &me.token, &request_id, "AWAITING_SELECTION").await;

    // The service takes its time with the final; the user cancels meanwhile.
    fake.hold.store(true, Ordering::SeqCst);
    ok(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": awaiting["samples"][0]["id"]}}),
    )
    .await;
    wait_for_calls(&fake, 2).await;
    let cancelled = ok(&app, &me.token, CANCEL, json!({"id": request_id})).await;
    assert_eq!(
        cancelled["cancelGeneration"]["generationRequest"]["status"],
        "CANCELLED"
    );
    assert_eq!(
        balance(&app, &me.token).await,
        d("9.00"),
        "the final is refunded"
    );

    // The service answers after all; the worker must not hand out the final.
    fake.release.add_permits(1);
    wait_for_served(&fake, 2).await;
    wait_for_jobs_settled(&app, request_uuid).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = read(&app, &me.token, &request_id).await;
    assert_eq!(after["status"], "CANCELLED");
    assert_eq!(after["finalAsset"], Value::Null);
    assert_eq!(
        live_assets(&app, request_uuid).await,
        (1, 0),
        "the sample stays (it was paid for); no final was paid for, so none may be kept"
    );
    let project_assets = ok(
        &app,
        &me.token,
        "query($id: ID!) { project(id: $id) { assets(first: 50) { nodes { id isFinal } } } }",
        json!({"id": me.project}),
    )
    .await;
    assert!(
        project_assets["project"]["assets"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|a| a["isFinal"] == false),
        "no unpaid final in the project: {project_assets}"
    );
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
}

#[tokio::test]
async fn cancelling_while_samples_are_made_leaves_no_unpaid_samples() {
    let fake = FakeImages::new(false);
    let endpoint = fake.start().await;
    let app = TestApp::spawn_with(&[("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let model = insert_model(&app, "Slow Cloud", fake_model(&endpoint)).await;
    let me = studio(&app, "sneaky-samples@example.com").await;
    fake.hold.store(true, Ordering::SeqCst);
    let created = request(
        &app,
        &me.token,
        fake_input(&me.project, &model, "Free samples", 2),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    wait_for_calls(&fake, 1).await;
    let cancelled = ok(&app, &me.token, CANCEL, json!({"id": request_id})).await;
    assert_eq!(
        cancelled["cancelGeneration"]["generationRequest"]["status"],
        "CANCELLED"
    );
    assert_eq!(
        balance(&app, &me.token).await,
        d("10.00"),
        "the samples are refunded"
    );

    // The service answers every call it still gets.
    fake.hold.store(false, Ordering::SeqCst);
    fake.release.add_permits(10);
    wait_for_served(&fake, 1).await;
    wait_for_jobs_settled(&app, request_uuid).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = read(&app, &me.token, &request_id).await;
    assert_eq!(after["status"], "CANCELLED");
    assert_eq!(after["samples"], json!([]));
    assert_eq!(
        live_assets(&app, request_uuid).await,
        (0, 0),
        "refunded samples may not be kept"
    );
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
}

// ---------------------------------------------------------------------------
// 5. The state machine in the database
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_database_refuses_illegal_status_changes() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    app.seed_demo().await;
    let me = studio(&app, "machine@example.com").await;
    let first = uuid_of(&id(&request(
        &app,
        &me.token,
        input(&me.project, "One", json!({"sampleCount": 1})),
    )
    .await["id"]));
    let second = uuid_of(&id(&request(
        &app,
        &me.token,
        input(&me.project, "Two", json!({"sampleCount": 1})),
    )
    .await["id"]));

    // The legal path, step by step, by SQL.
    for status in [
        "ProcessingSamples",
        "AwaitingSelection",
        "ProcessingFinal",
        "Completed",
    ] {
        exec(
            &app,
            &format!("UPDATE generation_requests SET status = '{status}' WHERE id = '{first}'"),
        )
        .await;
    }
    let refused_sql = |sql: String| {
        let app = &app;
        async move {
            let mut conn = app.db.conn().await;
            let error = conn
                .batch_execute(&sql)
                .await
                .expect_err(&format!("the database must refuse: {sql}"));
            error.to_string()
        }
    };
    for to in ["Pending", "ProcessingFinal", "Failed", "Cancelled"] {
        let message = refused_sql(format!(
            "UPDATE generation_requests SET status = '{to}' WHERE id = '{first}'"
        ))
        .await;
        assert!(message.contains("Completed"), "{to}: {message}");
    }
    // Skipping steps is refused too, and so is starting anywhere but Pending.
    for to in ["Completed", "AwaitingSelection", "ProcessingFinal"] {
        refused_sql(format!(
            "UPDATE generation_requests SET status = '{to}' WHERE id = '{second}'"
        ))
        .await;
    }
    refused_sql(format!(
        "INSERT INTO generation_requests (user_id, project_id, input_prompt, status) \
         SELECT user_id, project_id, 'forged', 'Completed' FROM generation_requests WHERE id = '{second}'"
    ))
    .await;
    let statuses = ok(
        &app,
        &me.token,
        "query($a: ID!, $b: ID!) { a: generationRequest(id: $a) { status } b: generationRequest(id: $b) { status } }",
        json!({"a": global(NodeType::GenerationRequest, first), "b": global(NodeType::GenerationRequest, second)}),
    )
    .await;
    assert_eq!(statuses["a"]["status"], "COMPLETED");
    assert_eq!(statuses["b"]["status"], "PENDING");
}

#[tokio::test]
async fn the_pipeline_writes_nothing_for_a_request_that_left_the_expected_status() {
    use atelier::generation::model::{GenerationStatus, JobPhase};
    use atelier::generation::pipeline::{self, Charge, Effects};

    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    app.seed_demo().await;
    let me = studio(&app, "pipeline@example.com").await;
    let request_id = uuid_of(&id(&request(
        &app,
        &me.token,
        input(&me.project, "Stay put", json!({"sampleCount": 1})),
    )
    .await["id"]));
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    let mut conn = app.app.db.conn().await.expect("a connection");

    // Still Pending, not AwaitingSelection: the final is neither charged nor queued.
    let charge_final = || Effects {
        charge: Some(Charge {
            phase: JobPhase::Final,
            actor: me.user,
            description: "Final image".into(),
        }),
        enqueue: Some(JobPhase::Final),
        ..Default::default()
    };
    let outcome = pipeline::transition(
        &mut conn,
        request_id,
        &[GenerationStatus::AwaitingSelection],
        GenerationStatus::ProcessingFinal,
        charge_final(),
    )
    .await
    .expect("the transition runs");
    assert!(outcome.is_none(), "{outcome:?}");
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    let jobs = format!(
        "SELECT count(*) AS n FROM generation_jobs WHERE generation_request_id = '{request_id}'"
    );
    assert_eq!(count(&app, &jobs).await, 1, "only the samples job");

    // A move the state table lacks is refused before anything is written.
    let skipped = pipeline::transition(
        &mut conn,
        request_id,
        &[GenerationStatus::Pending],
        GenerationStatus::ProcessingFinal,
        charge_final(),
    )
    .await;
    assert_eq!(
        skipped.map(|o| o.is_some()).map_err(|e| e.code()),
        Err("INTERNAL_SERVER_ERROR")
    );
    assert_eq!(balance(&app, &me.token).await, d("9.00"));
    assert_eq!(count(&app, &jobs).await, 1);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM generation_requests WHERE id = '{request_id}' AND status = 'Pending' AND final_charged_at IS NULL")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_hung_provider_blocks_no_other_request_and_its_calls_end_at_their_timeout() {
    // Accepts connections and reads them, never answers.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", hung.local_addr().expect("address"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = hung.accept().await {
            open.push(socket);
        }
    });
    let app =
        TestApp::spawn_with(&[("GENERATION_MAX_ATTEMPTS", "1"), ("WORKER_POLL_MS", "50")]).await;
    app.seed_demo().await;
    let model = insert_model(
        &app,
        "Hung",
        json!({
            "provider": "http",
            "endpoint": endpoint,
            "creditCost": {"sample": "1.00", "final": "4.00"},
            "resolutions": ["64x64"],
            "formats": ["png"],
            "attempts": 1,
            "timeoutSeconds": 3
        }),
    )
    .await;
    let me = studio(&app, "patient@example.com").await;
    let mut ids = Vec::new();
    for prompt in ["First of two", "Second of two"] {
        let created = request(
            &app,
            &me.token,
            json!({"input": {
                "projectId": me.project,
                "inputPrompt": prompt,
                "aiModelId": model,
                "inputParameters": {"sampleCount": 1, "resolution": "64x64", "format": "png"},
            }}),
        )
        .await;
        ids.push(id(&created["id"]));
    }
    // Both workers now wait on the hung service; everything else still answers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let body = ok(&app, &me.token, "{ me { id email } }", json!({})).await;
        assert_eq!(body["me"]["email"], "patient@example.com");
        let read = read(&app, &me.token, &ids[0]).await;
        assert!(read["status"].is_string(), "{read}");
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest < Duration::from_secs(1), "slowest {slowest:?}");
    assert_eq!(balance(&app, &me.token).await, d("8.00"));

    // Each call ends at its timeout: both requests fail and are refunded.
    for request_id in &ids {
        let failed = wait_for(&app, &me.token, request_id, "FAILED").await;
        assert!(failed["errorMessage"].is_string(), "{failed}");
        let ledger = movements(
            &app,
            &format!("generation_request_id = '{}'", uuid_of(request_id)),
        )
        .await;
        assert_eq!(
            summary(&ledger),
            vec![
                ("sample_generation".into(), d("-1.00")),
                ("refund".into(), d("1.00")),
            ]
        );
    }
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    held.abort();
}

#[tokio::test]
async fn after_five_failures_in_a_row_a_provider_is_not_called_until_its_circuit_closes() {
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", hung.local_addr().expect("address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = hung.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            open.push(socket);
        }
    });
    let app = TestApp::spawn_with(&[
        ("GENERATION_MAX_ATTEMPTS", "1"),
        ("WORKER_POLL_MS", "50"),
        ("WORKERS", "1"),
    ])
    .await;
    app.seed_demo().await;
    let model = insert_model(
        &app,
        "Flaky",
        json!({
            "provider": "http",
            "endpoint": endpoint,
            "creditCost": {"sample": "1.00", "final": "4.00"},
            "resolutions": ["64x64"],
            "formats": ["png"],
            "attempts": 1,
            "timeoutSeconds": 1
        }),
    )
    .await;
    let me = studio(&app, "breaker@example.com").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let created = request(
            &app,
            &me.token,
            json!({"input": {
                "projectId": me.project,
                "inputPrompt": format!("Attempt number {i}"),
                "aiModelId": model,
                "inputParameters": {"sampleCount": 1, "resolution": "64x64", "format": "png"},
            }}),
        )
        .await;
        ids.push(id(&created["id"]));
    }
    let started = Instant::now();
    for request_id in &ids {
        wait_for(&app, &me.token, request_id, "FAILED").await;
    }
    assert_eq!(
        AtomicUsize::load(&accepted, Ordering::SeqCst),
        5,
        "the last two failed without calling the provider"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(balance(&app, &me.token).await, d("10.00"), "all refunded");
    held.abort();
}
