//! The operator's console: an operator made on the command line signs in by the link mailed to
//! them, sees every region and acts on it (each action in the log); a region's admin gets
//! nowhere, and the console does not exist on a region's host.

use echos_core::operators;
use echos_domain::job::JobKind;
use echos_domain::member::Email;
use echos_tests::{Browser, PASSWORD, PLATFORM_DOMAIN, TestApp, unique_email};
use http::StatusCode;

use super::signin_path;

/// A signed-in operator's browser.
async fn operator(app: &TestApp) -> (Browser, String) {
    let email = unique_email();
    operators::create(app.db.platform(), &Email::parse(&email).unwrap()).await.unwrap();
    let account: uuid::Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(app.run_jobs_matching(JobKind::MailOperatorLink, "account_id", &account.to_string()).await, 1);
    let link = signin_path(app, &email, "/platform/lien/");
    let mut b = Browser::new();
    assert_eq!(app.get_as(PLATFORM_DOMAIN, &link, &mut b).await.status, StatusCode::OK);
    let r = app.post_form(PLATFORM_DOMAIN, &link, &[], &mut b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/platform"));
    (b, email)
}

#[tokio::test]
async fn an_operator_signs_in_by_link_sees_the_regions_and_every_action_is_logged() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    sqlx::query("UPDATE platform.tenants SET status = 'trial', plan = 'trial', trial_ends_at = now() + interval '30 days' WHERE id = $1")
        .bind(a.tenant.id)
        .execute(app.db.platform())
        .await
        .unwrap();
    let (mut op, email) = operator(&app).await;
    let list = app.get_as(PLATFORM_DOMAIN, &format!("/platform?q={}", a.slug), &mut op).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&a.tenant.name));
    let page = app.get_as(PLATFORM_DOMAIN, &format!("/platform/regions/{}", a.slug), &mut op).await;
    assert_eq!(page.status, StatusCode::OK);

    let r = app.post_form(PLATFORM_DOMAIN, &format!("/platform/regions/{}/approuver", a.slug), &[], &mut op).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("location").unwrap().contains("ok=approved"));
    let status = echos_core::tenants::get_by_id(app.db.platform(), a.tenant.id).await.unwrap().status;
    assert_eq!(status, echos_core::TenantStatus::Active);
    let r = app
        .post_form(
            PLATFORM_DOMAIN,
            &format!("/platform/regions/{}/supprimer", a.slug),
            &[("confirm", a.slug.as_str())],
            &mut op,
        )
        .await;
    assert!(r.header("location").unwrap().contains("erreur=no_export"), "no deletion without an archive");

    let log = operators::audit_log(app.db.platform(), 50, 0).await.unwrap();
    assert!(log.iter().any(|e| e.operator == email && e.action == "region.approved" && e.target == a.slug.as_str()));
    let journal = app.get_as(PLATFORM_DOMAIN, "/platform/journal", &mut op).await;
    assert!(journal.body.contains("region.approved"));
    for path in ["/platform/participation", "/platform/taches", "/platform/migrations"] {
        assert_eq!(app.get_as(PLATFORM_DOMAIN, path, &mut op).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_regional_admin_gets_nowhere_near_the_operators_console() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let admin = app.admin(&a, "Admine Régionale").await;
    // On the region's host the console does not exist.
    let mut on_region = admin.browser.clone();
    assert_eq!(app.get_as(&a.host, "/platform", &mut on_region).await.status, StatusCode::NOT_FOUND);
    // On the platform's host: not signed in there, then refused with the right password.
    let mut b = Browser::new();
    let r = app.get_as(PLATFORM_DOMAIN, "/platform", &mut b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("location").unwrap().starts_with("/platform/connexion"));
    let r = app
        .post_form(
            PLATFORM_DOMAIN,
            "/platform/connexion",
            &[("email", admin.email.as_str()), ("password", PASSWORD)],
            &mut b,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(PLATFORM_DOMAIN, "/platform", &mut b).await.status, StatusCode::SEE_OTHER, "no session");
    // Asking for a link gives the same answer whoever asks, and mails nothing to a non-operator.
    let r = app.post_form(PLATFORM_DOMAIN, "/platform/lien", &[("email", admin.email.as_str())], &mut b).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(app.mails_to(&admin.email).iter().all(|m| !m.contains("/platform/lien/")));
}

#[tokio::test]
async fn a_failed_job_is_retried_from_the_console() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let (mut op, _) = operator(&app).await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO platform.jobs (tenant_id, kind, payload, attempts, failed_at, last_error)
         VALUES ($1, 'mail.notification', '{}', 8, now(), 'SMTP refused') RETURNING id",
    )
    .bind(a.tenant.id)
    .fetch_one(app.db.platform())
    .await
    .unwrap();
    let page = app.get_as(PLATFORM_DOMAIN, "/platform/taches", &mut op).await;
    assert!(page.body.contains("SMTP refused"));
    let r = app.post_form(PLATFORM_DOMAIN, &format!("/platform/taches/{id}/relancer"), &[], &mut op).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let failed: Option<time::OffsetDateTime> = sqlx::query_scalar("SELECT failed_at FROM platform.jobs WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(failed.is_none(), "queued again");
    sqlx::query("DELETE FROM platform.jobs WHERE id = $1").bind(id).execute(app.db.platform()).await.unwrap();
}
