//! A vote, or its withdrawal: one member, one project, while the period is open; only from a
//! confirmed address when the region asks for it; within the call's allowance.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::TenantTx;
use echos_core::projects::{self, Voted};
use serde::Deserialize;

use crate::error::WebError;
use crate::gate::{CsrfForm, SignedIn};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct VoteForm {
    /// `vote` or `withdraw`.
    action: String,
}

pub(super) async fn vote(
    State(app): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<VoteForm>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let Some(item) = echos_core::contributions::get(&mut tx, id)
        .await?
        .filter(|c| c.kind == echos_domain::contribution::Kind::Project && c.is_published())
    else {
        tx.rollback().await?;
        return Err(WebError::NotFound);
    };
    let back = |outcome: &str| Redirect::to(&format!("{}?vote={outcome}#soutenir", item.url())).into_response();
    let settings = echos_core::settings::region(&mut tx).await?;
    if settings.votes_need_confirmation && !echos_core::accounts::is_confirmed(app.db.platform(), me.account_id).await?
    {
        tx.rollback().await?;
        return Ok(back("confirmer"));
    }
    let outcome = match f.action.as_str() {
        "vote" => match projects::vote(&mut tx, id, me.member.id).await? {
            Voted::Counted | Voted::Already => "compte",
            Voted::NoSuchProject => {
                tx.rollback().await?;
                return Err(WebError::NotFound);
            }
            Voted::Closed => "ferme",
            Voted::NoVotesLeft => {
                // The vote just written goes: the allowance is used up.
                tx.rollback().await?;
                return Ok(back("epuise"));
            }
        },
        "withdraw" => {
            if projects::withdraw(&mut tx, id, me.member.id).await? {
                "retire"
            } else {
                "ferme"
            }
        }
        _ => {
            tx.rollback().await?;
            return Err(WebError::BadRequest);
        }
    };
    tx.commit().await?;
    Ok(back(outcome))
}
