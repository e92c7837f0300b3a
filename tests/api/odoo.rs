//! Issue 14, the Odoo sync: records created or edited on a fake Odoo (a real
//! JSON-RPC server, `fake_odoo.rs`) arrive here after one pass, exactly once;
//! a pass run again changes nothing; paging reads past the first page; the
//! signed webhook runs a pass at once, a badly signed one runs nothing.

use std::collections::HashMap;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::fake_odoo::FakeOdoo;
use crate::helpers::TestApp;

const PASSWORD: &str = "correct horse battery staple";
const WEBHOOK_SECRET: &str = "odoo-webhook-test-secret";

async fn app_for(odoo: &FakeOdoo, extra: &[(&str, &str)]) -> TestApp {
    let vars = odoo.vars();
    let mut all: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    let app = TestApp::spawn_with(&all).await;
    let plans = std::fs::read_to_string(format!("{}/plans.json", env!("CARGO_MANIFEST_DIR")))
        .expect("plans.json");
    atelier::billing::plans::import(&app.app, &plans)
        .await
        .expect("plans imported");
    app
}

async fn scalar(app: &TestApp, sql: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    let mut conn = app.db.conn().await;
    diesel_async::RunQueryDsl::get_result::<Row>(diesel::sql_query(sql), &mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .v
        .unwrap_or_default()
}

/// The account's uuid (the API answers global ids).
async fn signed_up(app: &TestApp, email: &str) -> (String, String) {
    let (token, _) = app.sign_up(email, PASSWORD).await;
    let id = scalar(
        app,
        &format!("SELECT id::text AS v FROM users WHERE email = '{email}'"),
    )
    .await;
    (token, id)
}

async fn balance(app: &TestApp, user_id: &str) -> Decimal {
    scalar(
        app,
        &format!("SELECT credit_balance::text AS v FROM users WHERE id = '{user_id}'"),
    )
    .await
    .parse()
    .expect("a balance")
}

/// What the sync may have written, to compare before and after a pass.
async fn snapshot(app: &TestApp) -> String {
    scalar(
        app,
        "SELECT concat_ws(' | ',
            (SELECT string_agg(concat_ws(',', odoo_sale_order_id, plan_id, status, user_id,
                                         current_period_start, updated_at), ';' ORDER BY odoo_sale_order_id)
               FROM subscriptions),
            (SELECT string_agg(concat_ws(',', id, amount, action_type, odoo_invoice_id, synced_at),
                               ';' ORDER BY id) FROM credit_transactions),
            (SELECT string_agg(concat_ws(',', id, credit_balance, subscription_tier), ';' ORDER BY id)
               FROM users)) AS v",
    )
    .await
}

fn sale_order(holder: &str, plan: &str, state: &str) -> Value {
    json!({
        "name": "S00042",
        "partner_id": [7, "Ada Lovelace"],
        "client_order_ref": format!("atelier:{holder}:{plan}"),
        "state": state,
        "amount_total": 29.0,
        "currency_id": [1, "EUR"],
        "date_order": chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string(),
    })
}

fn invoice(holder: &str, amount: f64, name: &str) -> Value {
    json!({
        "name": name,
        "partner_id": [7, "Ada Lovelace"],
        "ref": format!("atelier:{holder}"),
        "move_type": "out_invoice",
        "amount_total": amount,
        "currency_id": [1, "EUR"],
        "invoice_date": "2026-12-04",
        "invoice_origin": "S00042",
        "payment_state": "paid",
        "state": "posted",
    })
}

async fn sync(app: &TestApp) -> atelier::billing::odoo::sync::Report {
    atelier::billing::odoo::sync::run_once(&app.app)
        .await
        .expect("a sync pass")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sale_order_and_an_invoice_on_odoo_appear_after_one_sync_and_a_second_changes_nothing() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(&odoo, &[]).await;
    let (token, user_id) = signed_up(&app, "ada@example.test").await;
    let before = balance(&app, &user_id).await;
    let holder = format!("user:{user_id}");
    let order_id = odoo.create("sale.order", sale_order(&holder, "pro_monthly", "sale"));
    let invoice_id = odoo.create("account.move", invoice(&holder, 50.0, "INV/2026/00001"));
    // Someone else's invoice, and a vendor bill: not ours.
    odoo.create("account.move", json!({"name": "INV/2026/00002", "ref": false,
        "move_type": "out_invoice", "amount_total": 9.0, "payment_state": "paid", "state": "posted"}));
    let mut bill = invoice(&holder, 70.0, "BILL/2026/00001");
    bill["move_type"] = json!("in_invoice");
    odoo.create("account.move", bill);

    let report = sync(&app).await;
    assert_eq!(
        (report.orders_applied, report.invoices_applied),
        (1, 1),
        "{report}"
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT concat_ws(',', plan_id, status, payment_provider, user_id) AS v
               FROM subscriptions WHERE odoo_sale_order_id = '{order_id}'"
            )
        )
        .await,
        format!("pro_monthly,Active,OdooManual,{user_id}")
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT subscription_tier AS v FROM users WHERE id = '{user_id}'")
        )
        .await,
        "Pro",
        "the tier follows the Odoo subscription"
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT string_agg(concat_ws(',', action_type, amount), ';') AS v
               FROM credit_transactions WHERE odoo_invoice_id = '{invoice_id}'"
            )
        )
        .await,
        "purchase,50.00"
    );
    assert_eq!(balance(&app, &user_id).await, before + Decimal::from(50));
    // The profile answers over the API too.
    let me = app
        .graphql_as(
            &token,
            "{ me { creditBalance subscriptionTier } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["subscriptionTier"], "PRO", "{me}");

    let after_one = snapshot(&app).await;
    let again = sync(&app).await;
    assert_eq!(
        (again.orders_applied, again.invoices_applied),
        (0, 0),
        "{again}"
    );
    // Only the cursor's last second is read again.
    assert!(
        again.orders_seen <= 1 && again.invoices_seen <= 1,
        "{again}"
    );
    assert_eq!(
        snapshot(&app).await,
        after_one,
        "a second pass changes nothing"
    );
    // Even from scratch (cursors lost), the keys keep every row as it is.
    scalar(
        &app,
        "WITH d AS (DELETE FROM odoo_sync_cursors RETURNING 1) SELECT count(*)::text AS v FROM d",
    )
    .await;
    let replay = sync(&app).await;
    assert_eq!(replay.orders_seen, 1);
    assert_eq!(
        (replay.orders_applied, replay.invoices_applied),
        (0, 0),
        "{replay}"
    );
    assert_eq!(
        snapshot(&app).await,
        after_one,
        "a replayed pass changes nothing"
    );
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_edited_on_odoo_updates_the_row_it_made_instead_of_adding_one() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(&odoo, &[]).await;
    let (_, user_id) = signed_up(&app, "grace@example.test").await;
    let before = balance(&app, &user_id).await;
    let holder = format!("user:{user_id}");
    let order_id = odoo.create("sale.order", sale_order(&holder, "pro_monthly", "sale"));
    let invoice_id = odoo.create("account.move", invoice(&holder, 50.0, "INV/2026/00007"));
    sync(&app).await;
    let rows_of = |id: i64| {
        format!(
            "SELECT string_agg(concat_ws(',', action_type, amount), ';' ORDER BY created_at, amount) AS v
               FROM credit_transactions WHERE odoo_invoice_id = '{id}'"
        )
    };
    let first_synced = scalar(&app, &format!(
        "SELECT synced_at::text AS v FROM credit_transactions WHERE odoo_invoice_id = '{invoice_id}'")).await;

    // The amount is corrected in Odoo: the difference, never a second purchase.
    odoo.write("account.move", invoice_id, json!({"amount_total": 80.0}));
    let report = sync(&app).await;
    assert_eq!(report.invoices_applied, 1, "{report}");
    assert_eq!(
        scalar(&app, &rows_of(invoice_id)).await,
        "purchase,50.00;admin_adjustment,30.00"
    );
    assert_eq!(balance(&app, &user_id).await, before + Decimal::from(80));
    assert_eq!(
        scalar(&app, &format!("SELECT credits::text AS v FROM odoo_invoices WHERE odoo_invoice_id = '{invoice_id}'")).await,
        "80.00"
    );
    let purchase_synced = scalar(
        &app,
        &format!(
            "SELECT synced_at::text AS v FROM credit_transactions
          WHERE odoo_invoice_id = '{invoice_id}' AND action_type = 'purchase'"
        ),
    )
    .await;
    assert!(
        purchase_synced > first_synced,
        "the purchase row says when it was last synced"
    );

    // Reset to draft and cancelled: what it put in is taken back.
    odoo.write(
        "account.move",
        invoice_id,
        json!({"state": "cancel", "payment_state": "not_paid"}),
    );
    sync(&app).await;
    assert_eq!(
        scalar(&app, &rows_of(invoice_id)).await,
        "purchase,50.00;admin_adjustment,30.00;admin_adjustment,-80.00"
    );
    assert_eq!(balance(&app, &user_id).await, before);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*)::text AS v FROM credit_transactions WHERE action_type = 'purchase'"
        )
        .await,
        "1",
        "one purchase, ever"
    );

    // The order is cancelled in Odoo: the same subscription row follows.
    odoo.write("sale.order", order_id, json!({"state": "cancel"}));
    sync(&app).await;
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT concat_ws(',', count(*), min(status)) AS v FROM subscriptions
              WHERE odoo_sale_order_id = '{order_id}'"
            )
        )
        .await,
        "1,Cancelled"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*)::text AS v FROM subscriptions").await,
        "1"
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT subscription_tier AS v FROM users WHERE id = '{user_id}'")
        )
        .await,
        "Free"
    );
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_reads_every_record_even_when_a_page_ends_inside_one_write_date() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(&odoo, &[("ODOO_SYNC_PAGE_SIZE", "2")]).await;
    let (_, user_id) = signed_up(&app, "hopper@example.test").await;
    let (_, team_owner) = signed_up(&app, "owner@example.test").await;
    let team_id = uuid::Uuid::new_v4().to_string();
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.conn().await;
        conn.batch_execute(&format!(
            "INSERT INTO teams (id, name, owner_id) VALUES ('{team_id}', 'Studio', '{team_owner}');
             INSERT INTO team_members (team_id, user_id, role) VALUES ('{team_id}', '{team_owner}', 'Owner');"
        ))
        .await
        .expect("a team");
    }
    let before = balance(&app, &user_id).await;
    let holder = format!("user:{user_id}");
    // Seven invoices written by one Odoo request share a write_date: a page of
    // two ends inside that group three times.
    let ids = odoo.create_many(
        "account.move",
        (1..=7)
            .map(|i| invoice(&holder, f64::from(i), &format!("INV/2026/1000{i}")))
            .collect(),
    );
    let team_invoice = odoo.create(
        "account.move",
        invoice(&format!("team:{team_id}"), 100.0, "INV/2026/20000"),
    );
    let report = sync(&app).await;
    assert_eq!(
        (report.invoices_seen, report.invoices_applied),
        (8, 8),
        "{report}: {}",
        scalar(
            &app,
            "SELECT string_agg(odoo_invoice_id || '=' || credits, ',') AS v FROM odoo_invoices"
        )
        .await
    );
    assert!(
        odoo.search_reads("account.move") >= 5,
        "read a page at a time"
    );
    assert_eq!(balance(&app, &user_id).await, before + Decimal::from(28));
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT credit_balance::text AS v FROM teams WHERE id = '{team_id}'")
        )
        .await,
        "100.00",
        "a team's invoice funds its pool"
    );
    let applied: HashMap<String, String> = scalar(
        &app,
        "SELECT string_agg(odoo_invoice_id || '=' || amount, ',') AS v FROM credit_transactions
          WHERE action_type = 'purchase'",
    )
    .await
    .split(',')
    .filter_map(|p| {
        p.split_once('=')
            .map(|(a, b)| (a.to_string(), b.to_string()))
    })
    .collect();
    assert_eq!(applied.len(), 8, "each invoice once: {applied:?}");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(applied[&id.to_string()], format!("{}.00", i + 1));
    }
    assert_eq!(applied[&team_invoice.to_string()], "100.00");
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_signed_webhook_runs_a_sync_at_once_and_a_badly_signed_one_is_400() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(
        &odoo,
        &[
            ("ODOO_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("ODOO_SYNC_INTERVAL_SECONDS", "3600"),
        ],
    )
    .await;
    let (_, user_id) = signed_up(&app, "lamarr@example.test").await;
    atelier::billing::odoo::sync::spawn(app.app.clone());
    // The task's first pass, at start, sees an empty Odoo.
    let mut ran = false;
    for _ in 0..100 {
        if scalar(&app, "SELECT count(*)::text AS v FROM odoo_sync_cursors").await == "2" {
            ran = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ran, "the sync task ran its first pass");
    let invoice_id = odoo.create(
        "account.move",
        invoice(&format!("user:{user_id}"), 25.0, "INV/2026/00099"),
    );
    let purchases = format!(
        "SELECT count(*)::text AS v FROM credit_transactions WHERE odoo_invoice_id = '{invoice_id}'"
    );
    let body = format!(r#"{{"model":"account.move","id":{invoice_id}}}"#);
    let post = |signature: Option<String>, body: String| {
        let mut request = app.client.post(app.url("/webhooks/odoo")).body(body);
        if let Some(signature) = signature {
            request = request.header("X-Odoo-Signature", signature);
        }
        request.send()
    };
    let good = atelier::billing::odoo::webhook::sign(body.as_bytes(), WEBHOOK_SECRET.as_bytes());
    let wrong_key = atelier::billing::odoo::webhook::sign(body.as_bytes(), b"not the secret");
    for (signature, sent) in [
        (Some(wrong_key), body.clone()),
        (Some(good.clone()), format!("{body} ")),
        (None, body.clone()),
        (Some("not hex".to_string()), body.clone()),
    ] {
        let response = post(signature, sent).await.expect("webhook answers");
        assert_eq!(response.status(), 400);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        scalar(&app, &purchases).await,
        "0",
        "a bad signature runs nothing"
    );

    let response = post(Some(good), body.clone())
        .await
        .expect("webhook answers");
    assert_eq!(response.status(), 202);
    let mut arrived = false;
    for _ in 0..100 {
        if scalar(&app, &purchases).await == "1" {
            arrived = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        arrived,
        "the webhook's pass brought the invoice in, well before the interval"
    );
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_passes_at_once_apply_each_invoice_once() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(&odoo, &[("ODOO_SYNC_PAGE_SIZE", "3")]).await;
    let (_, user_id) = signed_up(&app, "babbage@example.test").await;
    let before = balance(&app, &user_id).await;
    let holder = format!("user:{user_id}");
    odoo.create_many(
        "account.move",
        (1..=12)
            .map(|i| invoice(&holder, 10.0, &format!("INV/2026/3{i:04}")))
            .collect(),
    );
    let (a, b) = tokio::join!(
        atelier::billing::odoo::sync::run_once(&app.app),
        atelier::billing::odoo::sync::run_once(&app.app)
    );
    let (a, b) = (a.expect("pass a"), b.expect("pass b"));
    assert_eq!(a.invoices_applied + b.invoices_applied, 12, "{a}; {b}");
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*)::text AS v FROM credit_transactions WHERE action_type = 'purchase'"
        )
        .await,
        "12"
    );
    assert_eq!(balance(&app, &user_id).await, before + Decimal::from(120));
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_odoo_is_retried_then_the_breaker_fails_the_next_pass_at_once() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let app = TestApp::spawn_with(&[
        ("ODOO_URL", url.as_str()),
        ("ODOO_DB", "db"),
        ("ODOO_USER", "u"),
        ("ODOO_API_KEY", "k"),
    ])
    .await;
    let started = std::time::Instant::now();
    let first = atelier::billing::odoo::sync::run_once(&app.app).await;
    assert!(
        matches!(
            first,
            Err(atelier::billing::odoo::sync::SyncError::Rpc(
                atelier::billing::odoo::rpc::RpcError::Transport(_)
            ))
        ),
        "{first:?}"
    );
    // 200 + 400 + 800 ms of backoff between the four attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "retried with backoff"
    );
    assert!(app.app.odoo_breaker.is_open());
    let again = std::time::Instant::now();
    let second = atelier::billing::odoo::sync::run_once(&app.app).await;
    assert!(second.is_err());
    assert!(
        again.elapsed() < Duration::from_millis(200),
        "the open breaker fails at once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn atelier_odoo_sync_runs_one_pass_and_says_so_when_off() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(&odoo, &[]).await;
    let (_, user_id) = signed_up(&app, "noether@example.test").await;
    let before = balance(&app, &user_id).await;
    odoo.create(
        "account.move",
        invoice(&format!("user:{user_id}"), 12.0, "INV/2026/40001"),
    );
    let run = |with_odoo: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_atelier"));
        command
            .arg("odoo-sync")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.db.url)
            .env("DATA_DIR", app.data_dir.path())
            .env("LOG_LEVEL", "error");
        if with_odoo {
            for (k, v) in odoo.vars() {
                command.env(k, v);
            }
        }
        command
    };
    let off = run(false).output().expect("atelier runs");
    assert!(!off.status.success());
    assert!(
        String::from_utf8_lossy(&off.stderr).contains("the Odoo sync is off"),
        "{off:?}"
    );
    // The fake answers from this runtime while the process runs.
    let mut command = run(true);
    let on = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joined")
        .expect("atelier runs");
    assert!(on.status.success(), "{on:?}");
    assert!(
        String::from_utf8_lossy(&on.stdout).contains("1 invoice(s) read, 1 applied"),
        "{on:?}"
    );
    assert_eq!(balance(&app, &user_id).await, before + Decimal::from(12));
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_webhook_secret_the_odoo_webhook_answers_503() {
    let odoo = FakeOdoo::start().await;
    let app = app_for(&odoo, &[]).await;
    let body = "{}";
    let response = app
        .client
        .post(app.url("/webhooks/odoo"))
        .header(
            "X-Odoo-Signature",
            atelier::billing::odoo::webhook::sign(body.as_bytes(), b""),
        )
        .body(body)
        .send()
        .await
        .expect("webhook answers");
    assert_eq!(response.status(), 503);
}

#[test]
fn the_odoo_settings_come_all_together_or_not_at_all() {
    let base = |extra: &[(&str, &str)]| {
        let mut vars: HashMap<String, String> = HashMap::from([(
            "DATABASE_URL".to_string(),
            "postgres://127.0.0.1/atelier".to_string(),
        )]);
        for (k, v) in extra {
            vars.insert((*k).into(), (*v).into());
        }
        atelier::config::Config::from_vars(&vars)
    };
    let off = base(&[]).expect("no Odoo settings is fine");
    assert!(off.odoo.is_none());
    let partial = base(&[("ODOO_URL", "http://odoo.example"), ("ODOO_USER", "sync")])
        .expect_err("a partial set stops start-up");
    assert_eq!(partial.setting, "ODOO_DB", "{partial}");
    assert!(
        partial.to_string().starts_with("ODOO_DB: missing"),
        "{partial}"
    );
    let on = base(&[
        ("ODOO_URL", "http://odoo.example/"),
        ("ODOO_DB", "prod"),
        ("ODOO_USER", "sync"),
        ("ODOO_API_KEY", "key"),
    ])
    .expect("a full set");
    let odoo = on.odoo.expect("on");
    assert_eq!(odoo.url, "http://odoo.example");
    assert_eq!(odoo.sync_interval, Duration::from_secs(300));
    assert!(odoo.webhook_secret.is_none());
}
