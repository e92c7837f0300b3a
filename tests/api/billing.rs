//! Issue 14, the ledger: funding a team pool (both sides in one transaction,
//! never below zero, also under concurrent fundings), `creditSummary`, and the
//! money invariant (`atelier_ledger_mismatches()`, `atelier check-ledger`).
//! Every test that moves money ends with `assert_books_balance`.

use diesel_async::SimpleAsyncConnection;
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const FUND: &str = "mutation($input: FundTeamCreditsInput!) { fundTeamCredits(input: $input) { balance team { id creditBalance } } }";
const SUMMARY: &str = "query($teamId: ID, $since: DateTime, $until: DateTime) { creditSummary(teamId: $teamId, since: $since, until: $until) { teamId earned spent refunded net periods { periodStart earned spent refunded } } }";
const BALANCE: &str = "query { me { creditBalance } }";

async fn create_team(app: &TestApp, token: &str) -> String {
    let r = app
        .graphql_as(
            token,
            "mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id } } }",
            json!({"input": {"name": "Pool"}}),
        )
        .await;
    r["data"]["createTeam"]["team"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createTeam failed: {r}"))
        .to_string()
}

async fn add_member(app: &TestApp, owner: &str, team: &str, email: &str, role: &str) {
    let r = app
        .graphql_as(
            owner,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team, "email": email, "role": role}}),
        )
        .await;
    assert!(r["errors"].is_null(), "addTeamMember failed: {r}");
}

async fn fund(app: &TestApp, token: &str, team: &str, amount: &str) -> Value {
    app.graphql_as(
        token,
        FUND,
        json!({"input": {"teamId": team, "amount": amount}}),
    )
    .await
}

async fn my_balance(app: &TestApp, token: &str) -> String {
    let r = app.graphql_as(token, BALANCE, json!({})).await;
    r["data"]["me"]["creditBalance"]
        .as_str()
        .unwrap_or_else(|| panic!("no balance: {r}"))
        .to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel_async::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), &mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

#[tokio::test]
async fn funding_a_team_moves_credits_from_the_admin_to_the_pool_and_never_overdraws() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.test", PASSWORD).await;
    let team = create_team(&app, &owner).await;

    let r = fund(&app, &owner, &team, "4.00").await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["fundTeamCredits"]["balance"], "6.00", "{r}");
    assert_eq!(
        r["data"]["fundTeamCredits"]["team"]["creditBalance"], "4.00",
        "{r}"
    );
    assert_eq!(my_balance(&app, &owner).await, "6.00");
    // One row on each side, both `team_transfer`, opposite amounts.
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'team_transfer' AND team_id IS NULL AND amount = -4.00").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'team_transfer' AND team_id IS NOT NULL AND amount = 4.00").await,
        1
    );

    // More than the balance: refused, and neither side moved.
    let r = fund(&app, &owner, &team, "6.01").await;
    assert_eq!(error_code(&r), Some("INSUFFICIENT_CREDITS"), "{r}");
    assert_eq!(my_balance(&app, &owner).await, "6.00");
    // Bad amounts name the field and change nothing.
    for amount in ["0", "-1.00", "0.001", "1000000.01"] {
        let r = fund(&app, &owner, &team, amount).await;
        assert_eq!(error_code(&r), Some("BAD_USER_INPUT"), "{amount}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], "amount", "{r}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'team_transfer'"
        )
        .await,
        2
    );
    app.assert_books_balance().await;
}

#[tokio::test]
async fn an_editor_may_not_fund_the_pool_and_a_stranger_does_not_see_the_team() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.test", PASSWORD).await;
    let (editor, _) = app.sign_up("editor@example.test", PASSWORD).await;
    let (stranger, _) = app.sign_up("stranger@example.test", PASSWORD).await;
    let team = create_team(&app, &owner).await;
    add_member(&app, &owner, &team, "editor@example.test", "EDITOR").await;

    let r = fund(&app, &editor, &team, "1.00").await;
    assert_eq!(error_code(&r), Some("FORBIDDEN"), "{r}");
    let r = fund(&app, &stranger, &team, "1.00").await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql(FUND, json!({"input": {"teamId": team, "amount": "1.00"}}))
        .await;
    assert_eq!(error_code(&r), Some("UNAUTHENTICATED"), "{r}");
    assert_eq!(my_balance(&app, &editor).await, "10.00");
    assert_eq!(my_balance(&app, &stranger).await, "10.00");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'team_transfer'"
        )
        .await,
        0
    );
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_fundings_take_exactly_what_the_balance_covers() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.test", PASSWORD).await;
    let team = create_team(&app, &owner).await;

    // 10.00 covers three fundings of 3.00, whichever three win.
    let attempts = (0..10).map(|_| fund(&app, &owner, &team, "3.00"));
    let results = futures_util::future::join_all(attempts).await;
    let ok = results.iter().filter(|r| r["errors"].is_null()).count();
    let refused = results
        .iter()
        .filter(|r| error_code(r) == Some("INSUFFICIENT_CREDITS"))
        .count();
    assert_eq!((ok, refused), (3, 7), "{results:?}");
    assert_eq!(my_balance(&app, &owner).await, "1.00");
    let r = app
        .graphql_as(
            &owner,
            "query($id: ID!) { team(id: $id) { creditBalance } }",
            json!({"id": team}),
        )
        .await;
    assert_eq!(r["data"]["team"]["creditBalance"], "9.00", "{r}");
    app.assert_books_balance().await;
}

#[tokio::test]
async fn the_credit_summary_adds_up_earned_spent_and_refunded_by_month() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.test", PASSWORD).await;
    let (viewer, _) = app.sign_up("viewer@example.test", PASSWORD).await;
    let (stranger, _) = app.sign_up("stranger@example.test", PASSWORD).await;
    let team = create_team(&app, &owner).await;
    add_member(&app, &owner, &team, "viewer@example.test", "VIEWER").await;
    assert!(fund(&app, &owner, &team, "4.00").await["errors"].is_null());

    // Two movements of the team in an earlier month, written the way the ledger
    // writes them (balance and row together), so the books still balance.
    let team_uuid = atelier::graphql::id::GlobalId::decode_uuid(
        &async_graphql::ID(team.clone()),
        atelier::graphql::id::NodeType::Team,
        "teamId",
    )
    .expect("a team id");
    let mut conn = app.db.conn().await;
    conn.batch_execute(&format!(
        "INSERT INTO credit_transactions (user_id, team_id, amount, action_type, created_at)
         SELECT owner_id, id, -1.50, 'sample_generation', date_trunc('month', now()) - interval '40 days'
           FROM teams WHERE id = '{team_uuid}';
         INSERT INTO credit_transactions (user_id, team_id, amount, action_type, created_at)
         SELECT owner_id, id, 0.50, 'refund', date_trunc('month', now()) - interval '39 days'
           FROM teams WHERE id = '{team_uuid}';
         UPDATE teams SET credit_balance = credit_balance - 1.00 WHERE id = '{team_uuid}';"
    ))
    .await
    .expect("history written");
    drop(conn);

    // The owner's own balance: the sign-up grant earned, the funding spent.
    let mine = app.graphql_as(&owner, SUMMARY, json!({})).await;
    let s = &mine["data"]["creditSummary"];
    assert!(s["teamId"].is_null(), "{mine}");
    assert_eq!(
        (&s["earned"], &s["spent"], &s["refunded"], &s["net"]),
        (
            &json!("10.00"),
            &json!("4.00"),
            &json!("0.00"),
            &json!("6.00")
        ),
        "{mine}"
    );
    assert_eq!(s["periods"].as_array().map(Vec::len), Some(1), "{mine}");

    // The team's pool, read by a VIEWER: two months, oldest first.
    let pool = app
        .graphql_as(&viewer, SUMMARY, json!({"teamId": team}))
        .await;
    let s = &pool["data"]["creditSummary"];
    assert_eq!(
        (&s["earned"], &s["spent"], &s["refunded"], &s["net"]),
        (
            &json!("4.00"),
            &json!("1.50"),
            &json!("0.50"),
            &json!("3.00")
        ),
        "{pool}"
    );
    let periods = s["periods"].as_array().cloned().unwrap_or_default();
    assert_eq!(periods.len(), 2, "{pool}");
    assert_eq!(
        (&periods[0]["spent"], &periods[0]["refunded"]),
        (&json!("1.50"), &json!("0.50"))
    );
    assert_eq!(periods[1]["earned"], "4.00");
    assert!(periods[0]["periodStart"].as_str() < periods[1]["periodStart"].as_str());
    // The pool's net change is its balance (it opened at zero).
    let r = app
        .graphql_as(
            &viewer,
            "query($id: ID!) { team(id: $id) { creditBalance } }",
            json!({"id": team}),
        )
        .await;
    assert_eq!(r["data"]["team"]["creditBalance"], "3.00", "{r}");

    // A range keeps only this month.
    let since = chrono::Utc::now().format("%Y-%m-01T00:00:00Z").to_string();
    let this_month = app
        .graphql_as(&viewer, SUMMARY, json!({"teamId": team, "since": since}))
        .await;
    assert_eq!(
        this_month["data"]["creditSummary"]["spent"], "0.00",
        "{this_month}"
    );

    // Strangers do not see the team; an inverted range names its field.
    let r = app
        .graphql_as(&stranger, SUMMARY, json!({"teamId": team}))
        .await;
    assert_eq!(error_code(&r), Some("NOT_FOUND"), "{r}");
    let r = app
        .graphql_as(
            &owner,
            SUMMARY,
            json!({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "until", "{r}");
    app.assert_books_balance().await;
}

#[tokio::test]
async fn check_ledger_exits_1_naming_a_balance_changed_outside_the_ledger() {
    let app = TestApp::spawn().await;
    let (owner, user_id) = app.sign_up("owner@example.test", PASSWORD).await;
    let team = create_team(&app, &owner).await;
    assert!(fund(&app, &owner, &team, "2.50").await["errors"].is_null());

    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_atelier"))
            .arg("check-ledger")
            .env("DATABASE_URL", &app.db.url)
            .env("DATA_DIR", app.data_dir.path())
            .env("LOG_LEVEL", "error")
            .output()
            .expect("atelier runs")
    };
    let ok = run();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ledger ok"));

    // A balance written behind the ledger's back.
    let user_uuid = atelier::graphql::id::GlobalId::decode_uuid(
        &async_graphql::ID(user_id),
        atelier::graphql::id::NodeType::User,
        "id",
    )
    .expect("a user id");
    let mut conn = app.db.conn().await;
    conn.batch_execute(&format!(
        "UPDATE users SET credit_balance = credit_balance + 1 WHERE id = '{user_uuid}'"
    ))
    .await
    .expect("balance changed");
    drop(conn);

    let bad = run();
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains(&format!(
            "user {user_uuid}: balance 8.50 but the ledger says 7.50"
        )),
        "{out}"
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("1 holder(s)"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
