//! Logging and tracing: readable logs by default, or one JSON object a line
//! (`telemetry.log_format = "json"`); with an OTLP endpoint (http or https, with the collector's
//! headers), spans are also exported over OTLP/HTTP through tracing-opentelemetry. Kept in a leaf
//! crate because the OpenTelemetry stack is slow to compile.

use std::collections::HashMap;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// What the logs and traces are made of (`[telemetry]` of the configuration).
#[derive(Clone, Default)]
pub struct Settings {
    /// A `tracing` filter (`info,sqlx=warn`); `RUST_LOG` overrides it.
    pub filter: String,
    /// One JSON object a line rather than readable text.
    pub json: bool,
    /// `http(s)://collector:4318`; `/v1/traces` is appended.
    pub otlp_endpoint: Option<String>,
    /// Sent with every export (a collector's credentials).
    pub otlp_headers: HashMap<String, String>,
    pub service_name: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The headers carry the collector's credentials: their names only.
        f.debug_struct("Settings")
            .field("filter", &self.filter)
            .field("json", &self.json)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("otlp_headers", &self.otlp_headers.keys().collect::<Vec<_>>())
            .field("service_name", &self.service_name)
            .finish()
    }
}

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

/// Installs the global subscriber, logging to standard output.
pub fn init(settings: &Settings) -> anyhow::Result<Guard> {
    init_to(settings, std::io::stdout)
}

/// Installs the global subscriber, logging to `writer` (tests read the lines).
pub fn init_to<W>(settings: &Settings, writer: W) -> anyhow::Result<Guard>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.filter))?;
    let logs = if settings.json {
        tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines)
            .with_writer(writer)
            .boxed()
    } else {
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tracing_subscriber::fmt::layer().with_target(false).with_ansi(ansi).compact().with_writer(writer).boxed()
    };
    let registry = tracing_subscriber::registry().with(filter).with(logs);
    let Some(endpoint) = settings.otlp_endpoint.as_deref() else {
        registry.try_init()?;
        return Ok(Guard(None));
    };
    // https: rustls on ring, checked against the system's certificate authorities.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .with_headers(settings.otlp_headers.clone())
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(settings.service_name.clone()).build())
        .build();
    let tracer = provider.tracer("echosciences");
    registry.with(tracing_opentelemetry::layer().with_tracer(tracer)).try_init()?;
    Ok(Guard(Some(provider)))
}

/// One JSON object a line: `time`, `level`, `target`, the fields of the spans the event happened
/// in (a request's `region`, `route`, `request_id`, `trace_id`; a job's `kind`, `job`…), then the
/// event's own fields, `message` included. A span's field is overridden by an inner span's and by
/// the event's.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        use serde_json::Value;
        let meta = event.metadata();
        let mut line = serde_json::Map::new();
        let time =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        // Set again at the end, so that no field can stand in for them.
        line.insert("time".into(), Value::Null);
        line.insert("level".into(), Value::Null);
        line.insert("target".into(), Value::Null);
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>()
                    && let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields.as_str())
                {
                    line.extend(fields);
                }
            }
        }
        event.record(&mut Fields(&mut line));
        line.insert("time".into(), Value::String(time));
        line.insert("level".into(), Value::String(meta.level().as_str().to_owned()));
        line.insert("target".into(), Value::String(meta.target().to_owned()));
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// An event's fields into the line's object.
struct Fields<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_error(&mut self, field: &tracing::field::Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().to_owned(), value.to_string().into());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}").into());
    }
}
