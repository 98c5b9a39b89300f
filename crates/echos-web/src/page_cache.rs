//! The anonymous page cache: what an anonymous visitor gets from a region (a page, a feed, the
//! map's GeoJSON…), kept in memory with its gzip and Brotli encodings, and served again without
//! asking the database.
//!
//! - **What is kept**: only a response `session::load` marked [`Shareable`] — a GET answered 200
//!   to a visitor with no session, that sets no cookie, carries no form token and has no cache
//!   policy of its own. A request with a session cookie never reads the cache.
//! - **The key**: the host as asked, the `lang` cookie as sent, and the path with its query —
//!   all known before the region is resolved, so a hit ([`answer`], the outermost layer of the
//!   sites) costs no region look-up, no session and no database. Nothing else varies an anonymous
//!   page: a region answers anonymous reads on its primary host only (others are redirected), the
//!   theme is CSS. Each entry keeps its region and the content generation and epoch
//!   (`directory::Freshness`) read *before* rendering: it is served only while they are unchanged.
//!   A region closed by the clock alone (a suspension's end) rather than by a write is served from
//!   the cache for at most `http.page_cache_ttl_secs`.
//! - **Retired**: a write to what visitors see bumps the region's generation in every process
//!   (triggers → `NOTIFY` → each process's listener): entries under the old one are never served
//!   again and age out. `http.page_cache_ttl_secs` bounds what changes with the clock alone.
//! - **Bounded** in bytes (`http.page_cache_bytes`, each entry weighed by its three bodies).
//! - **Conditional requests**: each entry has a weak `ETag` (a hash of its body); a matching
//!   `If-None-Match` gets a 304.

use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use echos_domain::Locale;

use crate::router::Viewed;
use crate::session::{HOST_COOKIES, PLAIN_COOKIES, Shareable};
use crate::site::Site;
use crate::state::AppState;

/// Bodies smaller than this are sent as they are: compressing them saves less than its headers.
const COMPRESS_FROM: usize = 1024;
/// Bodies larger than this are compressed off the request's thread.
const COMPRESS_INLINE_UP_TO: usize = 128 * 1024;

#[derive(Clone)]
pub struct PageCache {
    entries: moka::sync::Cache<Key, Arc<Kept>>,
    max_entry: usize,
}

/// What a request is looked up by, before its region is resolved: the host as asked (a region
/// answers anonymous reads on its primary host only, others are redirected), the `lang` cookie as
/// sent (none: the region's default language), the path and query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    host: Box<str>,
    lang: Option<Locale>,
    target: Box<str>,
}

/// An entry with what it was rendered for: served only while its region's content generation
/// and the epoch are those read before rendering.
struct Kept {
    tenant: Arc<echos_core::Tenant>,
    epoch: u64,
    generation: u64,
    entry: Arc<Entry>,
}

/// A response as kept: its headers (with its `ETag`), its body and the body's encodings.
pub struct Entry {
    headers: HeaderMap,
    etag: HeaderValue,
    identity: Bytes,
    gzip: Option<Bytes>,
    br: Option<Bytes>,
    /// An HTML page (counted as a page view when served), and the contribution it shows.
    html: bool,
    viewed: Option<i64>,
}

impl PageCache {
    /// `None` when the configured size is 0 (the cache is off).
    pub fn new(bytes: u64, ttl: Duration, max_entry: usize) -> Option<Self> {
        (bytes > 0).then(|| Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|k: &Key, e: &Arc<Kept>| {
                    u32::try_from(k.host.len() + k.target.len() + e.entry.weight()).unwrap_or(u32::MAX)
                })
                .time_to_live(ttl)
                .build(),
            max_entry,
        })
    }

    /// Entries and their weight in bytes (as the cache counts them: pending work is applied first).
    pub fn usage(&self) -> (u64, u64) {
        self.entries.run_pending_tasks();
        (self.entries.entry_count(), self.entries.weighted_size())
    }
}

impl Entry {
    fn weight(&self) -> usize {
        // The bodies, plus the headers and bookkeeping, roughly.
        self.identity.len() + self.gzip.as_ref().map_or(0, Bytes::len) + self.br.as_ref().map_or(0, Bytes::len) + 512
    }

    /// Keeps a response: reads its body, hashes it, compresses it. A body larger than the cache
    /// takes is given back as it came.
    async fn keep(resp: Response, max: usize) -> Result<Self, Response> {
        if axum::body::HttpBody::size_hint(resp.body()).upper().is_none_or(|n| n > max as u64) {
            return Err(resp);
        }
        let (parts, body) = resp.into_parts();
        let identity = match axum::body::to_bytes(body, max).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "reading a page to cache failed");
                return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        };
        let mut headers = parts.headers;
        headers.remove(header::CONTENT_LENGTH);
        let mut hasher = std::hash::DefaultHasher::new();
        identity.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}-{:x}\"", hasher.finish(), identity.len()))
            .unwrap_or(HeaderValue::from_static("W/\"0\""));
        headers.insert(header::ETAG, etag.clone());
        let compressible =
            identity.len() >= COMPRESS_FROM && headers.get(header::CONTENT_TYPE).is_some_and(compressible);
        let (gzip, br) = if !compressible {
            (None, None)
        } else if identity.len() <= COMPRESS_INLINE_UP_TO {
            compress(&identity)
        } else {
            let body = identity.clone();
            tokio::task::spawn_blocking(move || compress(&body)).await.unwrap_or((None, None))
        };
        if compressible {
            headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        let html = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        let viewed = parts.extensions.get::<Viewed>().map(|v| v.0);
        Ok(Self { headers, etag, identity, gzip, br, html, viewed })
    }

    /// This entry for a request: a 304 when the client has it, else the encoding it prefers.
    fn respond(&self, asked: &Asked) -> Response {
        if asked.if_none_match.as_ref().is_some_and(|v| etag_matches(v, &self.etag)) {
            let mut resp = StatusCode::NOT_MODIFIED.into_response();
            for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
                for v in self.headers.get_all(&name) {
                    resp.headers_mut().append(name.clone(), v.clone());
                }
            }
            return resp;
        }
        let (body, encoding) = match (asked.encoding, &self.br, &self.gzip) {
            (Encoding::Br, Some(b), _) => (b.clone(), Some("br")),
            (Encoding::Br | Encoding::Gzip, _, Some(g)) => (g.clone(), Some("gzip")),
            _ => (self.identity.clone(), None),
        };
        let mut resp = Response::new(Body::from(body));
        *resp.headers_mut() = self.headers.clone();
        if let Some(e) = encoding {
            resp.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        resp
    }
}

/// gzip (level 6) and Brotli (quality 5: close to its best ratio on HTML at a fraction of the
/// time of 11) of a body; an encoding that fails is left out.
pub fn compress(body: &[u8]) -> (Option<Bytes>, Option<Bytes>) {
    let gzip = {
        let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::new(6));
        enc.write_all(body).and_then(|()| enc.finish()).ok().map(Bytes::from)
    };
    let br = {
        let mut out = Vec::with_capacity(body.len() / 4);
        let params = brotli::enc::BrotliEncoderParams { quality: 5, lgwin: 22, ..Default::default() };
        brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok().map(|_| Bytes::from(out))
    };
    (gzip, br)
}

/// Text, and the structured text we serve (JSON, GeoJSON, Atom, iCalendar, XML, SVG).
pub fn compressible(content_type: &HeaderValue) -> bool {
    let v = content_type.as_bytes();
    v.starts_with(b"text/")
        || [
            &b"application/json"[..],
            b"application/geo+json",
            b"application/atom+xml",
            b"application/xml",
            b"image/svg+xml",
        ]
        .iter()
        .any(|p| v.starts_with(p))
}

/// Whether `If-None-Match` names this entity (weak comparison, as RFC 9110 asks for it).
pub fn etag_matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else { return false };
    let ours = etag.to_str().unwrap_or_default().trim_start_matches("W/");
    list.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    /// The best encoding `Accept-Encoding` allows: Brotli, else gzip, else none (`q=0` refuses).
    pub fn preferred(headers: &HeaderMap) -> Self {
        let Some(v) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
            return Self::Identity;
        };
        let (mut br, mut gzip) = (false, false);
        for item in v.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            if name.eq_ignore_ascii_case("br") {
                br = true;
            } else if name.eq_ignore_ascii_case("gzip") || name == "*" {
                gzip = true;
            }
        }
        if br {
            Self::Br
        } else if gzip {
            Self::Gzip
        } else {
            Self::Identity
        }
    }
}

/// What the request asks of a cached response.
struct Asked {
    encoding: Encoding,
    if_none_match: Option<HeaderValue>,
}

/// The key of an anonymous GET, or `None` when the cache is not for it (a session cookie, a
/// host that does not parse).
fn key_of(app: &AppState, req: &Request, host: Option<&str>) -> Option<Key> {
    let jar = CookieJar::from_headers(req.headers());
    if jar.get(HOST_COOKIES.session).is_some() || jar.get(PLAIN_COOKIES.session).is_some() {
        return None;
    }
    let lang = [HOST_COOKIES.lang, PLAIN_COOKIES.lang]
        .into_iter()
        .find_map(|n| jar.get(n))
        .and_then(|c| Locale::parse(c.value()));
    let host: Box<str> = match host {
        Some(h) => h.into(),
        None => {
            let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
            let authority = req.uri().authority().map(|a| a.as_str());
            crate::site::request_host(req.headers(), authority, peer, &app.config.http.trusted_proxies)
                .ok()?
                .as_str()
                .into()
        }
    };
    Some(Key { host, lang, target: req.uri().path_and_query().map_or("/", |p| p.as_str()).into() })
}

/// Middleware (before the region's resolution): answers an anonymous GET from the cache without
/// resolving the region, parsing the session or asking the database — when the entry's region has
/// not changed since it was rendered. The page view is counted as for any page.
pub async fn answer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(cache) = app.pages.as_ref() else { return next.run(req).await };
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let Some(key) = key_of(&app, &req, None) else { return next.run(req).await };
    use echos_core::metrics::{METRICS, Metrics};
    if let Some(kept) = cache.entries.get(&key)
        && app.directory.freshness().of(&kept.tenant.schema) == (kept.epoch, kept.generation)
    {
        Metrics::outcome(&METRICS.page_cache, "hit");
        tracing::Span::current().record("region", kept.tenant.slug.as_str());
        if kept.entry.html {
            app.views.record(&kept.tenant, time::OffsetDateTime::now_utc().date(), kept.entry.viewed);
        }
        let asked = Asked {
            encoding: Encoding::preferred(req.headers()),
            if_none_match: req.headers().get(header::IF_NONE_MATCH).cloned(),
        };
        return kept.entry.respond(&asked);
    }
    Metrics::outcome(&METRICS.page_cache, "miss");
    next.run(req).await
}

/// Middleware (between the region's resolution and the session): keeps the response to an
/// anonymous GET when the rest of the stack marks it shareable; a write retires what this process
/// kept of the region at once.
pub async fn serve(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let tenant = match req.extensions().get::<Site>() {
        Some(Site::Region(t)) => t.clone(),
        _ => return next.run(req).await,
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        // A write: this process retires what it kept of the region at once, for the writer's
        // next page (every process, this one included, also hears of it through `NOTIFY`).
        let resp = next.run(req).await;
        app.directory.freshness().bump(&tenant.schema);
        return resp;
    }
    let Some(cache) = app.pages.as_ref() else { return next.run(req).await };
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let host = req.extensions().get::<crate::gate::RequestHost>().map(|h| h.0.as_str().to_owned());
    let Some(key) = key_of(&app, &req, host.as_deref()) else { return next.run(req).await };
    // Read before rendering: a write that commits meanwhile makes this entry stale at once.
    let (epoch, generation) = app.directory.freshness().of(&tenant.schema);
    let asked = Asked {
        encoding: Encoding::preferred(req.headers()),
        if_none_match: req.headers().get(header::IF_NONE_MATCH).cloned(),
    };
    let resp = next.run(req).await;
    if resp.extensions().get::<Shareable>().is_none() {
        return resp;
    }
    match Entry::keep(resp, cache.max_entry).await {
        Ok(entry) => {
            let entry = Arc::new(entry);
            let resp = entry.respond(&asked);
            cache.entries.insert(key, Arc::new(Kept { tenant, epoch, generation, entry }));
            resp
        }
        Err(resp) => resp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(accept).unwrap());
        h
    }

    #[test]
    fn the_preferred_encoding_follows_accept_encoding() {
        assert_eq!(Encoding::preferred(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(Encoding::preferred(&headers("gzip, deflate, br, zstd")), Encoding::Br);
        assert_eq!(Encoding::preferred(&headers("gzip")), Encoding::Gzip);
        assert_eq!(Encoding::preferred(&headers("br;q=0, gzip;q=0.5")), Encoding::Gzip);
        assert_eq!(Encoding::preferred(&headers("br;q=0, gzip;q=0")), Encoding::Identity);
        assert_eq!(Encoding::preferred(&headers("identity")), Encoding::Identity);
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = HeaderValue::from_static("W/\"abc-1\"");
        assert!(etag_matches(&HeaderValue::from_static("W/\"abc-1\""), &etag));
        assert!(etag_matches(&HeaderValue::from_static("\"x\", \"abc-1\""), &etag));
        assert!(etag_matches(&HeaderValue::from_static("*"), &etag));
        assert!(!etag_matches(&HeaderValue::from_static("W/\"abc-2\""), &etag));
    }

    #[test]
    fn both_encodings_decode_to_the_body() {
        use std::io::Read as _;
        let body = "<p>Échos des sciences</p>".repeat(200);
        let (gzip, br) = compress(body.as_bytes());
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gzip.unwrap()[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, body);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br.unwrap()[..], &mut out).unwrap();
        assert_eq!(out, body.as_bytes());
    }
}
