//! The permission matrix of PERMISSIONS.md, once: for each (resource, action),
//! the weakest role allowed and the API-client scope it needs.

use crate::teams::model::TeamRole;

/// A caller's effective role on a resource, strongest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, async_graphql::Enum)]
pub enum Role {
    /// No role: not a member of the owning team, not the owning user.
    Guest,
    /// Reads.
    Viewer,
    /// Creates and edits.
    Editor,
    /// Manages members, settings, deletions.
    Admin,
    /// Owns the team (or the personal resource).
    Owner,
}

impl From<TeamRole> for Role {
    fn from(role: TeamRole) -> Self {
        match role {
            TeamRole::Owner => Role::Owner,
            TeamRole::Admin => Role::Admin,
            TeamRole::Editor => Role::Editor,
            TeamRole::Viewer => Role::Viewer,
        }
    }
}

/// What a permission is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    Team,
    TeamMember,
    TeamCredits,
    TeamApiClient,
    Workbench,
    Project,
    BrandKit,
    Template,
    Asset,
    GenerationRequest,
    AiModelFeedback,
    /// The model catalogue (the registry's models); platform admins change it.
    AiModel,
    /// A model's versions and their status (promote, deprecate, archive).
    AiModelVersion,
    /// A version's validation results.
    AiModelValidation,
    /// Where versions are deployed, and rollbacks.
    AiModelDeployment,
    /// Every account, as the platform admin's API sees it (search, suspension).
    PlatformUser,
    /// Any account's or team's credits, adjusted through the ledger.
    PlatformCredits,
    /// Notifications broadcast to an audience.
    PlatformNotification,
    /// The platform's dashboard figures.
    PlatformStats,
    /// The platform admins' audit log.
    AdminAuditLog,
    /// Invitations to join a team by email (issue 15).
    TeamInvitation,
    /// A user's own data exports (issue 15): SELF only.
    UserDataExport,
}

impl Resource {
    /// The name used in `NOT_FOUND` messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Team | Self::TeamMember | Self::TeamCredits | Self::TeamApiClient => "team",
            Self::Workbench => "workbench",
            Self::Project => "project",
            Self::BrandKit => "brand kit",
            Self::Template => "template",
            Self::Asset => "asset",
            Self::GenerationRequest => "generation request",
            Self::AiModelFeedback => "feedback",
            Self::AiModel => "model",
            Self::AiModelVersion => "model version",
            Self::AiModelValidation => "validation result",
            Self::AiModelDeployment => "deployment",
            Self::PlatformUser => "user",
            Self::PlatformCredits => "credits",
            Self::PlatformNotification => "notification",
            Self::PlatformStats => "platform stats",
            Self::AdminAuditLog => "audit log",
            Self::TeamInvitation => "invitation",
            Self::UserDataExport => "data export",
        }
    }
}

/// What the caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Restore,
    /// Read rows that were soft-deleted.
    ReadDeleted,
    TransferOwnership,
    Leave,
    Download,
    CreateVersion,
    /// Select a sample or cancel a request one made oneself.
    ActOnOwn,
    /// Select a sample or cancel a request someone else made.
    ActOnOthers,
    /// Read what the public does not see: inactive models, versions other than
    /// Production, validations, deployments, who created them.
    ReadAll,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub resource: Resource,
    pub action: Action,
    /// The weakest role allowed; stronger roles are allowed too.
    pub min: Role,
    /// The scope an API client needs; `None`: sessions only.
    pub scope: Option<&'static str>,
    /// Platform administration: only a platform admin's session, whatever its
    /// team roles (`min` is then OWNER and `scope` `None`, so nothing else passes).
    pub platform: bool,
}

const fn rule(resource: Resource, action: Action, min: Role, scope: Option<&'static str>) -> Rule {
    Rule {
        resource,
        action,
        min,
        scope,
        platform: false,
    }
}

/// A cell of the platform admins' (`isPlatformAdmin`) alone.
const fn platform(resource: Resource, action: Action) -> Rule {
    Rule {
        resource,
        action,
        min: Owner,
        scope: None,
        platform: true,
    }
}

use Action::*;
use Resource::*;
use Role::{Admin, Editor, Owner, Viewer};

const PROJECTS_READ: Option<&str> = Some("projects:read");
const PROJECTS_WRITE: Option<&str> = Some("projects:write");
const ASSETS_READ: Option<&str> = Some("assets:read");
const ASSETS_WRITE: Option<&str> = Some("assets:write");
const GENERATION_READ: Option<&str> = Some("generation:read");
const GENERATION_WRITE: Option<&str> = Some("generation:write");

/// PERMISSIONS.md, row by row.
pub const MATRIX: &[Rule] = &[
    rule(Team, Read, Viewer, PROJECTS_READ),
    rule(Team, Update, Admin, None),
    rule(Team, Delete, Owner, None),
    rule(Team, TransferOwnership, Owner, None),
    rule(TeamMember, Read, Viewer, PROJECTS_READ),
    rule(TeamMember, Create, Admin, None),
    rule(TeamMember, Update, Admin, None),
    rule(TeamMember, Delete, Admin, None),
    rule(TeamMember, Leave, Viewer, None),
    rule(TeamCredits, Read, Viewer, PROJECTS_READ),
    rule(TeamCredits, Update, Admin, None),
    rule(TeamApiClient, Read, Admin, None),
    rule(TeamApiClient, Create, Admin, None),
    rule(TeamApiClient, Update, Admin, None),
    rule(TeamApiClient, Delete, Admin, None),
    rule(Workbench, Read, Viewer, PROJECTS_READ),
    rule(Workbench, Create, Editor, PROJECTS_WRITE),
    rule(Workbench, Update, Editor, PROJECTS_WRITE),
    rule(Workbench, Delete, Admin, PROJECTS_WRITE),
    rule(Project, Read, Viewer, PROJECTS_READ),
    rule(Project, Create, Editor, PROJECTS_WRITE),
    rule(Project, Update, Editor, PROJECTS_WRITE),
    rule(Project, Delete, Admin, PROJECTS_WRITE),
    rule(Project, Restore, Admin, PROJECTS_WRITE),
    rule(Project, ReadDeleted, Admin, PROJECTS_READ),
    rule(BrandKit, Read, Viewer, PROJECTS_READ),
    rule(BrandKit, Create, Editor, PROJECTS_WRITE),
    rule(BrandKit, Update, Editor, PROJECTS_WRITE),
    rule(BrandKit, Delete, Admin, PROJECTS_WRITE),
    rule(Template, Read, Viewer, PROJECTS_READ),
    rule(Template, Create, Editor, PROJECTS_WRITE),
    rule(Template, Update, Editor, PROJECTS_WRITE),
    rule(Template, Delete, Admin, PROJECTS_WRITE),
    rule(Asset, Read, Viewer, ASSETS_READ),
    rule(Asset, Download, Viewer, ASSETS_READ),
    rule(Asset, Create, Editor, ASSETS_WRITE),
    rule(Asset, Update, Editor, ASSETS_WRITE),
    rule(Asset, CreateVersion, Editor, ASSETS_WRITE),
    rule(Asset, Delete, Admin, ASSETS_WRITE),
    rule(Asset, Restore, Admin, ASSETS_WRITE),
    rule(Asset, ReadDeleted, Admin, ASSETS_READ),
    rule(GenerationRequest, Read, Viewer, GENERATION_READ),
    rule(GenerationRequest, Create, Editor, GENERATION_WRITE),
    rule(GenerationRequest, ActOnOwn, Editor, GENERATION_WRITE),
    rule(GenerationRequest, ActOnOthers, Admin, GENERATION_WRITE),
    rule(GenerationRequest, Delete, Admin, GENERATION_WRITE),
    rule(AiModelFeedback, Read, Viewer, GENERATION_READ),
    rule(AiModelFeedback, Create, Editor, GENERATION_WRITE),
    rule(AiModelFeedback, Update, Editor, GENERATION_WRITE),
    rule(AiModelFeedback, Delete, Editor, GENERATION_WRITE),
    // The model registry and the platform admin's API (issue 13).
    platform(AiModel, ReadAll),
    platform(AiModel, Create),
    platform(AiModel, Update),
    platform(AiModelVersion, Create),
    platform(AiModelVersion, Update),
    platform(AiModelValidation, Create),
    platform(AiModelDeployment, Create),
    platform(AiModelDeployment, Update),
    platform(PlatformUser, Read),
    platform(PlatformUser, Update),
    platform(PlatformCredits, Update),
    platform(PlatformNotification, Create),
    platform(PlatformStats, Read),
    platform(AdminAuditLog, Read),
    // Team invitations and data exports (issue 15). Accepting an invitation is
    // for the holder of the invited address (a session), not a team role.
    rule(TeamInvitation, Read, Admin, None),
    rule(TeamInvitation, Create, Admin, None),
    rule(TeamInvitation, Delete, Admin, None),
    // SELF: an account's exports are its own personal resource (Holder::User),
    // where the account alone is OWNER.
    rule(UserDataExport, Read, Owner, None),
    rule(UserDataExport, Create, Owner, None),
];

/// The cell for (resource, action). Every pair used in code is in the table; a
/// missing one is a programming error, refused for everybody (fail closed).
pub fn lookup(resource: Resource, action: Action) -> Rule {
    MATRIX
        .iter()
        .find(|r| r.resource == resource && r.action == action)
        .copied()
        .unwrap_or(Rule {
            resource,
            action,
            min: Role::Owner,
            scope: Some("no-such-scope"),
            platform: true,
        })
}

/// PERMISSIONS.md's one rule the hierarchy does not give: the OWNER cannot leave
/// its team (it transfers ownership first), although weaker roles may.
pub fn owner_may(role: Role, action: Action) -> bool {
    !(role == Role::Owner && action == Action::Leave)
}

/// Whether `role` may do `action` on `resource` (scopes aside). No team role
/// reaches a platform cell.
pub fn allows(role: Role, resource: Resource, action: Action) -> bool {
    let rule = lookup(resource, action);
    !rule.platform && role >= rule.min
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cell_appears_once() {
        for (i, a) in MATRIX.iter().enumerate() {
            for b in &MATRIX[i + 1..] {
                assert!(
                    !(a.resource == b.resource && a.action == b.action),
                    "{:?} {:?} twice",
                    a.resource,
                    a.action
                );
            }
        }
    }

    #[test]
    fn reading_needs_viewer_everywhere_so_list_filters_can_use_membership() {
        // List queries filter by "member of the team, or the owner": that is right
        // only while every Read is VIEWER.
        for rule in MATRIX.iter().filter(|r| r.action == Read && !r.platform) {
            if ![TeamApiClient, TeamInvitation, UserDataExport].contains(&rule.resource) {
                assert_eq!(rule.min, Viewer, "{:?}", rule.resource);
            }
        }
    }

    #[test]
    fn roles_are_hierarchical() {
        assert!(allows(Owner, Project, Delete));
        assert!(allows(Admin, Project, Delete));
        assert!(!allows(Editor, Project, Delete));
        assert!(allows(Editor, Project, Update));
        assert!(!allows(Viewer, Project, Update));
        assert!(allows(Viewer, Project, Read));
        assert!(!allows(Role::Guest, Project, Read));
    }

    #[test]
    fn platform_cells_are_sessions_only_and_no_team_role_reaches_them() {
        let platform: Vec<_> = MATRIX.iter().filter(|r| r.platform).collect();
        assert_eq!(platform.len(), 14);
        for rule in platform {
            assert_eq!(rule.scope, None, "{:?} {:?}", rule.resource, rule.action);
            assert!(!allows(Owner, rule.resource, rule.action));
        }
        assert!(allows(Owner, Project, Delete));
    }
}
