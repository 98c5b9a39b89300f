use echos_tests::{Browser, TestApp};
use http::StatusCode;

use super::{PASSWORD, link_in_mail, sign_up, unique_email};

async fn sign_in(app: &TestApp, host: &str, email: &str, password: &str, b: &mut Browser) -> echos_tests::TestResponse {
    app.post_form(host, "/connexion", &[("email", email), ("password", password)], b).await
}

#[tokio::test]
async fn the_same_account_signs_in_on_another_region_and_joins_it_in_one_click() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let email = unique_email();
    sign_up(&app, &a.host, "Lise Meitner", &email, &mut Browser::new()).await;

    let mut on_b = Browser::new();
    let r = sign_in(&app, &b.host, &email, PASSWORD, &mut on_b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/rejoindre"), "not a member of B yet");
    let offer = app.get_as(&b.host, "/rejoindre", &mut on_b).await;
    assert_eq!(offer.status, StatusCode::OK);
    assert!(offer.body.contains(&email), "the account's own e-mail, shown to its owner");
    let joined =
        app.post_form(&b.host, "/rejoindre", &[("display_name", "Lise M."), ("kind", "person")], &mut on_b).await;
    assert_eq!(joined.header("location"), Some("/mon-espace"));
    let space = app.get_as(&b.host, "/mon-espace", &mut on_b).await;
    assert!(space.body.contains("Lise M."));
    // Each region has its own profile.
    assert_eq!(app.get(&a.host, "/membres/lise-meitner").await.status, StatusCode::OK);
    assert_eq!(app.get(&b.host, "/membres/lise-m").await.status, StatusCode::OK);
    assert_eq!(app.get(&b.host, "/membres/lise-meitner").await.status, StatusCode::NOT_FOUND, "A's member is not B's");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_look_the_same() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    sign_up(&app, &a.host, "Rosalind", &email, &mut Browser::new()).await;
    let wrong = sign_in(&app, &a.host, &email, "pas le bon mot de passe", &mut Browser::new()).await;
    let unknown_email = unique_email();
    let unknown = sign_in(&app, &a.host, &unknown_email, "pas le bon mot de passe", &mut Browser::new()).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body.replace(&email, "E"), unknown.body.replace(&unknown_email, "E"));
}

#[tokio::test]
async fn a_session_cookie_of_one_region_is_no_session_on_another() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut browser = Browser::new();
    sign_up(&app, &a.host, "Émilie du Châtelet", &unique_email(), &mut browser).await;
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut browser).await.status, StatusCode::OK);
    let replayed = app.get_as(&b.host, "/mon-espace", &mut browser).await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert!(replayed.header("location").unwrap().starts_with("/connexion"));
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut browser = Browser::new();
    sign_up(&app, &a.host, "Hypatie", &unique_email(), &mut browser).await;
    let stolen = browser.cookies.get("session").cloned().unwrap();
    let out = app.post_form(&a.host, "/deconnexion", &[], &mut browser).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key("session"));
    let mut replay = Browser::new();
    replay.cookies.insert("session".into(), stolen);
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut replay).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_needs_the_csrf_token() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut browser = Browser::new();
    sign_up(&app, &a.host, "Sophie Germain", &unique_email(), &mut browser).await;
    let r = app.post_form(&a.host, "/deconnexion", &[("csrf_token", "forged")], &mut browser).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut browser).await.status, StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn a_confirmation_link_of_one_region_does_not_work_on_another() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let email = unique_email();
    sign_up(&app, &a.host, "Grace Hopper", &email, &mut Browser::new()).await;
    app.run_jobs(&[&a]).await;
    let link = link_in_mail(&app, &email, &format!("http://{}/confirmer/", a.host));
    let path = link.trim_start_matches(&format!("http://{}", a.host)).to_owned();
    assert_eq!(app.get(&b.host, &path).await.status, StatusCode::GONE);
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_confirmation_link_uses_the_regions_host_whatever_host_the_sign_up_came_by() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    // Upper case and a port: the same region, but links are written with its registered host.
    sign_up(&app, &format!("{}:8080", a.host.to_uppercase()), "Katherine Johnson", &email, &mut Browser::new()).await;
    app.run_jobs(&[&a]).await;
    let mail = app.mails_to(&email).pop().unwrap();
    assert!(mail.contains(&format!("http://{}/confirmer/", a.host)));
}
