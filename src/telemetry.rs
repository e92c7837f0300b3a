//! Export of the tracing spans to an OpenTelemetry collector, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//!
//! Spans go to `<endpoint>/v1/traces` as OTLP/HTTP protobuf. The SDK's batch
//! processor queues them and exports from a thread of its own, outside tokio: a
//! slow or unreachable collector delays only that thread, and when its queue
//! (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048) is full new spans are dropped, never waited
//! for. The standard `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_TIMEOUT`,
//! `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_TRACES_SAMPLER` variables are honoured
//! by the SDK itself.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::config::TelemetryConfig;

/// How long exiting waits for the last spans to reach the collector. Kept short:
/// a collector that hangs must not hold up a deploy.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The running span export; call [`SpanExport::shutdown`] before the process exits.
pub struct SpanExport {
    provider: SdkTracerProvider,
}

impl SpanExport {
    /// Starts the exporter when an endpoint is configured; `None` otherwise.
    ///
    /// Nothing is sent here: a collector that is down at startup is not an error,
    /// its batches are dropped until it is back.
    pub fn start(config: &TelemetryConfig) -> Result<Option<Self>, String> {
        let Some(endpoint) = &config.otlp_endpoint else {
            return Ok(None);
        };
        // An endpoint given in code is used verbatim, so the signal path is ours to add.
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .build()
            .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: cannot build the exporter: {e}"))?;
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        Ok(Some(Self { provider }))
    }

    /// The tracing layer that turns spans into OpenTelemetry spans for this export.
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let tracer = self.provider.tracer(env!("CARGO_PKG_NAME"));
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
                !is_export_machinery(metadata)
            }))
    }

    /// Sends the spans still queued and stops the export, waiting at most [`SHUTDOWN_GRACE`].
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown_with_timeout(SHUTDOWN_GRACE) {
            tracing::warn!(error = %e, "the last spans may not have reached the collector");
        }
    }
}

/// Spans of the HTTP client and of the SDK itself: exporting them would make every
/// export produce spans to export.
fn is_export_machinery(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    ["opentelemetry", "reqwest", "hyper", "h2", "rustls"]
        .iter()
        .any(|prefix| target.starts_with(prefix))
}
