//! A forgotten password: the address, then a single-use link (one hour, bound to the region,
//! always on the region's registered host) to choose a new one.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use echos_core::accounts;
use echos_domain::member::{Email, Password};
use serde::{Deserialize, Serialize};

use super::passwords::{hash, password_message};
use crate::error::WebError;
use crate::forms::{FormState, NoExtra, render_form, too_many};
use crate::gate::{CsrfForm, CsrfRefused, Region};
use crate::i18n::t;
use crate::limits::Action;
use crate::session::ClientAddress;
use crate::site::Page;
use crate::state::AppState;

pub(super) async fn forgot_form(State(app): State<AppState>, _r: Region, page: Page) -> Result<Response, WebError> {
    render_form(&app, "auth/forgot.html", StatusCode::OK, &page, &FormState::default(), NoExtra {})
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ForgotForm {
    email: String,
}

#[derive(Serialize)]
struct Sent<'a> {
    #[serde(flatten)]
    page: &'a Page,
    email: &'a str,
}

pub(super) async fn forgot(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    form: Result<CsrfForm<ForgotForm>, CsrfRefused<ForgotForm>>,
) -> Result<Response, WebError> {
    let f = match form {
        Ok(CsrfForm(f)) => f,
        Err(CsrfRefused { form: Some(f), .. }) => {
            let mut form = FormState::default().value("email", &f.email);
            form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
            return render_form(&app, "auth/forgot.html", StatusCode::FORBIDDEN, &page, &form, NoExtra {});
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let mut form = FormState::default().value("email", &f.email);
    if let Err(wait) = app.limiter.check(Action::Reset, &tenant.slug, &address.0, Some(f.email.trim())) {
        form.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return too_many(
            render_form(&app, "auth/forgot.html", StatusCode::TOO_MANY_REQUESTS, &page, &form, NoExtra {}),
            wait,
        );
    }
    let Some(email) = Email::parse(&f.email) else {
        form.field_error("email", t(page.locale, "auth.errors.email", &[]));
        return render_form(&app, "auth/forgot.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, NoExtra {});
    };
    // The same answer whether or not an account has this address.
    accounts::request_reset(app.db.platform(), tenant.id, &email).await?;
    Ok(Html(app.templates.render("auth/forgot_done.html", Sent { page: &page, email: email.as_str() })?)
        .into_response())
}

#[derive(Serialize)]
struct ResetExtra<'a> {
    token: &'a str,
    valid: bool,
}

pub(super) async fn reset_form(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let valid = token.len() <= 100 && accounts::token_is_live(app.db.platform(), tenant.id, &token, "reset").await?;
    let status = if valid { StatusCode::OK } else { StatusCode::GONE };
    render_form(&app, "auth/reset.html", status, &page, &FormState::default(), ResetExtra { token: &token, valid })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ResetForm {
    password: String,
}

pub(super) async fn reset(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    Path(token): Path<String>,
    form: Result<CsrfForm<ResetForm>, CsrfRefused<ResetForm>>,
) -> Result<Response, WebError> {
    let mut state = FormState::default();
    let extra = ResetExtra { token: &token, valid: true };
    let f = match form {
        Ok(CsrfForm(f)) => f,
        Err(CsrfRefused { form: Some(_), .. }) => {
            state.error = Some(t(page.locale, "auth.errors.csrf", &[]));
            return render_form(&app, "auth/reset.html", StatusCode::FORBIDDEN, &page, &state, extra);
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    // Counted per address and per link: guessing links, or hammering one, is slow.
    if let Err(wait) = app.limiter.check(Action::Reset, &tenant.slug, &address.0, Some(&token)) {
        state.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return too_many(
            render_form(&app, "auth/reset.html", StatusCode::TOO_MANY_REQUESTS, &page, &state, extra),
            wait,
        );
    }
    // The link first: no hashing (costly by design) for a dead or made-up one.
    let live = token.len() <= 100 && accounts::token_is_live(app.db.platform(), tenant.id, &token, "reset").await?;
    if !live {
        let extra = ResetExtra { token: &token, valid: false };
        return render_form(&app, "auth/reset.html", StatusCode::GONE, &page, &state, extra);
    }
    let password = match Password::parse(&f.password) {
        Ok(p) => p,
        Err(e) => {
            state.field_error("password", password_message(&page, e));
            return render_form(&app, "auth/reset.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &state, extra);
        }
    };
    let hash = hash(&app, password).await?;
    if !accounts::reset_password(app.db.platform(), tenant.id, &token, &hash).await? {
        let extra = ResetExtra { token: &token, valid: false };
        return render_form(&app, "auth/reset.html", StatusCode::GONE, &page, &state, extra);
    }
    Ok(Html(app.templates.render("auth/reset_done.html", &page)?).into_response())
}
