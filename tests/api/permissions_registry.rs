//! The rows of issue 13 (the model registry, feedback, history and the platform
//! admin's API), run by the same callers as the rest of the matrix. Every row
//! that changes state gets fresh targets of its own.

use serde_json::{json, Value};
use uuid::Uuid;

use super::{allowed_if, gid, outcome, row, Fx, Outcome, Row, Who, A, F, H, P, U};

/// The demo's active image model (seeded by the fixture).
fn demo_model() -> Uuid {
    atelier::demo::demo_id("aimodel:Atelier Sketch")
}
use atelier::graphql::id::NodeType as N;

/// One operation of issue 13.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegAct {
    CreateModel,
    UpdateModel,
    CreateVersion,
    RecordValidation,
    Promote,
    Deprecate,
    Archive,
    Fail,
    ReadStagedVersion,
    ListInactiveModels,
    ReadVersionParameters,
    Deploy,
    Rollback,
    RateTeamRequest,
    ReadRequestFeedback,
    ReadModelRating,
    MyGenerationRequests,
    ProjectGenerationRequests,
    TeamCreditTransactions,
    TeamUsage,
    OwnersCreditTransactions,
    MyUsage,
    AdminUsers,
    PlatformStats,
    AdminAuditLog,
    SuspendUser,
    UnsuspendUser,
    AdjustCredits,
    BroadcastNotification,
    // Issue 14: the ledger.
    FundTeamCredits,
    TeamCreditSummary,
    MyCreditSummary,
    Plans,
    TeamSubscription,
}

/// Columns: OWNER, ADMIN, EDITOR, VIEWER, GUEST, ANONYMOUS, PLATFORM_ADMIN.
#[rustfmt::skip]
pub fn rows() -> Vec<Row> {
    use RegAct::*;
    let r = |action, act, expect| row("AIModel (registry)", action, super::Act::Registry(act), expect);
    let h = |action, act, expect| row("History", action, super::Act::Registry(act), expect);
    let p = |action, act, expect| row("Platform admin", action, super::Act::Registry(act), expect);
    // Platform admins only: FORBIDDEN to every signed-in caller, whatever their team role.
    const ADMIN_ONLY: [Outcome; 7] = [F, F, F, F, F, U, A];
    vec![
        r("createAiModel",                       CreateModel,      ADMIN_ONLY),
        r("updateAiModel",                       UpdateModel,      ADMIN_ONLY),
        r("createAiModelVersion",                CreateVersion,    ADMIN_ONLY),
        r("recordAiModelValidation",             RecordValidation, ADMIN_ONLY),
        r("promoteAiModelVersion (validated)",   Promote,          ADMIN_ONLY),
        r("deprecateAiModelVersion",             Deprecate,        ADMIN_ONLY),
        r("archiveAiModelVersion",               Archive,          ADMIN_ONLY),
        r("failAiModelVersion",                  Fail,             ADMIN_ONLY),
        r("aiModelVersion of a Staged version",  ReadStagedVersion, [H, H, H, H, H, H, A]),
        // Allowed for all; only a platform admin's list holds the inactive models.
        r("aiModels(includeInactive)",           ListInactiveModels, [A, A, A, A, A, A, A]),
        // A Production version is public; its parameters are a platform admin's.
        r("AIModelVersion.parameters",           ReadVersionParameters, [A, A, A, A, A, A, P]),
        r("deployAiModelVersion",                Deploy,           ADMIN_ONLY),
        r("rollbackAiModelDeployment",           Rollback,         ADMIN_ONLY),
        // PERMISSIONS.md's AIModelFeedback row: EDITOR and up, on a request the
        // caller can read (a VIEWER reads it but may not rate it).
        row("AIModelFeedback", "rateGeneration (team request)", super::Act::Registry(RateTeamRequest), [A, A, A, F, H, U, H]),
        row("AIModelFeedback", "GenerationRequest.feedback", super::Act::Registry(ReadRequestFeedback), [A, A, A, A, H, U, H]),
        // GUEST sees the aggregate ratings of active models.
        row("AIModelFeedback", "AIModel.rating",  super::Act::Registry(ReadModelRating), [A, A, A, A, A, A, A]),
        // Generation history as GenerationRequest read; team credit and usage
        // history VIEWER (PERMISSIONS.md's Team row); a user's own ledger SELF.
        h("myGenerationRequests (own only)",       MyGenerationRequests,      [A, A, A, A, A, U, A]),
        h("Project.generationRequests (team)",     ProjectGenerationRequests, [A, A, A, A, H, U, H]),
        h("Team.creditTransactions",               TeamCreditTransactions,    [A, A, A, A, H, U, H]),
        h("Team.usage",                            TeamUsage,                 [A, A, A, A, H, U, H]),
        h("User.creditTransactions of the OWNER",  OwnersCreditTransactions,  [P, A, A, A, A, U, P]),
        h("myUsage (own only)",                    MyUsage,                   [A, A, A, A, A, U, A]),
        p("adminUsers",                            AdminUsers,                ADMIN_ONLY),
        p("platformStats",                         PlatformStats,             ADMIN_ONLY),
        p("adminAuditLog",                         AdminAuditLog,             ADMIN_ONLY),
        p("suspendUser",                           SuspendUser,               ADMIN_ONLY),
        p("unsuspendUser",                         UnsuspendUser,             ADMIN_ONLY),
        p("adjustCredits",                         AdjustCredits,             ADMIN_ONLY),
        p("broadcastNotification",                 BroadcastNotification,     ADMIN_ONLY),
        // Issue 14: PERMISSIONS.md's "Team credits" row (ADMIN moves credits into
        // the pool) and its Team row (VIEWER reads the credit history).
        row("Team credits", "fundTeamCredits",      super::Act::Registry(FundTeamCredits),   [A, A, F, F, H, U, H]),
        row("Team credits", "creditSummary(teamId)", super::Act::Registry(TeamCreditSummary), [A, A, A, A, H, U, H]),
        row("Team credits", "creditSummary (own)",  super::Act::Registry(MyCreditSummary),   [A, A, A, A, A, U, A]),
        // PERMISSIONS.md: the plan catalogue is GUEST; a team's BillingSubscription VIEWER.
        row("Team credits", "plans, creditPacks",   super::Act::Registry(Plans),             [A, A, A, A, A, A, A]),
        row("Team credits", "Team.subscription",    super::Act::Registry(TeamSubscription),  [A, A, A, A, H, U, H]),
    ]
}

impl Fx {
    /// A model of its own with one version (Staged, or Production), validated
    /// as passed; returns (model, version).
    async fn fresh_model(&self, production: bool) -> (Uuid, Uuid) {
        let (model, version, validation) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let status = if production { "Production" } else { "Staged" };
        self.exec(&format!(
            "INSERT INTO ai_models (id, name, provider, task_type, is_active)
                VALUES ('{model}', 'M {model}', 'Internal', 'ImageGeneration', true);
             INSERT INTO ai_model_versions (id, model_id, version_number, status, parameters)
                VALUES ('{version}', '{model}', '1.0', '{status}',
                        '{{\"provider\": \"local\", \"creditCost\": {{\"sample\": \"1.00\", \"final\": \"2.00\"}}}}');
             INSERT INTO ai_model_validation_results (id, model_version_id, security_scan_status, functional_status)
                VALUES ('{validation}', '{version}', 'Passed', 'Passed');
             UPDATE ai_model_versions SET validation_result_id = '{validation}' WHERE id = '{version}';"
        ))
        .await;
        (model, version)
    }

    async fn version_status(&self, version: Uuid) -> Option<String> {
        self.value(&format!(
            "SELECT status::text AS v FROM ai_model_versions WHERE id = '{version}'"
        ))
        .await
    }
}

const VERSION_PAYLOAD: &str = "{ aiModelVersion { id status } }";

async fn move_version(fx: &Fx, who: Who, field: &str, version: Uuid) -> Value {
    fx.gql(
        who,
        &format!(
            "mutation($input: AiModelVersionStatusInput!) {{ {field}(input: $input) {VERSION_PAYLOAD} }}"
        ),
        json!({"input": {"modelVersionId": gid(N::AiModelVersion, version)}}),
    )
    .await
}

pub async fn perform(fx: &Fx, act: RegAct, who: Who) -> Outcome {
    match act {
        RegAct::CreateModel => {
            let name = format!("Created {}", Uuid::new_v4());
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateAiModelInput!) { createAiModel(input: $input) { aiModel { name } } }",
                    json!({"input": {"name": name, "provider": "Internal", "taskType": "IMAGE_GENERATION"}}),
                )
                .await;
            let stored = fx
                .value(&format!(
                    "SELECT count(*)::text AS v FROM ai_models WHERE name = '{name}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "createAiModel"),
                stored.as_deref() == Some("1"),
                "not stored",
            )
        }
        RegAct::UpdateModel => {
            let (model, _) = fx.fresh_model(false).await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: UpdateAiModelInput!) { updateAiModel(input: $input) { aiModel { isActive } } }",
                    json!({"input": {"id": gid(N::AiModel, model), "isActive": false}}),
                )
                .await;
            let active = fx
                .value(&format!(
                    "SELECT is_active::text AS v FROM ai_models WHERE id = '{model}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "updateAiModel"),
                active.as_deref() == Some("false"),
                "still active",
            )
        }
        RegAct::CreateVersion => {
            let (model, _) = fx.fresh_model(false).await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: CreateAiModelVersionInput!) { createAiModelVersion(input: $input) { aiModelVersion { status } } }",
                    json!({"input": {"modelId": gid(N::AiModel, model), "versionNumber": "2.0", "parameters": {
                        "provider": "local", "creditCost": {"sample": "1", "final": "2"},
                        "resolutions": ["512x512"], "formats": ["png"]}}}),
                )
                .await;
            let n = fx
                .value(&format!(
                    "SELECT count(*)::text AS v FROM ai_model_versions WHERE model_id = '{model}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "createAiModelVersion"),
                n.as_deref() == Some("2"),
                "no version",
            )
        }
        RegAct::RecordValidation => {
            let (_, version) = fx.fresh_model(false).await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RecordAiModelValidationInput!) { recordAiModelValidation(input: $input) { validationResult { functionalStatus } } }",
                    json!({"input": {"modelVersionId": gid(N::AiModelVersion, version),
                        "securityScanStatus": "PASSED", "functionalStatus": "FAILED"}}),
                )
                .await;
            let n = fx
                .value(&format!("SELECT count(*)::text AS v FROM ai_model_validation_results WHERE model_version_id = '{version}'"))
                .await;
            allowed_if(
                outcome(&r, "recordAiModelValidation"),
                n.as_deref() == Some("2"),
                "not recorded",
            )
        }
        RegAct::Promote => {
            let (_, version) = fx.fresh_model(false).await;
            let r = move_version(fx, who, "promoteAiModelVersion", version).await;
            let status = fx.version_status(version).await;
            allowed_if(
                outcome(&r, "promoteAiModelVersion"),
                status.as_deref() == Some("Production"),
                "not promoted",
            )
        }
        RegAct::Deprecate => {
            let (_, version) = fx.fresh_model(true).await;
            let r = move_version(fx, who, "deprecateAiModelVersion", version).await;
            let status = fx.version_status(version).await;
            allowed_if(
                outcome(&r, "deprecateAiModelVersion"),
                status.as_deref() == Some("Deprecated"),
                "not deprecated",
            )
        }
        RegAct::Fail => {
            let (_, version) = fx.fresh_model(false).await;
            let r = move_version(fx, who, "failAiModelVersion", version).await;
            let status = fx.version_status(version).await;
            allowed_if(
                outcome(&r, "failAiModelVersion"),
                status.as_deref() == Some("Failed"),
                "not failed",
            )
        }
        RegAct::Archive => {
            let (_, version) = fx.fresh_model(false).await;
            let r = move_version(fx, who, "archiveAiModelVersion", version).await;
            let status = fx.version_status(version).await;
            allowed_if(
                outcome(&r, "archiveAiModelVersion"),
                status.as_deref() == Some("Archived"),
                "not archived",
            )
        }
        RegAct::ReadStagedVersion => {
            let (_, version) = fx.fresh_model(false).await;
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { aiModelVersion(id: $id) { status } }",
                    json!({"id": gid(N::AiModelVersion, version)}),
                )
                .await;
            outcome(&r, "aiModelVersion")
        }
        RegAct::ListInactiveModels => {
            let r = fx
                .gql(
                    who,
                    "query { aiModels(first: 100, filter: {includeInactive: true}) { totalCount } }",
                    json!({}),
                )
                .await;
            let all = fx
                .value("SELECT count(*)::text AS v FROM ai_models")
                .await
                .and_then(|v| v.parse::<i64>().ok());
            let active = fx
                .value("SELECT count(*)::text AS v FROM ai_models WHERE is_active")
                .await
                .and_then(|v| v.parse::<i64>().ok());
            let want = if who == Who::PlatformAdmin {
                all
            } else {
                active
            };
            allowed_if(
                outcome(&r, "aiModels"),
                r["data"]["aiModels"]["totalCount"].as_i64() == want && all != active,
                &format!("expected {want:?} models, got {}", r["data"]["aiModels"]),
            )
        }
        RegAct::ReadVersionParameters => {
            let (_, version) = fx.fresh_model(true).await;
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { aiModelVersion(id: $id) { status parameters } }",
                    json!({"id": gid(N::AiModelVersion, version)}),
                )
                .await;
            match outcome(&r, "aiModelVersion") {
                Outcome::Allowed if !r["data"]["aiModelVersion"]["parameters"].is_null() => {
                    Outcome::Private
                }
                other => other,
            }
        }
        RegAct::Deploy => {
            let (_, version) = fx.fresh_model(false).await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: DeployAiModelVersionInput!) { deployAiModelVersion(input: $input) { deployment { status } } }",
                    json!({"input": {"modelVersionId": gid(N::AiModelVersion, version), "environment": "STAGING"}}),
                )
                .await;
            let n = fx
                .value(&format!("SELECT count(*)::text AS v FROM ai_model_deployments WHERE model_version_id = '{version}' AND status = 'Active'"))
                .await;
            allowed_if(
                outcome(&r, "deployAiModelVersion"),
                n.as_deref() == Some("1"),
                "not deployed",
            )
        }
        RegAct::Rollback => {
            let (_, version) = fx.fresh_model(false).await;
            let deployment = Uuid::new_v4();
            fx.exec(&format!(
                "INSERT INTO ai_model_deployments (id, model_version_id, environment) VALUES ('{deployment}', '{version}', 'staging');
                 UPDATE ai_model_deployments SET status = 'Deploying' WHERE id = '{deployment}';
                 UPDATE ai_model_deployments SET status = 'Active', activated_at = now() WHERE id = '{deployment}';"
            ))
            .await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: RollbackAiModelDeploymentInput!) { rollbackAiModelDeployment(input: $input) { deployment { status } } }",
                    json!({"input": {"deploymentId": gid(N::AiModelDeployment, deployment)}}),
                )
                .await;
            let status = fx
                .value(&format!(
                    "SELECT status::text AS v FROM ai_model_deployments WHERE id = '{deployment}'"
                ))
                .await;
            allowed_if(
                outcome(&r, "rollbackAiModelDeployment"),
                status.as_deref() == Some("RolledBack"),
                "not rolled back",
            )
        }
        RegAct::RateTeamRequest => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: RateGenerationInput!) { rateGeneration(input: $input) { feedback { rating } } }",
                    json!({"input": {"generationRequestId": gid(N::GenerationRequest, fx.generation_request), "rating": 4}}),
                )
                .await;
            let mine = match fx.users.get(&who) {
                Some(user) => fx
                    .value(&format!(
                        "SELECT count(*)::text AS v FROM ai_model_feedback WHERE user_id = '{user}' AND generation_request_id = '{}'",
                        fx.generation_request
                    ))
                    .await,
                None => None,
            };
            allowed_if(
                outcome(&r, "rateGeneration"),
                mine.as_deref() == Some("1"),
                "not stored",
            )
        }
        RegAct::ReadRequestFeedback => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { generationRequest(id: $id) { feedback { rating } } }",
                    json!({"id": gid(N::GenerationRequest, fx.generation_request)}),
                )
                .await;
            allowed_if(
                outcome(&r, "generationRequest"),
                r["data"]["generationRequest"]["feedback"].is_array(),
                "no feedback list",
            )
        }
        RegAct::ReadModelRating => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { aiModel(id: $id) { rating { count } } }",
                    json!({"id": gid(N::AiModel, demo_model())}),
                )
                .await;
            allowed_if(
                outcome(&r, "aiModel"),
                r["data"]["aiModel"]["rating"]["count"].is_i64(),
                "no rating",
            )
        }
        RegAct::MyGenerationRequests => {
            let r = fx
                .gql(
                    who,
                    "query { myGenerationRequests(first: 100) { totalCount } }",
                    json!({}),
                )
                .await;
            let own = match fx.users.get(&who) {
                Some(user) => fx
                    .value(&format!("SELECT count(*)::text AS v FROM generation_requests WHERE user_id = '{user}'"))
                    .await
                    .and_then(|v| v.parse::<i64>().ok()),
                None => None,
            };
            allowed_if(
                outcome(&r, "myGenerationRequests"),
                r["data"]["myGenerationRequests"]["totalCount"].as_i64() == own,
                "not the caller's own requests",
            )
        }
        RegAct::ProjectGenerationRequests => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { project(id: $id) { generationRequests { totalCount } } }",
                    json!({"id": gid(N::Project, fx.project)}),
                )
                .await;
            allowed_if(
                outcome(&r, "project"),
                r["data"]["project"]["generationRequests"]["totalCount"] == json!(1),
                "the team request is missing",
            )
        }
        RegAct::TeamCreditTransactions | RegAct::TeamUsage => {
            let (field, query) = if act == RegAct::TeamUsage {
                (
                    "usage",
                    "query($id: ID!) { team(id: $id) { usage { totalCount } } }",
                )
            } else {
                (
                    "creditTransactions",
                    "query($id: ID!) { team(id: $id) { creditTransactions { totalCount } } }",
                )
            };
            let r = fx
                .gql(who, query, json!({"id": gid(N::Team, fx.team)}))
                .await;
            allowed_if(
                outcome(&r, "team"),
                r["data"]["team"][field]["totalCount"].is_i64(),
                "no history",
            )
        }
        RegAct::OwnersCreditTransactions => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { user(id: $id) { id creditTransactions { totalCount } } }",
                    json!({"id": gid(N::User, fx.user(Who::Owner))}),
                )
                .await;
            match outcome(&r, "user") {
                Outcome::Allowed
                    if r["data"]["user"]["creditTransactions"]["totalCount"].is_i64() =>
                {
                    Outcome::Private
                }
                other => other,
            }
        }
        RegAct::MyUsage => {
            let r = fx
                .gql(who, "query { myUsage { totalCount } }", json!({}))
                .await;
            let own = match fx.users.get(&who) {
                Some(user) => fx
                    .value(&format!(
                        "SELECT count(*)::text AS v FROM usage_logs WHERE user_id = '{user}'"
                    ))
                    .await
                    .and_then(|v| v.parse::<i64>().ok()),
                None => None,
            };
            allowed_if(
                outcome(&r, "myUsage"),
                r["data"]["myUsage"]["totalCount"].as_i64() == own,
                "not the caller's own usage",
            )
        }
        RegAct::AdminUsers => {
            let r = fx
                .gql(
                    who,
                    "query { adminUsers(first: 5) { totalCount edges { node { email } } } }",
                    json!({}),
                )
                .await;
            allowed_if(
                outcome(&r, "adminUsers"),
                r["data"]["adminUsers"]["edges"][0]["node"]["email"].is_string(),
                "no private fields",
            )
        }
        RegAct::PlatformStats => {
            let r = fx
                .gql(
                    who,
                    "query { platformStats { users { total } } }",
                    json!({}),
                )
                .await;
            allowed_if(
                outcome(&r, "platformStats"),
                r["data"]["platformStats"]["users"]["total"].as_i64() > Some(0),
                "no figures",
            )
        }
        RegAct::AdminAuditLog => {
            let r = fx
                .gql(who, "query { adminAuditLog { totalCount } }", json!({}))
                .await;
            allowed_if(
                outcome(&r, "adminAuditLog"),
                r["data"]["adminAuditLog"]["totalCount"].is_i64(),
                "no log",
            )
        }
        RegAct::SuspendUser | RegAct::UnsuspendUser => {
            let (target, _) = fx.fresh_account().await;
            let (field, query, want) = if act == RegAct::SuspendUser {
                ("suspendUser", "mutation($input: SuspendUserInput!) { suspendUser(input: $input) { user { id } } }", "true")
            } else {
                fx.exec(&format!(
                    "UPDATE users SET suspended_at = now() WHERE id = '{target}'"
                ))
                .await;
                ("unsuspendUser", "mutation($input: UnsuspendUserInput!) { unsuspendUser(input: $input) { user { id } } }", "false")
            };
            let r = fx
                .gql(
                    who,
                    query,
                    json!({"input": {"userId": gid(N::User, target)}}),
                )
                .await;
            let suspended = fx
                .value(&format!(
                    "SELECT (suspended_at IS NOT NULL)::text AS v FROM users WHERE id = '{target}'"
                ))
                .await;
            allowed_if(
                outcome(&r, field),
                suspended.as_deref() == Some(want),
                "not changed",
            )
        }
        RegAct::AdjustCredits => {
            let (target, _) = fx.fresh_account().await;
            let r = fx
                .gql(
                    who,
                    "mutation($input: AdjustCreditsInput!) { adjustCredits(input: $input) { balance } }",
                    json!({"input": {"userId": gid(N::User, target), "amount": "1.25", "reason": "matrix"}}),
                )
                .await;
            let rows = fx
                .value(&format!("SELECT count(*)::text AS v FROM credit_transactions WHERE user_id = '{target}' AND action_type = 'admin_adjustment'"))
                .await;
            allowed_if(
                outcome(&r, "adjustCredits"),
                rows.as_deref() == Some("1"),
                "no ledger row",
            )
        }
        RegAct::FundTeamCredits => {
            let r = fx
                .gql(
                    who,
                    "mutation($input: FundTeamCreditsInput!) { fundTeamCredits(input: $input) { balance } }",
                    json!({"input": {"teamId": gid(N::Team, fx.team), "amount": "0.01"}}),
                )
                .await;
            let moved = match fx.users.get(&who) {
                Some(user) => fx
                    .value(&format!(
                        "SELECT count(*)::text AS v FROM credit_transactions WHERE team_id = '{}' AND user_id = '{user}' AND action_type = 'team_transfer'",
                        fx.team
                    ))
                    .await,
                None => None,
            };
            allowed_if(
                outcome(&r, "fundTeamCredits"),
                moved.as_deref() == Some("1"),
                "no transfer row",
            )
        }
        RegAct::TeamCreditSummary => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID) { creditSummary(teamId: $id) { teamId earned } }",
                    json!({"id": gid(N::Team, fx.team)}),
                )
                .await;
            allowed_if(
                outcome(&r, "creditSummary"),
                r["data"]["creditSummary"]["teamId"] == json!(gid(N::Team, fx.team)),
                "not the team's summary",
            )
        }
        RegAct::MyCreditSummary => {
            let r = fx
                .gql(who, "query { creditSummary { teamId earned } }", json!({}))
                .await;
            allowed_if(
                outcome(&r, "creditSummary"),
                r["data"]["creditSummary"]["teamId"].is_null()
                    && r["data"]["creditSummary"]["earned"].is_string(),
                "not the caller's summary",
            )
        }
        RegAct::Plans => {
            let r = fx
                .gql(who, "query { plans { id } creditPacks { id } }", json!({}))
                .await;
            allowed_if(
                outcome(&r, "plans"),
                r["data"]["creditPacks"].is_array(),
                "no credit packs list",
            )
        }
        RegAct::TeamSubscription => {
            let r = fx
                .gql(
                    who,
                    "query($id: ID!) { team(id: $id) { subscription { planId } } }",
                    json!({"id": gid(N::Team, fx.team)}),
                )
                .await;
            // Allowed means the field resolved (the fixture's team has no plan).
            allowed_if(
                outcome(&r, "team"),
                r["data"]["team"].get("subscription").is_some(),
                "no subscription field",
            )
        }
        RegAct::BroadcastNotification => {
            let title = format!("Notice {}", Uuid::new_v4());
            let r = fx
                .gql(
                    who,
                    "mutation($input: BroadcastNotificationInput!) { broadcastNotification(input: $input) { recipients } }",
                    json!({"input": {"title": title, "message": "hello", "audience": "PLATFORM_ADMINS"}}),
                )
                .await;
            let written = fx
                .value(&format!("SELECT count(*)::text AS v FROM notifications WHERE metadata->>'title' = '{title}'"))
                .await;
            allowed_if(
                outcome(&r, "broadcastNotification"),
                written.as_deref() == Some("1"),
                "not written",
            )
        }
    }
}
