//! PERMISSIONS.md, cell by cell: every row of the matrix run by every kind of
//! caller (the four team roles, a signed-in GUEST, an anonymous caller and a
//! platform admin who is not a member), then `myRole` / `viewerCan` compared with
//! the same rows.
//!
//! Outcomes follow "How a denial looks": allowed (data, no error); hidden
//! (`null`, absent from a list, or `NOT_FOUND` for a mutation target); FORBIDDEN
//! (readable but not changeable); UNAUTHENTICATED (no credentials). A cell that
//! changes state gets a fresh target of its own (a throwaway team, member,
//! project...), so cells never depend on each other. Each resource is a test of
//! its own (`permissions::project`...), over a fixture of its own, so a failing
//! cell is named by the runner and one resource can be run alone.

use std::collections::HashMap;
use std::fmt;

use async_graphql::ID;
use atelier::graphql::id::{GlobalId, NodeType};
use diesel::sql_types::{Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::helpers::{error_code, TestApp};

// ---------------------------------------------------------------------------
// Callers and outcomes
// ---------------------------------------------------------------------------

/// Who makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Owner,
    Admin,
    Editor,
    Viewer,
    /// Signed in, no membership.
    Guest,
    /// No credentials.
    Anonymous,
    /// `is_platform_admin`, not a member of the team.
    PlatformAdmin,
}

/// The columns of every row, in this order.
const CALLERS: [Who; 7] = [
    Who::Owner,
    Who::Admin,
    Who::Editor,
    Who::Viewer,
    Who::Guest,
    Who::Anonymous,
    Who::PlatformAdmin,
];

/// The team members, for `myRole` / `viewerCan`.
const MEMBERS: [Who; 4] = [Who::Owner, Who::Admin, Who::Editor, Who::Viewer];

impl Who {
    fn label(self) -> &'static str {
        match self {
            Who::Owner => "OWNER",
            Who::Admin => "ADMIN",
            Who::Editor => "EDITOR",
            Who::Viewer => "VIEWER",
            Who::Guest => "GUEST",
            Who::Anonymous => "ANONYMOUS",
            Who::PlatformAdmin => "PLATFORM_ADMIN",
        }
    }

    /// Strength of a team role (0: no role).
    fn rank(self) -> u8 {
        match self {
            Who::Owner => 4,
            Who::Admin => 3,
            Who::Editor => 2,
            Who::Viewer => 1,
            Who::Guest | Who::Anonymous | Who::PlatformAdmin => 0,
        }
    }

    fn email(self) -> String {
        format!("perm-{}@example.test", self.label().to_lowercase())
    }
}

/// What a cell looks like from the outside.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Data returned, no error.
    Allowed,
    /// Allowed, and private fields (another user's email) are shown too.
    Private,
    /// `null`, absent from a list, or `NOT_FOUND`.
    Hidden,
    Forbidden,
    Unauthenticated,
    /// `BAD_USER_INPUT` (granting OWNER through the member mutations).
    BadInput,
    /// `CONFLICT` (the OWNER leaving).
    Conflict,
    /// Anything else, described.
    Unexpected(String),
}

const A: Outcome = Outcome::Allowed;
const P: Outcome = Outcome::Private;
const H: Outcome = Outcome::Hidden;
const F: Outcome = Outcome::Forbidden;
const U: Outcome = Outcome::Unauthenticated;
const B: Outcome = Outcome::BadInput;
const C: Outcome = Outcome::Conflict;

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Allowed => f.write_str("allowed"),
            Outcome::Private => f.write_str("allowed+private"),
            Outcome::Hidden => f.write_str("hidden (null/NOT_FOUND)"),
            Outcome::Forbidden => f.write_str("FORBIDDEN"),
            Outcome::Unauthenticated => f.write_str("UNAUTHENTICATED"),
            Outcome::BadInput => f.write_str("BAD_USER_INPUT"),
            Outcome::Conflict => f.write_str("CONFLICT"),
            Outcome::Unexpected(what) => write!(f, "unexpected: {what}"),
        }
    }
}

/// The outcome of a response whose root field is `field`.
fn outcome(response: &Value, field: &str) -> Outcome {
    if let Some(first) = response["errors"].as_array().and_then(|e| e.first()) {
        return match error_code(response) {
            Some("UNAUTHENTICATED") => Outcome::Unauthenticated,
            Some("FORBIDDEN") => Outcome::Forbidden,
            Some("NOT_FOUND") => Outcome::Hidden,
            Some("BAD_USER_INPUT") => Outcome::BadInput,
            Some("CONFLICT") => Outcome::Conflict,
            Some(code) => Outcome::Unexpected(format!("{code}: {}", first["message"])),
            None => Outcome::Unexpected(first.to_string()),
        };
    }
    if response["data"][field].is_null() {
        Outcome::Hidden
    } else {
        Outcome::Allowed
    }
}

/// An allowed outcome stays allowed only if `ok` (the data is what it should be).
fn allowed_if(outcome: Outcome, ok: bool, why: &str) -> Outcome {
    if outcome == Outcome::Allowed && !ok {
        Outcome::Unexpected(why.to_string())
    } else {
        outcome
    }
}

// ---------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------

/// One operation of a row; `perform` runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Act {
    TeamRead,
    TeamUpdate,
    TeamDelete,
    TeamTransfer,
    MemberAdd,
    MemberChangeRole,
    MemberRemove,
    MemberAddAsOwner,
    MemberGrantOwner,
    MemberChangeOwnersRole,
    MemberRemoveOwner,
    MemberLeave,
    ApiClientCreate,
    ApiClientRead,
    ApiClientRotate,
    ApiClientRevoke,
    WorkbenchCreate,
    WorkbenchRead,
    WorkbenchUpdate,
    WorkbenchDelete,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    ProjectDelete,
    ProjectRestore,
    BrandKitCreate,
    BrandKitRead,
    BrandKitUpdate,
    BrandKitDelete,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
    TemplateDelete,
    AssetUpload,
    AssetRead,
    AssetRename,
    AssetMarkFinal,
    AssetVersionCreate,
    AssetDelete,
    GenerationRequestRead,
    AiModelList,
    PublicTemplateRead,
    OtherUserProfile,
    PersonalWorkbenchRead,
    PersonalWorkbenchUpdate,
    PersonalWorkbenchDelete,
    PersonalProjectCreate,
    PersonalProjectRead,
    PersonalProjectUpdate,
    PersonalProjectDelete,
    /// The model registry, history and admin operations (issue 13).
    Registry(registry::RegAct),
    /// Team invitations and data exports (issue 15).
    Sharing(sharing::ShareAct),
}

#[path = "permissions_registry.rs"]
mod registry;

#[path = "permissions_sharing.rs"]
mod sharing;

struct Row {
    resource: &'static str,
    action: &'static str,
    act: Act,
    /// One outcome per caller, in the order of `CALLERS`.
    expect: [Outcome; 7],
}

fn row(resource: &'static str, action: &'static str, act: Act, expect: [Outcome; 7]) -> Row {
    Row {
        resource,
        action,
        act,
        expect,
    }
}

/// PERMISSIONS.md, row by row. Columns:
/// OWNER, ADMIN, EDITOR, VIEWER, GUEST, ANONYMOUS, PLATFORM_ADMIN.
#[rustfmt::skip]
fn matrix() -> Vec<Row> {
    use Act::*;
    vec![
        // Team
        row("Team", "read (name, members, creditBalance)", TeamRead,        [A, A, A, A, H, U, H]),
        row("Team", "update name/description",             TeamUpdate,      [A, A, F, F, H, U, H]),
        row("Team", "delete",                              TeamDelete,      [A, F, F, F, H, U, H]),
        row("Team", "transfer ownership (old owner -> ADMIN)", TeamTransfer, [A, F, F, F, H, U, H]),
        // TeamMember
        row("TeamMember", "add (as EDITOR)",               MemberAdd,       [A, A, F, F, H, U, H]),
        row("TeamMember", "change role (VIEWER -> EDITOR)", MemberChangeRole, [A, A, F, F, H, U, H]),
        row("TeamMember", "remove",                        MemberRemove,    [A, A, F, F, H, U, H]),
        // "An ADMIN cannot touch the OWNER nor grant OWNER": granting OWNER is
        // BAD_USER_INPUT for anyone allowed to manage members (ownership moves only
        // with transferTeamOwnership); touching the OWNER's membership is FORBIDDEN.
        row("TeamMember", "add as OWNER",                  MemberAddAsOwner, [B, B, F, F, H, U, H]),
        row("TeamMember", "change a member's role to OWNER", MemberGrantOwner, [B, B, F, F, H, U, H]),
        row("TeamMember", "change the OWNER's role",       MemberChangeOwnersRole, [F, F, F, F, H, U, H]),
        row("TeamMember", "remove the OWNER",              MemberRemoveOwner, [F, F, F, F, H, U, H]),
        // The OWNER cannot leave (CONFLICT: transfer first).
        row("TeamMember", "leave (self)",                  MemberLeave,     [C, A, A, A, H, U, H]),
        // APIClient with teamId
        row("APIClient (team)", "create",                  ApiClientCreate, [A, A, F, F, H, U, H]),
        row("APIClient (team)", "read (listed in myApiClients)", ApiClientRead, [A, A, H, H, H, U, H]),
        row("APIClient (team)", "update (rotate secret)",  ApiClientRotate, [A, A, F, F, H, U, H]),
        row("APIClient (team)", "update (revoke)",         ApiClientRevoke, [A, A, F, F, H, U, H]),
        // Workbench, Project, BrandKit, Template (team-private)
        row("Workbench", "create",                         WorkbenchCreate, [A, A, A, F, H, U, H]),
        row("Workbench", "read",                           WorkbenchRead,   [A, A, A, A, H, U, H]),
        row("Workbench", "update",                         WorkbenchUpdate, [A, A, A, F, H, U, H]),
        row("Workbench", "delete",                         WorkbenchDelete, [A, A, F, F, H, U, H]),
        row("Project", "create",                           ProjectCreate,   [A, A, A, F, H, U, H]),
        row("Project", "read",                             ProjectRead,     [A, A, A, A, H, U, H]),
        row("Project", "update",                           ProjectUpdate,   [A, A, A, F, H, U, H]),
        row("Project", "delete (soft)",                    ProjectDelete,   [A, A, F, F, H, U, H]),
        row("Project", "restore",                          ProjectRestore,  [A, A, F, F, H, U, H]),
        row("BrandKit", "create",                          BrandKitCreate,  [A, A, A, F, H, U, H]),
        row("BrandKit", "read",                            BrandKitRead,    [A, A, A, A, H, U, H]),
        row("BrandKit", "update",                          BrandKitUpdate,  [A, A, A, F, H, U, H]),
        row("BrandKit", "delete",                          BrandKitDelete,  [A, A, F, F, H, U, H]),
        row("Template (team-private)", "create",           TemplateCreate,  [A, A, A, F, H, U, H]),
        // `template(id)` is a public field (system templates): anonymous callers
        // get `null` for a private one rather than UNAUTHENTICATED.
        row("Template (team-private)", "read",             TemplateRead,    [A, A, A, A, H, H, H]),
        row("Template (team-private)", "update",           TemplateUpdate,  [A, A, A, F, H, U, H]),
        row("Template (team-private)", "delete",           TemplateDelete,  [A, A, F, F, H, U, H]),
        // Asset
        row("Asset", "upload (multipart)",                 AssetUpload,     [A, A, A, F, H, U, H]),
        row("Asset", "read + downloadUrl",                 AssetRead,       [A, A, A, A, H, U, H]),
        row("Asset", "update (rename)",                    AssetRename,     [A, A, A, F, H, U, H]),
        row("Asset", "update (mark final)",                AssetMarkFinal,  [A, A, A, F, H, U, H]),
        row("Asset", "new AssetVersion",                   AssetVersionCreate, [A, A, A, F, H, U, H]),
        row("Asset", "delete (soft)",                      AssetDelete,     [A, A, F, F, H, U, H]),
        // GenerationRequest
        row("GenerationRequest", "read",                   GenerationRequestRead, [A, A, A, A, H, U, H]),
        // AIModel: everyone, active models only
        row("AIModel", "list (active only)",               AiModelList,     [A, A, A, A, A, A, A]),
        // Template with isPublic = true
        row("Template (public)", "read",                   PublicTemplateRead, [A, A, A, A, A, A, A]),
        // User (another user): public profile for any signed-in user; email only
        // for SELF or a platform admin.
        row("User (another user)", "read public profile",  OtherUserProfile, [A, A, A, A, A, U, P]),
        // Owner of a personal resource: the EDITOR's personal workbench and
        // project; the EDITOR is OWNER there, everyone else GUEST.
        row("Workbench (personal)", "read",                PersonalWorkbenchRead,   [H, H, A, H, H, U, H]),
        row("Workbench (personal)", "update",              PersonalWorkbenchUpdate, [H, H, A, H, H, U, H]),
        row("Workbench (personal)", "delete",              PersonalWorkbenchDelete, [H, H, A, H, H, U, H]),
        row("Project (personal)", "create",                PersonalProjectCreate,   [H, H, A, H, H, U, H]),
        row("Project (personal)", "read",                  PersonalProjectRead,     [H, H, A, H, H, U, H]),
        row("Project (personal)", "update",                PersonalProjectUpdate,   [H, H, A, H, H, U, H]),
        row("Project (personal)", "delete (soft)",         PersonalProjectDelete,   [H, H, A, H, H, U, H]),
    ]
    .into_iter()
    .chain(registry::rows())
    .chain(sharing::rows())
    .collect()
}

/// Where a `viewerCan` flag's expected value comes from.
#[derive(Clone, Copy)]
enum Src {
    /// True exactly when the row allows the caller.
    Row(Act),
    /// A matrix cell with no operation in the API yet: true from this team role up.
    AtLeast(Who),
    /// The owner of a personal resource may do everything there.
    Always,
}

/// An object whose `myRole` and `viewerCan` are checked.
struct Surface {
    /// The resource of the matrix whose test checks it.
    name: &'static str,
    query: &'static str,
    root: &'static str,
    node: NodeType,
    /// The object, once the fixture made it.
    target: fn(&Fx) -> Uuid,
    callers: &'static [Who],
    /// `myRole` per caller (`None`: same as the caller's team role).
    my_role: Option<&'static str>,
    flags: Vec<(&'static str, Src)>,
}

fn surfaces() -> Vec<Surface> {
    vec![
        Surface {
            name: "Team",
            query: "query($id: ID!) { team(id: $id) { myRole viewerCan { updateSettings delete manageMembers transferOwnership leave manageCredits manageApiClients createContent } } }",
            root: "team",
            node: NodeType::Team,
            target: |fx| fx.team,
            callers: &MEMBERS,
            my_role: None,
            flags: vec![
                ("updateSettings", Src::Row(Act::TeamUpdate)),
                ("delete", Src::Row(Act::TeamDelete)),
                ("manageMembers", Src::Row(Act::MemberChangeRole)),
                ("transferOwnership", Src::Row(Act::TeamTransfer)),
                ("leave", Src::Row(Act::MemberLeave)),
                ("manageCredits", Src::AtLeast(Who::Admin)),
                ("manageApiClients", Src::Row(Act::ApiClientCreate)),
                ("createContent", Src::Row(Act::ProjectCreate)),
            ],
        },
        Surface {
            name: "Workbench",
            query: "query($id: ID!) { workbench(id: $id) { myRole viewerCan { update delete createProject } } }",
            root: "workbench",
            node: NodeType::Workbench,
            target: |fx| fx.workbench,
            callers: &MEMBERS,
            my_role: None,
            flags: vec![
                ("update", Src::Row(Act::WorkbenchUpdate)),
                ("delete", Src::Row(Act::WorkbenchDelete)),
                ("createProject", Src::Row(Act::ProjectCreate)),
            ],
        },
        Surface {
            name: "Project",
            query: "query($id: ID!) { project(id: $id) { myRole viewerCan { update delete restore uploadAsset requestGeneration } } }",
            root: "project",
            node: NodeType::Project,
            target: |fx| fx.project,
            callers: &MEMBERS,
            my_role: None,
            flags: vec![
                ("update", Src::Row(Act::ProjectUpdate)),
                ("delete", Src::Row(Act::ProjectDelete)),
                ("restore", Src::Row(Act::ProjectRestore)),
                ("uploadAsset", Src::Row(Act::AssetUpload)),
                ("requestGeneration", Src::AtLeast(Who::Editor)),
            ],
        },
        Surface {
            name: "Workbench (personal)",
            query: "query($id: ID!) { workbench(id: $id) { myRole viewerCan { update delete createProject } } }",
            root: "workbench",
            node: NodeType::Workbench,
            target: |fx| fx.personal_workbench,
            callers: &[Who::Editor],
            my_role: Some("OWNER"),
            flags: vec![
                ("update", Src::Row(Act::PersonalWorkbenchUpdate)),
                ("delete", Src::Row(Act::PersonalWorkbenchDelete)),
                ("createProject", Src::Row(Act::PersonalProjectCreate)),
            ],
        },
        Surface {
            name: "Project (personal)",
            query: "query($id: ID!) { project(id: $id) { myRole viewerCan { update delete restore uploadAsset requestGeneration } } }",
            root: "project",
            node: NodeType::Project,
            target: |fx| fx.personal_project,
            callers: &[Who::Editor],
            my_role: Some("OWNER"),
            flags: vec![
                ("update", Src::Row(Act::PersonalProjectUpdate)),
                ("delete", Src::Row(Act::PersonalProjectDelete)),
                ("restore", Src::Always),
                ("uploadAsset", Src::Always),
                ("requestGeneration", Src::Always),
            ],
        },
    ]
}

// ---------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------

const PASSWORD: &str = "permission-matrix-pw";

fn gid(node: NodeType, id: Uuid) -> String {
    GlobalId::uuid(node, id).0
}

fn uuid_of(value: &Value, node: NodeType) -> Uuid {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected an ID, got {value}"));
    GlobalId::decode_uuid(&ID(text.to_string()), node, "id")
        .unwrap_or_else(|e| panic!("{text} is not a {node:?} ID: {e:?}"))
}

/// A 4x4 PNG.
fn png() -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(4, 4)
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encode PNG");
    bytes.into_inner()
}

#[derive(diesel::QueryableByName)]
struct SqlCell {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

struct Fx {
    app: TestApp,
    _files: tempfile::TempDir,
    sql: Mutex<AsyncPgConnection>,
    tokens: HashMap<Who, String>,
    users: HashMap<Who, Uuid>,
    team: Uuid,
    workbench: Uuid,
    project: Uuid,
    brand_kit: Uuid,
    template: Uuid,
    asset: Uuid,
    generation_request: Uuid,
    team_api_client: Uuid,
    personal_workbench: Uuid,
    personal_project: Uuid,
    public_template: Uuid,
    other_user: Uuid,
    active_models: i64,
}

impl Fx {
    async fn gql(&self, who: Who, query: &str, variables: Value) -> Value {
        match self.tokens.get(&who) {
            Some(token) => self.app.graphql_as(token, query, variables).await,
            None => self.app.graphql(query, variables).await,
        }
    }

    /// Runs a mutation as the OWNER and returns its payload, or panics.
    async fn setup(&self, who: Who, query: &str, variables: Value, field: &str) -> Value {
        let response = self.gql(who, query, variables).await;
        assert!(
            response["errors"].is_null() && !response["data"][field].is_null(),
            "fixture step {field} failed: {response}"
        );
        response["data"][field].clone()
    }

    fn user(&self, who: Who) -> Uuid {
        self.users[&who]
    }

    async fn exec(&self, sql: &str) {
        let mut conn = self.sql.lock().await;
        conn.batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The `v` column of the first row of `sql`.
    async fn value(&self, sql: &str) -> Option<String> {
        use diesel_async::RunQueryDsl;
        let mut conn = self.sql.lock().await;
        diesel::sql_query(sql)
            .load::<SqlCell>(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .next()
            .and_then(|c| c.v)
    }

    /// A team of its own, with the four members in their roles.
    async fn fresh_team(&self) -> Uuid {
        let id = Uuid::new_v4();
        let [o, a, e, v] = MEMBERS.map(|w| self.user(w));
        // One simple-query batch is one transaction: the single-owner check runs at commit.
        self.exec(&format!(
            "INSERT INTO teams (id, name, owner_id) VALUES ('{id}', 'Throwaway', '{o}');
             INSERT INTO team_members (team_id, user_id, role) VALUES
                ('{id}', '{o}', 'Owner'), ('{id}', '{a}', 'Admin'),
                ('{id}', '{e}', 'Editor'), ('{id}', '{v}', 'Viewer');"
        ))
        .await;
        id
    }

    /// An account that belongs to no team; returns its id and email.
    async fn fresh_account(&self) -> (Uuid, String) {
        let id = Uuid::new_v4();
        let email = format!("extra-{}@example.test", id.simple());
        self.exec(&format!(
            "INSERT INTO users (id, email) VALUES ('{id}', '{email}');"
        ))
        .await;
        (id, email)
    }

    /// A new VIEWER of the shared team.
    async fn fresh_member(&self) -> Uuid {
        let (id, _) = self.fresh_account().await;
        self.exec(&format!(
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{}', '{id}', 'Viewer');",
            self.team
        ))
        .await;
        id
    }

    async fn fresh_workbench(&self, team: Option<Uuid>, user: Uuid) -> Uuid {
        let id = Uuid::new_v4();
        let team = team.map_or("NULL".to_string(), |t| format!("'{t}'"));
        self.exec(&format!(
            "INSERT INTO workbenches (id, user_id, team_id, name) VALUES ('{id}', '{user}', {team}, 'Throwaway');"
        ))
        .await;
        id
    }

    async fn fresh_project(&self, workbench: Uuid, user: Uuid, deleted: bool) -> Uuid {
        let id = Uuid::new_v4();
        let deleted_at = if deleted { "now()" } else { "NULL" };
        self.exec(&format!(
            "INSERT INTO projects (id, workbench_id, user_id, name, deleted_at)
             VALUES ('{id}', '{workbench}', '{user}', 'Throwaway', {deleted_at});"
        ))
        .await;
        id
    }

    async fn fresh_brand_kit(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.exec(&format!(
            "INSERT INTO brand_kits (id, user_id, team_id, name, colors, fonts)
             VALUES ('{id}', '{}', '{}', 'Throwaway', '[]', '[]');",
            self.user(Who::Owner),
            self.team
        ))
        .await;
        id
    }

    async fn fresh_template(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.exec(&format!(
            "INSERT INTO templates (id, user_id, team_id, name, category, preview_url, source_data, is_public)
             VALUES ('{id}', '{}', '{}', 'Throwaway', 'Social', 'templates/t.png', '{{}}', false);",
            self.user(Who::Owner),
            self.team
        ))
        .await;
        id
    }

    async fn fresh_asset(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.exec(&format!(
            "INSERT INTO assets (id, project_id, user_id, name, type, file_path, mime_type, format)
             VALUES ('{id}', '{}', '{}', 'throwaway.png', 'Uploaded', 'nowhere/throwaway.png', 'image/png', 'png');",
            self.project,
            self.user(Who::Owner)
        ))
        .await;
        id
    }

    async fn fresh_api_client(&self) -> Uuid {
        let id = Uuid::new_v4();
        self.exec(&format!(
            "INSERT INTO api_clients (id, user_id, team_id, name, api_key, secret_hash, scopes)
             VALUES ('{id}', '{}', '{}', 'Throwaway', 'key-{}', 'hash', '[\"projects:read\"]');",
            self.user(Who::Owner),
            self.team,
            id.simple()
        ))
        .await;
        id
    }

    /// `uploadAsset` through the GraphQL multipart request spec.
    async fn upload(&self, who: Who, project: Uuid, name: &str) -> Value {
        let boundary = format!("atelier-{}", Uuid::new_v4().simple());
        let operations = json!({
            "query": "mutation($input: UploadAssetInput!) { uploadAsset(input: $input) { asset { id name } } }",
            "variables": {"input": {"projectId": gid(NodeType::Project, project), "name": name, "file": null}},
        });
        let map = json!({"0": ["variables.input.file"]});
        let mut body = Vec::new();
        for (part, value) in [("operations", operations), ("map", map)] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"pixel.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&png());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut request = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            // Multipart is a "simple" request a browser sends without preflight:
            // the server wants a CSRF-prevention header with it.
            .header("apollo-require-preflight", "true")
            .body(body);
        if let Some(token) = self.tokens.get(&who) {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.expect("upload sent");
        assert!(
            response.status().is_success(),
            "upload: HTTP {}",
            response.status()
        );
        response.json().await.expect("JSON body")
    }

    /// GETs a signed download URL on this server; its status.
    async fn download_status(&self, url: &str) -> u16 {
        let path = url.find("/files/").map_or(url, |at| &url[at..]).to_string();
        self.app
            .client
            .get(self.app.url(&path))
            .send()
            .await
            .map_or(0, |r| r.status().as_u16())
    }

    /// The role of `user` in `team`, from the database.
    async fn role_in(&self, team: Uuid, user: Uuid) -> Option<String> {
        self.value(&format!(
            "SELECT role::text AS v FROM team_members WHERE team_id = '{team}' AND user_id = '{user}'"
        ))
        .await
    }
}

async fn fixture() -> Fx {
    use diesel_async::RunQueryDsl;
    let files = tempfile::tempdir().expect("temp dir");
    let data_dir = files.path().to_string_lossy().to_string();
    let app = TestApp::spawn_with(&[
        ("DATA_DIR", data_dir.as_str()),
        ("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "1000"),
    ])
    .await;
    // AI models (active and inactive), public templates, and a stranger ("gina").
    app.seed_demo().await;

    let signed_in: Vec<Who> = CALLERS
        .into_iter()
        .filter(|w| *w != Who::Anonymous)
        .collect();
    let sign_ups = futures_util::future::join_all(
        signed_in
            .iter()
            .map(|who| async { app.sign_up(&who.email(), PASSWORD).await }),
    )
    .await;
    let mut tokens = HashMap::new();
    let mut users = HashMap::new();
    for (who, (token, id)) in signed_in.iter().zip(sign_ups) {
        tokens.insert(*who, token);
        users.insert(*who, uuid_of(&Value::String(id), NodeType::User));
    }

    let mut sql = AsyncPgConnection::establish(&app.db.url)
        .await
        .expect("connect");
    // The flag is granted out of band, then the platform admin signs in again:
    // sessions cache the flag.
    sql.batch_execute(&format!(
        "UPDATE users SET is_platform_admin = true WHERE id = '{}'",
        users[&Who::PlatformAdmin]
    ))
    .await
    .expect("grant platform admin");
    let signed = app
        .graphql(
            "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
            json!({"input": {"email": Who::PlatformAdmin.email(), "password": PASSWORD}}),
        )
        .await;
    let token = signed["data"]["signIn"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("platform admin sign-in: {signed}"))
        .to_string();
    tokens.insert(Who::PlatformAdmin, token);

    let active_models: i64 = {
        let cell: SqlCell =
            diesel::sql_query("SELECT count(*)::text AS v FROM ai_models WHERE is_active")
                .get_result(&mut sql)
                .await
                .expect("count models");
        cell.v.and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    let inactive: SqlCell =
        diesel::sql_query("SELECT count(*)::text AS v FROM ai_models WHERE NOT is_active")
            .get_result(&mut sql)
            .await
            .expect("count models");
    assert_ne!(
        inactive.v.as_deref(),
        Some("0"),
        "the demo data should include an inactive model"
    );

    let mut fx = Fx {
        app,
        _files: files,
        sql: Mutex::new(sql),
        tokens,
        users,
        team: Uuid::nil(),
        workbench: Uuid::nil(),
        project: Uuid::nil(),
        brand_kit: Uuid::nil(),
        template: Uuid::nil(),
        asset: Uuid::nil(),
        generation_request: Uuid::nil(),
        team_api_client: Uuid::nil(),
        personal_workbench: Uuid::nil(),
        personal_project: Uuid::nil(),
        public_template: atelier::demo::demo_id("template:instagram-story"),
        other_user: atelier::demo::demo_id("user:guest@atelier.test"),
        active_models,
    };

    // The team, created by its owner, and its members.
    let team = fx
        .setup(
            Who::Owner,
            "mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id } } }",
            json!({"input": {"name": "Permission Matrix"}}),
            "createTeam",
        )
        .await;
    fx.team = uuid_of(&team["team"]["id"], NodeType::Team);
    let team_id = gid(NodeType::Team, fx.team);
    for (who, role) in [
        (Who::Admin, "ADMIN"),
        (Who::Editor, "EDITOR"),
        (Who::Viewer, "VIEWER"),
    ] {
        fx.setup(
            Who::Owner,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team_id, "email": who.email(), "role": role}}),
            "addTeamMember",
        )
        .await;
    }

    // Team content.
    let kit = fx
        .setup(
            Who::Owner,
            "mutation($input: CreateBrandKitInput!) { createBrandKit(input: $input) { brandKit { id } } }",
            json!({"input": {"teamId": team_id, "name": "Team kit"}}),
            "createBrandKit",
        )
        .await;
    fx.brand_kit = uuid_of(&kit["brandKit"]["id"], NodeType::BrandKit);
    let workbench = fx
        .setup(
            Who::Owner,
            "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
            json!({"input": {"teamId": team_id, "name": "Team bench"}}),
            "createWorkbench",
        )
        .await;
    fx.workbench = uuid_of(&workbench["workbench"]["id"], NodeType::Workbench);
    let project = fx
        .setup(
            Who::Owner,
            "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
            json!({"input": {"workbenchId": gid(NodeType::Workbench, fx.workbench), "name": "Team project"}}),
            "createProject",
        )
        .await;
    fx.project = uuid_of(&project["project"]["id"], NodeType::Project);
    let template = fx
        .setup(
            Who::Owner,
            "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id isPublic } } }",
            json!({"input": {
                "teamId": team_id, "name": "Team layout", "category": "Social",
                "previewUrl": "templates/team.png", "sourceData": {"layers": []}
            }}),
            "createTemplate",
        )
        .await;
    assert_eq!(template["template"]["isPublic"], json!(false));
    fx.template = uuid_of(&template["template"]["id"], NodeType::Template);
    let uploaded = fx.upload(Who::Owner, fx.project, "team.png").await;
    assert!(
        uploaded["errors"].is_null(),
        "fixture upload failed: {uploaded}"
    );
    fx.asset = uuid_of(
        &uploaded["data"]["uploadAsset"]["asset"]["id"],
        NodeType::Asset,
    );
    fx.setup(
        Who::Owner,
        "mutation($input: CreateAssetVersionInput!) { createAssetVersion(input: $input) { assetVersion { versionNumber } } }",
        json!({"input": {"assetId": gid(NodeType::Asset, fx.asset), "description": "first"}}),
        "createAssetVersion",
    )
    .await;
    let client = fx
        .setup(
            Who::Owner,
            "mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { apiClient { id } } }",
            json!({"input": {"name": "Team CI", "teamId": team_id, "scopes": ["projects:read"]}}),
            "createApiClient",
        )
        .await;
    fx.team_api_client = uuid_of(&client["apiClient"]["id"], NodeType::ApiClient);
    fx.generation_request = Uuid::new_v4();
    fx.exec(&format!(
        "INSERT INTO generation_requests (id, user_id, project_id, input_prompt, status)
         VALUES ('{}', '{}', '{}', 'a teapot on the moon', 'Pending');",
        fx.generation_request,
        fx.user(Who::Owner),
        fx.project
    ))
    .await;

    // The EDITOR's personal things.
    let personal = fx
        .setup(
            Who::Editor,
            "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
            json!({"input": {"name": "Erin's bench"}}),
            "createWorkbench",
        )
        .await;
    fx.personal_workbench = uuid_of(&personal["workbench"]["id"], NodeType::Workbench);
    let personal = fx
        .setup(
            Who::Editor,
            "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
            json!({"input": {"workbenchId": gid(NodeType::Workbench, fx.personal_workbench), "name": "Erin's project"}}),
            "createProject",
        )
        .await;
    fx.personal_project = uuid_of(&personal["project"]["id"], NodeType::Project);
    fx
}

// ---------------------------------------------------------------------------
// One cell
// ---------------------------------------------------------------------------

async fn perform(fx: &Fx, act: Act, who: Who) -> Outcome {
    use NodeType as N;
    let me = who.label();
    let team_id = gid(N::Team, fx.team);
    match act {
        Act::Registry(act) => registry::perform(fx, act, who).await,
        Act::Sharing(act) => sharing::perform(fx, act, who).await,
        Act::TeamRead => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { team(id: $id) { name creditBalance members { totalCount nodes { role } } } }",
                    json!({"id": team_id}),
                )
                .await;
            let team = &r["data"]["team"];
            allowed_if(
                outcome(&r, "team"),
                !team["creditBalance"].is_null()
                    && team["members"]["totalCount"].as_i64() >= Some(4),
                "team without its members or creditBalance",
            )
        }
        Act::TeamUpdate => {
            let name = format!("Renamed by {me}");
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateTeamInput!) { updateTeam(input: $input) { team { name } } }",
                    json!({"input": {"teamId": team_id, "name": name}}),
                )
                .await;
            allowed_if(
                outcome(&r, "updateTeam"),
                r["data"]["updateTeam"]["team"]["name"] == json!(name),
                "name not changed",
            )
        }
        Act::TeamDelete => {
            let team = fx.fresh_team().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { deletedTeamId } }",
                    json!({"input": {"teamId": gid(N::Team, team)}}),
                )
                .await;
            let left = fx
                .value(&format!(
                    "SELECT count(*)::text AS v FROM teams WHERE id = '{team}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "deleteTeam"),
                left.as_deref() == Some("0"),
                "team still there",
            )
        }
        Act::TeamTransfer => {
            let team = fx.fresh_team().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: TransferTeamOwnershipInput!) { transferTeamOwnership(input: $input) { team { owner { id } } } }",
                    json!({"input": {"teamId": gid(N::Team, team), "userId": gid(N::User, fx.user(Who::Editor))}}),
                )
                .await;
            let old = fx.role_in(team, fx.user(Who::Owner)).await;
            let new = fx.role_in(team, fx.user(Who::Editor)).await;
            allowed_if(
                outcome(&r, "transferTeamOwnership"),
                old.as_deref() == Some("Admin")
                    && new.as_deref() == Some("Owner")
                    && r["data"]["transferTeamOwnership"]["team"]["owner"]["id"]
                        == json!(gid(N::User, fx.user(Who::Editor))),
                &format!("after transfer: old owner {old:?}, new owner {new:?}"),
            )
        }
        Act::MemberAdd | Act::MemberAddAsOwner => {
            let (user, email) = fx.fresh_account().await;
            let role = if act == Act::MemberAdd {
                "EDITOR"
            } else {
                "OWNER"
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
                    json!({"input": {"teamId": team_id, "email": email, "role": role}}),
                )
                .await;
            let stored = fx.role_in(fx.team, user).await;
            allowed_if(
                outcome(&r, "addTeamMember"),
                stored.as_deref() == Some("Editor") && role == "EDITOR",
                &format!("stored role {stored:?}"),
            )
        }
        Act::MemberChangeRole | Act::MemberGrantOwner => {
            let user = fx.fresh_member().await;
            let role = if act == Act::MemberChangeRole {
                "EDITOR"
            } else {
                "OWNER"
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateTeamMemberRoleInput!) { updateTeamMemberRole(input: $input) { member { role } } }",
                    json!({"input": {"teamId": team_id, "userId": gid(N::User, user), "role": role}}),
                )
                .await;
            let stored = fx.role_in(fx.team, user).await;
            allowed_if(
                outcome(&r, "updateTeamMemberRole"),
                stored.as_deref() == Some("Editor") && role == "EDITOR",
                &format!("stored role {stored:?}"),
            )
        }
        Act::MemberRemove => {
            let user = fx.fresh_member().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RemoveTeamMemberInput!) { removeTeamMember(input: $input) { member { role } } }",
                    json!({"input": {"teamId": team_id, "userId": gid(N::User, user)}}),
                )
                .await;
            let stored = fx.role_in(fx.team, user).await;
            allowed_if(
                outcome(&r, "removeTeamMember"),
                stored.is_none(),
                "still a member",
            )
        }
        Act::MemberChangeOwnersRole => {
            let team = fx.fresh_team().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateTeamMemberRoleInput!) { updateTeamMemberRole(input: $input) { member { role } } }",
                    json!({"input": {"teamId": gid(N::Team, team), "userId": gid(N::User, fx.user(Who::Owner)), "role": "ADMIN"}}),
                )
                .await;
            outcome(&r, "updateTeamMemberRole")
        }
        Act::MemberRemoveOwner => {
            let team = fx.fresh_team().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RemoveTeamMemberInput!) { removeTeamMember(input: $input) { member { role } } }",
                    json!({"input": {"teamId": gid(N::Team, team), "userId": gid(N::User, fx.user(Who::Owner))}}),
                )
                .await;
            outcome(&r, "removeTeamMember")
        }
        Act::MemberLeave => {
            let team = fx.fresh_team().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: LeaveTeamInput!) { leaveTeam(input: $input) { leftTeamId } }",
                    json!({"input": {"teamId": gid(N::Team, team)}}),
                )
                .await;
            let stored = match fx.users.get(&who) {
                Some(user) => fx.role_in(team, *user).await,
                None => None,
            };
            allowed_if(outcome(&r, "leaveTeam"), stored.is_none(), "still a member")
        }
        Act::ApiClientCreate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { apiClient { id } secret } }",
                    json!({"input": {"name": format!("CI of {me}"), "teamId": team_id, "scopes": ["projects:read"]}}),
                )
                .await;
            allowed_if(
                outcome(&r, "createApiClient"),
                r["data"]["createApiClient"]["secret"].is_string(),
                "no secret",
            )
        }
        Act::ApiClientRead => {
            let r = fx
                .gql(who, "query { myApiClients { id } }", json!({}))
                .await;
            match outcome(&r, "myApiClients") {
                Outcome::Allowed => {
                    let wanted = json!(gid(N::ApiClient, fx.team_api_client));
                    let listed = r["data"]["myApiClients"]
                        .as_array()
                        .is_some_and(|list| list.iter().any(|c| c["id"] == wanted));
                    if listed {
                        Outcome::Allowed
                    } else {
                        Outcome::Hidden
                    }
                }
                other => other,
            }
        }
        Act::ApiClientRotate => {
            let client = fx.fresh_api_client().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RotateApiClientSecretInput!) { rotateApiClientSecret(input: $input) { secret } }",
                    json!({"input": {"apiClientId": gid(N::ApiClient, client)}}),
                )
                .await;
            outcome(&r, "rotateApiClientSecret")
        }
        Act::ApiClientRevoke => {
            let client = fx.fresh_api_client().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RevokeApiClientInput!) { revokeApiClient(input: $input) { apiClient { isActive } } }",
                    json!({"input": {"apiClientId": gid(N::ApiClient, client)}}),
                )
                .await;
            allowed_if(
                outcome(&r, "revokeApiClient"),
                r["data"]["revokeApiClient"]["apiClient"]["isActive"] == json!(false),
                "still active",
            )
        }
        Act::WorkbenchCreate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { team { id } } } }",
                    json!({"input": {"teamId": team_id, "name": format!("Bench of {me}")}}),
                )
                .await;
            allowed_if(
                outcome(&r, "createWorkbench"),
                r["data"]["createWorkbench"]["workbench"]["team"]["id"] == json!(team_id),
                "not in the team",
            )
        }
        Act::WorkbenchRead | Act::PersonalWorkbenchRead => {
            let id = if act == Act::WorkbenchRead {
                fx.workbench
            } else {
                fx.personal_workbench
            };
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { workbench(id: $id) { id name } }",
                    json!({"id": gid(N::Workbench, id)}),
                )
                .await;
            outcome(&r, "workbench")
        }
        Act::WorkbenchUpdate | Act::PersonalWorkbenchUpdate => {
            let id = if act == Act::WorkbenchUpdate {
                fx.workbench
            } else {
                fx.personal_workbench
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateWorkbenchInput!) { updateWorkbench(input: $input) { workbench { name } } }",
                    json!({"input": {"id": gid(N::Workbench, id), "name": format!("Renamed by {me}")}}),
                )
                .await;
            outcome(&r, "updateWorkbench")
        }
        Act::WorkbenchDelete | Act::PersonalWorkbenchDelete => {
            let id = if act == Act::WorkbenchDelete {
                fx.fresh_workbench(Some(fx.team), fx.user(Who::Owner)).await
            } else {
                fx.fresh_workbench(None, fx.user(Who::Editor)).await
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeleteWorkbenchInput!) { deleteWorkbench(input: $input) { deletedWorkbenchId } }",
                    json!({"input": {"id": gid(N::Workbench, id)}}),
                )
                .await;
            let left = fx
                .value(&format!(
                    "SELECT count(*)::text AS v FROM workbenches WHERE id = '{id}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "deleteWorkbench"),
                left.as_deref() == Some("0"),
                "workbench still there",
            )
        }
        Act::ProjectCreate | Act::PersonalProjectCreate => {
            let bench = if act == Act::ProjectCreate {
                fx.workbench
            } else {
                fx.personal_workbench
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
                    json!({"input": {"workbenchId": gid(N::Workbench, bench), "name": format!("Project of {me}")}}),
                )
                .await;
            outcome(&r, "createProject")
        }
        Act::ProjectRead | Act::PersonalProjectRead => {
            let id = if act == Act::ProjectRead {
                fx.project
            } else {
                fx.personal_project
            };
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { project(id: $id) { id name } }",
                    json!({"id": gid(N::Project, id)}),
                )
                .await;
            outcome(&r, "project")
        }
        Act::ProjectUpdate | Act::PersonalProjectUpdate => {
            let id = if act == Act::ProjectUpdate {
                fx.project
            } else {
                fx.personal_project
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { name } } }",
                    json!({"input": {"id": gid(N::Project, id), "name": format!("Renamed by {me}")}}),
                )
                .await;
            outcome(&r, "updateProject")
        }
        Act::ProjectDelete | Act::PersonalProjectDelete => {
            let id = if act == Act::ProjectDelete {
                fx.fresh_project(fx.workbench, fx.user(Who::Owner), false)
                    .await
            } else {
                fx.fresh_project(fx.personal_workbench, fx.user(Who::Editor), false)
                    .await
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeleteProjectInput!) { deleteProject(input: $input) { project { deletedAt } } }",
                    json!({"input": {"id": gid(N::Project, id)}}),
                )
                .await;
            let deleted = fx
                .value(&format!(
                    "SELECT (deleted_at IS NOT NULL)::text AS v FROM projects WHERE id = '{id}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "deleteProject"),
                deleted.as_deref() == Some("true"),
                "project not soft-deleted",
            )
        }
        Act::ProjectRestore => {
            let id = fx
                .fresh_project(fx.workbench, fx.user(Who::Owner), true)
                .await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RestoreProjectInput!) { restoreProject(input: $input) { project { deletedAt } } }",
                    json!({"input": {"id": gid(N::Project, id)}}),
                )
                .await;
            allowed_if(
                outcome(&r, "restoreProject"),
                r["data"]["restoreProject"]["project"]["deletedAt"].is_null(),
                "still deleted",
            )
        }
        Act::BrandKitCreate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateBrandKitInput!) { createBrandKit(input: $input) { brandKit { id } } }",
                    json!({"input": {"teamId": team_id, "name": format!("Kit of {me}")}}),
                )
                .await;
            outcome(&r, "createBrandKit")
        }
        Act::BrandKitRead => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { brandKit(id: $id) { id name } }",
                    json!({"id": gid(N::BrandKit, fx.brand_kit)}),
                )
                .await;
            outcome(&r, "brandKit")
        }
        Act::BrandKitUpdate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateBrandKitInput!) { updateBrandKit(input: $input) { brandKit { name } } }",
                    json!({"input": {"id": gid(N::BrandKit, fx.brand_kit), "name": format!("Renamed by {me}")}}),
                )
                .await;
            outcome(&r, "updateBrandKit")
        }
        Act::BrandKitDelete => {
            let id = fx.fresh_brand_kit().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeleteBrandKitInput!) { deleteBrandKit(input: $input) { deletedBrandKitId } }",
                    json!({"input": {"id": gid(N::BrandKit, id)}}),
                )
                .await;
            outcome(&r, "deleteBrandKit")
        }
        Act::TemplateCreate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { isPublic } } }",
                    json!({"input": {
                        "teamId": team_id, "name": format!("Layout of {me}"), "category": "Social",
                        "previewUrl": "templates/x.png", "sourceData": {"layers": []}
                    }}),
                )
                .await;
            allowed_if(
                outcome(&r, "createTemplate"),
                r["data"]["createTemplate"]["template"]["isPublic"] == json!(false),
                "a team template came out public",
            )
        }
        Act::TemplateRead | Act::PublicTemplateRead => {
            let id = if act == Act::TemplateRead {
                fx.template
            } else {
                fx.public_template
            };
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { template(id: $id) { id isPublic } }",
                    json!({"id": gid(N::Template, id)}),
                )
                .await;
            outcome(&r, "template")
        }
        Act::TemplateUpdate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateTemplateInput!) { updateTemplate(input: $input) { template { name } } }",
                    json!({"input": {"id": gid(N::Template, fx.template), "name": format!("Renamed by {me}")}}),
                )
                .await;
            outcome(&r, "updateTemplate")
        }
        Act::TemplateDelete => {
            let id = fx.fresh_template().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeleteTemplateInput!) { deleteTemplate(input: $input) { deletedTemplateId } }",
                    json!({"input": {"id": gid(N::Template, id)}}),
                )
                .await;
            outcome(&r, "deleteTemplate")
        }
        Act::AssetUpload => {
            let r = fx
                .upload(
                    who,
                    fx.project,
                    &format!("upload-{}.png", me.to_lowercase()),
                )
                .await;
            outcome(&r, "uploadAsset")
        }
        Act::AssetRead => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { asset(id: $id) { id name downloadUrl versions { versionNumber } } }",
                    json!({"id": gid(N::Asset, fx.asset)}),
                )
                .await;
            let result = outcome(&r, "asset");
            if result != Outcome::Allowed {
                return result;
            }
            let Some(url) = r["data"]["asset"]["downloadUrl"].as_str() else {
                return Outcome::Unexpected("downloadUrl is null".into());
            };
            let status = fx.download_status(url).await;
            allowed_if(result, status == 200, &format!("download: HTTP {status}"))
        }
        Act::AssetRename | Act::AssetMarkFinal => {
            let input = if act == Act::AssetRename {
                json!({"id": gid(N::Asset, fx.asset), "name": format!("renamed-by-{}.png", me.to_lowercase())})
            } else {
                json!({"id": gid(N::Asset, fx.asset), "isFinal": true})
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateAssetInput!) { updateAsset(input: $input) { asset { name isFinal } } }",
                    json!({"input": input}),
                )
                .await;
            outcome(&r, "updateAsset")
        }
        Act::AssetVersionCreate => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateAssetVersionInput!) { createAssetVersion(input: $input) { assetVersion { versionNumber } } }",
                    json!({"input": {"assetId": gid(N::Asset, fx.asset), "description": format!("by {me}")}}),
                )
                .await;
            outcome(&r, "createAssetVersion")
        }
        Act::AssetDelete => {
            let id = fx.fresh_asset().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeleteAssetInput!) { deleteAsset(input: $input) { asset { id } } }",
                    json!({"input": {"id": gid(N::Asset, id)}}),
                )
                .await;
            let deleted = fx
                .value(&format!(
                    "SELECT (deleted_at IS NOT NULL)::text AS v FROM assets WHERE id = '{id}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "deleteAsset"),
                deleted.as_deref() == Some("true"),
                "asset not soft-deleted",
            )
        }
        Act::GenerationRequestRead => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { generationRequest(id: $id) { id inputPrompt } }",
                    json!({"id": gid(N::GenerationRequest, fx.generation_request)}),
                )
                .await;
            allowed_if(
                outcome(&r, "generationRequest"),
                r["data"]["generationRequest"]["inputPrompt"] == json!("a teapot on the moon"),
                "wrong request",
            )
        }
        Act::AiModelList => {
            let r = fx
                .gql(
                    who,
                    "query { aiModels(first: 100) { totalCount nodes { name isActive } } }",
                    json!({}),
                )
                .await;
            let list = &r["data"]["aiModels"];
            let all_active = list["nodes"]
                .as_array()
                .is_some_and(|n| n.iter().all(|m| m["isActive"] == json!(true)));
            allowed_if(
                outcome(&r, "aiModels"),
                all_active && list["totalCount"].as_i64() == Some(fx.active_models),
                &format!(
                    "expected the {} active models only, got {list}",
                    fx.active_models
                ),
            )
        }
        Act::OtherUserProfile => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { user(id: $id) { username fullName email } }",
                    json!({"id": gid(N::User, fx.other_user)}),
                )
                .await;
            let user = &r["data"]["user"];
            match outcome(&r, "user") {
                Outcome::Allowed
                    if user["username"] != json!("gina")
                        || user["fullName"] != json!("Gina Guest") =>
                {
                    Outcome::Unexpected(format!("public profile missing: {user}"))
                }
                Outcome::Allowed if !user["email"].is_null() => Outcome::Private,
                other => other,
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The tests: one per resource, so the runner names the resource of a failing
// cell. A new resource adds its rows to `matrix()` and one line here.
// ---------------------------------------------------------------------------

macro_rules! resource_tests {
    ($($test:ident => $resource:literal,)+) => {
        /// The resources that have a test, in the order of `matrix()`.
        const TESTED_RESOURCES: &[&str] = &[$($resource),+];
        $(
            #[tokio::test]
            async fn $test() {
                check_resource($resource).await;
            }
        )+
    };
}

resource_tests! {
    team => "Team",
    team_member => "TeamMember",
    api_client_of_a_team => "APIClient (team)",
    workbench => "Workbench",
    project => "Project",
    brand_kit => "BrandKit",
    template_private_to_a_team => "Template (team-private)",
    asset => "Asset",
    generation_request => "GenerationRequest",
    ai_model => "AIModel",
    public_template => "Template (public)",
    another_users_profile => "User (another user)",
    personal_workbench => "Workbench (personal)",
    personal_project => "Project (personal)",
    model_registry => "AIModel (registry)",
    model_feedback => "AIModelFeedback",
    history => "History",
    platform_admin => "Platform admin",
    team_credits => "Team credits",
    team_invitation => "TeamInvitation",
    user_data_export => "UserDataExport",
}

/// What every row of the whole matrix expects, for the `viewerCan` flags (a
/// team's flags name rows of other resources).
fn expected_outcomes() -> HashMap<(Act, Who), Outcome> {
    matrix()
        .into_iter()
        .flat_map(|row| {
            CALLERS
                .into_iter()
                .zip(row.expect)
                .map(move |(who, want)| ((row.act, who), want))
        })
        .collect()
}

/// The cells of a resource: each row once per caller, each surface's `myRole`
/// and flags once per caller.
fn cells_of(resource: &str) -> usize {
    let rows = matrix().iter().filter(|r| r.resource == resource).count();
    rows * CALLERS.len()
        + surfaces()
            .iter()
            .filter(|s| s.name == resource)
            .map(|s| s.callers.len() * (1 + s.flags.len()))
            .sum::<usize>()
}

#[test]
fn every_resource_of_the_matrix_has_its_test() {
    let mut in_matrix: Vec<&str> = Vec::new();
    for row in matrix() {
        if !in_matrix.contains(&row.resource) {
            in_matrix.push(row.resource);
        }
    }
    assert_eq!(
        in_matrix, TESTED_RESOURCES,
        "one test per resource, in order"
    );
    for surface in surfaces() {
        assert!(
            TESTED_RESOURCES.contains(&surface.name),
            "the {} surface belongs to no tested resource",
            surface.name
        );
    }
    let mut total = 0;
    for resource in TESTED_RESOURCES {
        let cells = cells_of(resource);
        println!("{resource:<24} {cells:>4} cells");
        assert!(cells > 0, "{resource} has no cells");
        total += cells;
    }
    let defined = matrix().len() * CALLERS.len()
        + surfaces()
            .iter()
            .map(|s| s.callers.len() * (1 + s.flags.len()))
            .sum::<usize>();
    println!("permission cells: {total}");
    assert_eq!(total, defined, "every cell belongs to exactly one test");
}

/// Runs every cell of one resource against a fixture of its own.
async fn check_resource(resource: &str) {
    let started = std::time::Instant::now();
    let rows: Vec<Row> = matrix()
        .into_iter()
        .filter(|r| r.resource == resource)
        .collect();
    let surfaces: Vec<Surface> = surfaces()
        .into_iter()
        .filter(|s| s.name == resource)
        .collect();
    let defined = cells_of(resource);
    let expected = expected_outcomes();
    let fx = fixture().await;

    let mut checked = 0usize;
    let mut failures: Vec<String> = Vec::new();

    for row in &rows {
        let mut line = format!("{:<24} {:<42}", row.resource, row.action);
        for (who, want) in CALLERS.iter().zip(&row.expect) {
            let got = perform(&fx, row.act, *who).await;
            checked += 1;
            if &got == want {
                line.push_str(" ok  ");
            } else {
                line.push_str(" FAIL");
                failures.push(format!(
                    "{} | {} | {}: expected {want}, got {got}",
                    row.resource,
                    row.action,
                    who.label()
                ));
            }
        }
        println!("{line}");
    }

    // myRole and viewerCan say what the rows allow.
    for surface in &surfaces {
        let id = (surface.target)(&fx);
        for who in surface.callers {
            let r = fx
                .gql(*who, surface.query, json!({"id": gid(surface.node, id)}))
                .await;
            let object = &r["data"][surface.root];
            let role = surface.my_role.unwrap_or(who.label());
            checked += 1;
            if object["myRole"] != json!(role) {
                failures.push(format!(
                    "{}.myRole | {}: expected {role}, got {} ({r})",
                    surface.name,
                    who.label(),
                    object["myRole"]
                ));
            }
            for (flag, src) in &surface.flags {
                let want = match src {
                    Src::Row(act) => expected.get(&(*act, *who)) == Some(&Outcome::Allowed),
                    Src::AtLeast(min) => who.rank() >= min.rank(),
                    Src::Always => true,
                };
                checked += 1;
                if object["viewerCan"][*flag] != json!(want) {
                    failures.push(format!(
                        "{}.viewerCan.{flag} | {}: expected {want}, got {}",
                        surface.name,
                        who.label(),
                        object["viewerCan"][*flag]
                    ));
                }
            }
        }
    }

    println!(
        "{resource}: permission cells checked: {checked} (defined: {defined}) in {:.1?}",
        started.elapsed()
    );
    for failure in &failures {
        println!("MISMATCH {failure}");
    }
    assert_eq!(checked, defined, "{resource}: not every cell ran");
    assert!(
        failures.is_empty(),
        "{} permission cells of {resource} differ from PERMISSIONS.md:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
