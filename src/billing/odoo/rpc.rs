//! Odoo's external API over JSON-RPC (`POST {ODOO_URL}/jsonrpc`): `common.authenticate`
//! for the uid, then `object.execute_kw` as that uid with the API key.
//! Transport failures are retried with backoff; after the retries the breaker
//! opens so the next passes fail at once until its cooldown is over.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::app::App;
use crate::config::OdooConfig;

/// Attempts per call when the transport fails (refused, timed out, 5xx).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// Odoo could not be reached (after the retries), or the breaker is open.
    #[error("odoo unreachable: {0}")]
    Transport(String),
    /// Odoo answered with a JSON-RPC error (access, unknown model or field...):
    /// not retried, the same call would fail again.
    #[error("odoo refused the call: {0}")]
    Fault(String),
    /// `authenticate` answered `false`: wrong database, user or key.
    #[error("odoo refused the credentials of ODOO_USER")]
    Credentials,
}

/// A session: the uid `authenticate` gave for the configured user.
pub struct Odoo<'a> {
    app: &'a App,
    config: &'a OdooConfig,
    uid: i64,
}

impl<'a> Odoo<'a> {
    pub async fn connect(app: &'a App, config: &'a OdooConfig) -> Result<Self, RpcError> {
        let result = call(
            app,
            config,
            "common",
            "authenticate",
            json!([
                config.database,
                config.user,
                config.api_key.expose_secret(),
                {}
            ]),
        )
        .await?;
        let uid = result.as_i64().ok_or(RpcError::Credentials)?;
        Ok(Self { app, config, uid })
    }

    /// `search_read` on `model`: the records matching `domain`, `fields` of
    /// each, in `order`, one page of `limit`.
    pub async fn search_read(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
        limit: i64,
        order: &str,
    ) -> Result<Vec<Value>, RpcError> {
        let result = call(
            self.app,
            self.config,
            "object",
            "execute_kw",
            json!([
                self.config.database,
                self.uid,
                self.config.api_key.expose_secret(),
                model,
                "search_read",
                [domain],
                {"fields": fields, "limit": limit, "offset": 0, "order": order}
            ]),
        )
        .await?;
        match result {
            Value::Array(records) => Ok(records),
            other => Err(RpcError::Fault(format!(
                "search_read answered {other} instead of a list"
            ))),
        }
    }
}

async fn call(
    app: &App,
    config: &OdooConfig,
    service: &str,
    method: &str,
    args: Value,
) -> Result<Value, RpcError> {
    if app.odoo_breaker.is_open() {
        return Err(RpcError::Transport(
            "circuit open after a failed call".into(),
        ));
    }
    let body = json!({
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": service, "method": method, "args": args},
        "id": rand::random::<u32>(),
    });
    let url = format!("{}/jsonrpc", config.url);
    let mut backoff = FIRST_BACKOFF;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match attempt_call(app, &url, &body).await {
            Ok(answer) => {
                app.odoo_breaker.close();
                if let Some(error) = answer.get("error") {
                    let message = error
                        .pointer("/data/message")
                        .or_else(|| error.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("unknown error");
                    return Err(RpcError::Fault(format!("{service}.{method}: {message}")));
                }
                return Ok(answer.get("result").cloned().unwrap_or(Value::Null));
            }
            Err(why) => {
                tracing::debug!(attempt, error = %why, "odoo call failed");
                last = why;
                if attempt < ATTEMPTS {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
    }
    app.odoo_breaker.trip();
    Err(RpcError::Transport(last))
}

/// One HTTP exchange; `Err` for what a retry may cure.
async fn attempt_call(app: &App, url: &str, body: &Value) -> Result<Value, String> {
    let response = app
        .http
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(format!("HTTP {status}"));
    }
    if !status.is_success() {
        // A 4xx will not change on a retry: surface it as the answer.
        return Ok(json!({"error": {"message": format!("HTTP {status}")}}));
    }
    response.json::<Value>().await.map_err(|e| e.to_string())
}
