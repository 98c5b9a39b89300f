//! Region slugs: the short name that becomes a sub-domain and the schema name.

use std::fmt;

/// Words a region may not take: they name parts of the platform or look like them.
pub const RESERVED: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "blog",
    "cdn",
    "dashboard",
    "dev",
    "docs",
    "echos",
    "echosciences",
    "ftp",
    "help",
    "imap",
    "localhost",
    "mail",
    "media",
    "mx",
    "ns",
    "ns1",
    "ns2",
    "platform",
    "plateforme",
    "pop",
    "postgres",
    "public",
    "root",
    "smtp",
    "spare",
    "staging",
    "static",
    "status",
    "support",
    "test",
    "www",
];

/// A region's slug: 2–40 characters of lowercase ASCII letters, digits and inner hyphens,
/// not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("the slug must be between 2 and 40 characters long")]
    Length,
    #[error("the slug may contain only lowercase letters a–z, digits and hyphens")]
    Characters,
    #[error("the slug may not start or end with a hyphen, nor contain two in a row")]
    Hyphens,
    #[error("the slug “{0}” is reserved by the platform")]
    Reserved(String),
}

impl Slug {
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim();
        if !(2..=40).contains(&s.len()) {
            return Err(SlugError::Length);
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(SlugError::Characters);
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(SlugError::Hyphens);
        }
        if RESERVED.contains(&s) || s.starts_with("tenant") || s.starts_with("spare") {
            return Err(SlugError::Reserved(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PostgreSQL schema that holds this region's data: `tenant_<slug>` with `_` for `-`.
    /// Always a plain identifier (`[a-z0-9_]`, at most 47 bytes), so it never needs quoting.
    pub fn schema_name(&self) -> String {
        format!("tenant_{}", self.0.replace('-', "_"))
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_region_names() {
        for ok in ["grenoble", "ile-de-france", "a1", "paca-2026"] {
            assert_eq!(Slug::parse(ok).map(|s| s.0), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn refuses_bad_slugs_with_the_reason() {
        assert_eq!(Slug::parse("a"), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"a".repeat(41)), Err(SlugError::Length));
        assert_eq!(Slug::parse("Grenoble"), Err(SlugError::Characters));
        assert_eq!(Slug::parse("gre_noble"), Err(SlugError::Characters));
        assert_eq!(Slug::parse("-grenoble"), Err(SlugError::Hyphens));
        assert_eq!(Slug::parse("gre--noble"), Err(SlugError::Hyphens));
        assert_eq!(Slug::parse("www"), Err(SlugError::Reserved("www".into())));
        assert_eq!(Slug::parse("tenant-x"), Err(SlugError::Reserved("tenant-x".into())));
    }

    proptest! {
        #[test]
        fn every_accepted_slug_gives_a_plain_schema_identifier(s in "[a-z0-9-]{0,45}") {
            if let Ok(slug) = Slug::parse(&s) {
                let schema = slug.schema_name();
                prop_assert!(schema.len() <= 63);
                prop_assert!(schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            }
        }
    }
}
