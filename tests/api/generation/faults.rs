//! Workers killed for real: the generation workers run in a second `atelier`
//! process over the test's database, and the test sends it SIGKILL while a
//! step is in the middle of calling the image service. Another process then
//! takes the job over once its lease lapses; each job must finish once, each
//! charge and each refund be written once, and the balance equal its ledger.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

/// Lease of the worker processes: short, so a takeover happens within the test.
const LEASE_SECONDS: &str = "2";

/// An OpenAI-compatible images service whose calls from number `hang_from` on
/// (counting from 0) never answer, as a service would look to a worker that
/// is killed while it waits.
struct Hanging {
    calls: AtomicUsize,
    hang_from: AtomicUsize,
}

impl Hanging {
    async fn start() -> (Arc<Self>, String) {
        let fake = Arc::new(Self {
            calls: AtomicUsize::new(0),
            hang_from: AtomicUsize::new(usize::MAX),
        });
        let router = axum::Router::new()
            .route(
                "/v1/images/generations",
                axum::routing::post(hanging_generations),
            )
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        (fake, format!("http://{address}"))
    }

    fn calls(&self) -> usize {
        AtomicUsize::load(&self.calls, Ordering::SeqCst)
    }

    /// From the next call on, calls hang.
    fn hang_next(&self) {
        self.hang_from.store(self.calls(), Ordering::SeqCst);
    }

    fn answer_all(&self) {
        self.hang_from.store(usize::MAX, Ordering::SeqCst);
    }

    async fn wait_for_calls(&self, n: usize) {
        let started = Instant::now();
        while self.calls() < n {
            assert!(
                started.elapsed() < WAIT,
                "the service got {} of {n} calls",
                self.calls()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn hanging_generations(
    axum::extract::State(fake): axum::extract::State<Arc<Hanging>>,
    axum::Json(body): axum::Json<Value>,
) -> axum::Json<Value> {
    let call = fake.calls.fetch_add(1, Ordering::SeqCst);
    if call >= AtomicUsize::load(&fake.hang_from, Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
    let (w, h) = body["size"]
        .as_str()
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .unwrap_or((64, 64));
    let shade = (call as u8).wrapping_mul(40);
    let picture = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("encode");
    axum::Json(json!({"data": [{"b64_json": STANDARD.encode(png.into_inner())}]}))
}

/// A second `atelier` process over the app's database and files, running one
/// generation worker and nothing the test talks to. Killed with SIGKILL on drop.
struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(app: &TestApp) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .env_remove("REDIS_URL")
            .env("DATABASE_URL", &app.db.url)
            .env("DATABASE_POOL_SIZE", "3")
            .env("DATA_DIR", app.data_dir.path())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("LOG_LEVEL", "error")
            .env("WORKERS", "1")
            .env("WORKER_POLL_MS", "50")
            .env("WORKER_LEASE_SECONDS", LEASE_SECONDS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the worker process starts");
        Self(child)
    }

    /// SIGKILL: no shutdown, no lease released, no transaction finished.
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn service_model(app: &TestApp, endpoint: &str) -> String {
    insert_model(
        app,
        "Flaky Cloud",
        json!({
            "provider": "http",
            "endpoint": endpoint,
            "creditCost": {"sample": "1.00", "final": "4.00"},
            "resolutions": ["64x64"],
            "formats": ["png"],
            "attempts": 1,
            "timeoutSeconds": 120
        }),
    )
    .await
}

/// The balance equals the sum of the user's ledger rows (the sign-up grant is one).
async fn assert_balance_is_its_ledger(app: &TestApp, me: &Studio) {
    let ledger = decimal(
        app,
        &format!(
            "SELECT coalesce(sum(amount), 0) AS v FROM credit_transactions \
             WHERE user_id = '{}' AND team_id IS NULL",
            me.user
        ),
    )
    .await;
    assert_eq!(balance(app, &me.token).await, ledger, "balance vs ledger");
}

async fn jobs(app: &TestApp, request: Uuid, condition: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT count(*) AS n FROM generation_jobs \
             WHERE generation_request_id = '{request}' AND {condition}"
        ),
    )
    .await
}

#[tokio::test]
async fn a_worker_process_killed_in_the_middle_of_the_sample_and_the_final_step_finishes_each_once()
{
    let (fake, endpoint) = Hanging::start().await;
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let model = service_model(&app, &endpoint).await;
    let me = studio(&app, "killed-twice@example.com").await;

    // Samples: the first of three answers, the second hangs; the worker dies there.
    fake.hang_from.store(1, Ordering::SeqCst);
    let worker = WorkerProcess::start(&app);
    let created = request(
        &app,
        &me.token,
        json!({"input": {
            "projectId": me.project,
            "inputPrompt": "A lighthouse in a storm",
            "aiModelId": model,
            "inputParameters": {"sampleCount": 3, "resolution": "64x64", "format": "png"},
        }}),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    fake.wait_for_calls(2).await;
    worker.kill();
    assert_eq!(
        read(&app, &me.token, &request_id).await["status"],
        "PROCESSING_SAMPLES"
    );
    assert_eq!(jobs(&app, request_uuid, "status = 'running'").await, 1);

    fake.answer_all();
    let worker = WorkerProcess::start(&app);
    let awaiting = wait_for(&app, &me.token, &request_id, "AWAITING_SELECTION").await;
    let samples = awaiting["samples"].as_array().expect("samples").clone();
    assert_eq!(samples.len(), 3, "{awaiting}");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}'"
            )
        )
        .await,
        3,
        "the samples the dead worker made are not duplicated"
    );
    assert_eq!(
        jobs(
            &app,
            request_uuid,
            "phase = 'samples' AND status = 'done' AND attempts = 2"
        )
        .await,
        1,
        "the sample job was claimed a second time and finished once"
    );

    // The final: the worker dies while the service works on it.
    fake.hang_next();
    let before_final = fake.calls();
    ok(
        &app,
        &me.token,
        SELECT,
        json!({"input": {"generationRequestId": request_id, "sampleAssetId": samples[2]["id"]}}),
    )
    .await;
    fake.wait_for_calls(before_final + 1).await;
    worker.kill();
    fake.answer_all();
    let _worker = WorkerProcess::start(&app);
    let done = wait_for(&app, &me.token, &request_id, "COMPLETED").await;
    assert_eq!(done["finalAsset"]["resolution"], "64x64", "{done}");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}' AND is_final"
            )
        )
        .await,
        1,
        "one final"
    );
    assert_eq!(
        jobs(
            &app,
            request_uuid,
            "phase = 'final' AND status = 'done' AND attempts = 2"
        )
        .await,
        1,
        "the final job was claimed a second time and finished once"
    );
    assert_eq!(jobs(&app, request_uuid, "status <> 'done'").await, 0);
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{request_uuid}'")).await),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("final_generation".into(), d("-4.00")),
        ],
        "each phase charged once, nothing refunded"
    );
    assert_eq!(balance(&app, &me.token).await, d("5.00"));
    assert_balance_is_its_ledger(&app, &me).await;
}

#[tokio::test]
async fn a_request_cancelled_while_its_worker_is_killed_is_refunded_once_and_never_generated() {
    let (fake, endpoint) = Hanging::start().await;
    let app = TestApp::spawn_with(&[("WORKERS", "0")]).await;
    let model = service_model(&app, &endpoint).await;
    let me = studio(&app, "cancelled-corpse@example.com").await;

    fake.hang_next();
    let worker = WorkerProcess::start(&app);
    let created = request(
        &app,
        &me.token,
        json!({"input": {
            "projectId": me.project,
            "inputPrompt": "A clock without hands",
            "aiModelId": model,
            "inputParameters": {"sampleCount": 2, "resolution": "64x64", "format": "png"},
        }}),
    )
    .await;
    let request_id = id(&created["id"]);
    let request_uuid = uuid_of(&request_id);
    fake.wait_for_calls(1).await;
    let cancelled = ok(&app, &me.token, CANCEL, json!({"id": request_id})).await;
    assert_eq!(
        cancelled["cancelGeneration"]["generationRequest"]["status"],
        "CANCELLED"
    );
    worker.kill();

    // A new worker comes up and waits out the dead one's lease: it must not
    // generate, charge or refund anything for the cancelled request.
    fake.answer_all();
    let calls_after_kill = fake.calls();
    let _worker = WorkerProcess::start(&app);
    let lease: u64 = LEASE_SECONDS.parse().expect("seconds");
    let started = Instant::now();
    while jobs(&app, request_uuid, "lease_until > now()").await > 0
        || started.elapsed() < Duration::from_secs(lease + 3)
    {
        assert!(
            started.elapsed() < WAIT,
            "the dead worker's lease never lapsed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        read(&app, &me.token, &request_id).await["status"],
        "CANCELLED"
    );
    assert_eq!(
        fake.calls(),
        calls_after_kill,
        "nothing generated after the cancel"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM assets WHERE generation_request_id = '{request_uuid}' AND deleted_at IS NULL")
        )
        .await,
        0,
        "no sample survives the cancellation"
    );
    assert_eq!(
        summary(&movements(&app, &format!("generation_request_id = '{request_uuid}'")).await),
        vec![
            ("sample_generation".into(), d("-1.00")),
            ("refund".into(), d("1.00")),
        ],
        "charged once, refunded once"
    );
    assert_eq!(balance(&app, &me.token).await, d("10.00"));
    assert_balance_is_its_ledger(&app, &me).await;
}
