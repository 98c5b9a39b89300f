//! The regional console's use cases: branding and configuration, custom domains, members and
//! roles, participation figures, the legal pages, newsletters — every action written to the
//! region's audit log in the same transaction.

pub mod audit;
pub mod branding;
pub mod domains;
pub mod members;
pub mod newsletters;
pub mod pages;
pub mod stats;
pub mod views;
