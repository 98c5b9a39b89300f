//! Only the region's admins reach its console: a member is refused (403), a visitor is sent to
//! sign in, and an admin of another region is a visitor here.

use http::StatusCode;

use super::{PAGES, post};
use echos_tests::TestApp;

#[tokio::test]
async fn an_admin_reaches_every_page_of_the_console() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    for path in PAGES {
        let r = app.get_as(&a.host, path, &mut admin.browser).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", &r.body[..r.body.len().min(300)]);
    }
    let home = app.get_as(&a.host, "/", &mut admin.browser).await;
    assert!(home.body.contains("href=\"/admin\""), "the header offers the console to an admin");
}

#[tokio::test]
async fn a_member_who_is_not_an_admin_is_refused_everywhere_and_a_visitor_is_sent_to_sign_in() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut member = app.member(&a, "Marc Membre").await;
    let editor = app.member(&a, "Eva Éditrice").await;
    let _: String =
        app.in_region(&a, "UPDATE members SET role = 'editor' WHERE handle = $1 RETURNING role", &editor.handle).await;
    let mut editor = editor;
    for path in PAGES {
        assert_eq!(app.get_as(&a.host, path, &mut member.browser).await.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            app.get_as(&a.host, path, &mut editor.browser).await.status,
            StatusCode::FORBIDDEN,
            "{path}: an editor is no admin"
        );
        let anonymous = app.get(&a.host, path).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        assert!(anonymous.header("location").unwrap_or_default().starts_with("/connexion?next=/admin"), "{path}");
    }
    let home = app.get_as(&a.host, "/", &mut member.browser).await;
    assert!(!home.body.contains("href=\"/admin\""), "no console link for a member");
    let r = post(
        &app,
        &a,
        &mut member,
        "/admin/apparence",
        &[("name", "Pris"), ("color_primary", "#000000"), ("color_accent", "#000000")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!app.get(&a.host, "/").await.body.contains("<title>Accueil · Pris"), "nothing changed");
}

#[tokio::test]
async fn an_admin_of_one_region_is_a_stranger_in_another() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut admin_a = app.admin(&a, "Admin De A").await;
    let secret = app.member(&b, "Bernadette Secrète").await;
    // Their session is A's: on B's host they are nobody.
    let r = app.get_as(&b.host, "/admin/membres", &mut admin_a.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // On A's host, every id is A's own: B's member is not there, whatever the number.
    let id_in_b = super::member_id(&app, &b, &secret.handle).await;
    let r = app.get_as(&a.host, &format!("/admin/membres/{id_in_b}"), &mut admin_a.browser).await;
    assert!(!r.body.contains("Bernadette"), "B's member never shows in A's console");
    let list = app.get_as(&a.host, "/admin/membres?q=Bernadette", &mut admin_a.browser).await;
    assert!(!list.body.contains("Bernadette Secrète"), "no row of B's");
    let csv = app.get_as(&a.host, "/admin/membres/export.csv", &mut admin_a.browser).await;
    assert!(!csv.body.contains(&secret.email));
}
