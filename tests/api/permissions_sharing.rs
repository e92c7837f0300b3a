//! The rows of issue 15's team invitations and data exports, run by the same
//! callers as the rest of the matrix. Every row that changes state gets fresh
//! targets of its own.

use serde_json::json;
use uuid::Uuid;

use super::{allowed_if, gid, outcome, row, Fx, Outcome, Row, Who, A, B, F, H, U};
use atelier::graphql::id::NodeType as N;

/// One operation of issue 15 (items 3 and 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShareAct {
    Invite,
    InviteAsOwner,
    ListInvitations,
    RevokeInvitation,
    AcceptOwnInvitation,
    AcceptSomeoneElsesInvitation,
    RequestExport,
    MyExports,
    ReadOwnersExport,
}

/// Columns: OWNER, ADMIN, EDITOR, VIEWER, GUEST, ANONYMOUS, PLATFORM_ADMIN.
#[rustfmt::skip]
pub fn rows() -> Vec<Row> {
    use ShareAct::*;
    let i = |action, act, expect| row("TeamInvitation", action, super::Act::Sharing(act), expect);
    let e = |action, act, expect| row("UserDataExport", action, super::Act::Sharing(act), expect);
    vec![
        // ADMIN and up; a member below gets FORBIDDEN, a stranger finds no team.
        i("inviteTeamMember (as EDITOR)",          Invite,            [A, A, F, F, H, U, H]),
        // Nobody invites as OWNER (as addTeamMember): BAD_USER_INPUT for those allowed.
        i("inviteTeamMember (as OWNER)",           InviteAsOwner,     [B, B, F, F, H, U, H]),
        i("Team.invitations",                      ListInvitations,   [A, A, F, F, H, U, H]),
        i("revokeTeamInvitation",                  RevokeInvitation,  [A, A, F, F, H, U, H]),
        // The holder of the invited address, whatever their roles elsewhere.
        i("acceptTeamInvitation (own address)",    AcceptOwnInvitation, [A, A, A, A, A, U, A]),
        i("acceptTeamInvitation (another address)", AcceptSomeoneElsesInvitation, [F, F, F, F, F, U, F]),
        // SELF: each caller's own exports; the OWNER's is nobody else's business.
        e("requestDataExport (own)",               RequestExport,     [A, A, A, A, A, U, A]),
        e("myDataExports (own only)",              MyExports,         [A, A, A, A, A, U, A]),
        e("node of the OWNER's export",            ReadOwnersExport,  [A, H, H, H, H, U, H]),
    ]
}

impl Fx {
    /// A pending invitation into the shared team; returns (id, token).
    async fn fresh_invitation(&self, team: Uuid, email: &str) -> (Uuid, String) {
        let id = Uuid::new_v4();
        let token = format!("perm-token-{}", Uuid::new_v4().simple());
        let hash = atelier::secrets::sha256_hex(&token);
        self.exec(&format!(
            "INSERT INTO team_invitations (id, team_id, email, role, token_hash, expires_at)
                VALUES ('{id}', '{team}', '{email}', 'Viewer', '{hash}', now() + interval '1 day');"
        ))
        .await;
        (id, token)
    }

    /// A team of the stranger's alone, so that accepting joins something new.
    async fn strangers_team(&self) -> Uuid {
        let id = Uuid::new_v4();
        let owner = self.other_user;
        self.exec(&format!(
            "INSERT INTO teams (id, name, owner_id) VALUES ('{id}', 'Stranger team', '{owner}');
             INSERT INTO team_members (team_id, user_id, role) VALUES ('{id}', '{owner}', 'Owner');"
        ))
        .await;
        id
    }

    /// A completed export of the OWNER's.
    async fn owners_export(&self) -> Uuid {
        let id = Uuid::new_v4();
        let owner = self.user(Who::Owner);
        self.exec(&format!(
            "INSERT INTO user_data_exports (id, user_id, kind, status, file_path, completed_at, expires_at, byte_size)
                VALUES ('{id}', '{owner}', 'account', 'completed', 'exports/{owner}/{id}.zip', now(), now() + interval '1 day', 10);"
        ))
        .await;
        id
    }
}

const ACCEPT: &str = "mutation($token: String!) { acceptTeamInvitation(input: {token: $token}) { member { role } } }";

pub async fn perform(fx: &Fx, act: ShareAct, who: Who) -> Outcome {
    let team = gid(N::Team, fx.team);
    match act {
        ShareAct::Invite | ShareAct::InviteAsOwner => {
            let email = format!("invitee-{}@example.test", Uuid::new_v4().simple());
            let role = if act == ShareAct::Invite {
                "EDITOR"
            } else {
                "OWNER"
            };
            let r = fx
                .gql(
                    who,
                    "mutation($input: InviteTeamMemberInput!) { inviteTeamMember(input: $input) { invitation { email role } } }",
                    json!({"input": {"teamId": team, "email": email, "role": role}}),
                )
                .await;
            let stored = fx
                .value(&format!(
                    "SELECT count(*)::text AS v FROM team_invitations WHERE email = '{email}'"
                ))
                .await;
            let got = outcome(&r, "inviteTeamMember");
            if got != Outcome::Allowed && stored.as_deref() != Some("0") {
                return Outcome::Unexpected("refused, yet stored".into());
            }
            allowed_if(got, stored.as_deref() == Some("1"), "not stored")
        }
        ShareAct::ListInvitations => {
            let email = format!("listed-{}@example.test", Uuid::new_v4().simple());
            let (id, _) = fx.fresh_invitation(fx.team, &email).await;
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { team(id: $id) { invitations { id email } } }",
                    json!({"id": team}),
                )
                .await;
            let listed = r["data"]["team"]["invitations"]
                .as_array()
                .is_some_and(|l| {
                    l.iter()
                        .any(|i| i["id"] == json!(gid(N::TeamInvitation, id)))
                });
            allowed_if(outcome(&r, "team"), listed, "the invitation is not listed")
        }
        ShareAct::RevokeInvitation => {
            let email = format!("revoked-{}@example.test", Uuid::new_v4().simple());
            let (id, _) = fx.fresh_invitation(fx.team, &email).await;
            let r = fx
                .gql(
                    who,
                    "mutation($id: ID!) { revokeTeamInvitation(input: {invitationId: $id}) { revokedInvitationId } }",
                    json!({"id": gid(N::TeamInvitation, id)}),
                )
                .await;
            let left = fx
                .value(&format!(
                    "SELECT count(*)::text AS v FROM team_invitations WHERE id = '{id}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "revokeTeamInvitation"),
                left.as_deref() == Some("0"),
                "still there",
            )
        }
        ShareAct::AcceptOwnInvitation | ShareAct::AcceptSomeoneElsesInvitation => {
            let team = fx.strangers_team().await;
            let email = if act == ShareAct::AcceptOwnInvitation {
                who.email()
            } else {
                format!("someone-{}@example.test", Uuid::new_v4().simple())
            };
            let (id, token) = fx.fresh_invitation(team, &email).await;
            let r = fx.gql(who, ACCEPT, json!({"token": token})).await;
            let accepted = fx
                .value(&format!(
                    "SELECT (accepted_at IS NOT NULL)::text AS v FROM team_invitations WHERE id = '{id}'"
                ))
                .await;
            let got = outcome(&r, "acceptTeamInvitation");
            if got != Outcome::Allowed && accepted.as_deref() != Some("false") {
                return Outcome::Unexpected("refused, yet accepted".into());
            }
            allowed_if(
                got,
                accepted.as_deref() == Some("true")
                    && r["data"]["acceptTeamInvitation"]["member"]["role"] == "VIEWER",
                "not a member with the invited role",
            )
        }
        ShareAct::RequestExport => {
            let r = fx
                .gql(
                    who,
                    "mutation { requestDataExport(input: {kind: SHOWCASE}) { dataExport { id kind } } }",
                    json!({}),
                )
                .await;
            let mine = match who {
                Who::Anonymous => None,
                _ => {
                    fx.value(&format!(
                        "SELECT count(*)::text AS v FROM user_data_exports WHERE user_id = '{}' AND kind = 'showcase'",
                        fx.user(who)
                    ))
                    .await
                }
            };
            allowed_if(
                outcome(&r, "requestDataExport"),
                mine.as_deref() == Some("1"),
                "not stored as the caller's",
            )
        }
        ShareAct::MyExports => {
            let owners = fx.owners_export().await;
            let r = fx
                .gql(
                    who,
                    "{ myDataExports(first: 100) { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            let ids: Vec<String> = r["data"]["myDataExports"]["edges"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(|n| n["node"]["id"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let sees_owners = ids.contains(&gid(N::UserDataExport, owners));
            allowed_if(
                outcome(&r, "myDataExports"),
                sees_owners == (who == Who::Owner),
                "another user's export listed, or the own one missing",
            )
        }
        ShareAct::ReadOwnersExport => {
            let owners = fx.owners_export().await;
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { node(id: $id) { ... on UserDataExport { status downloadUrl } } }",
                    json!({"id": gid(N::UserDataExport, owners)}),
                )
                .await;
            allowed_if(
                outcome(&r, "node"),
                r["data"]["node"]["downloadUrl"].is_string(),
                "no download link for the owner",
            )
        }
    }
}
