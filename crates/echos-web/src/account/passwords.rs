//! Password hashing and checking (argon2id), always off the async threads and never more at once
//! than the process has cores (each hash takes ~19 MiB and a core for a while): the rest wait in
//! line, and one that waits too long is answered 503 with `Retry-After` rather than piling up.

use echos_core::secrets;
use echos_domain::member::{Password, PasswordError};

use crate::error::WebError;
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

/// The message for a password refused by its length.
pub(super) fn password_message(page: &Page, e: PasswordError) -> String {
    let key = if e == PasswordError::TooShort { "auth.errors.password_short" } else { "auth.errors.password_long" };
    t(page.locale, key, &[])
}

/// Does `typed` match the account's password?
pub(super) async fn password_matches(app: &AppState, account_id: uuid::Uuid, typed: &str) -> Result<bool, WebError> {
    let stored = echos_core::accounts::password_hash(app.db.platform(), account_id).await?;
    verify(app, typed, stored).await
}

/// A turn at hashing, or 503 when the line is too long.
async fn turn(app: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, WebError> {
    let wait = std::time::Duration::from_secs(app.config.accounts.hash_queue_secs);
    match tokio::time::timeout(wait, app.hashing.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(WebError::Busy),
    }
}

/// Checks a typed password against a stored hash (or, with none, spends the same work on a
/// dummy): only the first `Password::MAX` characters are ever hashed.
pub(crate) async fn verify(app: &AppState, typed: &str, stored: Option<String>) -> Result<bool, WebError> {
    let typed: String = typed.chars().take(Password::MAX).collect();
    let permit = turn(app).await?;
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&typed, stored.as_deref()))
        .await
        .map_err(|e| WebError::Internal(e.into()));
    drop(permit);
    ok
}

/// Hashes a new password.
pub(crate) async fn hash(app: &AppState, password: Password) -> Result<String, WebError> {
    let permit = turn(app).await?;
    let hashed = tokio::task::spawn_blocking(move || secrets::hash_password(password.expose()))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    drop(permit);
    Ok(hashed?)
}
