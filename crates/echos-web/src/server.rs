//! The HTTP server: hyper's HTTP/1.1 connections with a header read time-out, and a graceful
//! stop (axum's own `serve` has no time-out on reading headers): on SIGTERM, `/readyz` fails
//! first while requests are still taken, then the listener closes and the requests in flight
//! finish.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::state::AppState;

/// At most this many connections waiting in the backlog are taken once the stop has come.
const MAX_DRAINED: usize = 4096;

/// Serves HTTP/1.1 until `stop` completes, then lets the requests in flight finish (for at most
/// `grace`). A client gets `header_read_timeout` to send a request's headers: a slow one
/// (slowloris) cannot hold a connection and its task for ever. The peer's address reaches
/// handlers as `ConnectInfo`.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    grace: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    let mut stopping = false;
    let mut drained = 0usize;
    loop {
        let (stream, peer) = if stopping {
            // Connections the kernel has already accepted (its backlog) are served too, then the
            // listener closes.
            match tokio::time::timeout(Duration::from_millis(5), listener.accept()).await {
                Ok(Ok(a)) if drained < MAX_DRAINED => {
                    drained += 1;
                    a
                }
                _ => break,
            }
        } else {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut stop => {
                    stopping = true;
                    continue;
                }
            }
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
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running {} s after the listener closed were cut", grace.as_secs());
    }
}

/// Completes when the process is asked to stop: on SIGTERM (an orchestrator), `/readyz` fails at
/// once and requests are still taken for `http.shutdown_delay_secs`, so the load balancer has
/// taken the replica out before its listener closes; on Ctrl-C, at once.
/// `on_signal` runs as soon as the signal comes (`serve` stops its worker from taking jobs).
pub async fn stop_signal(app: AppState, on_signal: impl FnOnce()) {
    let term = shutdown_signal().await;
    app.stopping.store(true, Ordering::Relaxed);
    on_signal();
    let delay = Duration::from_secs(app.config.http.shutdown_delay_secs);
    if term && !delay.is_zero() {
        tracing::info!(delay_secs = delay.as_secs(), "not ready any more; still answering until the delay is over");
        tokio::time::sleep(delay).await;
    }
    tracing::info!("the listener closes; requests in flight finish");
}

/// Waits for SIGTERM (true) or Ctrl-C (false).
pub async fn shutdown_signal() -> bool {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let term = tokio::select! {
        () = ctrl_c => false,
        () = term => true,
    };
    tracing::info!(signal = if term { "SIGTERM" } else { "SIGINT" }, "shutting down");
    term
}
