//! A region's media files (avatars, images): only keys under this region's id are served here.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::gate::Region;
use crate::state::AppState;

pub(super) async fn show_media(
    State(app): State<AppState>,
    Region(tenant): Region,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let (bytes, content_type) =
        app.media.get_for(tenant.id, &key).await.map_err(|_| WebError::NotFound)?.ok_or(WebError::NotFound)?;
    let content_type = HeaderValue::from_str(&content_type).map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            // A key never changes content: a new upload gets a new key.
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'")),
        ],
        bytes,
    )
        .into_response())
}
