//! Issue 14, `startCheckout` against a fake Stripe API started here (localstripe
//! has no Checkout Sessions): the form-encoded request with its
//! `Idempotency-Key` and metadata, then the signed `checkout.session.completed`
//! Stripe would send for that session, carrying the metadata Atelier wrote, seen
//! live on `creditBalanceChanged` and as the `purchase` row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{error_code, TestApp};
use crate::websocket::{next_message, send, signed_in, subscribe};

const SECRET: &str = "whsec_checkout_test";
const KEY: &str = "sk_test_atelier";
const PASSWORD: &str = "correct horse battery staple";
const CHECKOUT: &str =
    "mutation($input: StartCheckoutInput!) { startCheckout(input: $input) { url sessionId } }";

/// Header or form fields by name.
type Fields = HashMap<String, String>;

/// What the fake Stripe received: headers and the decoded form, per call.
#[derive(Default)]
struct FakeStripe {
    calls: Mutex<Vec<(Fields, Fields)>>,
}

async fn create_session(
    axum::extract::State(fake): axum::extract::State<Arc<FakeStripe>>,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> axum::Json<Value> {
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let mut calls = fake.calls.lock().expect("lock");
    let id = format!("cs_test_{}", calls.len() + 1);
    calls.push((headers, form));
    axum::Json(
        json!({"id": id, "object": "checkout.session", "url": format!("https://checkout.stripe.test/c/pay/{id}")}),
    )
}

async fn start_fake() -> (Arc<FakeStripe>, String) {
    let fake = Arc::new(FakeStripe::default());
    let router = axum::Router::new()
        .route("/v1/checkout/sessions", axum::routing::post(create_session))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (fake, format!("http://{address}"))
}

fn signature(body: &[u8]) -> String {
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

#[tokio::test(flavor = "multi_thread")]
async fn a_credit_pack_checkout_ends_in_a_live_balance_change_and_a_purchase_row() {
    let (fake, base) = start_fake().await;
    let app = TestApp::spawn_with(&[
        ("STRIPE_SECRET_KEY", KEY),
        ("STRIPE_WEBHOOK_SECRET", SECRET),
        ("STRIPE_API_BASE", base.as_str()),
    ])
    .await;
    let json = std::fs::read_to_string(format!("{}/plans.json", env!("CARGO_MANIFEST_DIR")))
        .expect("plans.json");
    atelier::billing::plans::import(&app.app, &json)
        .await
        .expect("imported");
    let (token, _) = app.sign_up("buyer@example.test", PASSWORD).await;

    // The balance, live.
    let mut socket = signed_in(&app, &token).await;
    send(
        &mut socket,
        subscribe("b", "subscription { creditBalanceChanged { balance } }"),
    )
    .await;
    let first = next_message(&mut socket).await.expect("the balance now");
    assert_eq!(
        first["payload"]["data"]["creditBalanceChanged"]["balance"],
        "10.00"
    );

    let r = app
        .graphql_as(
            &token,
            CHECKOUT,
            json!({"input": {"creditPack": "pack_100"}}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(
        r["data"]["startCheckout"]["url"],
        "https://checkout.stripe.test/c/pay/cs_test_1"
    );
    let (headers, form) = fake.calls.lock().expect("lock")[0].clone();
    assert_eq!(headers["authorization"], format!("Bearer {KEY}"));
    assert!(headers["content-type"].starts_with("application/x-www-form-urlencoded"));
    assert!(headers["idempotency-key"].len() >= 32, "{headers:?}");
    assert_eq!(form["mode"], "payment");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "1000");
    assert_eq!(form["line_items[0][price_data][currency]"], "eur");
    assert_eq!(form["metadata[atelier_purpose]"], "credit_pack");
    assert_eq!(form["metadata[atelier_credits]"], "100.00");
    let user_id = form["metadata[atelier_user_id]"].clone();

    // The buyer pays; Stripe reports the session with the metadata it was given.
    let event = json!({
        "id": "evt_paid_1", "type": "checkout.session.completed", "created": chrono::Utc::now().timestamp(),
        "data": {"object": {
            "id": "cs_test_1", "object": "checkout.session", "mode": "payment",
            "payment_status": "paid", "status": "complete",
            "metadata": {
                "atelier_purpose": form["metadata[atelier_purpose]"],
                "atelier_user_id": user_id,
                "atelier_pack": form["metadata[atelier_pack]"],
                "atelier_credits": form["metadata[atelier_credits]"]
            }
        }}
    });
    let body = serde_json::to_vec(&event).expect("json");
    let delivered = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("Stripe-Signature", signature(&body))
        .body(body)
        .send()
        .await
        .expect("delivered");
    assert_eq!(delivered.status(), 200);

    let live = next_message(&mut socket).await.expect("the balance after");
    assert_eq!(
        live["payload"]["data"]["creditBalanceChanged"]["balance"], "110.00",
        "{live}"
    );
    let history = app
        .graphql_as(
            &token,
            "query { me { creditTransactions(first: 5) { edges { node { actionType amount } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        history["data"]["me"]["creditTransactions"]["edges"][0]["node"],
        json!({"actionType": "purchase", "amount": "100.00"}),
        "{history}"
    );
    app.assert_books_balance().await;
}

#[tokio::test]
async fn a_plan_checkout_carries_its_monthly_credits_to_the_subscription_and_bad_input_is_refused()
{
    let (fake, base) = start_fake().await;
    let app = TestApp::spawn_with(&[
        ("STRIPE_SECRET_KEY", KEY),
        ("STRIPE_API_BASE", base.as_str()),
    ])
    .await;
    let json = std::fs::read_to_string(format!("{}/plans.json", env!("CARGO_MANIFEST_DIR")))
        .expect("plans.json");
    atelier::billing::plans::import(&app.app, &json)
        .await
        .expect("imported");
    let (owner, _) = app.sign_up("owner@example.test", PASSWORD).await;
    let (editor, _) = app.sign_up("editor@example.test", PASSWORD).await;
    let team = app
        .graphql_as(
            &owner,
            "mutation { createTeam(input: {name: \"Studio\"}) { team { id } } }",
            json!({}),
        )
        .await["data"]["createTeam"]["team"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let added = app
        .graphql_as(
            &owner,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team, "email": "editor@example.test", "role": "EDITOR"}}),
        )
        .await;
    assert!(added["errors"].is_null(), "{added}");

    let r = app
        .graphql_as(
            &owner,
            CHECKOUT,
            json!({"input": {"plan": "team_monthly", "teamId": team}}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let (_, form) = fake.calls.lock().expect("lock")[0].clone();
    assert_eq!(form["mode"], "subscription");
    assert_eq!(
        form["line_items[0][price_data][recurring][interval]"],
        "month"
    );
    assert_eq!(
        form["subscription_data[metadata][atelier_credits]"],
        "600.00"
    );
    assert_eq!(
        form["subscription_data[metadata][atelier_plan]"],
        "team_monthly"
    );
    assert!(form.contains_key("subscription_data[metadata][atelier_team_id]"));

    // An EDITOR may not buy for the team; unknown keys and both-or-neither are
    // BAD_USER_INPUT naming the field; nothing reaches Stripe.
    let refused = [
        (
            editor.as_str(),
            json!({"plan": "team_monthly", "teamId": team}),
            "FORBIDDEN",
            None,
        ),
        (
            owner.as_str(),
            json!({"plan": "gold"}),
            "BAD_USER_INPUT",
            Some("plan"),
        ),
        (
            owner.as_str(),
            json!({"plan": "free"}),
            "BAD_USER_INPUT",
            Some("plan"),
        ),
        (
            owner.as_str(),
            json!({"creditPack": "pack_9"}),
            "BAD_USER_INPUT",
            Some("creditPack"),
        ),
        (
            owner.as_str(),
            json!({"plan": "pro_monthly", "creditPack": "pack_100"}),
            "BAD_USER_INPUT",
            Some("plan"),
        ),
        (owner.as_str(), json!({}), "BAD_USER_INPUT", Some("plan")),
    ];
    for (token, input, code, field) in refused {
        let r = app
            .graphql_as(token, CHECKOUT, json!({"input": input}))
            .await;
        assert_eq!(error_code(&r), Some(code), "{input}: {r}");
        if let Some(field) = field {
            assert_eq!(r["errors"][0]["extensions"]["field"], field, "{r}");
        }
    }
    assert_eq!(fake.calls.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn without_stripe_settings_start_checkout_answers_billing_not_configured() {
    let app = TestApp::spawn().await;
    let (token, _) = app.sign_up("buyer@example.test", PASSWORD).await;
    let r = app
        .graphql_as(
            &token,
            CHECKOUT,
            json!({"input": {"creditPack": "pack_100"}}),
        )
        .await;
    assert_eq!(error_code(&r), Some("BILLING_NOT_CONFIGURED"), "{r}");
}
