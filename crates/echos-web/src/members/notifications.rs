//! A member's notifications (`/mon-espace/notifications`): the latest hundred, marked read.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::{TenantTx, notifications};
use serde::Serialize;

use crate::error::WebError;
use crate::format::long_date;
use crate::forms::Empty;
use crate::gate::{CsrfForm, SignedIn};
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct NotificationsPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    notifications: Vec<NotificationView>,
}

#[derive(Serialize)]
struct NotificationView {
    kind: String,
    message: String,
    link: Option<String>,
    when: String,
    read: bool,
}

/// The member's notifications, newest first (the latest 100).
pub(super) async fn list_notifications(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
) -> Result<Response, WebError> {
    let member_id = me.member.id;
    let list = app.db.with_tenant(&me.tenant, |tx| Box::pin(notifications::latest(tx, member_id, 100))).await?;
    let notifications = list
        .into_iter()
        .map(|n| NotificationView {
            when: long_date(n.created_at.date(), page.locale),
            kind: n.kind,
            message: n.message,
            link: n.link,
            read: n.read,
        })
        .collect();
    Ok(Html(app.templates.render("members/notifications.html", NotificationsPage { page: &page, notifications })?)
        .into_response())
}

pub(super) async fn mark_read(
    State(app): State<AppState>,
    me: SignedIn,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    notifications::mark_all_read(&mut tx, me.member.id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace/notifications").into_response())
}
