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
    ReadStagedVersion,
    ListInactiveModels,
    ReadVersionParameters,
    Deploy,
    Rollback,
    RateTeamRequest,
    ReadRequestFeedback,
    ReadModelRating,
}

/// Columns: OWNER, ADMIN, EDITOR, VIEWER, GUEST, ANONYMOUS, PLATFORM_ADMIN.
#[rustfmt::skip]
pub fn rows() -> Vec<Row> {
    use RegAct::*;
    let r = |action, act, expect| row("AIModel (registry)", action, super::Act::Registry(act), expect);
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
    }
}
