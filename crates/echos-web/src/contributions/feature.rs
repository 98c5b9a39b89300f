//! "À la une": the region's editors and admins put a published contribution on the home page,
//! or take it off. Recorded in the audit log.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::{TenantTx, contributions};
use echos_domain::contribution::Kind;

use crate::error::WebError;
use crate::forms::Empty;
use crate::gate::{CsrfForm, RegionEditor};
use crate::state::AppState;

pub(super) async fn toggle_featured(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    RegionEditor(me): RegionEditor,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    contributions::toggle_featured(&mut tx, &me.member, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/{}/{id}#une", kind.segment())).into_response())
}
