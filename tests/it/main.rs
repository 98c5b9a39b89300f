//! End-to-end tests: the real router and a real PostgreSQL, a fresh region per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod admin;
mod backups;
mod caching;
mod communities;
mod contributions;
mod crawlers;
mod events;
mod locales;
mod mail;
mod media;
mod members;
mod metrics;
mod pages;
mod platform;
mod projects;
mod search;
mod server;
mod telemetry;
mod tenancy;
mod write_gate;
