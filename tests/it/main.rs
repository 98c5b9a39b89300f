//! End-to-end tests: the real router and a real PostgreSQL, a fresh region per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod articles;
mod cancellation;
mod comments;
mod contributions;
mod directory_cache;
mod host_resolution;
mod isolation;
mod locales;
mod mail;
mod media;
mod migrations;
mod pages;
mod provisioning;
mod search;
mod statement_cache;
mod structures;
mod telemetry;
mod write_gate;
