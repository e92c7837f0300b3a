//! Issue 14, monthly plan grants: exactly once per subscription period, with
//! two `atelier grant-credits` processes at once and one of them killed
//! (SIGKILL) in the middle of its run, then a restart.

use std::process::{Command, Stdio};
use std::time::Duration;

use diesel_async::SimpleAsyncConnection;

use crate::helpers::TestApp;

const PASSWORD: &str = "correct horse battery staple";
const USERS: usize = 4;
const PER_USER: usize = 50;

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

fn grant_run(app: &TestApp) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_atelier"));
    command
        .arg("grant-credits")
        .env("DATABASE_URL", &app.db.url)
        .env("DATA_DIR", app.data_dir.path())
        .env("LOG_LEVEL", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_in_the_middle_of_a_grant_run_leaves_one_grant_per_subscription() {
    let app = TestApp::spawn().await;
    let json = std::fs::read_to_string(format!("{}/plans.json", env!("CARGO_MANIFEST_DIR")))
        .expect("plans.json");
    atelier::billing::plans::import(&app.app, &json)
        .await
        .expect("imported");
    for i in 0..USERS {
        app.sign_up(&format!("member{i}@example.test"), PASSWORD)
            .await;
    }
    // PER_USER current Odoo-invoiced Pro subscriptions per account, one Stripe
    // one (its invoices grant, not the worker) and one whose period is over.
    let mut conn = app.db.conn().await;
    conn.batch_execute(&format!(
        "INSERT INTO subscriptions (user_id, odoo_sale_order_id, plan_id, status,
                                    current_period_start, current_period_end, payment_provider)
         SELECT u.id, 'SO' || u.id || '-' || n, 'pro_monthly', 'Active',
                now() - interval '1 day', now() + interval '29 days', 'OdooManual'
           FROM users u CROSS JOIN generate_series(1, {PER_USER}) n;
         INSERT INTO subscriptions (user_id, odoo_sale_order_id, plan_id, status,
                                    current_period_start, current_period_end, payment_provider)
         SELECT id, 'stripe:sub_' || id, 'pro_monthly', 'Active',
                now() - interval '1 day', now() + interval '29 days', 'Stripe'
           FROM users;
         INSERT INTO subscriptions (user_id, odoo_sale_order_id, plan_id, status,
                                    current_period_start, current_period_end, payment_provider)
         SELECT id, 'SO-old-' || id, 'pro_monthly', 'Active',
                now() - interval '40 days', now() - interval '10 days', 'OdooManual'
           FROM users;"
    ))
    .await
    .expect("subscriptions");
    drop(conn);
    let due = i64::try_from(USERS * PER_USER).expect("small");

    // Two workers at once; one is killed while it runs.
    let mut doomed = grant_run(&app).spawn().expect("starts");
    let survivor = grant_run(&app).spawn().expect("starts");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let granted_at_kill = count(&app, "SELECT count(*) AS n FROM billing_grants").await;
    doomed.kill().expect("killed");
    let _ = doomed.wait();
    let survivor = survivor.wait_with_output().expect("finishes");
    assert!(
        survivor.status.success(),
        "{}",
        String::from_utf8_lossy(&survivor.stderr)
    );
    println!("{granted_at_kill} of {due} grants written when the worker was killed");

    // The restart grants whatever is left, and a further run nothing.
    let restart = grant_run(&app).output().expect("runs");
    assert!(restart.status.success());
    let again = grant_run(&app).output().expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "0 monthly grants"
    );

    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM billing_grants").await,
        due
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'subscription_grant'").await,
        due
    );
    // One grant per subscription, none for the Stripe one or the ended one.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM (SELECT s.id FROM subscriptions s
               JOIN billing_grants g ON g.grant_key LIKE 'period:' || s.id || ':%'
              GROUP BY s.id HAVING count(*) <> 1) twice"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM subscriptions s JOIN billing_grants g
                 ON g.grant_key LIKE 'period:' || s.id || ':%'
              WHERE s.payment_provider = 'Stripe' OR s.current_period_end < now()"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM users WHERE credit_balance = 10.00 + {PER_USER} * 200.00"
            )
        )
        .await,
        i64::try_from(USERS).expect("small")
    );
    app.assert_books_balance().await;
}
