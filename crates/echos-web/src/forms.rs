//! Forms as pages show them: what was typed (never a password) and the messages, re-shown after
//! a refusal with the status that fits.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::error::WebError;
use crate::site::Page;
use crate::state::AppState;

#[derive(Debug, Default, Serialize)]
pub struct FormState {
    pub values: BTreeMap<&'static str, String>,
    pub errors: BTreeMap<&'static str, String>,
    pub error: Option<String>,
}

impl FormState {
    pub fn value(mut self, field: &'static str, v: &str) -> Self {
        self.values.insert(field, v.to_owned());
        self
    }

    /// Several values at once.
    pub fn values<'a>(mut self, vs: impl IntoIterator<Item = (&'static str, &'a str)>) -> Self {
        for (field, v) in vs {
            self.values.insert(field, v.to_owned());
        }
        self
    }

    pub fn field_error(&mut self, field: &'static str, message: String) {
        self.errors.insert(field, message);
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.error.is_none()
    }
}

/// The body of a form that carries nothing but its CSRF token (sign out, delete, like …).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Empty {}

/// A page whose context is the layout's, a form, and what else the page needs.
#[derive(Serialize)]
pub struct FormPage<'a, X: Serialize> {
    #[serde(flatten)]
    page: &'a Page,
    form: &'a FormState,
    #[serde(flatten)]
    extra: X,
}

/// Renders a page with a form (as typed, after a refusal) and the status that fits.
pub fn render_form<X: Serialize>(
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

/// Nothing beyond the layout and the form.
#[derive(Serialize)]
pub struct NoExtra {}

/// Adds `Retry-After` to a 429 answer.
pub fn too_many(resp: Result<Response, WebError>, wait_secs: u64) -> Result<Response, WebError> {
    let mut resp = resp?;
    if let Ok(v) = wait_secs.to_string().parse() {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    Ok(resp)
}
