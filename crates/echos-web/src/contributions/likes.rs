//! "J'aime": one per member and contribution, taken back by a second press.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::{TenantTx, contributions};
use echos_domain::contribution::Kind;

use crate::error::WebError;
use crate::forms::Empty;
use crate::gate::{CsrfForm, SignedIn};
use crate::state::AppState;

pub(super) async fn toggle_like(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    if let Err(e) = contributions::toggle_like(&mut tx, id, me.member.id).await {
        tx.rollback().await?;
        return Err(e.into());
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/{}/{id}#jaime", kind.segment())).into_response())
}
