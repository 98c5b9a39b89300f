//! Fetching pages: what is extracted, what is sent, and how hostile servers are cut short.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use echos_fetch::{Policy, Preview, Refused, preview};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};

use crate::server::{PUBLIC, Server, html, policy, read_request, response};

const ARTICLE: &str = r#"<!doctype html>
<html lang="fr"><head>
  <meta charset="utf-8">
  <title>Ignored &amp; plain</title>
  <meta property="og:title" content="  La  science
     &amp; la cit&eacute;  ">
  <meta property="og:description" content="Un &laquo;atelier&raquo; pour tous">
  <meta property="og:image" content="/img.png">
  <meta property="og:site_name" content="Echosciences &eacute;dition Grenoble">
</head><body><p>Texte</p></body></html>"#;

#[tokio::test]
async fn a_page_yields_its_open_graph_preview() {
    let public = Server::answering(PUBLIC, html(ARTICLE)).await;
    let preview = preview(&public.url("/article?id=3#top"), &policy()).await.unwrap();
    assert_eq!(
        preview,
        Preview {
            url: public.url("/article?id=3#top"),
            title: Some("La science & la cité".to_owned()),
            description: Some("Un «atelier» pour tous".to_owned()),
            image: Some(public.url("/img.png")),
            site_name: Some("Echosciences édition Grenoble".to_owned()),
        }
    );
}

#[tokio::test]
async fn a_javascript_image_is_dropped() {
    let page = r#"<meta property="og:image" content="javascript:alert(1)"><title>T</title>"#;
    let public = Server::answering(PUBLIC, html(page)).await;
    let preview = preview(&public.url("/"), &policy()).await.unwrap();
    assert_eq!(preview.image, None);
    assert_eq!(preview.title.as_deref(), Some("T"));
}

#[tokio::test]
async fn the_request_is_a_plain_http11_get() {
    let (sent, mut requests) = mpsc::unbounded_channel();
    let public = Server::start(PUBLIC, move |mut stream, _| {
        let sent = sent.clone();
        async move {
            let _ = sent.send(read_request(&mut stream).await);
            let _ = stream.write_all(&html("<title>T</title>")).await;
        }
    })
    .await;
    let policy = Policy { user_agent: "TestBot/1".to_owned(), ..policy() };
    preview(&public.url("/p/q?x=1&y=%C3%A9#frag"), &policy).await.unwrap();
    let request = requests.recv().await.unwrap().to_ascii_lowercase();
    assert!(request.starts_with("get /p/q?x=1&y=%c3%a9 http/1.1\r\n"), "{request}");
    assert!(request.contains(&format!("\r\nhost: 127.0.0.2:{}\r\n", public.addr.port())), "{request}");
    assert!(request.contains("\r\naccept: text/html"), "{request}");
    assert!(request.contains("\r\nuser-agent: testbot/1\r\n"), "{request}");
    assert!(!request.contains("accept-encoding") && !request.contains("cookie"), "{request}");
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_byte_cap() {
    let (done, written) = oneshot::channel();
    let done = std::sync::Mutex::new(Some(done));
    // A small send buffer, so that what the kernels hold stays small next to what was read.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    socket.bind(PUBLIC.parse().unwrap()).unwrap();
    let public = Server::on(socket.listen(8).unwrap(), move |mut stream, _| {
        let done = done.lock().unwrap().take();
        async move {
            read_request(&mut stream).await;
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<title>Endless</title>";
            let mut total = 0;
            let chunk = vec![b'x'; 16 * 1024];
            let mut result = stream.write_all(head.as_bytes()).await;
            while result.is_ok() {
                total += chunk.len();
                result = stream.write_all(&chunk).await;
            }
            if let Some(done) = done {
                let _ = done.send(total);
            }
        }
    });
    let policy = Policy { max_bytes: 64 * 1024, total_timeout: Duration::from_secs(10), ..policy() };
    let started = Instant::now();
    let preview = preview(&public.url("/"), &policy).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(preview.title.as_deref(), Some("Endless"));
    // The server stops only when its writes fail, that is once the fetcher has closed.
    let written = tokio::time::timeout(Duration::from_secs(5), written).await.unwrap().unwrap();

    assert!(written < policy.max_bytes + 256 * 1024, "{written} bytes written");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let public = Server::start(PUBLIC, |mut stream, _| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let policy = Policy { total_timeout: Duration::from_millis(300), ..policy() };
    let started = Instant::now();
    let result = preview(&public.url("/"), &policy).await;
    assert!(matches!(result, Err(Refused::Timeout)), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(300 + 1000), "{:?}", started.elapsed());
    assert_eq!(public.accepted(), 1);
}

#[tokio::test]
async fn a_body_that_trickles_in_times_out() {
    let trickled = Arc::new(AtomicUsize::new(0));
    let counter = trickled.clone();
    let public = Server::start(PUBLIC, move |mut stream, _| {
        let counter = counter.clone();
        async move {
            read_request(&mut stream).await;
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<title>Slow</title>";
            let mut result = stream.write_all(head.as_bytes()).await;
            while result.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
                counter.fetch_add(1, Ordering::SeqCst);
                result = stream.write_all(b" ").await;
            }
        }
    })
    .await;
    let policy = Policy { total_timeout: Duration::from_millis(300), ..policy() };
    let started = Instant::now();
    let result = preview(&public.url("/"), &policy).await;
    assert!(matches!(result, Err(Refused::Timeout)), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(300 + 1000), "{:?}", started.elapsed());
    assert!(trickled.load(Ordering::SeqCst) > 0, "the body had started");
}

#[tokio::test]
async fn other_content_types_are_not_html() {
    for content_type in [Some("application/json"), Some("image/png"), Some("text/plain; charset=utf-8"), None] {
        let headers: Vec<_> = content_type.map(|value| ("Content-Type", value)).into_iter().collect();
        let public = Server::answering(PUBLIC, response("200 OK", &headers, "<title>T</title>")).await;
        let result = preview(&public.url("/"), &policy()).await;
        assert!(matches!(result, Err(Refused::NotHtml)), "{content_type:?}: {result:?}");
    }
}

#[tokio::test]
async fn xhtml_is_html() {
    let page = response("200 OK", &[("Content-Type", "Application/XHTML+XML")], "<title>X</title>");
    let public = Server::answering(PUBLIC, page).await;
    assert_eq!(preview(&public.url("/"), &policy()).await.unwrap().title.as_deref(), Some("X"));
}

#[tokio::test]
async fn an_error_status_is_refused() {
    for (status, code) in [("404 Not Found", 404), ("500 Internal Server Error", 500), ("304 Not Modified", 304)] {
        let page = response(status, &[("Content-Type", "text/html")], "<title>Error</title>");
        let public = Server::answering(PUBLIC, page).await;
        let result = preview(&public.url("/"), &policy()).await;
        assert!(matches!(result, Err(Refused::Status(c)) if c == code), "{status}: {result:?}");
    }
}

#[tokio::test]
async fn a_latin1_header_charset_is_respected() {
    let body = b"<title>Caf\xe9</title>";
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=ISO-8859-1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let page = [head.as_bytes(), body].concat();
    let public = Server::answering(PUBLIC, page).await;
    assert_eq!(preview(&public.url("/"), &policy()).await.unwrap().title.as_deref(), Some("Café"));
}

#[tokio::test]
async fn https_to_a_server_without_tls_fails_to_connect() {
    // It answers at once, as the request (here a TLS ClientHello) never ends with a blank line.
    let public = Server::start(PUBLIC, |mut stream, _| async move {
        let _ = stream.write_all(&html("<title>T</title>")).await;
    })
    .await;
    let result = preview(&format!("https://{}/", public.addr), &policy()).await;
    assert!(matches!(result, Err(Refused::Connection(_))), "{result:?}");
    assert_eq!(public.accepted(), 1);
}

#[tokio::test]
async fn a_closed_port_fails_to_connect() {
    let port = tokio::net::TcpListener::bind(PUBLIC).await.unwrap().local_addr().unwrap().port();
    let result = preview(&format!("http://127.0.0.2:{port}/"), &policy()).await;
    assert!(matches!(result, Err(Refused::Connection(_))), "{result:?}");
}

#[test]
fn the_preview_future_can_be_spawned() {
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    spawnable(async { preview("http://127.0.0.2/", &Policy::default()).await });
}

#[test]
fn a_refusal_does_not_show_the_address() {
    let refused = Refused::Address("10.1.2.3".parse().unwrap());
    assert!(!refused.to_string().contains("10.1.2.3"));
}
