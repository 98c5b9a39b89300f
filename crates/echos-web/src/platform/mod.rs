//! The platform's own site, on the platform's domain: what a network is and the live regions
//! (`home`), a science centre's sign-up (`signup`), Stripe's webhook (`webhook`) and the
//! operator's console at `/platform` (`console`). Every page here takes `OnPlatform`: on a
//! region's host these addresses do not exist (404).

mod console;
mod home;
mod signup;
mod webhook;

pub use webhook::apply_stripe_event;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use echos_core::operators::Operator;

pub use home::{Showcased, home};

use crate::error::WebError;
use crate::format::urlencode_path;
use crate::routes::Routes;
use crate::site::Site;

pub fn routes() -> Routes {
    Routes::new()
        .route("/ouvrir", get(signup::form).post(signup::submit))
        .route("/ouvrir/disponible", get(signup::availability))
        .route("/ouvrir/merci", get(signup::done))
        .route("/ouvrir/annule", get(signup::cancelled))
        .route("/stripe/webhook", post(webhook::receive))
        .merge(console::routes())
}

/// A page of the platform's own site; a region's host gets a 404 there.
pub struct OnPlatform;

impl<S: Send + Sync> FromRequestParts<S> for OnPlatform {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        match parts.extensions.get::<Site>() {
            Some(Site::Platform) => Ok(Self),
            _ => Err(WebError::NotFound),
        }
    }
}

/// A platform operator signed in on the platform's domain; else the operator's sign-in page
/// (and back). Nobody else — a region's admin included — gets further.
pub struct SignedOperator(pub Operator);

impl<S: Send + Sync> FromRequestParts<S> for SignedOperator {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        OnPlatform::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match parts.extensions.get::<Operator>() {
            Some(op) => Ok(Self(op.clone())),
            None => {
                let here = parts.uri.path_and_query().map_or("/platform", |p| p.as_str());
                let next = if parts.method == axum::http::Method::GET { here } else { "/platform" };
                Err(Redirect::to(&format!("/platform/connexion?next={}", urlencode_path(next))).into_response())
            }
        }
    }
}
