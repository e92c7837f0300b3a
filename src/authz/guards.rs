//! The guards that root fields declare, built from the one matrix: a field says
//! `#[graphql(guard = "Need::matrix(Resource::Project, Action::Update)")]` and
//! async-graphql checks it before the resolver runs. Root guards see no target,
//! so they check what the caller's credentials alone decide (signed in, a
//! session, the API client's scope); the caller's role on the target is checked
//! by `roles::load_authorized` with the same matrix cell.

use std::sync::{Arc, Mutex};

use async_graphql::{Context, Guard};

use super::matrix::{self, Action, Resource, Role};
use super::roles::{self, Holder};
use super::{caller, Caller};
use crate::error::AppError;

/// What a field needs before its resolver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not.
    Anyone,
    /// A session or an API client.
    SignedIn,
    /// A session (account self-service: an API key cannot manage its own account).
    Session,
    /// The matrix cell: credentials when its weakest role is above GUEST, and
    /// for API clients the cell's scope.
    Matrix(Resource, Action),
}

impl Need {
    /// Anyone, signed in or not.
    pub const fn anyone() -> Self {
        Self::Anyone
    }

    /// A session or an API client.
    pub const fn signed_in() -> Self {
        Self::SignedIn
    }

    /// A session only.
    pub const fn session() -> Self {
        Self::Session
    }

    /// The matrix cell of (`resource`, `action`).
    pub const fn matrix(resource: Resource, action: Action) -> Self {
        Self::Matrix(resource, action)
    }

    /// Checks what `caller`'s credentials decide; errors follow PERMISSIONS.md.
    pub fn check_caller(self, caller: &Caller) -> Result<(), AppError> {
        match self {
            Self::Anyone => Ok(()),
            Self::SignedIn => caller
                .user_id()
                .map(|_| ())
                .ok_or(AppError::Unauthenticated),
            Self::Session => match caller {
                Caller::Anonymous => Err(AppError::Unauthenticated),
                Caller::Session { .. } => Ok(()),
                Caller::ApiClient { .. } => Err(AppError::Forbidden),
            },
            Self::Matrix(resource, action) => {
                let rule = matrix::lookup(resource, action);
                if rule.platform {
                    return match caller {
                        Caller::Anonymous => Err(AppError::Unauthenticated),
                        _ if caller.is_platform_admin() => Ok(()),
                        _ => Err(AppError::Forbidden),
                    };
                }
                match caller {
                    Caller::Anonymous if rule.min > Role::Guest => Err(AppError::Unauthenticated),
                    Caller::ApiClient { .. }
                        if !rule.scope.is_some_and(|s| caller.has_scope(s)) =>
                    {
                        Err(AppError::Forbidden)
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

impl Need {
    /// Whether `caller` passes: for fields that answer `null` or less to the
    /// others instead of refusing (a public object's admin-only parts).
    pub fn permits(self, caller: &Caller) -> bool {
        self.check_caller(caller).is_ok()
    }
}

/// Whether the caller holds the platform cell (`resource`, `action`) of the matrix.
pub fn platform_may(ctx: &Context<'_>, resource: Resource, action: Action) -> bool {
    Need::matrix(resource, action).permits(caller(ctx))
}

impl Guard for Need {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if let Some(probe) = ctx.data_opt::<GuardProbe>() {
            return Err(probe.record(ctx.item.node.name.node.as_str(), *self));
        }
        Ok(self.check_caller(caller(ctx))?)
    }
}

/// Put in a request's data by the schema test: every guard records the field it
/// guards and refuses, so the test can call every root field and see which ones
/// carry a guard without running any resolver. Never set by the server. Clones
/// share what they saw.
#[derive(Debug, Default, Clone)]
pub struct GuardProbe(Arc<Mutex<Vec<(String, Need)>>>);

impl GuardProbe {
    /// The refusal every probed guard returns.
    pub const REFUSAL: &'static str = "guard probe: refused before the resolver";

    fn record(&self, field: &str, need: Need) -> async_graphql::Error {
        if let Ok(mut seen) = self.0.lock() {
            seen.push((field.to_string(), need));
        }
        async_graphql::Error::new(Self::REFUSAL)
    }

    /// The fields whose guard ran, with what they need.
    pub fn seen(&self) -> Vec<(String, Need)> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// An object field's rule beyond "can read the parent": the caller's role on
/// the parent's holder must allow the matrix cell, else `FORBIDDEN` (the parent
/// itself is readable, so its existence is no secret). `when` limits it to the
/// arguments that need it, e.g. listing soft-deleted children.
pub struct OnParent {
    holder: Holder,
    resource: Resource,
    action: Action,
    when: bool,
}

impl OnParent {
    /// The cell (`resource`, `action`) on what `holder` holds.
    pub const fn matrix(holder: Holder, resource: Resource, action: Action) -> Self {
        Self {
            holder,
            resource,
            action,
            when: true,
        }
    }

    /// Checked only when `condition` holds.
    pub const fn when(mut self, condition: bool) -> Self {
        self.when = condition;
        self
    }
}

impl Guard for OnParent {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if !self.when || roles::can(ctx, self.holder, self.resource, self.action).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden.into())
        }
    }
}
