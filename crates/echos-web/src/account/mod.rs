//! The member's own account: a forgotten password (a single-use link bound to the region, always
//! on the region's registered host), the account page (password — other sessions end —, e-mail
//! address, language and e-mail notifications, export, deletion), and the profile with its avatar.

mod passwords;
mod profile;
mod reset;
mod settings;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub(crate) use passwords::{hash, verify};

use crate::routes::Routes;

/// The upload itself is checked against `media.max_upload_bytes`; the request may be a little
/// larger (the multipart envelope), and anything beyond this is refused before it is read.
const AVATAR_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .route("/mot-de-passe-oublie", get(reset::forgot_form).post(reset::forgot))
        .route("/reinitialiser/{token}", get(reset::reset_form).post(reset::reset))
        .route("/mon-espace/profil", get(profile::edit_profile_form).post(profile::edit_profile))
        .route("/mon-espace/compte", get(settings::account_form).post(settings::change_password))
        .route("/mon-espace/export", get(settings::export))
        .route("/mon-espace/email", post(settings::change_email))
        .route("/confirmer-email/{token}", get(settings::confirm_email))
        .route("/mon-espace/preferences", post(settings::save_preferences))
        .route("/mon-espace/avatar", post(profile::upload_avatar).layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT)))
        .route("/mon-espace/supprimer", post(settings::delete_account))
        .map(|r| r.layer(DefaultBodyLimit::max(32 * 1024)))
}
