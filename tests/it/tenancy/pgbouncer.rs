//! The regions' connections through PgBouncer in transaction mode (Debian's 1.18, started by
//! `tests/run.sh`): the region switch is transaction-local, so a server connection handed from
//! one client to another by the pooler never carries a region over; with the statement cache at
//! 0 no named prepared statement is left on a server for another client to trip on.

use echos_core::TenantTx;
use echos_tests::{Browser, TestApp, pgbouncer_url};
use http::StatusCode;

async fn through_pgbouncer() -> TestApp {
    let mut cfg = echos_tests::config();
    cfg.database.regions_url = Some(pgbouncer_url());
    cfg.database.statement_cache = 0;
    // Many client connections for PgBouncer's 6 server connections: regions really do share them.
    cfg.database.subpools = 3;
    cfg.database.pool_size = 4;
    cfg.http.page_cache_bytes = 0;
    cfg.http.data_cache_bytes = 0;
    TestApp::with_config(cfg).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_work_and_stay_apart_through_pgbouncer_in_transaction_mode() {
    let app = through_pgbouncer().await;
    let regions = [app.tenant().await, app.tenant().await, app.tenant().await];

    // The region's transactions did go through the pooler (it names the client's address).
    let mut tx = TenantTx::begin(&app.db, &regions[0].tenant).await.unwrap();
    let name: String =
        sqlx::query_scalar("SELECT current_setting('application_name')").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(name.starts_with("echosciences - 127.0.0.1:"), "through PgBouncer: {name}");

    // Writes: a member of each region signs up and publishes.
    let mut titles = Vec::new();
    for (i, t) in regions.iter().enumerate() {
        let mut m = app.member(t, "Ada").await;
        let title = format!("Article de la région {i} {}", t.slug.as_str());
        app.publish(t, &mut m, "articles", &[("title", &title)]).await;
        titles.push(title);
    }

    // Reads, all at once over the three regions: each sees its own and nobody else's.
    let mut reads = Vec::new();
    for round in 0..30 {
        let i = round % 3;
        let (host, app) = (regions[i].host.clone(), &app);
        reads.push(async move { (i, app.get(&host, "/articles").await) });
    }
    for (i, r) in futures::future::join_all(reads).await {
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(&titles[i]), "region {i} lost its own article");
        for (j, other) in titles.iter().enumerate() {
            assert!(j == i || !r.body.contains(other), "region {i} saw region {j}'s article");
        }
    }

    // A form that fails re-shows without a half-written row, through the pooler too.
    let mut browser = Browser::new();
    let r = app.post_form(&regions[0].host, "/inscription", &[("email", "pas-une-adresse")], &mut browser).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
