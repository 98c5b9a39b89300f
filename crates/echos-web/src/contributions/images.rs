//! Images: covers, and pictures sent from the form into a contribution's text. Checked by their
//! content, scaled down, re-encoded without metadata, stored under the region's id.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use echos_core::Tenant;

use crate::error::WebError;
use crate::forms::Empty;
use crate::gate::{CsrfMultipart, CsrfRefused, SignedIn};
use crate::i18n::t;
use crate::limits::{Writing, may_write};
use crate::session::ClientAddress;
use crate::site::Page;
use crate::state::AppState;
use crate::uploads::{Upload, image_refusal};

/// Cover images and images in the text are stored at most this wide and high.
const IMAGE_SIDE: u32 = 1600;

/// Checks an uploaded image by its content, scales it down, re-encodes it without metadata and
/// stores it under the region's id; the key, or the status and message key of the refusal.
pub(super) async fn store_image(
    app: &AppState,
    tenant: &Tenant,
    bytes: Vec<u8>,
) -> Result<Result<String, (StatusCode, &'static str)>, WebError> {
    let processed = crate::uploads::process(app, bytes, IMAGE_SIDE).await?;
    Ok(match processed {
        Ok(image) => Ok(app.media.put(tenant.id, "images", image.bytes, image.ext, image.content_type).await?),
        Err(e) => Err(image_refusal(&e)),
    })
}

/// An image for a contribution's text, sent by the form's "insert an image" button: stored like a
/// cover and answered as JSON with the Markdown that shows it (`{"markdown": …}`), or the
/// refusal (`{"error": …}`) with the status that fits.
pub(super) async fn upload_image(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    form: Result<CsrfMultipart<Empty>, CsrfRefused<Empty>>,
) -> Result<Response, WebError> {
    let refuse = |status: StatusCode, key: &str| {
        (status, Json(serde_json::json!({ "error": t(page.locale, key, &[]) }))).into_response()
    };
    let Ok(CsrfMultipart { mut files, .. }) = form else {
        return Ok(refuse(StatusCode::FORBIDDEN, "auth.errors.csrf"));
    };
    if let Some(hold) = may_write(&app, &me, Writing::Other, Some(&address)).await? {
        let answer = (hold.status(), Json(serde_json::json!({ "error": hold.message(page.locale) }))).into_response();
        return hold.answer(Ok(answer));
    }
    let bytes = match files.take("image") {
        Some(Upload::Bytes(bytes)) => bytes,
        Some(Upload::TooLarge) => return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "avatar.too_large")),
        None => return Ok(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "avatar.format")),
    };
    match store_image(&app, &me.tenant, bytes).await? {
        Ok(key) => {
            Ok(Json(serde_json::json!({ "url": format!("/media/{key}"), "markdown": format!("![](/media/{key})") }))
                .into_response())
        }
        Err((status, key)) => Ok(refuse(status, key)),
    }
}
