//! The platform admin's queries and actions in GraphQL. The root guard lets
//! only platform admins' sessions through (`FORBIDDEN` for everyone else).

use crate::authz::guards::Need;
use crate::authz::matrix::{Action, Resource};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use rust_decimal::Decimal;

use super::audit::actor;
use super::model::{self, AdminAuditEntry, AdminAuditFilter, AdminUserFilter};
use super::service::{self, Account, BroadcastAudience};
use super::stats::{self, PlatformStats, StatsRange};
use crate::accounts::model::User;
use crate::error::AppError;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every account (deleted ones aside), newest first, with private fields.
    #[graphql(guard = "Need::matrix(Resource::PlatformUser, Action::Read)")]
    async fn admin_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Search, plan, suspension, creation date.")] filter: Option<
            AdminUserFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<User>> {
        let args = PageArgs::new(first, after, None, None);
        args.validate()?;
        let filter = filter.unwrap_or_default();
        let mut conn = app(ctx).db.conn().await?;
        let total = model::count_users(&mut conn, &filter)
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = model::page_users(&mut conn, &filter, window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }

    /// The dashboard's figures over a range (default the last 30 days).
    #[graphql(guard = "Need::matrix(Resource::PlatformStats, Action::Read)")]
    async fn platform_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The range; at most 366 days.")] range: Option<StatsRange>,
    ) -> async_graphql::Result<PlatformStats> {
        let mut conn = app(ctx).db.conn().await?;
        Ok(stats::compute(&mut conn, range.unwrap_or_default()).await?)
    }

    /// The audit log, newest first: one entry per admin action.
    #[graphql(guard = "Need::matrix(Resource::AdminAuditLog, Action::Read)")]
    async fn admin_audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Action, target type, admin, date.")] filter: Option<AdminAuditFilter>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<Conn<AdminAuditEntry>> {
        let args = PageArgs::new(first, after, None, None);
        args.validate()?;
        let filter = filter.unwrap_or_default();
        let admin = filter
            .admin_user_id
            .as_ref()
            .map(|id| GlobalId::decode_uuid(id, NodeType::User, "adminUserId"))
            .transpose()?;
        let mut conn = app(ctx).db.conn().await?;
        let total = model::count_audit(&mut conn, &filter, admin)
            .await
            .map_err(AppError::from)?;
        let window = args.window(total)?;
        let rows = model::page_audit(&mut conn, &filter, admin, window)
            .await
            .map_err(AppError::from)?;
        Ok(pagination::connection(window, total, rows))
    }
}

/// The input of `suspendUser`.
#[derive(InputObject)]
pub struct SuspendUserInput {
    /// The account.
    pub user_id: ID,
    /// Why (kept in the audit log).
    pub reason: Option<String>,
}

/// The input of `unsuspendUser`.
#[derive(InputObject)]
pub struct UnsuspendUserInput {
    /// The account.
    pub user_id: ID,
}

/// The account as changed.
#[derive(SimpleObject)]
pub struct SuspensionPayload {
    /// With `suspendedAt` set or cleared.
    pub user: User,
}

/// The input of `adjustCredits`.
#[derive(InputObject)]
pub struct AdjustCreditsInput {
    /// A user's own balance; give this or `teamId`.
    pub user_id: Option<ID>,
    /// A team's pool; give this or `userId`.
    pub team_id: Option<ID>,
    /// Positive adds, negative takes (never below zero); two decimals at most.
    pub amount: Decimal,
    /// Why (1 to 500 characters; the transaction's description).
    pub reason: String,
}

/// The new balance.
#[derive(SimpleObject)]
pub struct AdjustCreditsPayload {
    /// After the `admin_adjustment` transaction.
    pub balance: Decimal,
}

/// The input of `broadcastNotification`.
#[derive(InputObject)]
pub struct BroadcastNotificationInput {
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 5000 characters.
    pub message: String,
    /// Who receives it.
    pub audience: BroadcastAudience,
}

/// How many notifications went out.
#[derive(SimpleObject)]
pub struct BroadcastNotificationPayload {
    /// One `system_update` notification per recipient.
    pub recipients: i32,
}

fn user_id(id: &ID) -> Result<uuid::Uuid, AppError> {
    GlobalId::decode_uuid(id, NodeType::User, "userId")
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Suspends an account: sign-in answers `ACCOUNT_SUSPENDED`, its sessions
    /// and API keys stop working and its open sockets are closed (4403) at once.
    #[graphql(guard = "Need::matrix(Resource::PlatformUser, Action::Update)")]
    async fn suspend_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `suspendUser`.")] input: SuspendUserInput,
    ) -> async_graphql::Result<SuspensionPayload> {
        let id = user_id(&input.user_id)?;
        let user = service::set_suspended(app(ctx), &actor(ctx), id, true, input.reason).await?;
        Ok(SuspensionPayload { user })
    }

    /// Lifts a suspension (the account signs in again; old sessions stay revoked).
    #[graphql(guard = "Need::matrix(Resource::PlatformUser, Action::Update)")]
    async fn unsuspend_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `unsuspendUser`.")] input: UnsuspendUserInput,
    ) -> async_graphql::Result<SuspensionPayload> {
        let id = user_id(&input.user_id)?;
        let user = service::set_suspended(app(ctx), &actor(ctx), id, false, None).await?;
        Ok(SuspensionPayload { user })
    }

    /// Adds or takes credits through the ledger (`admin_adjustment`).
    #[graphql(guard = "Need::matrix(Resource::PlatformCredits, Action::Update)")]
    async fn adjust_credits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `adjustCredits`.")] input: AdjustCreditsInput,
    ) -> async_graphql::Result<AdjustCreditsPayload> {
        let account = match (&input.user_id, &input.team_id) {
            (Some(user), None) => Account::User(user_id(user)?),
            (None, Some(team)) => {
                Account::Team(GlobalId::decode_uuid(team, NodeType::Team, "teamId")?)
            }
            _ => {
                return Err(
                    AppError::bad_input("userId", "give exactly one of userId and teamId").into(),
                )
            }
        };
        let balance =
            service::adjust_credits(app(ctx), &actor(ctx), account, input.amount, input.reason)
                .await?;
        Ok(AdjustCreditsPayload { balance })
    }

    /// Sends a `system_update` notification to an audience, delivered live to
    /// connected users (`notificationReceived`).
    #[graphql(guard = "Need::matrix(Resource::PlatformNotification, Action::Create)")]
    async fn broadcast_notification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `broadcastNotification`.")]
        input: BroadcastNotificationInput,
    ) -> async_graphql::Result<BroadcastNotificationPayload> {
        let n = service::broadcast(
            app(ctx),
            &actor(ctx),
            input.title,
            input.message,
            input.audience,
        )
        .await?;
        Ok(BroadcastNotificationPayload {
            recipients: i32::try_from(n).unwrap_or(i32::MAX),
        })
    }
}
