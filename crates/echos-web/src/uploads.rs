//! Files sent with a form: read up to a cap (what lies beyond is never buffered), and the refusal
//! of an image as a status and a message key — the same for avatars, covers and text images.

use axum::extract::multipart::{Field, MultipartError};
use axum::http::StatusCode;
use echos_core::images::ImageError;

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
