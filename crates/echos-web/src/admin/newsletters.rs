//! Newsletters (`/admin/lettres`): write one in Markdown, see it as members will, send a test to
//! oneself, then send it — once — to the members who chose to receive newsletters (all, one
//! audience, or a tag's followers). Deliveries and failures are counted. Outside the console: the
//! one-click unsubscribe link every message carries.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::admin::newsletters::{self, Draft, Newsletter};
use echos_domain::member::AUDIENCES;
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::format::long_date;
use crate::forms::{Empty, FormState};
use crate::gate::{CsrfForm, Region, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct ListPage {
    newsletters: Vec<NewsletterView>,
}

#[derive(Serialize)]
struct NewsletterView {
    #[serde(flatten)]
    n: Newsletter,
    created: String,
    sent: Option<String>,
}

fn view(n: Newsletter, page: &Page) -> NewsletterView {
    NewsletterView {
        created: long_date(n.created_at.date(), page.locale),
        sent: n.sent_at.map(|d| long_date(d.date(), page.locale)),
        n,
    }
}

pub(super) async fn list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
) -> Result<Response, WebError> {
    let list = app.db.with_tenant(&me.tenant, |tx| Box::pin(newsletters::list(tx, 100, 0))).await?;
    let ctx = ListPage { newsletters: list.into_iter().map(|n| view(n, &page)).collect() };
    render(&app, "admin/newsletters.html", StatusCode::OK, &page, "newsletters", ctx)
}

#[derive(Serialize)]
struct FormPage<'a> {
    form: &'a FormState,
    audiences: Vec<&'static str>,
    action: String,
    editing: bool,
}

fn audiences() -> Vec<&'static str> {
    AUDIENCES.iter().copied().chain(["structure"]).collect()
}

pub(super) async fn new_form(
    State(app): State<AppState>,
    RegionAdmin(_me): RegionAdmin,
    page: Page,
) -> Result<Response, WebError> {
    let ctx = FormPage {
        form: &FormState::default(),
        audiences: audiences(),
        action: "/admin/lettres".into(),
        editing: false,
    };
    render(&app, "admin/newsletter_form.html", StatusCode::OK, &page, "newsletters", ctx)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewsletterForm {
    subject: String,
    body: String,
    audience: String,
    tag: String,
}

impl NewsletterForm {
    fn parse(&self, page: &Page) -> Result<Draft, FormState> {
        let l = page.locale;
        let mut form = FormState::default()
            .value("subject", &self.subject)
            .value("body", &self.body)
            .value("audience", &self.audience)
            .value("tag", &self.tag);
        let subject = self.subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() || subject.chars().count() > 200 {
            form.field_error("subject", t(l, "admin.newsletters.errors.subject", &[]));
        }
        let body = self.body.replace("\r\n", "\n");
        if body.trim().is_empty() || body.chars().count() > 50_000 {
            form.field_error("body", t(l, "admin.newsletters.errors.body", &[]));
        }
        let audience = match self.audience.as_str() {
            "" => None,
            a if audiences().contains(&a) => Some(a.to_owned()),
            _ => {
                form.field_error("audience", t(l, "admin.newsletters.errors.audience", &[]));
                None
            }
        };
        let tag = match self.tag.trim() {
            "" => None,
            tag => match echos_domain::contribution::tag(tag) {
                Some(tag) => Some(tag),
                None => {
                    form.field_error("tag", t(l, "admin.newsletters.errors.tag", &[]));
                    None
                }
            },
        };
        if form.is_ok() { Ok(Draft { subject, body_md: body.trim().to_owned(), audience, tag }) } else { Err(form) }
    }
}

pub(super) async fn create(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfForm(f): CsrfForm<NewsletterForm>,
) -> Result<Response, WebError> {
    let draft = match f.parse(&page) {
        Ok(d) => d,
        Err(form) => {
            let ctx = FormPage { form: &form, audiences: audiences(), action: "/admin/lettres".into(), editing: false };
            return render(
                &app,
                "admin/newsletter_form.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
                "newsletters",
                ctx,
            );
        }
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let id = newsletters::create(&mut tx, &me.member, &draft).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/lettres/{id}")).into_response())
}

#[derive(Serialize)]
struct ShowPage<'a> {
    n: NewsletterView,
    reach: i64,
    form: &'a FormState,
    audiences: Vec<&'static str>,
    notice: Option<String>,
}

async fn show_newsletter(
    app: &AppState,
    me: &crate::gate::SignedIn,
    page: &Page,
    id: i64,
    form: Option<FormState>,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let (n, reach) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let Some(n) = newsletters::get(tx, id).await? else { return Ok(None) };
                let reach = newsletters::audience_size(tx, n.audience.as_deref(), n.tag.as_deref()).await?;
                Ok(Some((n, reach)))
            })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let form = form.unwrap_or_else(|| {
        FormState::default()
            .value("subject", &n.subject)
            .value("body", &n.body_md)
            .value("audience", n.audience.as_deref().unwrap_or_default())
            .value("tag", n.tag.as_deref().unwrap_or_default())
    });
    let ctx = ShowPage { n: view(n, page), reach, form: &form, audiences: audiences(), notice };
    render(app, "admin/newsletter.html", status, page, "newsletters", ctx)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Notice {
    ok: String,
}

pub(super) async fn show(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<Notice>,
) -> Result<Response, WebError> {
    let notice = ["saved", "test", "sent"]
        .into_iter()
        .find(|n| *n == q.ok)
        .map(|n| t(page.locale, &format!("admin.newsletters.notice.{n}"), &[]));
    show_newsletter(&app, &me, &page, id, None, StatusCode::OK, notice).await
}

pub(super) async fn update(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<NewsletterForm>,
) -> Result<Response, WebError> {
    let draft = match f.parse(&page) {
        Ok(d) => d,
        Err(form) => {
            return show_newsletter(&app, &me, &page, id, Some(form), StatusCode::UNPROCESSABLE_ENTITY, None).await;
        }
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    newsletters::update(&mut tx, &me.member, id, &draft).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/lettres/{id}?ok=saved")).into_response())
}

/// Sends the newsletter to the admin alone, as members would get it.
pub(super) async fn test_send(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let n = app.db.with_tenant(&me.tenant, |tx| Box::pin(newsletters::get(tx, id))).await?.ok_or(WebError::NotFound)?;
    let to = echos_core::accounts::email_of(app.db.platform(), me.account_id).await?.ok_or(WebError::NotFound)?;
    let mail = crate::worker::newsletter_mail(&app, &me.tenant, &n, &to, &me.member.display_name, None)?;
    app.mailer.send(&mail).await?;
    Ok(Redirect::to(&format!("/admin/lettres/{id}?ok=test")).into_response())
}

pub(super) async fn send(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    newsletters::send(&mut tx, me.tenant.id, &me.member, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/lettres/{id}?ok=sent")).into_response())
}

#[derive(Serialize)]
struct UnsubscribePage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    token: String,
    done: bool,
    valid: bool,
}

/// The unsubscribe link, opened in a browser: a button to confirm.
pub async fn unsubscribe_form(
    State(app): State<AppState>,
    _r: Region,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let valid = (32..=100).contains(&token.len()) && token.chars().all(|c| c.is_ascii_hexdigit());
    let ctx = UnsubscribePage { page: &page, token, done: false, valid };
    let status = if valid { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, Html(app.templates.render("pages/unsubscribe.html", ctx)?)).into_response())
}

/// One-click unsubscribe (RFC 8058): the mail client, or the page's button, posts here. The
/// token in the address is the authority; no session and no form token are needed (the mail
/// client has neither).
pub async fn unsubscribe(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let done = app
        .db
        .with_tenant(&tenant, |tx| {
            let token = token.clone();
            Box::pin(async move { newsletters::unsubscribe(tx, &token).await })
        })
        .await?;
    if !done {
        return Err(WebError::NotFound);
    }
    let ctx = UnsubscribePage { page: &page, token, done: true, valid: true };
    Ok(Html(app.templates.render("pages/unsubscribe.html", ctx)?).into_response())
}
