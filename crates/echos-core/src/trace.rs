//! W3C trace context (`traceparent`): adopted from an incoming request, written with each job
//! queued, and taken up again when the job runs, so one trace follows a publish from the request
//! to the e-mails it causes. Spans reach a collector only when `telemetry.otlp_endpoint` is set;
//! without it the incoming trace id still reaches the logs.

use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// A `traceparent` header's span context: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
/// Anything else (another version's extra fields included) is ignored, as the standard says.
pub fn parse_traceparent(value: &str) -> Option<SpanContext> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != "00" || parts.next().is_some() || trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
        return None;
    }
    let lower_hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !(lower_hex(trace) && lower_hex(span) && lower_hex(flags)) {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok().filter(|t| *t != TraceId::INVALID)?;
    let span_id = SpanId::from_hex(span).ok().filter(|s| *s != SpanId::INVALID)?;
    let flags = TraceFlags::new(u8::from_str_radix(flags, 16).ok()? & 1);
    Some(SpanContext::new(trace_id, span_id, flags, true, TraceState::default()))
}

/// Makes `span` a child of the incoming `traceparent` (when tracing is on) and returns the trace
/// id to log: the span's own trace's, or, with tracing off, the incoming one's.
pub fn adopt(span: &tracing::Span, traceparent: Option<&str>) -> Option<String> {
    let remote = traceparent.and_then(parse_traceparent);
    if let Some(remote) = &remote {
        let _ = span.set_parent(Context::new().with_remote_span_context(remote.clone()));
    }
    let own = span.context().span().span_context().clone();
    if own.is_valid() { Some(own.trace_id().to_string()) } else { remote.map(|r| r.trace_id().to_string()) }
}

/// The current span's context as a `traceparent` value, when tracing is on.
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| format!("00-{}-{}-{:02x}", sc.trace_id(), sc.span_id(), sc.trace_flags().to_u8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_is_read_strictly() {
        let sc = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(sc.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(sc.span_id().to_string(), "00f067aa0ba902b7");
        assert!(sc.is_sampled() && sc.is_remote());
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad:?} refused");
        }
    }

    #[test]
    fn without_tracing_the_incoming_trace_id_is_kept_for_the_logs() {
        let span = tracing::info_span!("request");
        let id = adopt(&span, Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        assert_eq!(id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert_eq!(adopt(&span, None), None);
        assert_eq!(current_traceparent(), None);
    }
}
