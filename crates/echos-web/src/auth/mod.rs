//! Joining and signing in: sign-up without approval, sign-in with the same account on every
//! region, joining a further region in one click, sign-out, e-mail confirmation. Refusals re-show
//! the form with what was typed (never the password) and the message.

mod join;
mod link;
mod sign_in;
mod sign_up;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use echos_core::accounts::{self, Profile};
use echos_domain::member::{AUDIENCES, DisplayName, MemberKind};
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::Region;
use crate::i18n::t;
use crate::routes::Routes;
use crate::session::{cookie, cookie_names};
use crate::site::Page;
use crate::state::AppState;

/// Forms are small: anything larger is refused before it is parsed (or a password hashed).
const FORM_LIMIT: usize = 16 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .route("/inscription", get(sign_up::sign_up_form).post(sign_up::sign_up))
        .route("/connexion", get(sign_in::sign_in_form).post(sign_in::sign_in))
        .route("/deconnexion", post(sign_in::sign_out))
        .route("/confirmer/{token}", get(confirm))
        .route("/rejoindre", get(join::join_form).post(join::join))
        .route("/connexion/lien/{token}", get(link::form).post(link::use_link))
        .map(|r| r.layer(DefaultBodyLimit::max(FORM_LIMIT)))
}

/// The profile fields of sign-up, joining and the profile page.
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

/// The session cookie: host-only, `HttpOnly`, `SameSite=Lax`, `Secure` over https.
pub(crate) fn session_cookie(app: &AppState, jar: CookieJar, token: String) -> CookieJar {
    let secure = app.config.platform.public_scheme == "https";
    let name = cookie_names(&app.config.platform.public_scheme).session;
    jar.add(cookie(name, token, secure, time::Duration::days(app.config.accounts.session_days)))
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
    Region(tenant): Region,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let ok = token.len() <= 100 && accounts::confirm(app.db.platform(), tenant.id, &token).await?;
    let status = if ok { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, Html(app.templates.render("auth/confirmed.html", Confirmed { page: &page, ok })?)).into_response())
}
