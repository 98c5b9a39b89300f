//! Static files: the stylesheet and icon (embedded; read from disk with `dev.reload_templates`)
//! and the regions' brand assets from `tenants/assets/`.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use echos_core::definitions::is_asset_name;

use crate::error::WebError;
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

/// Where an embedded file lives under `static/` (the vendored ones in `static/vendor/`).
fn on_disk(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    if dir.join(name).exists() { dir.join(name) } else { dir.join("vendor").join(name) }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/static/{file}", get(embedded)).route("/static/tenants/{file}", get(tenant_asset))
}

async fn embedded(State(app): State<AppState>, Path(file): Path<String>) -> Result<Response, WebError> {
    let (name, mime, bytes) = EMBEDDED.iter().find(|(n, _, _)| *n == file).ok_or(WebError::NotFound)?;
    let body = if app.config.dev.reload_templates {
        tokio::fs::read(on_disk(name)).await.map_err(|e| WebError::Internal(e.into()))?
    } else {
        bytes.to_vec()
    };
    Ok(with_headers(body, mime, "public, max-age=3600"))
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
    let mut resp = with_headers(body, mime, "public, max-age=86400");
    // Brand assets come from the operator's repository, but an SVG must still not run scripts.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok(resp)
}

fn with_headers(body: Vec<u8>, mime: &'static str, cache: &'static str) -> Response {
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
