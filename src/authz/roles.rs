//! The caller's effective role on a resource, resolved through batched loaders so
//! that checking a list costs no query per item; and `load_authorized`, the one
//! way a resolver fetches the target of an operation.

use crate::graphql::loader;
use crate::teams::loaders::TeamLoaders;
use std::future::Future;
use std::sync::Mutex;

use async_graphql::Context;
use uuid::Uuid;

use super::matrix::{self, Action, Resource, Role};
use super::{caller, Caller};
use crate::error::{AppError, AppResult};
use crate::teams::loaders::MembershipOf;

/// Who holds a resource: a team (roles through membership), a user (OWNER of
/// their personal things), or nobody (system rows everyone may read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Team(Uuid),
    User(Uuid),
    Public,
}

impl Holder {
    /// A team's resource when `team_id` is set, otherwise the user's.
    pub fn of(team_id: Option<Uuid>, user_id: Uuid) -> Self {
        team_id.map_or(Holder::User(user_id), Holder::Team)
    }
}

/// The caller's role on what `holder` holds.
pub async fn role_on(ctx: &Context<'_>, holder: Holder) -> AppResult<Role> {
    let caller = caller(ctx);
    let Some(user_id) = caller.user_id() else {
        return Ok(Role::Guest);
    };
    // A team's API client reaches that team's resources only.
    if let Caller::ApiClient {
        team_id: Some(client_team),
        ..
    } = caller
    {
        if holder != Holder::Team(*client_team) {
            return Ok(Role::Guest);
        }
    }
    Ok(match holder {
        Holder::Public => Role::Guest,
        Holder::User(owner) if owner == user_id => Role::Owner,
        Holder::User(_) => Role::Guest,
        Holder::Team(team_id) => loader::<TeamLoaders>(ctx)
            .load_one(MembershipOf { team_id, user_id })
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))?
            .map_or(Role::Guest, Role::from),
    })
}

/// Whether the caller may do `action` (role and, for API clients, scope).
pub async fn can(
    ctx: &Context<'_>,
    holder: Holder,
    resource: Resource,
    action: Action,
) -> AppResult<bool> {
    let rule = matrix::lookup(resource, action);
    if rule.platform {
        return Ok(caller(ctx).is_platform_admin());
    }
    if !scope_allows(caller(ctx), rule.scope) {
        return Ok(false);
    }
    Ok(role_on(ctx, holder).await? >= rule.min)
}

fn scope_allows(caller: &Caller, scope: Option<&str>) -> bool {
    match caller {
        Caller::ApiClient { .. } => scope.is_some_and(|s| caller.has_scope(s)),
        _ => true,
    }
}

/// Checks `action` on a resource the caller targets, with PERMISSIONS.md's denials:
/// no credentials -> `UNAUTHENTICATED`; cannot even read it -> `NOT_FOUND` (its
/// existence does not leak); can read but not do this -> `FORBIDDEN`.
pub async fn authorize(
    ctx: &Context<'_>,
    holder: Holder,
    resource: Resource,
    action: Action,
) -> AppResult<Role> {
    let caller = caller(ctx);
    let rule = matrix::lookup(resource, action);
    if rule.min > Role::Guest && caller.user_id().is_none() {
        return Err(AppError::Unauthenticated);
    }
    if rule.platform {
        return if caller.is_platform_admin() {
            Ok(Role::Owner)
        } else {
            Err(AppError::Forbidden)
        };
    }
    let role = role_on(ctx, holder).await?;
    if role >= rule.min && scope_allows(caller, rule.scope) {
        if let (Holder::Team(team_id), Some(user_id)) = (holder, caller.user_id()) {
            if !matches!(
                action,
                Action::Read | Action::Download | Action::ReadDeleted
            ) {
                // A member acting in the team: noted here, written by the
                // schema's `Activity` extension once the mutation succeeded,
                // so authorization itself never writes.
                Activity::note(ctx, team_id, user_id);
            }
        }
        return Ok(role);
    }
    let read = matrix::lookup(resource, Action::Read);
    if role >= read.min && scope_allows(caller, read.scope) {
        Err(AppError::Forbidden)
    } else {
        Err(AppError::NotFound(resource.noun()))
    }
}

/// Whether the caller may read what `holder` holds (`Public` is readable by all).
pub async fn can_read(ctx: &Context<'_>, holder: Holder, resource: Resource) -> AppResult<bool> {
    if holder == Holder::Public {
        return Ok(true);
    }
    can(ctx, holder, resource, Action::Read).await
}

/// Something a resolver targets by id: how to load it through the loaders and
/// who holds it. Implemented next to each resource's GraphQL type.
pub trait Target: Sized + Send + Sync {
    /// Its row of the matrix.
    const RESOURCE: Resource;

    /// The row with this id, through the request's loaders.
    fn load(ctx: &Context<'_>, id: Uuid) -> impl Future<Output = AppResult<Option<Self>>> + Send;

    /// Who holds it; `None` when it cannot be reached any more (its parent is gone).
    fn holder(&self, ctx: &Context<'_>) -> impl Future<Output = AppResult<Option<Holder>>> + Send;

    /// Soft-deleted rows are found only to restore them or by those who may
    /// read deleted rows.
    fn is_deleted(&self) -> bool {
        false
    }

    /// The matrix check on the loaded target; a resource with an exception to
    /// the matrix (public templates) overrides it and says why.
    fn check(
        &self,
        ctx: &Context<'_>,
        holder: Holder,
        action: Action,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async move {
            authorize(ctx, holder, Self::RESOURCE, action).await?;
            Ok(())
        }
    }
}

/// The target of an operation, if the caller may do `action` on it, with
/// PERMISSIONS.md's denials (see [`authorize`]). The one way a resolver loads
/// what it acts on.
pub async fn load_authorized<T: Target>(
    ctx: &Context<'_>,
    id: Uuid,
    action: Action,
) -> AppResult<T> {
    load_authorized_by::<T>(ctx, id, |_, _| (T::RESOURCE, action)).await
}

/// [`load_authorized`] for operations whose cell depends on the target itself
/// (acting on one's own generation request or on someone else's) or lies in
/// another row of the matrix (rating a request is an `AiModelFeedback` cell on
/// the request's holder). The target is loaded and its holder found once; a
/// cell of another resource also needs the target readable, so an unreadable
/// target stays `NOT_FOUND`.
pub async fn load_authorized_by<T: Target>(
    ctx: &Context<'_>,
    id: Uuid,
    cell: impl FnOnce(&Context<'_>, &T) -> (Resource, Action) + Send,
) -> AppResult<T> {
    let not_found = || AppError::NotFound(T::RESOURCE.noun());
    let target = T::load(ctx, id).await?.ok_or_else(not_found)?;
    let (resource, action) = cell(ctx, &target);
    if target.is_deleted() && !matches!(action, Action::Restore | Action::ReadDeleted) {
        return Err(not_found());
    }
    let holder = target.holder(ctx).await?.ok_or_else(not_found)?;
    if resource == T::RESOURCE {
        target.check(ctx, holder, action).await?;
    } else {
        target.check(ctx, holder, Action::Read).await?;
        authorize(ctx, holder, resource, action).await?;
    }
    Ok(target)
}

/// The teams where the request's caller acted (see [`authorize`]), in the
/// request's data until the mutation that acted has succeeded.
#[derive(Debug, Default)]
pub struct Activity(Mutex<Vec<(Uuid, Uuid)>>);

impl Activity {
    fn note(ctx: &Context<'_>, team_id: Uuid, user_id: Uuid) {
        if let Some(Ok(mut noted)) = ctx.data_opt::<Activity>().map(|a| a.0.lock()) {
            if !noted.contains(&(team_id, user_id)) {
                noted.push((team_id, user_id));
            }
        }
    }

    /// What was noted since the last call, as (team, user) pairs.
    pub fn take(&self) -> Vec<(Uuid, Uuid)> {
        self.0
            .lock()
            .map(|mut noted| std::mem::take(&mut *noted))
            .unwrap_or_default()
    }
}

/// The teams where the caller's role allows (`resource`, `action`): for list
/// queries that must agree with the matrix. One query.
pub async fn teams_where(
    ctx: &Context<'_>,
    resource: Resource,
    action: Action,
) -> AppResult<Vec<Uuid>> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;

    use crate::db::schema::team_members;
    use crate::teams::model::TeamRole;

    let caller = caller(ctx);
    let Some(user_id) = caller.user_id() else {
        return Ok(Vec::new());
    };
    let rule = matrix::lookup(resource, action);
    if !scope_allows(caller, rule.scope) {
        return Ok(Vec::new());
    }
    let mut conn = crate::graphql::app(ctx).db.conn().await?;
    let rows: Vec<(Uuid, TeamRole)> = team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select((team_members::team_id, team_members::role))
        .load(&mut conn)
        .await?;
    let only_team = match caller {
        Caller::ApiClient { team_id, .. } => *team_id,
        _ => None,
    };
    Ok(rows
        .into_iter()
        .filter(|(team, role)| {
            only_team.is_none_or(|t| t == *team) && Role::from(*role) >= rule.min
        })
        .map(|(team, _)| team)
        .collect())
}
