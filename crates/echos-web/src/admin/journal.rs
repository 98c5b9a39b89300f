//! The audit log (`/admin/journal`): every admin action — who, what, when, before and after —,
//! filtered by kind of action, 50 a page, kept a year.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use echos_core::admin::audit;
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::format::{long_date, urlencode};
use crate::gate::RegionAdmin;
use crate::site::Page;
use crate::state::AppState;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct JournalQuery {
    action: String,
    page: String,
}

#[derive(Serialize)]
struct JournalPage {
    entries: Vec<EntryView>,
    actions: Vec<String>,
    action: String,
    prev_url: Option<String>,
    next_url: Option<String>,
    page_number: i64,
}

#[derive(Serialize)]
struct EntryView {
    when: String,
    time: String,
    actor: String,
    action: String,
    target: String,
    before: Option<String>,
    after: Option<String>,
}

pub(super) async fn list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(q): Query<JournalQuery>,
) -> Result<Response, WebError> {
    let number: i64 = match q.page.trim() {
        "" => 1,
        p => p.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or(WebError::BadRequest)?,
    };
    let action = q.action.trim().to_owned();
    if action.len() > 60 || !action.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_') {
        return Err(WebError::BadRequest);
    }
    let filter = (!action.is_empty()).then(|| action.clone());
    let (mut entries, actions) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            let filter = filter.clone();
            Box::pin(async move {
                let entries = audit::list(tx, filter.as_deref(), PER_PAGE + 1, (number - 1) * PER_PAGE).await?;
                Ok((entries, audit::actions(tx).await?))
            })
        })
        .await?;
    let has_next = entries.len() as i64 > PER_PAGE;
    entries.truncate(PER_PAGE as usize);
    let show = |v: Option<serde_json::Value>| v.filter(|v| !v.is_null()).map(|v| v.to_string());
    let url = |n: i64| {
        let mut parts = Vec::new();
        if !action.is_empty() {
            parts.push(format!("action={}", urlencode(&action)));
        }
        if n > 1 {
            parts.push(format!("page={n}"));
        }
        if parts.is_empty() { "/admin/journal".to_owned() } else { format!("/admin/journal?{}", parts.join("&")) }
    };
    let ctx = JournalPage {
        entries: entries
            .into_iter()
            .map(|e| EntryView {
                when: long_date(e.at.date(), page.locale),
                time: format!("{:02}:{:02}", e.at.hour(), e.at.minute()),
                actor: e.actor_name,
                action: e.action,
                target: e.target,
                before: show(e.before),
                after: show(e.after),
            })
            .collect(),
        actions,
        prev_url: (number > 1).then(|| url(number - 1)),
        next_url: has_next.then(|| url(number + 1)),
        page_number: number,
        action,
    };
    render(&app, "admin/journal.html", StatusCode::OK, &page, "journal", ctx)
}
