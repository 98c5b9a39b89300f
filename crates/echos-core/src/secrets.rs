//! Random tokens and password hashes. Tokens are shown once (a cookie, a link) and stored only
//! as their SHA-256; passwords are stored as argon2id hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::CoreError;

/// 256 random bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hashes a password (argon2id, default parameters). CPU-heavy: call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, CoreError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::Unexpected(anyhow::anyhow!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Unexpected(anyhow::anyhow!("hashing a password: {e}")))
}

/// Checks a password against a stored hash. With no hash (unknown e-mail) it still spends the
/// same work on a fixed hash, so that the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Q+6KZ0Ks4JHXF3ecSFBFj1jKF0v6Ej7+fXHZIhnkCFE";
    let hash = stored.unwrap_or(DUMMY);
    let ok = PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("wrong horse battery", Some(&h)));
        assert!(!verify_password("correct horse battery", None));
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b));
    }
}
