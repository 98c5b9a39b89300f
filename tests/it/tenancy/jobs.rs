//! The job queue in real life: fair between regions, a suspended region's jobs waiting (all but
//! what its admins need), leases renewed, old rows pruned, and links voided by a password change.

use echos_core::{accounts, jobs, lifecycle};
use echos_tests::TestApp;
use uuid::Uuid;

/// A kind of job of this test alone (other tests share the queue).
fn own_kind() -> String {
    format!("test.{}", &Uuid::new_v4().simple().to_string()[..12])
}

async fn add(app: &TestApp, tenant: Uuid, kind: &str, age_secs: i32) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO platform.jobs (tenant_id, kind, payload, run_at) VALUES ($1, $2, '{}', now() - make_interval(secs => $3)) RETURNING id",
    )
    .bind(tenant)
    .bind(kind)
    .bind(f64::from(age_secs))
    .fetch_one(app.db.platform())
    .await
    .unwrap()
}

async fn clean(app: &TestApp, kind: &str) {
    sqlx::query("DELETE FROM platform.jobs WHERE kind = $1").bind(kind).execute(app.db.platform()).await.unwrap();
}

#[tokio::test]
async fn one_regions_flood_does_not_hold_back_another_regions_job() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let kind = own_kind();
    for i in 0..40 {
        add(&app, a.tenant.id, &kind, 1000 - i).await;
    }
    let theirs = add(&app, b.tenant.id, &kind, 1).await;
    let batch = jobs::claim(app.db.platform(), &[&kind], &[], 10, 60.0, None).await.unwrap();
    assert!(batch.iter().any(|j| j.id == theirs), "the other region's job is in the first batch");
    assert!(batch.iter().filter(|j| j.tenant_id == Some(a.tenant.id)).count() <= 3, "at most three of one region");
    // Claimed jobs are leased: not taken again.
    let again = jobs::claim(app.db.platform(), &[&kind], &[], 10, 60.0, None).await.unwrap();
    assert!(again.iter().all(|j| !batch.iter().any(|b| b.id == j.id)));
    clean(&app, &kind).await;
}

#[tokio::test]
async fn a_suspended_regions_jobs_wait_except_what_its_admins_need() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let (waits, runs) = (own_kind(), own_kind());
    let waiting = add(&app, a.tenant.id, &waits, 10).await;
    let running = add(&app, a.tenant.id, &runs, 10).await;
    lifecycle::suspend(app.db.platform(), a.tenant.id, "test", "").await.unwrap();
    let batch = jobs::claim(app.db.platform(), &[&waits, &runs], &[&runs], 10, 60.0, None).await.unwrap();
    let ids: Vec<i64> = batch.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![running], "only the kind that runs while suspended");
    lifecycle::resume(app.db.platform(), a.tenant.id, "test", "").await.unwrap();
    let batch = jobs::claim(app.db.platform(), &[&waits], &[], 10, 60.0, None).await.unwrap();
    assert_eq!(batch.iter().map(|j| j.id).collect::<Vec<_>>(), vec![waiting], "resumed: it runs");
    // Mail to members waits; billing mail and archives do not.
    use echos_domain::job::JobKind;
    assert!(JobKind::MailNotification.waits_while_suspended() && JobKind::LinkPreview.waits_while_suspended());
    assert!(!JobKind::MailBilling.waits_while_suspended() && !JobKind::RegionExport.waits_while_suspended());
    clean(&app, &waits).await;
    clean(&app, &runs).await;
}

#[tokio::test]
async fn a_running_jobs_lease_is_renewed_and_a_released_job_comes_back() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let kind = own_kind();
    let id = add(&app, a.tenant.id, &kind, 5).await;
    let batch = jobs::claim(app.db.platform(), &[&kind], &[], 1, 1.0, None).await.unwrap();
    assert_eq!(batch.len(), 1);
    jobs::renew(app.db.platform(), id, 600.0).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(jobs::claim(app.db.platform(), &[&kind], &[], 1, 1.0, None).await.unwrap().is_empty(), "still leased");
    jobs::release(app.db.platform(), id).await.unwrap();
    assert_eq!(jobs::claim(app.db.platform(), &[&kind], &[], 1, 1.0, None).await.unwrap().len(), 1, "back");
    clean(&app, &kind).await;
}

#[tokio::test]
async fn old_rows_are_pruned_and_live_ones_kept() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = app.member(&a, "Élise Durée").await;
    let pool = app.db.platform();
    let account: Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(&m.email)
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO platform.sessions (token_hash, account_id, tenant_id, expires_at) VALUES ($1, $2, $3, now() - interval '1 hour')",
    )
    .bind(Uuid::new_v4().as_bytes().to_vec())
    .bind(account)
    .bind(a.tenant.id)
    .execute(pool)
    .await
    .unwrap();
    let live = accounts::issue_token(pool, account, a.tenant.id, "reset", time::Duration::hours(1)).await.unwrap();
    accounts::issue_token(pool, account, a.tenant.id, "confirm", time::Duration::hours(1)).await.unwrap();
    sqlx::query("UPDATE platform.account_tokens SET created_at = now() - interval '3 days', used_at = now() - interval '2 days' WHERE account_id = $1 AND purpose = 'confirm'")
        .bind(account)
        .execute(pool)
        .await
        .unwrap();
    let kind = own_kind();
    let done = add(&app, a.tenant.id, &kind, 1).await;
    sqlx::query("UPDATE platform.jobs SET done_at = now() - interval '8 days' WHERE id = $1")
        .bind(done)
        .execute(pool)
        .await
        .unwrap();

    let pruned = jobs::prune(pool).await.unwrap();
    assert!(pruned.sessions >= 1 && pruned.jobs >= 1 && pruned.links >= 1, "{pruned:?}");
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.sessions WHERE account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sessions, 1, "the member's live session stays");
    assert!(accounts::token_is_live(pool, a.tenant.id, &live, "reset").await.unwrap(), "a live link stays");
}

#[tokio::test]
async fn a_password_change_voids_every_link_sent_before() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = app.member(&a, "Lien Perdu").await;
    let pool = app.db.platform();
    let account: Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(&m.email)
        .fetch_one(pool)
        .await
        .unwrap();
    let reset = accounts::issue_token(pool, account, a.tenant.id, "reset", time::Duration::hours(1)).await.unwrap();
    let confirm = accounts::issue_token(pool, account, a.tenant.id, "confirm", time::Duration::hours(1)).await.unwrap();
    let signin =
        echos_core::signin::issue(pool, account, Some(a.tenant.id), "/", time::Duration::hours(1)).await.unwrap();
    let hash = echos_core::secrets::hash_password("un tout autre mot de passe").unwrap();
    accounts::change_password(pool, account, &hash, "no-session").await.unwrap();
    assert!(!accounts::token_is_live(pool, a.tenant.id, &reset, "reset").await.unwrap());
    assert!(!accounts::token_is_live(pool, a.tenant.id, &confirm, "confirm").await.unwrap());
    assert!(!echos_core::signin::is_live(pool, &signin, Some(a.tenant.id)).await.unwrap());
}

/// A job that panics is recorded as a failure with the panic's words, and the worker goes on.
#[tokio::test]
async fn a_panicking_job_is_recorded_as_failed_and_the_worker_goes_on() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let kind = own_kind();
    let id = add(&app, a.tenant.id, &kind, 1).await;
    let job = jobs::claim(app.db.platform(), &[&kind], &[], 1, 60.0, None).await.unwrap().pop().unwrap();
    echos_web::worker::run_guarded_with(&app.state, echos_domain::job::Lane::Mail, job, |_, _| async {
        if true {
            panic!("a bug in a job");
        }
        Ok(())
    })
    .await;
    let (error, attempts): (Option<String>, i32) =
        sqlx::query_as("SELECT last_error, attempts FROM platform.jobs WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.platform())
            .await
            .unwrap();
    assert_eq!(error.as_deref(), Some("panicked: a bug in a job"));
    assert_eq!(attempts, 1);
    // And the next job runs.
    let next = add(&app, a.tenant.id, &kind, 1).await;
    let job = jobs::claim(app.db.platform(), &[&kind], &[], 10, 60.0, None).await.unwrap();
    let job = job.into_iter().find(|j| j.id == next).unwrap();
    echos_web::worker::run_guarded_with(&app.state, echos_domain::job::Lane::Mail, job, |_, _| async { Ok(()) }).await;
    let done: bool = sqlx::query_scalar("SELECT done_at IS NOT NULL FROM platform.jobs WHERE id = $1")
        .bind(next)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(done);
    clean(&app, &kind).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_worker_lets_quick_jobs_finish_and_hands_the_slow_ones_back() {
    // A page that never answers: the link preview's fetch waits on it.
    let silent = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let url = format!("http://{}/lent", silent.local_addr().unwrap());
    let mut cfg = echos_tests::config();
    cfg.links.preview_allow = vec!["127.0.0.2/32".parse().unwrap()];
    cfg.links.preview_connect_timeout_ms = 60_000;
    cfg.links.preview_total_timeout_ms = 60_000;
    cfg.accounts.worker_stop_grace_secs = 1;
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Ada").await;
    app.publish(&a, &mut m, "veille", &[("title", "Une page lente"), ("url", &url)]).await;
    let preview: i64 =
        sqlx::query_scalar("SELECT id FROM platform.jobs WHERE tenant_id = $1 AND kind = 'link.preview'")
            .bind(a.tenant.id)
            .fetch_one(app.db.platform())
            .await
            .unwrap();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(echos_web::worker::run_forever(app.state.clone(), stopped, Some(a.tenant.id)));
    // The confirmation e-mail goes out; the preview hangs on the silent page.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.mails_to(&m.email).is_empty() || !app.state.running_jobs.lock().unwrap().contains(&preview) {
        assert!(std::time::Instant::now() < deadline, "the worker took its jobs");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let asked = std::time::Instant::now();
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), worker).await.expect("the worker stops").unwrap();
    let took = asked.elapsed();
    assert!(took >= std::time::Duration::from_secs(1), "it waited its grace: {took:?}");
    assert!(took < std::time::Duration::from_secs(4), "and no longer: {took:?}");

    // Handed back: due now, its attempt not counted, neither done nor failed.
    let (attempts, due, open): (i32, bool, bool) = sqlx::query_as(
        "SELECT attempts, run_at <= now(), done_at IS NULL AND failed_at IS NULL FROM platform.jobs WHERE id = $1",
    )
    .bind(preview)
    .fetch_one(app.db.platform())
    .await
    .unwrap();
    assert_eq!((attempts, due, open), (0, true, true));
    assert!(app.state.running_jobs.lock().unwrap().is_empty());
    drop(silent);
}
