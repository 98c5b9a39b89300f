//! The region's own pages — about, contact, terms, privacy — written by its admins in Markdown
//! (sanitised when saved) and shown at `/a-propos`, `/contact`, `/conditions`, `/confidentialite`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::admin::pages::{self, SLUGS};
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::{CsrfForm, Region, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct PagesList {
    pages: Vec<PageItem>,
}

#[derive(Serialize)]
struct PageItem {
    slug: &'static str,
    written: bool,
}

pub(super) async fn list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
) -> Result<Response, WebError> {
    let written = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let mut w = Vec::new();
                for slug in SLUGS {
                    w.push(pages::get(tx, slug).await?.is_some());
                }
                Ok(w)
            })
        })
        .await?;
    let pages = SLUGS.iter().zip(written).map(|(slug, written)| PageItem { slug, written }).collect();
    render(&app, "admin/pages.html", StatusCode::OK, &page, "pages", PagesList { pages })
}

#[derive(Serialize)]
struct PageForm<'a> {
    slug: &'static str,
    form: &'a FormState,
    saved: bool,
}

fn known(slug: &str) -> Result<&'static str, WebError> {
    SLUGS.iter().copied().find(|s| *s == slug).ok_or(WebError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Saved {
    ok: String,
}

pub(super) async fn form(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    let slug = known(&slug)?;
    let current = app.db.with_tenant(&me.tenant, |tx| Box::pin(pages::get(tx, slug))).await?;
    let form = match current {
        Some(p) => FormState::default().value("title", &p.title).value("body", &p.body_md),
        None => FormState::default().value("title", &t(page.locale, &format!("legal.{slug}"), &[])),
    };
    render(
        &app,
        "admin/page_form.html",
        StatusCode::OK,
        &page,
        "pages",
        PageForm { slug, form: &form, saved: q.ok == "1" },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PageFields {
    title: String,
    body: String,
}

pub(super) async fn save(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(slug): Path<String>,
    CsrfForm(f): CsrfForm<PageFields>,
) -> Result<Response, WebError> {
    let slug = known(&slug)?;
    let mut form = FormState::default().value("title", &f.title).value("body", &f.body);
    let title = f.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() || title.chars().count() > 120 {
        form.field_error("title", t(page.locale, "admin.pages.errors.title", &[]));
    }
    let body = f.body.replace("\r\n", "\n");
    if body.trim().is_empty() || body.chars().count() > 50_000 {
        form.field_error("body", t(page.locale, "admin.pages.errors.body", &[]));
    }
    if !form.is_ok() {
        let ctx = PageForm { slug, form: &form, saved: false };
        return render(&app, "admin/page_form.html", StatusCode::UNPROCESSABLE_ENTITY, &page, "pages", ctx);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    pages::save(&mut tx, &me.member, slug, &title, body.trim()).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/pages/{slug}?ok=1")).into_response())
}

#[derive(Serialize)]
struct LegalPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    slug: &'static str,
    title: String,
    body_html: Option<String>,
}

/// A region's own page, for everyone, at `/<slug>` (an empty state until its admins write it).
pub async fn show(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    uri: axum::http::Uri,
) -> Result<Response, WebError> {
    let slug = known(uri.path().trim_start_matches('/'))?;
    let found = app.db.with_tenant(&tenant, |tx| Box::pin(pages::get(tx, slug))).await?;
    let (title, body_html) = match found {
        Some(p) => (p.title, Some(p.body_html)),
        None => (t(page.locale, &format!("legal.{slug}"), &[]), None),
    };
    let html = app.templates.render("pages/legal.html", LegalPage { page: &page, slug, title, body_html })?;
    Ok(Html(html).into_response())
}
