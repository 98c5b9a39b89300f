//! Static files: the stylesheet, scripts and icons (embedded; read from disk with
//! `dev.reload_templates`) and the regions' brand assets from `tenants/assets/`.
//!
//! Pages name each embedded file by its content (`/static/site.1f2e3d4c5b6a7988.css`, from the
//! `asset()` template function): such an address never changes meaning, so it is served
//! `immutable` for a year, and a new build's pages name the new files. Its gzip and Brotli
//! encodings are made once, on first request. The plain name still answers (an hour's cache),
//! for what was written before.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use echos_core::definitions::is_asset_name;

use crate::error::WebError;
use crate::page_cache::Encoding;
use crate::state::AppState;

const EMBEDDED: &[(&str, &str, &[u8])] = &[
    ("site.css", "text/css; charset=utf-8", include_bytes!("../static/site.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../static/favicon.svg")),
    ("favicon-32.png", "image/png", include_bytes!("../static/favicon-32.png")),
    ("apple-touch-icon.png", "image/png", include_bytes!("../static/apple-touch-icon.png")),
    ("tags.js", "text/javascript; charset=utf-8", include_bytes!("../static/tags.js")),
    ("images.js", "text/javascript; charset=utf-8", include_bytes!("../static/images.js")),
    ("admin.js", "text/javascript; charset=utf-8", include_bytes!("../static/admin.js")),
    ("signup.js", "text/javascript; charset=utf-8", include_bytes!("../static/signup.js")),
    ("map.js", "text/javascript; charset=utf-8", include_bytes!("../static/map.js")),
    // Leaflet and its marker clustering, vendored by static/vendor/update.sh.
    ("leaflet.js", "text/javascript; charset=utf-8", include_bytes!("../static/vendor/leaflet.js")),
    ("leaflet.css", "text/css; charset=utf-8", include_bytes!("../static/vendor/leaflet.css")),
    (
        "leaflet.markercluster.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/vendor/leaflet.markercluster.js"),
    ),
    ("MarkerCluster.css", "text/css; charset=utf-8", include_bytes!("../static/vendor/MarkerCluster.css")),
    (
        "MarkerCluster.Default.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/vendor/MarkerCluster.Default.css"),
    ),
];

/// An embedded file, its address by content, and its encodings (made on first request).
struct Asset {
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
    hashed: String,
    encoded: std::sync::OnceLock<(Option<Bytes>, Option<Bytes>)>,
}

static ASSETS: std::sync::LazyLock<Vec<Asset>> = std::sync::LazyLock::new(|| {
    EMBEDDED
        .iter()
        .map(|&(name, mime, bytes)| {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(bytes, &mut hasher);
            let hash = std::hash::Hasher::finish(&hasher);
            let hashed = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash:016x}.{ext}"),
                None => format!("{name}.{hash:016x}"),
            };
            Asset { name, mime, bytes, hashed, encoded: std::sync::OnceLock::new() }
        })
        .collect()
});

/// The address of an embedded file by its content (`{{ asset("site.css") }}` in templates); an
/// unknown name is left as `/static/{name}` (and answers 404).
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or_else(|| format!("/static/{name}"), |a| format!("/static/{}", a.hashed))
}

/// Where an embedded file lives under `static/` (the vendored ones in `static/vendor/`).
fn on_disk(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    if dir.join(name).exists() { dir.join(name) } else { dir.join("vendor").join(name) }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/static/{file}", get(embedded)).route("/static/tenants/{file}", get(tenant_asset))
}

async fn embedded(
    State(app): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let asset = ASSETS.iter().find(|a| a.hashed == file || a.name == file).ok_or(WebError::NotFound)?;
    if app.config.dev.reload_templates {
        let body = tokio::fs::read(on_disk(asset.name)).await.map_err(|e| WebError::Internal(e.into()))?;
        return Ok(with_headers(body.into(), asset.mime, "no-cache"));
    }
    let cache = if asset.hashed == file { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    let mime = HeaderValue::from_static(asset.mime);
    let compressible = crate::page_cache::compressible(&mime) && asset.bytes.len() >= 1024;
    let (body, encoding) = match (compressible, crate::page_cache::Encoding::preferred(&headers)) {
        (false, _) | (true, Encoding::Identity) => (Bytes::from_static(asset.bytes), None),
        (true, wanted) => {
            let (gzip, br) = asset.encoded.get_or_init(|| crate::page_cache::compress(asset.bytes));
            match (wanted, br, gzip) {
                (Encoding::Br, Some(b), _) => (b.clone(), Some("br")),
                (_, _, Some(g)) => (g.clone(), Some("gzip")),
                _ => (Bytes::from_static(asset.bytes), None),
            }
        }
    };
    let mut resp = with_headers(body, asset.mime, cache);
    if compressible {
        resp.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if let Some(e) = encoding {
        resp.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    Ok(resp)
}

async fn tenant_asset(State(app): State<AppState>, Path(file): Path<String>) -> Result<Response, WebError> {
    if !is_asset_name(&file) {
        return Err(WebError::NotFound);
    }
    let mime = match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => return Err(WebError::NotFound),
    };
    let path = app.config.paths.tenants_dir.join("assets").join(&file);
    let body = tokio::fs::read(path).await.map_err(|_| WebError::NotFound)?;
    let mut resp = with_headers(body.into(), mime, "public, max-age=86400");
    // Brand assets come from the operator's repository, but an SVG must still not run scripts.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok(resp)
}

fn with_headers(body: Bytes, mime: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}
