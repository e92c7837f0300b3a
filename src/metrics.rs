//! Prometheus metrics of one server instance (`App::metrics`), kept in a
//! `prometheus-client` registry and served at `/metrics` in the Prometheus text
//! format (0.0.4). Each `App` has its own registry, so two servers in one process
//! (the tests) never count each other's work.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::db::Db;

/// The `Content-Type` of what [`Metrics::render`] writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Latency buckets in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Clients name operations freely; past this many label sets, new names count as `other`.
const MAX_OPERATION_LABELS: usize = 500;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The WebSocket counters, cloned into the socket registry and each connection.
#[derive(Clone, Debug, Default)]
pub struct WebSocketMetrics {
    connections: Gauge,
    subscriptions: Gauge,
    slow_consumers: Counter,
}

impl WebSocketMetrics {
    pub fn connections(&self, delta: i64) {
        self.connections.inc_by(delta);
    }

    pub fn subscriptions(&self, delta: i64) {
        self.subscriptions.inc_by(delta);
    }

    pub fn slow_consumer(&self) {
        self.slow_consumers.inc();
    }
}

/// Everything one instance counts.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    /// Label sets of `requests` so far (the crate counts them only in tests).
    request_labels: AtomicUsize,
    request_seconds: Family<OperationLabels, Histogram, fn() -> Histogram>,
    jobs: Family<OutcomeLabels, Counter>,
    job_seconds: Histogram,
    credits_debited: Counter<f64, AtomicU64>,
    credits_refunded: Counter<f64, AtomicU64>,
    queue_depth: Gauge,
    pub websocket: WebSocketMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero. Help texts get their final full stop
    /// from the crate.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "atelier_graphql_requests",
            "GraphQL requests by operation name and outcome",
            requests.clone(),
        );
        let request_seconds =
            Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "atelier_graphql_request_seconds",
            "GraphQL request latency by operation name",
            request_seconds.clone(),
        );
        let jobs = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "atelier_generation_jobs",
            "Generation jobs by outcome",
            jobs.clone(),
        );
        let job_seconds = latency_histogram();
        registry.register(
            "atelier_generation_job_seconds",
            "Time a generation job took",
            job_seconds.clone(),
        );
        let credits_debited = Counter::<f64, AtomicU64>::default();
        registry.register(
            "atelier_credits_debited",
            "Credits debited",
            credits_debited.clone(),
        );
        let credits_refunded = Counter::<f64, AtomicU64>::default();
        registry.register(
            "atelier_credits_refunded",
            "Credits refunded",
            credits_refunded.clone(),
        );
        let websocket = WebSocketMetrics::default();
        registry.register(
            "atelier_websocket_connections",
            "Open WebSocket connections",
            websocket.connections.clone(),
        );
        registry.register(
            "atelier_websocket_subscriptions",
            "Operations running over WebSocket",
            websocket.subscriptions.clone(),
        );
        registry.register(
            "atelier_websocket_slow_consumers",
            "Sockets closed because their client read too slowly",
            websocket.slow_consumers.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "atelier_generation_queue_depth",
            "Generation jobs queued or running (-1: unknown)",
            queue_depth.clone(),
        );
        Self {
            registry,
            requests,
            request_labels: AtomicUsize::new(0),
            request_seconds,
            jobs,
            job_seconds,
            credits_debited,
            credits_refunded,
            queue_depth,
            websocket,
        }
    }

    /// Reports the statements and pool usage of the two pools at every scrape.
    pub fn watch_pools(&mut self, requests: Db, workers: Db) {
        self.registry
            .register_collector(Box::new(Pools { requests, workers }));
    }

    /// One GraphQL request: its operation name, outcome (`ok` or an error code) and duration.
    pub fn request(&self, operation: &str, outcome: &str, seconds: f64) {
        let mut labels = RequestLabels {
            operation: operation.chars().take(100).collect(),
            outcome: outcome.to_string(),
        };
        if self.requests.get(&labels).is_none() {
            if self.request_labels.load(Ordering::Relaxed) >= MAX_OPERATION_LABELS {
                labels.operation = "other".into();
            } else {
                self.request_labels.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.requests.get_or_create(&labels).inc();
        self.request_seconds
            .get_or_create(&OperationLabels {
                operation: labels.operation,
            })
            .observe(seconds);
    }

    /// A generation job finished (`done`, or `retried_or_failed`) after `seconds`.
    pub fn job(&self, outcome: &'static str, seconds: f64) {
        self.jobs.get_or_create(&OutcomeLabels { outcome }).inc();
        self.job_seconds.observe(seconds);
    }

    /// Credits taken from a balance, once their transaction has committed.
    pub fn credits_debited(&self, amount: Decimal) {
        self.credits_debited.inc_by(credits(amount));
    }

    /// Credits given back, once their transaction has committed.
    pub fn credits_refunded(&self, amount: Decimal) {
        self.credits_refunded.inc_by(credits(amount));
    }

    /// The generation queue's depth as just measured (-1: unknown).
    pub fn set_queue_depth(&self, depth: i64) {
        self.queue_depth.set(depth);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "could not render the metrics");
        }
        out
    }
}

/// Credits as the ledger rounds them (hundredths), as a float sample.
fn credits(amount: Decimal) -> f64 {
    amount.abs().round_dp(2).to_f64().unwrap_or(0.0)
}

/// The pools' figures, read when `/metrics` is scraped.
#[derive(Debug)]
struct Pools {
    requests: Db,
    workers: Db,
}

impl Collector for Pools {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let statements = ConstCounter::new(self.requests.statements_executed());
        statements.encode(encoder.encode_descriptor(
            "atelier_sql_statements",
            "SQL statements sent by request handling.",
            None,
            statements.metric_type(),
        )?)?;
        let pool = self.requests.status();
        let workers = self.workers.status();
        for (name, help, value) in [
            (
                "atelier_db_pool_size",
                "Connections open in the request pool.",
                pool.size,
            ),
            (
                "atelier_db_pool_available",
                "Idle connections in the request pool.",
                pool.available,
            ),
            (
                "atelier_db_pool_waiting",
                "Requests waiting for a connection.",
                pool.waiting,
            ),
            (
                "atelier_worker_pool_size",
                "Connections open in the workers' pool.",
                workers.size,
            ),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::new();
        metrics.request("GetProject", "ok", 0.02);
        metrics.request("GetProject", "NOT_FOUND", 0.2);
        metrics.credits_debited(Decimal::new(125, 2));
        metrics.set_queue_depth(4);
        let text = metrics.render();
        assert!(text
            .contains("atelier_graphql_requests_total{operation=\"GetProject\",outcome=\"ok\"} 1"));
        assert!(text.contains(
            "atelier_graphql_request_seconds_bucket{operation=\"GetProject\",le=\"0.025\"} 1"
        ));
        assert!(text.contains("atelier_graphql_request_seconds_count{operation=\"GetProject\"} 2"));
        assert!(text.contains("atelier_credits_debited_total 1.25"));
        assert!(text.contains("atelier_generation_queue_depth 4"));
        assert!(
            text.contains("# TYPE atelier_credits_debited_total counter"),
            "{text}"
        );
    }

    #[test]
    fn two_registries_count_apart() {
        let (one, two) = (Metrics::new(), Metrics::new());
        one.websocket.slow_consumer();
        assert!(one
            .render()
            .contains("atelier_websocket_slow_consumers_total 1\n"));
        assert!(two
            .render()
            .contains("atelier_websocket_slow_consumers_total 0\n"));
    }

    #[test]
    fn operation_names_are_capped() {
        let metrics = Metrics::new();
        for n in 0..MAX_OPERATION_LABELS + 10 {
            metrics.request(&format!("Op{n}"), "ok", 0.01);
        }
        let text = metrics.render();
        assert!(
            text.contains("atelier_graphql_requests_total{operation=\"other\",outcome=\"ok\"} 10")
        );
        assert!(!text.contains(&format!("operation=\"Op{}\"", MAX_OPERATION_LABELS + 1)));
    }
}
