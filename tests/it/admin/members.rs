//! Members in the console: search and filters, roles (never without an admin), suspensions and
//! bans, and the export with spreadsheet formulas neutralised.

use http::StatusCode;

use super::{audit_actions, member_id, post};
use echos_tests::TestApp;

#[tokio::test]
async fn the_list_searches_and_filters_and_the_export_neutralises_formulas() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let evil = app.member(&a, "=HYPERLINK(\"http://evil.example\")").await;
    let other = app.member(&a, "Paul Tranquille").await;
    let found = app.get_as(&a.host, "/admin/membres?q=tranquille", &mut admin.browser).await;
    assert_eq!(found.status, StatusCode::OK);
    let row = |handle: &str| format!("@{handle}<");
    assert!(found.body.contains("Paul Tranquille"));
    assert!(!found.body.replace("&#x2f;", "/").contains(&row(&admin.handle)), "the search narrows the list");
    let admins = app.get_as(&a.host, "/admin/membres?role=admin", &mut admin.browser).await.body.replace("&#x2f;", "/");
    assert!(admins.contains(&row(&admin.handle)) && !admins.contains("Paul Tranquille"));
    assert_eq!(
        app.get_as(&a.host, "/admin/membres?role=king", &mut admin.browser).await.status,
        StatusCode::BAD_REQUEST
    );

    let csv = app.get_as(&a.host, "/admin/membres/export.csv", &mut admin.browser).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap_or_default().starts_with("text/csv"));
    assert_eq!(csv.header("cache-control"), Some("no-store"));
    assert!(csv.body.contains(&other.email));
    let line = csv.body.lines().find(|l| l.contains("HYPERLINK")).unwrap();
    assert!(line.contains("\"'=HYPERLINK("), "the formula is text: {line}");
    assert!(!line.split(',').any(|cell| cell.starts_with('=')), "{line}");
    let _ = evil;
}

#[tokio::test]
async fn roles_change_and_the_last_admin_cannot_be_demoted() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let me = member_id(&app, &a, &admin.handle).await;
    let r = post(&app, &a, &mut admin, &format!("/admin/membres/{me}/role"), &[("role", "member")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "the only admin stays an admin");
    assert!(r.body.contains("au moins un·e administrateur·rice"), "the page says why");
    let paul = app.member(&a, "Paul Promu").await;
    let paul_id = member_id(&app, &a, &paul.handle).await;
    let r = post(&app, &a, &mut admin, &format!("/admin/membres/{paul_id}/role"), &[("role", "admin")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // With a second admin, the first may step down.
    let r = post(&app, &a, &mut admin, &format!("/admin/membres/{me}/role"), &[("role", "editor")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_as(&a.host, "/admin", &mut admin.browser).await.status,
        StatusCode::FORBIDDEN,
        "no longer an admin"
    );
    let roles: String =
        app.in_region(&a, "SELECT string_agg(role, ',' ORDER BY id) FROM members WHERE handle <> $1", "-").await;
    assert_eq!(roles, "editor,admin");
    assert!(audit_actions(&app, &a).await.iter().filter(|x| *x == "member.role").count() >= 2);
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut one = app.admin(&a, "Une Admin").await;
    let mut two = app.admin(&a, "Deux Admin").await;
    let (id1, id2) = (member_id(&app, &a, &one.handle).await, member_id(&app, &a, &two.handle).await);
    let (p1, p2) = (format!("/admin/membres/{id2}/role"), format!("/admin/membres/{id1}/role"));
    let (r1, r2) = tokio::join!(
        app.post_form(&a.host, &p1, &[("role", "member")], &mut one.browser),
        app.post_form(&a.host, &p2, &[("role", "member")], &mut two.browser)
    );
    let ok = [r1.status, r2.status].iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    assert_eq!(ok, 1, "exactly one demotion went through: {:?}", (r1.status, r2.status));
    let admins: i64 =
        app.in_region(&a, "SELECT count(*) FROM members WHERE role = 'admin' AND handle <> $1", "-").await;
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn a_suspended_member_reads_but_cannot_publish_and_a_banned_one_is_signed_out() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut sam = app.member(&a, "Sam Suspendu").await;
    let sam_id = member_id(&app, &a, &sam.handle).await;
    let path = format!("/admin/membres/{sam_id}/sanction");
    let r = post(&app, &a, &mut admin, &path, &[("action", "suspend"), ("days", "7"), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let r = post(
        &app,
        &a,
        &mut admin,
        &path,
        &[("action", "suspend"), ("days", "7"), ("reason", "Messages publicitaires répétés")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let refused = app
        .post_form(&a.host, "/articles", &[("title", "Pub"), ("body", "x"), ("status", "published")], &mut sam.browser)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("suspendu"));
    assert_eq!(app.get_as(&a.host, "/articles", &mut sam.browser).await.status, StatusCode::OK, "reading is fine");
    let told = app.get_as(&a.host, "/mon-espace/notifications", &mut sam.browser).await;
    assert!(told.body.contains("Messages publicitaires répétés"), "the member is told why");

    let r = post(&app, &a, &mut admin, &path, &[("action", "ban"), ("reason", "Harcèlement")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let out = app.get_as(&a.host, "/mon-espace", &mut sam.browser).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "the ban ended the session here");
    let again = app
        .post_form(
            &a.host,
            "/connexion",
            &[("email", &sam.email), ("password", echos_tests::PASSWORD)],
            &mut sam.browser,
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "and keeps them out");
    assert!(audit_actions(&app, &a).await.ends_with(&["member.suspend".to_owned(), "member.ban".to_owned()]));
    // An admin cannot sanction themself.
    let me = member_id(&app, &a, &admin.handle).await;
    let r = post(&app, &a, &mut admin, &format!("/admin/membres/{me}/sanction"), &[("action", "ban"), ("reason", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn echos_tenant_admin_promotes_a_member_by_their_address() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = app.member(&a, "Future Admin").await;
    let mut tx = echos_core::TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let nobody = echos_core::admin::members::make_admin_by_email(&mut tx, "personne@exemple.org").await.unwrap();
    let promoted = echos_core::admin::members::make_admin_by_email(&mut tx, &m.email).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(nobody, None);
    assert_eq!(promoted.as_deref(), Some(m.handle.as_str()));
    let mut m = m;
    assert_eq!(app.get_as(&a.host, "/admin", &mut m.browser).await.status, StatusCode::OK);
}
