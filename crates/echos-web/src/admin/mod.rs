//! The regional admin's console (`/admin`): the look and the configuration of the region, its
//! own pages and domains, the home page, its members and their roles, participation figures, the
//! audit log and newsletters. Every page and action takes `RegionAdmin` (403 for a member, the
//! sign-in page for a visitor); another region's console is another host's, and an id of another
//! region's member or newsletter is simply not there (404).

mod appearance;
mod billing;
mod communities;
mod dashboard;
mod domains;
pub mod home;
mod journal;
mod members;
mod newsletters;
mod pages;
mod participation;
mod settings;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Serialize;

pub use billing::archive_response;
pub use domains::{VerifyJob, tls_allowed, well_known_token};
pub use newsletters::{unsubscribe, unsubscribe_form};
pub use pages::show as legal_page;
pub use participation::{Chart as ChartView, network_charts};

use crate::routes::Routes;
use crate::site::Page;

/// Images of the look may be this large (the image itself: `media.max_upload_bytes`).
const IMAGE_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .route("/admin", get(dashboard::dashboard))
        .route("/admin/apparence", get(appearance::form).post(appearance::save))
        .route("/admin/apparence/images", post(appearance::images).layer(DefaultBodyLimit::max(IMAGE_BODY_LIMIT)))
        .route("/admin/reglages", get(settings::form).post(settings::save))
        .route("/admin/pages", get(pages::list))
        .route("/admin/pages/{slug}", get(pages::form).post(pages::save))
        .route("/admin/domaines", get(domains::list).post(domains::add))
        .route("/admin/domaines/verifier", post(domains::verify))
        .route("/admin/domaines/principal", post(domains::make_primary))
        .route("/admin/domaines/retirer", post(domains::remove))
        .route("/admin/accueil", get(home::form).post(home::save))
        .route("/admin/membres", get(members::list))
        .route("/admin/membres/export.csv", get(members::export))
        .route("/admin/membres/{id}", get(members::show))
        .route("/admin/membres/{id}/role", post(members::set_role))
        .route("/admin/membres/{id}/sanction", post(members::sanction))
        .route("/admin/participation", get(participation::page))
        .route("/admin/participation/{name}", get(participation::csv))
        .route("/admin/journal", get(journal::list))
        .route("/admin/lettres", get(newsletters::list).post(newsletters::create))
        .route("/admin/lettres/nouvelle", get(newsletters::new_form))
        .route("/admin/lettres/{id}", get(newsletters::show).post(newsletters::update))
        .route("/admin/lettres/{id}/essai", post(newsletters::test_send))
        .route("/admin/lettres/{id}/envoyer", post(newsletters::send))
        .route("/admin/communautes", get(communities::list))
        .route("/admin/communautes/{id}/{action}", post(communities::act))
        .route("/admin/moderation", get(communities::moderation))
        .route("/admin/abonnement", get(billing::page))
        .route("/admin/abonnement/portail", post(billing::portal))
        .route("/admin/archives", post(billing::request_archive))
        .route("/admin/archives/{id}", get(billing::download))
        .map(|r| r.layer(DefaultBodyLimit::max(128 * 1024)))
}

/// The console's sections, in the order of its menu: (path, key of its name).
const SECTIONS: [(&str, &str); 14] = [
    ("/admin", "dashboard"),
    ("/admin/apparence", "appearance"),
    ("/admin/reglages", "settings"),
    ("/admin/accueil", "home"),
    ("/admin/pages", "pages"),
    ("/admin/domaines", "domains"),
    ("/admin/membres", "members"),
    ("/admin/communautes", "communities"),
    ("/admin/moderation", "moderation"),
    ("/admin/appels", "calls"),
    ("/admin/participation", "participation"),
    ("/admin/lettres", "newsletters"),
    ("/admin/journal", "journal"),
    ("/admin/abonnement", "billing"),
];

/// What every console page's layout needs beside the site's: its menu, the current entry.
#[derive(Serialize)]
pub struct Console<'a, X: Serialize> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    admin_nav: Vec<NavItem>,
    #[serde(flatten)]
    extra: X,
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    key: &'static str,
    current: bool,
}

impl<'a, X: Serialize> Console<'a, X> {
    pub fn new(page: &'a Page, current: &'static str, extra: X) -> Self {
        let admin_nav = SECTIONS.iter().map(|(href, key)| NavItem { href, key, current: *key == current }).collect();
        Self { page, section: "admin", admin_nav, extra }
    }
}

/// Renders a console page with the status that fits.
pub fn render<X: Serialize>(
    app: &crate::state::AppState,
    template: &str,
    status: axum::http::StatusCode,
    page: &Page,
    current: &'static str,
    extra: X,
) -> Result<axum::response::Response, crate::error::WebError> {
    use axum::response::IntoResponse;
    let html = app.templates.render(template, Console::new(page, current, extra))?;
    Ok((status, axum::response::Html(html)).into_response())
}
