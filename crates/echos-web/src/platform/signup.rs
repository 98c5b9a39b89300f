//! A science centre's sign-up (`/ouvrir`): organisation, contact, the region's name and
//! sub-domain (checked as typed at `/ouvrir/disponible`), languages, the terms. With billing off
//! the region opens at once, in trial; with billing on the browser goes to Stripe Checkout and
//! the region opens when Stripe says it is paid (`webhook`). `/ouvrir/merci` follows the opening;
//! `/ouvrir/annule` is where Stripe sends a visitor who went back.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::billing::CheckoutRequest;
use echos_core::signups::{self, Availability, Signup, WantedReason};
use echos_domain::Locale;
use echos_domain::member::{DisplayName, Email};
use echos_domain::subdomain::parse_wanted;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::OnPlatform;
use super::home::region_base;
use crate::error::WebError;
use crate::forms::{FormState, render_form, too_many};
use crate::gate::{CsrfForm, CsrfRefused};
use crate::i18n::t;
use crate::limits::Action;
use crate::session::ClientAddress;
use crate::site::Page;
use crate::state::AppState;

/// A form as its pairs (the languages are repeated).
type Pairs = Vec<(String, String)>;

/// The form's fields, in their order on the page (the error summary follows it).
const FIELDS: [&str; 8] =
    ["organisation", "contact_name", "email", "region_name", "subdomain", "locales", "default_locale", "terms"];

#[derive(Serialize)]
struct Extra {
    /// The platform's domain, shown after the sub-domain field (`.echosciences.fr`).
    domain: String,
    /// `[code, native name, checked]`, in the platform's order.
    offered_locales: Vec<(&'static str, &'static str, bool)>,
    billing: bool,
    first_year_eur: u32,
    yearly_eur: u32,
    trial_days: i64,
    /// A suggestion when the sub-domain is taken.
    alternative: Option<String>,
    /// The visitor came back from Stripe without paying.
    cancelled: bool,
}

fn extra(app: &AppState, form: &FormState) -> Extra {
    let chosen: Vec<String> = form
        .values
        .get("locales")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_else(|| vec!["fr".to_owned()]);
    let b = &app.config.billing;
    Extra {
        domain: app.platform_domain.to_string(),
        offered_locales: Locale::ALL
            .iter()
            .map(|l| (l.code(), l.native_name(), chosen.iter().any(|c| c == l.code())))
            .collect(),
        billing: b.stripe().is_some(),
        first_year_eur: b.first_year_price_eur,
        yearly_eur: b.yearly_price_eur,
        trial_days: b.trial_days,
        alternative: None,
        cancelled: false,
    }
}

pub async fn form(_: OnPlatform, State(app): State<AppState>, page: Page) -> Result<Response, WebError> {
    let form = FormState::default().value("default_locale", page.locale.code());
    let x = extra(&app, &form);
    render_form(&app, "platform/signup.html", StatusCode::OK, &page, &form, x)
}

/// The form as typed, parsed; the refusals go to `form`.
fn parse(pairs: &[(String, String)], page: &Page, form: &mut FormState) -> Option<Signup> {
    let l = page.locale;
    let field =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    for name in ["organisation", "contact_name", "email", "region_name", "subdomain", "default_locale"] {
        if let Some(f) = FIELDS.iter().find(|f| **f == name) {
            form.values.insert(f, field(name));
        }
    }
    let chosen: Vec<Locale> =
        Locale::ALL.into_iter().filter(|x| pairs.iter().any(|(k, v)| k == "locales" && v == x.code())).collect();
    form.values.insert("locales", chosen.iter().map(|l| l.code()).collect::<Vec<_>>().join(","));
    let mut error = |name: &'static str, key: &str| form.field_error(name, t(l, key, &[]));

    let organisation = field("organisation");
    if organisation.is_empty() || organisation.chars().count() > 200 {
        error("organisation", "signup.errors.organisation");
    }
    let contact = DisplayName::parse(&field("contact_name"));
    if contact.is_none() {
        error("contact_name", "signup.errors.contact_name");
    }
    let email = Email::parse(&field("email"));
    if email.is_none() {
        error("email", "signup.errors.email");
    }
    let region_name = field("region_name");
    if region_name.is_empty() || region_name.chars().count() > 120 {
        error("region_name", "signup.errors.region_name");
    }
    let slug = match parse_wanted(&field("subdomain")) {
        Ok(s) => Some(s),
        Err(e) => {
            let key = format!("signup.availability.{}", reason_code(WantedReason::from(&e)));
            error("subdomain", &key);
            None
        }
    };
    let default = Locale::parse(&field("default_locale")).filter(|d| chosen.contains(d));
    if chosen.is_empty() {
        error("locales", "signup.errors.locales");
    } else if default.is_none() {
        error("default_locale", "signup.errors.default_locale");
    }
    if field("terms") != "on" {
        error("terms", "signup.errors.terms");
    }
    let (Some(contact_name), Some(email), Some(slug), Some(default)) = (contact, email, slug, default) else {
        return None;
    };
    if !form.is_ok() {
        return None;
    }
    // The default language first.
    let mut locales = vec![default];
    locales.extend(chosen.into_iter().filter(|x| *x != default));
    Some(Signup { organisation, contact_name, email, region_name, slug, locales })
}

fn reason_code(r: WantedReason) -> &'static str {
    match r {
        WantedReason::Length => "length",
        WantedReason::Punycode => "punycode",
        WantedReason::NotAscii => "not_ascii",
        WantedReason::Characters => "characters",
        WantedReason::Hyphens => "hyphens",
        WantedReason::Reserved => "reserved",
    }
}

/// The sentence for a sub-domain that cannot be had, and the alternative to offer.
fn refusal(a: &Availability, l: Locale) -> (String, Option<String>) {
    match a {
        Availability::Available { .. } => (String::new(), None),
        Availability::Taken { alternative } => (t(l, "signup.availability.taken", &[]), alternative.clone()),
        Availability::LooksLike { existing, alternative } => {
            (t(l, "signup.availability.looks_like", &[("existing", existing.clone())]), alternative.clone())
        }
        Availability::Invalid { reason } => (t(l, &format!("signup.availability.{}", reason_code(*reason)), &[]), None),
    }
}

pub async fn submit(
    _: OnPlatform,
    State(app): State<AppState>,
    headers: HeaderMap,
    page: Page,
    axum::Extension(address): axum::Extension<ClientAddress>,
    form: Result<CsrfForm<Pairs>, CsrfRefused<Pairs>>,
) -> Result<Response, WebError> {
    let l = page.locale;
    let pairs = match form {
        Ok(CsrfForm(pairs)) => pairs,
        Err(refused) => {
            // Re-shown with what was typed and the "form expired" message.
            let pairs = match &refused.form {
                Some(p) => p.clone(),
                None => return Ok(refused.into_response()),
            };
            let mut state = FormState::default();
            parse(&pairs, &page, &mut state);
            state.errors.clear();
            state.error = Some(t(l, "auth.errors.csrf", &[]));
            let x = extra(&app, &state);
            return render_form(&app, "platform/signup.html", StatusCode::FORBIDDEN, &page, &state, x);
        }
    };
    let mut state = FormState::default();
    let parsed = parse(&pairs, &page, &mut state);
    let Some(signup) = parsed else {
        let x = extra(&app, &state);
        return render_form(&app, "platform/signup.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &state, x);
    };
    if let Err(wait) = app.limiter.check(Action::SignUp, "platform", &address.0, Some(signup.email.as_str())) {
        state.error = Some(t(l, "signup.errors.too_many", &[]));
        let x = extra(&app, &state);
        return too_many(
            render_form(&app, "platform/signup.html", StatusCode::TOO_MANY_REQUESTS, &page, &state, x),
            wait,
        );
    }
    let refused = |state: &mut FormState, a: &Availability| {
        let (message, alternative) = refusal(a, l);
        state.field_error("subdomain", message);
        let mut x = extra(&app, state);
        x.alternative = alternative;
        x
    };

    let Some(payments) = app.payments.clone() else {
        // Billing off: the region opens now, in trial.
        return match signups::open_trial(&app.db, &app.platform_domain, &app.config.billing, &signup).await? {
            Ok(opened) => {
                tracing::info!(region = %opened.slug, "a region opened in trial by a sign-up");
                Ok(Redirect::to(&format!("/ouvrir/merci?inscription={}", opened.signup_id)).into_response())
            }
            Err(a) => {
                let x = refused(&mut state, &a);
                render_form(&app, "platform/signup.html", StatusCode::CONFLICT, &page, &state, x)
            }
        };
    };
    let id = match signups::reserve(app.db.platform(), &signup).await? {
        Ok(id) => id,
        Err(a) => {
            let x = refused(&mut state, &a);
            return render_form(&app, "platform/signup.html", StatusCode::CONFLICT, &page, &state, x);
        }
    };
    let here = platform_base(&app, &headers);
    let req = CheckoutRequest {
        signup_id: id,
        email: signup.email.as_str().to_owned(),
        success_url: format!("{here}/ouvrir/merci?inscription={id}"),
        cancel_url: format!("{here}/ouvrir/annule?inscription={id}"),
        locale: l.code(),
    };
    match payments.checkout(&req).await {
        Ok(started) => {
            signups::set_checkout_session(app.db.platform(), id, &started.session_id).await?;
            Ok(Redirect::to(&started.url).into_response())
        }
        Err(e) => {
            tracing::error!(error = ?e, "starting a checkout failed");
            signups::abandon(app.db.platform(), id).await?;
            state.error = Some(t(l, "signup.errors.payment_unavailable", &[]));
            let x = extra(&app, &state);
            render_form(&app, "platform/signup.html", StatusCode::SERVICE_UNAVAILABLE, &page, &state, x)
        }
    }
}

/// `scheme://platform-domain[:port]`, for the addresses Stripe sends the browser back to.
fn platform_base(app: &AppState, headers: &HeaderMap) -> String {
    let port = app.config.platform.public_port.or_else(|| {
        let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
        host.rsplit_once(':')?.1.parse().ok().filter(|p| ![80, 443].contains(p))
    });
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", app.config.platform.public_scheme, app.platform_domain)
}

#[derive(Deserialize)]
pub struct Wanted {
    #[serde(default)]
    nom: String,
}

/// Whether a sub-domain can be had, for the form's script: `{state, message, alternative}`.
#[derive(Serialize)]
struct Answer {
    #[serde(flatten)]
    availability: Availability,
    message: String,
}

pub async fn availability(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    Query(q): Query<Wanted>,
) -> Result<Response, WebError> {
    let a = signups::availability(app.db.platform(), &q.nom).await?;
    let message = match &a {
        Availability::Available { slug } => {
            t(page.locale, "signup.availability.available", &[("address", format!("{slug}.{}", app.platform_domain))])
        }
        other => refusal(other, page.locale).0,
    };
    let mut resp = Json(Answer { availability: a, message }).into_response();
    resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[derive(Deserialize)]
pub struct Which {
    inscription: Option<String>,
}

#[derive(Serialize)]
struct Done<'a> {
    #[serde(flatten)]
    page: &'a Page,
    signup: &'a signups::Held,
    /// Set once the region is open.
    region_url: Option<String>,
    billing: bool,
    trial_days: i64,
}

/// After the sign-up: the region's address once it is open; while Stripe's word is awaited, a
/// page that looks again every few seconds.
pub async fn done(
    _: OnPlatform,
    State(app): State<AppState>,
    headers: HeaderMap,
    page: Page,
    Query(q): Query<Which>,
) -> Result<Response, WebError> {
    let id = q.inscription.as_deref().and_then(|s| Uuid::try_parse(s).ok()).ok_or(WebError::NotFound)?;
    let held = signups::get(app.db.platform(), id).await?.ok_or(WebError::NotFound)?;
    let region_url = match held.tenant_id {
        Some(tid) => {
            let t = echos_core::tenants::get_by_id(app.db.platform(), tid).await?;
            Some(format!("{}/", region_base(&app, &headers, &t)))
        }
        None => None,
    };
    let ctx = Done {
        page: &page,
        signup: &held,
        region_url,
        billing: app.payments.is_some(),
        trial_days: app.config.billing.trial_days,
    };
    let mut resp = Html(app.templates.render("platform/signup_done.html", ctx)?).into_response();
    resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Back from Stripe without paying: the form again, as it was filled in, and a word of it.
pub async fn cancelled(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    Query(q): Query<Which>,
) -> Result<Response, WebError> {
    let id = q.inscription.as_deref().and_then(|s| Uuid::try_parse(s).ok());
    let held = match id {
        Some(id) => signups::get(app.db.platform(), id).await?,
        None => None,
    };
    let mut form = FormState::default();
    if let Some(h) = held.filter(|h| h.status == "pending") {
        form = form
            .value("organisation", &h.organisation)
            .value("contact_name", &h.contact_name)
            .value("email", &h.email)
            .value("region_name", &h.region_name)
            .value("subdomain", &h.slug)
            .value("locales", &h.locales.join(","))
            .value("default_locale", h.locales.first().map_or("fr", String::as_str));
    }
    let mut x = extra(&app, &form);
    x.cancelled = true;
    render_form(&app, "platform/signup.html", StatusCode::OK, &page, &form, x)
}
