//! Use cases and all SQL of the platform: configuration, the database handle and `TenantTx`,
//! migrations, provisioning, the tenant directory, image checks and media storage. Handlers call
//! these free functions; nothing here knows about HTTP.

pub mod accounts;
pub mod admin;
pub mod archive;
pub mod backups;
pub mod billing;
pub mod clusters;
pub mod comments;
pub mod communities;
pub mod config;
pub mod contributions;
pub mod db;
pub mod definitions;
pub mod directory;
pub mod error;
pub mod events;
pub mod exports;
pub mod follows;
pub mod images;
pub mod jobs;
pub mod lifecycle;
pub mod mail;
pub mod markdown;
pub mod media;
pub mod metrics;
pub mod migrate;
pub mod moderation;
pub mod notifications;
pub mod operations;
pub mod operators;
pub mod projects;
pub mod provision;
pub mod search;
pub mod secrets;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod signin;
pub mod signups;
pub mod structures;
pub mod tenants;
pub mod trace;

pub use config::Config;
pub use db::{Db, TenantTx};
pub use error::CoreError;
pub use media::{MediaStore, ObjectStore};
pub use tenants::{Tenant, TenantStatus};
