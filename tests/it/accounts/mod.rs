mod avatar;
mod hardening;
mod privacy;
mod profile;
mod reset;
mod settings;
mod sign_in;
mod sign_up;

use echos_tests::{Browser, TestApp, TestResponse};

pub const PASSWORD: &str = "une phrase de passe solide";

pub fn unique_email() -> String {
    format!("m{}@exemple.org", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Signs up through the form, as a browser would.
pub async fn sign_up(app: &TestApp, host: &str, name: &str, email: &str, browser: &mut Browser) -> TestResponse {
    app.post_form(
        host,
        "/inscription",
        &[
            ("display_name", name),
            ("email", email),
            ("password", PASSWORD),
            ("kind", "person"),
            ("audience", "teacher"),
        ],
        browser,
    )
    .await
}

/// The first link starting with `prefix` in the newest message to `to` that has one.
pub fn link_in_mail(app: &TestApp, to: &str, prefix: &str) -> String {
    let mails = app.mails_to(to);
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.contains(prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {} mail(s) to {to}", mails.len()));
    let start = mail.find(prefix).unwrap_or_default();
    mail[start..].split(|c: char| c.is_whitespace() || c == '"' || c == '<').next().unwrap().to_owned()
}
