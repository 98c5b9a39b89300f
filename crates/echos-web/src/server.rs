//! The HTTP server: hyper's HTTP/1.1 connections with a header read time-out, and a graceful
//! stop (axum's own `serve` has no time-out on reading headers).

use std::time::Duration;

/// How long requests in flight may run on after a stop signal.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves HTTP/1.1 until `stop` completes, then lets the requests in flight finish (for at most
/// 30 s). A client gets `header_read_timeout` to send a request's headers: a slow one
/// (slowloris) cannot hold a connection and its task for ever. The peer's address reaches
/// handlers as `ConnectInfo`.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = app.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            req.map(axum::body::Body::new)
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running {} s after the stop signal were cut", DRAIN.as_secs());
    }
}
