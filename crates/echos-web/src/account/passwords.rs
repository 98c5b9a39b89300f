//! Password hashing and checking (argon2id), always off the async threads.

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
    verify(typed, stored).await
}

/// Checks a typed password against a stored hash (or, with none, spends the same work on a
/// dummy): only the first `Password::MAX` characters are ever hashed.
pub(crate) async fn verify(typed: &str, stored: Option<String>) -> Result<bool, WebError> {
    let typed: String = typed.chars().take(Password::MAX).collect();
    tokio::task::spawn_blocking(move || secrets::verify_password(&typed, stored.as_deref()))
        .await
        .map_err(|e| WebError::Internal(e.into()))
}

/// Hashes a new password.
pub(crate) async fn hash(password: Password) -> Result<String, WebError> {
    Ok(tokio::task::spawn_blocking(move || secrets::hash_password(password.expose()))
        .await
        .map_err(|e| WebError::Internal(e.into()))??)
}
