//! Tenancy: hosts to regions, the region cache, opening regions, migrations, isolation between
//! regions on one connection, the statement cache, and what a hang-up leaves behind.

mod cancellation;
mod clusters;
mod directory_cache;
mod host_resolution;
mod isolation;
mod jobs;
mod migrations;
mod pgbouncer;
mod provisioning;
mod statement_cache;
