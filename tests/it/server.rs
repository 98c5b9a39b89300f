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
    let server =
        tokio::spawn(echos_web::server::serve_http(listener, app.router.clone(), Duration::from_secs(1), async move {
            let _ = stopped.await;
        }));

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
