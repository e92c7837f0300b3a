//! Issue 14, plans as data: `atelier plans import` loads the committed
//! catalogue (idempotent, public through `plans` / `creditPacks`), and a plan's
//! Stripe checkout makes the subscription current: `me.subscription`,
//! `Team.subscription`, and the account's `subscriptionTier`, whose query budget
//! follows.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{error_code, TestApp};

const SECRET: &str = "whsec_plans_test";
const PASSWORD: &str = "correct horse battery staple";
const PLANS: &str = "query { plans { id name tier price currency monthlyCredits seats isActive } creditPacks { id credits price currency } }";

fn catalogue_file() -> String {
    format!("{}/plans.json", env!("CARGO_MANIFEST_DIR"))
}

fn import(app: &TestApp, path: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(["plans", "import", path])
        .env("DATABASE_URL", &app.db.url)
        .env("DATA_DIR", app.data_dir.path())
        .env("LOG_LEVEL", "error")
        .output()
        .expect("atelier runs")
}

#[tokio::test]
async fn the_committed_catalogue_imports_idempotently_and_anyone_reads_it() {
    let app = TestApp::spawn().await;
    let first = import(&app, &catalogue_file());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = app.graphql(PLANS, json!({})).await;
    let plans = before["data"]["plans"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = plans.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["free", "pro_monthly", "team_monthly", "enterprise_monthly"],
        "{before}"
    );
    assert_eq!(plans[1]["tier"], "PRO");
    assert_eq!(plans[1]["monthlyCredits"], "200.00");
    assert_eq!(plans[2]["seats"], 5);
    assert!(plans[0]["seats"].is_null());
    assert_eq!(before["data"]["creditPacks"][0]["credits"], "100.00");

    // The same file again: the same catalogue.
    let second = import(&app, &catalogue_file());
    assert!(second.status.success());
    assert_eq!(app.graphql(PLANS, json!({})).await, before);

    // A file without a plan retires it; a broken file changes nothing.
    let dir = tempfile::tempdir().expect("dir");
    let smaller = dir.path().join("smaller.json");
    std::fs::write(
        &smaller,
        r#"{"plans": [{"id": "free", "name": "Free", "tier": "Free", "price": "0.00", "currency": "EUR", "monthlyCredits": "10.00"}]}"#,
    )
    .expect("written");
    assert!(import(&app, &smaller.display().to_string())
        .status
        .success());
    let after = app.graphql(PLANS, json!({})).await;
    assert_eq!(after["data"]["plans"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        after["data"]["creditPacks"].as_array().map(Vec::len),
        Some(0)
    );
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"plans": [{"id": "Pro!", "name": "Pro", "tier": "Gold", "price": "-1", "currency": "eur", "monthlyCredits": "1"}]}"#,
    )
    .expect("written");
    let refused = import(&app, &broken.display().to_string());
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("plan 'Pro!'"));
    assert_eq!(app.graphql(PLANS, json!({})).await, after);
}

fn signed(body: &[u8]) -> String {
    let t = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

async fn plan_checkout(app: &TestApp, event: &str, user: &str, team: Option<&str>, plan: &str) {
    let mut metadata =
        json!({"atelier_purpose": "plan", "atelier_plan": plan, "atelier_user_id": user});
    if let Some(team) = team {
        metadata["atelier_team_id"] = json!(team);
    }
    let body = serde_json::to_vec(&json!({
        "id": event,
        "type": "checkout.session.completed",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": {
            "id": format!("cs_{event}"), "object": "checkout.session", "mode": "subscription",
            "payment_status": "paid", "status": "complete", "subscription": format!("sub_{event}"),
            "metadata": metadata
        }}
    }))
    .expect("json");
    let response = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", signed(&body))
        .body(body)
        .send()
        .await
        .expect("delivered");
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or_default();
    assert_eq!(
        (status.as_u16(), &answer["result"]),
        (200, &json!("applied"))
    );
}

fn uuid_of(id: &str, node: atelier::graphql::id::NodeType) -> String {
    atelier::graphql::id::GlobalId::decode_uuid(&async_graphql::ID(id.to_string()), node, "id")
        .expect("an id")
        .to_string()
}

#[tokio::test]
async fn a_plan_checkout_makes_the_subscription_current_and_the_tier_and_budget_follow_it() {
    // A budget the Free tier cannot afford for a 50-row page, that Pro can.
    let app = TestApp::spawn_with(&[
        ("STRIPE_WEBHOOK_SECRET", SECRET),
        ("QUERY_BUDGET_FREE", "20"),
        ("QUERY_BUDGET_PRO", "100000"),
        ("QUERY_BUDGET_TEAM", "20"),
    ])
    .await;
    let json = std::fs::read_to_string(catalogue_file()).expect("plans.json");
    atelier::billing::plans::import(&app.app, &json)
        .await
        .expect("imported");
    let (token, id) = app.sign_up("subscriber@example.test", PASSWORD).await;
    let (viewer, _) = app.sign_up("viewer@example.test", PASSWORD).await;
    let user = uuid_of(&id, atelier::graphql::id::NodeType::User);

    const ME: &str =
        "query { me { subscriptionTier subscription { planId status paymentProvider } } }";
    const BIG: &str = "query { myTeams(first: 50) { totalCount } }";
    let before = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(before["data"]["me"]["subscriptionTier"], "FREE", "{before}");
    assert!(before["data"]["me"]["subscription"].is_null(), "{before}");
    let refused = app.graphql_as(&token, BIG, json!({})).await;
    assert_eq!(error_code(&refused), Some("QUERY_TOO_COMPLEX"), "{refused}");

    plan_checkout(&app, "evt_pro", &user, None, "pro_monthly").await;
    let after = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(
        after["data"]["me"],
        json!({"subscriptionTier": "PRO", "subscription": {"planId": "pro_monthly", "status": "ACTIVE", "paymentProvider": "STRIPE"}}),
        "{after}"
    );
    let allowed = app.graphql_as(&token, BIG, json!({})).await;
    assert!(allowed["errors"].is_null(), "{allowed}");

    // A team plan: the team's subscription, read by its VIEWER; the owner's own
    // subscription stays the personal one.
    let team = app
        .graphql_as(
            &token,
            "mutation { createTeam(input: {name: \"Studio\"}) { team { id } } }",
            json!({}),
        )
        .await["data"]["createTeam"]["team"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let added = app
        .graphql_as(
            &token,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team, "email": "viewer@example.test", "role": "VIEWER"}}),
        )
        .await;
    assert!(added["errors"].is_null(), "{added}");
    let team_uuid = uuid_of(&team, atelier::graphql::id::NodeType::Team);
    plan_checkout(&app, "evt_team", &user, Some(&team_uuid), "team_monthly").await;
    let seen = app
        .graphql_as(
            &viewer,
            "query($id: ID!) { team(id: $id) { subscription { planId status } } }",
            json!({"id": team}),
        )
        .await;
    assert_eq!(
        seen["data"]["team"]["subscription"],
        json!({"planId": "team_monthly", "status": "ACTIVE"}),
        "{seen}"
    );
    let mine = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(mine["data"]["me"]["subscription"]["planId"], "pro_monthly");
    assert_eq!(mine["data"]["me"]["subscriptionTier"], "PRO");
    // Another user does not see the subscriber's plan.
    let other = app
        .graphql_as(
            &viewer,
            "query($id: ID!) { user(id: $id) { subscription { planId } } }",
            json!({"id": id}),
        )
        .await;
    assert!(other["data"]["user"]["subscription"].is_null(), "{other}");
    app.assert_books_balance().await;
}

async fn deliver(app: &TestApp, event: Value) -> Value {
    let body = serde_json::to_vec(&event).expect("json");
    let response = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", signed(&body))
        .body(body)
        .send()
        .await
        .expect("delivered");
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap_or_default()["result"].clone()
}

fn subscription_event(
    id: &str,
    kind: &str,
    created: i64,
    sub: &str,
    status: &str,
    user: &str,
) -> Value {
    json!({
        "id": id, "type": kind, "created": created,
        "data": {"object": {
            "id": sub, "object": "subscription", "status": status,
            "items": {"data": [{"current_period_start": created - 86_400, "current_period_end": created + 29 * 86_400}]},
            "metadata": {"atelier_purpose": "plan", "atelier_plan": "pro_monthly", "atelier_user_id": user}
        }}
    })
}

#[tokio::test]
async fn an_older_subscription_update_never_overwrites_a_newer_state() {
    let app = TestApp::spawn_with(&[("STRIPE_WEBHOOK_SECRET", SECRET)]).await;
    let json = std::fs::read_to_string(catalogue_file()).expect("plans.json");
    atelier::billing::plans::import(&app.app, &json)
        .await
        .expect("imported");
    let (token, id) = app.sign_up("late@example.test", PASSWORD).await;
    let user = uuid_of(&id, atelier::graphql::id::NodeType::User);
    const ME: &str = "query { me { subscriptionTier subscription { status currentPeriodEnd } } }";
    let t = chrono::Utc::now().timestamp() - 1_000;

    // An update that overtakes the checkout creates the subscription from its metadata.
    let first = subscription_event(
        "evt_s1",
        "customer.subscription.updated",
        t,
        "sub_late",
        "active",
        &user,
    );
    assert_eq!(deliver(&app, first).await, "applied");
    let me = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["subscriptionTier"], "PRO", "{me}");
    assert_eq!(me["data"]["me"]["subscription"]["status"], "ACTIVE", "{me}");
    // ... and the checkout arriving afterwards does not reset it.
    plan_checkout(&app, "late", &user, None, "pro_monthly").await; // subscription sub_late

    // Cancelled at t + 200; an `active` update from t + 100 arrives after it.
    let deleted = subscription_event(
        "evt_s3",
        "customer.subscription.deleted",
        t + 200,
        "sub_late",
        "canceled",
        &user,
    );
    assert_eq!(deliver(&app, deleted).await, "applied");
    let late = subscription_event(
        "evt_s2",
        "customer.subscription.updated",
        t + 100,
        "sub_late",
        "active",
        &user,
    );
    assert_eq!(deliver(&app, late).await, "ignored");
    let me = app.graphql_as(&token, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["subscriptionTier"], "FREE", "{me}");
    assert!(me["data"]["me"]["subscription"].is_null(), "{me}");
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
    }
    let mut conn = app.db.conn().await;
    let rows: Vec<S> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT status::text AS status FROM subscriptions"),
        &mut conn,
    )
    .await
    .expect("rows");
    let statuses: Vec<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["Cancelled"]);
}
