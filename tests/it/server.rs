//! The HTTP server itself (`echos serve`'s): a client that never finishes its headers is cut off
//! after the header read time-out, others are served meanwhile, and a stop lets requests finish.

use std::time::{Duration, Instant};

use echos_tests::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(echos_web::server::serve_http(
        listener,
        app.router.clone(),
        Duration::from_secs(1),
        Duration::from_secs(30),
        async move {
            let _ = stopped.await;
        },
    ));

    // A slow client: half a request, then nothing.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    let started = Instant::now();

    // Meanwhile another is served.
    let mut quick = tokio::net::TcpStream::connect(addr).await.unwrap();
    quick.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    quick.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the slow client is cut off by the server");
    assert!(started.elapsed() < Duration::from_secs(4), "after about a second");
    let text = String::from_utf8_lossy(&rest);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server stops").unwrap();
}

/// One request on a connection of its own (as a load balancer forwards): the status line and the
/// body, or the I/O error.
async fn fetch(addr: std::net::SocketAddr, host: &str, path: &str) -> std::io::Result<(String, String)> {
    let mut conn = tokio::net::TcpStream::connect(addr).await?;
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    Ok((head.lines().next().unwrap_or_default().to_owned(), body.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_fails_readiness_then_lets_every_accepted_request_finish() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let mut config = echos_tests::config();
    config.http.shutdown_delay_secs = 1;
    let app = TestApp::with_config(config).await;
    let a = app.tenant().await;
    // Beside the real pages, a slow one: still running when the listener closes.
    let router = app.router.clone().route(
        "/lent",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "fini"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echos_web::server::serve_http(
        listener,
        router,
        Duration::from_secs(10),
        Duration::from_secs(30),
        echos_web::server::stop_signal(app.state.clone(), || ()),
    ));
    // Served once: the server has polled its stop signal, so SIGTERM is ours to handle.
    assert_eq!(fetch(addr, "test", "/readyz").await.unwrap().0, "HTTP/1.1 200 OK");

    // The load balancer: four clients send pages until /readyz fails, as a balancer stops
    // sending to a replica that is not ready.
    let ready = Arc::new(AtomicBool::new(true));
    let served = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (ready, served, host) = (ready.clone(), served.clone(), a.host.clone());
        clients.push(tokio::spawn(async move {
            while ready.load(Ordering::Relaxed) {
                let (status, _) = fetch(addr, &host, "/articles").await.expect("an accepted request is answered");
                assert_eq!(status, "HTTP/1.1 200 OK");
                served.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = std::time::Instant::now();
    let kill = std::process::Command::new("kill").args(["-TERM", &std::process::id().to_string()]).status().unwrap();
    assert!(kill.success());

    // Readiness fails at once; pages are still served during the delay.
    loop {
        let (status, body) = fetch(addr, "test", "/readyz").await.unwrap();
        if status.starts_with("HTTP/1.1 503") {
            assert_eq!(body, "stopping");
            break;
        }
        assert!(signalled.elapsed() < Duration::from_secs(1), "readiness fails within the delay");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ready.store(false, Ordering::Relaxed);
    let during = served.load(Ordering::Relaxed);
    // Two slow requests accepted before the listener closes, finished after.
    let slow: Vec<_> = (0..2).map(|_| tokio::spawn(fetch(addr, "test", "/lent"))).collect();
    for c in clients {
        c.await.unwrap();
    }
    assert!(during > 0, "the clients were served before the signal");
    for s in slow {
        let (status, body) = s.await.unwrap().expect("a slow request accepted before the close is answered");
        assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", "fini"));
    }
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server stops").unwrap();
    assert!(signalled.elapsed() >= Duration::from_secs(1), "not before the delay");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}
