//! Sign-up without approval: signed in at once, a confirmation link by e-mail.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use echos_core::accounts::{self, SignUp};
use echos_core::{TenantTx, sessions};
use echos_domain::member::{Email, Password, PasswordError};
use serde::{Deserialize, Serialize};

use super::{ProfileForm, session_cookie};
use crate::error::WebError;
use crate::forms::{FormState, NoExtra, render_form, too_many};
use crate::gate::{CsrfForm, CsrfRefused, Region};
use crate::i18n::t;
use crate::limits::Action;
use crate::session::ClientAddress;
use crate::site::Page;
use crate::state::AppState;

pub(super) async fn sign_up_form(State(app): State<AppState>, _r: Region, page: Page) -> Result<Response, WebError> {
    let form = FormState::default().value("kind", "person");
    render_form(&app, "auth/sign_up.html", StatusCode::OK, &page, &form, NoExtra {})
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SignUpForm {
    #[serde(flatten)]
    profile: ProfileForm,
    email: String,
    password: String,
}

#[derive(Serialize)]
struct Done<'a> {
    #[serde(flatten)]
    page: &'a Page,
    email: &'a str,
}

pub(super) async fn sign_up(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    jar: CookieJar,
    form: Result<CsrfForm<SignUpForm>, CsrfRefused<SignUpForm>>,
) -> Result<Response, WebError> {
    let f = match form {
        Ok(CsrfForm(f)) => f,
        Err(CsrfRefused { form: Some(f), .. }) => {
            let mut form = f.profile.keep(FormState::default()).value("email", &f.email);
            form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
            return render_form(&app, "auth/sign_up.html", StatusCode::FORBIDDEN, &page, &form, NoExtra {});
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let mut form = f.profile.keep(FormState::default()).value("email", &f.email);
    if let Err(wait) = app.limiter.check(Action::SignUp, &tenant.slug, &address.0, Some(f.email.trim())) {
        form.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return too_many(
            render_form(&app, "auth/sign_up.html", StatusCode::TOO_MANY_REQUESTS, &page, &form, NoExtra {}),
            wait,
        );
    }
    let profile = f.profile.parse(&page, &mut form);
    let email = Email::parse(&f.email);
    if email.is_none() {
        form.field_error("email", t(page.locale, "auth.errors.email", &[]));
    }
    let password = match Password::parse(&f.password) {
        Ok(p) => Some(p),
        Err(e) => {
            let key =
                if e == PasswordError::TooShort { "auth.errors.password_short" } else { "auth.errors.password_long" };
            form.field_error("password", t(page.locale, key, &[]));
            None
        }
    };
    let (Some(profile), Some(email), Some(password)) = (profile, email, password) else {
        return render_form(&app, "auth/sign_up.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, NoExtra {});
    };
    // Hashed whether or not the address is taken: both answers take the same time.
    let hash = crate::account::hash(&app, password).await?;
    // The account, its membership, its session and its confirmation e-mail: one transaction.
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    let session = match accounts::sign_up(&mut tx, tenant.id, &email, &hash, &profile).await? {
        SignUp::Created { account_id } => {
            Some(sessions::open(&mut *tx, account_id, tenant.id, app.config.accounts.session_days).await?)
        }
        SignUp::AlreadyRegistered => None,
    };
    tx.commit().await?;
    let html = app.templates.render("auth/sign_up_done.html", Done { page: &page, email: email.as_str() })?;
    // A taken address must not show, not even in the cookies: it gets a session cookie too, one
    // that opens nothing (its token is stored nowhere).
    let token = session.unwrap_or_else(echos_core::secrets::new_token);
    Ok((session_cookie(&app, jar, token), Html(html)).into_response())
}
