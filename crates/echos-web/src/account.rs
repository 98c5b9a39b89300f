//! The member's own account: forgotten password (a single-use link bound to the region, always
//! on the region's registered host), changing the password (other sessions end), editing the
//! profile.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use axum_extra::extract::CookieJar;
use echos_core::accounts::{self, ProfileEdit};
use echos_core::{TenantTx, notifications, secrets};
use echos_domain::member::{Email, Password, PasswordError};
use serde::{Deserialize, Serialize};

use crate::auth::{NoExtra, ProfileForm, render_form, too_many};
use crate::error::WebError;
use crate::forms::FormState;
use crate::i18n::t;
use crate::limits::Action;
use crate::session::{ClientAddress, CsrfToken, SESSION_COOKIE, Viewer, csrf_ok};
use crate::site::{CurrentTenant, Page};
use crate::state::AppState;
use crate::uploads::{Upload, image_refusal, read_capped};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mot-de-passe-oublie", get(forgot_form).post(forgot))
        .route("/reinitialiser/{token}", get(reset_form).post(reset))
        .route("/mon-espace/profil", get(edit_profile_form).post(edit_profile))
        .route("/mon-espace/compte", get(account_form).post(change_password))
        .route("/mon-espace/export", get(export))
        .route("/mon-espace/email", axum::routing::post(change_email))
        .route("/confirmer-email/{token}", get(confirm_email))
        .route("/mon-espace/preferences", axum::routing::post(save_preferences))
        .route("/mon-espace/avatar", axum::routing::post(upload_avatar).layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT)))
        .route("/mon-espace/supprimer", axum::routing::post(delete_account))
        .layer(DefaultBodyLimit::max(32 * 1024))
}

async fn forgot_form(State(app): State<AppState>, _t: CurrentTenant, page: Page) -> Result<Response, WebError> {
    render_form(&app, "auth/forgot.html", StatusCode::OK, &page, &FormState::default(), NoExtra {})
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ForgotForm {
    email: String,
    csrf_token: String,
}

#[derive(Serialize)]
struct Sent<'a> {
    #[serde(flatten)]
    page: &'a Page,
    email: &'a str,
}

async fn forgot(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    Extension(address): Extension<ClientAddress>,
    Form(f): Form<ForgotForm>,
) -> Result<Response, WebError> {
    let mut form = FormState::default().value("email", &f.email);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "auth/forgot.html", StatusCode::FORBIDDEN, &page, &form, NoExtra {});
    }
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

async fn reset_form(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let valid = token.len() <= 100 && accounts::token_is_live(app.db.platform(), tenant.id, &token, "reset").await?;
    let status = if valid { StatusCode::OK } else { StatusCode::GONE };
    render_form(&app, "auth/reset.html", status, &page, &FormState::default(), ResetExtra { token: &token, valid })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResetForm {
    password: String,
    csrf_token: String,
}

async fn reset(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> Result<Response, WebError> {
    let mut form = FormState::default();
    let extra = ResetExtra { token: &token, valid: true };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "auth/reset.html", StatusCode::FORBIDDEN, &page, &form, extra);
    }
    let password = match Password::parse(&f.password) {
        Ok(p) => p,
        Err(e) => {
            form.field_error("password", password_message(&page, e));
            return render_form(&app, "auth/reset.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, extra);
        }
    };
    let hash = hash(password).await?;
    if token.len() > 100 || !accounts::reset_password(app.db.platform(), tenant.id, &token, &hash).await? {
        let extra = ResetExtra { token: &token, valid: false };
        return render_form(&app, "auth/reset.html", StatusCode::GONE, &page, &form, extra);
    }
    Ok(Html(app.templates.render("auth/reset_done.html", &page)?).into_response())
}

fn password_message(page: &Page, e: PasswordError) -> String {
    let key = if e == PasswordError::TooShort { "auth.errors.password_short" } else { "auth.errors.password_long" };
    t(page.locale, key, &[])
}

/// Does `typed` match the account's password? Argon2 runs off the async threads.
async fn password_matches(app: &AppState, account_id: uuid::Uuid, typed: &str) -> Result<bool, WebError> {
    let stored = accounts::password_hash(app.db.platform(), account_id).await?;
    verify(typed, stored).await
}

/// Checks a typed password against a stored hash (or, with none, spends the same work on a
/// dummy): only the first `Password::MAX` characters are ever hashed.
pub(crate) async fn verify(typed: &str, stored: Option<String>) -> Result<bool, WebError> {
    let typed: String = typed.chars().take(Password::MAX).collect();
    tokio::task::spawn_blocking(move || secrets::verify_password(&typed, stored.as_deref()))
        .await
        .map_err(|e| WebError::Internal(e.into()))
}

/// Hashes a new password off the async threads.
pub(crate) async fn hash(password: Password) -> Result<String, WebError> {
    Ok(tokio::task::spawn_blocking(move || secrets::hash_password(password.expose()))
        .await
        .map_err(|e| WebError::Internal(e.into()))??)
}

/// The signed-in member of this region, or where to send the visitor instead.
pub(crate) fn member_or_redirect(viewer: Option<Extension<Viewer>>, back: &str) -> Result<Viewer, Redirect> {
    match viewer {
        Some(Extension(v)) if v.member.is_some() => Ok(v),
        Some(_) => Err(Redirect::to("/rejoindre")),
        None => Err(Redirect::to(&format!("/connexion?next={back}"))),
    }
}

async fn edit_profile_form(
    State(app): State<AppState>,
    _t: CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/profil") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let Some(m) = viewer.member.as_ref() else { return Err(WebError::NotFound) };
    let form = profile_values(m);
    render_form(&app, "members/edit.html", StatusCode::OK, &page, &form, NoExtra {})
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EditForm {
    #[serde(flatten)]
    profile: ProfileForm,
    bio: String,
    website: String,
    location: String,
    csrf_token: String,
}

async fn edit_profile(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Form(f): Form<EditForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/profil") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let mut form = f
        .profile
        .keep(FormState::default())
        .value("bio", &f.bio)
        .value("website", &f.website)
        .value("location", &f.location);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "members/edit.html", StatusCode::FORBIDDEN, &page, &form, NoExtra {});
    }
    let profile = f.profile.parse(&page, &mut form);
    let bio = f.bio.trim().replace("\r\n", "\n");
    if bio.chars().count() > 4000 {
        form.field_error("bio", t(page.locale, "members.errors.bio", &[]));
    }
    let website = f.website.trim();
    let website = if website.is_empty() {
        None
    } else if (website.starts_with("https://") || website.starts_with("http://"))
        && website.len() <= 300
        && !website.chars().any(char::is_whitespace)
    {
        Some(website.to_owned())
    } else {
        form.field_error("website", t(page.locale, "members.errors.website", &[]));
        None
    };
    let location = f.location.split_whitespace().collect::<Vec<_>>().join(" ");
    if location.chars().count() > 120 {
        form.field_error("location", t(page.locale, "members.errors.location", &[]));
    }
    let (Some(profile), true) = (profile, form.is_ok()) else {
        return render_form(&app, "members/edit.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, NoExtra {});
    };
    let edit = ProfileEdit { profile, bio, website, location: (!location.is_empty()).then_some(location) };
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    accounts::update_profile(&mut tx, viewer.account_id, &edit).await?;
    tx.commit().await?;
    let handle = viewer.member.map(|m| m.handle).unwrap_or_default();
    Ok(Redirect::to(&format!("/membres/{handle}")).into_response())
}

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
    async fn load(
        app: &AppState,
        tenant: &echos_core::Tenant,
        viewer: &Viewer,
        notice: Option<&'static str>,
    ) -> Result<Self, WebError> {
        let account_locale = accounts::locale(app.db.platform(), viewer.account_id).await?.map(|l| l.code());
        let member_id = viewer.member.as_ref().map_or(0, |m| m.id);
        let email_kinds =
            app.db.with_tenant(tenant, |tx| Box::pin(notifications::email_preferences(tx, member_id))).await?;
        Ok(Self { saved: notice == Some("password"), notice, account_locale, email_kinds, kinds: notifications::KINDS })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    ok: String,
}

async fn account_form(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/compte") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let notice = ["email", "preferences"].into_iter().find(|n| *n == q.ok);
    let extra = Saved::load(&app, &tenant, &viewer, notice).await?;
    render_form(&app, "members/account.html", StatusCode::OK, &page, &FormState::default(), extra)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    csrf_token: String,
}

async fn change_password(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    jar: CookieJar,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/compte") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let mut form = FormState::default();
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(
            &app,
            "members/account.html",
            StatusCode::FORBIDDEN,
            &page,
            &form,
            Saved::load(&app, &tenant, &viewer, None).await?,
        );
    }
    let new = match Password::parse(&f.new_password) {
        Ok(p) => Some(p),
        Err(e) => {
            form.field_error("new_password", password_message(&page, e));
            None
        }
    };
    let current_ok = password_matches(&app, viewer.account_id, &f.current_password).await?;
    if !current_ok {
        form.field_error("current_password", t(page.locale, "members.errors.current_password", &[]));
    }
    let (Some(new), true) = (new, current_ok) else {
        return render_form(
            &app,
            "members/account.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            &page,
            &form,
            Saved::load(&app, &tenant, &viewer, None).await?,
        );
    };
    let hash = hash(new).await?;
    let keep = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    accounts::change_password(app.db.platform(), viewer.account_id, &hash, &keep).await?;
    render_form(
        &app,
        "members/account.html",
        StatusCode::OK,
        &page,
        &FormState::default(),
        Saved::load(&app, &tenant, &viewer, Some("password")).await?,
    )
}

/// "Export my data": everything about the account, from every region it joined, as JSON.
async fn export(
    State(app): State<AppState>,
    _t: CurrentTenant,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/export") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let data = accounts::export(&app.db, viewer.account_id).await?;
    let body = serde_json::to_vec_pretty(&data).map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"echosciences-mes-donnees.json\""),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeleteForm {
    delete_password: String,
    csrf_token: String,
}

/// "Delete my account": the password again, then the account closes at once and its profile is
/// erased in every region by jobs.
async fn delete_account(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    jar: CookieJar,
    Form(f): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/compte") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let mut form = FormState::default();
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(
            &app,
            "members/account.html",
            StatusCode::FORBIDDEN,
            &page,
            &form,
            Saved::load(&app, &tenant, &viewer, None).await?,
        );
    }
    let ok = password_matches(&app, viewer.account_id, &f.delete_password).await?;
    if !ok {
        form.field_error("delete_password", t(page.locale, "members.errors.current_password", &[]));
        return render_form(
            &app,
            "members/account.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            &page,
            &form,
            Saved::load(&app, &tenant, &viewer, None).await?,
        );
    }
    accounts::delete(app.db.platform(), viewer.account_id).await?;
    let secure = app.config.platform.public_scheme == "https";
    let gone = crate::session::cookie(SESSION_COOKIE, String::new(), secure, time::Duration::ZERO);
    let mut page = page;
    page.me = None;
    let html = app.templates.render("members/deleted.html", &page)?;
    Ok((jar.add(gone), Html(html)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    new_email: String,
    email_password: String,
    csrf_token: String,
}

/// Changing the address: the password again, then a link to the new address; the account moves
/// only when it is followed, and the old address is told.
async fn change_email(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Form(f): Form<EmailForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/compte") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let mut form = FormState::default().value("new_email", &f.new_email);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        let extra = Saved::load(&app, &tenant, &viewer, None).await?;
        return render_form(&app, "members/account.html", StatusCode::FORBIDDEN, &page, &form, extra);
    }
    let email = Email::parse(&f.new_email);
    if email.is_none() {
        form.field_error("new_email", t(page.locale, "auth.errors.email", &[]));
    }
    let ok = password_matches(&app, viewer.account_id, &f.email_password).await?;
    if !ok {
        form.field_error("email_password", t(page.locale, "members.errors.current_password", &[]));
    }
    let (Some(email), true) = (email, ok) else {
        let extra = Saved::load(&app, &tenant, &viewer, None).await?;
        return render_form(&app, "members/account.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, extra);
    };
    accounts::request_email_change(app.db.platform(), tenant.id, viewer.account_id, &email).await?;
    Ok(Redirect::to("/mon-espace/compte?ok=email").into_response())
}

async fn confirm_email(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let ok = token.len() <= 100 && accounts::confirm_email_change(app.db.platform(), tenant.id, &token).await?;
    let status = if ok { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, Html(app.templates.render("auth/confirmed.html", crate::auth::Confirmed { page: &page, ok })?))
        .into_response())
}

/// The preferences form: the interface language, and which notifications also come by e-mail
/// (`email_kinds` may repeat, one per box ticked).
async fn save_preferences(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/compte") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| WebError::BadRequest)?;
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    if !csrf_ok(&headers, &csrf, field("csrf_token")) {
        return Err(WebError::Forbidden);
    }
    let locale = match field("locale") {
        "" => None,
        code => Some(echos_domain::Locale::parse(code).filter(|l| l.code() == code).ok_or(WebError::BadRequest)?),
    };
    let kinds: Vec<String> = pairs.iter().filter(|(k, _)| k == "email_kinds").map(|(_, v)| v.clone()).collect();
    if kinds.iter().any(|k| !notifications::KINDS.contains(&k.as_str())) {
        return Err(WebError::BadRequest);
    }
    let member_id = viewer.member.as_ref().map_or(0, |m| m.id);
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    accounts::set_locale(&mut *tx, viewer.account_id, locale).await?;
    notifications::set_email_preferences(&mut tx, member_id, &kinds).await?;
    tx.commit().await?;
    // The chosen language applies at once in this browser.
    let secure = app.config.platform.public_scheme == "https";
    let jar = match locale {
        Some(l) => jar.add(crate::session::cookie(
            crate::i18n::LANG_COOKIE,
            l.code().to_owned(),
            secure,
            time::Duration::days(365),
        )),
        None => jar.remove(axum_extra::extract::cookie::Cookie::from(crate::i18n::LANG_COOKIE)),
    };
    Ok((jar, Redirect::to("/mon-espace/compte?ok=preferences")).into_response())
}

/// The upload itself is checked against `media.max_upload_bytes`; the request may be a little
/// larger (the multipart envelope), and anything beyond this is refused before it is read.
const AVATAR_BODY_LIMIT: usize = 12 * 1024 * 1024;
/// Avatars are stored at most this wide and high.
const AVATAR_SIDE: u32 = 512;

/// Uploads an avatar: checked by its content (PNG, JPEG, WebP or GIF; never SVG), size-limited,
/// scaled down and re-encoded without metadata, stored under the region's id with a name of the
/// server's choosing. The previous avatar is deleted.
async fn upload_avatar(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/mon-espace/profil") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let max = app.config.media.max_upload_bytes;
    let mut token = String::new();
    let mut file = None;
    while let Ok(Some(mut field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf_token") => token = field.text().await.unwrap_or_default(),
            Some("avatar") => file = read_capped(&mut field, max).await.ok().flatten(),
            _ => {}
        }
    }
    let m = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let mut form = profile_values(m);
    if !csrf_ok(&headers, &csrf, &token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, "members/edit.html", StatusCode::FORBIDDEN, &page, &form, NoExtra {});
    }
    let processed = match file {
        Some(Upload::TooLarge) => Err(echos_core::images::ImageError::TooLarge { max_bytes: max }),
        None => Err(echos_core::images::ImageError::NotAnImage),
        Some(Upload::Bytes(bytes)) => {
            tokio::task::spawn_blocking(move || echos_core::images::process_image(&bytes, AVATAR_SIDE, max))
                .await
                .map_err(|e| WebError::Internal(e.into()))?
        }
    };
    let image = match processed {
        Ok(i) => i,
        Err(e) => {
            let (status, key) = image_refusal(&e);
            form.field_error("avatar", t(page.locale, key, &[]));
            return render_form(&app, "members/edit.html", status, &page, &form, NoExtra {});
        }
    };
    let key = app.media.put(tenant.id, "avatars", image.bytes, image.ext, image.content_type).await?;
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    let old = accounts::set_avatar(&mut tx, viewer.account_id, &key).await;
    let old = match old {
        Ok(old) => {
            tx.commit().await?;
            old
        }
        Err(e) => {
            // Nothing points at the new file: remove it rather than leave it behind.
            let _ = app.media.delete_for(tenant.id, &key).await;
            return Err(e.into());
        }
    };
    if let Some(old) = old
        && let Err(e) = app.media.delete_for(tenant.id, &old).await
    {
        tracing::warn!(error = ?e, "deleting the previous avatar failed");
    }
    Ok(Redirect::to("/mon-espace/profil").into_response())
}

/// A member's profile as the edit form's values.
fn profile_values(m: &echos_core::accounts::Member) -> FormState {
    FormState::default()
        .value("display_name", &m.display_name)
        .value("kind", &m.kind)
        .value("audience", m.audience.as_deref().unwrap_or_default())
        .value("bio", &m.bio)
        .value("website", m.website.as_deref().unwrap_or_default())
        .value("location", m.location.as_deref().unwrap_or_default())
}
