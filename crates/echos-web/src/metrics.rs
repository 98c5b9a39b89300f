//! Request metrics, counted around every request, and the `/metrics` listener's router
//! (`telemetry.metrics_bind`: a port of its own, never on a region's host).

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use echos_core::Db;
use echos_core::metrics::{CONTENT_TYPE, METRICS, method_label};

/// The route that answered, from inside the routing to the layer that counts.
#[derive(Clone)]
struct Answered(MatchedPath);

/// Counts the request by route template and status, times it, and keeps the in-flight gauge.
/// Outside the time-out, so a request cut by it is counted (as `unmatched`: its route is lost
/// with the work).
pub async fn track(req: Request, next: Next) -> Response {
    let method = method_label(req.method().as_str());
    METRICS.http_in_flight.inc();
    // Dropped with the future too: a client who hangs up is no longer in flight, and is counted
    // as `499` (the work itself goes on to its end, `router::run_to_completion`).
    let mut in_flight = InFlight { method, started: Instant::now(), answered: false };
    let resp = next.run(req).await;
    let route = resp.extensions().get::<Answered>().map_or("unmatched", |a| a.0.as_str());
    METRICS.request(method, route, resp.status().as_u16(), in_flight.started.elapsed());
    in_flight.answered = true;
    resp
}

struct InFlight {
    method: &'static str,
    started: Instant,
    answered: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        METRICS.http_in_flight.dec();
        if !self.answered {
            METRICS.request(self.method, "unmatched", 499, self.started.elapsed());
        }
    }
}

/// A route layer: passes the matched route's template out with the response.
pub async fn note_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(route) = route {
        resp.extensions_mut().insert(Answered(route));
    }
    resp
}

/// `GET /metrics` and nothing else.
pub fn router(db: Db) -> Router {
    Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let db = db.clone();
            async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], echos_core::metrics::render(&db).await).into_response() }
        }),
    )
}

/// Serves [`router`] on `listener` until the task is dropped, with the same header read
/// time-out as the site.
pub async fn serve(listener: tokio::net::TcpListener, db: Db) -> std::io::Result<()> {
    let timeout = std::time::Duration::from_secs(10);
    crate::server::serve_http(listener, router(db), timeout, timeout, std::future::pending()).await;
    Ok(())
}
