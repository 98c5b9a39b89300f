//! The write gate: extractors that make the safe path the only path.
//!
//! - `Region`: a page of a region (the platform's host gets a 404).
//! - `SignedIn`: a member of this region; else a redirect to sign in (and back), or to join.
//! - `RegionAdmin`, `RegionEditor`: a member with that role here; else 403.
//! - `CsrfForm<T>`: a form posted from one of our own pages — `Sec-Fetch-Site` and `Origin`
//!   checked against the request's normalised host, the `csrf_token` field against the cookie's
//!   token in constant time — then parsed into `T`. `CsrfMultipart<T>` is the same for a form
//!   with files: the token is checked before any file is read.
//!
//! Every state-changing route takes `CsrfForm`/`CsrfMultipart` (and `SignedIn` or a role guard
//! unless anyone may post it); `router::WRITES` lists them and a test proves each refuses an
//! anonymous request and a cross-site one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::Tenant;
use echos_core::accounts::Member;
use echos_core::secrets;
use echos_domain::HostName;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::WebError;
use crate::format::urlencode_path;
use crate::session::{CsrfToken, Viewer};
use crate::site::Site;
use crate::state::AppState;
use crate::uploads::{Upload, read_capped};

/// The host this request was resolved for, normalised (`site::resolve` records it).
#[derive(Debug, Clone)]
pub struct RequestHost(pub HostName);

/// A page of a region; the platform's own host gets a 404 there.
pub struct Region(pub Arc<Tenant>);

impl<S: Send + Sync> FromRequestParts<S> for Region {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        match parts.extensions.get::<Site>() {
            Some(Site::Region(t)) => Ok(Self(t.clone())),
            _ => Err(WebError::NotFound),
        }
    }
}

/// The signed-in member of this region.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub tenant: Arc<Tenant>,
    pub account_id: Uuid,
    pub member: Member,
}

impl SignedIn {
    /// The session's view of this member, for code that also serves visitors.
    pub fn viewer(&self) -> Viewer {
        Viewer { account_id: self.account_id, member: Some(self.member.clone()), unread: 0 }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Region(tenant) = Region::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match parts.extensions.get::<Viewer>() {
            Some(Viewer { member: Some(member), .. }) if member.banned => Err(WebError::Forbidden.into_response()),
            Some(Viewer { account_id, member: Some(member), .. }) => {
                Ok(Self { tenant, account_id: *account_id, member: member.clone() })
            }
            Some(_) => Err(Redirect::to("/rejoindre").into_response()),
            None => {
                Err(Redirect::to(&format!("/connexion?next={}", urlencode_path(&return_path(parts)))).into_response())
            }
        }
    }
}

/// Where to come back after signing in: this page for a GET; for a form posted while signed
/// out, the page that holds the form (the `Referer` on this host), else the home page.
fn return_path(parts: &Parts) -> String {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    }
    let host = parts.extensions.get::<RequestHost>();
    parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            let rest = r.split_once("://")?.1;
            let (authority, path) = rest.split_at(rest.find('/')?);
            let same = host.is_some_and(|h| HostName::parse(authority).is_ok_and(|a| a == h.0));
            (same && is_local_path(path)).then(|| path.to_owned())
        })
        .unwrap_or_else(|| "/".to_owned())
}

/// Only a path on this site: `/x`, never `//evil.example`, `/\evil` or a control character.
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\')
}

/// A member with the admin role in this region.
pub struct RegionAdmin(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for RegionAdmin {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let me = SignedIn::from_request_parts(parts, state).await?;
        if !me.member.role.is_admin() {
            return Err(WebError::Forbidden.into_response());
        }
        Ok(Self(me))
    }
}

/// A member who may edit any contribution here (an editor or an admin).
pub struct RegionEditor(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for RegionEditor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let me = SignedIn::from_request_parts(parts, state).await?;
        if !me.member.role.edits_any() {
            return Err(WebError::Forbidden.into_response());
        }
        Ok(Self(me))
    }
}

/// Whether a state-changing request comes from a page of this very host: the browser's
/// `Sec-Fetch-Site` is not `cross-site`, and an `Origin`, when sent, names this host.
pub fn same_origin(headers: &HeaderMap, host: Option<&RequestHost>) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Some(authority) = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, a)| a) else {
        return false; // `null`, or not a URL
    };
    match (HostName::parse(authority), host) {
        (Ok(origin), Some(here)) => origin == here.0,
        _ => false,
    }
}

fn token_ok(parts_token: Option<&CsrfToken>, submitted: &str) -> bool {
    parts_token.is_some_and(|t| !submitted.is_empty() && secrets::same_secret(&t.0, submitted))
}

/// Just the token of a form body, whatever else it holds.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TokenField {
    csrf_token: String,
}

/// A form posted from one of our pages, parsed into `T`.
pub struct CsrfForm<T>(pub T);

/// A form refused by the gate: cross-site or without its token (403; `form` is what was typed,
/// for a handler that re-shows it), too large (413), or not a form at all (400).
pub struct CsrfRefused<T> {
    pub form: Option<T>,
    reason: Refusal,
}

#[derive(Clone, Copy)]
enum Refusal {
    Forbidden,
    Malformed,
    TooLarge,
}

impl<T> CsrfRefused<T> {
    fn because(reason: Refusal) -> Self {
        Self { form: None, reason }
    }
}

impl<T> IntoResponse for CsrfRefused<T> {
    fn into_response(self) -> Response {
        match self.reason {
            Refusal::Forbidden => WebError::CsrfRefused.into_response(),
            Refusal::Malformed => WebError::BadRequest.into_response(),
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    }
}

/// Whether the request's headers and token cookie allow a form at all, read before its body.
struct Gate {
    origin_ok: bool,
    expected: Option<CsrfToken>,
}

impl Gate {
    fn of(req: &Request) -> Self {
        Self {
            origin_ok: same_origin(req.headers(), req.extensions().get::<RequestHost>()),
            expected: req.extensions().get::<CsrfToken>().cloned(),
        }
    }

    fn passes(&self, submitted: &str) -> bool {
        self.origin_ok && token_ok(self.expected.as_ref(), submitted)
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = CsrfRefused<T>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, CsrfRefused<T>> {
        let gate = Gate::of(&req);
        // The route's `DefaultBodyLimit` applies: a larger body is refused before it is read.
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            CsrfRefused::because(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Refusal::TooLarge
            } else {
                Refusal::Malformed
            })
        })?;
        let form: Option<T> = serde_urlencoded::from_bytes(&bytes).ok();
        let token: TokenField = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        match (gate.passes(&token.csrf_token), form) {
            (true, Some(form)) => Ok(Self(form)),
            (true, None) => Err(CsrfRefused::because(Refusal::Malformed)),
            (false, form) => Err(CsrfRefused { form, reason: Refusal::Forbidden }),
        }
    }
}

/// The files of a multipart form, by field name, each read up to `media.max_upload_bytes`.
#[derive(Debug, Default)]
pub struct Files(Vec<(String, Upload)>);

impl Files {
    /// The file sent in this field, if one was chosen.
    pub fn take(&mut self, name: &str) -> Option<Upload> {
        let i = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.swap_remove(i).1)
    }
}

/// A form with files (`multipart/form-data`, or urlencoded when no file is sent), posted from
/// one of our pages. The token must come before the first file, and is checked before any file
/// is read.
pub struct CsrfMultipart<T> {
    pub form: T,
    pub files: Files,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfMultipart<T> {
    type Rejection = CsrfRefused<T>;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, CsrfRefused<T>> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let CsrfForm(form) = CsrfForm::from_request(req, state).await?;
            return Ok(Self { form, files: Files::default() });
        }
        let malformed = || CsrfRefused::because(Refusal::Malformed);
        let gate = Gate::of(&req);
        let mut mp = axum::extract::Multipart::from_request(req, state).await.map_err(|_| malformed())?;
        let max = state.config.media.max_upload_bytes;
        let (mut pairs, mut files, mut checked) = (Vec::<(String, String)>::new(), Files::default(), false);
        let token_among = |pairs: &[(String, String)]| pairs.iter().any(|(k, v)| k == "csrf_token" && gate.passes(v));
        while let Some(mut field) = mp.next_field().await.map_err(|_| malformed())? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                checked = checked || token_among(&pairs);
                if !checked {
                    return Err(CsrfRefused::because(Refusal::Forbidden));
                }
                if let Some(upload) = read_capped(&mut field, max).await.map_err(|_| malformed())? {
                    files.0.push((name, upload));
                }
                continue;
            }
            let text = field.text().await.map_err(|_| malformed())?;
            pairs.push((name, text));
        }
        let encoded = serde_urlencoded::to_string(&pairs).map_err(|_| malformed())?;
        let form: Option<T> = serde_urlencoded::from_str(&encoded).ok();
        match (checked || token_among(&pairs), form) {
            (true, Some(form)) => Ok(Self { form, files }),
            (true, None) => Err(malformed()),
            (false, form) => Err(CsrfRefused { form, reason: Refusal::Forbidden }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/articles/12?tag=a"));
        for bad in ["//evil.example", "/\\evil.example", "/\tevil", "https://evil.example", "", "/a\nb", "mon-espace"] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn the_origin_must_name_this_very_host_once_normalised() {
        let here = RequestHost(HostName::parse("grenoble.echosciences.test").expect("host"));
        assert!(same_origin(&headers(&[]), Some(&here)), "no Origin: older browsers, same-site forms");
        assert!(same_origin(&headers(&[("origin", "https://GRENOBLE.echosciences.test.")]), Some(&here)));
        assert!(same_origin(&headers(&[("origin", "http://grenoble.echosciences.test:8080")]), Some(&here)));
        for evil in ["https://evil.example", "null", "https://normandie.echosciences.test", "garbage"] {
            assert!(!same_origin(&headers(&[("origin", evil)]), Some(&here)), "{evil}");
        }
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), Some(&here)));
        assert!(!same_origin(&headers(&[("origin", "https://grenoble.echosciences.test")]), None));
    }
}
