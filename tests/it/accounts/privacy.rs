use echos_tests::{Browser, TestApp, TestTenant};
use http::StatusCode;

use super::{PASSWORD, sign_up, unique_email};

/// Signs up on `a` and joins `b` with the same account; returns the browser signed in on `a`.
async fn member_of_both(app: &TestApp, a: &TestTenant, b: &TestTenant, email: &str) -> Browser {
    let mut on_a = Browser::new();
    sign_up(app, &a.host, "Henri Poincaré", email, &mut on_a).await;
    let mut on_b = Browser::new();
    app.post_form(&b.host, "/connexion", &[("email", email), ("password", PASSWORD)], &mut on_b).await;
    let joined =
        app.post_form(&b.host, "/rejoindre", &[("display_name", "H. Poincaré"), ("kind", "person")], &mut on_b).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    on_a
}

#[tokio::test]
async fn the_export_holds_the_account_and_its_profile_in_every_region_joined() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    sign_up(&app, &a.host, "Quelqu'un d'autre", &unique_email(), &mut Browser::new()).await;
    let email = unique_email();
    let mut browser = member_of_both(&app, &a, &b, &email).await;
    let r = app.get_as(&a.host, "/mon-espace/export", &mut browser).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-disposition").is_some_and(|d| d.starts_with("attachment")));
    let data: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(data["account"]["email"], email.as_str());
    let regions: Vec<&str> =
        data["memberships"].as_array().unwrap().iter().map(|m| m["region"].as_str().unwrap()).collect();
    assert_eq!(regions, [a.slug.as_str(), b.slug.as_str()]);
    assert_eq!(data["memberships"][1]["profile"]["display_name"], "H. Poincaré");
    assert!(!r.body.contains("Quelqu'un d'autre"), "nothing of other members");
}

#[tokio::test]
async fn deleting_the_account_closes_it_at_once_and_erases_every_profile() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let email = unique_email();
    let mut browser = member_of_both(&app, &a, &b, &email).await;

    let wrong =
        app.post_form(&a.host, "/mon-espace/supprimer", &[("delete_password", "pas le bon")], &mut browser).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut browser).await.status, StatusCode::OK, "nothing happened");

    let done = app.post_form(&a.host, "/mon-espace/supprimer", &[("delete_password", PASSWORD)], &mut browser).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(!browser.cookies.contains_key("session"));
    let again =
        app.post_form(&a.host, "/connexion", &[("email", &email), ("password", PASSWORD)], &mut Browser::new()).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "closed at once");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(kept, 0, "the address is not kept");

    // The erasures, one per region joined, and the confirmation mail still queued from the
    // sign-up, which now has nobody to go to.
    assert_eq!(app.run_jobs(&[&a, &b]).await, 3);
    assert!(app.mails_to(&email).is_empty() && app.mails_to("deleted-").is_empty(), "no mail after deletion");
    assert_eq!(app.get(&a.host, "/membres/henri-poincare").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&b.host, "/membres/h-poincare").await.status, StatusCode::NOT_FOUND);
}
