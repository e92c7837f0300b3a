//! A model's whole life against a running server: created, versioned, validated
//! (a failing validation blocks promotion), promoted, deployed with a 20 % canary
//! that serves its share of 200 generations, rolled back, rated, and its ratings
//! read by an anonymous caller.

use serde_json::{json, Value};

use crate::helpers::error_code;
use crate::registry::{local_parameters, Registry};

const DEPLOY: &str = "mutation($input: DeployAiModelVersionInput!) { deployAiModelVersion(input: $input) { deployment { id status trafficPercent } } }";
const ROLLBACK: &str = "mutation($input: RollbackAiModelDeploymentInput!) { rollbackAiModelDeployment(input: $input) { deployment { status } restoredDeployment { id status } } }";
const REQUEST: &str = "mutation($input: RequestGenerationInput!) { requestGeneration(input: $input) { generationRequest { id aiModelVersion { versionNumber } deployment { id } } } }";
const RATE: &str = "mutation($input: RateGenerationInput!) { rateGeneration(input: $input) { feedback { rating comment } } }";

async fn project_of(r: &Registry, token: &str) -> String {
    let bench = r
        .app
        .graphql_as(
            token,
            "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
            json!({"input": {"name": "Bench"}}),
        )
        .await;
    let project = r
        .app
        .graphql_as(
            token,
            "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
            json!({"input": {"workbenchId": bench["data"]["createWorkbench"]["workbench"]["id"], "name": "Launch"}}),
        )
        .await;
    project["data"]["createProject"]["project"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("project: {project}"))
        .to_string()
}

async fn deploy(r: &Registry, version: &str, traffic: i32) -> String {
    let p = r
        .ok(
            DEPLOY,
            json!({"input": {"modelVersionId": version, "environment": "PRODUCTION",
                "deploymentStrategy": if traffic == 100 { "blue_green" } else { "canary" },
                "trafficPercent": traffic, "kubernetesDetails": {"namespace": "models"}}}),
            "deployAiModelVersion",
        )
        .await;
    assert_eq!(p["deployment"]["status"], "ACTIVE");
    p["deployment"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Requests `n` generations; the version numbers that served them, in order,
/// with the responses.
async fn generate(r: &Registry, token: &str, project: &str, model: &str, n: usize) -> Vec<Value> {
    let mut served = Vec::new();
    for i in 0..n {
        let response = r
            .app
            .graphql_as(
                token,
                REQUEST,
                json!({"input": {"projectId": project, "aiModelId": model, "inputPrompt": format!("poster {i}"),
                    "inputParameters": {"sampleCount": 1, "resolution": "64x64"}}}),
            )
            .await;
        assert!(response["errors"].is_null(), "request {i}: {response}");
        served.push(response["data"]["requestGeneration"]["generationRequest"].clone());
    }
    served
}

fn share_of(served: &[Value], version: &str) -> usize {
    served
        .iter()
        .filter(|g| g["aiModelVersion"]["versionNumber"] == version)
        .count()
}

#[tokio::test]
async fn a_model_lives_from_creation_through_a_canary_and_a_rollback_to_public_ratings() {
    // No workers: the requests stay queued, which is all routing needs.
    let r = Registry::start_with(&[("WORKERS", "0"), ("SIGNUP_CREDIT_GRANT", "100.00")]).await;
    let project = project_of(&r, &r.member).await;
    let model = r.create_model("Poster Painter").await;
    let v1 = r
        .create_version(&model, "1.0", local_parameters("0.01", "0.02"))
        .await;

    // A failing validation blocks promotion; a passing one allows it.
    r.validate(&v1, "FAILED", "PASSED").await;
    let blocked = r.promote(&v1).await;
    assert_eq!(error_code(&blocked), Some("CONFLICT"));
    assert_eq!(
        blocked["errors"][0]["extensions"]["reason"],
        "VALIDATION_NOT_PASSED"
    );
    r.validate(&v1, "PASSED", "PASSED").await;
    assert!(r.promote(&v1).await["errors"].is_null());
    let d1 = deploy(&r, &v1, 100).await;

    // Version 2 is not promoted: it serves only through its 20 % canary.
    let v2 = r
        .create_version(&model, "2.0", local_parameters("0.01", "0.02"))
        .await;
    let unvalidated = r
        .admin(
            DEPLOY,
            json!({"input": {"modelVersionId": v2, "environment": "PRODUCTION", "trafficPercent": 20}}),
        )
        .await;
    assert_eq!(
        unvalidated["errors"][0]["extensions"]["reason"], "NOT_VALIDATED",
        "{unvalidated}"
    );
    r.validate(&v2, "PASSED", "PASSED").await;
    let d2 = deploy(&r, &v2, 20).await;

    let served = generate(&r, &r.member, &project, &model, 200).await;
    let (old, canary) = (share_of(&served, "1.0"), share_of(&served, "2.0"));
    println!("200 requests: version 1.0 served {old}, the 20 % canary 2.0 served {canary}");
    assert_eq!(old + canary, 200);
    // 40 expected; 20..=60 is 3.5 standard deviations of Binomial(200, 0.2) either side.
    assert!(
        (20..=60).contains(&canary),
        "the canary served {canary} of 200"
    );
    // The request records its deployment (shown to platform admins only).
    assert!(served.iter().all(|g| g["deployment"].is_null()));
    let recorded = r
        .count(
            "SELECT count(*) AS n FROM generation_requests g JOIN ai_model_deployments d \
             ON d.id = g.ai_model_deployment_id AND d.model_version_id = g.ai_model_version_id \
             WHERE d.traffic_percent = 20",
        )
        .await;
    assert_eq!(recorded, i64::try_from(canary).unwrap_or(-1));
    let first = served[0]["id"].clone();
    let admin_view = r
        .admin(
            "query($id: ID!) { generationRequest(id: $id) { id } }",
            json!({"id": first}),
        )
        .await;
    // A platform admin is no member of the requester's workbench: hidden, as PERMISSIONS.md says.
    assert!(admin_view["data"]["generationRequest"].is_null());

    // Rolling the canary back leaves version 1 alone serving.
    let rolled = r
        .admin(ROLLBACK, json!({"input": {"deploymentId": d2}}))
        .await;
    let rolled = &rolled["data"]["rollbackAiModelDeployment"];
    assert_eq!(rolled["deployment"]["status"], "ROLLED_BACK");
    assert!(rolled["restoredDeployment"].is_null(), "{rolled}");
    let after = generate(&r, &r.member, &project, &model, 40).await;
    assert_eq!(share_of(&after, "1.0"), 40);

    // A full deployment replaces version 1's; rolling it back restores it.
    let d3 = deploy(&r, &v2, 100).await;
    assert_eq!(
        r.count("SELECT count(*) AS n FROM ai_model_deployments WHERE status = 'Inactive'")
            .await,
        1,
        "version 1's deployment is replaced"
    );
    let restored = r
        .admin(ROLLBACK, json!({"input": {"deploymentId": d3}}))
        .await;
    let restored = &restored["data"]["rollbackAiModelDeployment"]["restoredDeployment"];
    assert_eq!(restored["id"], json!(d1));
    assert_eq!(restored["status"], "ACTIVE");
    let history = r
        .admin(
            "query($id: ID!) { aiModelVersion(id: $id) { deployments { status trafficPercent } } }",
            json!({"id": v2}),
        )
        .await;
    assert_eq!(
        history["data"]["aiModelVersion"]["deployments"],
        json!([
            {"status": "ROLLED_BACK", "trafficPercent": 100},
            {"status": "ROLLED_BACK", "trafficPercent": 20},
        ])
    );

    // Rating: once per user and request, a second call updates it.
    // Two requests version 1.0 served (after the canary's rollback).
    let (a, b) = (after[0]["id"].clone(), after[1]["id"].clone());
    for (request, rating) in [(&a, 2), (&a, 5), (&b, 3)] {
        let rated = r
            .app
            .graphql_as(
                &r.member,
                RATE,
                json!({"input": {"generationRequestId": request, "rating": rating, "comment": "nice"}}),
            )
            .await;
        assert_eq!(
            rated["data"]["rateGeneration"]["feedback"]["rating"], rating,
            "{rated}"
        );
    }
    let bad = r
        .app
        .graphql_as(
            &r.member,
            RATE,
            json!({"input": {"generationRequestId": a, "rating": 6}}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "rating");
    assert_eq!(
        r.count("SELECT count(*) AS n FROM ai_model_feedback").await,
        2
    );
    // Someone who cannot read the request cannot rate it: as if it did not exist.
    let stranger = r
        .app
        .sign_up("stranger@example.test", "stranger-password")
        .await
        .0;
    let hidden = r
        .app
        .graphql_as(
            &stranger,
            RATE,
            json!({"input": {"generationRequestId": a, "rating": 1}}),
        )
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{hidden}");

    // The ratings are public: an anonymous caller reads them.
    let public = r
        .app
        .graphql(
            "query($id: ID!) { aiModel(id: $id) { rating { average count } versions { versionNumber rating { average count } } } }",
            json!({"id": model}),
        )
        .await;
    let public = &public["data"]["aiModel"];
    assert_eq!(
        public["rating"],
        json!({"average": "4.00", "count": 2}),
        "{public}"
    );
    assert_eq!(
        public["versions"],
        json!([{"versionNumber": "1.0", "rating": {"average": "4.00", "count": 2}}])
    );
    let mine = r
        .app
        .graphql_as(
            &r.member,
            "query($id: ID!) { generationRequest(id: $id) { feedback { rating comment user { id } } } }",
            json!({"id": a}),
        )
        .await;
    assert_eq!(
        mine["data"]["generationRequest"]["feedback"][0]["rating"], 5,
        "{mine}"
    );
}

/// A fake OpenAI-compatible images endpoint: counts its calls, answers a PNG.
async fn fake_images() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let router = axum::Router::new().route(
        "/v1/images/generations",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                assert_eq!(body["size"], "64x64");
                let mut png = std::io::Cursor::new(Vec::new());
                image::RgbImage::new(64, 64)
                    .write_to(&mut png, image::ImageFormat::Png)
                    .expect("encode");
                let b64 = base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    png.into_inner(),
                );
                axum::Json(json!({"created": 0, "data": [{"b64_json": b64}]}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the fake");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{address}"), calls)
}

#[tokio::test]
async fn an_http_deployment_is_called_at_its_own_endpoint() {
    use std::sync::atomic::Ordering;
    let (endpoint, calls) = fake_images().await;
    let r = Registry::start_with(&[("WORKER_POLL_MS", "50")]).await;
    let project = project_of(&r, &r.member).await;
    let model = r.create_model("Partner Images").await;
    // The version's own endpoint is a closed port: only the deployment's works.
    let version = r
        .create_version(
            &model,
            "1.0",
            json!({"provider": "http", "endpoint": "http://127.0.0.1:9", "attempts": 1, "timeoutSeconds": 5,
                   "creditCost": {"sample": "0.10", "final": "0.20"}, "resolutions": ["64x64"], "formats": ["png"]}),
        )
        .await;
    r.validate(&version, "PASSED", "PASSED").await;
    let deployed = r
        .admin(
            DEPLOY,
            json!({"input": {"modelVersionId": version, "environment": "PRODUCTION", "endpoint": endpoint}}),
        )
        .await;
    assert!(deployed["errors"].is_null(), "{deployed}");
    let bad = r
        .admin(
            DEPLOY,
            json!({"input": {"modelVersionId": version, "environment": "PRODUCTION", "endpoint": "not a url"}}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "endpoint");

    let served = generate(&r, &r.member, &project, &model, 1).await;
    let id = served[0]["id"].clone();
    let started = std::time::Instant::now();
    loop {
        let status = r
            .app
            .graphql_as(
                &r.member,
                "query($id: ID!) { generationRequest(id: $id) { status } }",
                json!({"id": id}),
            )
            .await["data"]["generationRequest"]["status"]
            .clone();
        if status == "AWAITING_SELECTION" {
            break;
        }
        assert_ne!(
            status, "FAILED",
            "the provider was not reached at the deployment's endpoint"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "still {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
