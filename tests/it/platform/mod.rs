//! The platform's own site and business: a science centre's sign-up (with billing off, and on
//! against a local Stripe stand-in), Stripe's webhook, the regions' lifecycle, archives and their
//! restore, and the operator's console.

mod archive;
mod billing;
mod lifecycle;
mod operators;
mod signup;

use echos_tests::{Browser, PLATFORM_DOMAIN, TestApp, TestResponse};

/// A sub-domain no region or other test has: `c` then ten letters that look like no others.
pub fn fresh_subdomain() -> String {
    const SAFE: &[u8] = b"acdefghjkmnpqrtuvwxyz";
    let id = uuid::Uuid::new_v4().as_u128();
    let tail: String = (0..10).map(|i| SAFE[((id >> (i * 5)) % SAFE.len() as u128) as usize] as char).collect();
    format!("c{tail}")
}

/// A complete sign-up form for `subdomain`.
pub fn signup_fields<'a>(subdomain: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("organisation", "Centre de sciences du Léman"),
        ("contact_name", "Aline Fabre"),
        ("email", email),
        ("region_name", "Echosciences Léman"),
        ("subdomain", subdomain),
        ("locales", "fr"),
        ("locales", "en"),
        ("default_locale", "fr"),
        ("terms", "on"),
    ]
}

/// Posts the sign-up form on the platform's host.
pub async fn sign_up(app: &TestApp, fields: &[(&str, &str)]) -> TestResponse {
    let mut b = Browser::new();
    app.post_form(PLATFORM_DOMAIN, "/ouvrir", fields, &mut b).await
}

/// The one-time sign-in link (its path) in the last mail to `to`.
pub fn signin_path(app: &TestApp, to: &str, marker: &str) -> String {
    let mails = app.mails_to(to);
    let mail = mails.last().unwrap_or_else(|| panic!("no mail to {to}"));
    let at = mail.find(marker).unwrap_or_else(|| panic!("no {marker} in {mail}"));
    let token: String =
        mail[at + marker.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    format!("{marker}{token}")
}
