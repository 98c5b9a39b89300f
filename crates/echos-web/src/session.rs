//! Who is asking: the session cookie (host-only, bound to the region) and the CSRF token.
//!
//! CSRF policy: a random `csrf` cookie (host-only, `SameSite=Lax`, `HttpOnly`) that every form
//! repeats in a hidden field, set by the pages that carry such a form (and by no other, so that
//! anonymous pages can be cached); `gate::CsrfForm` compares them in constant time and refuses a
//! request whose `Origin` is another site, or that the browser marks `Sec-Fetch-Site: cross-site`.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use echos_core::accounts::{self, Member};
use echos_core::{notifications, secrets, sessions};
use uuid::Uuid;

use crate::site::Site;
use crate::state::AppState;

/// The names of the cookies the platform sets. Over https they carry the `__Host-` prefix: the
/// browser then accepts them only `Secure`, for `/`, without `Domain` — from this host alone.
#[derive(Debug)]
pub struct CookieNames {
    pub session: &'static str,
    pub csrf: &'static str,
    pub lang: &'static str,
}

pub const PLAIN_COOKIES: CookieNames = CookieNames { session: "session", csrf: "csrf", lang: "lang" };
pub const HOST_COOKIES: CookieNames =
    CookieNames { session: "__Host-session", csrf: "__Host-csrf", lang: "__Host-lang" };

/// The cookie names of a deployment served over `scheme`.
pub fn cookie_names(scheme: &str) -> &'static CookieNames {
    if scheme == "https" { &HOST_COOKIES } else { &PLAIN_COOKIES }
}

/// The signed-in account on this region, and its membership here (if it has joined).
#[derive(Debug, Clone)]
pub struct Viewer {
    pub account_id: Uuid,
    pub member: Option<Member>,
    /// Unread notifications, for the header.
    pub unread: i64,
}

/// The client's address, for rate limits (see `limits::client_address`).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

/// This visitor's CSRF token (from the cookie, or new).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Middleware: loads the session of this region; sets the CSRF cookie on a page that carries a
/// form token, and tells caches who may keep each response.
pub async fn load(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let names = cookie_names(&app.config.platform.public_scheme);
    let (csrf, fresh) = match jar.get(names.csrf).map(|c| c.value().to_owned()).filter(|v| v.len() >= 32) {
        Some(v) => (v, false),
        None => (secrets::new_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(csrf.clone()));
    let address = crate::limits::client_address(req.headers(), req.extensions(), &app.config.http.trusted_proxies);
    req.extensions_mut().insert(ClientAddress(address));
    if let (Some(Site::Region(tenant)), Some(token)) = (req.extensions().get::<Site>().cloned(), jar.get(names.session))
    {
        match viewer(&app, &tenant, token.value()).await {
            Ok(Some(v)) => {
                if let Some(m) = &v.member {
                    note_visit(&app, &tenant, m.id).await;
                }
                req.extensions_mut().insert(v);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = ?e, "reading the session failed"),
        }
    }
    // On the platform's own host, the session is an operator's (a region's cookie never reaches
    // it: cookies are host-only).
    if let (Some(Site::Platform), Some(token)) = (req.extensions().get::<Site>(), jar.get(names.session)) {
        match echos_core::operators::by_session(app.db.platform(), token.value()).await {
            Ok(Some(op)) => {
                req.extensions_mut().insert(op);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = ?e, "reading an operator's session failed"),
        }
    }
    let secure = app.config.platform.public_scheme == "https";
    let signed_in = req.extensions().get::<Viewer>().is_some()
        || req.extensions().get::<echos_core::operators::Operator>().is_some();
    let get = req.method() == axum::http::Method::GET;
    // An address with a secret in it (a sign-in link, an unsubscribe link…) is its holder's alone.
    let secret = req.extensions().get::<axum::extract::MatchedPath>().is_some_and(|p| p.as_str().contains("{token}"));
    let resp = next.run(req).await;
    let (resp, carries_token) = if signed_in { (resp, true) } else { carries(resp, &csrf).await };
    let mut resp = resp;
    let h = resp.headers_mut();
    if signed_in {
        // A signed-in visitor's pages are theirs alone: no shared cache keeps them, nor the browser.
        h.entry(header::CACHE_CONTROL).or_insert(header::HeaderValue::from_static("private, no-store"));
    } else if carries_token || secret {
        // A form of ours (the token is this visitor's) or a secret address: theirs alone.
        h.entry(header::CACHE_CONTROL).or_insert(header::HeaderValue::from_static("private, no-store"));
    } else if get && resp.status() == axum::http::StatusCode::OK && shareable(resp.headers()) {
        // The same for every anonymous visitor of this address and language: a CDN may keep it,
        // and so may this process (`page_cache`).
        let http = &app.config.http;
        let value = format!(
            "public, s-maxage={}, stale-while-revalidate={}",
            http.shared_max_age_secs, http.stale_while_revalidate_secs
        );
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            resp.headers_mut().insert(header::CACHE_CONTROL, v);
        }
        // The language comes from a cookie; a session cookie would make the page another's.
        resp.headers_mut().append(header::VARY, header::HeaderValue::from_static("Cookie"));
        resp.extensions_mut().insert(Shareable);
    }
    // The token's cookie only where a page carries the token: every other anonymous page sets no
    // cookie, and can be cached.
    if fresh && carries_token {
        let cookie = cookie(names.csrf, csrf, secure, time::Duration::days(365));
        if let Ok(v) = cookie.to_string().parse() {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// Marks a response that any anonymous visitor may be given (set by `load`, read by
/// `page_cache`): a GET answered 200, no cookie set, no form token in it, and no cache policy of
/// its own.
#[derive(Debug, Clone, Copy)]
pub struct Shareable;

fn shareable(h: &header::HeaderMap) -> bool {
    !h.contains_key(header::SET_COOKIE) && !h.contains_key(header::CACHE_CONTROL)
}

/// Whether an HTML response carries this visitor's form token (a form that changes state). Only
/// HTML can: every other response is passed on untouched. Our pages are rendered in memory, so
/// reading the body back costs a copy of a few kB.
async fn carries(resp: Response, token: &str) -> (Response, bool) {
    let html = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html {
        return (resp, false);
    }
    let (parts, body) = resp.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            let found = memchr::memmem::find(&bytes, token.as_bytes()).is_some();
            (Response::from_parts(parts, axum::body::Body::from(bytes)), found)
        }
        Err(e) => {
            tracing::error!(error = %e, "reading a page back failed");
            let mut parts = parts;
            parts.status = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            (Response::from_parts(parts, axum::body::Body::empty()), true)
        }
    }
}

async fn viewer(
    app: &AppState,
    tenant: &echos_core::Tenant,
    token: &str,
) -> Result<Option<Viewer>, echos_core::CoreError> {
    let Some(account_id) = sessions::account(app.db.platform(), token, tenant.id).await? else { return Ok(None) };
    let (member, unread) = app
        .db
        .with_tenant(tenant, |tx| {
            Box::pin(async move {
                let member = accounts::member_by_account(tx, account_id).await?;
                let unread = match &member {
                    Some(m) => notifications::unread_count(tx, m.id).await?,
                    None => 0,
                };
                Ok((member, unread))
            })
        })
        .await?;
    Ok(Some(Viewer { account_id, member, unread }))
}

/// Records that a member was here (`last_seen_at`), at most once an hour per member and process.
async fn note_visit(app: &AppState, tenant: &std::sync::Arc<echos_core::Tenant>, member_id: i64) {
    let key = (tenant.id, member_id);
    if app.seen.contains_key(&key) {
        return;
    }
    app.seen.insert(key, ());
    if let Err(e) = app.db.with_tenant(tenant, |tx| Box::pin(echos_core::admin::members::seen(tx, member_id))).await {
        tracing::warn!(error = ?e, "recording a visit failed");
    }
}

/// A host-only cookie (no `Domain`), `HttpOnly`, `SameSite=Lax`, `Secure` over https.
pub fn cookie(name: &'static str, value: String, secure: bool, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(max_age)
        .build()
}
