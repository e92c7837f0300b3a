//! Issue 14, Stripe webhooks against the running server, with payloads signed
//! here the way Stripe signs them (HMAC-SHA256 of `"{t}.{body}"`): bad
//! signatures write nothing, an event applies once however often and however
//! concurrently it arrives, and a grant needs no local checkout row first.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::TestApp;

const SECRET: &str = "whsec_atelier_test_secret";
const PASSWORD: &str = "correct horse battery staple";

/// `Stripe-Signature` for `body` at `t`, with `secret`.
fn signature(body: &[u8], secret: &str, t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
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

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn deliver(app: &TestApp, body: &[u8], header: Option<String>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(header) = header {
        request = request.header("Stripe-Signature", header);
    }
    let response = request.send().await.expect("delivered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn signed(app: &TestApp, event: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(event).expect("json");
    let header = signature(&body, SECRET, now());
    deliver(app, &body, Some(header)).await
}

fn user_uuid(id: &str) -> uuid::Uuid {
    atelier::graphql::id::GlobalId::decode_uuid(
        &async_graphql::ID(id.to_string()),
        atelier::graphql::id::NodeType::User,
        "id",
    )
    .expect("a user id")
}

fn checkout_completed(event_id: &str, session: &str, user: uuid::Uuid, credits: &str) -> Value {
    json!({
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "created": now(),
        "data": {"object": {
            "id": session,
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "status": "complete",
            "amount_total": 2500,
            "currency": "eur",
            "client_reference_id": user.to_string(),
            "metadata": {
                "atelier_purpose": "credit_pack",
                "atelier_user_id": user.to_string(),
                "atelier_credits": credits
            }
        }}
    })
}

fn invoice_paid(event_id: &str, invoice: &str, user: uuid::Uuid, credits: &str) -> Value {
    json!({
        "id": event_id,
        "object": "event",
        "type": "invoice.paid",
        "created": now(),
        "data": {"object": {
            "id": invoice,
            "object": "invoice",
            "status": "paid",
            "amount_paid": 1900,
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": "sub_123",
                "metadata": {
                    "atelier_purpose": "plan",
                    "atelier_plan": "pro_monthly",
                    "atelier_user_id": user.to_string(),
                    "atelier_credits": credits
                }
            }}
        }}
    })
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

async fn balance(app: &TestApp, token: &str) -> String {
    let r = app
        .graphql_as(token, "query { me { creditBalance } }", json!({}))
        .await;
    r["data"]["me"]["creditBalance"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn written_rows(app: &TestApp) -> (i64, i64, i64) {
    (
        count(app, "SELECT count(*) AS n FROM stripe_events").await,
        count(app, "SELECT count(*) AS n FROM billing_grants").await,
        count(
            app,
            "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'purchase'",
        )
        .await,
    )
}

#[tokio::test]
async fn a_wrong_secret_a_stale_timestamp_a_changed_byte_or_no_header_is_400_and_writes_nothing() {
    let app = TestApp::spawn_with(&[("STRIPE_WEBHOOK_SECRET", SECRET)]).await;
    let (token, id) = app.sign_up("buyer@example.test", PASSWORD).await;
    let event = checkout_completed("evt_sec_1", "cs_sec_1", user_uuid(&id), "25.00");
    let body = serde_json::to_vec(&event).expect("json");

    let mut changed = body.clone();
    // "25.00" becomes "35.00": one byte, and a signature that no longer fits.
    let at = body
        .windows(5)
        .position(|w| w == b"25.00")
        .expect("the credits are in the body");
    changed[at] = b'3';
    let refused = [
        (
            "wrong secret",
            body.clone(),
            Some(signature(&body, "whsec_wrong", now())),
        ),
        (
            "stale timestamp",
            body.clone(),
            Some(signature(&body, SECRET, now() - 301)),
        ),
        (
            "changed byte",
            changed.clone(),
            Some(signature(&body, SECRET, now())),
        ),
        ("missing header", body.clone(), None),
        ("no v1", body.clone(), Some(format!("t={}", now()))),
    ];
    for (what, body, header) in refused {
        let (status, answer) = deliver(&app, &body, header).await;
        assert_eq!(status, 400, "{what}: {answer}");
    }
    assert_eq!(written_rows(&app).await, (0, 0, 0));
    assert_eq!(balance(&app, &token).await, "10.00");

    // The same event, signed right: applied once; its replay changes nothing.
    let (status, answer) = deliver(&app, &body, Some(signature(&body, SECRET, now()))).await;
    assert_eq!(
        (status, &answer["result"]),
        (200, &json!("applied")),
        "{answer}"
    );
    assert_eq!(balance(&app, &token).await, "35.00");
    let (status, answer) = deliver(&app, &body, Some(signature(&body, SECRET, now()))).await;
    assert_eq!(
        (status, &answer["result"]),
        (200, &json!("duplicate")),
        "{answer}"
    );
    assert_eq!(balance(&app, &token).await, "35.00");
    assert_eq!(written_rows(&app).await, (1, 1, 1));
    app.assert_books_balance().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_deliveries_of_one_paid_invoice_grant_once() {
    let app = TestApp::spawn_with(&[("STRIPE_WEBHOOK_SECRET", SECRET)]).await;
    let (token, id) = app.sign_up("subscriber@example.test", PASSWORD).await;
    let event = invoice_paid("evt_inv_1", "in_1", user_uuid(&id), "100.00");
    let deliveries = (0..20).map(|_| signed(&app, &event));
    let answers = futures_util::future::join_all(deliveries).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let applied = answers
        .iter()
        .filter(|(_, a)| a["result"] == "applied")
        .count();
    assert_eq!(applied, 1, "{answers:?}");
    assert_eq!(balance(&app, &token).await, "110.00");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'subscription_grant'").await,
        1
    );
    // The same invoice under another event id (Stripe re-sent it) grants nothing more.
    let again = invoice_paid("evt_inv_2", "in_1", user_uuid(&id), "100.00");
    let (status, answer) = signed(&app, &again).await;
    assert_eq!(
        (status, &answer["result"]),
        (200, &json!("already granted"))
    );
    assert_eq!(balance(&app, &token).await, "110.00");
    app.assert_books_balance().await;
}

#[tokio::test]
async fn a_checkout_webhook_applies_without_any_local_checkout_row_and_unknown_events_are_acknowledged(
) {
    let app = TestApp::spawn_with(&[("STRIPE_WEBHOOK_SECRET", SECRET)]).await;
    let (token, id) = app.sign_up("early@example.test", PASSWORD).await;
    // Nothing about this session exists here: the grant rides on the metadata
    // Atelier wrote into the session, so the webhook may come first.
    let (status, answer) = signed(
        &app,
        &checkout_completed("evt_early", "cs_never_seen", user_uuid(&id), "5.50"),
    )
    .await;
    assert_eq!(
        (status, &answer["result"]),
        (200, &json!("applied")),
        "{answer}"
    );
    assert_eq!(balance(&app, &token).await, "15.50");
    let row = count(
        &app,
        "SELECT count(*) AS n FROM credit_transactions WHERE action_type = 'purchase' AND amount = 5.50 AND description LIKE '%cs_never_seen%'",
    )
    .await;
    assert_eq!(row, 1);

    // An unpaid session (a bank transfer still pending) grants nothing yet.
    let mut unpaid = checkout_completed("evt_unpaid", "cs_unpaid", user_uuid(&id), "5.00");
    unpaid["data"]["object"]["payment_status"] = json!("unpaid");
    let (status, answer) = signed(&app, &unpaid).await;
    assert_eq!((status, &answer["result"]), (200, &json!("ignored")));
    // Event types Atelier does not act on: acknowledged, ignored.
    let other =
        json!({"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}});
    let (status, answer) = signed(&app, &other).await;
    assert_eq!((status, &answer["result"]), (200, &json!("ignored")));
    // Signed but not an event: 400.
    let body = b"[1, 2, 3]".to_vec();
    let (status, _) = deliver(&app, &body, Some(signature(&body, SECRET, now()))).await;
    assert_eq!(status, 400);
    assert_eq!(balance(&app, &token).await, "15.50");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM billing_grants").await,
        1
    );
    app.assert_books_balance().await;
}

#[tokio::test]
async fn without_a_webhook_secret_the_endpoint_answers_billing_not_configured() {
    let app = TestApp::spawn().await;
    let body = b"{}".to_vec();
    let (status, answer) = deliver(&app, &body, Some(signature(&body, SECRET, now()))).await;
    assert_eq!(status, 503);
    assert_eq!(answer["result"], "BILLING_NOT_CONFIGURED");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM stripe_events").await,
        0
    );
}
