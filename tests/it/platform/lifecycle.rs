//! A region's lifecycle on the clock: a trial that runs out is suspended; a suspended region
//! reads, then closes; a deletion needs an export and a confirmation, waits its delay (undoable
//! meanwhile), then removes the schema, the files and the domains — and its history stays.

use echos_core::{TenantStatus, exports, lifecycle};
use echos_tests::{TestApp, close_region};
use http::StatusCode;
use time::{Duration, OffsetDateTime};

async fn status(app: &TestApp, id: uuid::Uuid) -> Option<TenantStatus> {
    echos_core::tenants::get_by_id(app.db.platform(), id).await.ok().map(|t| t.status)
}

#[tokio::test]
async fn a_trial_that_runs_out_is_suspended_then_closed_and_nothing_is_deleted() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Admine").await;
    sqlx::query("UPDATE platform.tenants SET status = 'trial', plan = 'trial', trial_ends_at = now() + interval '1 day' WHERE id = $1")
        .bind(a.tenant.id)
        .execute(app.db.platform())
        .await
        .unwrap();
    let cfg = &app.config.billing;
    let now = OffsetDateTime::now_utc();
    lifecycle::sweep(&app.db, &app.state.media, cfg, now).await.unwrap();
    assert_eq!(status(&app, a.tenant.id).await, Some(TenantStatus::Trial), "not yet");
    lifecycle::sweep(&app.db, &app.state.media, cfg, now + Duration::days(2)).await.unwrap();
    assert_eq!(status(&app, a.tenant.id).await, Some(TenantStatus::Suspended));
    app.state.directory.invalidate_all();

    let home = app.get(&a.host, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("suspendu"), "a notice on every page");
    // Its admins still sign in and reach the subscription page.
    assert_eq!(app.get_as(&a.host, "/admin/abonnement", &mut admin.browser).await.status, StatusCode::OK);
    let refused = app.post_form(&a.host, "/admin/reglages", &[], &mut admin.browser).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // After the read-only days, the site closes (a page that names no region).
    sqlx::query("UPDATE platform.tenants SET suspended_at = now() - make_interval(days => $2) WHERE id = $1")
        .bind(a.tenant.id)
        .bind(i32::try_from(cfg.read_only_days + 1).unwrap())
        .execute(app.db.platform())
        .await
        .unwrap();
    app.state.directory.invalidate_all();
    let closed = app.get(&a.host, "/").await;
    assert_eq!(closed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!closed.body.contains(&a.tenant.name));
    let members: i64 = app.in_region(&a, "SELECT count(*) FROM members WHERE $1 <> ''", "x").await;
    assert_eq!(members, 1, "nothing deleted");

    // An operator approves it: open again.
    lifecycle::approve(app.db.platform(), a.tenant.id, "test").await.unwrap_err();
    lifecycle::resume(app.db.platform(), a.tenant.id, "test", "paid by transfer").await.unwrap();
    app.state.directory.invalidate_all();
    assert_eq!(app.get(&a.host, "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deletion_needs_an_export_and_a_confirmation_waits_and_can_be_undone() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let pool = app.db.platform();
    let cfg = &app.config.billing;
    let refused = lifecycle::schedule_deletion(pool, cfg, a.tenant.id, a.slug.as_str(), "test").await.unwrap();
    assert_eq!(refused, Err(lifecycle::DeletionRefusal::NoExport), "no archive, no deletion");

    let bytes = echos_core::archive::export(&app.db, &app.state.media, &a.tenant).await.unwrap();
    let key = app.state.media.put_export(a.tenant.id, uuid::Uuid::new_v4(), bytes.clone()).await.unwrap();
    exports::record_ready(pool, a.tenant.id, "test", &key, bytes.len() as i64).await.unwrap();
    let refused = lifecycle::schedule_deletion(pool, cfg, a.tenant.id, "another-slug", "test").await.unwrap();
    assert_eq!(refused, Err(lifecycle::DeletionRefusal::NotConfirmed));

    let when = lifecycle::schedule_deletion(pool, cfg, a.tenant.id, a.slug.as_str(), "test").await.unwrap().unwrap();
    assert!(when > OffsetDateTime::now_utc() + Duration::days(cfg.deletion_delay_days - 1));
    assert_eq!(status(&app, a.tenant.id).await, Some(TenantStatus::Archived), "closed meanwhile");
    lifecycle::sweep(&app.db, &app.state.media, cfg, OffsetDateTime::now_utc()).await.unwrap();
    assert!(status(&app, a.tenant.id).await.is_some(), "not before its day");
    lifecycle::cancel_deletion(pool, a.tenant.id, "test").await.unwrap();
    lifecycle::sweep(&app.db, &app.state.media, cfg, when + Duration::days(1)).await.unwrap();
    assert!(status(&app, a.tenant.id).await.is_some(), "undone");

    lifecycle::schedule_deletion(pool, cfg, a.tenant.id, a.slug.as_str(), "test").await.unwrap().unwrap();
    let swept = lifecycle::sweep(&app.db, &app.state.media, cfg, when + Duration::days(1)).await.unwrap();
    assert_eq!(swept.deleted, 1);
    assert_eq!(status(&app, a.tenant.id).await, None, "the region is gone");
    let schema: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(a.slug.schema_name())
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(!schema, "its schema dropped");
    assert!(app.state.media.get_export(a.tenant.id, uuid::Uuid::nil()).await.unwrap().is_none());
    assert!(app.state.media.list_for(a.tenant.id).await.unwrap().is_empty(), "its files removed");
    let history = lifecycle::history(pool, a.tenant.id, 20).await.unwrap();
    assert_eq!(history.first().map(|e| e.to_status.as_str()), Some("deleted"), "its history stays");
    assert_eq!(app.get(&a.host, "/").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_closed_region_serves_no_page_but_its_history_is_kept() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    close_region(&app, &a).await;
    app.state.directory.invalidate_all();
    assert_eq!(app.get(&a.host, "/articles").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let history = lifecycle::history(app.db.platform(), a.tenant.id, 5).await.unwrap();
    assert_eq!(history[0].to_status, "archived");
}
