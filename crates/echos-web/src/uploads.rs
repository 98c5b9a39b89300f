//! Files sent with a form: read up to a cap (what lies beyond is never buffered), and the refusal
//! of an image as a status and a message key — the same for avatars, covers and text images.

use std::time::Duration;

use axum::extract::multipart::{Field, MultipartError};
use axum::http::StatusCode;
use echos_core::images::{ImageError, ProcessedImage, process_image};

use crate::error::WebError;
use crate::state::AppState;

/// A file field as read.
#[derive(Debug)]
pub enum Upload {
    Bytes(Vec<u8>),
    /// Larger than allowed: reading stopped at the cap.
    TooLarge,
}

/// Reads a file field up to `max` bytes; `None` when it is empty (no file chosen).
pub async fn read_capped(field: &mut Field<'_>, max: usize) -> Result<Option<Upload>, MultipartError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > max {
            return Ok(Some(Upload::TooLarge));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((!bytes.is_empty()).then_some(Upload::Bytes(bytes)))
}

/// Why an image is refused: the status that fits and the message's key.
pub fn image_refusal(e: &ImageError) -> (StatusCode, &'static str) {
    match e {
        ImageError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "avatar.too_large"),
        ImageError::TooManyPixels => (StatusCode::UNPROCESSABLE_ENTITY, "avatar.too_many_pixels"),
        ImageError::NotAnImage | ImageError::Unsupported => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "avatar.format"),
        ImageError::Corrupt => (StatusCode::UNPROCESSABLE_ENTITY, "avatar.corrupt"),
    }
}

/// Checks and re-encodes an image off the async threads, as many at once as the process has
/// cores (a decoded image can take a hundred megabytes): one waiting longer than
/// `accounts.hash_queue_secs` for its turn is answered 503 with `Retry-After`.
pub async fn process(
    app: &AppState,
    bytes: Vec<u8>,
    side: u32,
) -> Result<Result<ProcessedImage, ImageError>, WebError> {
    let wait = Duration::from_secs(app.config.accounts.hash_queue_secs);
    let permit = tokio::time::timeout(wait, app.decoding.clone().acquire_owned())
        .await
        .map_err(|_| WebError::Busy)?
        .map_err(|_| WebError::Busy)?;
    let max = app.config.media.max_upload_bytes;
    tokio::task::spawn_blocking(move || {
        let _turn = permit;
        process_image(&bytes, side, max)
    })
    .await
    .map_err(|e| WebError::Internal(e.into()))
}
