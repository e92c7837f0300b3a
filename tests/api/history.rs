//! The history a user expects: their generations, a project's, credit
//! transactions and usage of a user and of a team, as connections newest first,
//! each costing the same statements whatever the page size, and the partitioned
//! ledger pruned to the months a date range covers.

use atelier::graphql::id::{GlobalId, NodeType};
use serde_json::{json, Value};

use crate::helpers::error_code;
use crate::registry::Registry;

/// A team of the member's with a project, and rows of every history: 60 each.
async fn fixture() -> (Registry, String, String, String) {
    let r = Registry::start_with(&[("WORKERS", "0")]).await;
    let team = r
        .app
        .graphql_as(
            &r.member,
            "mutation { createTeam(input: {name: \"History\"}) { team { id } } }",
            json!({}),
        )
        .await["data"]["createTeam"]["team"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let bench = r
        .app
        .graphql_as(
            &r.member,
            "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
            json!({"input": {"name": "Bench", "teamId": team}}),
        )
        .await;
    let project = r
        .app
        .graphql_as(
            &r.member,
            "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
            json!({"input": {"workbenchId": bench["data"]["createWorkbench"]["workbench"]["id"], "name": "P"}}),
        )
        .await["data"]["createProject"]["project"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let member = r
        .app
        .graphql_as(&r.member, "query { me { id } }", json!({}))
        .await["data"]["me"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let raw = |id: &str, node: NodeType| -> String {
        GlobalId::decode_uuid(&async_graphql::ID(id.to_string()), node, "id")
            .map(|u| u.to_string())
            .unwrap_or_else(|e| panic!("{id}: {e:?}"))
    };
    let (team_key, project_key, user_key) = (
        raw(&team, NodeType::Team),
        raw(&project, NodeType::Project),
        raw(&member, NodeType::User),
    );
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = r.app.db.conn().await;
        conn.batch_execute(&format!(
            "INSERT INTO generation_requests (user_id, project_id, team_id, input_prompt, created_at)
               SELECT '{user_key}', '{project_key}', '{team_key}', 'p' || i, now() - i * interval '1 hour'
                 FROM generate_series(1, 60) i;
             UPDATE generation_requests SET status = 'Failed' WHERE input_prompt IN ('p1', 'p2', 'p3');
             INSERT INTO credit_transactions (user_id, team_id, amount, action_type, created_at)
               SELECT '{user_key}', CASE WHEN i % 2 = 0 THEN '{team_key}'::uuid END, -1, 
                      CASE WHEN i % 3 = 0 THEN 'refund' ELSE 'sample_generation' END,
                      now() - i * interval '1 hour'
                 FROM generate_series(1, 120) i;
             INSERT INTO usage_logs (user_id, team_id, action_type, \"timestamp\")
               SELECT '{user_key}', CASE WHEN i % 2 = 0 THEN '{team_key}'::uuid END,
                      CASE WHEN i % 3 = 0 THEN 'asset_uploaded' ELSE 'sample_generation_initiated' END,
                      now() - i * interval '1 hour'
                 FROM generate_series(1, 120) i;"
        ))
        .await
        .expect("history rows");
    }
    (r, team, project, member)
}

const CONNECTIONS: [(&str, &str); 6] = [
    ("myGenerationRequests", "query($n: Int) { myGenerationRequests(first: $n) { totalCount edges { node { id inputPrompt } } } }"),
    ("project", "query($n: Int, $project: ID!) { project(id: $project) { generationRequests(first: $n) { totalCount edges { node { id } } } } }"),
    ("me", "query($n: Int) { me { creditTransactions(first: $n) { totalCount edges { node { id amount } } } } }"),
    ("team", "query($n: Int, $team: ID!) { team(id: $team) { creditTransactions(first: $n) { totalCount edges { node { id } } } } }"),
    ("myUsage", "query($n: Int) { myUsage(first: $n) { totalCount edges { node { id actionType } } } }"),
    ("teamUsage", "query($n: Int, $team: ID!) { team(id: $team) { usage(first: $n) { totalCount edges { node { id } } } } }"),
];

fn connection_of<'a>(name: &str, data: &'a Value) -> &'a Value {
    match name {
        "project" => &data["project"]["generationRequests"],
        "me" => &data["me"]["creditTransactions"],
        "team" => &data["team"]["creditTransactions"],
        "teamUsage" => &data["team"]["usage"],
        other => &data[other],
    }
}

#[tokio::test]
async fn each_history_connection_costs_a_fixed_number_of_statements_whatever_its_page_size() {
    let (r, team, project, _) = fixture().await;
    for (name, query) in CONNECTIONS {
        let mut costs = Vec::new();
        let mut totals = Vec::new();
        for n in [5, 50] {
            let before = r.app.statements();
            let response = r
                .app
                .graphql_as(
                    &r.member,
                    query,
                    json!({"n": n, "team": team, "project": project}),
                )
                .await;
            costs.push(r.app.statements() - before);
            assert!(response["errors"].is_null(), "{name}: {response}");
            let connection = connection_of(name, &response["data"]);
            assert_eq!(
                connection["edges"].as_array().map(Vec::len),
                Some(n),
                "{name}"
            );
            // 60 rows of each, plus the sign-up's own grant and usage rows.
            assert!(
                connection["totalCount"].as_i64() >= Some(60),
                "{name}: {connection}"
            );
            totals.push(connection["totalCount"].clone());
        }
        println!(
            "{name}: {} statements for 5 rows, {} for 50",
            costs[0], costs[1]
        );
        assert_eq!(
            costs[0], costs[1],
            "{name}: the statements grow with the page"
        );
        assert_eq!(totals[0], totals[1], "{name}");
    }
}

#[tokio::test]
async fn histories_are_newest_first_filtered_and_private() {
    let (r, team, project, member) = fixture().await;
    let mine = r
        .app
        .graphql_as(
            &r.member,
            "query($project: ID!) { myGenerationRequests(first: 3, filter: {projectId: $project}) { edges { node { inputPrompt } } } }",
            json!({"project": project}),
        )
        .await;
    let prompts: Vec<&str> = mine["data"]["myGenerationRequests"]["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["node"]["inputPrompt"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(prompts, ["p1", "p2", "p3"], "newest first");
    let failed = r
        .app
        .graphql_as(
            &r.member,
            "query { myGenerationRequests(filter: {status: FAILED}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(failed["data"]["myGenerationRequests"]["totalCount"], 3);
    let recent = r
        .app
        .graphql_as(
            &r.member,
            "query($since: DateTime!, $team: ID!) { team(id: $team) { creditTransactions(filter: {actionType: \"refund\", since: $since}) { totalCount } } }",
            json!({"team": team, "since": (chrono::Utc::now() - chrono::Duration::minutes(24 * 60 + 30)).to_rfc3339()}),
        )
        .await;
    // Team rows are the even hours; refunds every third: hours 6, 12, 18, 24.
    assert_eq!(
        recent["data"]["team"]["creditTransactions"]["totalCount"], 4,
        "{recent}"
    );
    let bad = r
        .app
        .graphql_as(
            &r.member,
            "query { myUsage(filter: {since: \"2026-02-01T00:00:00Z\", until: \"2026-01-01T00:00:00Z\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"));
    assert_eq!(bad["errors"][0]["extensions"]["field"], "until");

    // Someone else's credit history is not theirs to read; a platform admin's it is.
    const THEIRS: &str = "query($id: ID!) { user(id: $id) { creditTransactions { totalCount } } }";
    let stranger = r
        .app
        .sign_up("stranger@example.test", "stranger-password")
        .await
        .0;
    let other = r
        .app
        .graphql_as(&stranger, THEIRS, json!({"id": member}))
        .await;
    assert!(
        other["data"]["user"]["creditTransactions"].is_null(),
        "{other}"
    );
    let admin = r.admin(THEIRS, json!({"id": member})).await;
    // 60 personal rows (the odd hours) and the sign-up grant.
    assert_eq!(
        admin["data"]["user"]["creditTransactions"]["totalCount"],
        61
    );
    let team_of_others = r
        .app
        .graphql_as(
            &stranger,
            "query($id: ID!) { team(id: $id) { usage { totalCount } } }",
            json!({"id": team}),
        )
        .await;
    assert!(team_of_others["data"]["team"].is_null());
}

#[tokio::test]
async fn a_date_range_on_the_team_ledger_scans_only_its_months_partitions() {
    let (r, _, _, _) = fixture().await;
    // The statement `Team.creditTransactions` sends for a range within this month,
    // as credits/history.rs builds it (team, since, until; newest first; a page).
    let plan = explain(
        &r,
            "EXPLAIN (FORMAT TEXT) SELECT * FROM credit_transactions
              WHERE team_id = '00000000-0000-4000-8000-000000000001'
                AND created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                AND created_at < (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
              ORDER BY created_at DESC, id DESC LIMIT 20",
    )
    .await;
    println!("{plan}");
    // "... Scan ... on <partition> <alias>": the relations read.
    let words: Vec<&str> = plan.split_whitespace().collect();
    let scanned: Vec<&str> = words
        .windows(2)
        .filter(|w| w[0] == "on" && w[1].starts_with("credit_transactions"))
        .map(|w| w[1])
        .collect();
    let month = chrono::Utc::now()
        .format("credit_transactions_p%Y_%m")
        .to_string();
    assert!(!scanned.is_empty(), "{plan}");
    assert!(
        scanned.iter().all(|p| *p == month),
        "only {month} should be scanned: {scanned:?}"
    );
    let all = explain(
        &r,
        "EXPLAIN SELECT * FROM credit_transactions WHERE team_id = '00000000-0000-4000-8000-000000000001'",
    )
    .await;
    assert!(
        all.contains("credit_transactions_default"),
        "without a range every partition is read"
    );
}

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

async fn explain(r: &Registry, sql: &str) -> String {
    use diesel_async::RunQueryDsl;
    let mut conn = r.app.db.conn().await;
    diesel::sql_query(sql)
        .load::<PlanLine>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_member_who_left_a_team_no_longer_sees_its_requests_in_their_history() {
    let (r, team, project, _) = fixture().await;
    let (editor, editor_id) = r
        .app
        .sign_up("editor@example.test", "editor-password")
        .await;
    let added = r
        .app
        .graphql_as(
            &r.member,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team, "email": "editor@example.test", "role": "EDITOR"}}),
        )
        .await;
    assert!(added["errors"].is_null(), "{added}");
    // The team pool pays for team projects.
    r.ok(
        "mutation($input: AdjustCreditsInput!) { adjustCredits(input: $input) { balance } }",
        json!({"input": {"teamId": team, "amount": "5", "reason": "trial"}}),
        "adjustCredits",
    )
    .await;
    let asked = r
        .app
        .graphql_as(
            &editor,
            "mutation($input: RequestGenerationInput!) { requestGeneration(input: $input) { generationRequest { id } } }",
            json!({"input": {"projectId": project, "aiModelId": seed_model(&r).await, "inputPrompt": "secret launch",
                "inputParameters": {"sampleCount": 1, "resolution": "64x64"}}}),
        )
        .await;
    assert!(asked["errors"].is_null(), "{asked}");
    const MINE: &str = "query { myGenerationRequests { totalCount } }";
    let before = r.app.graphql_as(&editor, MINE, json!({})).await;
    assert_eq!(before["data"]["myGenerationRequests"]["totalCount"], 1);
    let removed = r
        .app
        .graphql_as(
            &r.member,
            "mutation($input: RemoveTeamMemberInput!) { removeTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team, "userId": editor_id}}),
        )
        .await;
    assert!(removed["errors"].is_null(), "{removed}");
    let after = r.app.graphql_as(&editor, MINE, json!({})).await;
    assert_eq!(
        after["data"]["myGenerationRequests"]["totalCount"], 0,
        "{after}"
    );
}

/// An active image model with a Production version, for real requests.
async fn seed_model(r: &Registry) -> String {
    let model = r.create_model("History Painter").await;
    let version = r
        .create_version(
            &model,
            "1.0",
            crate::registry::local_parameters("0.10", "0.20"),
        )
        .await;
    r.validate(&version, "PASSED", "PASSED").await;
    assert!(r.promote(&version).await["errors"].is_null());
    model
}
