//! Communities (`/communautes`): the list, a community's page with its feed (pinned first), its
//! members and its Atom feed; proposing one; joining (or asking to) and leaving; and, for its
//! moderators and owners, `/communautes/{slug}/gerer` (its page, access, threshold, pins, members,
//! roles, requests) and its review queue. Every rule (who may do what) is in
//! `echos_core::communities`; these handlers parse, call, and show.

mod manage;
mod pages;

use axum::routing::{get, post};

use crate::routes::Routes;

/// Communities a page of the list shows.
const PER_PAGE: i64 = 24;
/// Contributions a page of a community's feed shows.
const FEED_PAGE: i64 = 12;

pub fn routes() -> Routes {
    Routes::new()
        .route("/communautes", get(pages::list).post(pages::propose))
        .route("/communautes/proposer", get(pages::propose_form))
        .route("/communautes/{slug}", get(pages::show))
        .route("/communautes/{slug}/flux.atom", get(pages::feed))
        .route("/communautes/{slug}/rejoindre", post(pages::join))
        .route("/communautes/{slug}/quitter", post(pages::leave))
        .route("/communautes/{slug}/gerer", get(manage::form).post(manage::edit))
        .route("/communautes/{slug}/membres/{id}", post(manage::member))
        .route("/communautes/{slug}/demandes/{id}", post(manage::request))
        .route("/communautes/{slug}/epingles", post(manage::pin))
        .route("/communautes/{slug}/moderation", get(manage::queue))
}
