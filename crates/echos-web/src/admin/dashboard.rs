//! The console's front page: the region at a glance, the latest admin actions, where to go.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use echos_core::admin::{audit, stats};
use serde::Serialize;

use super::render;
use crate::error::WebError;
use crate::format::long_date;
use crate::gate::RegionAdmin;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct Dashboard {
    overview: stats::Overview,
    recent: Vec<RecentAction>,
}

#[derive(Serialize)]
pub(super) struct RecentAction {
    pub(super) when: String,
    pub(super) actor: String,
    pub(super) action: String,
    pub(super) target: String,
}

pub(super) async fn dashboard(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
) -> Result<Response, WebError> {
    let (overview, recent) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move { Ok((stats::overview(tx).await?, audit::list(tx, None, 5, 0).await?)) })
        })
        .await?;
    let recent = recent
        .into_iter()
        .map(|e| RecentAction {
            when: long_date(e.at.date(), page.locale),
            actor: e.actor_name,
            action: e.action,
            target: e.target,
        })
        .collect();
    render(&app, "admin/dashboard.html", StatusCode::OK, &page, "dashboard", Dashboard { overview, recent })
}
