//! The HTTP face of the platform: the router, tenant resolution, page rendering and static
//! assets. Handlers are thin: parse, call one use case in `echos-core`, render or redirect.
//!
//! One folder per URL space (`auth`, `account`, `members`, `contributions`, `search`, `pages`),
//! each split by action; shared pieces are named for what they do: `gate` (the extractors every
//! write goes through), `forms`, `limits`, `format`, `uploads`, `links`, and
//! `page_cache` (anonymous pages kept in memory).

rust_i18n::i18n!("locales", fallback = "fr");

pub mod account;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod charts;
pub mod communities;
pub mod contributions;
pub mod csv;
pub mod error;
pub mod events;
pub mod format;
pub mod forms;
pub mod gate;
pub mod i18n;
pub mod limits;
pub mod links;
pub mod members;
pub mod metrics;
pub mod moderation;
pub mod page_cache;
pub mod pages;
pub mod platform;
pub mod projects;
pub mod router;
pub mod routes;
pub mod search;
pub mod server;
pub mod session;
pub mod site;
pub mod state;
pub mod templates;
pub mod uploads;
pub mod worker;

pub use router::router;
pub use state::AppState;
