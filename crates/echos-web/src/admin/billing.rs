//! The region's subscription and archives (`/admin/abonnement`): its plan and state (a trial and
//! its end, a late payment and its grace period), the link to Stripe's Customer Portal for
//! invoices, card and cancellation; an archive of the whole region made on demand (a job) and
//! mailed as a link back here.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::{Tenant, billing, exports};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::render;
use crate::error::WebError;
use crate::forms::Empty;
use crate::gate::{CsrfForm, RegionAdmin};
use crate::site::Page;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    erreur: String,
}

#[derive(Serialize)]
struct BillingPage {
    billing: billing::Billing,
    /// Billing through Stripe is on and this region has a customer: the portal's button.
    portal: bool,
    /// Days of grace left before a late payment suspends the region.
    grace_days: i64,
    read_only_days: i64,
    exports: Vec<exports::Export>,
    ok: String,
    error: String,
}

pub(super) async fn page(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let b = billing::of(app.db.platform(), me.tenant.id).await?;
    let x = BillingPage {
        portal: app.payments.is_some() && b.customer.is_some(),
        billing: b,
        grace_days: app.config.billing.grace_days,
        read_only_days: app.config.billing.read_only_days,
        exports: exports::list(app.db.platform(), me.tenant.id).await?,
        ok: done.ok,
        error: done.erreur,
    };
    render(&app, "admin/billing.html", StatusCode::OK, &page, "billing", x)
}

/// To Stripe's Customer Portal, and back here afterwards.
pub(super) async fn portal(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let payments = app.payments.clone().ok_or(WebError::NotFound)?;
    let b = billing::of(app.db.platform(), me.tenant.id).await?;
    let customer = b.customer.ok_or(WebError::NotFound)?;
    let back = crate::links::region_url(&app.config, &me.tenant, "/admin/abonnement");
    match payments.portal(&customer, &back).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e) => {
            tracing::error!(error = ?e, "opening the customer portal failed");
            Ok(Redirect::to("/admin/abonnement?erreur=portal").into_response())
        }
    }
}

/// Asks for an archive of the whole region; its link comes by e-mail.
pub(super) async fn request_archive(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let by = format!("admin:{}", me.member.handle);
    exports::request(app.db.platform(), me.tenant.id, &by, Some(me.account_id), false).await?;
    let mut tx = echos_core::TenantTx::begin(&app.db, &me.tenant).await?;
    echos_core::admin::audit::record(&mut tx, &me.member, "region.export", &me.tenant.slug, None, None).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/abonnement?ok=export").into_response())
}

/// One of this region's archives (another region's is not there: 404).
pub(super) async fn download(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = Uuid::try_parse(&id).map_err(|_| WebError::NotFound)?;
    archive_response(&app, &me.tenant, id).await
}

/// An archive of `t` as a download.
pub async fn archive_response(app: &AppState, t: &Tenant, id: Uuid) -> Result<Response, WebError> {
    let found = exports::get(app.db.platform(), t.id, id).await?.ok_or(WebError::NotFound)?;
    if found.status != "ready" {
        return Err(WebError::NotFound);
    }
    let bytes = app.media.get_export(t.id, id).await?.ok_or(WebError::NotFound)?;
    let name = format!("{}-{}.tar.gz", t.slug, found.created_at.date());
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/gzip"));
    if let Ok(v) = format!("attachment; filename=\"{name}\"").parse() {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    Ok(resp)
}
