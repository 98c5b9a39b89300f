//! The region's members (`/admin/membres`): a list with search and filters (kind, role, confirmed
//! address, joined and last active), pages of 50, each member's page with their role and
//! sanctions, and the export as CSV (formulas neutralised). A region never loses its last admin.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::admin::members::{self, Filter, RoleRefusal, Row, Sanction};
use echos_domain::member::{MemberKind, Role};
use serde::{Deserialize, Serialize};

use super::render;
use crate::csv;
use crate::error::WebError;
use crate::format::{long_date, urlencode};
use crate::forms::FormState;
use crate::gate::{CsrfForm, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ListQuery {
    q: String,
    kind: String,
    role: String,
    /// `oui` or `non`.
    confirme: String,
    /// Joined in the last N days.
    inscrit: String,
    /// Seen in the last N days.
    actif: String,
    page: String,
}

impl ListQuery {
    fn filter(&self) -> Result<Filter, WebError> {
        fn given(v: &str) -> Option<&str> {
            Some(v.trim()).filter(|s| !s.is_empty())
        }
        let days = |v: &str| -> Result<Option<time::Date>, WebError> {
            given(v)
                .map(|d| {
                    let n: i64 = d.parse().ok().filter(|n| (1..=3650).contains(n)).ok_or(WebError::BadRequest)?;
                    Ok(time::OffsetDateTime::now_utc().date() - time::Duration::days(n))
                })
                .transpose()
        };
        Ok(Filter {
            id: None,
            text: given(&self.q).filter(|q| q.chars().count() <= 100).map(str::to_owned),
            kind: given(&self.kind).map(|k| MemberKind::parse(k).ok_or(WebError::BadRequest)).transpose()?,
            role: given(&self.role).map(|r| Role::parse(r).ok_or(WebError::BadRequest)).transpose()?,
            confirmed: match given(&self.confirme) {
                None => None,
                Some("oui") => Some(true),
                Some("non") => Some(false),
                Some(_) => return Err(WebError::BadRequest),
            },
            joined_since: days(&self.inscrit)?,
            active_since: days(&self.actif)?,
        })
    }

    fn page(&self) -> Result<i64, WebError> {
        match self.page.trim() {
            "" => Ok(1),
            p => p.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or(WebError::BadRequest),
        }
    }

    /// The query string of these filters, on page `n` (or for the export, without a page).
    fn query(&self, n: Option<i64>) -> String {
        let mut parts: Vec<String> = [
            ("q", &self.q),
            ("kind", &self.kind),
            ("role", &self.role),
            ("confirme", &self.confirme),
            ("inscrit", &self.inscrit),
            ("actif", &self.actif),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect();
        if let Some(n) = n.filter(|n| *n > 1) {
            parts.push(format!("page={n}"));
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }
}

#[derive(Serialize)]
struct MembersPage<'a> {
    members: Vec<MemberLine>,
    total: i64,
    filters: &'a ListQueryView,
    prev_url: Option<String>,
    next_url: Option<String>,
    export_url: String,
    page_number: i64,
}

#[derive(Serialize)]
struct ListQueryView {
    q: String,
    kind: String,
    role: String,
    confirme: String,
    inscrit: String,
    actif: String,
    any: bool,
}

#[derive(Serialize)]
struct MemberLine {
    #[serde(flatten)]
    row: Row,
    joined: String,
    seen: Option<String>,
    suspended: Option<String>,
}

fn line(row: Row, page: &Page) -> MemberLine {
    let now = time::OffsetDateTime::now_utc();
    MemberLine {
        joined: long_date(row.joined_at.date(), page.locale),
        seen: row.last_seen_at.map(|d| long_date(d.date(), page.locale)),
        suspended: row.suspended_until.filter(|u| *u > now).map(|d| long_date(d.date(), page.locale)),
        row,
    }
}

pub(super) async fn list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filter = q.filter()?;
    let number = q.page()?;
    let offset = (number - 1) * PER_PAGE;
    let (rows, total) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            let filter = filter.clone();
            Box::pin(async move { members::list(tx, &filter, PER_PAGE, offset).await })
        })
        .await?;
    let view = ListQueryView {
        any: !q.query(None).is_empty(),
        q: q.q.clone(),
        kind: q.kind.clone(),
        role: q.role.clone(),
        confirme: q.confirme.clone(),
        inscrit: q.inscrit.clone(),
        actif: q.actif.clone(),
    };
    let ctx = MembersPage {
        members: rows.into_iter().map(|r| line(r, &page)).collect(),
        total,
        filters: &view,
        prev_url: (number > 1).then(|| format!("/admin/membres{}", q.query(Some(number - 1)))),
        next_url: (number * PER_PAGE < total).then(|| format!("/admin/membres{}", q.query(Some(number + 1)))),
        export_url: format!("/admin/membres/export.csv{}", q.query(None)),
        page_number: number,
    };
    render(&app, "admin/members.html", StatusCode::OK, &page, "members", ctx)
}

/// The members matching the list's filters, every page, as CSV.
pub(super) async fn export(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filter = q.filter()?;
    let (rows, _) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            let filter = filter.clone();
            Box::pin(async move { members::list(tx, &filter, 100_000, 0).await })
        })
        .await?;
    let lines = rows.into_iter().map(|r| {
        vec![
            r.handle,
            r.display_name,
            r.email,
            r.kind.as_str().to_owned(),
            r.audience.unwrap_or_default(),
            r.role.code().to_owned(),
            if r.confirmed { "oui" } else { "non" }.to_owned(),
            r.joined_at.date().to_string(),
            r.last_seen_at.map(|d| d.date().to_string()).unwrap_or_default(),
            r.contributions.to_string(),
        ]
    });
    let header = [
        "handle",
        "nom",
        "email",
        "type",
        "public",
        "role",
        "confirme",
        "inscription",
        "derniere_visite",
        "publications",
    ];
    Ok(csv::attachment(&format!("membres-{}.csv", me.tenant.slug), csv::document(&header, lines)))
}

#[derive(Serialize)]
struct MemberPage<'a> {
    member: MemberLine,
    roles: [&'static str; 3],
    form: &'a FormState,
    is_me: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Notice {
    ok: String,
}

async fn show_member(
    app: &AppState,
    me: &crate::gate::SignedIn,
    page: &Page,
    id: i64,
    form: &FormState,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let row = app.db.with_tenant(&me.tenant, |tx| Box::pin(members::get(tx, id))).await?;
    let ctx = MemberPage {
        is_me: row.id == me.member.id,
        member: line(row, page),
        roles: ["member", "editor", "admin"],
        form,
        notice,
    };
    render(app, "admin/member.html", status, page, "members", ctx)
}

pub(super) async fn show(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<Notice>,
) -> Result<Response, WebError> {
    let notice = ["role", "sanction"]
        .into_iter()
        .find(|n| *n == q.ok)
        .map(|n| t(page.locale, &format!("admin.members.notice.{n}"), &[]));
    show_member(&app, &me, &page, id, &FormState::default(), StatusCode::OK, notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RoleForm {
    role: String,
}

pub(super) async fn set_role(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> Result<Response, WebError> {
    let role = Role::parse(&f.role).ok_or(WebError::BadRequest)?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    match members::set_role(&mut tx, &me.member, id, role).await? {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/admin/membres/{id}?ok=role")).into_response())
        }
        Err(RoleRefusal::LastAdmin) => {
            tx.rollback().await?;
            let mut form = FormState::default();
            form.field_error("role", t(page.locale, "admin.members.errors.last_admin", &[]));
            show_member(&app, &me, &page, id, &form, StatusCode::CONFLICT, None).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SanctionForm {
    /// `suspend`, `ban` or `lift`.
    action: String,
    /// Days of a suspension.
    days: String,
    reason: String,
}

pub(super) async fn sanction(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<SanctionForm>,
) -> Result<Response, WebError> {
    if id == me.member.id {
        return Err(WebError::Forbidden);
    }
    let l = page.locale;
    let mut form = FormState::default().value("days", &f.days).value("reason", &f.reason).value("action", &f.action);
    let reason = f.reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let needs_reason = f.action != "lift";
    if needs_reason && (reason.is_empty() || reason.chars().count() > 500) {
        form.field_error("reason", t(l, "admin.members.errors.reason", &[]));
    }
    let sanction = match f.action.as_str() {
        "suspend" => match f.days.trim().parse::<i64>().ok().filter(|d| (1..=365).contains(d)) {
            Some(days) => Some(Sanction::Suspend {
                until: time::OffsetDateTime::now_utc() + time::Duration::days(days),
                reason: reason.clone(),
            }),
            None => {
                form.field_error("days", t(l, "admin.members.errors.days", &[]));
                None
            }
        },
        "ban" => Some(Sanction::Ban { reason: reason.clone() }),
        "lift" => Some(Sanction::Lift),
        _ => return Err(WebError::BadRequest),
    };
    let (Some(sanction), true) = (sanction, form.is_ok()) else {
        return show_member(&app, &me, &page, id, &form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    // Told in the region's language (the notification is stored as text).
    let tl = me.tenant.default_locale;
    let message = match &sanction {
        Sanction::Suspend { until, reason } => t(
            tl,
            "admin.members.told.suspend",
            &[("date", crate::format::long_date(until.date(), tl)), ("reason", reason.clone())],
        ),
        Sanction::Ban { reason } => t(tl, "admin.members.told.ban", &[("reason", reason.clone())]),
        Sanction::Lift => t(tl, "admin.members.told.lift", &[]),
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    members::sanction(&mut tx, me.tenant.id, &me.member, id, &sanction, &message).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/membres/{id}?ok=sanction")).into_response())
}
