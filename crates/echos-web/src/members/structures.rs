//! A structure (a museum, a lab, an association) names the people who publish on its behalf; a
//! person may stop.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::{TenantTx, structures};
use echos_domain::member::MemberKind;
use serde::Deserialize;

use super::space::render_space;
use crate::error::WebError;
use crate::forms::{Empty, FormState};
use crate::gate::{CsrfForm, SignedIn};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ManagerForm {
    handle: String,
}

/// A structure names a person who publishes on its behalf.
pub(super) async fn add_manager(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    axum::Extension(address): axum::Extension<crate::session::ClientAddress>,
    CsrfForm(f): CsrfForm<ManagerForm>,
) -> Result<Response, WebError> {
    if me.member.kind != MemberKind::Structure {
        return Err(WebError::Forbidden);
    }
    let mut form = FormState::default().value("handle", &f.handle);
    // Each naming notifies (and may mail) the person named: a few an hour.
    let account = me.account_id.to_string();
    if let Err(wait) = app.limiter.check(crate::limits::Action::MailOut, &me.tenant.slug, &address.0, Some(&account)) {
        form.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return crate::forms::too_many(
            render_space(&app, &page, &me, &form, StatusCode::TOO_MANY_REQUESTS).await,
            wait,
        );
    }
    let handle = f.handle.trim().trim_start_matches('@').to_lowercase();
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    match structures::add_manager(&mut tx, me.tenant.id, me.member.id, &handle).await? {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/mon-espace#au-nom-de").into_response())
        }
        Err(refusal) => {
            tx.rollback().await?;
            let key = match refusal {
                structures::AddRefusal::Unknown => "structures.errors.unknown",
                structures::AddRefusal::NotAPerson => "structures.errors.not_a_person",
            };
            form.field_error("handle", t(page.locale, key, &[("handle", handle)]));
            render_space(&app, &page, &me, &form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A person stops publishing on behalf of a structure.
pub(super) async fn leave_structure(
    State(app): State<AppState>,
    me: SignedIn,
    Path(structure_id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    structures::remove_manager(&mut tx, structure_id, me.member.id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace#au-nom-de").into_response())
}

/// A structure stops someone publishing on its behalf.
pub(super) async fn remove_manager(
    State(app): State<AppState>,
    me: SignedIn,
    Path(member_id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    if me.member.kind != MemberKind::Structure {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    structures::remove_manager(&mut tx, me.member.id, member_id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace#au-nom-de").into_response())
}
