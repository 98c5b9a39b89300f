//! The HTTP face of the platform: the router, tenant resolution, page rendering and static
//! assets. Handlers are thin: parse, call one use case in `echos-core`, render or redirect.

rust_i18n::i18n!("locales", fallback = "fr");

pub mod assets;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod router;
pub mod site;
pub mod state;
pub mod templates;

pub use router::router;
pub use state::AppState;
