//! Joining a further region with the account one already has: a profile of its own here.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::{TenantTx, accounts};
use serde::{Deserialize, Serialize};

use super::ProfileForm;
use crate::error::WebError;
use crate::forms::{FormState, render_form};
use crate::gate::{CsrfForm, CsrfRefused, Region};
use crate::i18n::t;
use crate::session::Viewer;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct JoinExtra {
    account_email: String,
}

/// The signed-in account that has not joined this region yet; else where to go.
fn joining(viewer: Option<Extension<Viewer>>) -> Result<Viewer, Redirect> {
    match viewer {
        None => Err(Redirect::to("/connexion?next=/rejoindre")),
        Some(Extension(v)) if v.member.is_some() => Err(Redirect::to("/mon-espace")),
        Some(Extension(v)) => Ok(v),
    }
}

pub(super) async fn join_form(
    State(app): State<AppState>,
    _r: Region,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let viewer = match joining(viewer) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let account_email = accounts::email_of(app.db.platform(), viewer.account_id).await?.unwrap_or_default();
    let form = FormState::default().value("kind", "person");
    render_form(&app, "auth/join.html", StatusCode::OK, &page, &form, JoinExtra { account_email })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct JoinForm {
    #[serde(flatten)]
    profile: ProfileForm,
}

pub(super) async fn join(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    form: Result<CsrfForm<JoinForm>, CsrfRefused<JoinForm>>,
) -> Result<Response, WebError> {
    let Some(Extension(viewer)) = viewer else { return Ok(Redirect::to("/connexion?next=/rejoindre").into_response()) };
    let account_email = accounts::email_of(app.db.platform(), viewer.account_id).await?.unwrap_or_default();
    let extra = JoinExtra { account_email };
    let f = match form {
        Ok(CsrfForm(f)) => f,
        Err(CsrfRefused { form: Some(f), .. }) => {
            let mut form = f.profile.keep(FormState::default());
            form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
            return render_form(&app, "auth/join.html", StatusCode::FORBIDDEN, &page, &form, extra);
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    if viewer.member.is_some() {
        return Ok(Redirect::to("/mon-espace").into_response());
    }
    let mut form = f.profile.keep(FormState::default());
    let Some(profile) = f.profile.parse(&page, &mut form) else {
        return render_form(&app, "auth/join.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, extra);
    };
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    accounts::join(&mut tx, tenant.id, viewer.account_id, &profile).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace").into_response())
}
