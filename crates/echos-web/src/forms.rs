//! A form as re-shown after a refusal: what was typed (never a password) and the messages.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize)]
pub struct FormState {
    pub values: BTreeMap<&'static str, String>,
    pub errors: BTreeMap<&'static str, String>,
    pub error: Option<String>,
}

impl FormState {
    pub fn value(mut self, field: &'static str, v: &str) -> Self {
        self.values.insert(field, v.to_owned());
        self
    }

    pub fn field_error(&mut self, field: &'static str, message: String) {
        self.errors.insert(field, message);
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.error.is_none()
    }
}

/// The body of a form that carries nothing but its CSRF token (sign out, delete, like …).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf_token: String,
}
