//! "I'm going" and "interested": a member says it (or withdraws) on an event's page; the counts
//! show there; those going are reminded the day before; the organiser sees the names of those who
//! agreed to be named.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::events;
use echos_domain::contribution::Kind;
use serde::Deserialize;

use crate::error::WebError;
use crate::gate::{CsrfForm, SignedIn};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AttendForm {
    /// `going`, `interested`, or `none` to withdraw.
    status: String,
    /// "on": the organiser may see my name.
    show_name: String,
}

pub(super) async fn attend(
    State(app): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<AttendForm>,
) -> Result<Response, WebError> {
    let status = match f.status.as_str() {
        "going" => Some("going"),
        "interested" => Some("interested"),
        "none" => None,
        _ => return Err(WebError::BadRequest),
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let item = echos_core::contributions::get(&mut tx, id).await?;
    let Some(item) = item.filter(|c| c.kind == Kind::Event && c.is_published()) else {
        tx.rollback().await?;
        return Err(WebError::NotFound);
    };
    events::set_attendance(&mut tx, id, me.member.id, status, f.show_name == "on").await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}#participer", item.url())).into_response())
}

/// A member's private agenda address (made on first use), from their space.
pub(super) async fn my_feed(State(app): State<AppState>, me: SignedIn) -> Result<Response, WebError> {
    let id = me.member.id;
    let token =
        app.db.with_tenant(&me.tenant, |tx| Box::pin(async move { events::agenda_token(tx, id).await })).await?;
    Ok(Redirect::to(&format!("/agenda/prive/{token}.ics")).into_response())
}
