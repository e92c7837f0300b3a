//! With OTEL_EXPORTER_OTLP_ENDPOINT set, the server binary sends its spans to the
//! collector as OTLP/HTTP protobuf, while it runs and when it stops.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;

const SERVICE_NAME: &str = "atelier-telemetry-test";

/// One request the fake collector received.
struct Received {
    method: Method,
    path: String,
    content_type: Option<String>,
    body: Bytes,
}

/// A stand-in OTLP/HTTP collector that keeps every request it gets.
#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<Received>>>,
}

impl Collector {
    /// Listens on a free port; returns the base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT.
    async fn start() -> (Self, String) {
        let collector = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the collector");
        let address = listener.local_addr().expect("collector address");
        let router = axum::Router::new()
            .fallback(record)
            .with_state(collector.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (collector, format!("http://{address}"))
    }

    /// Every span received so far, each with the resource attributes of its batch.
    fn spans(&self) -> Vec<(Vec<KeyValue>, Span)> {
        let received = self.received.lock().expect("collector lock");
        let mut spans = Vec::new();
        for request in received.iter() {
            let Ok(export) = ExportTraceServiceRequest::decode(request.body.as_ref()) else {
                continue;
            };
            for resource_spans in export.resource_spans {
                let resource = resource_spans
                    .resource
                    .map(|r| r.attributes)
                    .unwrap_or_default();
                for scope_spans in resource_spans.scope_spans {
                    for span in scope_spans.spans {
                        spans.push((resource.clone(), span));
                    }
                }
            }
        }
        spans
    }
}

async fn record(
    State(collector): State<Collector>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    collector
        .received
        .lock()
        .expect("collector lock")
        .push(Received {
            method,
            path: uri.path().to_string(),
            content_type,
            body,
        });
    // An empty body is a valid, fully successful ExportTraceServiceResponse.
    StatusCode::OK
}

fn string_attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .and_then(|value| match value {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        })
}

/// The server binary; killed when dropped, so a failing test leaves no process behind.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(database_url: &str, endpoint: &str, schedule_delay_ms: u64) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("atelier.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .arg("serve")
            .env_remove("REDIS_URL")
            .env_remove("OTEL_TRACES_SAMPLER")
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", dir.path().join("data"))
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            // The spans are at INFO: below the log level they would not be exported.
            .env("LOG_LEVEL", "warn,atelier=info,async_graphql=info")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_SERVICE_NAME", SERVICE_NAME)
            // Read by the SDK's batch processor: how often it exports.
            .env("OTEL_BSP_SCHEDULE_DELAY", schedule_delay_ms.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn atelier");
        let mut server = Self {
            child,
            port,
            log,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("atelier exited early: {status}\n{}", self.log());
            }
            let ready = client
                .get(format!("http://127.0.0.1:{}/readyz", self.port))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not ready in time\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends `query Probe` tagged with a fresh request id; returns that id.
    async fn probe(&self) -> String {
        let request_id = uuid::Uuid::new_v4().to_string();
        let response = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/graphql", self.port))
            .header("x-request-id", &request_id)
            .json(&json!({"query": "query Probe { __typename }", "operationName": "Probe"}))
            .send()
            .await
            .expect("graphql request");
        assert!(response.status().is_success(), "{}", response.status());
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
        request_id
    }

    /// SIGTERM, then waits for a clean exit; the collector keeps serving meanwhile.
    async fn stop(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for atelier") {
                assert!(
                    status.success(),
                    "atelier exited with {status}\n{}",
                    self.log()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no exit on SIGTERM\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The HTTP span of the request tagged `request_id`, with its resource attributes,
/// once the GraphQL parse span of `query Probe` has arrived too. That one is looked
/// up by the HTTP span's trace id: the GraphQL spans nest under the request's.
fn probe_spans(collector: &Collector, request_id: &str) -> Option<(Vec<KeyValue>, Span)> {
    let spans = collector.spans();
    let (resource, request) = spans.iter().find(|(_, span)| {
        span.name == "request"
            && string_attribute(&span.attributes, "request_id").as_deref() == Some(request_id)
    })?;
    spans.iter().find(|(_, span)| {
        span.name == "parse"
            && span.trace_id == request.trace_id
            && string_attribute(&span.attributes, "source").is_some_and(|s| s.contains("Probe"))
    })?;
    Some((resource.clone(), request.clone()))
}

fn assert_every_request_is_otlp_protobuf(collector: &Collector) {
    let received = collector.received.lock().expect("collector lock");
    assert!(!received.is_empty(), "nothing reached the collector");
    for request in received.iter() {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/v1/traces");
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-protobuf")
        );
        assert!(
            ExportTraceServiceRequest::decode(request.body.as_ref()).is_ok(),
            "the body is an OTLP ExportTraceServiceRequest"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn request_spans_reach_the_collector_while_the_server_runs() {
    let db = crate::helpers::TestDb::migrated().await;
    let (collector, endpoint) = Collector::start().await;
    let server = Server::start(&db.url, &endpoint, 100).await;

    let request_id = server.probe().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let (resource, request) = loop {
        if let Some(found) = probe_spans(&collector, &request_id) {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "the probe's spans did not reach the collector\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert_every_request_is_otlp_protobuf(&collector);
    assert_eq!(
        string_attribute(&resource, "service.name").as_deref(),
        Some(SERVICE_NAME)
    );
    assert_eq!(
        string_attribute(&resource, "service.version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        string_attribute(&request.attributes, "path").as_deref(),
        Some("/graphql")
    );
    assert_eq!(
        string_attribute(&request.attributes, "method").as_deref(),
        Some("POST")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_spans_are_sent_when_the_server_stops() {
    let db = crate::helpers::TestDb::migrated().await;
    let (collector, endpoint) = Collector::start().await;
    // A minute between scheduled exports: only the shutdown flush can deliver in time.
    let mut server = Server::start(&db.url, &endpoint, 60_000).await;

    let request_id = server.probe().await;
    assert!(probe_spans(&collector, &request_id).is_none());
    server.stop().await;

    assert_every_request_is_otlp_protobuf(&collector);
    let (resource, _) = probe_spans(&collector, &request_id)
        .unwrap_or_else(|| panic!("the queued spans were not flushed\n{}", server.log()));
    assert_eq!(
        string_attribute(&resource, "service.name").as_deref(),
        Some(SERVICE_NAME)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_collector_that_never_answers_does_not_hold_the_server_up() {
    let db = crate::helpers::TestDb::migrated().await;
    // Bound but never accepting: connections are queued by the kernel, requests hang.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", silent.local_addr().expect("address"));
    let mut server = Server::start(&db.url, &endpoint, 100).await;

    for _ in 0..3 {
        server.probe().await;
    }
    let stopping = Instant::now();
    server.stop().await;
    // The export waits at most its grace period (5 s) for a collector on the way out.
    assert!(
        stopping.elapsed() < Duration::from_secs(15),
        "stopping took {:?}\n{}",
        stopping.elapsed(),
        server.log()
    );
}
