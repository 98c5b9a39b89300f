//! Joining and signing in: sign-up without approval, sign-in with the same account on every
//! region, joining a further region in one click, sign-out, e-mail confirmation.
//! Refusals re-show the form with what was typed (never the password) and the message.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use axum_extra::extract::CookieJar;
use echos_core::accounts::{self, Profile, SignUp};
use echos_core::{TenantTx, sessions};
use echos_domain::member::{AUDIENCES, DisplayName, Email, MemberKind, Password, PasswordError};
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::forms::{CsrfOnly, FormState};
use crate::i18n::t;
use crate::limits::Action;
use crate::session::{ClientAddress, CsrfToken, SESSION_COOKIE, Viewer, cookie, csrf_ok};
use crate::site::{CurrentTenant, Page};
use crate::state::AppState;

/// Forms are small: anything larger is refused before it is parsed (or a password hashed).
const FORM_LIMIT: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inscription", get(sign_up_form).post(sign_up))
        .route("/connexion", get(sign_in_form).post(sign_in))
        .route("/deconnexion", post(sign_out))
        .route("/confirmer/{token}", get(confirm))
        .route("/rejoindre", get(join_form).post(join))
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
}

#[derive(Serialize)]
pub(crate) struct FormPage<'a, X: Serialize> {
    #[serde(flatten)]
    page: &'a Page,
    form: &'a FormState,
    #[serde(flatten)]
    extra: X,
}

pub(crate) fn render_form<X: Serialize>(
    app: &AppState,
    name: &str,
    status: StatusCode,
    page: &Page,
    form: &FormState,
    extra: X,
) -> Result<Response, WebError> {
    let html = app.templates.render(name, FormPage { page, form, extra })?;
    Ok((status, Html(html)).into_response())
}

#[derive(Serialize)]
pub(crate) struct NoExtra {}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProfileForm {
    pub(crate) display_name: String,
    pub(crate) kind: String,
    pub(crate) audience: String,
}

impl ProfileForm {
    /// Parses the profile fields, recording refusals in `form`.
    pub(crate) fn parse(&self, page: &Page, form: &mut FormState) -> Option<Profile> {
        let name = DisplayName::parse(&self.display_name);
        if name.is_none() {
            form.field_error("display_name", t(page.locale, "auth.errors.display_name", &[]));
        }
        let kind = MemberKind::parse(&self.kind);
        if kind.is_none() {
            form.field_error("kind", t(page.locale, "auth.errors.kind", &[]));
        }
        let audience = match self.audience.as_str() {
            "" => Some(None),
            a if kind == Some(MemberKind::Person) => AUDIENCES.iter().find(|x| **x == a).map(|x| Some(*x)),
            _ => None,
        };
        if audience.is_none() {
            form.field_error("audience", t(page.locale, "auth.errors.audience", &[]));
        }
        Some(Profile { display_name: name?, kind: kind?, audience: audience? })
    }

    pub(crate) fn keep(&self, form: FormState) -> FormState {
        form.value("display_name", &self.display_name).value("kind", &self.kind).value("audience", &self.audience)
    }
}

async fn sign_up_form(State(app): State<AppState>, _t: CurrentTenant, page: Page) -> Result<Response, WebError> {
    let form = FormState::default().value("kind", "person");
    render_form(&app, "auth/sign_up.html", StatusCode::OK, &page, &form, NoExtra {})
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignUpForm {
    #[serde(flatten)]
    profile: ProfileForm,
    email: String,
    password: String,
    csrf_token: String,
}

#[derive(Serialize)]
struct Done<'a> {
    #[serde(flatten)]
    page: &'a Page,
    email: &'a str,
}

async fn sign_up(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    Extension(address): Extension<ClientAddress>,
    jar: CookieJar,
    Form(f): Form<SignUpForm>,
) -> Result<Response, WebError> {
    let mut form = f.profile.keep(FormState::default()).value("email", &f.email);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "auth/sign_up.html", StatusCode::FORBIDDEN, &page, &form, NoExtra {});
    }
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
    let hash = crate::account::hash(password).await?;
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
    match session {
        Some(token) => Ok((session_cookie(&app, jar, token), Html(html)).into_response()),
        None => Ok(Html(html).into_response()),
    }
}

/// Adds `Retry-After` to a 429 answer.
pub(crate) fn too_many(resp: Result<Response, WebError>, wait_secs: u64) -> Result<Response, WebError> {
    let mut resp = resp?;
    if let Ok(v) = wait_secs.to_string().parse() {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    Ok(resp)
}

pub(crate) fn session_cookie(app: &AppState, jar: CookieJar, token: String) -> CookieJar {
    let secure = app.config.platform.public_scheme == "https";
    jar.add(cookie(SESSION_COOKIE, token, secure, time::Duration::days(app.config.accounts.session_days)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignInForm {
    email: String,
    password: String,
    next: String,
    csrf_token: String,
}

#[derive(Serialize)]
struct Next<'a> {
    next: &'a str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

async fn sign_in_form(
    State(app): State<AppState>,
    _t: CurrentTenant,
    page: Page,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = safe_next(&q.next);
    render_form(&app, "auth/sign_in.html", StatusCode::OK, &page, &FormState::default(), Next { next })
}

/// Only a path on this site: never `//other.example` or a full URL.
pub(crate) fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if ok { next } else { "" }
}

async fn sign_in(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    Extension(address): Extension<ClientAddress>,
    jar: CookieJar,
    Form(f): Form<SignInForm>,
) -> Result<Response, WebError> {
    let next = safe_next(&f.next).to_owned();
    let mut form = FormState::default().value("email", &f.email);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "auth/sign_in.html", StatusCode::FORBIDDEN, &page, &form, Next { next: &next });
    }
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
    let ok = crate::account::verify(&f.password, account.as_ref().map(|(_, h)| h.clone())).await?;
    let Some((account_id, _)) = account.filter(|_| ok) else {
        form.error = Some(t(page.locale, "auth.errors.credentials", &[]));
        return render_form(&app, "auth/sign_in.html", StatusCode::UNAUTHORIZED, &page, &form, Next { next: &next });
    };
    // A new session at every sign-in; the one this browser had ends.
    if let Some(old) = jar.get(SESSION_COOKIE) {
        sessions::close(app.db.platform(), old.value()).await?;
    }
    let token = sessions::open(app.db.platform(), account_id, tenant.id, app.config.accounts.session_days).await?;
    let member = app.db.with_tenant(&tenant, |tx| Box::pin(accounts::member_by_account(tx, account_id))).await?;
    // The account's chosen language follows it to every region.
    let jar = match accounts::locale(app.db.platform(), account_id).await? {
        Some(l) => {
            let secure = app.config.platform.public_scheme == "https";
            jar.add(cookie(crate::i18n::LANG_COOKIE, l.code().to_owned(), secure, time::Duration::days(365)))
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

async fn sign_out(
    State(app): State<AppState>,
    _t: CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    jar: CookieJar,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    if let Some(c) = jar.get(SESSION_COOKIE) {
        sessions::close(app.db.platform(), c.value()).await?;
    }
    let secure = app.config.platform.public_scheme == "https";
    let gone = cookie(SESSION_COOKIE, String::new(), secure, time::Duration::ZERO);
    Ok((jar.add(gone), Redirect::to("/")).into_response())
}

/// The page after following a link sent by e-mail: it worked, or the link is dead.
#[derive(Serialize)]
pub(crate) struct Confirmed<'a> {
    #[serde(flatten)]
    pub(crate) page: &'a Page,
    pub(crate) ok: bool,
}

async fn confirm(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let ok = token.len() <= 100 && accounts::confirm(app.db.platform(), tenant.id, &token).await?;
    let status = if ok { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, Html(app.templates.render("auth/confirmed.html", Confirmed { page: &page, ok })?)).into_response())
}

#[derive(Serialize)]
struct JoinExtra {
    account_email: String,
}

async fn join_form(
    State(app): State<AppState>,
    _t: CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let Some(Extension(viewer)) = viewer else { return Ok(Redirect::to("/connexion?next=/rejoindre").into_response()) };
    if viewer.member.is_some() {
        return Ok(Redirect::to("/mon-espace").into_response());
    }
    let account_email = accounts::email_of(app.db.platform(), viewer.account_id).await?.unwrap_or_default();
    let form = FormState::default().value("kind", "person");
    render_form(&app, "auth/join.html", StatusCode::OK, &page, &form, JoinExtra { account_email })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JoinForm {
    #[serde(flatten)]
    profile: ProfileForm,
    csrf_token: String,
}

async fn join(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Form(f): Form<JoinForm>,
) -> Result<Response, WebError> {
    let Some(Extension(viewer)) = viewer else { return Ok(Redirect::to("/connexion?next=/rejoindre").into_response()) };
    if viewer.member.is_some() {
        return Ok(Redirect::to("/mon-espace").into_response());
    }
    let account_email = accounts::email_of(app.db.platform(), viewer.account_id).await?.unwrap_or_default();
    let mut form = f.profile.keep(FormState::default());
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "auth/join.html", StatusCode::FORBIDDEN, &page, &form, JoinExtra { account_email });
    }
    let Some(profile) = f.profile.parse(&page, &mut form) else {
        return render_form(
            &app,
            "auth/join.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            &page,
            &form,
            JoinExtra { account_email },
        );
    };
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    accounts::join(&mut tx, tenant.id, viewer.account_id, &profile).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/mon-espace"), "/mon-espace");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "mon-espace"] {
            assert_eq!(safe_next(bad), "", "{bad}");
        }
    }
}
