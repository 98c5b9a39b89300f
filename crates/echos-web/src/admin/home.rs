//! The home page's composition (`/admin/accueil`): which sections show and in what order (the
//! featured contributions, each kind's latest), a welcome text, and a banner with a link and an
//! end date. Contributions are featured from their own page, by editors and admins.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::admin::audit;
use echos_core::settings;
use echos_domain::region::FooterLink;
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::{CsrfForm, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

/// How the home page is composed: stored in the region's settings (`home.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    /// Section codes in order: `featured`, or a kind's code.
    pub sections: Vec<String>,
    pub welcome: String,
    pub banner: Option<Banner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Banner {
    pub text: String,
    pub url: Option<String>,
    /// Shown until this day, included.
    pub ends_on: Option<time::Date>,
}

/// Every section a home page may show, in their default order.
pub fn all_sections(tenant: &echos_core::Tenant) -> Vec<String> {
    std::iter::once("featured".to_owned()).chain(tenant.kinds.iter().map(|k| k.code().to_owned())).collect()
}

impl Composition {
    /// From the region's settings; every section, in the default order, when none was saved.
    pub fn from_settings(
        map: &std::collections::BTreeMap<String, serde_json::Value>,
        tenant: &echos_core::Tenant,
    ) -> Self {
        let all = all_sections(tenant);
        let sections = map
            .get("home.sections")
            .and_then(|v| serde_json::from_value::<Vec<String>>(v.clone()).ok())
            .map(|s| s.into_iter().filter(|c| all.contains(c)).collect())
            .unwrap_or(all);
        Self {
            sections,
            welcome: map.get("home.welcome").and_then(|v| v.as_str()).unwrap_or_default().to_owned(),
            banner: map.get("home.banner").and_then(|v| serde_json::from_value(v.clone()).ok()),
        }
    }
}

#[derive(Serialize)]
struct HomePage<'a> {
    form: &'a FormState,
    sections: Vec<SectionRow>,
    saved: bool,
}

#[derive(Serialize)]
struct SectionRow {
    code: String,
    shown: bool,
    position: usize,
}

fn rows(tenant: &echos_core::Tenant, c: &Composition) -> Vec<SectionRow> {
    let mut rows: Vec<SectionRow> = c
        .sections
        .iter()
        .enumerate()
        .map(|(i, code)| SectionRow { code: code.clone(), shown: true, position: i + 1 })
        .collect();
    for code in all_sections(tenant) {
        if !c.sections.contains(&code) {
            rows.push(SectionRow { position: rows.len() + 1, code, shown: false });
        }
    }
    rows
}

fn values(c: &Composition) -> FormState {
    let b = c.banner.as_ref();
    FormState::default()
        .value("welcome", &c.welcome)
        .value("banner_text", b.map(|b| b.text.as_str()).unwrap_or_default())
        .value("banner_url", b.and_then(|b| b.url.as_deref()).unwrap_or_default())
        .value("banner_ends_on", &b.and_then(|b| b.ends_on).map(|d| d.to_string()).unwrap_or_default())
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
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    let map = app.db.with_tenant(&me.tenant, |tx| Box::pin(settings::all(tx))).await?;
    let c = Composition::from_settings(&map, &me.tenant);
    let ctx = HomePage { form: &values(&c), sections: rows(&me.tenant, &c), saved: q.ok == "1" };
    render(&app, "admin/home.html", StatusCode::OK, &page, "home", ctx)
}

pub(super) async fn save(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let l = page.locale;
    let field =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let mut form = FormState::default()
        .value("welcome", &field("welcome"))
        .value("banner_text", &field("banner_text"))
        .value("banner_url", &field("banner_url"))
        .value("banner_ends_on", &field("banner_ends_on"));
    // Shown sections, by the position typed (ties keep the page's order).
    let mut shown: Vec<(i64, usize, String)> = all_sections(&me.tenant)
        .into_iter()
        .enumerate()
        .filter(|(_, code)| field(&format!("show_{code}")) == "on")
        .map(|(i, code)| (field(&format!("position_{code}")).parse().unwrap_or(99), i, code))
        .collect();
    shown.sort();
    let welcome = field("welcome");
    if welcome.chars().count() > 500 {
        form.field_error("welcome", t(l, "admin.home.errors.welcome", &[]));
    }
    let banner = match field("banner_text").as_str() {
        "" => None,
        text => {
            let url = match field("banner_url").as_str() {
                "" => None,
                u => match FooterLink::parse(text, u) {
                    Some(link) => Some(link.url),
                    None => {
                        form.field_error("banner_url", t(l, "admin.home.errors.url", &[]));
                        None
                    }
                },
            };
            let ends_on = match field("banner_ends_on").as_str() {
                "" => None,
                d => match time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")) {
                    Ok(d) => Some(d),
                    Err(_) => {
                        form.field_error("banner_ends_on", t(l, "admin.home.errors.date", &[]));
                        None
                    }
                },
            };
            if text.chars().count() > 200 {
                form.field_error("banner_text", t(l, "admin.home.errors.banner", &[]));
            }
            Some(Banner { text: text.to_owned(), url, ends_on })
        }
    };
    let c = Composition { sections: shown.into_iter().map(|(_, _, c)| c).collect(), welcome, banner };
    if !form.is_ok() {
        let ctx = HomePage { form: &form, sections: rows(&me.tenant, &c), saved: false };
        return render(&app, "admin/home.html", StatusCode::UNPROCESSABLE_ENTITY, &page, "home", ctx);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let before = Composition::from_settings(&settings::all(&mut tx).await?, &me.tenant);
    settings::set(&mut tx, "home.sections", &serde_json::json!(c.sections)).await?;
    settings::set(&mut tx, "home.welcome", &serde_json::json!(c.welcome)).await?;
    settings::set(&mut tx, "home.banner", &serde_json::to_value(&c.banner).unwrap_or_default()).await?;
    audit::record(
        &mut tx,
        &me.member,
        "home.compose",
        "",
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&c).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/accueil?ok=1").into_response())
}
