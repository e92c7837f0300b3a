//! A sync pass: for each model, the records changed since its cursor, oldest
//! first, a page at a time; each record is applied in one transaction with the
//! cursor moved past it, so a pass killed half-way resumes where it stopped and
//! never applies a record twice.

use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::{json, Value};

use super::apply::{self, Outcome};
use super::rpc::{Odoo, RpcError};
use crate::app::App;
use crate::db::schema::odoo_sync_cursors;
use crate::error::AppError;

/// `(write_date, id)` of the last record applied: Odoo orders by both, so the
/// next page asks for what comes after this pair, and records sharing a
/// write_date with the last one are neither skipped nor read again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub write_date: String,
    pub last_id: i64,
}

impl Cursor {
    /// The domain terms (Odoo's prefix notation) for "after this cursor".
    fn after(&self) -> Vec<Value> {
        if self.write_date.is_empty() {
            return Vec::new();
        }
        vec![
            json!("|"),
            json!(["write_date", ">", self.write_date]),
            json!("&"),
            json!(["write_date", "=", self.write_date]),
            json!(["id", ">", self.last_id]),
        ]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the Odoo sync is off: set ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY")]
    NotConfigured,
    #[error(transparent)]
    Rpc(#[from] RpcError),
    #[error("odoo sync: {0:?}")]
    Db(AppError),
}

impl From<AppError> for SyncError {
    fn from(e: AppError) -> Self {
        SyncError::Db(e)
    }
}

impl From<diesel::result::Error> for SyncError {
    fn from(e: diesel::result::Error) -> Self {
        SyncError::Db(e.into())
    }
}

/// What a pass did, per model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub orders_seen: usize,
    pub orders_applied: usize,
    pub invoices_seen: usize,
    pub invoices_applied: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "odoo sync: {} sale order(s) read, {} applied; {} invoice(s) read, {} applied",
            self.orders_seen, self.orders_applied, self.invoices_seen, self.invoices_applied
        )
    }
}

const SALE_ORDER: &str = "sale.order";
const INVOICE: &str = "account.move";
const ORDER: &str = "write_date asc, id asc";

/// One pass over both models.
pub async fn run_once(app: &App) -> Result<Report, SyncError> {
    let config = app.config.odoo.as_ref().ok_or(SyncError::NotConfigured)?;
    let odoo = Odoo::connect(app, config).await?;
    let mut report = Report::default();
    // Orders first: an invoice's first run then finds the plan its order set.
    (report.orders_seen, report.orders_applied) =
        pass(app, &odoo, SALE_ORDER, config.page_size).await?;
    (report.invoices_seen, report.invoices_applied) =
        pass(app, &odoo, INVOICE, config.page_size).await?;
    Ok(report)
}

async fn load_cursor(app: &App, model: &str) -> Result<Cursor, SyncError> {
    let mut conn = app.worker_db.conn().await?;
    let row: Option<(String, i64)> = odoo_sync_cursors::table
        .find(model)
        .select((odoo_sync_cursors::write_date, odoo_sync_cursors::last_id))
        .first(&mut conn)
        .await
        .optional()?;
    Ok(
        row.map_or_else(Cursor::default, |(write_date, last_id)| Cursor {
            write_date,
            last_id,
        }),
    )
}

async fn pass(
    app: &App,
    odoo: &Odoo<'_>,
    model: &'static str,
    page_size: i64,
) -> Result<(usize, usize), SyncError> {
    let mut cursor = load_cursor(app, model).await?;
    let (mut seen, mut applied) = (0, 0);
    loop {
        let mut domain: Vec<Value> = match model {
            // Every customer invoice, not only the posted ones: one that is
            // reset to draft or cancelled must come back to take its credits.
            INVOICE => vec![json!(["move_type", "=", "out_invoice"])],
            _ => Vec::new(),
        };
        domain.extend(cursor.after());
        let fields = match model {
            INVOICE => apply::INVOICE_FIELDS,
            _ => apply::SALE_ORDER_FIELDS,
        };
        let page = odoo
            .search_read(model, Value::Array(domain), fields, page_size, ORDER)
            .await?;
        for record in &page {
            let (Some(id), Some(write_date)) = (
                apply::record_id(record),
                record.get("write_date").and_then(Value::as_str),
            ) else {
                return Err(
                    RpcError::Fault(format!("{model} record without id or write_date")).into(),
                );
            };
            seen += 1;
            let next = Cursor {
                write_date: write_date.to_string(),
                last_id: id,
            };
            if apply_one(app, model, record, &next).await? {
                applied += 1;
            }
            cursor = next;
        }
        if page.len() < usize::try_from(page_size).unwrap_or(usize::MAX) {
            break;
        }
    }
    // An idle pass still says it ran (operators, and tests waiting for one).
    let mut conn = app.worker_db.conn().await?;
    diesel::insert_into(odoo_sync_cursors::table)
        .values((
            odoo_sync_cursors::model.eq(model),
            odoo_sync_cursors::write_date.eq(&cursor.write_date),
            odoo_sync_cursors::last_id.eq(cursor.last_id),
        ))
        .on_conflict(odoo_sync_cursors::model)
        .do_update()
        .set(odoo_sync_cursors::last_run_at.eq(chrono::Utc::now()))
        .execute(&mut conn)
        .await?;
    Ok((seen, applied))
}

/// Applies a record and moves the cursor past it, in one transaction; whether
/// anything changed.
async fn apply_one(
    app: &App,
    model: &'static str,
    record: &Value,
    next: &Cursor,
) -> Result<bool, SyncError> {
    let mut conn = app.worker_db.conn().await?;
    let (outcome, balance) = conn
        .transaction(async |conn| {
            let result = match model {
                INVOICE => apply::invoice(conn, record).await?,
                _ => (apply::sale_order(conn, record).await?, None),
            };
            diesel::insert_into(odoo_sync_cursors::table)
                .values((
                    odoo_sync_cursors::model.eq(model),
                    odoo_sync_cursors::write_date.eq(&next.write_date),
                    odoo_sync_cursors::last_id.eq(next.last_id),
                ))
                .on_conflict(odoo_sync_cursors::model)
                .do_update()
                .set((
                    odoo_sync_cursors::write_date.eq(&next.write_date),
                    odoo_sync_cursors::last_id.eq(next.last_id),
                ))
                .execute(conn)
                .await?;
            Ok::<_, AppError>(result)
        })
        .await?;
    if let Some((payer, balance)) = balance {
        crate::generation::events::balance_changed(app, payer, balance).await;
    }
    match outcome {
        Outcome::Applied(user) => {
            if let Some(user_id) = user {
                crate::accounts::profile_cache::invalidate(&app.cache, user_id).await;
            }
            Ok(true)
        }
        Outcome::Unchanged | Outcome::Skipped => Ok(false),
    }
}

/// Runs a pass at once, then every `ODOO_SYNC_INTERVAL_SECONDS` or when
/// `POST /webhooks/odoo` wakes it (`atelier serve` and `atelier worker`).
/// Without the Odoo settings: one log line and nothing scheduled.
pub fn spawn(app: Arc<App>) {
    let Some(interval) = app.config.odoo.as_ref().map(|c| c.sync_interval) else {
        tracing::info!("odoo sync off: ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY are not set");
        return;
    };
    tracing::info!(interval_s = interval.as_secs(), "odoo sync on");
    tokio::spawn(async move {
        loop {
            match run_once(&app).await {
                Ok(report) if report.orders_applied + report.invoices_applied > 0 => {
                    tracing::info!(%report, "odoo sync pass")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "odoo sync pass failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = app.odoo_wakeup.notified() => {}
            }
        }
    });
}
