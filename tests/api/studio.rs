//! The creative graph end to end: teams and their membership rules, workbenches,
//! projects (templates, brand kits, filters, sorting, soft delete), assets, brand
//! kits and templates.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

/// The `data` of a response that must have no errors.
async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = app.graphql_as(token, query, variables).await;
    assert_eq!(response["errors"], Value::Null, "{query}: {response}");
    response["data"].clone()
}

/// The first error's code and field of a response that must fail.
async fn refused(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> (String, Option<String>) {
    let response = app.graphql_as(token, query, variables).await;
    let code = error_code(&response)
        .unwrap_or_else(|| panic!("expected an error from {query}: {response}"))
        .to_string();
    let field = response["errors"][0]["extensions"]["field"]
        .as_str()
        .map(str::to_string);
    (code, field)
}

fn id(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not an ID: {value}"))
        .to_string()
}

/// The database key inside a global ID (`base64url("Type:uuid")`).
fn uuid_of(global_id: &str) -> uuid::Uuid {
    let raw = URL_SAFE_NO_PAD.decode(global_id).expect("base64url ID");
    let text = String::from_utf8(raw).expect("UTF-8 ID");
    let (_, key) = text.split_once(':').expect("Type:key");
    key.parse().expect("a UUID key")
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("no time: {value}")))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .expect("count query")
        .n
}

async fn create_team(app: &TestApp, token: &str, name: &str) -> String {
    let data = ok(
        app,
        token,
        "mutation($name: String!) { createTeam(input: {name: $name}) { team { id } } }",
        json!({"name": name}),
    )
    .await;
    id(&data["createTeam"]["team"]["id"])
}

const ADD_MEMBER: &str = "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { id role lastActiveAt user { id } } } }";
const UPDATE_ROLE: &str = "mutation($input: UpdateTeamMemberRoleInput!) { updateTeamMemberRole(input: $input) { member { role user { id } } } }";
const REMOVE_MEMBER: &str = "mutation($input: RemoveTeamMemberInput!) { removeTeamMember(input: $input) { member { role user { id } } } }";
const LEAVE: &str = "mutation($teamId: ID!) { leaveTeam(input: {teamId: $teamId}) { leftTeamId } }";
const TRANSFER: &str = "mutation($input: TransferTeamOwnershipInput!) { transferTeamOwnership(input: $input) { team { id owner { id } myRole } } }";
const MEMBERS: &str = "query($id: ID!) { team(id: $id) { myRole owner { id } members { totalCount edges { node { role joinedAt lastActiveAt user { id } } } } } }";

async fn add_member(app: &TestApp, token: &str, team_id: &str, email: &str, role: &str) {
    let data = ok(
        app,
        token,
        ADD_MEMBER,
        json!({"input": {"teamId": team_id, "email": email, "role": role}}),
    )
    .await;
    assert_eq!(data["addTeamMember"]["member"]["role"], role);
}

async fn create_workbench(
    app: &TestApp,
    token: &str,
    team_id: Option<&str>,
    name: &str,
    kit: Option<&str>,
) -> String {
    let data = ok(
        app,
        token,
        "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
        json!({"input": {"name": name, "teamId": team_id, "defaultBrandKitId": kit}}),
    )
    .await;
    id(&data["createWorkbench"]["workbench"]["id"])
}

const CREATE_PROJECT: &str = "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id name team { id } workbench { id } brandKit { id } template { id } } } }";

async fn create_project(app: &TestApp, token: &str, workbench_id: &str, name: &str) -> String {
    let data = ok(
        app,
        token,
        CREATE_PROJECT,
        json!({"input": {"workbenchId": workbench_id, "name": name}}),
    )
    .await;
    id(&data["createProject"]["project"]["id"])
}

const CREATE_KIT: &str = "mutation($input: CreateBrandKitInput!) { createBrandKit(input: $input) { brandKit { id name isDefault colors team { id } } } }";

async fn create_kit(
    app: &TestApp,
    token: &str,
    team_id: Option<&str>,
    name: &str,
    is_default: bool,
) -> String {
    let data = ok(
        app,
        token,
        CREATE_KIT,
        json!({"input": {
            "teamId": team_id,
            "name": name,
            "colors": [{"name": "Primary", "hex": "#FF0000"}],
            "fonts": [{"name": "Heading", "family": "Inter"}],
            "isDefault": is_default,
        }}),
    )
    .await;
    id(&data["createBrandKit"]["brandKit"]["id"])
}

const CREATE_TEMPLATE: &str = "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id isPublic } } }";

async fn create_template(
    app: &TestApp,
    token: &str,
    team_id: Option<&str>,
    name: &str,
    category: &str,
    tags: &[&str],
) -> String {
    let data = ok(
        app,
        token,
        CREATE_TEMPLATE,
        json!({"input": {
            "teamId": team_id,
            "name": name,
            "description": format!("{name} layout"),
            "category": category,
            "previewUrl": "https://cdn.example.com/preview.png",
            "sourceData": {"layers": []},
            "tags": tags,
        }}),
    )
    .await;
    assert_eq!(data["createTemplate"]["template"]["isPublic"], false);
    id(&data["createTemplate"]["template"]["id"])
}

/// Inserts system (public) templates: (name, category, tags).
async fn insert_public_templates(
    app: &TestApp,
    templates: &[(&str, &str, &[&str])],
) -> Vec<String> {
    let mut conn = app.db.conn().await;
    let mut ids = Vec::new();
    for (name, category, tags) in templates {
        let id = uuid::Uuid::new_v4();
        let tags = serde_json::to_string(tags).expect("tags");
        conn.batch_execute(&format!(
            "INSERT INTO templates (id, name, description, category, preview_url, source_data, tags, is_public) \
             VALUES ('{id}', '{name}', 'A system template', '{category}', 'https://cdn.example.com/p.png', '{{}}', '{tags}', true)"
        ))
        .await
        .expect("public template");
        ids.push(URL_SAFE_NO_PAD.encode(format!("Template:{id}")));
    }
    ids
}

fn member_rows(team: &Value) -> Vec<(String, String, Value)> {
    team["members"]["edges"]
        .as_array()
        .expect("members")
        .iter()
        .map(|e| {
            (
                id(&e["node"]["user"]["id"]),
                e["node"]["role"].as_str().expect("role").to_string(),
                e["node"]["lastActiveAt"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn team_membership_follows_the_ownership_rules() {
    let app = TestApp::spawn().await;
    let (owner, owner_id) = app.sign_up("owner@example.com", "password-123").await;
    let (admin, admin_id) = app.sign_up("admin@example.com", "password-123").await;
    let (editor, editor_id) = app.sign_up("editor@example.com", "password-123").await;
    let (viewer, viewer_id) = app.sign_up("viewer@example.com", "password-123").await;
    let (outsider, outsider_id) = app.sign_up("outsider@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;

    let created = ok(&app, &owner, MEMBERS, json!({"id": team})).await;
    assert_eq!(created["team"]["myRole"], "OWNER");
    assert_eq!(created["team"]["owner"]["id"], owner_id.as_str());
    assert_eq!(created["team"]["members"]["totalCount"], 1);

    add_member(&app, &owner, &team, "admin@example.com", "ADMIN").await;
    add_member(&app, &owner, &team, "Editor@Example.com", "EDITOR").await;
    add_member(&app, &owner, &team, "viewer@example.com", "VIEWER").await;

    // Nobody grants OWNER through add or update; unknown accounts and duplicates are refused.
    let add =
        |email: &str, role: &str| json!({"input": {"teamId": team, "email": email, "role": role}});
    for token in [&owner, &admin] {
        assert_eq!(
            refused(
                &app,
                token,
                ADD_MEMBER,
                add("outsider@example.com", "OWNER")
            )
            .await,
            ("BAD_USER_INPUT".into(), Some("role".into()))
        );
    }
    assert_eq!(
        refused(
            &app,
            &admin,
            ADD_MEMBER,
            add("nobody@example.com", "VIEWER")
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("email".into()))
    );
    assert_eq!(
        refused(
            &app,
            &admin,
            ADD_MEMBER,
            add("editor@example.com", "VIEWER")
        )
        .await
        .0,
        "CONFLICT"
    );
    // Below ADMIN nobody manages members; outsiders do not even see the team.
    assert_eq!(
        refused(
            &app,
            &editor,
            ADD_MEMBER,
            add("outsider@example.com", "VIEWER")
        )
        .await
        .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(
            &app,
            &outsider,
            ADD_MEMBER,
            add("outsider@example.com", "VIEWER")
        )
        .await
        .0,
        "NOT_FOUND"
    );

    let role_of =
        |user: &str, role: &str| json!({"input": {"teamId": team, "userId": user, "role": role}});
    let member = |user: &str| json!({"input": {"teamId": team, "userId": user}});
    // An ADMIN can neither change nor remove the OWNER.
    assert_eq!(
        refused(&app, &admin, UPDATE_ROLE, role_of(&owner_id, "VIEWER"))
            .await
            .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(&app, &admin, REMOVE_MEMBER, member(&owner_id))
            .await
            .0,
        "FORBIDDEN"
    );
    for token in [&owner, &admin] {
        assert_eq!(
            refused(&app, token, UPDATE_ROLE, role_of(&editor_id, "OWNER")).await,
            ("BAD_USER_INPUT".into(), Some("role".into()))
        );
    }
    assert_eq!(
        refused(&app, &editor, UPDATE_ROLE, role_of(&viewer_id, "EDITOR"))
            .await
            .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(&app, &admin, UPDATE_ROLE, role_of(&outsider_id, "EDITOR"))
            .await
            .0,
        "NOT_FOUND"
    );
    let promoted = ok(&app, &admin, UPDATE_ROLE, role_of(&viewer_id, "EDITOR")).await;
    assert_eq!(promoted["updateTeamMemberRole"]["member"]["role"], "EDITOR");
    let demoted = ok(&app, &admin, UPDATE_ROLE, role_of(&viewer_id, "VIEWER")).await;
    assert_eq!(demoted["updateTeamMemberRole"]["member"]["role"], "VIEWER");

    // The editor acts in the team (creates a workbench): its lastActiveAt is set.
    create_workbench(&app, &editor, Some(&team), "Editor bench", None).await;

    // Members, strongest role first, with their last activity.
    let listed = ok(&app, &viewer, MEMBERS, json!({"id": team})).await;
    assert_eq!(listed["team"]["myRole"], "VIEWER");
    assert_eq!(listed["team"]["members"]["totalCount"], 4);
    let rows = member_rows(&listed["team"]);
    let roles: Vec<(&str, &str)> = rows
        .iter()
        .map(|(u, r, _)| (u.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        roles,
        vec![
            (owner_id.as_str(), "OWNER"),
            (admin_id.as_str(), "ADMIN"),
            (editor_id.as_str(), "EDITOR"),
            (viewer_id.as_str(), "VIEWER"),
        ]
    );
    let active: Vec<bool> = rows.iter().map(|(_, _, at)| at.is_string()).collect();
    // Owner: since creating the team; admin and editor: they acted; the viewer only read.
    assert_eq!(active, vec![true, true, true, false], "{listed}");
    for (_, _, at) in rows.iter().filter(|(_, _, at)| at.is_string()) {
        let age = Utc::now() - time(at);
        assert!(age.num_seconds() < 60, "lastActiveAt {at} is recent");
    }

    // The OWNER cannot leave; others can, and then no longer see the team.
    assert_eq!(
        refused(&app, &owner, LEAVE, json!({"teamId": team}))
            .await
            .0,
        "CONFLICT"
    );
    let left = ok(&app, &viewer, LEAVE, json!({"teamId": team})).await;
    assert_eq!(left["leaveTeam"]["leftTeamId"], team.as_str());
    let gone = ok(
        &app,
        &viewer,
        "query($id: ID!) { team(id: $id) { id } }",
        json!({"id": team}),
    )
    .await;
    assert_eq!(gone["team"], Value::Null);
    assert_eq!(
        refused(&app, &outsider, LEAVE, json!({"teamId": team}))
            .await
            .0,
        "NOT_FOUND"
    );

    // An ADMIN removes the editor.
    let removed = ok(&app, &admin, REMOVE_MEMBER, member(&editor_id)).await;
    assert_eq!(removed["removeTeamMember"]["member"]["role"], "EDITOR");
    let mine = ok(&app, &editor, "{ myTeams { totalCount } }", json!({})).await;
    assert_eq!(mine["myTeams"]["totalCount"], 0);

    // Ownership moves only from the OWNER, only to a member.
    let to = |user: &str| json!({"input": {"teamId": team, "userId": user}});
    assert_eq!(
        refused(&app, &admin, TRANSFER, to(&admin_id)).await.0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(&app, &owner, TRANSFER, to(&outsider_id)).await,
        ("BAD_USER_INPUT".into(), Some("userId".into()))
    );
    assert_eq!(
        refused(&app, &owner, TRANSFER, to(&owner_id)).await,
        ("BAD_USER_INPUT".into(), Some("userId".into()))
    );
    let moved = ok(&app, &owner, TRANSFER, to(&admin_id)).await;
    let moved_team = &moved["transferTeamOwnership"]["team"];
    assert_eq!(moved_team["owner"]["id"], admin_id.as_str());
    assert_eq!(moved_team["myRole"], "ADMIN", "the old owner is now ADMIN");

    let after = ok(&app, &admin, MEMBERS, json!({"id": team})).await;
    assert_eq!(after["team"]["myRole"], "OWNER");
    assert_eq!(after["team"]["owner"]["id"], admin_id.as_str());
    let roles: Vec<(String, String)> = member_rows(&after["team"])
        .into_iter()
        .map(|(u, r, _)| (u, r))
        .collect();
    assert_eq!(
        roles,
        vec![
            (admin_id.clone(), "OWNER".into()),
            (owner_id.clone(), "ADMIN".into())
        ]
    );
    let team_uuid = uuid_of(&team);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM team_members WHERE team_id = '{team_uuid}' AND role = 'Owner'")
        )
        .await,
        1
    );

    // The new OWNER is protected from the old one, who may now leave.
    assert_eq!(
        refused(&app, &owner, UPDATE_ROLE, role_of(&admin_id, "EDITOR"))
            .await
            .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(&app, &owner, TRANSFER, to(&owner_id)).await.0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(&app, &admin, LEAVE, json!({"teamId": team}))
            .await
            .0,
        "CONFLICT"
    );
    ok(&app, &owner, LEAVE, json!({"teamId": team})).await;
    let last = ok(&app, &admin, MEMBERS, json!({"id": team})).await;
    assert_eq!(last["team"]["members"]["totalCount"], 1);
}

#[tokio::test]
async fn workbenches_are_personal_or_a_teams_and_projects_inherit_the_default_kit() {
    let app = TestApp::spawn().await;
    let (owner, owner_id) = app.sign_up("owner@example.com", "password-123").await;
    let (viewer, _) = app.sign_up("viewer@example.com", "password-123").await;
    let (outsider, _) = app.sign_up("outsider@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;
    let other_team = create_team(&app, &owner, "Other").await;
    add_member(&app, &owner, &team, "viewer@example.com", "VIEWER").await;

    let personal_kit = create_kit(&app, &owner, None, "Mine", true).await;
    let team_kit = create_kit(&app, &owner, Some(&team), "Team look", true).await;
    let second_team_kit = create_kit(&app, &owner, Some(&team), "Campaign look", false).await;
    let other_team_kit = create_kit(&app, &owner, Some(&other_team), "Other look", false).await;

    let workbench_query = "query($id: ID!) { workbench(id: $id) { name team { id } user { id } defaultBrandKit { id } myRole } }";
    let personal = create_workbench(&app, &owner, None, "Personal", Some(&personal_kit)).await;
    let seen = ok(&app, &owner, workbench_query, json!({"id": personal})).await;
    assert_eq!(seen["workbench"]["team"], Value::Null);
    assert_eq!(seen["workbench"]["user"]["id"], owner_id.as_str());
    assert_eq!(
        seen["workbench"]["defaultBrandKit"]["id"],
        personal_kit.as_str()
    );
    assert_eq!(seen["workbench"]["myRole"], "OWNER");

    let team_bench = create_workbench(&app, &owner, Some(&team), "Team", Some(&team_kit)).await;
    let seen = ok(&app, &viewer, workbench_query, json!({"id": team_bench})).await;
    assert_eq!(seen["workbench"]["team"]["id"], team.as_str());
    assert_eq!(
        seen["workbench"]["defaultBrandKit"]["id"],
        team_kit.as_str()
    );
    assert_eq!(seen["workbench"]["myRole"], "VIEWER");
    let hidden = ok(&app, &outsider, workbench_query, json!({"id": team_bench})).await;
    assert_eq!(hidden["workbench"], Value::Null);

    // A default kit must belong to the same team or account.
    let create = "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }";
    for (team_id, kit) in [
        (None, &team_kit),
        (Some(&team), &personal_kit),
        (Some(&team), &other_team_kit),
    ] {
        assert_eq!(
            refused(
                &app,
                &owner,
                create,
                json!({"input": {"name": "X", "teamId": team_id, "defaultBrandKitId": kit}})
            )
            .await,
            ("BAD_USER_INPUT".into(), Some("defaultBrandKitId".into()))
        );
    }
    // A VIEWER cannot create in the team; an outsider does not see it.
    assert_eq!(
        refused(
            &app,
            &viewer,
            create,
            json!({"input": {"name": "X", "teamId": team}})
        )
        .await
        .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(
            &app,
            &outsider,
            create,
            json!({"input": {"name": "X", "teamId": team}})
        )
        .await
        .0,
        "NOT_FOUND"
    );

    // Projects start with the workbench's default kit unless given one of the same holder.
    let inherited = ok(
        &app,
        &owner,
        CREATE_PROJECT,
        json!({"input": {"workbenchId": team_bench, "name": "Inherits", "targetPlatform": "InstagramStory"}}),
    )
    .await;
    let project = &inherited["createProject"]["project"];
    assert_eq!(project["brandKit"]["id"], team_kit.as_str());
    assert_eq!(project["team"]["id"], team.as_str());
    assert_eq!(project["workbench"]["id"], team_bench.as_str());
    let project_id = id(&project["id"]);
    let as_viewer = ok(
        &app,
        &viewer,
        "query($id: ID!) { project(id: $id) { brandKit { id } targetPlatform myRole } }",
        json!({"id": project_id}),
    )
    .await;
    assert_eq!(as_viewer["project"]["brandKit"]["id"], team_kit.as_str());
    assert_eq!(as_viewer["project"]["targetPlatform"], "InstagramStory");
    assert_eq!(as_viewer["project"]["myRole"], "VIEWER");

    let overridden = ok(
        &app,
        &owner,
        CREATE_PROJECT,
        json!({"input": {"workbenchId": team_bench, "name": "Overrides", "brandKitId": second_team_kit}}),
    )
    .await;
    assert_eq!(
        overridden["createProject"]["project"]["brandKit"]["id"],
        second_team_kit.as_str()
    );
    for kit in [&personal_kit, &other_team_kit] {
        assert_eq!(
            refused(
                &app,
                &owner,
                CREATE_PROJECT,
                json!({"input": {"workbenchId": team_bench, "name": "X", "brandKitId": kit}})
            )
            .await,
            ("BAD_USER_INPUT".into(), Some("brandKitId".into()))
        );
    }
    let personal_project = ok(
        &app,
        &owner,
        CREATE_PROJECT,
        json!({"input": {"workbenchId": personal, "name": "Mine"}}),
    )
    .await;
    let personal_project = &personal_project["createProject"]["project"];
    assert_eq!(personal_project["brandKit"]["id"], personal_kit.as_str());
    assert_eq!(personal_project["team"], Value::Null);

    // A workbench without a default kit gives projects none.
    let bare = create_workbench(&app, &owner, Some(&team), "Bare", None).await;
    let bare_project = ok(
        &app,
        &owner,
        CREATE_PROJECT,
        json!({"input": {"workbenchId": bare, "name": "No kit"}}),
    )
    .await;
    assert_eq!(
        bare_project["createProject"]["project"]["brandKit"],
        Value::Null
    );

    assert_eq!(
        refused(
            &app,
            &viewer,
            CREATE_PROJECT,
            json!({"input": {"workbenchId": team_bench, "name": "X"}})
        )
        .await
        .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(
            &app,
            &outsider,
            CREATE_PROJECT,
            json!({"input": {"workbenchId": team_bench, "name": "X"}})
        )
        .await
        .0,
        "NOT_FOUND"
    );
    assert_eq!(
        refused(
            &app,
            &owner,
            CREATE_PROJECT,
            json!({"input": {"workbenchId": team_bench, "name": "   "}})
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("name".into()))
    );

    let lists = ok(
        &app,
        &owner,
        "query($team: ID!) { all: workbenches { totalCount edges { node { name } } } team: workbenches(teamId: $team) { totalCount edges { node { name } } } }",
        json!({"team": team}),
    )
    .await;
    assert_eq!(lists["all"]["totalCount"], 3);
    let team_names: Vec<&str> = lists["team"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(team_names, vec!["Bare", "Team"]);
    let viewer_lists = ok(&app, &viewer, "{ workbenches { totalCount } }", json!({})).await;
    assert_eq!(
        viewer_lists["workbenches"]["totalCount"], 2,
        "the viewer sees the team's only"
    );
}

#[tokio::test]
async fn a_project_template_is_public_or_of_the_same_team_or_account() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.com", "password-123").await;
    let (stranger, _) = app.sign_up("stranger@example.com", "password-123").await;
    let team_a = create_team(&app, &owner, "A").await;
    let team_b = create_team(&app, &owner, "B").await;
    let public = insert_public_templates(&app, &[("Story", "social", &["story"])]).await;
    let public = public[0].clone();
    let of_a = create_template(&app, &owner, Some(&team_a), "A layout", "social", &[]).await;
    let of_b = create_template(&app, &owner, Some(&team_b), "B layout", "social", &[]).await;
    let personal = create_template(&app, &owner, None, "My layout", "social", &[]).await;
    let strangers = create_template(&app, &stranger, None, "Their layout", "social", &[]).await;

    let bench_a = create_workbench(&app, &owner, Some(&team_a), "A bench", None).await;
    let bench_personal = create_workbench(&app, &owner, None, "Mine", None).await;

    let with_template = |bench: &str, template: &str| json!({"input": {"workbenchId": bench, "name": "From template", "templateId": template}});
    for (bench, template) in [
        (&bench_a, &public),
        (&bench_a, &of_a),
        (&bench_personal, &personal),
        (&bench_personal, &public),
    ] {
        let created = ok(&app, &owner, CREATE_PROJECT, with_template(bench, template)).await;
        assert_eq!(
            created["createProject"]["project"]["template"]["id"],
            template.as_str()
        );
    }
    // Another team's private template is refused, even to a member of both teams;
    // so are personal templates in a team and team templates in a personal workbench.
    for (bench, template) in [
        (&bench_a, &of_b),
        (&bench_a, &personal),
        (&bench_a, &strangers),
        (&bench_personal, &of_a),
        (&bench_personal, &strangers),
    ] {
        assert_eq!(
            refused(&app, &owner, CREATE_PROJECT, with_template(bench, template)).await,
            ("BAD_USER_INPUT".into(), Some("templateId".into())),
            "template {template} in workbench {bench}"
        );
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM projects").await,
        4,
        "refused projects were not created"
    );

    // Changing the template of an existing project follows the same rule.
    let project = create_project(&app, &owner, &bench_a, "Later").await;
    let update = "mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { template { id } } } }";
    assert_eq!(
        refused(
            &app,
            &owner,
            update,
            json!({"input": {"id": project, "templateId": of_b}})
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("templateId".into()))
    );
    let changed = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": project, "templateId": of_a}}),
    )
    .await;
    assert_eq!(
        changed["updateProject"]["project"]["template"]["id"],
        of_a.as_str()
    );
    let cleared = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": project, "templateId": null}}),
    )
    .await;
    assert_eq!(cleared["updateProject"]["project"]["template"], Value::Null);
}

#[tokio::test]
async fn brand_kits_are_validated_and_have_one_default_per_owner() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;

    let kit_input = |colors: Value, fonts: Value| json!({"input": {"name": "Kit", "colors": colors, "fonts": fonts}});
    for colors in [
        json!([{"name": "Primary", "hex": "red"}]),
        json!([{"name": "Primary", "hex": "#GGGGGG"}]),
        json!([{"name": "Primary", "hex": "#12345"}]),
        json!([{"name": "Primary", "hex": "FF0000"}]),
        json!([{"name": "", "hex": "#FF0000"}]),
        json!([{"name": "Primary"}]),
        json!({"name": "Primary", "hex": "#FF0000"}),
    ] {
        assert_eq!(
            refused(
                &app,
                &owner,
                CREATE_KIT,
                kit_input(colors.clone(), json!([]))
            )
            .await,
            ("BAD_USER_INPUT".into(), Some("colors".into())),
            "{colors}"
        );
    }
    assert_eq!(
        refused(
            &app,
            &owner,
            CREATE_KIT,
            kit_input(json!([]), json!([{"name": "Body"}]))
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("fonts".into()))
    );
    for hex in ["#FFF", "#00ff00", "#11223344"] {
        let data = ok(
            &app,
            &owner,
            CREATE_KIT,
            kit_input(json!([{"name": "C", "hex": hex}]), json!([])),
        )
        .await;
        assert_eq!(data["createBrandKit"]["brandKit"]["colors"][0]["hex"], hex);
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM brand_kits").await, 3);

    let is_default = "query($id: ID!) { brandKit(id: $id) { isDefault } }";
    let default_of = |kit: String| {
        let app = &app;
        let owner = &owner;
        async move {
            ok(app, owner, is_default, json!({"id": kit})).await["brandKit"]["isDefault"]
                .as_bool()
                .expect("isDefault")
        }
    };
    let first = create_kit(&app, &owner, None, "First", true).await;
    assert!(default_of(first.clone()).await);
    let second = create_kit(&app, &owner, None, "Second", true).await;
    assert!(
        !default_of(first.clone()).await,
        "the second default flips the first"
    );
    assert!(default_of(second.clone()).await);

    // A team's default is separate from the personal one.
    let team_first = create_kit(&app, &owner, Some(&team), "Team first", true).await;
    assert!(default_of(second.clone()).await);
    assert!(default_of(team_first.clone()).await);
    let team_second = create_kit(&app, &owner, Some(&team), "Team second", true).await;
    assert!(!default_of(team_first.clone()).await);
    assert!(default_of(team_second.clone()).await);
    assert!(default_of(second.clone()).await);

    // Making a kit the default through an update flips the previous one too.
    let update = "mutation($input: UpdateBrandKitInput!) { updateBrandKit(input: $input) { brandKit { isDefault colors } } }";
    let updated = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": first, "isDefault": true}}),
    )
    .await;
    assert_eq!(updated["updateBrandKit"]["brandKit"]["isDefault"], true);
    assert!(!default_of(second.clone()).await);
    assert!(default_of(team_second.clone()).await);
    assert_eq!(
        refused(
            &app,
            &owner,
            update,
            json!({"input": {"id": first, "colors": [{"name": "Bad", "hex": "#XYZ"}]}})
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("colors".into()))
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM brand_kits WHERE is_default AND team_id IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM brand_kits WHERE is_default AND team_id IS NOT NULL"
        )
        .await,
        1
    );

    // Lists put the default first.
    let listed = ok(
        &app,
        &owner,
        "query($team: ID!) { brandKits(teamId: $team) { totalCount edges { node { name isDefault } } } }",
        json!({"team": team}),
    )
    .await;
    assert_eq!(listed["brandKits"]["totalCount"], 2);
    assert_eq!(
        listed["brandKits"]["edges"][0]["node"]["name"],
        "Team second"
    );
}

const PROJECTS: &str = "query($filter: ProjectFilter, $orderBy: ProjectOrder, $first: Int, $after: String) { projects(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name deletedAt } } } }";

fn names(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("edges: {connection}"))
        .iter()
        .map(|e| e["node"]["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn projects_filter_sort_and_page() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.com", "password-123").await;
    let (other, _) = app.sign_up("other@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;
    let foreign_team = create_team(&app, &other, "Theirs").await;
    let first_bench = create_workbench(&app, &owner, Some(&team), "One", None).await;
    let second_bench = create_workbench(&app, &owner, Some(&team), "Two", None).await;
    let personal = create_workbench(&app, &owner, None, "Mine", None).await;
    let foreign = create_workbench(&app, &other, Some(&foreign_team), "Theirs", None).await;
    for name in ["Gamma", "Alpha", "Beta Launch"] {
        create_project(&app, &owner, &first_bench, name).await;
    }
    for name in ["Epsilon", "Delta Launch"] {
        create_project(&app, &owner, &second_bench, name).await;
    }
    create_project(&app, &owner, &personal, "Zeta Launch").await;
    create_project(&app, &other, &foreign, "Launch Elsewhere").await;
    create_project(&app, &other, &foreign, "100% Launch").await;

    let list = |filter: Value, order: Value, first: Option<i32>, after: Option<String>| {
        let app = &app;
        let owner = &owner;
        async move {
            ok(
                app,
                owner,
                PROJECTS,
                json!({"filter": filter, "orderBy": order, "first": first, "after": after}),
            )
            .await["projects"]
                .clone()
        }
    };
    let by_name = json!({"field": "NAME", "direction": "ASC"});

    let everything = list(Value::Null, by_name.clone(), None, None).await;
    assert_eq!(
        everything["totalCount"], 6,
        "the other user's projects are not listed"
    );
    assert_eq!(
        names(&everything),
        [
            "Alpha",
            "Beta Launch",
            "Delta Launch",
            "Epsilon",
            "Gamma",
            "Zeta Launch"
        ]
    );
    let descending = list(
        Value::Null,
        json!({"field": "NAME", "direction": "DESC"}),
        None,
        None,
    )
    .await;
    assert_eq!(
        names(&descending),
        [
            "Zeta Launch",
            "Gamma",
            "Epsilon",
            "Delta Launch",
            "Beta Launch",
            "Alpha"
        ]
    );
    // Default order: most recently updated first.
    let recent = list(Value::Null, Value::Null, None, None).await;
    assert_eq!(names(&recent)[0], "Zeta Launch");
    let created_asc = list(
        Value::Null,
        json!({"field": "CREATED_AT", "direction": "ASC"}),
        None,
        None,
    )
    .await;
    assert_eq!(
        names(&created_asc),
        [
            "Gamma",
            "Alpha",
            "Beta Launch",
            "Epsilon",
            "Delta Launch",
            "Zeta Launch"
        ]
    );

    let in_first = list(
        json!({"workbenchId": first_bench}),
        by_name.clone(),
        None,
        None,
    )
    .await;
    assert_eq!(names(&in_first), ["Alpha", "Beta Launch", "Gamma"]);
    let in_team = list(json!({"teamId": team}), by_name.clone(), None, None).await;
    assert_eq!(in_team["totalCount"], 5);
    assert!(!names(&in_team).contains(&"Zeta Launch".to_string()));
    let searched = list(json!({"search": "launch"}), by_name.clone(), None, None).await;
    assert_eq!(
        names(&searched),
        ["Beta Launch", "Delta Launch", "Zeta Launch"]
    );
    let combined = list(
        json!({"search": "LAUNCH", "workbenchId": second_bench}),
        by_name.clone(),
        None,
        None,
    )
    .await;
    assert_eq!(names(&combined), ["Delta Launch"]);
    let literal = list(json!({"search": "%"}), by_name.clone(), None, None).await;
    assert_eq!(literal["totalCount"], 0, "% is matched literally");
    for filter in [
        json!({"teamId": foreign_team}),
        json!({"workbenchId": foreign}),
    ] {
        let none = list(filter.clone(), by_name.clone(), None, None).await;
        assert_eq!(none["totalCount"], 0, "{filter}");
    }
    assert_eq!(
        refused(
            &app,
            &owner,
            PROJECTS,
            json!({"filter": {"teamId": first_bench}})
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("teamId".into()))
    );

    // Pages of two, by name.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = list(Value::Null, by_name.clone(), Some(2), after.clone()).await;
        assert_eq!(page["totalCount"], 6);
        let page_names = names(&page);
        assert!(page_names.len() <= 2);
        seen.extend(page_names);
        pages += 1;
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, names(&everything));
}

#[tokio::test]
async fn deleted_projects_are_hidden_and_only_admins_see_or_restore_them() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.com", "password-123").await;
    let (admin, _) = app.sign_up("admin@example.com", "password-123").await;
    let (editor, _) = app.sign_up("editor@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;
    add_member(&app, &owner, &team, "admin@example.com", "ADMIN").await;
    add_member(&app, &owner, &team, "editor@example.com", "EDITOR").await;
    let bench = create_workbench(&app, &editor, Some(&team), "Bench", None).await;
    let doomed = create_project(&app, &editor, &bench, "Doomed").await;
    create_project(&app, &editor, &bench, "Kept").await;

    let delete =
        "mutation($id: ID!) { deleteProject(input: {id: $id}) { project { id deletedAt } } }";
    let restore =
        "mutation($id: ID!) { restoreProject(input: {id: $id}) { project { id deletedAt } } }";
    let one = "query($id: ID!, $deleted: Boolean! = false) { project(id: $id, deleted: $deleted) { name deletedAt } }";
    let bench_projects = "query($id: ID!, $deleted: Boolean! = false) { workbench(id: $id) { projects(deleted: $deleted) { totalCount edges { node { name } } } } }";

    assert_eq!(
        refused(&app, &editor, delete, json!({"id": doomed}))
            .await
            .0,
        "FORBIDDEN"
    );
    let deleted = ok(&app, &admin, delete, json!({"id": doomed})).await;
    assert!(deleted["deleteProject"]["project"]["deletedAt"].is_string());
    assert_eq!(
        refused(&app, &admin, delete, json!({"id": doomed})).await.0,
        "NOT_FOUND",
        "a deleted project cannot be deleted again"
    );

    for token in [&owner, &admin, &editor] {
        let found = ok(&app, token, one, json!({"id": doomed})).await;
        assert_eq!(found["project"], Value::Null);
        let listed = ok(&app, token, PROJECTS, json!({})).await;
        assert_eq!(names(&listed["projects"]), ["Kept"]);
        let in_bench = ok(&app, token, bench_projects, json!({"id": bench})).await;
        assert_eq!(names(&in_bench["workbench"]["projects"]), ["Kept"]);
        assert_eq!(in_bench["workbench"]["projects"]["totalCount"], 1);
    }

    // ADMIN and OWNER see it among the deleted ones.
    for token in [&owner, &admin] {
        let listed = ok(&app, token, PROJECTS, json!({"filter": {"deleted": true}})).await;
        assert_eq!(names(&listed["projects"]), ["Doomed"]);
        assert!(listed["projects"]["edges"][0]["node"]["deletedAt"].is_string());
        let found = ok(&app, token, one, json!({"id": doomed, "deleted": true})).await;
        assert_eq!(found["project"]["name"], "Doomed");
        let in_bench = ok(
            &app,
            token,
            bench_projects,
            json!({"id": bench, "deleted": true}),
        )
        .await;
        assert_eq!(names(&in_bench["workbench"]["projects"]), ["Doomed"]);
    }
    // An EDITOR does not.
    let listed = ok(
        &app,
        &editor,
        PROJECTS,
        json!({"filter": {"deleted": true}}),
    )
    .await;
    assert_eq!(listed["projects"]["totalCount"], 0);
    let single = app
        .graphql_as(&editor, one, json!({"id": doomed, "deleted": true}))
        .await;
    assert!(
        single["data"]["project"].is_null(),
        "the editor must not see the deleted project: {single}"
    );
    assert_eq!(error_code(&single), None, "null, not an error: {single}");
    assert_eq!(
        refused(
            &app,
            &editor,
            bench_projects,
            json!({"id": bench, "deleted": true})
        )
        .await
        .0,
        "FORBIDDEN"
    );

    // A deleted project takes no changes.
    assert_eq!(
        refused(
            &app,
            &admin,
            "mutation($id: ID!) { updateProject(input: {id: $id, name: \"Renamed\"}) { project { name } } }",
            json!({"id": doomed})
        )
        .await
        .0,
        "NOT_FOUND"
    );

    assert_eq!(
        refused(&app, &editor, restore, json!({"id": doomed}))
            .await
            .0,
        "FORBIDDEN"
    );
    let restored = ok(&app, &admin, restore, json!({"id": doomed})).await;
    assert_eq!(
        restored["restoreProject"]["project"]["deletedAt"],
        Value::Null
    );
    assert_eq!(
        refused(&app, &admin, restore, json!({"id": doomed}))
            .await
            .0,
        "CONFLICT"
    );
    let back = ok(&app, &editor, one, json!({"id": doomed})).await;
    assert_eq!(back["project"]["name"], "Doomed");
    let listed = ok(
        &app,
        &editor,
        PROJECTS,
        json!({"orderBy": {"field": "NAME", "direction": "ASC"}}),
    )
    .await;
    assert_eq!(names(&listed["projects"]), ["Doomed", "Kept"]);
    let in_bench = ok(&app, &editor, bench_projects, json!({"id": bench})).await;
    assert_eq!(in_bench["workbench"]["projects"]["totalCount"], 2);
}

/// Inserts `n` uploaded assets into a project by SQL; returns their global IDs.
async fn insert_assets(app: &TestApp, project_id: &str, user_id: &str, n: usize) -> Vec<String> {
    let project = uuid_of(project_id);
    let user = uuid_of(user_id);
    let mut conn = app.db.conn().await;
    let mut ids = Vec::new();
    for i in 0..n {
        let asset = uuid::Uuid::new_v4();
        conn.batch_execute(&format!(
            "INSERT INTO assets (id, project_id, user_id, name, type, file_path, mime_type, format, created_at) \
             VALUES ('{asset}', '{project}', '{user}', 'Asset {i}', 'Uploaded', 'assets/{project}/{asset}.png', 'image/png', 'png', now() + interval '{i} milliseconds')"
        ))
        .await
        .expect("asset");
        ids.push(URL_SAFE_NO_PAD.encode(format!("Asset:{asset}")));
    }
    ids
}

#[tokio::test]
async fn deleted_assets_are_hidden_and_only_admins_see_or_restore_them() {
    let app = TestApp::spawn().await;
    let (owner, owner_id) = app.sign_up("owner@example.com", "password-123").await;
    let (admin, _) = app.sign_up("admin@example.com", "password-123").await;
    let (editor, _) = app.sign_up("editor@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;
    add_member(&app, &owner, &team, "admin@example.com", "ADMIN").await;
    add_member(&app, &owner, &team, "editor@example.com", "EDITOR").await;
    let bench = create_workbench(&app, &owner, Some(&team), "Bench", None).await;
    let project = create_project(&app, &owner, &bench, "Shoot").await;
    let assets = insert_assets(&app, &project, &owner_id, 2).await;
    let (doomed, kept) = (&assets[0], &assets[1]);

    let delete = "mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { deletedAt } } }";
    let restore = "mutation($id: ID!) { restoreAsset(input: {id: $id}) { asset { deletedAt } } }";
    let one = "query($id: ID!, $deleted: Boolean! = false) { asset(id: $id, deleted: $deleted) { name deletedAt } }";
    let of_project = "query($id: ID!, $deleted: Boolean! = false) { project(id: $id) { assets(deleted: $deleted) { totalCount edges { node { id name } } } } }";

    assert_eq!(
        refused(&app, &editor, delete, json!({"id": doomed}))
            .await
            .0,
        "FORBIDDEN"
    );
    let deleted = ok(&app, &admin, delete, json!({"id": doomed})).await;
    assert!(deleted["deleteAsset"]["asset"]["deletedAt"].is_string());

    for token in [&admin, &editor] {
        let found = ok(&app, token, one, json!({"id": doomed})).await;
        assert_eq!(found["asset"], Value::Null);
        let listed = ok(&app, token, of_project, json!({"id": project})).await;
        assert_eq!(listed["project"]["assets"]["totalCount"], 1);
        assert_eq!(
            listed["project"]["assets"]["edges"][0]["node"]["id"],
            kept.as_str()
        );
    }
    let found = ok(&app, &admin, one, json!({"id": doomed, "deleted": true})).await;
    assert_eq!(found["asset"]["name"], "Asset 0");
    let listed = ok(
        &app,
        &admin,
        of_project,
        json!({"id": project, "deleted": true}),
    )
    .await;
    assert_eq!(listed["project"]["assets"]["totalCount"], 1);
    assert_eq!(
        listed["project"]["assets"]["edges"][0]["node"]["id"],
        doomed.as_str()
    );

    let single = app
        .graphql_as(&editor, one, json!({"id": doomed, "deleted": true}))
        .await;
    assert!(single["data"]["asset"].is_null(), "{single}");
    assert_eq!(error_code(&single), None, "null, not an error: {single}");
    assert_eq!(
        refused(
            &app,
            &editor,
            of_project,
            json!({"id": project, "deleted": true})
        )
        .await
        .0,
        "FORBIDDEN"
    );
    // A deleted asset takes no new versions.
    assert_eq!(
        refused(
            &app,
            &admin,
            "mutation($id: ID!) { createAssetVersion(input: {assetId: $id}) { assetVersion { versionNumber } } }",
            json!({"id": doomed})
        )
        .await
        .0,
        "NOT_FOUND"
    );

    assert_eq!(
        refused(&app, &editor, restore, json!({"id": doomed}))
            .await
            .0,
        "FORBIDDEN"
    );
    let restored = ok(&app, &admin, restore, json!({"id": doomed})).await;
    assert_eq!(restored["restoreAsset"]["asset"]["deletedAt"], Value::Null);
    assert_eq!(
        refused(&app, &admin, restore, json!({"id": doomed}))
            .await
            .0,
        "CONFLICT"
    );
    let back = ok(&app, &editor, one, json!({"id": doomed})).await;
    assert_eq!(back["asset"]["name"], "Asset 0");
    let listed = ok(&app, &editor, of_project, json!({"id": project})).await;
    assert_eq!(listed["project"]["assets"]["totalCount"], 2);

    // Assets of a deleted project are out of sight with it.
    ok(
        &app,
        &admin,
        "mutation($id: ID!) { deleteProject(input: {id: $id}) { project { id } } }",
        json!({"id": project}),
    )
    .await;
    let hidden = ok(&app, &admin, one, json!({"id": kept})).await;
    assert_eq!(hidden["asset"], Value::Null);
}

const TEMPLATES: &str = "query($filter: TemplateFilter) { templates(filter: $filter, first: 100) { totalCount edges { node { name isPublic } } } }";

fn sorted_names(connection: &Value) -> Vec<String> {
    let mut names = names(connection);
    names.sort();
    names
}

#[tokio::test]
async fn templates_list_public_and_own_private_ones_with_filters() {
    let app = TestApp::spawn().await;
    let (user, _) = app.sign_up("user@example.com", "password-123").await;
    let (other, _) = app.sign_up("other@example.com", "password-123").await;
    let team = create_team(&app, &user, "Studio").await;
    let other_team = create_team(&app, &other, "Elsewhere").await;
    insert_public_templates(
        &app,
        &[
            ("Instagram Story", "social", &["story", "vertical"]),
            ("LinkedIn Banner", "social", &["banner"]),
            ("Flyer", "print", &["print", "a4"]),
        ],
    )
    .await;
    let mine = create_template(&app, &user, None, "My Story Remix", "social", &["story"]).await;
    create_template(
        &app,
        &user,
        Some(&team),
        "Team Banner",
        "social",
        &["banner", "team"],
    )
    .await;
    let secret = create_template(&app, &other, None, "Secret Story", "social", &["story"]).await;
    create_template(
        &app,
        &other,
        Some(&other_team),
        "Other Team Banner",
        "social",
        &["banner", "team"],
    )
    .await;

    let list = |token: Option<&str>, filter: Value| {
        let app = &app;
        let token = token.map(str::to_string);
        async move {
            let response = match token {
                Some(t) => {
                    app.graphql_as(&t, TEMPLATES, json!({"filter": filter}))
                        .await
                }
                None => app.graphql(TEMPLATES, json!({"filter": filter})).await,
            };
            assert_eq!(response["errors"], Value::Null, "{response}");
            response["data"]["templates"].clone()
        }
    };

    let all = list(Some(user.as_str()), Value::Null).await;
    assert_eq!(
        sorted_names(&all),
        [
            "Flyer",
            "Instagram Story",
            "LinkedIn Banner",
            "My Story Remix",
            "Team Banner"
        ]
    );
    assert_eq!(all["totalCount"], 5);
    let cases = [
        (
            json!({"tags": ["story"]}),
            vec!["Instagram Story", "My Story Remix"],
        ),
        (json!({"tags": ["banner", "team"]}), vec!["Team Banner"]),
        (
            json!({"tags": ["banner"]}),
            vec!["LinkedIn Banner", "Team Banner"],
        ),
        (json!({"category": "print"}), vec!["Flyer"]),
        (
            json!({"category": "social", "tags": ["vertical"]}),
            vec!["Instagram Story"],
        ),
        (
            json!({"search": "BANNER"}),
            vec!["LinkedIn Banner", "Team Banner"],
        ),
        (json!({"search": "remix layout"}), vec!["My Story Remix"]),
        (json!({"search": "%"}), vec![]),
        (
            json!({"privateOnly": true}),
            vec!["My Story Remix", "Team Banner"],
        ),
        (
            json!({"privateOnly": true, "tags": ["banner"]}),
            vec!["Team Banner"],
        ),
        (json!({"privateOnly": true, "category": "print"}), vec![]),
    ];
    for (filter, expected) in cases {
        let found = list(Some(user.as_str()), filter.clone()).await;
        assert_eq!(sorted_names(&found), expected, "{filter}");
        assert_eq!(found["totalCount"], expected.len(), "{filter}");
    }

    let theirs = list(Some(other.as_str()), Value::Null).await;
    assert_eq!(
        sorted_names(&theirs),
        [
            "Flyer",
            "Instagram Story",
            "LinkedIn Banner",
            "Other Team Banner",
            "Secret Story"
        ]
    );
    let anonymous = list(None, Value::Null).await;
    assert_eq!(
        sorted_names(&anonymous),
        ["Flyer", "Instagram Story", "LinkedIn Banner"]
    );
    let anonymous_private = list(None, json!({"privateOnly": true})).await;
    assert_eq!(anonymous_private["totalCount"], 0);

    let one = "query($id: ID!) { template(id: $id) { name } }";
    let hidden = ok(&app, &user, one, json!({"id": secret})).await;
    assert_eq!(hidden["template"], Value::Null);
    let own = ok(&app, &user, one, json!({"id": mine})).await;
    assert_eq!(own["template"]["name"], "My Story Remix");
}

#[tokio::test]
async fn updating_the_collaboration_state_sets_last_collaborated_at() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.sign_up("owner@example.com", "password-123").await;
    let (viewer, _) = app.sign_up("viewer@example.com", "password-123").await;
    let team = create_team(&app, &owner, "Studio").await;
    add_member(&app, &owner, &team, "viewer@example.com", "VIEWER").await;
    let bench = create_workbench(&app, &owner, Some(&team), "Bench", None).await;
    let project = create_project(&app, &owner, &bench, "Canvas").await;
    let update = "mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { name targetPlatform collaborationState lastCollaboratedAt updatedAt } } }";

    let fresh = ok(
        &app,
        &owner,
        "query($id: ID!) { project(id: $id) { collaborationState lastCollaboratedAt } }",
        json!({"id": project}),
    )
    .await;
    assert_eq!(fresh["project"]["lastCollaboratedAt"], Value::Null);

    let renamed = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": project, "name": "Canvas v2", "targetPlatform": "TikTok"}}),
    )
    .await;
    let renamed = &renamed["updateProject"]["project"];
    assert_eq!(renamed["name"], "Canvas v2");
    assert_eq!(renamed["targetPlatform"], "TikTok");
    assert_eq!(
        renamed["lastCollaboratedAt"],
        Value::Null,
        "other changes do not count as collaboration"
    );

    let before = Utc::now() - chrono::TimeDelta::seconds(1);
    let state =
        json!({"doc": {"layers": [{"id": 1, "kind": "text", "text": "Hello"}]}, "clock": 3});
    let changed = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": project, "collaborationState": state}}),
    )
    .await;
    let changed = &changed["updateProject"]["project"];
    assert_eq!(changed["collaborationState"], state);
    assert_eq!(changed["name"], "Canvas v2", "unchanged fields stay");
    let first_at = time(&changed["lastCollaboratedAt"]);
    assert!(first_at >= before && first_at <= Utc::now() + chrono::TimeDelta::seconds(1));

    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let again = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": project, "collaborationState": {"clock": 4}}}),
    )
    .await;
    let second_at = time(&again["updateProject"]["project"]["lastCollaboratedAt"]);
    assert!(second_at > first_at, "{second_at} after {first_at}");

    let cleared = ok(
        &app,
        &owner,
        update,
        json!({"input": {"id": project, "collaborationState": null}}),
    )
    .await;
    assert_eq!(
        cleared["updateProject"]["project"]["collaborationState"],
        Value::Null
    );
    assert!(time(&cleared["updateProject"]["project"]["lastCollaboratedAt"]) >= second_at);

    assert_eq!(
        refused(
            &app,
            &viewer,
            update,
            json!({"input": {"id": project, "collaborationState": {"clock": 5}}})
        )
        .await
        .0,
        "FORBIDDEN"
    );
    assert_eq!(
        refused(
            &app,
            &owner,
            update,
            json!({"input": {"id": project, "targetPlatform": "Instagram Story!"}})
        )
        .await,
        ("BAD_USER_INPUT".into(), Some("targetPlatform".into()))
    );
}
