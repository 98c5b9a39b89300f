use echos_tests::{Browser, TestApp};
use http::StatusCode;

use super::{PASSWORD, sign_up, unique_email};

#[tokio::test]
async fn a_member_edits_the_profile_and_it_shows_publicly() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Jean Perrin", &unique_email(), &mut b).await;
    assert_eq!(app.get_as(&a.host, "/mon-espace/profil", &mut b).await.status, StatusCode::OK);
    let fields = [
        ("display_name", "Jean Perrin"),
        ("kind", "person"),
        ("audience", "researcher"),
        ("bio", "Atomes & <b>mouvement brownien</b>"),
        ("website", "https://exemple.org/perrin"),
        ("location", "Lyon"),
    ];
    let r = app.post_form(&a.host, "/mon-espace/profil", &fields, &mut b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/membres/jean-perrin"));
    let page = app.get(&a.host, "/membres/jean-perrin").await;
    assert!(page.body.contains("Atomes &amp; &lt;b&gt;mouvement brownien&lt;&#x2f;b&gt;"), "plain text, escaped");
    assert!(page.body.contains("Lyon"));
}

#[tokio::test]
async fn a_bad_website_is_refused_and_nothing_changes() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Irène Joliot-Curie", &unique_email(), &mut b).await;
    let fields = [("display_name", "Autre nom"), ("kind", "person"), ("website", "javascript:alert(1)")];
    let r = app.post_form(&a.host, "/mon-espace/profil", &fields, &mut b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Autre nom"), "what was typed comes back");
    let page = app.get(&a.host, "/membres/irene-joliot-curie").await;
    assert!(page.body.contains("Irène Joliot-Curie"), "the old name is still there");
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let mut here = Browser::new();
    sign_up(&app, &a.host, "Alan Turing", &email, &mut here).await;
    let mut elsewhere = Browser::new();
    app.post_form(&a.host, "/connexion", &[("email", &email), ("password", PASSWORD)], &mut elsewhere).await;
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut elsewhere).await.status, StatusCode::OK);

    let wrong = app
        .post_form(
            &a.host,
            "/mon-espace/compte",
            &[("current_password", "pas le bon"), ("new_password", "nouvelle phrase secrète")],
            &mut here,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app
        .post_form(
            &a.host,
            "/mon-espace/compte",
            &[("current_password", PASSWORD), ("new_password", "nouvelle phrase secrète")],
            &mut here,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut here).await.status, StatusCode::OK, "this session stays");
    assert_eq!(
        app.get_as(&a.host, "/mon-espace", &mut elsewhere).await.status,
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
}

#[tokio::test]
async fn account_pages_ask_visitors_to_sign_in() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for path in ["/mon-espace", "/mon-espace/profil", "/mon-espace/compte"] {
        let r = app.get(&a.host, path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(r.header("location").unwrap().starts_with("/connexion?next="));
    }
}
