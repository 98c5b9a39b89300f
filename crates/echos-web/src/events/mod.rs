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

/// Places an address with the region's geocoder (a Nominatim-compatible search URL): the first
/// answer's point, or `None` when it finds nothing, cannot be reached in 5 s or answers nonsense.
/// The request keeps to the curated-link previews' outbound rules (public addresses only, unless
/// `links.preview_allow` exempts some; no credentials; few redirects; a small body).
pub(crate) async fn geocode(
    app: &crate::state::AppState,
    base: &str,
    address: &str,
) -> Option<echos_domain::geo::Point> {
    #[derive(serde::Deserialize)]
    struct Hit {
        lat: String,
        lon: String,
    }
    let cfg = &app.config.links;
    let policy = echos_fetch::Policy {
        allow: cfg.preview_allow.clone(),
        connect_timeout: std::time::Duration::from_secs(2),
        total_timeout: std::time::Duration::from_secs(5),
        max_bytes: 64 * 1024,
        resolve: crate::worker::resolve_overrides(&cfg.resolve),
        user_agent: "Echosciences/1.0 (geocoding an address typed in a form)".to_owned(),
        ..echos_fetch::Policy::default()
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}format=jsonv2&limit=1&q={}", crate::format::urlencode(address));
    let body = match echos_fetch::json(&url, &policy).await {
        Ok(b) => b,
        Err(e) => {
            tracing::info!(error = ?e, "the geocoder did not answer");
            return None;
        }
    };
    let hits: Vec<Hit> = serde_json::from_str(&body).ok()?;
    let hit = hits.first()?;
    echos_domain::geo::Point::parse(&hit.lat, &hit.lon).ok().flatten()
}

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
