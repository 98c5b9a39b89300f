use echos_core::{TenantTx, notifications};
use echos_tests::{Browser, TestApp, TestTenant};
use http::StatusCode;

use super::{PASSWORD, link_in_mail, sign_up, unique_email};

async fn member_id(app: &TestApp, t: &TestTenant, email: &str) -> i64 {
    let account: uuid::Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let m = echos_core::accounts::member_by_account(&mut tx, account).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    m.id
}

#[tokio::test]
async fn a_new_address_takes_effect_only_through_its_link_and_the_old_one_is_told() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let (old, new) = (unique_email(), unique_email());
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Paul Langevin", &old, &mut b).await;

    let wrong = app
        .post_form(&a.host, "/mon-espace/email", &[("new_email", &new), ("email_password", "pas le bon")], &mut b)
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains(&new), "the address typed comes back");
    let asked =
        app.post_form(&a.host, "/mon-espace/email", &[("new_email", &new), ("email_password", PASSWORD)], &mut b).await;
    assert_eq!(asked.header("location"), Some("/mon-espace/compte?ok=email"));
    app.run_jobs(&[&a]).await;
    let still_old: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.accounts WHERE email = $1")
        .bind(&old)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(still_old, 1, "nothing changes before the link is followed");

    let link = link_in_mail(&app, &new, &format!("http://{}/confirmer-email/", a.host));
    let path = link.trim_start_matches(&format!("http://{}", a.host)).to_owned();
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK);
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::GONE, "single use");
    let moved =
        app.post_form(&a.host, "/connexion", &[("email", &new), ("password", PASSWORD)], &mut Browser::new()).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "signs in with the new address");
    app.run_jobs(&[&a]).await;
    assert!(
        link_in_mail(&app, &old, &format!("http://{}/mot-de-passe-oublie", a.host)).contains("mot-de-passe-oublie"),
        "the old address is told"
    );
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_nothing_is_sent() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let taken = unique_email();
    sign_up(&app, &a.host, "Déjà là", &taken, &mut Browser::new()).await;
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Autre", &unique_email(), &mut b).await;
    app.run_jobs(&[&a]).await;
    let before = app.mails_to(&taken).len();
    let r = app
        .post_form(&a.host, "/mon-espace/email", &[("new_email", &taken), ("email_password", PASSWORD)], &mut b)
        .await;
    assert_eq!(r.header("location"), Some("/mon-espace/compte?ok=email"));
    app.run_jobs(&[&a]).await;
    assert_eq!(app.mails_to(&taken).len(), before);
}

#[tokio::test]
async fn notifications_show_in_the_space_and_come_by_mail_only_when_chosen() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Claude Bernard", &email, &mut b).await;
    app.run_jobs(&[&a]).await;
    let me = member_id(&app, &a, &email).await;

    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    notifications::notify(
        &mut tx,
        a.tenant.id,
        me,
        "comment_on_mine",
        "Louis a commenté « <Le milieu intérieur> »",
        Some("/membres/claude-bernard"),
    )
    .await
    .unwrap();
    notifications::notify(&mut tx, a.tenant.id, me, "published_by_followed", "Une publication de Marie", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let page = app.get_as(&a.host, "/mon-espace/notifications", &mut b).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Louis a commenté « &lt;Le milieu intérieur&gt; »"));
    assert!(page.body.contains("Une publication de Marie"));
    // By default comments are e-mailed, publications of followed members are not.
    let sent = app.run_jobs(&[&a]).await;
    assert_eq!(sent, 1);
    assert!(app.mails_to(&email).iter().any(|m| m.contains("Louis a comment")));

    let read = app.post_form(&a.host, "/mon-espace/notifications/lues", &[], &mut b).await;
    assert_eq!(read.status, StatusCode::SEE_OTHER);
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    assert_eq!(notifications::unread_count(&mut tx, me).await.unwrap(), 0);
    tx.commit().await.unwrap();

    // Choosing no e-mail at all: the next notification stays in the space.
    let saved = app.post_form(&a.host, "/mon-espace/preferences", &[("locale", "ca")], &mut b).await;
    assert_eq!(saved.header("location"), Some("/mon-espace/compte?ok=preferences"));
    assert_eq!(b.cookies.get("lang").map(String::as_str), Some("ca"), "the language applies at once");
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    notifications::notify(&mut tx, a.tenant.id, me, "comment_on_mine", "Encore un commentaire", None).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.run_jobs(&[&a]).await, 0);
}

#[tokio::test]
async fn a_member_cannot_see_another_members_notifications() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    sign_up(&app, &a.host, "Victime", &email, &mut Browser::new()).await;
    let me = member_id(&app, &a, &email).await;
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    notifications::notify(&mut tx, a.tenant.id, me, "reply_to_me", "Secret de Victime", None).await.unwrap();
    tx.commit().await.unwrap();
    let mut other = Browser::new();
    sign_up(&app, &a.host, "Curieux", &unique_email(), &mut other).await;
    let page = app.get_as(&a.host, "/mon-espace/notifications", &mut other).await;
    assert!(!page.body.contains("Secret de Victime"));
}

#[tokio::test]
async fn unknown_preference_values_are_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Testeur", &unique_email(), &mut b).await;
    let r = app.post_form(&a.host, "/mon-espace/preferences", &[("locale", "de")], &mut b).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post_form(&a.host, "/mon-espace/preferences", &[("email_kinds", "'; DROP TABLE members; --")], &mut b)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn mails_follow_the_accounts_chosen_language() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Lise", &email, &mut b).await;
    app.run_jobs(&[&a]).await;
    let saved = app
        .post_form(&a.host, "/mon-espace/preferences", &[("locale", "en"), ("email_kinds", "reply_to_me")], &mut b)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let me = member_id(&app, &a, &email).await;
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    notifications::notify(&mut tx, a.tenant.id, me, "reply_to_me", "Marie replied", None).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.run_jobs(&[&a]).await, 1);
    let mail = app.mails_to(&email).into_iter().find(|m| m.contains("Marie replied")).unwrap();
    assert!(mail.contains("lang=\"en\"") || mail.contains("lang=3D\"en\""), "the HTML part is in English");
}
