//! The account page (`/mon-espace/compte`): the password (other sessions end), the e-mail address
//! (a link to the new one, a notice to the old one), the language and which notifications also
//! come by e-mail, exporting one's data, and deleting the account.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use echos_core::accounts;
use echos_core::{TenantTx, notifications};
use echos_domain::member::{Email, Password};
use serde::{Deserialize, Serialize};

use super::passwords::{hash, password_matches, password_message};
use crate::error::WebError;
use crate::forms::{FormState, render_form};
use crate::gate::{CsrfForm, Region, SignedIn};
use crate::i18n::t;
use crate::session::{cookie, cookie_names};
use crate::site::Page;
use crate::state::AppState;

/// The account page's own context, beside the form: what was just saved, the current choices.
#[derive(Serialize, Default)]
struct Saved {
    saved: bool,
    /// "password", "email" or "preferences": which panel just succeeded.
    notice: Option<&'static str>,
    account_locale: Option<&'static str>,
    email_kinds: Vec<String>,
    kinds: &'static [&'static str],
}

impl Saved {
    async fn load(app: &AppState, me: &SignedIn, notice: Option<&'static str>) -> Result<Self, WebError> {
        let account_locale = accounts::locale(app.db.platform(), me.account_id).await?.map(|l| l.code());
        let member_id = me.member.id;
        let email_kinds =
            app.db.with_tenant(&me.tenant, |tx| Box::pin(notifications::email_preferences(tx, member_id))).await?;
        Ok(Self { saved: notice == Some("password"), notice, account_locale, email_kinds, kinds: notifications::KINDS })
    }
}

/// The account page again, with a form's refusal and the status that fits.
async fn render_account(
    app: &AppState,
    me: &SignedIn,
    page: &Page,
    form: &FormState,
    status: StatusCode,
    notice: Option<&'static str>,
) -> Result<Response, WebError> {
    let saved = Saved::load(app, me, notice).await?;
    render_form(app, "members/account.html", status, page, form, saved)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NoticeQuery {
    ok: String,
}

pub(super) async fn account_form(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let notice = ["email", "preferences"].into_iter().find(|n| *n == q.ok);
    render_account(&app, &me, &page, &FormState::default(), StatusCode::OK, notice).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub(super) async fn change_password(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    jar: CookieJar,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let mut form = FormState::default();
    let new = match Password::parse(&f.new_password) {
        Ok(p) => Some(p),
        Err(e) => {
            form.field_error("new_password", password_message(&page, e));
            None
        }
    };
    let current_ok = password_matches(&app, me.account_id, &f.current_password).await?;
    if !current_ok {
        form.field_error("current_password", t(page.locale, "members.errors.current_password", &[]));
    }
    let (Some(new), true) = (new, current_ok) else {
        return render_account(&app, &me, &page, &form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let hash = hash(&app, new).await?;
    let keep = jar
        .get(cookie_names(&app.config.platform.public_scheme).session)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    accounts::change_password(app.db.platform(), me.account_id, &hash, &keep).await?;
    render_account(&app, &me, &page, &FormState::default(), StatusCode::OK, Some("password")).await
}

/// "Export my data": everything about the account, from every region it joined, as JSON.
pub(super) async fn export(State(app): State<AppState>, me: SignedIn) -> Result<Response, WebError> {
    let data = accounts::export(&app.db, me.account_id).await?;
    let body = serde_json::to_vec_pretty(&data).map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"echosciences-mes-donnees.json\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DeleteForm {
    delete_password: String,
}

/// "Delete my account": the password again, then the account closes at once and its profile is
/// erased in every region by jobs.
pub(super) async fn delete_account(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    jar: CookieJar,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> Result<Response, WebError> {
    if !password_matches(&app, me.account_id, &f.delete_password).await? {
        let mut form = FormState::default();
        form.field_error("delete_password", t(page.locale, "members.errors.current_password", &[]));
        return render_account(&app, &me, &page, &form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    }
    accounts::delete(app.db.platform(), me.account_id).await?;
    let secure = app.config.platform.public_scheme == "https";
    let gone =
        cookie(cookie_names(&app.config.platform.public_scheme).session, String::new(), secure, time::Duration::ZERO);
    let mut page = page;
    page.me = None;
    let html = app.templates.render("members/deleted.html", &page)?;
    Ok((jar.add(gone), Html(html)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EmailForm {
    new_email: String,
    email_password: String,
}

/// Changing the address: the password again, then a link to the new address; the account moves
/// only when it is followed, and the old address is told.
pub(super) async fn change_email(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    axum::Extension(address): axum::Extension<crate::session::ClientAddress>,
    CsrfForm(f): CsrfForm<EmailForm>,
) -> Result<Response, WebError> {
    let mut form = FormState::default().value("new_email", &f.new_email);
    // Each try mails an address the member typed (and checks a password): a few an hour.
    let account = me.account_id.to_string();
    if let Err(wait) = app.limiter.check(crate::limits::Action::MailOut, &me.tenant.slug, &address.0, Some(&account)) {
        form.error = Some(t(page.locale, "auth.errors.rate_limited", &[]));
        return crate::forms::too_many(
            render_account(&app, &me, &page, &form, StatusCode::TOO_MANY_REQUESTS, None).await,
            wait,
        );
    }
    let email = Email::parse(&f.new_email);
    if email.is_none() {
        form.field_error("new_email", t(page.locale, "auth.errors.email", &[]));
    }
    let ok = password_matches(&app, me.account_id, &f.email_password).await?;
    if !ok {
        form.field_error("email_password", t(page.locale, "members.errors.current_password", &[]));
    }
    let (Some(email), true) = (email, ok) else {
        return render_account(&app, &me, &page, &form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    accounts::request_email_change(app.db.platform(), me.tenant.id, me.account_id, &email).await?;
    Ok(Redirect::to("/mon-espace/compte?ok=email").into_response())
}

pub(super) async fn confirm_email(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let ok = token.len() <= 100 && accounts::confirm_email_change(app.db.platform(), tenant.id, &token).await?;
    let status = if ok { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, Html(app.templates.render("auth/confirmed.html", crate::auth::Confirmed { page: &page, ok })?))
        .into_response())
}

/// The preferences form: the interface language, and which notifications also come by e-mail
/// (`email_kinds` repeats, one per box ticked).
pub(super) async fn save_preferences(
    State(app): State<AppState>,
    me: SignedIn,
    jar: CookieJar,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let locale = match field("locale") {
        "" => None,
        code => Some(echos_domain::Locale::parse(code).filter(|l| l.code() == code).ok_or(WebError::BadRequest)?),
    };
    let kinds: Vec<String> = pairs.iter().filter(|(k, _)| k == "email_kinds").map(|(_, v)| v.clone()).collect();
    if kinds.iter().any(|k| !notifications::KINDS.contains(&k.as_str())) {
        return Err(WebError::BadRequest);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    accounts::set_locale(&mut *tx, me.account_id, locale).await?;
    notifications::set_email_preferences(&mut tx, me.member.id, &kinds).await?;
    tx.commit().await?;
    // The chosen language applies at once in this browser.
    let secure = app.config.platform.public_scheme == "https";
    let jar = match locale {
        Some(l) => jar.add(cookie(
            cookie_names(&app.config.platform.public_scheme).lang,
            l.code().to_owned(),
            secure,
            time::Duration::days(365),
        )),
        None => jar.add(cookie(
            cookie_names(&app.config.platform.public_scheme).lang,
            String::new(),
            secure,
            time::Duration::ZERO,
        )),
    };
    Ok((jar, Redirect::to("/mon-espace/compte?ok=preferences")).into_response())
}
