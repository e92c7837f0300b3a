//! Which status may follow which, for model versions and deployments. The
//! migration `2026-12-03-100001_model_registry` writes the same pairs into
//! `ai_model_status_transitions`, whose triggers refuse any other change; a test
//! checks that the two lists agree.

use super::model::{AiModelVersionStatus as V, DeploymentStatus as D};

/// Staged -> Production -> Deprecated -> Archived, and Failed.
pub const VERSION_TRANSITIONS: &[(V, V)] = &[
    (V::Staged, V::Production),
    (V::Staged, V::Failed),
    (V::Staged, V::Archived),
    (V::Production, V::Deprecated),
    (V::Deprecated, V::Production),
    (V::Deprecated, V::Archived),
    (V::Failed, V::Archived),
];

/// Initiated -> Deploying -> Active -> Inactive / Failed / RolledBack; a rollback
/// makes an Inactive deployment Active again.
pub const DEPLOYMENT_TRANSITIONS: &[(D, D)] = &[
    (D::Initiated, D::Deploying),
    (D::Initiated, D::Failed),
    (D::Deploying, D::Active),
    (D::Deploying, D::Failed),
    (D::Active, D::Inactive),
    (D::Active, D::RolledBack),
    (D::Active, D::Failed),
    (D::Inactive, D::Active),
];

pub fn version_may(from: V, to: V) -> bool {
    VERSION_TRANSITIONS.contains(&(from, to))
}

pub fn deployment_may(from: D, to: D) -> bool {
    DEPLOYMENT_TRANSITIONS.contains(&(from, to))
}
