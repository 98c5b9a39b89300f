//! Logging and tracing: human-readable logs by default; with an OTLP endpoint, spans are also
//! exported over OTLP/HTTP through tracing-opentelemetry. Kept in a leaf crate because the
//! OpenTelemetry stack is slow to compile.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Flushes exported spans when dropped; keep it alive for the life of the process.
pub struct Guard(Option<SdkTracerProvider>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {e}");
        }
    }
}

/// Installs the global subscriber. `filter` is a `tracing` filter (`info,sqlx=warn`); `RUST_LOG`
/// overrides it.
pub fn init(filter: &str, otlp_endpoint: Option<&str>, service_name: &str) -> anyhow::Result<Guard> {
    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(filter))?;
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let fmt = tracing_subscriber::fmt::layer().with_target(false).with_ansi(ansi).compact();
    let registry = tracing_subscriber::registry().with(filter).with(fmt);
    let Some(endpoint) = otlp_endpoint else {
        registry.try_init()?;
        return Ok(Guard(None));
    };
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service_name.to_owned()).build())
        .build();
    let tracer = provider.tracer("echosciences");
    registry.with(tracing_opentelemetry::layer().with_tracer(tracer)).try_init()?;
    Ok(Guard(Some(provider)))
}
