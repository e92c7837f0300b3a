//! Admin rows: the audit log, and the admin's queries over users and the log.

use async_graphql::{ComplexObject, Context, InputObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::accounts::loaders::UserById;
use crate::accounts::model::{SubscriptionTier, User};
use crate::db::escape_like;
use crate::db::schema::{admin_audit, users};
use crate::graphql::loader;
use crate::graphql::pagination::Window;

/// One admin action, as the audit log keeps it.
#[derive(Debug, Clone, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = admin_audit, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "AdminAuditEntry", complex)]
pub struct AdminAuditEntry {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub admin_user_id: Option<Uuid>,
    /// What was done, e.g. `user.suspend`, `credits.adjust`, `ai_model_version.promote`.
    pub action: String,
    /// The kind of target, e.g. `User`, `Team`, `AIModelVersion`.
    pub target_type: String,
    /// The target's database id.
    pub target_id: Option<String>,
    /// The target before the action.
    pub before: Option<serde_json::Value>,
    /// The target after the action.
    pub after: Option<serde_json::Value>,
    /// The HTTP request's `x-request-id`, or `cli`.
    pub request_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[ComplexObject]
impl AdminAuditEntry {
    /// Opaque id of the entry.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The admin who acted; `null` for the command line.
    async fn admin(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.admin_user_id {
            Some(id) => {
                loader::<crate::accounts::loaders::AccountLoaders>(ctx)
                    .load_one(UserById(id))
                    .await
            }
            None => Ok(None),
        }
    }
}

/// Narrows the audit log.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AdminAuditFilter {
    /// Only this action.
    pub action: Option<String>,
    /// Only this kind of target.
    pub target_type: Option<String>,
    /// Only actions by this admin.
    pub admin_user_id: Option<ID>,
    /// From this moment on.
    pub since: Option<DateTime<Utc>>,
}

fn audit_query(
    filter: &AdminAuditFilter,
    admin: Option<Uuid>,
) -> admin_audit::BoxedQuery<'_, diesel::pg::Pg> {
    let mut query = admin_audit::table.into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(admin_audit::action.eq(action));
    }
    if let Some(kind) = &filter.target_type {
        query = query.filter(admin_audit::target_type.eq(kind));
    }
    if let Some(admin) = admin {
        query = query.filter(admin_audit::admin_user_id.eq(admin));
    }
    if let Some(since) = filter.since {
        query = query.filter(admin_audit::created_at.ge(since));
    }
    query
}

pub async fn count_audit(
    conn: &mut AsyncPgConnection,
    filter: &AdminAuditFilter,
    admin: Option<Uuid>,
) -> QueryResult<i64> {
    audit_query(filter, admin).count().get_result(conn).await
}

pub async fn page_audit(
    conn: &mut AsyncPgConnection,
    filter: &AdminAuditFilter,
    admin: Option<Uuid>,
    window: Window,
) -> QueryResult<Vec<AdminAuditEntry>> {
    audit_query(filter, admin)
        .order((admin_audit::created_at.desc(), admin_audit::id.desc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(AdminAuditEntry::as_select())
        .load(conn)
        .await
}

/// Narrows `adminUsers`.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AdminUserFilter {
    /// Case-insensitive substring of the email, username or full name.
    pub search: Option<String>,
    /// Only this plan.
    pub tier: Option<SubscriptionTier>,
    /// Only suspended (true) or not suspended (false) accounts.
    pub suspended: Option<bool>,
    /// Only accounts created from this moment on.
    pub created_since: Option<DateTime<Utc>>,
}

fn users_query(filter: &AdminUserFilter) -> users::BoxedQuery<'_, diesel::pg::Pg> {
    let mut query = users::table
        .filter(users::deleted_at.is_null())
        .into_boxed();
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", escape_like(search));
        query = query.filter(
            users::email
                .ilike(pattern.clone())
                .or(users::username.ilike(pattern.clone()))
                .or(users::full_name.ilike(pattern)),
        );
    }
    if let Some(tier) = filter.tier {
        query = query.filter(users::subscription_tier.eq(tier));
    }
    match filter.suspended {
        Some(true) => query = query.filter(users::suspended_at.is_not_null()),
        Some(false) => query = query.filter(users::suspended_at.is_null()),
        None => {}
    }
    if let Some(since) = filter.created_since {
        query = query.filter(users::created_at.ge(since));
    }
    query
}

pub async fn count_users(
    conn: &mut AsyncPgConnection,
    filter: &AdminUserFilter,
) -> QueryResult<i64> {
    users_query(filter).count().get_result(conn).await
}

pub async fn page_users(
    conn: &mut AsyncPgConnection,
    filter: &AdminUserFilter,
    window: Window,
) -> QueryResult<Vec<User>> {
    users_query(filter)
        .order((users::created_at.desc(), users::id.desc()))
        .offset(window.offset)
        .limit(window.limit)
        .select(User::as_select())
        .load(conn)
        .await
}
