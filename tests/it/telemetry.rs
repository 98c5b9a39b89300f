use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use echos_tests::TestApp;
use http::StatusCode;

/// A real OTLP/HTTP receiver on a local port: the exporter posts protobuf to `/v1/traces`.
async fn receiver() -> (String, Arc<Mutex<Vec<u8>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().extend_from_slice(&body);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_spans_are_exported_over_otlp_with_the_region_and_request_id() {
    let (endpoint, got) = receiver().await;
    // The global subscriber can be set once per process: this is the only test that does.
    let guard = echos_telemetry::init("info", Some(&endpoint), "echos-test").unwrap();
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let r = app.get(&a.host, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    let request_id = r.header("x-request-id").unwrap().to_owned();
    let secret = "jeton-tres-secret-0123456789abcdef0123456789a";
    assert_eq!(app.get(&a.host, &format!("/reinitialiser/{secret}")).await.status, StatusCode::GONE);
    // Shutting the provider down flushes the batch to the receiver.
    tokio::task::spawn_blocking(move || drop(guard)).await.unwrap();
    let body = got.lock().unwrap().clone();
    let has = |needle: &str| body.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("request"), "the request span was exported");
    assert!(has(a.slug.as_str()), "with the region");
    assert!(has(&request_id), "with the request id");
    assert!(has("echos-test"), "with the service name");
    assert!(has("GET /reinitialiser/{token}"), "spans are named by the route's template");
    assert!(!has(secret), "a token in the address never reaches a span");
}
