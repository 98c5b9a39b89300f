//! Events and places on the agenda and the map: `/agenda` (by day, week, month, with filters),
//! its iCalendar feeds, `/carte` and `/carte.geojson`, "I'm going". An event's and a place's own
//! pages and forms are the contributions' (`/evenements/…`, `/lieux/…`), with the parts in `view`.

mod agenda;
mod attend;
mod calendar;
mod map;
pub(crate) mod view;

use axum::routing::{get, post};

pub(crate) use map::map_csp;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .route("/agenda", get(agenda::agenda))
        .route("/agenda.ics", get(calendar::region))
        .route("/agenda/prive/{file}", get(calendar::private))
        .route("/mon-espace/agenda.ics", get(attend::my_feed))
        .route("/communautes/{slug}/agenda.ics", get(calendar::community))
        .route("/evenements/{id}/calendrier.ics", get(calendar::one))
        .route("/evenements/{id}/participer", post(attend::attend))
        .route("/carte", get(map::page))
        .route("/carte.geojson", get(map::geojson))
}
