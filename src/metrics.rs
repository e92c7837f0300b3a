//! Prometheus metrics, rendered as text at `/metrics`. A small registry of our
//! own: counters and histograms with fixed labels, kept in one process-wide value.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// Latency buckets in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; LATENCY_BUCKETS.len()];
        }
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if value <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            let n = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Everything this process counts.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    job_latency: Mutex<Histogram>,
    jobs: Mutex<BTreeMap<String, u64>>,
    websocket_connections: AtomicI64,
    websocket_subscriptions: AtomicI64,
    websocket_slow_consumers: AtomicU64,
    /// Credits, in hundredths (the ledger's scale).
    credits_debited_cents: AtomicU64,
    credits_refunded_cents: AtomicU64,
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::default);

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

impl Metrics {
    pub fn websocket_connections(&self, delta: i64) {
        self.websocket_connections
            .fetch_add(delta, Ordering::Relaxed);
    }

    pub fn websocket_subscriptions(&self, delta: i64) {
        self.websocket_subscriptions
            .fetch_add(delta, Ordering::Relaxed);
    }

    pub fn websocket_slow_consumer(&self) {
        self.websocket_slow_consumers
            .fetch_add(1, Ordering::Relaxed);
    }

    /// One GraphQL request: its operation name, outcome (`ok` or an error code) and duration.
    pub fn request(&self, operation: &str, outcome: &str, seconds: f64) {
        let operation: String = operation.chars().take(100).collect();
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        // Clients name operations freely; cap the label space.
        let key = if requests.len() < 500
            || requests.contains_key(&(operation.clone(), outcome.to_string()))
        {
            (operation.clone(), outcome.to_string())
        } else {
            ("other".to_string(), outcome.to_string())
        };
        *requests.entry(key.clone()).or_default() += 1;
        drop(requests);
        self.latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.0)
            .or_default()
            .observe(seconds);
    }

    /// A generation job finished (`done`, `retried`, `failed`) after `seconds`.
    pub fn job(&self, outcome: &str, seconds: f64) {
        *self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(outcome.to_string())
            .or_default() += 1;
        self.job_latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(seconds);
    }

    pub fn credits(&self, debited: bool, amount: rust_decimal::Decimal) {
        let cents = (amount.abs() * rust_decimal::Decimal::from(100)).trunc();
        let cents = u64::try_from(cents.mantissa()).unwrap_or(0) / 10u64.pow(cents.scale());
        let counter = if debited {
            &self.credits_debited_cents
        } else {
            &self.credits_refunded_cents
        };
        counter.fetch_add(cents, Ordering::Relaxed);
    }

    /// The text exposition, with the gauges the caller measured just now.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP atelier_graphql_requests_total GraphQL requests by operation name and outcome.\n# TYPE atelier_graphql_requests_total counter\n");
        for ((operation, outcome), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "atelier_graphql_requests_total{{operation=\"{}\",outcome=\"{}\"}} {n}",
                escape(operation),
                escape(outcome)
            );
        }
        out.push_str("# HELP atelier_graphql_request_seconds GraphQL request latency by operation name.\n# TYPE atelier_graphql_request_seconds histogram\n");
        for (operation, histogram) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            histogram.render(
                &mut out,
                "atelier_graphql_request_seconds",
                &format!("operation=\"{}\"", escape(operation)),
            );
        }
        out.push_str("# HELP atelier_generation_jobs_total Generation jobs by outcome.\n# TYPE atelier_generation_jobs_total counter\n");
        for (outcome, n) in self.jobs.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "atelier_generation_jobs_total{{outcome=\"{}\"}} {n}",
                escape(outcome)
            );
        }
        out.push_str("# HELP atelier_generation_job_seconds Time a generation job took.\n# TYPE atelier_generation_job_seconds histogram\n");
        self.job_latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .render(&mut out, "atelier_generation_job_seconds", "");
        for (name, help, value) in [
            (
                "atelier_credits_debited_total",
                "Credits debited.",
                self.credits_debited_cents.load(Ordering::Relaxed) as f64 / 100.0,
            ),
            (
                "atelier_credits_refunded_total",
                "Credits refunded.",
                self.credits_refunded_cents.load(Ordering::Relaxed) as f64 / 100.0,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let connections = self.websocket_connections.load(Ordering::Relaxed);
        let subscriptions = self.websocket_subscriptions.load(Ordering::Relaxed);
        let slow = self.websocket_slow_consumers.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP atelier_websocket_connections Open WebSocket connections.\n# TYPE atelier_websocket_connections gauge\natelier_websocket_connections {connections}\n# HELP atelier_websocket_subscriptions Operations running over WebSocket.\n# TYPE atelier_websocket_subscriptions gauge\natelier_websocket_subscriptions {subscriptions}\n# HELP atelier_websocket_slow_consumers_total Sockets closed because their client read too slowly.\n# TYPE atelier_websocket_slow_consumers_total counter\natelier_websocket_slow_consumers_total {slow}"
        );
        for (name, help, value) in gauges {
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::default();
        metrics.request("GetProject", "ok", 0.02);
        metrics.request("GetProject", "NOT_FOUND", 0.2);
        metrics.credits(true, rust_decimal::Decimal::new(125, 2));
        let text = metrics.render(&[("atelier_db_pool_size", "Pool size.", 4.0)]);
        assert!(text
            .contains("atelier_graphql_requests_total{operation=\"GetProject\",outcome=\"ok\"} 1"));
        assert!(text.contains(
            "atelier_graphql_request_seconds_bucket{operation=\"GetProject\",le=\"0.025\"} 1"
        ));
        assert!(text.contains("atelier_graphql_request_seconds_count{operation=\"GetProject\"} 2"));
        assert!(text.contains("atelier_credits_debited_total 1.25"));
        assert!(text.contains("atelier_db_pool_size 4"));
    }
}
