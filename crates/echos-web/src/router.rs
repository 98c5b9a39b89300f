//! Every route, then the layers: request id and tracing (outermost), the time-out, a task of its
//! own for each request, compression, region resolution, the anonymous page cache, session,
//! error pages. Each URL space adds its
//! `routes()` to `site_routes`, and each of its state-changing routes to `WRITES`.

use std::time::Duration;

use axum::Router;
use axum::extract::Request as AxumRequest;
use axum::http::{HeaderName, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Instrument;

use crate::error::{WebError, render_errors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::{
    account, admin, assets, auth, communities, contributions, events, members, moderation, page_cache, pages, platform,
    projects, search, session, site,
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the sites (the platform's and the regions'), by URL space.
pub fn site_routes() -> Routes {
    Routes::new()
        .merge(pages::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(members::routes())
        .merge(contributions::routes())
        .merge(search::routes())
        .merge(admin::routes())
        .merge(platform::routes())
        .merge(communities::routes())
        .merge(moderation::routes())
        .merge(events::routes())
        .merge(projects::routes())
        .merge(projects::admin_routes())
}

/// Who may send a state-changing request (every one also needs a form from one of our pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: signing up or in, a forgotten password.
    Anyone,
    /// A signed-in account, member of this region or not yet (joining it).
    Account,
    /// A member of this region.
    Member,
    /// A regional admin of this region.
    Admin,
    /// Whoever holds the secret token in the address (one-click unsubscribe from a mail client:
    /// no session, no form token, by design).
    Token,
    /// Anyone, on the platform's own host (a science centre's sign-up, an operator signing in).
    Platform,
    /// A platform operator, on the platform's host.
    Operator,
    /// Stripe: a body signed with the webhook's secret (no session, no form).
    Signed,
}

/// Every route that changes state, and who may use it. `{kind}` stands for each kind's segment
/// (`articles`, `veille`, …). A test checks this list against the router, both ways, and that
/// each refuses an anonymous request and a cross-site one.
pub const WRITES: &[(&str, Access)] = &[
    ("/inscription", Access::Anyone),
    ("/connexion", Access::Anyone),
    ("/deconnexion", Access::Anyone),
    ("/mot-de-passe-oublie", Access::Anyone),
    ("/reinitialiser/{token}", Access::Anyone),
    ("/rejoindre", Access::Account),
    ("/mon-espace/profil", Access::Member),
    ("/mon-espace/compte", Access::Member),
    ("/mon-espace/email", Access::Member),
    ("/mon-espace/preferences", Access::Member),
    ("/mon-espace/avatar", Access::Member),
    ("/mon-espace/supprimer", Access::Member),
    ("/membres/{handle}/suivre", Access::Member),
    ("/mots-cles/{tag}/suivre", Access::Member),
    ("/mon-espace/structure/gestionnaires", Access::Member),
    ("/mon-espace/structure/gestionnaires/{id}/retirer", Access::Member),
    ("/mon-espace/structures/{id}/quitter", Access::Member),
    ("/mon-espace/notifications/lues", Access::Member),
    ("/commentaires/{id}/supprimer", Access::Member),
    ("/commentaires/{id}/modifier", Access::Member),
    ("/medias/images", Access::Member),
    ("/{kind}", Access::Member),
    ("/{kind}/{id}/modifier", Access::Member),
    ("/{kind}/{id}/supprimer", Access::Member),
    ("/{kind}/{id}/commentaires", Access::Member),
    ("/{kind}/{id}/jaime", Access::Member),
    ("/{kind}/{id}/une", Access::Member),
    ("/{kind}/{id}/revue", Access::Member),
    ("/communautes", Access::Member),
    ("/communautes/{slug}/rejoindre", Access::Member),
    ("/communautes/{slug}/quitter", Access::Member),
    ("/communautes/{slug}/gerer", Access::Member),
    ("/communautes/{slug}/membres/{id}", Access::Member),
    ("/communautes/{slug}/demandes/{id}", Access::Member),
    ("/communautes/{slug}/epingles", Access::Member),
    ("/signaler", Access::Member),
    ("/moderation/decision", Access::Member),
    ("/evenements/{id}/participer", Access::Member),
    ("/projets/{id}/voter", Access::Member),
    ("/admin/appels", Access::Admin),
    ("/admin/appels/{id}", Access::Admin),
    ("/admin/communautes/{id}/{action}", Access::Admin),
    ("/lettres/desinscription/{token}", Access::Token),
    ("/admin/apparence", Access::Admin),
    ("/admin/apparence/images", Access::Admin),
    ("/admin/reglages", Access::Admin),
    ("/admin/pages/{slug}", Access::Admin),
    ("/admin/domaines", Access::Admin),
    ("/admin/domaines/verifier", Access::Admin),
    ("/admin/domaines/principal", Access::Admin),
    ("/admin/domaines/retirer", Access::Admin),
    ("/admin/accueil", Access::Admin),
    ("/admin/membres/{id}/role", Access::Admin),
    ("/admin/membres/{id}/sanction", Access::Admin),
    ("/admin/lettres", Access::Admin),
    ("/admin/lettres/{id}", Access::Admin),
    ("/admin/lettres/{id}/essai", Access::Admin),
    ("/admin/lettres/{id}/envoyer", Access::Admin),
    ("/admin/abonnement/portail", Access::Admin),
    ("/admin/archives", Access::Admin),
    ("/connexion/lien/{token}", Access::Anyone),
    ("/ouvrir", Access::Platform),
    ("/stripe/webhook", Access::Signed),
    ("/platform/connexion", Access::Platform),
    ("/platform/lien", Access::Platform),
    ("/platform/lien/{token}", Access::Platform),
    ("/platform/deconnexion", Access::Platform),
    ("/platform/regions/{slug}/{action}", Access::Operator),
    ("/platform/taches/{id}/relancer", Access::Operator),
];

pub fn router(state: AppState) -> Router {
    let sites = site_routes()
        .into_router()
        .fallback(|| async { WebError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), count_views))
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(middleware::from_fn_with_state(state.clone(), page_cache::serve))
        .layer(middleware::from_fn_with_state(state.clone(), site::resolve))
        .layer(middleware::from_fn_with_state(state.clone(), page_cache::answer));

    let trusted = std::sync::Arc::new(state.config.http.trusted_proxies.clone());
    Router::new()
        .merge(pages::probes())
        // A domain waiting for verification is no region's yet: its token is served before any
        // region is resolved. The TLS "ask" hook likewise.
        .route(echos_core::admin::domains::WELL_KNOWN, axum::routing::get(admin::well_known_token))
        .route("/.well-known/echosciences-tls", axum::routing::get(admin::tls_allowed))
        .merge(assets::routes())
        .merge(sites)
        // Inside the routing, so that the span is named by the route that matched, by its
        // template (`GET /reinitialiser/{token}`): a token in the address never reaches a span
        // or a log line.
        .route_layer(
            TraceLayer::new_for_http()
                .make_span_with(move |req: &Request<_>| {
                    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
                    let route = req.extensions().get::<axum::extract::MatchedPath>().map_or("", |m| m.as_str());
                    let span = tracing::info_span!(
                        "request",
                        otel.name = %format_args!("{} {route}", req.method()),
                        otel.kind = "server",
                        method = %req.method(),
                        route = %route,
                        request_id = %id,
                        region = tracing::field::Empty,
                        trace_id = tracing::field::Empty
                    );
                    // A W3C `traceparent` from a trusted proxy (the ingress, a load balancer)
                    // makes this request a part of its trace; a visitor's own is not believed.
                    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
                    let from_proxy = peer.is_some_and(|p| trusted.iter().any(|net| net.contains(&p.0.ip())));
                    let parent = req.headers().get("traceparent").and_then(|v| v.to_str().ok()).filter(|_| from_proxy);
                    if let Some(trace_id) = echos_core::trace::adopt(&span, parent) {
                        span.record("trace_id", trace_id);
                    }
                    span
                })
                // Server errors are logged where they happen, with their cause; a suspended
                // region's 503 is not an error of ours.
                .on_failure(()),
        )
        .route_layer(middleware::from_fn(crate::metrics::note_route))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        // What the page cache did not encode already (a signed-in member's pages…): text, JSON,
        // feeds and calendars of 1 kB or more, never images or archives. At level 5, as the page
        // cache encodes (the default would be Brotli's 11: milliseconds of CPU for each page).
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)).compress_when(SizeAbove::new(1024).and(
            |_: StatusCode, _: axum::http::Version, h: &axum::http::HeaderMap, _: &axum::http::Extensions| {
                h.get(axum::http::header::CONTENT_TYPE).is_some_and(page_cache::compressible)
            },
        )))
        .layer(middleware::from_fn(run_to_completion))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.config.http.request_timeout_secs),
        ))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Runs each request in a task of its own. A client who hangs up (or the time-out) drops the
/// future that waits for it, not the work: a handler is never cut between two awaits, so a
/// transaction it began is committed or rolled back by the handler itself and its connection
/// goes back to the pool idle — never with a `COMMIT` in flight and nothing to read its answer.
async fn run_to_completion(req: AxumRequest, next: Next) -> Response {
    let work = tokio::spawn(next.run(req).instrument(tracing::Span::current()));
    match work.await {
        Ok(resp) => resp,
        Err(e) => {
            // A panic in a handler: the visitor gets a 500, the process and its other requests go on.
            tracing::error!(error = %e, "a request's task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A contribution's page says which one it shows, for "most read".
#[derive(Debug, Clone, Copy)]
pub struct Viewed(pub i64);

/// Counts each page of a region that a visitor or member gets (a GET answered 200 with HTML),
/// in memory: nothing about who asked is kept (`admin::views`).
async fn count_views(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: AxumRequest,
    next: Next,
) -> Response {
    let counted = req.method() == axum::http::Method::GET;
    let site = req.extensions().get::<crate::site::Site>().cloned();
    let resp = next.run(req).await;
    if counted
        && resp.status() == StatusCode::OK
        && let Some(tenant) = site.as_ref().and_then(crate::site::Site::tenant)
        && resp.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
    {
        let day = time::OffsetDateTime::now_utc().date();
        app.views.record(tenant, day, resp.extensions().get::<Viewed>().map(|v| v.0));
    }
    resp
}

/// What every response tells the browser: no script but our own files, no framing, no plug-ins,
/// no sniffing, referrers cut to the origin elsewhere, and HTTPS only once served over it. A
/// response that set its own policy (media files: `default-src 'none'`) keeps it.
async fn security_headers(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: AxumRequest,
    next: Next,
) -> Response {
    use axum::http::HeaderValue;
    use axum::http::header::{
        CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    };
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    if app.config.platform.public_scheme == "https" {
        h.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    resp
}

/// The pages' policy. Styles may be inline: the brand colours are validated `#rrggbb` values set
/// as CSS variables, never text a member wrote. Images: ours (media, the regions' assets) and
/// `data:`; the map's tiles are added by the map's own page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                       font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
