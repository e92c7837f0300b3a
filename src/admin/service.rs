//! The platform admin's actions: suspension, credit adjustments, broadcasts.
//! Each runs in one transaction with its audit row; what it announces (revoked
//! sockets, balances, notifications) goes out after the commit.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Actor, Entry};
use crate::accounts::model::{SubscriptionTier, User};
use crate::app::App;
use crate::credits::ledger::{self, Movement, Payer};
use crate::db::schema::{notifications, sessions, teams, users};
use crate::error::{AppError, AppResult};
use crate::events::Revoked;
use crate::notifications::model::Notification;

async fn lock_user(conn: &mut diesel_async::AsyncPgConnection, id: Uuid) -> AppResult<User> {
    users::table
        .find(id)
        .filter(users::deleted_at.is_null())
        .for_update()
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(AppError::NotFound("user"))
}

/// Suspends (or lifts the suspension of) an account. Suspending revokes every
/// session in the same transaction; after the commit the cached sessions are
/// dropped and every instance closes the account's sockets (4403).
pub async fn set_suspended(
    app: &App,
    actor: &Actor,
    user_id: Uuid,
    suspend: bool,
    reason: Option<String>,
) -> AppResult<User> {
    if suspend && actor.user_id == Some(user_id) {
        return Err(AppError::bad_input("userId", "you cannot suspend yourself"));
    }
    let reason = crate::studio::service::validate::optional_text("reason", reason, 1000)?;
    let mut conn = app.db.conn().await?;
    let user = conn
        .transaction(async |conn| {
            let before = lock_user(conn, user_id).await?;
            if before.suspended_at.is_some() == suspend {
                return Err(AppError::Conflict(if suspend {
                    "the account is already suspended".into()
                } else {
                    "the account is not suspended".into()
                }));
            }
            let now = Utc::now();
            let after: User = diesel::update(users::table.find(user_id))
                .set(users::suspended_at.eq(suspend.then_some(now)))
                .returning(User::as_returning())
                .get_result(conn)
                .await?;
            let revoked: Vec<Uuid> = if suspend {
                diesel::update(
                    sessions::table
                        .filter(sessions::user_id.eq(user_id))
                        .filter(sessions::revoked_at.is_null()),
                )
                .set(sessions::revoked_at.eq(now))
                .returning(sessions::id)
                .get_results(conn)
                .await?
            } else {
                Vec::new()
            };
            audit::record(
                conn,
                actor,
                Entry {
                    action: if suspend {
                        "user.suspend"
                    } else {
                        "user.unsuspend"
                    },
                    target_type: "User",
                    target_id: Some(user_id.to_string()),
                    before: Some(json!({"suspendedAt": before.suspended_at})),
                    after: Some(json!({
                        "suspendedAt": after.suspended_at,
                        "reason": reason,
                        "sessionsRevoked": revoked.len(),
                    })),
                },
            )
            .await?;
            Ok(after)
        })
        .await?;
    if suspend {
        let mut conn = app.db.conn().await?;
        // Cached sessions would let the revoked tokens through until they expire.
        crate::accounts::sessions::forget_all_of(app, &mut conn, user_id).await?;
        Revoked {
            users: vec![user_id],
            ..Revoked::default()
        }
        .announce(&app.events)
        .await;
    }
    Ok(user)
}

/// Whose balance an adjustment moves.
#[derive(Debug, Clone, Copy)]
pub enum Account {
    User(Uuid),
    Team(Uuid),
}

/// Adds (positive) or takes (negative) credits through the ledger, as an
/// `admin_adjustment` transaction; never below zero (`INSUFFICIENT_CREDITS`).
/// Returns the new balance.
pub async fn adjust_credits(
    app: &App,
    actor: &Actor,
    account: Account,
    amount: Decimal,
    reason: String,
) -> AppResult<Decimal> {
    if amount.is_zero() || amount.scale() > 2 || amount.abs() > Decimal::from(1_000_000) {
        return Err(AppError::bad_input(
            "amount",
            "a non-zero amount of at most 1,000,000 with at most 2 decimals",
        ));
    }
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::bad_input("reason", "1 to 500 characters"));
    }
    let admin = actor.user_id.ok_or(AppError::Unauthenticated)?;
    let mut conn = app.db.conn().await?;
    let (payer, before, after) = conn
        .transaction(async |conn| {
            // The ledger's row names a user: the account's own, or (for a team
            // pool) the admin who moved it.
            let (payer, ledger_user, before): (Payer, Uuid, Decimal) = match account {
                Account::User(id) => (
                    Payer::User(id),
                    id,
                    lock_user(conn, id).await?.credit_balance,
                ),
                Account::Team(id) => {
                    let balance: Decimal = teams::table
                        .find(id)
                        .for_update()
                        .select(teams::credit_balance)
                        .first(conn)
                        .await
                        .optional()?
                        .ok_or(AppError::NotFound("team"))?;
                    (Payer::Team(id), admin, balance)
                }
            };
            let movement = Movement {
                user_id: ledger_user,
                action_type: "admin_adjustment",
                description: Some(reason.clone()),
                generation_request_id: None,
            };
            let after = if amount.is_sign_positive() {
                ledger::credit(conn, payer, amount, movement).await?
            } else {
                ledger::debit(conn, payer, -amount, movement).await?
            };
            let (target_type, target_id) = match account {
                Account::User(id) => ("User", id),
                Account::Team(id) => ("Team", id),
            };
            audit::record(
                conn,
                actor,
                Entry {
                    action: "credits.adjust",
                    target_type,
                    target_id: Some(target_id.to_string()),
                    before: Some(json!({"creditBalance": before})),
                    after: Some(
                        json!({"creditBalance": after, "amount": amount, "reason": reason}),
                    ),
                },
            )
            .await?;
            Ok::<_, AppError>((payer, before, after))
        })
        .await?;
    tracing::info!(%before, %after, "credits adjusted by a platform admin");
    crate::generation::events::balance_changed(app, payer, after).await;
    Ok(after)
}

/// Who a broadcast reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum BroadcastAudience {
    /// Every account that is not deleted or suspended.
    AllUsers,
    /// Accounts on the Free plan.
    Free,
    /// Accounts on the Pro plan.
    Pro,
    /// Accounts on the Team plan.
    Team,
    /// Accounts on the Enterprise plan.
    Enterprise,
    /// Platform admins.
    PlatformAdmins,
}

/// Writes one `system_update` notification per recipient in one statement, then
/// delivers them live to connected users. Returns how many were written.
pub async fn broadcast(
    app: &App,
    actor: &Actor,
    title: String,
    message: String,
    audience: BroadcastAudience,
) -> AppResult<usize> {
    let title = title.trim().to_string();
    let message = message.trim().to_string();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::bad_input("title", "1 to 200 characters"));
    }
    if message.is_empty() || message.chars().count() > 5000 {
        return Err(AppError::bad_input("message", "1 to 5000 characters"));
    }
    let mut conn = app.db.conn().await?;
    let written: Vec<Notification> = conn
        .transaction(async |conn| {
            let mut recipients = users::table
                .filter(users::deleted_at.is_null())
                .filter(users::suspended_at.is_null())
                .into_boxed();
            recipients = match audience {
                BroadcastAudience::AllUsers => recipients,
                BroadcastAudience::PlatformAdmins => {
                    recipients.filter(users::is_platform_admin.eq(true))
                }
                BroadcastAudience::Free => {
                    recipients.filter(users::subscription_tier.eq(SubscriptionTier::Free))
                }
                BroadcastAudience::Pro => {
                    recipients.filter(users::subscription_tier.eq(SubscriptionTier::Pro))
                }
                BroadcastAudience::Team => {
                    recipients.filter(users::subscription_tier.eq(SubscriptionTier::Team))
                }
                BroadcastAudience::Enterprise => {
                    recipients.filter(users::subscription_tier.eq(SubscriptionTier::Enterprise))
                }
            };
            let ids: Vec<Uuid> = recipients.select(users::id).load(conn).await?;
            let metadata = json!({"title": title, "audience": format!("{audience:?}")});
            let rows: Vec<_> = ids
                .iter()
                .map(|id| {
                    (
                        notifications::user_id.eq(*id),
                        notifications::type_.eq("system_update"),
                        notifications::message.eq(&message),
                        notifications::metadata.eq(Some(metadata.clone())),
                    )
                })
                .collect();
            let written: Vec<Notification> = if rows.is_empty() {
                Vec::new()
            } else {
                diesel::insert_into(notifications::table)
                    .values(rows)
                    .returning(Notification::as_returning())
                    .get_results(conn)
                    .await?
            };
            audit::record(
                conn,
                actor,
                Entry {
                    action: "notification.broadcast",
                    target_type: "Audience",
                    target_id: Some(format!("{audience:?}")),
                    before: None,
                    after: Some(
                        json!({"title": title, "message": message, "recipients": written.len()}),
                    ),
                },
            )
            .await?;
            Ok::<_, AppError>(written)
        })
        .await?;
    for notification in &written {
        crate::notifications::service::publish(app, notification).await;
    }
    Ok(written.len())
}
