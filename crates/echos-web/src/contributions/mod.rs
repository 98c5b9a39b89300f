//! Contributions of every kind under their own path (`/articles`, `/veille`, `/debats`,
//! `/annonces`, `/dossiers`): the list with its filters and pages, the page (OpenGraph, JSON-LD),
//! writing, editing and deleting, comments and likes, and Atom feeds. Authors edit their own
//! (dossiers: their co-authors too); the region's editors and admins edit any. Another region's
//! contribution is simply not there (404).
//!
//! One file per action: `list`, `show`, `write` (new, edit, delete) with its form in `form`,
//! `comments`, `likes`, `images` (pictures in the text), `feeds`; `view` is how pages show one.

mod comments;
mod feature;
mod feeds;
mod form;
mod images;
mod likes;
mod list;
mod located;
mod show;
mod view;
mod write;

use axum::Extension;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use echos_domain::contribution::Kind;

pub use feeds::feed;
pub use view::ContributionView;

use crate::routes::Routes;

const PER_PAGE: i64 = 12;
/// A contribution form with its cover image; the image itself is checked against
/// `media.max_upload_bytes`.
const FORM_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn routes() -> Routes {
    let mut routes = Routes::new()
        .route("/commentaires/{id}/supprimer", post(comments::delete_comment))
        .route("/commentaires/{id}/modifier", get(comments::edit_comment_form).post(comments::update_comment))
        .route("/mots-cles/suggestions", get(list::suggest_tags))
        .route("/flux.atom", get(feeds::region_feed))
        .route("/contribuer", get(write::choose))
        .route("/medias/images", post(images::upload_image).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)));
    for kind in Kind::ALL {
        let s = kind.segment();
        routes = routes.merge(
            Routes::new()
                .route(
                    &format!("/{s}"),
                    get(list::list).post(write::create).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
                )
                .route(&format!("/{s}/nouveau"), get(write::new_form))
                .route(&format!("/{s}.atom"), get(feeds::kind_feed))
                .route(&format!("/{s}/{{id_slug}}"), get(show::show))
                .route(
                    &format!("/{s}/{{id}}/modifier"),
                    get(write::edit_form).post(write::update).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
                )
                .route(&format!("/{s}/{{id}}/supprimer"), get(write::delete_form).post(write::delete))
                .route(&format!("/{s}/{{id}}/commentaires"), post(comments::add_comment))
                .route(&format!("/{s}/{{id}}/jaime"), post(likes::toggle_like))
                .route(&format!("/{s}/{{id}}/une"), post(feature::toggle_featured))
                .route(&format!("/{s}/{{id}}/revue"), post(crate::moderation::request_review))
                .map(|r| {
                    r.layer(axum::middleware::from_fn(move |req, next| offered(kind, req, next))).layer(Extension(kind))
                }),
        );
    }
    routes.map(|r| r.layer(DefaultBodyLimit::max(256 * 1024)))
}

/// A kind the region does not offer has no pages there (404).
async fn offered(kind: Kind, req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    match req.extensions().get::<crate::site::Site>().and_then(crate::site::Site::tenant) {
        Some(t) if !t.offers(kind) => crate::error::WebError::NotFound.into_response(),
        _ => next.run(req).await,
    }
}
