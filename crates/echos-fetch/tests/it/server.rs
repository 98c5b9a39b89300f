//! Real local TCP servers that count the connections they accept. The "public" site of a test
//! listens on 127.0.0.2, which the test policy exempts; 127.0.0.1 stays forbidden, so a server
//! there stands for the internal service that must never see a connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use echos_fetch::Policy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub const PUBLIC: &str = "127.0.0.2:0";
pub const INTERNAL: &str = "127.0.0.1:0";

pub struct Server {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves each accepted connection with `handler(stream, index)`, the index counting from 0.
    pub async fn start<F, Fut>(bind: &str, handler: F) -> Server
    where
        F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self::on(TcpListener::bind(bind).await.unwrap(), handler)
    }

    pub fn on<F, Fut>(listener: TcpListener, handler: F) -> Server
    where
        F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handler(stream, index));
            }
        });
        Server { addr, accepted, task }
    }

    /// A server that answers every request with the same bytes.
    pub async fn answering(bind: &str, response: Vec<u8>) -> Server {
        let response = Arc::new(response);
        Self::start(bind, move |stream, _| reply(stream, response.clone())).await
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads the request head, writes `response`, closes.
pub async fn reply(mut stream: TcpStream, response: Arc<Vec<u8>>) {
    read_request(&mut stream).await;
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// The request head (up to the blank line), as text.
pub async fn read_request(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

pub fn html(body: &str) -> Vec<u8> {
    response("200 OK", &[("Content-Type", "text/html; charset=utf-8")], body)
}

pub fn redirect(status: &str, location: &str) -> Vec<u8> {
    response(status, &[("Location", location)], "")
}

/// The production policy, with 127.0.0.2 exempted and test-sized timeouts.
pub fn policy() -> Policy {
    Policy {
        allow: vec!["127.0.0.2/32".parse().unwrap()],
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..Policy::default()
    }
}
