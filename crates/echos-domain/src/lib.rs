//! Pure types and rules of the platform. Nothing here does I/O: values are parsed once at the
//! edge ("parse, don't validate") and carried as types that cannot hold a bad value.

pub mod colour;
pub mod contribution;
pub mod event;
pub mod geo;
pub mod host;
pub mod ical;
pub mod job;
pub mod locale;
pub mod member;
pub mod region;
pub mod slug;
pub mod subdomain;

pub use host::{CustomDomainError, HostError, HostName};
pub use locale::Locale;
pub use slug::{Slug, SlugError};
