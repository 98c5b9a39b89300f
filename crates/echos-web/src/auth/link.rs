//! A one-time sign-in link into a region (`/connexion/lien/{token}`): how a science centre's
//! contact first enters the region they just opened, as its admin. The page shows a button; the
//! POST uses the link (once, before it expires, only on the region it was made for), opens a
//! session and goes on to where the link leads — the console.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use echos_core::{sessions, signin};
use serde::Serialize;

use crate::error::WebError;
use crate::forms::Empty;
use crate::gate::{CsrfForm, Region, is_local_path};
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct LinkPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    live: bool,
    action: String,
}

pub(super) async fn form(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let live = signin::is_live(app.db.platform(), &token, Some(tenant.id)).await?;
    let ctx = LinkPage { page: &page, live, action: format!("/connexion/lien/{token}") };
    let status = if live { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, Html(app.templates.render("auth/signin_link.html", ctx)?)).into_response())
}

pub(super) async fn use_link(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    jar: CookieJar,
    Path(token): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let Some((account_id, next)) = signin::redeem(app.db.platform(), &token, Some(tenant.id)).await? else {
        let ctx = LinkPage { page: &page, live: false, action: String::new() };
        return Ok((StatusCode::GONE, Html(app.templates.render("auth/signin_link.html", ctx)?)).into_response());
    };
    let names = crate::session::cookie_names(&app.config.platform.public_scheme);
    if let Some(old) = jar.get(names.session) {
        sessions::close(app.db.platform(), old.value()).await?;
    }
    let token = sessions::open(app.db.platform(), account_id, tenant.id, app.config.accounts.session_days).await?;
    let next = if is_local_path(&next) { next } else { "/".to_owned() };
    Ok((super::session_cookie(&app, jar, token), Redirect::to(&next)).into_response())
}
