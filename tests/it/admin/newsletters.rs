//! Newsletters: written, tested on oneself, sent once to the members who chose them (by audience),
//! each with a one-click unsubscribe that works without a session; deliveries counted.

use http::StatusCode;

use super::{audit_actions, location, post};
use echos_tests::TestApp;

/// Ticks the "newsletter" e-mail preference of a member.
async fn opt_in(app: &TestApp, t: &echos_tests::TestTenant, m: &mut echos_tests::Member) {
    let r = app
        .post_form(&t.host, "/mon-espace/preferences", &[("locale", ""), ("email_kinds", "newsletter")], &mut m.browser)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_newsletter_reaches_the_members_who_chose_it_once_and_they_can_unsubscribe_in_one_click() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut keen = app.member(&a, "Lectrice Assidue").await;
    opt_in(&app, &a, &mut keen).await;
    let quiet = app.member(&a, "Lecteur Discret").await;

    let r = post(&app, &a, &mut admin, "/admin/lettres", &[("subject", ""), ("body", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &app,
        &a,
        &mut admin,
        "/admin/lettres",
        &[
            ("subject", "La lettre de décembre"),
            ("body", "Bonjour !\n\n**Trois** ateliers <script>alert(1)</script>"),
            ("audience", ""),
            ("tag", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page_path = location(&r).to_owned();
    let page = app.get_as(&a.host, &page_path, &mut admin.browser).await;
    assert!(page.body.contains("<strong>Trois</strong>") && !page.body.contains("<script>alert"), "sanitised preview");

    let test = post(&app, &a, &mut admin, &format!("{page_path}/essai"), &[]).await;
    assert_eq!(test.status, StatusCode::SEE_OTHER);
    assert_eq!(app.mails_to(&admin.email).iter().filter(|m| m.contains("La lettre de d")).count(), 1, "the test copy");

    let sent = post(&app, &a, &mut admin, &format!("{page_path}/envoyer"), &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let again = post(&app, &a, &mut admin, &format!("{page_path}/envoyer"), &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "sent once");
    app.run_jobs(&[&a]).await;
    let mail = app.mails_to(&keen.email).into_iter().find(|m| m.contains("La lettre de d")).expect("the newsletter");
    assert!(app.mails_to(&quiet.email).iter().all(|m| !m.contains("La lettre de d")), "not to who did not choose it");
    assert!(mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let unsubscribe = mail
        .split("List-Unsubscribe: <")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("a List-Unsubscribe header")
        .replace(['\r', '\n', ' '], "");
    let path = unsubscribe.trim_start_matches(&format!("http://{}", a.host)).to_owned();
    assert!(path.starts_with("/lettres/desinscription/"), "{path}");
    let delivered: i32 =
        app.in_region(&a, "SELECT delivered FROM newsletters WHERE subject = $1", "La lettre de décembre").await;
    assert_eq!(delivered, 1);

    // What a mail client does: a POST with no cookie, no token, from nowhere.
    let req = http::Request::post(&path)
        .header("host", &a.host)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
    let prefs: Vec<String> =
        app.in_region(&a, "SELECT email_notifications FROM members WHERE handle = $1", &keen.handle).await;
    assert!(!prefs.contains(&"newsletter".to_owned()));
    let forged = http::Request::post(format!("/lettres/desinscription/{}", "0".repeat(32)))
        .header("host", &a.host)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(forged).await.status, StatusCode::NOT_FOUND, "a token nobody holds");
    let actions = audit_actions(&app, &a).await;
    assert!(actions.contains(&"newsletter.write".to_owned()) && actions.contains(&"newsletter.send".to_owned()));
}

#[tokio::test]
async fn a_newsletter_for_one_audience_reaches_only_it() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut teacher = app.member(&a, "Enseignante").await; // the harness signs up teachers
    opt_in(&app, &a, &mut teacher).await;
    let mut researcher = app.member(&a, "Chercheur").await;
    let _: String = app
        .in_region(
            &a,
            "UPDATE members SET audience = 'researcher' WHERE handle = $1 RETURNING handle",
            &researcher.handle,
        )
        .await;
    opt_in(&app, &a, &mut researcher).await;
    let r = post(
        &app,
        &a,
        &mut admin,
        "/admin/lettres",
        &[("subject", "Pour les chercheurs"), ("body", "Texte"), ("audience", "researcher")],
    )
    .await;
    let sent = post(&app, &a, &mut admin, &format!("{}/envoyer", location(&r)), &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    app.run_jobs(&[&a]).await;
    assert!(app.mails_to(&researcher.email).iter().any(|m| m.contains("Pour les chercheurs")));
    assert!(!app.mails_to(&teacher.email).iter().any(|m| m.contains("Pour les chercheurs")));
}
