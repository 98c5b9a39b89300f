//! Moderation after the fact: reporting (`/signaler`), a decision on a reported item
//! (`/moderation/decision`, from a community's queue or the console's), and an author's request
//! for review of their hidden contribution. Who may decide what is `echos_core::moderation`'s.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use echos_core::moderation::{self, Decision, DecisionRefusal, Refusal, Reported, Reporter, Sanction, Target};
use echos_core::{TenantTx, settings};
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::forms::{Empty, FormState, render_form};
use crate::gate::{CsrfForm, SignedIn, is_local_path};
use crate::i18n::t;
use crate::routes::Routes;
use crate::site::Page;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new().route("/signaler", get(report_form).post(report)).route("/moderation/decision", post(decide))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct WhatQuery {
    #[serde(rename = "type")]
    kind: String,
    id: i64,
    retour: String,
}

#[derive(Serialize)]
struct ReportExtra {
    kind: String,
    id: i64,
    /// What is reported, in words (its title, the profile's name…).
    title: String,
    back: String,
    reasons: &'static [&'static str],
    done: bool,
}

fn back_of(retour: &str) -> String {
    if is_local_path(retour) { retour.to_owned() } else { "/".to_owned() }
}

async fn title_of(app: &AppState, me: &SignedIn, target: Target) -> Result<Option<String>, WebError> {
    let found = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let t = match target {
                    Target::Contribution(id) => {
                        sqlx::query_scalar!(
                            "SELECT title FROM contributions WHERE id = $1 AND status = 'published'",
                            id
                        )
                        .fetch_optional(&mut **tx)
                        .await
                    }
                    Target::Comment(id) => {
                        sqlx::query_scalar!(
                            "SELECT left(k.body_md, 80) AS \"t!\" FROM comments k JOIN contributions c ON c.id = k.contribution_id
                              WHERE k.id = $1 AND k.status = 'visible' AND c.status = 'published'",
                            id
                        )
                        .fetch_optional(&mut **tx)
                        .await
                    }
                    Target::Community(id) => {
                        sqlx::query_scalar!("SELECT name FROM communities WHERE id = $1 AND status = 'active'", id)
                            .fetch_optional(&mut **tx)
                            .await
                    }
                    Target::Member(id) => {
                        sqlx::query_scalar!("SELECT display_name FROM members WHERE id = $1 AND hidden_at IS NULL", id)
                            .fetch_optional(&mut **tx)
                            .await
                    }
                };
                t.map_err(|e| echos_core::CoreError::Unexpected(e.into()))
            })
        })
        .await?;
    Ok(found)
}

/// The form that reports an item: the reasons, and a few words more.
pub(super) async fn report_form(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Query(q): Query<WhatQuery>,
) -> Result<Response, WebError> {
    let target = Target::parse(&q.kind, q.id).ok_or(WebError::NotFound)?;
    let title = title_of(&app, &me, target).await?.ok_or(WebError::NotFound)?;
    let x = ReportExtra {
        kind: q.kind,
        id: q.id,
        title,
        back: back_of(&q.retour),
        reasons: moderation::REASONS,
        done: false,
    };
    render_form(&app, "moderation/report.html", StatusCode::OK, &page, &FormState::default(), x)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ReportForm {
    #[serde(rename = "type")]
    kind: String,
    id: i64,
    reason: String,
    details: String,
    retour: String,
}

pub(super) async fn report(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    axum::Extension(address): axum::Extension<crate::session::ClientAddress>,
    CsrfForm(f): CsrfForm<ReportForm>,
) -> Result<Response, WebError> {
    let l = page.locale;
    let target = Target::parse(&f.kind, f.id).ok_or(WebError::NotFound)?;
    // Only what anyone can see is reported (a hidden or draft item, or what it carries, is not there).
    let title = title_of(&app, &me, target).await?.ok_or(WebError::NotFound)?;
    let mut form = FormState::default().value("reason", &f.reason).value("details", &f.details);
    let x = |done: bool| ReportExtra {
        kind: f.kind.clone(),
        id: f.id,
        title: title.clone(),
        back: back_of(&f.retour),
        reasons: moderation::REASONS,
        done,
    };
    if !moderation::REASONS.contains(&f.reason.as_str()) {
        form.field_error("reason", t(l, "moderation.errors.reason", &[]));
    }
    let details = f.details.trim().to_owned();
    if details.chars().count() > 1000 || (f.reason == "other" && details.is_empty()) {
        form.field_error("details", t(l, "moderation.errors.details", &[]));
    }
    if !form.is_ok() {
        return render_form(&app, "moderation/report.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, x(false));
    }
    if let Some(hold) = crate::limits::may_write(&app, &me, crate::limits::Writing::Other, Some(&address)).await? {
        form.error = Some(hold.message(l));
        return hold.answer(render_form(&app, "moderation/report.html", hold.status(), &page, &form, x(false)));
    }
    let confirmed = echos_core::accounts::is_confirmed(app.db.platform(), me.account_id).await?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let s = settings::region(&mut tx).await?;
    let by = Reporter { member: &me.member, confirmed };
    let done = moderation::report(&mut tx, me.tenant.id, &by, target, &f.reason, &details, &s).await?;
    tx.commit().await?;
    match done {
        Ok(Reported::Recorded | Reported::Hidden) => {
            render_form(&app, "moderation/report.html", StatusCode::OK, &page, &FormState::default(), x(true))
        }
        Err(refusal) => {
            let (status, key) = match refusal {
                Refusal::Own => (StatusCode::UNPROCESSABLE_ENTITY, "moderation.errors.own"),
                Refusal::Twice => (StatusCode::CONFLICT, "moderation.errors.twice"),
                Refusal::NotFound => return Err(WebError::NotFound),
            };
            form.error = Some(t(l, key, &[]));
            render_form(&app, "moderation/report.html", status, &page, &form, x(false))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DecisionForm {
    #[serde(rename = "type")]
    kind: String,
    id: i64,
    /// `restore` or `remove`.
    decision: String,
    /// `none`, `warn`, `suspend`, `ban`.
    sanction: String,
    days: i64,
    note: String,
    retour: String,
}

/// A moderator's decision on a reported item; back to the queue it was taken from.
pub(super) async fn decide(
    State(app): State<AppState>,
    me: SignedIn,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> Result<Response, WebError> {
    let target = Target::parse(&f.kind, f.id).ok_or(WebError::NotFound)?;
    let sanction = match f.sanction.as_str() {
        "" | "none" => Sanction::None,
        "warn" => Sanction::Warn,
        "suspend" => Sanction::SuspendDays(f.days.clamp(1, 365)),
        "ban" => Sanction::Ban,
        _ => return Err(WebError::BadRequest),
    };
    let decision = match f.decision.as_str() {
        "restore" => Decision::Restore,
        "remove" => Decision::Remove { sanction },
        _ => return Err(WebError::BadRequest),
    };
    let note: String = f.note.trim().chars().take(500).collect();
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let done = moderation::decide(&mut tx, me.tenant.id, &me.member, target, &decision, &note).await?;
    tx.commit().await?;
    let back = back_of(&f.retour);
    let sep = if back.contains('?') { '&' } else { '?' };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{back}{sep}ok={}", f.decision)).into_response()),
        Err(DecisionRefusal::NotYours) => Err(WebError::Forbidden),
        Err(DecisionRefusal::NothingPending) => Ok(Redirect::to(&format!("{back}{sep}ok=nothing")).into_response()),
    }
}

/// The author of a hidden contribution asks a moderator to look at it again.
pub(crate) async fn request_review(
    State(app): State<AppState>,
    Extension(kind): Extension<echos_domain::contribution::Kind>,
    me: SignedIn,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let asked = moderation::request_review(&mut tx, &me.member, id).await?;
    tx.commit().await?;
    if !asked {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to(&format!("/{}/{id}?ok=review", kind.segment())).into_response())
}
