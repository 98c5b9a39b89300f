//! Signing in (the same account on every region) and out.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use echos_core::{accounts, sessions};
use echos_domain::member::{Email, Password};
use serde::{Deserialize, Serialize};

use super::session_cookie;
use crate::error::WebError;
use crate::forms::{Empty, FormState, render_form, too_many};
use crate::gate::{CsrfForm, CsrfRefused, Region, is_local_path};
use crate::i18n::t;
use crate::limits::Action;
use crate::session::{ClientAddress, cookie, cookie_names};
use crate::site::Page;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SignInForm {
    email: String,
    password: String,
    next: String,
}

#[derive(Serialize)]
struct Next<'a> {
    next: &'a str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NextQuery {
    next: String,
}

/// Only a path on this site: never `//other.example` or a full URL.
fn safe_next(next: &str) -> &str {
    if is_local_path(next) { next } else { "" }
}

pub(super) async fn sign_in_form(
    State(app): State<AppState>,
    _r: Region,
    page: Page,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = safe_next(&q.next);
    render_form(&app, "auth/sign_in.html", StatusCode::OK, &page, &FormState::default(), Next { next })
}

pub(super) async fn sign_in(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    jar: CookieJar,
    form: Result<CsrfForm<SignInForm>, CsrfRefused<SignInForm>>,
) -> Result<Response, WebError> {
    let f = match form {
        Ok(CsrfForm(f)) => f,
        Err(CsrfRefused { form: Some(f), .. }) => {
            let mut form = FormState::default().value("email", &f.email);
            form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
            let next = Next { next: safe_next(&f.next) };
            return render_form(&app, "auth/sign_in.html", StatusCode::FORBIDDEN, &page, &form, next);
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let next = safe_next(&f.next).to_owned();
    let mut form = FormState::default().value("email", &f.email);
    if let Err(wait) = app.limiter.check(Action::SignIn, &tenant.slug, &address.0, Some(f.email.trim())) {
        form.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return too_many(
            render_form(&app, "auth/sign_in.html", StatusCode::TOO_MANY_REQUESTS, &page, &form, Next { next: &next }),
            wait,
        );
    }
    let account = match Email::parse(&f.email) {
        Some(email) if f.password.chars().count() <= Password::MAX => {
            accounts::credentials(app.db.platform(), &email).await?
        }
        _ => None,
    };
    // Unknown e-mail and wrong password: the same work, the same words.
    let ok = crate::account::verify(&app, &f.password, account.as_ref().map(|(_, h)| h.clone())).await?;
    let Some((account_id, _)) = account.filter(|_| ok) else {
        form.error = Some(t(page.locale, "auth.errors.credentials", &[]));
        return render_form(&app, "auth/sign_in.html", StatusCode::UNAUTHORIZED, &page, &form, Next { next: &next });
    };
    let member = app.db.with_tenant(&tenant, |tx| Box::pin(accounts::member_by_account(tx, account_id))).await?;
    // Excluded from this region by its admins: no session here.
    if member.as_ref().is_some_and(|m| m.banned) {
        form.error = Some(t(page.locale, "auth.errors.banned", &[]));
        return render_form(&app, "auth/sign_in.html", StatusCode::FORBIDDEN, &page, &form, Next { next: &next });
    }
    // A new session at every sign-in; the one this browser had ends.
    let names = cookie_names(&app.config.platform.public_scheme);
    if let Some(old) = jar.get(names.session) {
        sessions::close(app.db.platform(), old.value()).await?;
    }
    let token = sessions::open(app.db.platform(), account_id, tenant.id, app.config.accounts.session_days).await?;
    // The account's chosen language follows it to every region.
    let jar = match accounts::locale(app.db.platform(), account_id).await? {
        Some(l) => {
            let secure = app.config.platform.public_scheme == "https";
            jar.add(cookie(names.lang, l.code().to_owned(), secure, time::Duration::days(365)))
        }
        None => jar,
    };
    let target = match (member, next.is_empty()) {
        (None, _) => "/rejoindre".to_owned(),
        (Some(_), true) => "/mon-espace".to_owned(),
        (Some(_), false) => next,
    };
    Ok((session_cookie(&app, jar, token), Redirect::to(&target)).into_response())
}

pub(super) async fn sign_out(
    State(app): State<AppState>,
    _r: Region,
    jar: CookieJar,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let names = cookie_names(&app.config.platform.public_scheme);
    if let Some(c) = jar.get(names.session) {
        sessions::close(app.db.platform(), c.value()).await?;
    }
    let secure = app.config.platform.public_scheme == "https";
    let gone = cookie(names.session, String::new(), secure, time::Duration::ZERO);
    Ok((jar.add(gone), Redirect::to("/")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/mon-espace"), "/mon-espace");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "/\tevil", "mon-espace"] {
            assert_eq!(safe_next(bad), "", "{bad}");
        }
    }
}
