//! Who may call each root field, in one table. Every Query, Mutation and
//! Subscription part carries `#[Object(guard = "RootGuard::...")]`, which looks the
//! field up here: a field missing from the table is refused for everyone (fail
//! closed), and a test checks that the table and the schema list the same fields.
//! Resource-level checks (the caller's role on *this* project) then use the same
//! matrix rule inside the resolver, through `roles::authorize`.

use async_graphql::{Context, Guard};

use super::matrix::{self, Action, Resource, Role};
use super::{caller, Caller};
use crate::error::AppError;

/// What a root field needs before its resolver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A session or an API client.
    SignedIn,
    /// A session (account self-service: an API key cannot manage its own account).
    Session,
    /// A platform admin's session (`isPlatformAdmin`); everyone else is refused:
    /// `UNAUTHENTICATED` without credentials, `FORBIDDEN` otherwise.
    PlatformAdmin,
    /// The matrix rule: credentials when its weakest role is above GUEST, and for
    /// API clients the rule's scope. The role itself is checked on the resource.
    Matrix(Resource, Action),
}

use Access::{Matrix, PlatformAdmin, Public, Session, SignedIn};
use Action::*;
use Resource::*;

/// Every root field of the schema and what it needs.
pub const ROOT_FIELDS: &[(&str, Access)] = &[
    ("Query.node", Public),
    ("Query.me", Public),
    ("Query.user", SignedIn),
    ("Query.mySessions", Session),
    ("Query.myApiClients", Session),
    ("Query.team", Matrix(Team, Read)),
    ("Query.myTeams", Matrix(Team, Read)),
    ("Query.aiModels", Public),
    ("Query.aiModel", Public),
    ("Query.workbench", Matrix(Workbench, Read)),
    ("Query.workbenches", Matrix(Workbench, Read)),
    ("Query.project", Matrix(Project, Read)),
    ("Query.projects", Matrix(Project, Read)),
    ("Query.brandKit", Matrix(BrandKit, Read)),
    ("Query.brandKits", Matrix(BrandKit, Read)),
    ("Query.template", Public),
    ("Query.templates", Public),
    ("Query.asset", Matrix(Asset, Read)),
    ("Query.generationRequest", Matrix(GenerationRequest, Read)),
    ("Mutation.signUp", Public),
    ("Mutation.signIn", Public),
    ("Mutation.signOut", Session),
    ("Mutation.requestEmailVerification", Session),
    ("Mutation.verifyEmail", Public),
    ("Mutation.requestPasswordReset", Public),
    ("Mutation.resetPassword", Public),
    ("Mutation.updateProfile", Session),
    ("Mutation.changePassword", Session),
    ("Mutation.changeEmail", Session),
    ("Mutation.deleteAccount", Session),
    ("Mutation.beginMfaEnrollment", Session),
    ("Mutation.confirmMfa", Session),
    ("Mutation.disableMfa", Session),
    ("Mutation.revokeSession", Session),
    ("Mutation.revokeOtherSessions", Session),
    ("Mutation.createApiClient", Session),
    ("Mutation.rotateApiClientSecret", Session),
    ("Mutation.revokeApiClient", Session),
    ("Mutation.createTeam", Session),
    ("Mutation.updateTeam", Matrix(Team, Update)),
    ("Mutation.deleteTeam", Matrix(Team, Delete)),
    ("Mutation.addTeamMember", Matrix(TeamMember, Create)),
    ("Mutation.updateTeamMemberRole", Matrix(TeamMember, Update)),
    ("Mutation.removeTeamMember", Matrix(TeamMember, Delete)),
    ("Mutation.leaveTeam", Matrix(TeamMember, Leave)),
    (
        "Mutation.transferTeamOwnership",
        Matrix(Team, TransferOwnership),
    ),
    ("Mutation.createWorkbench", Matrix(Workbench, Create)),
    ("Mutation.updateWorkbench", Matrix(Workbench, Update)),
    ("Mutation.deleteWorkbench", Matrix(Workbench, Delete)),
    ("Mutation.createProject", Matrix(Project, Create)),
    ("Mutation.updateProject", Matrix(Project, Update)),
    ("Mutation.deleteProject", Matrix(Project, Delete)),
    ("Mutation.restoreProject", Matrix(Project, Restore)),
    ("Mutation.createBrandKit", Matrix(BrandKit, Create)),
    ("Mutation.updateBrandKit", Matrix(BrandKit, Update)),
    ("Mutation.deleteBrandKit", Matrix(BrandKit, Delete)),
    ("Mutation.createTemplate", Matrix(Template, Create)),
    ("Mutation.updateTemplate", Matrix(Template, Update)),
    ("Mutation.deleteTemplate", Matrix(Template, Delete)),
    ("Mutation.uploadAsset", Matrix(Asset, Create)),
    ("Mutation.updateAsset", Matrix(Asset, Update)),
    ("Mutation.deleteAsset", Matrix(Asset, Delete)),
    ("Mutation.restoreAsset", Matrix(Asset, Restore)),
    ("Mutation.createAssetVersion", Matrix(Asset, CreateVersion)),
    (
        "Mutation.requestGeneration",
        Matrix(GenerationRequest, Create),
    ),
    (
        "Mutation.selectGenerationSample",
        Matrix(GenerationRequest, ActOnOwn),
    ),
    (
        "Mutation.cancelGeneration",
        Matrix(GenerationRequest, ActOnOwn),
    ),
    ("Query.notifications", Session),
    ("Query.unreadNotificationCount", Session),
    ("Mutation.markNotificationsRead", Session),
    (
        "Subscription.generationStatus",
        Matrix(GenerationRequest, Read),
    ),
    ("Subscription.notificationReceived", Session),
    ("Subscription.creditBalanceChanged", SignedIn),
    // The model registry (issue 13): platform admins only.
    ("Query.aiModelVersion", Public),
    ("Mutation.createAiModel", PlatformAdmin),
    ("Mutation.updateAiModel", PlatformAdmin),
    ("Mutation.createAiModelVersion", PlatformAdmin),
    ("Mutation.promoteAiModelVersion", PlatformAdmin),
    ("Mutation.deprecateAiModelVersion", PlatformAdmin),
    ("Mutation.archiveAiModelVersion", PlatformAdmin),
    ("Mutation.recordAiModelValidation", PlatformAdmin),
    ("Mutation.deployAiModelVersion", PlatformAdmin),
    ("Mutation.rollbackAiModelDeployment", PlatformAdmin),
    ("Mutation.rateGeneration", Matrix(AiModelFeedback, Create)),
    // History (issue 13).
    (
        "Query.myGenerationRequests",
        Matrix(GenerationRequest, Read),
    ),
    ("Query.myUsage", SignedIn),
    // The platform admin's API (issue 13).
    ("Query.adminUsers", PlatformAdmin),
    ("Query.platformStats", PlatformAdmin),
    ("Query.adminAuditLog", PlatformAdmin),
    ("Mutation.suspendUser", PlatformAdmin),
    ("Mutation.unsuspendUser", PlatformAdmin),
    ("Mutation.adjustCredits", PlatformAdmin),
    ("Mutation.broadcastNotification", PlatformAdmin),
];

/// The policy of `Root.field`, if the table has one.
pub fn access_of(root: &str, field: &str) -> Option<Access> {
    ROOT_FIELDS
        .iter()
        .find(|(name, _)| name.split_once('.') == Some((root, field)))
        .map(|(_, access)| *access)
}

/// Checks `access` for `caller`; the error follows PERMISSIONS.md's denials.
pub fn check(access: Access, caller: &Caller) -> Result<(), AppError> {
    match access {
        Public => Ok(()),
        SignedIn => caller
            .user_id()
            .map(|_| ())
            .ok_or(AppError::Unauthenticated),
        Session => match caller {
            Caller::Anonymous => Err(AppError::Unauthenticated),
            Caller::Session { .. } => Ok(()),
            Caller::ApiClient { .. } => Err(AppError::Forbidden),
        },
        PlatformAdmin => match caller {
            Caller::Anonymous => Err(AppError::Unauthenticated),
            _ if caller.is_platform_admin() => Ok(()),
            _ => Err(AppError::Forbidden),
        },
        Matrix(resource, action) => {
            let rule = matrix::lookup(resource, action);
            match caller {
                Caller::Anonymous if rule.min > Role::Guest => Err(AppError::Unauthenticated),
                Caller::ApiClient { .. } if !rule.scope.is_some_and(|s| caller.has_scope(s)) => {
                    Err(AppError::Forbidden)
                }
                _ => Ok(()),
            }
        }
    }
}

/// The guard of every root object part: `Query`, `Mutation` or `Subscription`.
pub struct RootGuard(&'static str);

impl RootGuard {
    pub const fn query() -> Self {
        Self("Query")
    }

    pub const fn mutation() -> Self {
        Self("Mutation")
    }

    pub const fn subscription() -> Self {
        Self("Subscription")
    }
}

impl Guard for RootGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let field = ctx.item.node.name.node.as_str();
        let Some(access) = access_of(self.0, field) else {
            tracing::error!(root = self.0, field, "root field without a policy: refused");
            return Err(AppError::Forbidden.into());
        };
        Ok(check(access, caller(ctx))?)
    }
}
