//! Errors of the web layer. A handler returns `WebError`; the response carries only its kind,
//! and the `render_errors` middleware turns it into a page in the site's look and the visitor's
//! language. 5xx pages show the request id; the cause goes to the log, never to the client.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use echos_core::CoreError;
use serde::Serialize;

use crate::i18n::t;
use crate::site::{Page, Site};
use crate::state::AppState;

#[derive(Debug)]
pub enum WebError {
    BadRequest,
    Forbidden,
    /// A form from another site, or without its token (or an expired one).
    CsrfRefused,
    /// Too much work queued (password hashing): try again in a few seconds (503).
    Busy,
    NotFound,
    Unavailable,
    Internal(anyhow::Error),
}

/// The kind of error page to show, left on the response for `render_errors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Forbidden,
    CsrfRefused,
    Busy,
    NotFound,
    Internal,
    Unavailable,
    /// A write to a suspended region: it reads, nothing is written (403, the notice).
    ReadOnly,
    /// A write to a region being moved to another cluster: 503 for a few minutes, the notice.
    Moving,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Forbidden | Self::CsrfRefused | Self::ReadOnly => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::Busy | Self::Moving => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<CoreError> for WebError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound | CoreError::Forbidden => Self::NotFound,
            CoreError::Invalid(_) | CoreError::Conflict(_) => Self::BadRequest,
            CoreError::Unexpected(e) => Self::Internal(e),
        }
    }
}

impl From<minijinja::Error> for WebError {
    fn from(e: minijinja::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let kind = match self {
            Self::BadRequest => ErrorKind::BadRequest,
            Self::Forbidden => ErrorKind::Forbidden,
            Self::CsrfRefused => ErrorKind::CsrfRefused,
            Self::Busy => ErrorKind::Busy,
            Self::NotFound => ErrorKind::NotFound,
            Self::Unavailable => ErrorKind::Unavailable,
            Self::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                ErrorKind::Internal
            }
        };
        let mut resp = kind.status().into_response();
        resp.extensions_mut().insert(kind);
        resp
    }
}

/// Middleware: renders the page for a response that carries an `ErrorKind`.
pub async fn render_errors(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let path = req.uri().path().to_owned();
    let site = req.extensions().get::<Site>().cloned();
    let resp = next.run(req).await;
    match resp.extensions().get::<ErrorKind>() {
        Some(&kind) => error_page(&app, &headers, &path, site.as_ref(), kind),
        None => resp,
    }
}

/// The error page for a request that never reached a handler (bad host, unknown region …).
pub fn render_error(app: &AppState, req: &Request, site: Option<&Site>, kind: ErrorKind) -> Response {
    error_page(app, req.headers(), req.uri().path(), site, kind)
}

#[derive(Serialize)]
struct ErrorContext<'a> {
    #[serde(flatten)]
    page: &'a Page,
    status: u16,
    title: String,
    message: String,
}

fn error_page(app: &AppState, headers: &HeaderMap, path: &str, site: Option<&Site>, kind: ErrorKind) -> Response {
    let page = Page::build(headers, path, site);
    let status = kind.status();
    let code = status.as_u16();
    let key = match kind {
        ErrorKind::CsrfRefused => "csrf".to_owned(),
        ErrorKind::Busy => "busy".to_owned(),
        ErrorKind::ReadOnly => "read_only".to_owned(),
        ErrorKind::Moving => "moving".to_owned(),
        _ => code.to_string(),
    };
    let ctx = ErrorContext {
        page: &page,
        status: code,
        title: t(page.locale, &format!("errors.{key}.title"), &[]),
        message: t(page.locale, &format!("errors.{key}.message"), &[]),
    };
    match app.templates.render("errors/error.html", &ctx) {
        Ok(html) => {
            let mut resp = (status, Html(html)).into_response();
            match kind {
                ErrorKind::Unavailable => {
                    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("3600"));
                }
                ErrorKind::Moving => {
                    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("120"));
                }
                ErrorKind::Busy => {
                    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                }
                _ => {}
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = ?e, "rendering the error page failed");
            (status, format!("{code} {}", status.canonical_reason().unwrap_or("Error"))).into_response()
        }
    }
}
