//! Calls for projects: their public pages (the text, the dates, the projects, the results once
//! closed) and the console's (open one, edit it, download its results).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::projects::{self, Call, CallDraft, SUBMITTERS};
use serde::{Deserialize, Serialize};

use crate::admin::render;
use crate::error::WebError;
use crate::format::long_date;
use crate::forms::FormState;
use crate::gate::{CsrfForm, Region, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

/// A call as pages show it.
#[derive(Serialize)]
struct CallView {
    id: i64,
    url: String,
    title: String,
    body_html: String,
    opens_on: String,
    closes_on: String,
    /// `upcoming`, `open` or `closed`.
    state: &'static str,
    submitters: String,
    votes_per_member: Option<i16>,
    projects: i64,
}

impl CallView {
    fn of(c: Call, l: echos_domain::Locale) -> Self {
        let now = time::OffsetDateTime::now_utc();
        let state = if now < c.opens_at {
            "upcoming"
        } else if now < c.closes_at {
            "open"
        } else {
            "closed"
        };
        Self {
            id: c.id,
            url: c.url(),
            opens_on: long_date(c.opens_at.date(), l),
            closes_on: long_date((c.closes_at - time::Duration::seconds(1)).date(), l),
            state,
            title: c.title,
            body_html: c.body_html,
            submitters: c.submitters,
            votes_per_member: c.votes_per_member,
            projects: c.projects,
        }
    }
}

#[derive(Serialize)]
struct CallsPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    calls: Vec<CallView>,
}

pub(super) async fn public_list(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
) -> Result<Response, WebError> {
    let calls = app.db.with_tenant(&tenant, |tx| Box::pin(async move { projects::calls(tx).await })).await?;
    let calls = calls.into_iter().map(|c| CallView::of(c, page.locale)).collect();
    let html = app.templates.render("projects/calls.html", CallsPage { page: &page, section: "projets", calls })?;
    Ok(Html(html).into_response())
}

#[derive(Serialize)]
struct ResultRow {
    url: String,
    title: String,
    author: String,
    votes: i64,
}

#[derive(Serialize)]
struct CallPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    call: CallView,
    results: Vec<ResultRow>,
    may_submit: bool,
}

pub(super) async fn public_page(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let found = app
        .db
        .with_tenant(&tenant, |tx| {
            let slug = slug.clone();
            Box::pin(async move {
                let Some(call) = projects::call_by_slug(tx, &slug).await? else { return Ok(None) };
                let results = projects::results(tx, call.id).await?;
                Ok(Some((call, results)))
            })
        })
        .await?;
    let (call, results) = found.ok_or(WebError::NotFound)?;
    let call = CallView::of(call, page.locale);
    let ctx = CallPage {
        page: &page,
        section: "projets",
        may_submit: call.state == "open" && page.me.is_some(),
        results: results
            .into_iter()
            .map(|(id, slug, title, author, votes)| ResultRow {
                url: echos_domain::contribution::Kind::Project.url(id, &slug),
                title,
                author,
                votes,
            })
            .collect(),
        call,
    };
    Ok(Html(app.templates.render("projects/call.html", ctx)?).into_response())
}

#[derive(Serialize)]
struct AdminCalls<'a> {
    calls: Vec<CallView>,
    form: &'a FormState,
    editing: Option<i64>,
    submitters: &'static [&'static str],
    ok: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CallForm {
    title: String,
    body: String,
    opens_on: String,
    closes_on: String,
    submitters: String,
    /// Empty: one vote per project.
    votes_per_member: String,
}

impl CallForm {
    fn keep(&self) -> FormState {
        FormState::default()
            .value("title", &self.title)
            .value("body", &self.body)
            .value("opens_on", &self.opens_on)
            .value("closes_on", &self.closes_on)
            .value("submitters", &self.submitters)
            .value("votes_per_member", &self.votes_per_member)
    }

    fn parse(&self, l: echos_domain::Locale, tz: &str, form: &mut FormState) -> Option<CallDraft> {
        let title = echos_domain::contribution::title(&self.title);
        if title.is_none() {
            form.field_error("title", t(l, "calls.errors.title", &[]));
        }
        let body = self.body.trim().to_owned();
        if body.chars().count() > 20_000 {
            form.field_error("body", t(l, "calls.errors.body", &[]));
        }
        let opens = echos_domain::event::date(&self.opens_on);
        if opens.is_none() {
            form.field_error("opens_on", t(l, "events.errors.date", &[]));
        }
        let closes = echos_domain::event::date(&self.closes_on);
        match (opens, closes) {
            (_, None) => form.field_error("closes_on", t(l, "events.errors.date", &[])),
            (Some(o), Some(c)) if c < o || (c - o).whole_days() > 366 => {
                form.field_error("closes_on", t(l, "calls.errors.period", &[]))
            }
            _ => {}
        }
        let submitters = SUBMITTERS.into_iter().find(|s| *s == self.submitters.trim());
        if submitters.is_none() {
            form.field_error("submitters", t(l, "calls.errors.submitters", &[]));
        }
        let votes = match self.votes_per_member.trim() {
            "" => None,
            n => match n.parse::<i16>() {
                Ok(n) if (1..=100).contains(&n) => Some(n),
                _ => {
                    form.field_error("votes_per_member", t(l, "calls.errors.votes", &[]));
                    None
                }
            },
        };
        if !form.is_ok() {
            return None;
        }
        Some(CallDraft {
            title: title?,
            body_md: body,
            opens_on: opens?,
            closes_on: closes?,
            submitters: submitters?,
            votes_per_member: votes,
            time_zone: tz.to_owned(),
        })
    }
}

async fn all_calls(
    app: &AppState,
    admin: &crate::gate::SignedIn,
    l: echos_domain::Locale,
) -> Result<Vec<CallView>, WebError> {
    let calls = app.db.with_tenant(&admin.tenant, |tx| Box::pin(async move { projects::calls(tx).await })).await?;
    Ok(calls.into_iter().map(|c| CallView::of(c, l)).collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Done {
    ok: String,
}

pub(super) async fn admin_list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, WebError> {
    let calls = all_calls(&app, &me, page.locale).await?;
    let form = FormState::default().value("submitters", "members");
    let x = AdminCalls { calls, form: &form, editing: None, submitters: &SUBMITTERS, ok: done.ok == "1" };
    render(&app, "admin/calls.html", StatusCode::OK, &page, "calls", x)
}

pub(super) async fn admin_form(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let tz = me.tenant.time_zone.clone();
    let found = app
        .db
        .with_tenant(&me.tenant, |tx| {
            let tz = tz.clone();
            Box::pin(async move {
                let Some(c) = projects::call(tx, id).await? else { return Ok(None) };
                let days = sqlx::query!(
                    r#"SELECT ($1::timestamptz AT TIME ZONE $3)::date AS "o!", (($2::timestamptz AT TIME ZONE $3) - interval '1 second')::date AS "c!""#,
                    c.opens_at,
                    c.closes_at,
                    tz
                )
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| echos_core::CoreError::Unexpected(e.into()))?;
                Ok(Some((c, days.o, days.c)))
            })
        })
        .await?;
    let (c, opens, closes) = found.ok_or(WebError::NotFound)?;
    let form = FormState::default()
        .value("title", &c.title)
        .value("body", &c.body_md)
        .value("opens_on", &opens.to_string())
        .value("closes_on", &closes.to_string())
        .value("submitters", &c.submitters)
        .value("votes_per_member", &c.votes_per_member.map(|n| n.to_string()).unwrap_or_default());
    let calls = all_calls(&app, &me, page.locale).await?;
    let x = AdminCalls { calls, form: &form, editing: Some(id), submitters: &SUBMITTERS, ok: false };
    render(&app, "admin/calls.html", StatusCode::OK, &page, "calls", x)
}

async fn save(
    app: &AppState,
    me: &crate::gate::SignedIn,
    page: &Page,
    id: Option<i64>,
    f: CallForm,
) -> Result<Response, WebError> {
    let mut form = f.keep();
    let Some(draft) = f.parse(page.locale, &me.tenant.time_zone, &mut form) else {
        let calls = all_calls(app, me, page.locale).await?;
        let x = AdminCalls { calls, form: &form, editing: id, submitters: &SUBMITTERS, ok: false };
        return render(app, "admin/calls.html", StatusCode::UNPROCESSABLE_ENTITY, page, "calls", x);
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    if let Some(id) = id
        && projects::call(&mut tx, id).await?.is_none()
    {
        tx.rollback().await?;
        return Err(WebError::NotFound);
    }
    projects::save_call(&mut tx, &me.member, id, &draft).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/appels?ok=1").into_response())
}

pub(super) async fn admin_create(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfForm(f): CsrfForm<CallForm>,
) -> Result<Response, WebError> {
    save(&app, &me, &page, None, f).await
}

pub(super) async fn admin_update(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<CallForm>,
) -> Result<Response, WebError> {
    save(&app, &me, &page, Some(id), f).await
}

/// A call's results: each project, its author and its votes, the most voted first.
pub(super) async fn results_csv(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let found = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let Some(c) = projects::call(tx, id).await? else { return Ok(None) };
                Ok(Some((c, projects::results(tx, id).await?)))
            })
        })
        .await?;
    let (call, results) = found.ok_or(WebError::NotFound)?;
    let rows: Vec<Vec<String>> = results
        .into_iter()
        .map(|(id, slug, title, author, votes)| {
            vec![title, author, echos_domain::contribution::Kind::Project.url(id, &slug), votes.to_string()]
        })
        .collect();
    let body = crate::csv::document(&["projet", "auteur", "adresse", "votes"], rows);
    Ok(crate::csv::attachment(&format!("{}-appel-{}-resultats.csv", me.tenant.slug, call.slug), body))
}
