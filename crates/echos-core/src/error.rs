//! The one error type of the use cases. Variants are what a caller can act on; everything else
//! is `Unexpected`, carrying its cause chain for the log (never for the client).

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// The request collides with existing data; the message is one sentence for a person.
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable; the message is one sentence for a person.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl CoreError {
    pub fn conflict(msg: impl fmt::Display) -> Self {
        Self::Conflict(msg.to_string())
    }

    pub fn invalid(msg: impl fmt::Display) -> Self {
        Self::Invalid(msg.to_string())
    }

    /// The SQLSTATE of the database error behind this one, if any.
    pub fn sqlstate(&self) -> Option<String> {
        let Self::Unexpected(e) = self else { return None };
        e.chain()
            .find_map(|c| c.downcast_ref::<sqlx::Error>())
            .and_then(|e| e.as_database_error())
            .and_then(|d| d.code().map(|c| c.into_owned()))
    }
}

impl From<sqlx::Error> for CoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            e => Self::Unexpected(e.into()),
        }
    }
}

/// Adds a "what was being done" line to database and I/O errors, like `anyhow::Context`.
pub trait Context<T> {
    fn context(self, what: &'static str) -> Result<T, CoreError>;
}

impl<T, E: Into<anyhow::Error>> Context<T> for Result<T, E> {
    fn context(self, what: &'static str) -> Result<T, CoreError> {
        self.map_err(|e| CoreError::Unexpected(e.into().context(what)))
    }
}

/// The SQLSTATE and constraint of a database error, to map violations to domain errors.
pub fn db_violation(e: &sqlx::Error) -> Option<(String, Option<String>)> {
    let d = e.as_database_error()?;
    Some((d.code()?.into_owned(), d.constraint().map(str::to_owned)))
}

pub const UNIQUE_VIOLATION: &str = "23505";
pub const DUPLICATE_SCHEMA: &str = "42P06";
pub const LOCK_NOT_AVAILABLE: &str = "55P03";
pub const DEADLOCK_DETECTED: &str = "40P01";
pub const SERIALIZATION_FAILURE: &str = "40001";
/// `cached plan must not change result type`: a cached statement met a table of another shape.
pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
