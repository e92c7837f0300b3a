//! System templates are the platform's: public, and changed by platform admins only.

use serde_json::json;

use crate::helpers::{error_code, TestApp};

const CREATE: &str = "mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id isPublic viewerCan { update delete } } } }";

fn system_template() -> serde_json::Value {
    json!({"input": {"name": "Poster A3", "category": "print", "previewUrl": "templates/a3.png",
                     "sourceData": {"layers": []}, "tags": ["poster"], "system": true}})
}

#[tokio::test]
async fn platform_admins_manage_system_templates_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    let (user, _) = app.sign_up("maker@example.com", "password-123").await;
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.conn().await;
        conn.batch_execute(
            "UPDATE users SET is_platform_admin = true WHERE email = 'root@example.com'",
        )
        .await
        .expect("no-op before sign-up");
    }
    let (_, _) = app.sign_up("root@example.com", "password-123").await;
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.conn().await;
        conn.batch_execute(
            "UPDATE users SET is_platform_admin = true WHERE email = 'root@example.com'",
        )
        .await
        .expect("grant");
    }
    // A fresh session reads the flag.
    let signed_in = app
        .graphql(
            "mutation { signIn(input: {email: \"root@example.com\", password: \"password-123\"}) { token } }",
            json!({}),
        )
        .await;
    let admin = signed_in["data"]["signIn"]["token"]
        .as_str()
        .expect("token")
        .to_string();

    let refused = app.graphql_as(&user, CREATE, system_template()).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    let created = app.graphql_as(&admin, CREATE, system_template()).await;
    let template = &created["data"]["createTemplate"]["template"];
    assert_eq!(template["isPublic"], true, "{created}");
    assert_eq!(
        template["viewerCan"]["update"], false,
        "viewerCan stays matrix-only"
    );
    let id = template["id"].clone();

    let anonymous = app
        .graphql(
            "query($id: ID!) { template(id: $id) { name } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(anonymous["data"]["template"]["name"], "Poster A3");

    let rename = "mutation($id: ID!) { updateTemplate(input: {id: $id, name: \"Poster A2\"}) { template { name } } }";
    let by_user = app.graphql_as(&user, rename, json!({"id": id})).await;
    assert_eq!(error_code(&by_user), Some("FORBIDDEN"), "{by_user}");
    let by_admin = app.graphql_as(&admin, rename, json!({"id": id})).await;
    assert_eq!(
        by_admin["data"]["updateTemplate"]["template"]["name"], "Poster A2",
        "{by_admin}"
    );

    let delete = "mutation($id: ID!) { deleteTemplate(input: {id: $id}) { deletedTemplateId } }";
    let by_user = app.graphql_as(&user, delete, json!({"id": id})).await;
    assert_eq!(error_code(&by_user), Some("FORBIDDEN"));
    let by_admin = app.graphql_as(&admin, delete, json!({"id": id})).await;
    assert_eq!(by_admin["data"]["deleteTemplate"]["deletedTemplateId"], id);
}
