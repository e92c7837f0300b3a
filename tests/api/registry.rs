//! The model registry through the API: models and versions by platform admins,
//! validation gating promotion, one Production version per model (the database
//! decides), the status machines, and the audit rows of every change.

use std::collections::BTreeSet;

use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};

use atelier::ai_models::state::{DEPLOYMENT_TRANSITIONS, VERSION_TRANSITIONS};

use crate::helpers::{error_code, TestApp};

pub const PASSWORD: &str = "registry-password";

/// A server with a platform admin (granted out of band, signed in again since
/// sessions carry the flag) and a signed-in non-admin.
pub struct Registry {
    pub app: TestApp,
    pub admin: String,
    pub admin_id: String,
    pub member: String,
}

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct T {
    #[diesel(sql_type = Text)]
    v: String,
}

impl Registry {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(vars: &[(&str, &str)]) -> Self {
        let app = TestApp::spawn_with(vars).await;
        let (_, admin_id) = app.sign_up("root@example.test", PASSWORD).await;
        let (member, _) = app.sign_up("member@example.test", PASSWORD).await;
        let admin = grant_admin(&app, "root@example.test").await;
        Self {
            app,
            admin,
            admin_id,
            member,
        }
    }

    pub async fn admin(&self, query: &str, variables: Value) -> Value {
        self.app.graphql_as(&self.admin, query, variables).await
    }

    /// Runs an admin mutation that must succeed; its payload.
    pub async fn ok(&self, query: &str, variables: Value, field: &str) -> Value {
        let r = self.admin(query, variables).await;
        assert!(r["errors"].is_null(), "{field} failed: {r}");
        r["data"][field].clone()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let mut conn = self.app.db.conn().await;
        diesel::sql_query(sql)
            .get_result::<N>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
    }

    pub async fn texts(&self, sql: &str) -> Vec<String> {
        let mut conn = self.app.db.conn().await;
        diesel::sql_query(sql)
            .load::<T>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|t| t.v)
            .collect()
    }

    pub async fn create_model(&self, name: &str) -> String {
        let p = self
            .ok(
                "mutation($input: CreateAiModelInput!) { createAiModel(input: $input) { aiModel { id } } }",
                json!({"input": {"name": name, "provider": "Internal", "taskType": "IMAGE_GENERATION"}}),
                "createAiModel",
            )
            .await;
        p["aiModel"]["id"].as_str().unwrap_or_default().to_string()
    }

    pub async fn create_version(&self, model: &str, number: &str, parameters: Value) -> String {
        let p = self
            .ok(
                "mutation($input: CreateAiModelVersionInput!) { createAiModelVersion(input: $input) { aiModelVersion { id } } }",
                json!({"input": {"modelId": model, "versionNumber": number, "parameters": parameters}}),
                "createAiModelVersion",
            )
            .await;
        p["aiModelVersion"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn validate(&self, version: &str, security: &str, functional: &str) -> Value {
        self.admin(
            "mutation($input: RecordAiModelValidationInput!) { recordAiModelValidation(input: $input) { validationResult { id securityScanStatus functionalStatus } } }",
            json!({"input": {"modelVersionId": version, "securityScanStatus": security, "functionalStatus": functional, "performanceBenchmark": {"p50Ms": 120}}}),
        )
        .await
    }

    pub async fn promote(&self, version: &str) -> Value {
        self.admin(
            "mutation($input: AiModelVersionStatusInput!) { promoteAiModelVersion(input: $input) { aiModelVersion { id status } } }",
            json!({"input": {"modelVersionId": version}}),
        )
        .await
    }
}

/// Sets the flag as `atelier admin grant` does and signs in again.
pub async fn grant_admin(app: &TestApp, email: &str) -> String {
    atelier::accounts::security::set_platform_admin(&app.app, email, true)
        .await
        .expect("grant");
    let r = app
        .graphql(
            "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
            json!({"input": {"email": email, "password": PASSWORD}}),
        )
        .await;
    r["data"]["signIn"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("admin sign-in: {r}"))
        .to_string()
}

pub fn local_parameters(sample: &str, final_: &str) -> Value {
    json!({
        "provider": "local",
        "creditCost": {"sample": sample, "final": final_},
        "resolutions": ["64x64", "512x512"],
        "formats": ["png"]
    })
}

const CREATE_MODEL: &str =
    "mutation($input: CreateAiModelInput!) { createAiModel(input: $input) { aiModel { id name } } }";

#[tokio::test]
async fn only_a_platform_admin_adds_models_and_versions_and_each_change_is_audited() {
    let r = Registry::start().await;
    let input = json!({"input": {"name": "Painter", "provider": "Internal", "taskType": "IMAGE_GENERATION"}});

    let refused = r
        .app
        .graphql_as(&r.member, CREATE_MODEL, input.clone())
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    let anonymous = r.app.graphql(CREATE_MODEL, input.clone()).await;
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    assert_eq!(r.count("SELECT count(*) AS n FROM ai_models").await, 0);

    let model = r.create_model("Painter").await;
    let again = r.admin(CREATE_MODEL, input).await;
    assert_eq!(error_code(&again), Some("CONFLICT"), "{again}");

    // A bad parameter is BAD_USER_INPUT naming its JSON path, and writes nothing.
    let mut bad = local_parameters("1.00", "4.00");
    bad["creditCost"]["sample"] = json!("-2");
    let refused = r
        .admin(
            "mutation($input: CreateAiModelVersionInput!) { createAiModelVersion(input: $input) { aiModelVersion { id } } }",
            json!({"input": {"modelId": model, "versionNumber": "1.0", "parameters": bad}}),
        )
        .await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["field"],
        "parameters.creditCost.sample"
    );
    assert_eq!(
        r.count("SELECT count(*) AS n FROM ai_model_versions").await,
        0
    );

    let version = r
        .create_version(&model, "1.0", local_parameters("1", "4.5"))
        .await;
    const VERSION: &str = "query($id: ID!) { aiModelVersion(id: $id) { versionNumber status parameters createdBy { id } } }";
    let seen = r.admin(VERSION, json!({"id": version})).await;
    let seen = &seen["data"]["aiModelVersion"];
    assert_eq!(seen["status"], "STAGED");
    assert_eq!(seen["createdBy"]["id"], json!(r.admin_id));
    assert_eq!(
        seen["parameters"]["creditCost"],
        json!({"sample": "1.00", "final": "4.50"})
    );
    // A Staged version is not public, and parameters never are.
    let public = r.app.graphql(VERSION, json!({"id": version})).await;
    assert!(public["data"]["aiModelVersion"].is_null(), "{public}");

    // Inactive models: admins see them (with includeInactive), nobody else.
    r.ok(
        "mutation($input: UpdateAiModelInput!) { updateAiModel(input: $input) { aiModel { isActive } } }",
        json!({"input": {"id": model, "isActive": false, "description": "Paints"}}),
        "updateAiModel",
    )
    .await;
    const ONE: &str =
        "query($id: ID!) { aiModel(id: $id) { name description versions { versionNumber } } }";
    let admin_view = r.admin(ONE, json!({"id": model})).await;
    assert_eq!(admin_view["data"]["aiModel"]["description"], "Paints");
    assert_eq!(
        admin_view["data"]["aiModel"]["versions"],
        json!([{"versionNumber": "1.0"}])
    );
    let member_view = r.app.graphql_as(&r.member, ONE, json!({"id": model})).await;
    assert!(member_view["data"]["aiModel"].is_null(), "{member_view}");
    const LIST: &str = "query { aiModels(filter: {includeInactive: true}) { totalCount } }";
    assert_eq!(
        r.admin(LIST, json!({})).await["data"]["aiModels"]["totalCount"],
        1
    );
    assert_eq!(
        r.app.graphql(LIST, json!({})).await["data"]["aiModels"]["totalCount"],
        0
    );

    // One audit row per change that committed, none for the refused ones.
    let actions = r
        .texts("SELECT action::text AS v FROM admin_audit ORDER BY created_at, action")
        .await;
    // The first is the grant itself (the command line's path, audited too).
    assert_eq!(
        actions,
        [
            "user.grant_admin",
            "ai_model.create",
            "ai_model_version.create",
            "ai_model.update"
        ]
    );
    let before_after = r
        .texts("SELECT (before->>'isActive') || '->' || (after->>'isActive') AS v FROM admin_audit WHERE action = 'ai_model.update'")
        .await;
    assert_eq!(before_after, ["true->false"]);
}

#[tokio::test]
async fn promotion_needs_a_latest_validation_that_passed_both_checks() {
    let r = Registry::start().await;
    let model = r.create_model("Painter").await;
    let v1 = r
        .create_version(&model, "1.0", local_parameters("1", "4"))
        .await;
    let v2 = r
        .create_version(&model, "2.0", local_parameters("1", "4"))
        .await;

    let unvalidated = r.promote(&v1).await;
    assert_eq!(error_code(&unvalidated), Some("CONFLICT"), "{unvalidated}");
    assert_eq!(
        unvalidated["errors"][0]["extensions"]["reason"],
        "NOT_VALIDATED"
    );

    let failed = r.validate(&v1, "PASSED", "FAILED").await;
    assert!(failed["errors"].is_null(), "{failed}");
    let blocked = r.promote(&v1).await;
    assert_eq!(
        blocked["errors"][0]["extensions"]["reason"], "VALIDATION_NOT_PASSED",
        "{blocked}"
    );
    assert_eq!(
        r.count("SELECT count(*) AS n FROM ai_model_versions WHERE status = 'Production'")
            .await,
        0
    );

    r.validate(&v1, "PASSED", "PASSED").await;
    let promoted = r.promote(&v1).await;
    assert_eq!(
        promoted["data"]["promoteAiModelVersion"]["aiModelVersion"]["status"], "PRODUCTION",
        "{promoted}"
    );
    let history = r
        .admin(
            "query($id: ID!) { aiModelVersion(id: $id) { validationResult { functionalStatus } validations { functionalStatus validatedBy { id } } } }",
            json!({"id": v1}),
        )
        .await;
    let version = &history["data"]["aiModelVersion"];
    assert_eq!(version["validationResult"]["functionalStatus"], "PASSED");
    assert_eq!(
        version["validations"],
        json!([
            {"functionalStatus": "PASSED", "validatedBy": {"id": r.admin_id}},
            {"functionalStatus": "FAILED", "validatedBy": {"id": r.admin_id}},
        ])
    );

    // The next promotion deprecates the current Production version.
    r.validate(&v2, "PASSED", "PASSED").await;
    assert!(r.promote(&v2).await["errors"].is_null());
    let statuses = r
        .texts("SELECT version_number || ':' || status AS v FROM ai_model_versions ORDER BY version_number")
        .await;
    assert_eq!(statuses, ["1.0:Deprecated", "2.0:Production"]);

    let archived = r
        .admin(
            "mutation($input: AiModelVersionStatusInput!) { archiveAiModelVersion(input: $input) { aiModelVersion { status } } }",
            json!({"input": {"modelVersionId": v1}}),
        )
        .await;
    assert_eq!(
        archived["data"]["archiveAiModelVersion"]["aiModelVersion"]["status"],
        "ARCHIVED"
    );
    let back = r.promote(&v1).await;
    assert_eq!(
        back["errors"][0]["extensions"]["reason"], "INVALID_TRANSITION",
        "{back}"
    );
}

#[tokio::test]
async fn a_failed_version_is_never_promoted_and_can_only_be_archived() {
    let r = Registry::start().await;
    let model = r.create_model("Painter").await;
    let v1 = r
        .create_version(&model, "1.0", local_parameters("1", "4"))
        .await;
    let move_to = |field: &'static str| {
        let v1 = v1.clone();
        let r = &r;
        async move {
            r.admin(
                &format!("mutation($input: AiModelVersionStatusInput!) {{ {field}(input: $input) {{ aiModelVersion {{ status }} }} }}"),
                json!({"input": {"modelVersionId": v1}}),
            )
            .await
        }
    };
    let failed = move_to("failAiModelVersion").await;
    assert_eq!(
        failed["data"]["failAiModelVersion"]["aiModelVersion"]["status"], "FAILED",
        "{failed}"
    );
    // A validation that passes afterwards does not bring it back.
    r.validate(&v1, "PASSED", "PASSED").await;
    let promoted = r.promote(&v1).await;
    assert_eq!(
        promoted["errors"][0]["extensions"]["reason"], "INVALID_TRANSITION",
        "{promoted}"
    );
    let again = move_to("failAiModelVersion").await;
    assert_eq!(
        again["errors"][0]["extensions"]["reason"], "INVALID_TRANSITION",
        "{again}"
    );
    let archived = move_to("archiveAiModelVersion").await;
    assert_eq!(
        archived["data"]["archiveAiModelVersion"]["aiModelVersion"]["status"], "ARCHIVED",
        "{archived}"
    );
    let audited = r
        .texts("SELECT action AS v FROM admin_audit WHERE action IN ('ai_model_version.fail', 'ai_model_version.promote', 'ai_model_version.archive') ORDER BY created_at")
        .await;
    assert_eq!(
        audited,
        ["ai_model_version.fail", "ai_model_version.archive"]
    );
}

#[tokio::test]
async fn two_concurrent_promotions_leave_exactly_one_production_version() {
    let r = Registry::start().await;
    let model = r.create_model("Painter").await;
    let mut versions = Vec::new();
    for n in 1..=6 {
        let v = r
            .create_version(&model, &format!("{n}.0"), local_parameters("1", "4"))
            .await;
        r.validate(&v, "PASSED", "PASSED").await;
        versions.push(v);
    }
    // Pairs of promotions racing each other, three times over.
    for pair in versions.chunks(2) {
        let (a, b) = tokio::join!(r.promote(&pair[0]), r.promote(&pair[1]));
        for outcome in [&a, &b] {
            assert!(
                outcome["errors"].is_null() || error_code(outcome) == Some("CONFLICT"),
                "{outcome}"
            );
        }
        assert_eq!(
            r.count("SELECT count(*) AS n FROM ai_model_versions WHERE status = 'Production'")
                .await,
            1
        );
    }
    // Whatever the application does, the database refuses a second one.
    let mut conn = r.app.db.conn().await;
    let second = conn
        .batch_execute(
            "UPDATE ai_model_versions SET status = 'Production' \
             WHERE status = 'Deprecated' AND version_number = '1.0'",
        )
        .await;
    let message = format!("{second:?}");
    assert!(
        message.contains("uq_aimodelversion_one_production"),
        "{message}"
    );
}

#[tokio::test]
async fn statuses_move_only_along_the_transition_tables() {
    let r = Registry::start().await;
    let in_db: BTreeSet<String> = r
        .texts("SELECT kind || ':' || from_status || '->' || to_status AS v FROM ai_model_status_transitions")
        .await
        .into_iter()
        .collect();
    let in_code: BTreeSet<String> = VERSION_TRANSITIONS
        .iter()
        .map(|(a, b)| format!("version:{}->{}", a.as_db_str(), b.as_db_str()))
        .chain(
            DEPLOYMENT_TRANSITIONS
                .iter()
                .map(|(a, b)| format!("deployment:{}->{}", a.as_db_str(), b.as_db_str())),
        )
        .collect();
    assert_eq!(in_db, in_code);

    let model = r.create_model("Painter").await;
    let _ = r
        .create_version(&model, "1.0", local_parameters("1", "4"))
        .await;
    let mut conn = r.app.db.conn().await;
    let refused = [
        "UPDATE ai_model_versions SET status = 'Deprecated'",
        "INSERT INTO ai_model_deployments (model_version_id, environment, status) \
         SELECT id, 'production', 'Active' FROM ai_model_versions",
    ];
    for statement in refused {
        let result = conn.batch_execute(statement).await;
        assert!(
            format!("{result:?}").contains("cannot go from")
                || format!("{result:?}").contains("starts Initiated"),
            "{statement}: {result:?}"
        );
    }
    conn.batch_execute(
        "INSERT INTO ai_model_deployments (model_version_id, environment) \
         SELECT id, 'production' FROM ai_model_versions; \
         UPDATE ai_model_deployments SET status = 'Deploying'; \
         UPDATE ai_model_deployments SET status = 'Active'; \
         UPDATE ai_model_deployments SET status = 'RolledBack';",
    )
    .await
    .expect("the allowed path");
    let back = conn
        .batch_execute("UPDATE ai_model_deployments SET status = 'Active'")
        .await;
    assert!(
        format!("{back:?}").contains("cannot go from RolledBack to Active"),
        "{back:?}"
    );
}

#[tokio::test]
async fn importing_the_example_catalogue_twice_changes_nothing_the_second_time() {
    use atelier::ai_models::import::{import, Report};
    let r = Registry::start_with(&[("WORKERS", "0")]).await;
    let catalogue = include_str!("../../assets/models/catalogue.example.json");
    let first = import(&r.app.app, catalogue).await.expect("first import");
    assert_eq!(
        first,
        Report {
            models_created: 2,
            models_updated: 0,
            versions_created: 2,
            validations_recorded: 1,
            statuses_changed: 1,
        }
    );
    let audit_rows = r.count("SELECT count(*) AS n FROM admin_audit").await;
    let snapshot = "SELECT string_agg(m.name || m.is_active || v.version_number || v.status || v.parameters::text, ';' ORDER BY m.name) AS v \
                    FROM ai_models m JOIN ai_model_versions v ON v.model_id = m.id";
    let before = r.texts(snapshot).await;
    let second = import(&r.app.app, catalogue).await.expect("second import");
    assert_eq!(
        second,
        Report::default(),
        "the second run changed something"
    );
    assert_eq!(r.texts(snapshot).await, before);
    assert_eq!(
        r.count("SELECT count(*) AS n FROM admin_audit").await,
        audit_rows
    );
    // Audited as the command line.
    assert_eq!(
        r.count("SELECT count(*) AS n FROM admin_audit WHERE request_id = 'cli' AND admin_user_id IS NULL").await,
        audit_rows
    );

    // A version that changed its parameters is refused: versions are immutable.
    let changed = catalogue.replace("\"4.00\"", "\"5.00\"");
    let refused = import(&r.app.app, &changed).await.expect_err("refused");
    assert!(
        format!("{refused:#}").contains("versions are immutable"),
        "{refused:#}"
    );
    let bad = catalogue.replace("\"1.00\"", "\"-1\"");
    let refused = import(&r.app.app, &bad).await.expect_err("refused");
    assert!(
        format!("{refused:#}").contains("parameters.creditCost.sample"),
        "{refused:#}"
    );

    // The imported Production version serves a fresh deployment at once.
    let models = r
        .app
        .graphql(
            "query { aiModels { nodes { name versions { versionNumber status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        models["data"]["aiModels"]["nodes"],
        json!([{"name": "Atelier Diffusion", "versions": [{"versionNumber": "1.0", "status": "PRODUCTION"}]}])
    );
}

#[tokio::test]
async fn the_command_line_imports_a_catalogue_and_a_second_run_changes_nothing() {
    let r = Registry::start_with(&[("WORKERS", "0")]).await;
    let data_dir = tempfile::tempdir().expect("data dir");
    let run = || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_atelier"))
            .args(["models", "import", "assets/models/catalogue.example.json"])
            .env("DATABASE_URL", &r.app.db.url)
            .env("DATA_DIR", data_dir.path())
            .env("LOG_LEVEL", "error")
            .env_remove("REDIS_URL")
            .output()
            .expect("atelier runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    assert_eq!(
        run(),
        "models: 2 created, 0 updated; versions: 2 created; 1 validations recorded; 1 statuses changed"
    );
    assert_eq!(
        run(),
        "models: 0 created, 0 updated; versions: 0 created; 0 validations recorded; 0 statuses changed"
    );
    assert_eq!(
        r.count("SELECT count(*) AS n FROM admin_audit WHERE request_id = 'cli' AND action LIKE 'ai_model%'")
            .await,
        6
    );
}
