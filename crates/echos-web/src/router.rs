//! Every route, then the layers: request id and tracing (outermost), region resolution, error
//! pages. Each feature adds its `routes()` here.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::middleware;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{WebError, render_errors};
use crate::state::AppState;
use crate::{account, assets, auth, contributions, members, pages, search, session, site};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let sites = Router::new()
        .merge(pages::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(members::routes())
        .merge(contributions::routes())
        .merge(search::routes())
        .fallback(|| async { WebError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(middleware::from_fn_with_state(state.clone(), site::resolve));

    Router::new()
        .merge(pages::probes())
        .merge(assets::routes())
        .merge(sites)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.config.http.request_timeout_secs),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, tenant = tracing::field::Empty)
                })
                // Server errors are logged where they happen, with their cause; a suspended
                // region's 503 is not an error of ours.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
