//! Team invitations by email (issue 15): a mailed single-use token that
//! expires, accepted by the account with the invited address.

use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

const INVITE: &str = "mutation($input: InviteTeamMemberInput!) { inviteTeamMember(input: $input) { invitation { id email role expired invitedBy { id } team { name } } } }";
const ACCEPT: &str = "mutation($token: String!) { acceptTeamInvitation(input: {token: $token}) { member { role user { id } team { id } } } }";
const MEMBERS: &str =
    "query($id: ID!) { team(id: $id) { members { edges { node { role user { id } } } } invitations { id email } } }";

/// An owner's session and a team of theirs.
async fn team_of_owner(app: &TestApp, email: &str) -> (String, String) {
    let (token, _) = app.sign_up(email, "password-123").await;
    let r = app
        .graphql_as(
            &token,
            "mutation { createTeam(input: {name: \"Invited Studio\"}) { team { id } } }",
            json!({}),
        )
        .await;
    let team = r["data"]["createTeam"]["team"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createTeam: {r}"))
        .to_string();
    (token, team)
}

async fn invite(app: &TestApp, token: &str, team: &str, email: &str, role: &str) -> Value {
    app.graphql_as(
        token,
        INVITE,
        json!({"input": {"teamId": team, "email": email, "role": role}}),
    )
    .await
}

/// The token of the newest invitation mail to `to`: the mail's line that is one.
async fn mailed_token(app: &TestApp, to: &str) -> String {
    let body = app
        .last_mail(to, "team_invitation")
        .await
        .expect("an invitation mail");
    body.lines()
        .map(str::trim)
        .find(|l| {
            l.len() == 43
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .unwrap_or_else(|| panic!("no token in {body}"))
        .to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel_async::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), &mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

async fn exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.conn().await;
    diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn an_invited_address_signs_up_accepts_and_is_a_member_with_the_invited_role() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, team) = team_of_owner(&app, "inv-owner@example.com").await;
    let r = invite(&app, &owner, &team, "New.Person@Example.com", "EDITOR").await;
    let invitation = &r["data"]["inviteTeamMember"]["invitation"];
    assert_eq!(invitation["role"], "EDITOR", "{r}");
    assert_eq!(invitation["email"], "new.person@example.com");
    assert_eq!(invitation["expired"], false);
    assert!(invitation["invitedBy"]["id"].is_string());
    // Only the token's hash is stored.
    let token = mailed_token(&app, "new.person@example.com").await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM team_invitations WHERE token_hash = '{token}'")
        )
        .await,
        0
    );
    let listed = app.graphql_as(&owner, MEMBERS, json!({"id": team})).await;
    assert_eq!(
        listed["data"]["team"]["invitations"][0]["id"],
        invitation["id"]
    );

    let (newcomer, newcomer_id) = app.sign_up("new.person@example.com", "password-123").await;
    let accepted = app
        .graphql_as(&newcomer, ACCEPT, json!({"token": token}))
        .await;
    let member = &accepted["data"]["acceptTeamInvitation"]["member"];
    assert_eq!(member["role"], "EDITOR", "{accepted}");
    assert_eq!(member["user"]["id"], json!(newcomer_id));
    assert_eq!(member["team"]["id"], json!(team));

    let after = app.graphql_as(&owner, MEMBERS, json!({"id": team})).await;
    let edges = after["data"]["team"]["members"]["edges"]
        .as_array()
        .expect("members");
    assert!(edges
        .iter()
        .any(|e| e["node"]["user"]["id"] == json!(newcomer_id) && e["node"]["role"] == "EDITOR"));
    assert_eq!(after["data"]["team"]["invitations"], json!([]));
    // The newcomer reads the team as a member now.
    let mine = app
        .graphql_as(&newcomer, "{ myTeams { totalCount } }", json!({}))
        .await;
    assert_eq!(mine["data"]["myTeams"]["totalCount"], 1);

    // Used once: a second acceptance is refused and writes nothing.
    let again = app
        .graphql_as(&newcomer, ACCEPT, json!({"token": token}))
        .await;
    assert_eq!(error_code(&again), Some("BAD_USER_INPUT"), "{again}");
    assert_eq!(again["errors"][0]["extensions"]["field"], "token");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM team_members").await,
        2
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, team) = team_of_owner(&app, "exp-owner@example.com").await;
    let r = invite(&app, &owner, &team, "late@example.com", "VIEWER").await;
    assert!(r["errors"].is_null(), "{r}");
    let token = mailed_token(&app, "late@example.com").await;
    exec(
        &app,
        "UPDATE team_invitations SET expires_at = now() - interval '1 minute'",
    )
    .await;
    let listed = app.graphql_as(&owner, MEMBERS, json!({"id": team})).await;
    let expired = app
        .graphql_as(
            &owner,
            "query($id: ID!) { team(id: $id) { invitations { expired } } }",
            json!({"id": team}),
        )
        .await;
    assert_eq!(
        expired["data"]["team"]["invitations"][0]["expired"], true,
        "{listed}"
    );

    let (late, _) = app.sign_up("late@example.com", "password-123").await;
    let refused = app.graphql_as(&late, ACCEPT, json!({"token": token})).await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM team_members").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM team_invitations WHERE accepted_at IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn inviting_again_replaces_the_old_token_and_revoking_stops_it() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, team) = team_of_owner(&app, "again-owner@example.com").await;
    invite(&app, &owner, &team, "twice@example.com", "VIEWER").await;
    let first = mailed_token(&app, "twice@example.com").await;
    // The outbox orders by creation time; the second mail must be newer.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let r = invite(&app, &owner, &team, "twice@example.com", "ADMIN").await;
    assert_eq!(
        r["data"]["inviteTeamMember"]["invitation"]["role"], "ADMIN",
        "{r}"
    );
    let second = mailed_token(&app, "twice@example.com").await;
    assert_ne!(first, second);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM team_invitations").await,
        1
    );

    let (invitee, _) = app.sign_up("twice@example.com", "password-123").await;
    let old = app
        .graphql_as(&invitee, ACCEPT, json!({"token": first}))
        .await;
    assert_eq!(error_code(&old), Some("BAD_USER_INPUT"), "{old}");

    // Revoked: the current token stops working too.
    let id = r["data"]["inviteTeamMember"]["invitation"]["id"].clone();
    let revoked = app
        .graphql_as(
            &owner,
            "mutation($id: ID!) { revokeTeamInvitation(input: {invitationId: $id}) { revokedInvitationId } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeTeamInvitation"]["revokedInvitationId"], id,
        "{revoked}"
    );
    let after = app
        .graphql_as(&invitee, ACCEPT, json!({"token": second}))
        .await;
    assert_eq!(error_code(&after), Some("BAD_USER_INPUT"), "{after}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM team_members").await,
        1
    );
}

#[tokio::test]
async fn nobody_invites_an_owner_and_an_editor_cannot_invite() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, team) = team_of_owner(&app, "roles-owner@example.com").await;
    let (admin, _) = app.sign_up("roles-admin@example.com", "password-123").await;
    let (editor, _) = app
        .sign_up("roles-editor@example.com", "password-123")
        .await;
    for (email, role) in [
        ("roles-admin@example.com", "ADMIN"),
        ("roles-editor@example.com", "EDITOR"),
    ] {
        let r = app
            .graphql_as(
                &owner,
                "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
                json!({"input": {"teamId": team, "email": email, "role": role}}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let as_owner = invite(&app, &admin, &team, "boss@example.com", "OWNER").await;
    assert_eq!(error_code(&as_owner), Some("BAD_USER_INPUT"), "{as_owner}");
    assert_eq!(as_owner["errors"][0]["extensions"]["field"], "role");
    let by_editor = invite(&app, &editor, &team, "friend@example.com", "VIEWER").await;
    assert_eq!(error_code(&by_editor), Some("FORBIDDEN"), "{by_editor}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM team_invitations").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM mail_outbox WHERE kind = 'team_invitation'"
        )
        .await,
        0
    );
    // The ADMIN may invite below OWNER.
    let fine = invite(&app, &admin, &team, "friend@example.com", "ADMIN").await;
    assert!(fine["errors"].is_null(), "{fine}");
}

#[tokio::test]
async fn an_existing_account_is_notified_and_only_it_may_accept() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, team) = team_of_owner(&app, "notify-owner@example.com").await;
    let (existing, _) = app.sign_up("existing@example.com", "password-123").await;
    let (stranger, _) = app.sign_up("stranger@example.com", "password-123").await;
    let r = invite(&app, &owner, &team, "existing@example.com", "VIEWER").await;
    assert!(r["errors"].is_null(), "{r}");
    let notes = app
        .graphql_as(
            &existing,
            "{ notifications { edges { node { type message } } } }",
            json!({}),
        )
        .await;
    let node = &notes["data"]["notifications"]["edges"][0]["node"];
    assert_eq!(node["type"], "collaboration_invite", "{notes}");
    assert!(node["message"]
        .as_str()
        .is_some_and(|m| m.contains("Invited Studio")));

    let token = mailed_token(&app, "existing@example.com").await;
    let wrong = app
        .graphql_as(&stranger, ACCEPT, json!({"token": token}))
        .await;
    assert_eq!(error_code(&wrong), Some("FORBIDDEN"), "{wrong}");
    let anonymous = app.graphql(ACCEPT, json!({"token": token})).await;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    let right = app
        .graphql_as(&existing, ACCEPT, json!({"token": token}))
        .await;
    assert_eq!(
        right["data"]["acceptTeamInvitation"]["member"]["role"], "VIEWER",
        "{right}"
    );
    // A member is not invited again.
    let member = invite(&app, &owner, &team, "existing@example.com", "EDITOR").await;
    assert_eq!(error_code(&member), Some("CONFLICT"), "{member}");
}

#[tokio::test]
async fn the_invitation_of_an_existing_account_arrives_live() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (owner, team) = team_of_owner(&app, "live-owner@example.com").await;
    let (existing, _) = app
        .sign_up("live-invitee@example.com", "password-123")
        .await;
    let mut socket = crate::exports::notifications_socket(&app, &existing).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = invite(&app, &owner, &team, "live-invitee@example.com", "EDITOR").await;
    assert!(r["errors"].is_null(), "{r}");
    let notification = crate::exports::next_notification(&mut socket).await;
    assert_eq!(
        notification["type"], "collaboration_invite",
        "{notification}"
    );
    assert_eq!(notification["metadata"]["role"], "Editor");
}

/// `n` more teams of `owner`, each with three pending invitations; by SQL.
async fn teams_with_invitations(app: &TestApp, owner: uuid::Uuid, n: usize) {
    exec(
        app,
        &format!(
            "BEGIN;
             CREATE TEMP TABLE new_teams ON COMMIT DROP AS
               SELECT gen_random_uuid() AS id, 'Team ' || g || ' ' || gen_random_uuid() AS name
                 FROM generate_series(1, {n}) g;
             INSERT INTO teams (id, name, owner_id) SELECT id, name, '{owner}' FROM new_teams;
             INSERT INTO team_members (team_id, user_id, role) SELECT id, '{owner}', 'Owner' FROM new_teams;
             INSERT INTO team_invitations (team_id, email, role, token_hash, invited_by, expires_at)
               SELECT t.id, 'guest' || i || '-' || t.id || '@example.com', 'Viewer',
                      md5(t.id::text || i), '{owner}', now() + interval '1 day'
                 FROM new_teams t, generate_series(1, 3) i;
             COMMIT;"
        ),
    )
    .await;
}

#[tokio::test]
async fn team_invitations_of_a_page_of_teams_cost_a_fixed_number_of_statements() {
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let (token, user) = app.sign_up("batch-owner@example.com", "password-123").await;
    let user: uuid::Uuid = atelier::graphql::id::GlobalId::decode(&async_graphql::ID(user), "id")
        .expect("an ID")
        .key
        .parse()
        .expect("a UUID");
    const PAGE: &str = "query($first: Int!) { myTeams(first: $first) { nodes { name invitations { email role expired invitedBy { id } team { name } } } } }";
    // The first request also resolves the session; the cache answers later ones.
    app.graphql_as(&token, "{ me { id } }", json!({})).await;
    let mut costs = Vec::new();
    for (added, first) in [(3usize, 3), (27, 30)] {
        teams_with_invitations(&app, user, added).await;
        let before = app.statements();
        let r = app.graphql_as(&token, PAGE, json!({"first": first})).await;
        costs.push(app.statements() - before);
        let teams = r["data"]["myTeams"]["nodes"].as_array().expect("teams");
        assert_eq!(teams.len(), first, "{r}");
        assert!(teams
            .iter()
            .all(|t| t["invitations"].as_array().is_some_and(|i| i.len() == 3)));
    }
    assert_eq!(
        costs[0], costs[1],
        "3 teams and 30 teams cost {costs:?} statements"
    );
}
