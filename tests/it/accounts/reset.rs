use echos_tests::{Browser, TestApp};
use http::StatusCode;

use super::{PASSWORD, link_in_mail, sign_up, unique_email};

const NEW_PASSWORD: &str = "un tout nouveau mot de passe";

async fn ask_reset(app: &TestApp, host: &str, email: &str) -> echos_tests::TestResponse {
    app.post_form(host, "/mot-de-passe-oublie", &[("email", email)], &mut Browser::new()).await
}

fn path_of(link: &str, host: &str) -> String {
    link.trim_start_matches(&format!("http://{host}")).to_owned()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_through_a_link_on_the_regions_own_host() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let mut old_session = Browser::new();
    sign_up(&app, &a.host, "Marie Skłodowska", &email, &mut old_session).await;

    // A forged forwarded host (from a peer that is not a trusted proxy) changes nothing.
    let b = Browser::new();
    let req = http::Request::post("/mot-de-passe-oublie")
        .header("host", &a.host)
        .header("x-forwarded-host", "evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", b.cookie_header())
        .body(axum::body::Body::from(format!("email={email}&csrf_token={}", b.csrf)))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
    app.run_jobs(&[&a]).await;
    let link = link_in_mail(&app, &email, &format!("http://{}/reinitialiser/", a.host));
    assert!(!app.mails_to(&email).iter().any(|m| m.contains("evil.example")));
    let path = path_of(&link, &a.host);

    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK);
    let done = app.post_form(&a.host, &path, &[("password", NEW_PASSWORD)], &mut Browser::new()).await;
    assert_eq!(done.status, StatusCode::OK);
    let again =
        app.post_form(&a.host, &path, &[("password", "encore un autre mot de passe")], &mut Browser::new()).await;
    assert_eq!(again.status, StatusCode::GONE, "single use");

    let old =
        app.post_form(&a.host, "/connexion", &[("email", &email), ("password", PASSWORD)], &mut Browser::new()).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .post_form(&a.host, "/connexion", &[("email", &email), ("password", NEW_PASSWORD)], &mut Browser::new())
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);
    let replay = app.get_as(&a.host, "/mon-espace", &mut old_session).await;
    assert_eq!(replay.status, StatusCode::SEE_OTHER, "every earlier session ended");
}

#[tokio::test]
async fn a_reset_link_of_one_region_is_refused_on_another() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let email = unique_email();
    sign_up(&app, &a.host, "Chien-Shiung Wu", &email, &mut Browser::new()).await;
    ask_reset(&app, &a.host, &email).await;
    app.run_jobs(&[&a]).await;
    let path = path_of(&link_in_mail(&app, &email, &format!("http://{}/reinitialiser/", a.host)), &a.host);
    assert_eq!(app.get(&b.host, &path).await.status, StatusCode::GONE);
    let r = app.post_form(&b.host, &path, &[("password", NEW_PASSWORD)], &mut Browser::new()).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK, "still good where it was issued");
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    sign_up(&app, &a.host, "Mary Anning", &email, &mut Browser::new()).await;
    let account: uuid::Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    let token =
        echos_core::accounts::issue_token(app.db.platform(), account, a.tenant.id, "reset", time::Duration::ZERO)
            .await
            .unwrap();
    let path = format!("/reinitialiser/{token}");
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::GONE);
    let r = app.post_form(&a.host, &path, &[("password", NEW_PASSWORD)], &mut Browser::new()).await;
    assert_eq!(r.status, StatusCode::GONE);
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let known = unique_email();
    sign_up(&app, &a.host, "Nettie Stevens", &known, &mut Browser::new()).await;
    app.run_jobs(&[&a]).await;
    let unknown = unique_email();
    let r1 = ask_reset(&app, &a.host, &known).await;
    let r2 = ask_reset(&app, &a.host, &unknown).await;
    assert_eq!(r1.status, r2.status);
    assert_eq!(r1.body.replace(&known, "E"), r2.body.replace(&unknown, "E"));
    assert_eq!(app.run_jobs(&[&a]).await, 1, "one message, to the known address only");
    assert!(app.mails_to(&unknown).is_empty());
}

#[tokio::test]
async fn bursts_of_sign_in_attempts_are_slowed_with_429_and_retry_after() {
    let mut cfg = echos_tests::config();
    cfg.accounts.rate_limit_scale = 0.25;
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let email = unique_email();
    sign_up(&app, &a.host, "Ada Lovelace", &email, &mut Browser::new()).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = app
            .post_form(
                &a.host,
                "/connexion",
                &[("email", &email), ("password", "mauvais mot de passe")],
                &mut Browser::new(),
            )
            .await;
        statuses.push(r.status);
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()));
            assert!(r.body.contains(&email), "the form comes back with the address typed");
        }
    }
    assert_eq!(statuses[..2], [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED]);
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "the account's allowance is 2 at this scale");
    // Even the right password waits now.
    let r =
        app.post_form(&a.host, "/connexion", &[("email", &email), ("password", PASSWORD)], &mut Browser::new()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}
