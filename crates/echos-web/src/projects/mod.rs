//! Projects to support and calls for projects: the list (`/projets`, by period, call, votes or
//! date), voting (`/projets/{id}/voter`), the calls (`/appels`, `/appels/{slug}` with their
//! results once closed), and the console's calls (`/admin/appels`, their results as CSV). A
//! project's own page and form are the contributions' (`/projets/…`), with the parts in `view`.

mod calls;
mod list;
pub(crate) mod view;
mod vote;

use axum::routing::{get, post};

pub(crate) use list::list;

use crate::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .route("/projets/{id}/voter", post(vote::vote))
        .route("/appels", get(calls::public_list))
        .route("/appels/{slug}", get(calls::public_page))
}

/// The console's calls, merged into `/admin`'s routes.
pub fn admin_routes() -> Routes {
    Routes::new()
        .route("/admin/appels", get(calls::admin_list).post(calls::admin_create))
        .route("/admin/appels/{id}", get(calls::admin_form).post(calls::admin_update))
        .route("/admin/appels/{id}/resultats.csv", get(calls::results_csv))
}
