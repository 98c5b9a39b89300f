//! The region's own domains (`/admin/domaines`): add one, verify it (the platform fetches a file
//! at `/.well-known/` through the domain: a job), make it primary, remove it. Outside the console:
//! the token a pending domain serves, and the "may a certificate be issued?" hook for a TLS
//! terminator.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::admin::domains::{self, Domain};
use echos_core::{TenantTx, jobs};
use echos_domain::job::JobKind;
use echos_domain::{CustomDomainError, HostName, host::custom_domain};
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::{CsrfForm, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct DomainsPage<'a> {
    domains: Vec<Domain>,
    default_host: String,
    form: &'a FormState,
    well_known: &'static str,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Notice {
    /// `added`, `checking`, `primary`, `removed`
    ok: String,
}

async fn show(
    app: &AppState,
    me: &crate::gate::SignedIn,
    page: &Page,
    form: &FormState,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let domains = domains::list(app.db.platform(), me.tenant.id).await?;
    let default_host =
        app.platform_domain.subdomain(&me.tenant.slug).map(|h| h.as_str().to_owned()).unwrap_or_default();
    let ctx = DomainsPage { domains, default_host, form, well_known: domains::WELL_KNOWN, notice };
    render(app, "admin/domains.html", status, page, "domains", ctx)
}

pub(super) async fn list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(q): Query<Notice>,
) -> Result<Response, WebError> {
    let notice = ["added", "checking", "primary", "removed"]
        .into_iter()
        .find(|n| *n == q.ok)
        .map(|n| t(page.locale, &format!("admin.domains.notice.{n}"), &[]));
    show(&app, &me, &page, &FormState::default(), StatusCode::OK, notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct HostForm {
    host: String,
}

pub(super) async fn add(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfForm(f): CsrfForm<HostForm>,
) -> Result<Response, WebError> {
    let mut form = FormState::default().value("host", &f.host);
    let host = match custom_domain(&f.host, &app.platform_domain) {
        Ok(h) => h,
        Err(e) => {
            let key = match e {
                CustomDomainError::Invalid => "admin.domains.errors.invalid",
                CustomDomainError::IpLiteral => "admin.domains.errors.ip",
                CustomDomainError::Local => "admin.domains.errors.local",
                CustomDomainError::UnderPlatform => "admin.domains.errors.platform",
            };
            form.field_error("host", t(page.locale, key, &[]));
            return show(&app, &me, &page, &form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
        }
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    match domains::add(&mut tx, me.tenant.id, &me.member, &host).await {
        Ok(_) => tx.commit().await?,
        Err(echos_core::CoreError::Conflict(_)) => {
            tx.rollback().await?;
            form.field_error("host", t(page.locale, "admin.domains.errors.taken", &[]));
            return show(&app, &me, &page, &form, StatusCode::CONFLICT, None).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to("/admin/domaines?ok=added").into_response())
}

#[derive(Debug, Serialize, Deserialize)]
pub struct VerifyJob {
    pub host: String,
}

/// Asks for a check of a pending domain: a job looks for the token (DNS, then the file).
pub(super) async fn verify(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    CsrfForm(f): CsrfForm<HostForm>,
) -> Result<Response, WebError> {
    let (host, _) = domains::unverified(app.db.platform(), me.tenant.id, &f.host).await?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    jobs::enqueue(&mut tx, Some(me.tenant.id), JobKind::VerifyDomain, &VerifyJob { host: host.as_str().to_owned() })
        .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/domaines?ok=checking").into_response())
}

pub(super) async fn make_primary(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    CsrfForm(f): CsrfForm<HostForm>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    domains::make_primary(&mut tx, me.tenant.id, &me.member, &f.host).await?;
    tx.commit().await?;
    app.directory.invalidate_all();
    Ok(Redirect::to("/admin/domaines?ok=primary").into_response())
}

pub(super) async fn remove(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    CsrfForm(f): CsrfForm<HostForm>,
) -> Result<Response, WebError> {
    let default_host =
        app.platform_domain.subdomain(&me.tenant.slug).map(|h| h.as_str().to_owned()).unwrap_or_default();
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    domains::remove(&mut tx, me.tenant.id, &me.member, &f.host, &default_host).await?;
    tx.commit().await?;
    app.directory.invalidate_all();
    Ok(Redirect::to("/admin/domaines?ok=removed").into_response())
}

/// `/.well-known/echosciences-domain` on a domain waiting for verification: its token, as
/// plain text. Any other host: 404.
/// Served before any region is resolved (the domain is not a region's yet).
pub async fn well_known_token(State(app): State<AppState>, req: axum::extract::Request) -> Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    let Ok(host) =
        crate::site::request_host(req.headers(), authority.as_deref(), peer, &app.config.http.trusted_proxies)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match domains::pending_token(app.db.platform(), &host).await {
        Ok(Some(token)) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "reading a domain's token failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AskQuery {
    domain: String,
}

/// `/.well-known/echosciences-tls?domain=…` on the platform's host: 200 when a certificate may
/// be issued for that host (a verified domain of a region), 404 otherwise — the "ask" hook of
/// on-demand TLS (Caddy, or cert-manager's equivalent).
pub async fn tls_allowed(State(app): State<AppState>, Query(q): Query<AskQuery>) -> Result<Response, WebError> {
    let host = HostName::parse(&q.domain).map_err(|_| WebError::NotFound)?;
    if domains::is_served(app.db.platform(), &host).await? {
        Ok((StatusCode::OK, "ok").into_response())
    } else {
        Err(WebError::NotFound)
    }
}
