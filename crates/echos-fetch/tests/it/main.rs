//! `echos_fetch::preview` against real sockets on this machine, and the address rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod addresses;
mod pages;
mod redirects;
mod refusals;
mod server;
