//! The caller's effective role on a resource, resolved through batched loaders so
//! that checking a list costs no query per item.

use async_graphql::Context;
use uuid::Uuid;

use super::matrix::{self, Action, Resource, Role};
use super::{caller, Caller};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders;
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
        Holder::Team(team_id) => loaders(ctx)
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
    let role = role_on(ctx, holder).await?;
    if role >= rule.min && scope_allows(caller, rule.scope) {
        if let (Holder::Team(team_id), Some(user_id)) = (holder, caller.user_id()) {
            if !matches!(
                action,
                Action::Read | Action::Download | Action::ReadDeleted
            ) {
                // A member acting in the team: `lastActiveAt`, written at most once a minute.
                crate::teams::service::touch_membership(crate::graphql::app(ctx), team_id, user_id)
                    .await?;
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
