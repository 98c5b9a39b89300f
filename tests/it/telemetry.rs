//! Traces and logs as an operator reads them: spans exported over OTLP with the collector's
//! headers, joined to the caller's W3C trace and carried into the jobs a request queues; JSON log
//! lines with the region, route, request id and trace id. Each test installs the process's
//! global subscriber, once (nextest runs each test in a process of its own).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::routing::post;
use echos_tests::{Browser, TestApp, unique_email};
use http::{Request, StatusCode, header};

type Received = Arc<Mutex<(Vec<u8>, Vec<String>)>>;

/// A real OTLP/HTTP receiver on a local port: the exporter posts protobuf to `/v1/traces`.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let mut got = sink.lock().unwrap();
                got.0.extend_from_slice(&body);
                if let Some(auth) = headers.get(header::AUTHORIZATION) {
                    got.1.push(auth.to_str().unwrap().to_owned());
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The ingress's address, a trusted proxy: its `traceparent` is believed.
fn behind_a_proxy() -> echos_core::Config {
    let mut cfg = echos_tests::config();
    cfg.http.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    cfg
}

fn from_proxy() -> axum::extract::ConnectInfo<std::net::SocketAddr> {
    axum::extract::ConnectInfo("10.1.2.3:40000".parse().unwrap())
}

fn traceparent() -> String {
    format!("00-{TRACE_ID}-00f067aa0ba902b7-01")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_over_otlp_joined_to_the_callers_trace_and_carried_into_jobs() {
    let (endpoint, got) = receiver().await;
    let guard = echos_telemetry::init(&echos_telemetry::Settings {
        filter: "info".into(),
        otlp_endpoint: Some(endpoint),
        otlp_headers: [("authorization".to_owned(), "Bearer jeton-du-collecteur".to_owned())].into(),
        service_name: "echos-test".into(),
        ..Default::default()
    })
    .unwrap();
    let app = TestApp::with_config(behind_a_proxy()).await;
    let a = app.tenant().await;
    let r = app.get(&a.host, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    let request_id = r.header("x-request-id").unwrap().to_owned();
    let secret = "jeton-tres-secret-0123456789abcdef0123456789a";
    assert_eq!(app.get(&a.host, &format!("/reinitialiser/{secret}")).await.status, StatusCode::GONE);

    // A sign-up under the caller's trace queues its e-mail with that trace's context.
    let mut browser = Browser::new();
    let form = app.get_as(&a.host, "/inscription", &mut browser).await;
    assert_eq!(form.status, StatusCode::OK);
    let email = unique_email();
    let body = format!(
        "display_name=Ada&email={}&password=une+phrase+de+passe+solide&kind=person&audience=teacher&csrf_token={}",
        email.replace('@', "%40"),
        browser.csrf
    );
    let req = Request::post("/inscription")
        .header(header::HOST, &a.host)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, browser.cookie_header())
        .header("traceparent", traceparent())
        .extension(from_proxy())
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
    let queued: String = sqlx::query_scalar(
        "SELECT trace_parent FROM platform.jobs WHERE tenant_id = $1 AND kind = 'mail.confirm' ORDER BY id DESC LIMIT 1",
    )
    .bind(a.tenant.id)
    .fetch_one(app.db.platform())
    .await
    .unwrap();
    assert!(queued.starts_with(&format!("00-{TRACE_ID}-")), "the job carries the trace: {queued}");
    assert_ne!(queued, traceparent(), "its parent is the request's own span, not the caller's");
    assert!(app.run_jobs(&[&a]).await >= 1);

    // Shutting the provider down flushes the batch to the receiver.
    tokio::task::spawn_blocking(move || drop(guard)).await.unwrap();
    let (body, auth) = got.lock().unwrap().clone();
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    let count = |needle: &[u8]| body.windows(needle.len()).filter(|w| *w == needle).count();
    assert!(has(b"request"), "the request span was exported");
    assert!(has(a.slug.as_str().as_bytes()), "with the region");
    assert!(has(request_id.as_bytes()), "with the request id");
    assert!(has(b"echos-test"), "with the service name");
    assert!(has(b"GET /reinitialiser/{token}"), "spans are named by the route's template");
    assert!(!has(secret.as_bytes()), "a token in the address never reaches a span");
    assert!(has(b"POST /inscription") && has(b"job mail.confirm"), "the request's and the job's spans");
    assert!(count(&hex(TRACE_ID)) >= 2, "both in the caller's trace");
    assert!(
        !auth.is_empty() && auth.iter().all(|a| a == "Bearer jeton-du-collecteur"),
        "the collector's header: {auth:?}"
    );
}

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_the_region_route_request_and_trace() {
    let capture = Capture::default();
    let writer = capture.clone();
    let _guard = echos_telemetry::init_to(
        &echos_telemetry::Settings {
            filter: "info,tower_http=debug".into(),
            json: true,
            service_name: "echos-test".into(),
            ..Default::default()
        },
        move || writer.clone(),
    )
    .unwrap();
    let app = TestApp::with_config(behind_a_proxy()).await;
    let a = app.tenant().await;
    let get = |peer: &str| {
        Request::get("/articles")
            .header(header::HOST, &a.host)
            .header("traceparent", traceparent())
            .extension(axum::extract::ConnectInfo::<std::net::SocketAddr>(peer.parse().unwrap()))
            .body(Body::empty())
            .unwrap()
    };
    let r = app.send(get("10.1.2.3:40000")).await;
    assert_eq!(r.status, StatusCode::OK);
    let request_id = r.header("x-request-id").unwrap().to_owned();
    // The same header straight from a visitor is not believed.
    let direct = app.send(get("203.0.113.7:50000")).await;
    let direct_id = direct.header("x-request-id").unwrap().to_owned();

    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let line = lines
        .iter()
        .find(|l| l["request_id"] == request_id.as_str() && l["message"] == "finished processing request")
        .unwrap_or_else(|| panic!("the request's line: {text}"));
    assert_eq!(line["level"], "DEBUG");
    assert_eq!(line["region"], a.slug.as_str());
    assert_eq!(line["route"], "/articles");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["trace_id"], TRACE_ID, "the caller's trace, with tracing off too");
    let direct = lines
        .iter()
        .find(|l| l["request_id"] == direct_id.as_str() && l["message"] == "finished processing request")
        .unwrap_or_else(|| panic!("the direct request's line: {text}"));
    assert!(direct.get("trace_id").is_none(), "a visitor's traceparent is ignored: {direct}");
    let time = line["time"].as_str().unwrap();
    assert!(time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).is_ok(), "{time}");
}
