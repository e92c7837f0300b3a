//! The platform admin's API: suspension (sockets closed at once, sign-in
//! refused with its code), credits through the ledger, broadcasts delivered live,
//! the audit log of every action, and `platformStats` against hand-written SQL.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::error_code;
use crate::registry::{Registry, PASSWORD};
use crate::websocket::{close_of, next_message, notifications_socket};

const SUSPEND: &str = "mutation($input: SuspendUserInput!) { suspendUser(input: $input) { user { id suspendedAt } } }";
const UNSUSPEND: &str = "mutation($input: UnsuspendUserInput!) { unsuspendUser(input: $input) { user { suspendedAt } } }";
const ADJUST: &str =
    "mutation($input: AdjustCreditsInput!) { adjustCredits(input: $input) { balance } }";
const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) { token } }";
const AUDIT: &str = "query { adminAuditLog(first: 100) { totalCount edges { node { action targetType targetId before after requestId admin { id } } } } }";

async fn member_id(r: &Registry) -> String {
    let me = r
        .app
        .graphql_as(&r.member, "query { me { id } }", json!({}))
        .await;
    me["data"]["me"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_users_socket_closes_at_once_and_sign_in_answers_account_suspended() {
    let r = Registry::start().await;
    let member = member_id(&r).await;
    let mut socket = notifications_socket(&r.app, &r.member).await;

    let refused = r
        .app
        .graphql_as(&r.member, SUSPEND, json!({"input": {"userId": member}}))
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    let started = std::time::Instant::now();
    let done = r
        .ok(
            SUSPEND,
            json!({"input": {"userId": member, "reason": "spam"}}),
            "suspendUser",
        )
        .await;
    assert!(done["user"]["suspendedAt"].is_string(), "{done}");
    assert_eq!(
        close_of(&mut socket).await,
        (4403, "Forbidden: credentials revoked".into())
    );
    println!(
        "socket closed {:?} after the suspension was sent",
        started.elapsed()
    );
    // The old token is dead, and signing in answers the documented code.
    let old = r
        .app
        .graphql_as(&r.member, "query { me { id } }", json!({}))
        .await;
    assert!(
        old["data"]["me"].is_null() || error_code(&old) == Some("UNAUTHENTICATED"),
        "{old}"
    );
    let again = r
        .app
        .graphql(
            SIGN_IN,
            json!({"input": {"email": "member@example.test", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(error_code(&again), Some("ACCOUNT_SUSPENDED"), "{again}");
    // A wrong password still looks like any wrong password.
    let wrong = r
        .app
        .graphql(
            SIGN_IN,
            json!({"input": {"email": "member@example.test", "password": "nope-nope-nope"}}),
        )
        .await;
    assert_eq!(error_code(&wrong), Some("UNAUTHENTICATED"), "{wrong}");
    let twice = r.admin(SUSPEND, json!({"input": {"userId": member}})).await;
    assert_eq!(error_code(&twice), Some("CONFLICT"), "{twice}");

    r.ok(
        UNSUSPEND,
        json!({"input": {"userId": member}}),
        "unsuspendUser",
    )
    .await;
    let back = r
        .app
        .graphql(
            SIGN_IN,
            json!({"input": {"email": "member@example.test", "password": PASSWORD}}),
        )
        .await;
    assert!(back["data"]["signIn"]["token"].is_string(), "{back}");

    // One audit row per action that committed, with before and after.
    let log = r.admin(AUDIT, json!({})).await;
    let entries: Vec<&Value> = log["data"]["adminAuditLog"]["edges"]
        .as_array()
        .map(|e| e.iter().map(|e| &e["node"]).collect())
        .unwrap_or_default();
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["user.unsuspend", "user.suspend", "user.grant_admin"]
    );
    let suspend = entries[1];
    assert!(suspend["before"]["suspendedAt"].is_null());
    assert!(suspend["after"]["suspendedAt"].is_string());
    assert_eq!(suspend["after"]["reason"], "spam");
    assert_eq!(suspend["after"]["sessionsRevoked"], 1);
    assert_eq!(suspend["admin"]["id"], json!(r.admin_id));
    assert!(
        suspend["requestId"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{suspend}"
    );
    assert_eq!(entries[2]["requestId"], "cli");
    assert!(entries[2]["admin"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn credits_move_through_the_ledger_and_broadcasts_arrive_live() {
    let r = Registry::start().await;
    let member = member_id(&r).await;
    let mut socket = notifications_socket(&r.app, &r.member).await;

    let added = r
        .ok(
            ADJUST,
            json!({"input": {"userId": member, "amount": "2.50", "reason": "goodwill"}}),
            "adjustCredits",
        )
        .await;
    assert_eq!(added["balance"], "12.50");
    let too_much = r
        .admin(
            ADJUST,
            json!({"input": {"userId": member, "amount": "-12.51", "reason": "claw back"}}),
        )
        .await;
    assert_eq!(
        error_code(&too_much),
        Some("INSUFFICIENT_CREDITS"),
        "{too_much}"
    );
    let both = r
        .admin(ADJUST, json!({"input": {"amount": "1", "reason": "x"}}))
        .await;
    assert_eq!(error_code(&both), Some("BAD_USER_INPUT"), "{both}");
    let taken = r
        .ok(
            ADJUST,
            json!({"input": {"userId": member, "amount": "-12.50", "reason": "claw back"}}),
            "adjustCredits",
        )
        .await;
    assert_eq!(taken["balance"], "0.00");
    let ledger = r
        .texts("SELECT amount::text || ' ' || description AS v FROM credit_transactions WHERE action_type = 'admin_adjustment' ORDER BY created_at")
        .await;
    assert_eq!(ledger, ["2.50 goodwill", "-12.50 claw back"]);

    let sent = r
        .ok(
            "mutation($input: BroadcastNotificationInput!) { broadcastNotification(input: $input) { recipients } }",
            json!({"input": {"title": "Maintenance", "message": "Down at 02:00 UTC", "audience": "ALL_USERS"}}),
            "broadcastNotification",
        )
        .await;
    assert_eq!(sent["recipients"], 2);
    let live = next_message(&mut socket).await.expect("a notification");
    assert_eq!(live["type"], "next", "{live}");
    let kinds = r
        .texts("SELECT type::text AS v FROM notifications WHERE type = 'system_update'")
        .await;
    assert_eq!(kinds.len(), 2);

    let log = r.admin(AUDIT, json!({})).await;
    let entries = log["data"]["adminAuditLog"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let actions: Vec<String> = entries
        .iter()
        .filter_map(|e| e["node"]["action"].as_str().map(String::from))
        .collect();
    // The refused adjustments left no row.
    assert_eq!(
        actions,
        [
            "notification.broadcast",
            "credits.adjust",
            "credits.adjust",
            "user.grant_admin"
        ]
    );
    assert_eq!(
        entries[1]["node"]["before"],
        json!({"creditBalance": "12.50"})
    );
    assert_eq!(entries[1]["node"]["after"]["creditBalance"], "0.00");
    let refused = r.app.graphql_as(&r.member, AUDIT, json!({})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
}

/// Users, sessions, requests and ledger rows at known moments of November 2026.
const DATASET: &str = r#"
INSERT INTO users (id, email, created_at, last_login_at, deleted_at) VALUES
    ('00000000-0000-4000-8000-000000000101', 's1@x.test', '2026-10-01T10:00:00Z', '2026-11-07T12:00:00Z', NULL),
    ('00000000-0000-4000-8000-000000000102', 's2@x.test', '2026-10-15T10:00:00Z', '2026-11-02T12:00:00Z', NULL),
    ('00000000-0000-4000-8000-000000000103', 's3@x.test', '2026-11-01T09:00:00Z', NULL, NULL),
    ('00000000-0000-4000-8000-000000000104', 's4@x.test', '2026-11-03T23:30:00Z', '2026-10-01T00:00:00Z', NULL),
    ('00000000-0000-4000-8000-000000000105', 's5@x.test', '2026-11-03T01:00:00Z', NULL, NULL),
    ('00000000-0000-4000-8000-000000000106', 's6@x.test', '2026-11-04T01:00:00Z', '2026-11-07T20:00:00Z', '2026-11-05T00:00:00Z'),
    ('00000000-0000-4000-8000-000000000107', 's7@x.test', '2026-11-10T01:00:00Z', '2026-11-10T02:00:00Z', NULL);
INSERT INTO sessions (user_id, device_info, ip_address, expires_at, token_hash, last_activity) VALUES
    ('00000000-0000-4000-8000-000000000103', 'phone', '203.0.113.1', '2027-01-01T00:00:00Z', repeat('a', 64), '2026-11-07T23:00:00Z'),
    ('00000000-0000-4000-8000-000000000105', 'phone', '203.0.113.2', '2027-01-01T00:00:00Z', repeat('b', 64), '2026-10-20T00:00:00Z'),
    ('00000000-0000-4000-8000-000000000102', 'phone', '203.0.113.3', '2027-01-01T00:00:00Z', repeat('c', 64), '2026-11-09T00:00:00Z');
INSERT INTO ai_models (id, name, provider, task_type) VALUES
    ('00000000-0000-4000-8000-000000000201', 'Alpha', 'Internal', 'ImageGeneration'),
    ('00000000-0000-4000-8000-000000000202', 'Beta', 'Internal', 'ImageGeneration');
INSERT INTO ai_model_versions (id, model_id, version_number) VALUES
    ('00000000-0000-4000-8000-000000000211', '00000000-0000-4000-8000-000000000201', '1'),
    ('00000000-0000-4000-8000-000000000212', '00000000-0000-4000-8000-000000000202', '1');
INSERT INTO generation_requests (user_id, input_prompt, created_at, ai_model_version_id) VALUES
    ('00000000-0000-4000-8000-000000000101', 'a', '2026-11-01T00:00:00Z', '00000000-0000-4000-8000-000000000211'),
    ('00000000-0000-4000-8000-000000000101', 'b', '2026-11-01T05:00:00Z', '00000000-0000-4000-8000-000000000211'),
    ('00000000-0000-4000-8000-000000000102', 'c', '2026-11-03T05:00:00Z', '00000000-0000-4000-8000-000000000212'),
    ('00000000-0000-4000-8000-000000000103', 'd', '2026-11-07T23:59:59Z', NULL),
    ('00000000-0000-4000-8000-000000000103', 'e', '2026-11-08T00:00:00Z', '00000000-0000-4000-8000-000000000212'),
    ('00000000-0000-4000-8000-000000000104', 'f', '2026-10-31T23:59:59Z', '00000000-0000-4000-8000-000000000211');
UPDATE generation_requests SET status = 'Failed' WHERE input_prompt IN ('b', 'c');
UPDATE generation_requests SET status = 'ProcessingSamples' WHERE input_prompt = 'd';
INSERT INTO credit_transactions (user_id, amount, action_type, created_at) VALUES
    ('00000000-0000-4000-8000-000000000101', -1.00, 'sample_generation', '2026-11-01T00:00:00Z'),
    ('00000000-0000-4000-8000-000000000101', -4.00, 'final_generation', '2026-11-01T06:00:00Z'),
    ('00000000-0000-4000-8000-000000000102', -1.50, 'sample_generation', '2026-11-03T05:00:00Z'),
    ('00000000-0000-4000-8000-000000000102', 1.50, 'refund', '2026-11-03T05:01:00Z'),
    ('00000000-0000-4000-8000-000000000103', 10.00, 'signup_grant', '2026-11-01T09:00:00Z'),
    ('00000000-0000-4000-8000-000000000105', 10.00, 'signup_grant', '2026-11-03T01:00:00Z'),
    ('00000000-0000-4000-8000-000000000104', 2.25, 'admin_adjustment', '2026-11-07T22:00:00Z'),
    ('00000000-0000-4000-8000-000000000104', -9.99, 'final_generation', '2026-11-08T00:00:00Z'),
    ('00000000-0000-4000-8000-000000000104', 7.00, 'purchase', '2026-10-31T23:00:00Z');
"#;

const STATS: &str = "query($range: StatsRange) { platformStats(range: $range) {
    users { total new active1d active7d active30d }
    generationsByStatus { label count } generationsByModel { label count }
    credits { spent granted refunded }
    daily { day newUsers generations creditsSpent creditsGranted } } }";

#[tokio::test]
async fn platform_stats_equal_hand_written_sql_over_the_same_rows() {
    let r = Registry::start().await;
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = r.app.db.conn().await;
        conn.batch_execute(DATASET).await.expect("dataset");
    }
    let (since, until) = ("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z");
    let got = r
        .admin(STATS, json!({"range": {"since": since, "until": until}}))
        .await;
    assert!(got["errors"].is_null(), "{got}");
    let stats = &got["data"]["platformStats"];

    // The same figures, written independently of the server's statements.
    let window = |from: &str, days: i64| {
        format!(
            "SELECT count(*) AS n FROM users u WHERE u.deleted_at IS NULL AND u.created_at < '{until}' AND (
                (u.last_login_at >= timestamptz '{until}' - interval '{days} days' AND u.last_login_at < '{until}')
                OR EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id
                           AND s.last_activity >= timestamptz '{until}' - interval '{days} days'
                           AND s.last_activity < '{until}'){from})"
        )
    };
    let users = json!({
        "total": r.count(&format!("SELECT count(*) AS n FROM users WHERE deleted_at IS NULL AND created_at < '{until}'")).await,
        "new": r.count(&format!("SELECT count(*) AS n FROM users WHERE deleted_at IS NULL AND created_at >= '{since}' AND created_at < '{until}'")).await,
        "active1d": r.count(&window("", 1)).await,
        "active7d": r.count(&window("", 7)).await,
        "active30d": r.count(&window("", 30)).await,
    });
    assert_eq!(stats["users"], users);
    // The figures themselves, as the dataset was written: 5 accounts by the 8th
    // (s6 is deleted, s7 comes later), 3 of them new; s3 active on the 7th,
    // s1 on the 7th, s2 on the 2nd, s5 on 20 October.
    assert_eq!(
        users,
        json!({"total": 5, "new": 3, "active1d": 2, "active7d": 3, "active30d": 4})
    );

    let by = |column: &str| {
        format!(
            "SELECT {column} || ':' || count(*) AS v FROM generation_requests g
               LEFT JOIN ai_model_versions v ON v.id = g.ai_model_version_id
               LEFT JOIN ai_models m ON m.id = v.model_id
              WHERE g.created_at >= '{since}' AND g.created_at < '{until}' GROUP BY {column} ORDER BY 1"
        )
    };
    let flat = |list: &Value| -> Vec<String> {
        let mut out: Vec<String> = list
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| format!("{}:{}", e["label"].as_str().unwrap_or(""), e["count"]))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    };
    let statuses = r.texts(&by("g.status::text")).await;
    assert_eq!(flat(&stats["generationsByStatus"]), statuses);
    assert_eq!(statuses, ["Failed:2", "Pending:1", "ProcessingSamples:1"]);
    let models = r.texts(&by("coalesce(m.name, 'unknown')")).await;
    assert_eq!(flat(&stats["generationsByModel"]), models);
    assert_eq!(models, ["Alpha:2", "Beta:1", "unknown:1"]);

    let sum = |condition: &str| {
        format!(
            "SELECT coalesce(sum(abs(amount)), 0)::numeric(12,2)::text AS v FROM credit_transactions
              WHERE created_at >= '{since}' AND created_at < '{until}' AND {condition}"
        )
    };
    let credits = json!({
        "spent": r.texts(&sum("amount < 0")).await[0],
        "granted": r.texts(&sum("amount > 0 AND action_type <> 'refund'")).await[0],
        "refunded": r.texts(&sum("action_type = 'refund'")).await[0],
    });
    let normalise = |v: &Value| -> Value {
        json!({
            "spent": format!("{:.2}", v["spent"].as_str().unwrap_or("0").parse::<f64>().unwrap_or(-1.0)),
            "granted": format!("{:.2}", v["granted"].as_str().unwrap_or("0").parse::<f64>().unwrap_or(-1.0)),
            "refunded": format!("{:.2}", v["refunded"].as_str().unwrap_or("0").parse::<f64>().unwrap_or(-1.0)),
        })
    };
    assert_eq!(normalise(&stats["credits"]), credits);
    assert_eq!(
        credits,
        json!({"spent": "6.50", "granted": "22.25", "refunded": "1.50"})
    );

    // Per day: the hand-written side groups by UTC date; days without rows are 0.
    let mut days: BTreeMap<String, [String; 4]> = BTreeMap::new();
    for d in 1..=7 {
        days.insert(
            format!("2026-11-0{d}"),
            ["0".into(), "0".into(), "0.00".into(), "0.00".into()],
        );
    }
    let grouped = |slot: usize, days: &mut BTreeMap<String, [String; 4]>, rows: Vec<String>| {
        for row in rows {
            if let Some((day, value)) = row.split_once('=') {
                if let Some(entry) = days.get_mut(day) {
                    entry[slot] = value.to_string();
                }
            }
        }
    };
    let per_day = |table: &str, value: &str, condition: &str| {
        format!(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '=' || {value} AS v FROM {table}
              WHERE created_at >= '{since}' AND created_at < '{until}' AND {condition}
              GROUP BY to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        )
    };
    for (slot, table, value, condition) in [
        (0, "users", "count(*)", "deleted_at IS NULL"),
        (1, "generation_requests", "count(*)", "true"),
        (
            2,
            "credit_transactions",
            "sum(-amount)::numeric(12,2)",
            "amount < 0",
        ),
        (
            3,
            "credit_transactions",
            "sum(amount)::numeric(12,2)",
            "amount > 0 AND action_type <> 'refund'",
        ),
    ] {
        let rows = r.texts(&per_day(table, value, condition)).await;
        grouped(slot, &mut days, rows);
    }
    let served: BTreeMap<String, [String; 4]> = stats["daily"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|d| {
                    let money = |v: &Value| {
                        format!(
                            "{:.2}",
                            v.as_str().unwrap_or("0").parse::<f64>().unwrap_or(-1.0)
                        )
                    };
                    (
                        d["day"].as_str().unwrap_or("").to_string(),
                        [
                            d["newUsers"].to_string(),
                            d["generations"].to_string(),
                            money(&d["creditsSpent"]),
                            money(&d["creditsGranted"]),
                        ],
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(served, days);
    assert_eq!(days["2026-11-01"], ["1", "2", "5.00", "10.00"]);

    let refused = r.app.graphql_as(&r.member, STATS, json!({})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    let anonymous = r.app.graphql(STATS, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn admin_users_are_searched_and_filtered_newest_first() {
    let r = Registry::start().await;
    r.app.sign_up("carla@studio.test", PASSWORD).await;
    let member = member_id(&r).await;
    r.ok(SUSPEND, json!({"input": {"userId": member}}), "suspendUser")
        .await;
    const USERS: &str = "query($filter: AdminUserFilter) { adminUsers(filter: $filter) { totalCount edges { node { email suspendedAt } } } }";
    let emails = |v: &Value| -> Vec<String> {
        v["data"]["adminUsers"]["edges"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| e["node"]["email"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = r.admin(USERS, json!({})).await;
    assert_eq!(
        emails(&all),
        [
            "carla@studio.test",
            "member@example.test",
            "root@example.test"
        ],
        "newest first"
    );
    let found = r
        .admin(USERS, json!({"filter": {"search": "STUDIO"}}))
        .await;
    assert_eq!(emails(&found), ["carla@studio.test"]);
    // `%` is matched literally, not as a wildcard.
    let literal = r.admin(USERS, json!({"filter": {"search": "%"}})).await;
    assert_eq!(literal["data"]["adminUsers"]["totalCount"], 0);
    let suspended = r.admin(USERS, json!({"filter": {"suspended": true}})).await;
    assert_eq!(emails(&suspended), ["member@example.test"]);
    let free = r
        .admin(
            USERS,
            json!({"filter": {"tier": "FREE", "suspended": false}}),
        )
        .await;
    assert_eq!(emails(&free), ["carla@studio.test", "root@example.test"]);
}
