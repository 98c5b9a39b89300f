//! Members' pages: a public profile per member (`/membres/<handle>`, its feed, following), the
//! personal space (`/mon-espace`: publications, drafts, "Mon fil", a structure's managers),
//! notifications, and the region's media files.

mod follows;
mod media;
mod notifications;
mod profile;
mod space;
mod structures;

use axum::routing::{get, post};

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .route("/membres/{handle}", get(profile::show_member))
        .route("/membres/{handle}/flux.atom", get(profile::member_feed))
        .route("/membres/{handle}/suivre", post(follows::follow_member))
        .route("/mots-cles/{tag}/suivre", post(follows::follow_tag))
        .route("/mon-espace", get(space::my_space))
        .route("/mon-espace/structure/gestionnaires", post(structures::add_manager))
        .route("/mon-espace/structure/gestionnaires/{id}/retirer", post(structures::remove_manager))
        .route("/mon-espace/structures/{id}/quitter", post(structures::leave_structure))
        .route("/mon-espace/notifications", get(notifications::list_notifications))
        .route("/mon-espace/notifications/lues", post(notifications::mark_read))
        .route("/media/{*key}", get(media::show_media))
}
