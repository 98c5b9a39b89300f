//! Which site a request is for: the platform's own pages, or one region. Resolved once per
//! request from the `Host` header (a forwarded host only from a configured proxy), then carried
//! as a request extension. There is no default region and no other source of the tenant.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use echos_core::Tenant;
use echos_core::tenants::Access;
use echos_core::tenants::FooterLink;
use echos_domain::colour::Rgb;
use echos_domain::{HostError, HostName, Locale};
use serde::Serialize;

use crate::error::{ErrorKind, render_error};
use crate::gate::RequestHost;
use crate::session::{CsrfToken, Viewer};
use crate::state::AppState;

#[derive(Clone, Debug)]
pub enum Site {
    Platform,
    Region(Arc<Tenant>),
}

impl Site {
    pub fn tenant(&self) -> Option<&Arc<Tenant>> {
        match self {
            Site::Platform => None,
            Site::Region(t) => Some(t),
        }
    }
}

/// The request's host: `Host` (or the URI's authority), or a forwarded host when the peer is a
/// trusted proxy. Missing or malformed → `Err`.
pub fn request_host(
    headers: &HeaderMap,
    authority: Option<&str>,
    peer: Option<IpAddr>,
    trusted: &[ipnet::IpNet],
) -> Result<HostName, HostError> {
    let from_proxy = peer.is_some_and(|ip| trusted.iter().any(|net| net.contains(&ip)));
    if from_proxy && let Some(h) = forwarded_host(headers) {
        return HostName::parse(&h);
    }
    let raw = match headers.get(header::HOST) {
        // Browsers send punycode, but accept a raw UTF-8 name too: it normalises to the same.
        Some(v) => std::str::from_utf8(v.as_bytes()).map_err(|_| HostError::Invalid)?,
        None => authority.ok_or(HostError::Empty)?,
    };
    HostName::parse(raw)
}

/// The first `X-Forwarded-Host`, else the `host=` of the first `Forwarded` element.
fn forwarded_host(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()) {
        return v.split(',').next().map(|s| s.trim().to_owned());
    }
    let fwd = headers.get(header::FORWARDED)?.to_str().ok()?;
    let first = fwd.split(',').next()?;
    first.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.eq_ignore_ascii_case("host").then(|| v.trim_matches('"').to_owned())
    })
}

/// Middleware: resolves the site and records it on the request and its tracing span.
pub async fn resolve(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    let host = match request_host(req.headers(), authority.as_deref(), peer, &app.config.http.trusted_proxies) {
        Ok(h) => h,
        Err(_) => return render_error(&app, &req, None, ErrorKind::BadRequest),
    };
    let site = if host == app.platform_domain {
        Site::Platform
    } else {
        match app.directory.resolve(&host).await {
            // A region whose migration failed (or has not run yet) would show half-migrated
            // pages: it is closed until `echos migrate` brings it up to date.
            Ok(Some(t)) if t.schema_version < echos_core::migrate::latest_tenant_version() => {
                tracing::warn!(region = %t.slug, version = t.schema_version, "a region behind its migrations answered 503");
                return render_error(&app, &req, None, ErrorKind::Unavailable);
            }
            Ok(Some(t)) => match t.access(app.config.billing.read_only_days, time::OffsetDateTime::now_utc()) {
                Access::Open => Site::Region(t),
                // Suspended: read, and sign in or out; nothing else is written.
                Access::ReadOnly if reads(&req) || READ_ONLY_WRITES.iter().any(|p| req.uri().path() == *p) => {
                    Site::Region(t)
                }
                Access::ReadOnly => {
                    let site = Site::Region(t);
                    return render_error(&app, &req, Some(&site), ErrorKind::ReadOnly);
                }
                // Being moved to another cluster: read, nothing written for a few minutes.
                Access::Moving if reads(&req) => Site::Region(t),
                Access::Moving => {
                    let site = Site::Region(t);
                    return render_error(&app, &req, Some(&site), ErrorKind::Moving);
                }
                Access::Closed => return render_error(&app, &req, None, ErrorKind::Unavailable),
            },
            Ok(None) => return render_error(&app, &req, None, ErrorKind::NotFound),
            Err(e) => {
                tracing::error!(error = ?e, %host, "resolving the region failed");
                return render_error(&app, &req, None, ErrorKind::Internal);
            }
        }
    };
    if let Some(t) = site.tenant() {
        tracing::Span::current().record("region", t.slug.as_str());
        // A region answers on its primary host: every other one sends readers there (forms
        // posted to an old host still work).
        let reading = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
        if reading && host.as_str() != t.primary_host {
            let target =
                crate::links::region_url(&app.config, t, req.uri().path_and_query().map_or("/", |p| p.as_str()));
            return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, target)]).into_response();
        }
    }
    let origin = match &site {
        Site::Region(t) => crate::links::region_url(&app.config, t, ""),
        Site::Platform => {
            let port = app.config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{}{port}", app.config.platform.public_scheme, app.platform_domain)
        }
    };
    req.extensions_mut().insert(PublicOrigin(origin));
    req.extensions_mut().insert(site);
    req.extensions_mut().insert(RequestHost(host));
    next.run(req).await
}

/// `scheme://host[:port]` of the site a request is for, as its links are written (the region's
/// primary host, never the request's `Host`).
#[derive(Debug, Clone)]
pub struct PublicOrigin(pub String);

fn reads(req: &Request) -> bool {
    req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD
}

/// What a suspended region still accepts: signing in and out (to read, and for its admins to
/// reach the subscription page), and its admins' way to pay or to take an archive.
const READ_ONLY_WRITES: &[&str] = &["/connexion", "/deconnexion", "/admin/abonnement/portail", "/admin/archives"];

/// What every page's layout needs: the site's look, the locale and the language links.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub site: SiteView,
    pub locale: Locale,
    pub locales: Vec<LocaleLink>,
    pub request_id: String,
    /// The signed-in member of this region, for the header.
    pub me: Option<Me>,
    /// For the hidden field of every form on the page.
    pub csrf_token: String,
    /// This page's absolute address (OpenGraph's `og:url`, the canonical link).
    pub url: String,
    /// `scheme://host[:port]` of the site, for absolute addresses.
    pub origin: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub display_name: String,
    pub handle: String,
    pub unread: i64,
    /// Shows the console's link.
    pub is_admin: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub kind: &'static str,
    pub name: String,
    pub tagline: String,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub home_url: &'static str,
    pub color_primary: String,
    pub color_accent: String,
    pub on_primary: String,
    pub on_accent: String,
    pub primary_ink: String,
    /// The header's sections: each kind the region offers, `(segment, key)`.
    pub nav: Vec<(&'static str, &'static str)>,
    pub footer_links: Vec<FooterLink>,
    /// `platform`, or the region's state (`trial`, `active`, `past_due`, `suspended`, …): a
    /// suspended region's pages carry a notice, its console a banner for the others.
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocaleLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
    pub href: String,
}

pub const PLATFORM_PRIMARY: &str = "#1b4965";
pub const PLATFORM_ACCENT: &str = "#c2410c";

impl SiteView {
    pub fn of(site: Option<&Site>, platform_name: &str) -> Self {
        match site.and_then(Site::tenant) {
            Some(t) => Self::of_tenant(t),
            None => Self::colours(
                Self {
                    kind: "platform",
                    name: platform_name.to_owned(),
                    tagline: String::new(),
                    logo_url: None,
                    favicon_url: None,
                    home_url: "/",
                    color_primary: String::new(),
                    color_accent: String::new(),
                    on_primary: String::new(),
                    on_accent: String::new(),
                    primary_ink: String::new(),
                    nav: Vec::new(),
                    footer_links: Vec::new(),
                    state: "platform",
                },
                PLATFORM_PRIMARY,
                PLATFORM_ACCENT,
            ),
        }
    }

    pub fn of_tenant(t: &Tenant) -> Self {
        let view = Self {
            kind: "region",
            name: t.name.clone(),
            tagline: t.tagline.clone(),
            logo_url: t.logo(),
            favicon_url: t.favicon_key.as_ref().map(|k| format!("/media/{k}")),
            home_url: "/",
            color_primary: String::new(),
            color_accent: String::new(),
            on_primary: String::new(),
            on_accent: String::new(),
            primary_ink: String::new(),
            nav: t.kinds.iter().map(|k| (k.segment(), k.nav_key())).collect(),
            footer_links: t.footer_links.clone(),
            state: if t.moving_since.is_some() { "moving" } else { t.status.as_str() },
        };
        Self::colours(view, &t.color_primary, &t.color_accent)
    }

    /// The brand colours, and the text colours derived to keep WCAG AA contrast.
    fn colours(mut self, primary: &str, accent: &str) -> Self {
        let p = Rgb::parse(primary).unwrap_or(Rgb(0x1b, 0x49, 0x65));
        let a = Rgb::parse(accent).unwrap_or(Rgb(0xc2, 0x41, 0x0c));
        self.color_primary = p.hex();
        self.color_accent = a.hex();
        self.on_primary = p.text_on().hex();
        self.on_accent = a.text_on().hex();
        self.primary_ink = p.ink_on_white().hex();
        self
    }
}

/// The locale of this request: the visitor's `lang` cookie, else the region's default (French
/// on the platform's pages).
pub fn locale_of(headers: &HeaderMap, site: Option<&Site>) -> Locale {
    let jar = CookieJar::from_headers(headers);
    // Either spelling: the name depends on the scheme the site is served over.
    [crate::session::HOST_COOKIES.lang, crate::session::PLAIN_COOKIES.lang]
        .into_iter()
        .find_map(|name| jar.get(name))
        .and_then(|c| Locale::parse(c.value()))
        .unwrap_or_else(|| site.and_then(Site::tenant).map_or(Locale::Fr, |t| t.default_locale))
}

impl Page {
    pub fn build(headers: &HeaderMap, path: &str, site: Option<&Site>) -> Self {
        let locale = locale_of(headers, site);
        let back = crate::format::urlencode_path(path);
        let offered = site.and_then(Site::tenant).map_or(&Locale::ALL[..], |t| &t.locales[..]);
        let locales = offered
            .iter()
            .map(|l| LocaleLink {
                code: l.code(),
                name: l.native_name(),
                current: *l == locale,
                href: format!("/langue/{}?retour={back}", l.code()),
            })
            .collect();
        let request_id =
            headers.get("x-request-id").and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or_default().to_owned();
        Self {
            site: SiteView::of(site, "Echosciences"),
            locale,
            locales,
            request_id,
            me: None,
            csrf_token: String::new(),
            url: String::new(),
            origin: String::new(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        let mut page = Self::build(&parts.headers, parts.uri.path(), parts.extensions.get::<Site>());
        if let Some(v) = parts.extensions.get::<Viewer>()
            && let Some(m) = v.member.as_ref()
        {
            page.me = Some(Me {
                display_name: m.display_name.clone(),
                handle: m.handle.clone(),
                unread: v.unread,
                is_admin: m.role.is_admin(),
            });
        }
        if let Some(t) = parts.extensions.get::<CsrfToken>() {
            page.csrf_token = t.0.clone();
        }
        if let Some(o) = parts.extensions.get::<PublicOrigin>() {
            page.url = format!("{}{}", o.0, parts.uri.path());
            page.origin = o.0.clone();
        }
        Ok(page)
    }
}
