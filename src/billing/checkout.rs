//! `startCheckout`: a Stripe Checkout Session created through Stripe's REST API
//! (form-encoded, `Idempotency-Key`), carrying in its `metadata` whom it is for
//! and what it buys, which the webhook later reads back (`webhooks.rs`).

use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::model::{CreditPack, Plan};
use crate::app::App;
use crate::error::{AppError, AppResult};

/// What is bought.
#[derive(Debug, Clone)]
pub enum Purchase {
    Plan(Plan),
    Pack(CreditPack),
}

/// A created session: where to send the buyer.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub url: String,
}

fn cents(amount: Decimal) -> AppResult<String> {
    let cents = (amount * Decimal::from(100)).trunc();
    Ok(cents.normalize().to_string())
}

/// The form Stripe's `POST /v1/checkout/sessions` takes.
fn form(
    app: &App,
    user_id: Uuid,
    team_id: Option<Uuid>,
    purchase: &Purchase,
) -> AppResult<Vec<(String, String)>> {
    let base = app.config.mail.public_url.trim_end_matches('/');
    let mut metadata = vec![("atelier_user_id".to_string(), user_id.to_string())];
    if let Some(team) = team_id {
        metadata.push(("atelier_team_id".into(), team.to_string()));
    }
    let (mode, name, price, currency, stripe_price) = match purchase {
        Purchase::Pack(pack) => {
            metadata.push(("atelier_purpose".into(), "credit_pack".into()));
            metadata.push(("atelier_pack".into(), pack.id.clone()));
            metadata.push(("atelier_credits".into(), pack.credits.to_string()));
            (
                "payment",
                &pack.name,
                pack.price,
                &pack.currency,
                &pack.stripe_price_id,
            )
        }
        Purchase::Plan(plan) => {
            metadata.push(("atelier_purpose".into(), "plan".into()));
            metadata.push(("atelier_plan".into(), plan.id.clone()));
            metadata.push(("atelier_credits".into(), plan.monthly_credits.to_string()));
            (
                "subscription",
                &plan.name,
                plan.price,
                &plan.currency,
                &plan.stripe_price_id,
            )
        }
    };
    let mut fields: Vec<(String, String)> = vec![
        ("mode".into(), mode.into()),
        (
            "success_url".into(),
            format!("{base}/billing/success?session={{CHECKOUT_SESSION_ID}}"),
        ),
        ("cancel_url".into(), format!("{base}/billing/cancelled")),
        ("client_reference_id".into(), user_id.to_string()),
        ("line_items[0][quantity]".into(), "1".into()),
    ];
    match stripe_price {
        Some(price_id) => fields.push(("line_items[0][price]".into(), price_id.clone())),
        None => {
            let item = "line_items[0][price_data]";
            fields.push((format!("{item}[currency]"), currency.to_lowercase()));
            fields.push((format!("{item}[unit_amount]"), cents(price)?));
            fields.push((format!("{item}[product_data][name]"), name.clone()));
            if mode == "subscription" {
                fields.push((format!("{item}[recurring][interval]"), "month".into()));
            }
        }
    }
    for (key, value) in &metadata {
        fields.push((format!("metadata[{key}]"), value.clone()));
        // Stripe copies a subscription's metadata onto its invoices, where
        // `invoice.paid` finds the monthly credits.
        if mode == "subscription" {
            fields.push((format!("subscription_data[metadata][{key}]"), value.clone()));
        }
    }
    Ok(fields)
}

/// Creates the session. `BILLING_NOT_CONFIGURED` without `STRIPE_SECRET_KEY`;
/// a Stripe that fails or is skipped by its breaker is a retryable `CONFLICT`.
#[tracing::instrument(skip_all, fields(%user_id))]
pub async fn start(
    app: &App,
    user_id: Uuid,
    team_id: Option<Uuid>,
    purchase: Purchase,
) -> AppResult<Session> {
    let key = app
        .config
        .stripe
        .secret_key
        .as_ref()
        .ok_or(AppError::BillingNotConfigured)?;
    let unavailable =
        || AppError::RetryableConflict("the payment provider is unavailable; try again".into());
    if app.stripe_breaker.is_open() {
        return Err(unavailable());
    }
    let fields = form(app, user_id, team_id, &purchase)?;
    // One key per checkout asked for: if the answer is lost and this call is
    // retried, Stripe returns the same session instead of a second one.
    let idempotency_key = Uuid::new_v4().to_string();
    let url = format!("{}/v1/checkout/sessions", app.config.stripe.api_base);
    let mut last_error = None;
    for _attempt in 0..2 {
        let response = app
            .http
            .post(&url)
            .bearer_auth(key.expose_secret())
            .header("Idempotency-Key", &idempotency_key)
            .form(&fields)
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => {
                app.stripe_breaker.close();
                let body: serde_json::Value = r.json().await.map_err(|e| {
                    AppError::internal(anyhow::anyhow!("stripe checkout answer: {e}"))
                })?;
                let (Some(id), Some(url)) = (body["id"].as_str(), body["url"].as_str()) else {
                    return Err(AppError::internal(anyhow::anyhow!(
                        "stripe checkout answer without id or url"
                    )));
                };
                return Ok(Session {
                    id: id.to_string(),
                    url: url.to_string(),
                });
            }
            // Stripe refused the request itself: retrying the same form will not help.
            Ok(r) if r.status().is_client_error() => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                tracing::error!(%status, %body, "stripe refused a checkout");
                return Err(AppError::internal(anyhow::anyhow!(
                    "stripe refused the checkout: {status}"
                )));
            }
            Ok(r) => last_error = Some(format!("status {}", r.status())),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    tracing::warn!(error = ?last_error, "stripe checkout failed");
    app.stripe_breaker.trip();
    Err(unavailable())
}
