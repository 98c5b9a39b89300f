//! Following a member (a person or a structure) or a tag, and stopping.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::{TenantTx, follows};
use serde::Deserialize;

use super::profile::member_here;
use crate::error::WebError;
use crate::format::urlencode;
use crate::forms::Empty;
use crate::gate::{CsrfForm, SignedIn, is_local_path};
use crate::state::AppState;

pub(super) async fn follow_member(
    State(app): State<AppState>,
    me: SignedIn,
    Path(handle): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let followed = member_here(&app, &me.tenant, &handle).await?;
    if followed.id == me.member.id {
        return Err(WebError::BadRequest);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    follows::toggle_member(&mut tx, me.member.id, followed.id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/membres/{}#suivre", urlencode(&handle))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct FollowTagForm {
    /// Where to go back to: a local path only.
    retour: String,
}

pub(super) async fn follow_tag(
    State(app): State<AppState>,
    me: SignedIn,
    Path(tag): Path<String>,
    CsrfForm(f): CsrfForm<FollowTagForm>,
) -> Result<Response, WebError> {
    let back = if is_local_path(&f.retour) { f.retour.clone() } else { format!("/articles?tag={}", urlencode(&tag)) };
    let tag = echos_domain::contribution::tag(&tag).ok_or(WebError::BadRequest)?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    if let Err(e) = follows::toggle_tag(&mut tx, me.member.id, &tag).await {
        tx.rollback().await?;
        return Err(e.into());
    }
    tx.commit().await?;
    Ok(Redirect::to(&back).into_response())
}
