//! The credit ledger. Every change of a balance happens here, inside the caller's
//! database transaction, as one conditional UPDATE (so a balance never goes below
//! zero, even under concurrent debits) plus one `credit_transactions` row.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::{credit_transactions, teams, users};
use crate::error::{AppError, AppResult};

/// Whose balance moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    User(Uuid),
    Team(Uuid),
}

impl Payer {
    /// The team pool for a team's project, otherwise the user's own balance.
    pub fn for_project(team_id: Option<Uuid>, user_id: Uuid) -> Self {
        team_id.map_or(Payer::User(user_id), Payer::Team)
    }

    /// The event topic of this balance.
    pub fn topic(self) -> String {
        match self {
            Payer::User(id) => format!("balance:user:{id}"),
            Payer::Team(id) => format!("balance:team:{id}"),
        }
    }
}

/// What a movement is for.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    /// The user acting (or the requester, for refunds).
    pub user_id: Uuid,
    pub action_type: &'a str,
    pub description: Option<String>,
    pub generation_request_id: Option<Uuid>,
}

/// Takes `amount` (positive) from `payer`; `INSUFFICIENT_CREDITS` and nothing
/// written if the balance does not cover it. Returns the new balance.
pub async fn debit(
    conn: &mut AsyncPgConnection,
    payer: Payer,
    amount: Decimal,
    movement: Movement<'_>,
) -> AppResult<Decimal> {
    if amount.is_sign_negative() {
        return Err(AppError::internal(anyhow::anyhow!(
            "negative debit {amount}"
        )));
    }
    let balance: Option<Decimal> = match payer {
        Payer::User(id) => diesel::update(users::table.find(id))
            .filter(users::credit_balance.ge(amount))
            .set(users::credit_balance.eq(users::credit_balance - amount))
            .returning(users::credit_balance)
            .get_result(conn)
            .await
            .optional()?,
        Payer::Team(id) => diesel::update(teams::table.find(id))
            .filter(teams::credit_balance.ge(amount))
            .set(teams::credit_balance.eq(teams::credit_balance - amount))
            .returning(teams::credit_balance)
            .get_result(conn)
            .await
            .optional()?,
    };
    let balance = balance.ok_or(AppError::InsufficientCredits)?;
    record(conn, payer, -amount, movement, None).await?;
    Ok(balance)
}

/// Adds `amount` (positive) to `payer`: grants, purchases, refunds.
pub async fn credit(
    conn: &mut AsyncPgConnection,
    payer: Payer,
    amount: Decimal,
    movement: Movement<'_>,
) -> AppResult<Decimal> {
    if amount.is_sign_negative() {
        return Err(AppError::internal(anyhow::anyhow!(
            "negative credit {amount}"
        )));
    }
    let balance: Decimal = match payer {
        Payer::User(id) => {
            diesel::update(users::table.find(id))
                .set(users::credit_balance.eq(users::credit_balance + amount))
                .returning(users::credit_balance)
                .get_result(conn)
                .await?
        }
        Payer::Team(id) => {
            diesel::update(teams::table.find(id))
                .set(teams::credit_balance.eq(teams::credit_balance + amount))
                .returning(teams::credit_balance)
                .get_result(conn)
                .await?
        }
    };
    record(conn, payer, amount, movement, None).await?;
    Ok(balance)
}

async fn record(
    conn: &mut AsyncPgConnection,
    payer: Payer,
    amount: Decimal,
    movement: Movement<'_>,
    odoo_invoice_id: Option<&str>,
) -> AppResult<()> {
    let team_id = match payer {
        Payer::Team(id) => Some(id),
        Payer::User(_) => None,
    };
    diesel::insert_into(credit_transactions::table)
        .values((
            credit_transactions::user_id.eq(movement.user_id),
            credit_transactions::team_id.eq(team_id),
            credit_transactions::amount.eq(amount),
            credit_transactions::action_type.eq(movement.action_type),
            credit_transactions::description.eq(movement.description),
            credit_transactions::generation_request_id.eq(movement.generation_request_id),
            credit_transactions::odoo_invoice_id.eq(odoo_invoice_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The current balance of a payer.
pub async fn balance_of(app: &crate::app::App, payer: Payer) -> AppResult<Decimal> {
    let mut conn = app.db.conn().await?;
    Ok(match payer {
        Payer::User(id) => {
            users::table
                .find(id)
                .select(users::credit_balance)
                .first(&mut conn)
                .await?
        }
        Payer::Team(id) => {
            teams::table
                .find(id)
                .select(teams::credit_balance)
                .first(&mut conn)
                .await?
        }
    })
}

// --- Odoo invoices (issue 14) ------------------------------------------------

/// Adds `amount` for an Odoo invoice: like [`credit`], with the ledger row
/// carrying `odoo_invoice_id` (so the invoice's rows can be found again).
pub async fn credit_for_invoice(
    conn: &mut AsyncPgConnection,
    payer: Payer,
    amount: Decimal,
    movement: Movement<'_>,
    odoo_invoice_id: &str,
) -> AppResult<Decimal> {
    if amount.is_sign_negative() {
        return Err(AppError::internal(anyhow::anyhow!(
            "negative credit {amount}"
        )));
    }
    let balance = add_to(conn, payer, amount).await?;
    record(conn, payer, amount, movement, Some(odoo_invoice_id)).await?;
    Ok(balance)
}

/// Takes back up to `amount` (positive) for an Odoo invoice, never more than
/// the balance holds; returns what was taken and the new balance.
pub async fn take_back_for_invoice(
    conn: &mut AsyncPgConnection,
    payer: Payer,
    amount: Decimal,
    movement: Movement<'_>,
    odoo_invoice_id: &str,
) -> AppResult<(Decimal, Decimal)> {
    let current: Decimal = match payer {
        Payer::User(id) => {
            users::table
                .find(id)
                .select(users::credit_balance)
                .for_update()
                .first(conn)
                .await?
        }
        Payer::Team(id) => {
            teams::table
                .find(id)
                .select(teams::credit_balance)
                .for_update()
                .first(conn)
                .await?
        }
    };
    let taken = amount.min(current).max(Decimal::ZERO);
    if taken.is_zero() {
        return Ok((taken, current));
    }
    let balance = add_to(conn, payer, -taken).await?;
    record(conn, payer, -taken, movement, Some(odoo_invoice_id)).await?;
    Ok((taken, balance))
}

async fn add_to(conn: &mut AsyncPgConnection, payer: Payer, amount: Decimal) -> AppResult<Decimal> {
    Ok(match payer {
        Payer::User(id) => {
            diesel::update(users::table.find(id))
                .set(users::credit_balance.eq(users::credit_balance + amount))
                .returning(users::credit_balance)
                .get_result(conn)
                .await?
        }
        Payer::Team(id) => {
            diesel::update(teams::table.find(id))
                .set(teams::credit_balance.eq(teams::credit_balance + amount))
                .returning(teams::credit_balance)
                .get_result(conn)
                .await?
        }
    })
}
