//! Regions on two PostgreSQL clusters (`tests/second-cluster.sh` starts the second on 5434):
//! created where asked, served from there with the control plane's rows written through
//! postgres_fdw, moved from one to the other with every row and file while another region keeps
//! serving, migrated by the same runner, and kept apart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use echos_core::{Db, Tenant, TenantTx, clusters, migrate, tenants};
use echos_tests::{TestApp, TestTenant, clusters_config};
use http::StatusCode;
use sqlx::PgPool;

/// Whether `schema` exists on the cluster behind `pool`.
async fn has_schema(pool: &PgPool, schema: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(schema)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every table of a region's schema on `pool`: its name, row count and a digest of its rows.
async fn fingerprint(pool: &PgPool, schema: &str) -> Vec<(String, i64, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM \"{schema}\".\"{table}\" x"
        );
        let (n, digest): (i64, String) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.unwrap();
        out.push((table, n, digest));
    }
    out
}

async fn fresh(db: &Db, t: &TestTenant) -> Tenant {
    tenants::get(db.platform(), &t.slug).await.unwrap()
}

async fn count_in(db: &Db, t: &Tenant, sql: &'static str) -> i64 {
    let mut tx = TenantTx::begin(db, t).await.unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    n
}

/// Whether a page links to `url` (attributes escape its slashes).
fn links_to(body: &str, url: &str) -> bool {
    body.contains(&format!("href=\"{}\"", url.replace('/', "&#x2f;")))
}

fn id_of(url: &str) -> String {
    url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned()
}

#[tokio::test]
async fn a_region_on_the_second_cluster_lives_there_and_writes_the_control_plane_through_it() {
    let app = TestApp::with_clusters(clusters_config()).await;
    let second = app.db.cluster("second").unwrap().clone();
    let t = app.tenant_on("second").await;
    assert_eq!(t.tenant.database, "second");
    assert!(has_schema(&second, &t.tenant.schema).await, "its schema is on the second cluster");
    assert!(!has_schema(app.db.platform(), &t.tenant.schema).await, "and not on the control plane's");

    // A sign-up writes the account (control plane) and the member (region) in one transaction
    // on the second cluster; publishing queues jobs there too.
    let mut ada = app.member(&t, "Ada Lovelace").await;
    let account: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.accounts WHERE email = $1")
        .bind(&ada.email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(account, 1, "the account is in the control plane");
    let url = app.publish(&t, &mut ada, "articles", &[("title", "Les marées de Bretagne")]).await;
    let page = app.get(&t.host, &url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Les marées de Bretagne"));
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.jobs WHERE tenant_id = $1")
        .bind(t.tenant.id)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(jobs > 0, "jobs queued from the second cluster reach the control plane's queue");

    // Search reads the region's language from the control plane, through the foreign table.
    let found = app.get(&t.host, "/recherche?q=marees").await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(links_to(&found.body, &url), "found without its accent");

    // A write on the second cluster reaches this process's page cache (its own listener there).
    let home = app.get(&t.host, "/").await;
    assert!(home.body.contains("Les marées de Bretagne"));
    let mut changes = app.state.directory.freshness().changes();
    app.publish(&t, &mut ada, "articles", &[("title", "Le mascaret de la Seine")]).await;
    tokio::time::timeout(std::time::Duration::from_secs(5), changes.changed()).await.unwrap().unwrap();
    let home = app.get(&t.host, "/").await;
    assert!(home.body.contains("Le mascaret de la Seine"), "the cached home page was retired");

    // Deleted (as the lifecycle's sweep does): its schema goes from the second cluster, its
    // history stays in the control plane (an id drawn there through the foreign table).
    echos_core::lifecycle::delete_now(&app.db, &app.state.media, t.tenant.id, "test").await.unwrap();
    assert!(!has_schema(&second, &t.tenant.schema).await, "its schema is dropped where it was");
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM platform.tenant_events WHERE tenant_id = $1 AND to_status = 'deleted' AND id > 0",
    )
    .bind(t.tenant.id)
    .fetch_one(app.db.platform())
    .await
    .unwrap();
    assert_eq!(events, 1);
}

#[tokio::test]
async fn the_placement_is_the_cluster_asked_for_else_the_one_with_the_fewest_regions() {
    let app = TestApp::with_clusters(clusters_config()).await;
    let usage = clusters::usage(&app.db).await.unwrap();
    assert!(usage.contains_key("main") && usage.contains_key("second"), "{usage:?}");
    let fewest = usage.iter().min_by_key(|(name, n)| (**n, name.as_str() != "main")).unwrap().0.clone();
    assert_eq!(clusters::place(&app.db, None).await.unwrap(), fewest);
    assert_eq!(clusters::place(&app.db, Some("second")).await.unwrap(), "second");
    let err = clusters::place(&app.db, Some("elsewhere")).await.unwrap_err();
    assert!(err.to_string().contains("elsewhere"), "{err}");
    // A process that knows one cluster places everything there.
    let single = TestApp::new().await;
    assert_eq!(clusters::place(&single.db, None).await.unwrap(), "main");
}

#[tokio::test]
async fn a_region_being_moved_reads_with_a_notice_and_refuses_writes_with_503() {
    let app = TestApp::with_clusters(clusters_config()).await;
    let t = app.tenant_on("main").await;
    let mut ada = app.member(&t, "Ada Lovelace").await;
    app.publish(&t, &mut ada, "articles", &[("title", "Avant le déplacement")]).await;
    sqlx::query("UPDATE platform.tenants SET moving_since = now() WHERE id = $1")
        .bind(t.tenant.id)
        .execute(app.db.platform())
        .await
        .unwrap();
    app.state.directory.invalidate_all();
    let home = app.get(&t.host, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("maintenance"), "the notice");
    let refused = app
        .post_form(&t.host, "/articles", &[("title", "Pendant le déplacement"), ("body", "x")], &mut ada.browser)
        .await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.header("retry-after"), Some("120"));
    assert!(refused.body.contains("Maintenance en cours"), "{}", refused.body);
    let n = count_in(&app.db, &fresh(&app.db, &t).await, "SELECT count(*) FROM contributions").await;
    assert_eq!(n, 1, "nothing written");
    // Its jobs wait for the move to end.
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.jobs WHERE tenant_id = $1 AND done_at IS NULL")
        .bind(t.tenant.id)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(queued > 0, "publishing queued its job");
    assert_eq!(app.run_jobs(&[&t]).await, 0, "none of a moving region's jobs run");
    // A second move of the same region is refused while the first runs.
    let err = clusters::move_region(&app.db, &t.slug, "second", false).await.unwrap_err();
    assert!(err.to_string().contains("already being moved"), "{err}");

    // A move cut short (as if killed) left a partial copy on the target: `--resume` drops it and
    // moves the region, which then takes writes again, its jobs with them.
    let second = app.db.cluster("second").unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {s}; CREATE TABLE {s}.half_copied (id int)",
        s = t.tenant.schema
    )))
    .execute(second)
    .await
    .unwrap();
    let moved = clusters::move_region(&app.db, &t.slug, "second", true).await.unwrap();
    assert!(!moved.old_schema_left);
    let now = fresh(&app.db, &t).await;
    assert_eq!((now.database.as_str(), now.moving_since), ("second", None));
    assert_eq!(count_in(&app.db, &now, "SELECT count(*) FROM contributions").await, 1);
    let half: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'half_copied' AND relnamespace = $1::regnamespace)",
    )
    .bind(&t.tenant.schema)
    .fetch_one(second)
    .await
    .unwrap();
    assert!(!half, "the cut move's copy was dropped first");
    app.publish(&t, &mut ada, "articles", &[("title", "Après la reprise")]).await;
    assert!(app.run_jobs(&[&t]).await > 0, "its jobs run again");
}

#[tokio::test]
async fn a_region_moves_to_another_cluster_and_back_with_every_row_and_file_while_another_serves() {
    // No page cache: every read during the move goes to the database.
    let mut config = clusters_config();
    config.http.page_cache_bytes = 0;
    config.http.data_cache_bytes = 0;
    let app = TestApp::with_clusters(config).await;
    let second = app.db.cluster("second").unwrap().clone();
    let a = app.tenant_on("main").await;
    let b = app.tenant_on("main").await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut bob = app.member(&a, "Bob Auteur").await;
    let png = include_bytes!("../../browser/fixtures/cover.png").to_vec();
    let image = app.state.media.put(a.tenant.id, "images", png, "png", "image/png").await.unwrap();
    let body = format!("Voici une image : ![Glacier](/media/{image})");
    let article = app
        .publish(
            &a,
            &mut bob,
            "articles",
            &[("title", "Le glacier recule"), ("body", body.as_str()), ("tags", "climat")],
        )
        .await;
    app.publish(&a, &mut bob, "debats", &[("title", "Faut-il reboiser ?")]).await;
    let id = id_of(&article);
    app.post_form(&a.host, &format!("/articles/{id}/commentaires"), &[("body", "Très clair !")], &mut admin.browser)
        .await;
    app.post_form(&a.host, &format!("/articles/{id}/jaime"), &[], &mut admin.browser).await;
    // Nothing pending that a worker (this process's or another test's) could write meanwhile.
    app.run_jobs(&[&a]).await;
    let before = fingerprint(app.db.platform(), &a.tenant.schema).await;
    assert!(before.iter().any(|(t, n, _)| t == "contributions" && *n == 2), "{before:?}");

    // Readers of both regions the whole time; every answer must be a 200.
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = [(a.host.clone(), article.clone()), (b.host.clone(), "/".to_owned())]
        .into_iter()
        .map(|(host, path)| {
            let (router, done) = (app.router.clone(), done.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    use tower::ServiceExt;
                    let req = http::Request::get(path.as_str())
                        .header("host", host.as_str())
                        .body(axum::body::Body::empty())
                        .unwrap();
                    answers.push(router.clone().oneshot(req).await.unwrap().status());
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                answers
            })
        })
        .collect();

    let moved = clusters::move_region(&app.db, &a.slug, "second", false).await.unwrap();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        let answers = reader.await.unwrap();
        assert!(!answers.is_empty(), "{answers:?}");
        assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");
    }
    assert_eq!((moved.from.as_str(), moved.to.as_str(), moved.old_schema_left), ("main", "second", false));
    assert_eq!(moved.rows, before.iter().map(|(_, n, _)| *n as u64).sum::<u64>());
    assert!(!has_schema(app.db.platform(), &a.tenant.schema).await, "the old schema is dropped");
    assert_eq!(fingerprint(&second, &a.tenant.schema).await, before, "every table, every row");
    let now = fresh(&app.db, &a).await;
    assert_eq!((now.database.as_str(), now.moving_since), ("second", None));

    // It answers from there: its pages, its media (where they were), its search, new writes.
    let page = app.get(&a.host, &article).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Le glacier recule") && page.body.contains("Très clair !"));
    assert_eq!(app.get(&a.host, &format!("/media/{image}")).await.status, StatusCode::OK);
    assert!(links_to(&app.get(&a.host, "/recherche?q=glacier").await.body, &article), "found by search");
    app.publish(&a, &mut bob, "articles", &[("title", "Après le déplacement")]).await;
    assert_eq!(count_in(&app.db, &now, "SELECT count(*) FROM contributions").await, 3, "identities moved on");
    let like = count_in(&app.db, &now, "SELECT like_count FROM contributions WHERE title = 'Le glacier recule'").await;
    assert_eq!(like, 1, "counters copied as they were, not counted again");
    // The other region never stopped.
    assert_eq!(app.get(&b.host, "/").await.status, StatusCode::OK);

    // And back, with what was written on the second cluster.
    app.run_jobs(&[&a]).await;
    let there = fingerprint(&second, &a.tenant.schema).await;
    clusters::move_region(&app.db, &a.slug, "main", false).await.unwrap();
    assert!(!has_schema(&second, &a.tenant.schema).await);
    let back = fingerprint(app.db.platform(), &a.tenant.schema).await;
    let differ: Vec<_> = back.iter().zip(&there).filter(|(x, y)| x != y).collect();
    assert!(differ.is_empty(), "{differ:?}");
    assert!(app.get(&a.host, "/").await.body.contains("Après le déplacement"));
    let err = clusters::move_region(&app.db, &a.slug, "main", false).await.unwrap_err();
    assert!(err.to_string().contains("already on the cluster"), "{err}");
}

#[tokio::test]
async fn regions_on_two_clusters_stay_apart() {
    let app = TestApp::with_clusters(clusters_config()).await;
    let a = app.tenant_on("second").await;
    let b = app.tenant_on("main").await;
    let mut ada = app.member(&a, "Ada").await;
    let article = app.publish(&a, &mut ada, "articles", &[("title", "Secret des abysses")]).await;
    assert_eq!(app.get(&b.host, &article).await.status, StatusCode::NOT_FOUND);
    assert!(links_to(&app.get(&a.host, "/recherche?q=abysses").await.body, &article));
    assert!(!links_to(&app.get(&b.host, "/recherche?q=abysses").await.body, &article));
    // Each region's schema is on its own cluster only.
    let second = app.db.cluster("second").unwrap();
    assert!(!has_schema(second, &b.tenant.schema).await);
    assert!(!has_schema(app.db.platform(), &a.tenant.schema).await);
}

#[tokio::test]
async fn a_write_under_way_when_a_move_starts_is_finished_first_and_moved_with_the_rest() {
    let app = TestApp::with_clusters(clusters_config()).await;
    let t = app.tenant_on("main").await;
    // A process that has not heard of the move yet: its transaction has written, not committed.
    let mut writer = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('test.under_way', '1'::jsonb)")
        .execute(&mut *writer)
        .await
        .unwrap();
    let mover = tokio::spawn({
        let (db, slug) = (app.db.clone(), t.slug.clone());
        async move { clusters::move_region(&db, &slug, "second", false).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!mover.is_finished(), "the copy waits for the write under way");
    writer.commit().await.unwrap();
    let moved = mover.await.unwrap().unwrap();
    assert_eq!(moved.to, "second");
    let now = fresh(&app.db, &t).await;
    let n = count_in(&app.db, &now, "SELECT count(*) FROM settings WHERE key = 'test.under_way'").await;
    assert_eq!(n, 1, "the write was copied");
}

#[tokio::test]
async fn the_migration_runner_migrates_regions_on_every_cluster() {
    let app = TestApp::with_clusters(clusters_config()).await;
    let t = app.tenant_on("second").await;
    let second = app.db.cluster("second").unwrap().clone();
    // The region's schema as it was before any migration: empty, version 0.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {s} CASCADE; CREATE SCHEMA {s}", s = t.tenant.schema)))
        .execute(&second)
        .await
        .unwrap();
    sqlx::query("UPDATE platform.tenants SET schema_version = 0 WHERE id = $1")
        .bind(t.tenant.id)
        .execute(app.db.platform())
        .await
        .unwrap();
    sqlx::query("DELETE FROM platform.schema_ledger WHERE schema_name = $1")
        .bind(&t.tenant.schema)
        .execute(app.db.platform())
        .await
        .unwrap();
    app.state.directory.invalidate_all();
    assert_eq!(app.get(&t.host, "/").await.status, StatusCode::SERVICE_UNAVAILABLE, "behind: closed");

    let report =
        migrate::run(&app.db, migrate::Options::All, &migrate::tenant_set(), &app.config.tenancy).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    // (Another test process's runner may have been first: what counts is the region's state.)
    let now = fresh(&app.db, &t).await;
    assert_eq!(now.schema_version, migrate::latest_tenant_version());
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
    )
    .bind(&t.tenant.schema)
    .fetch_one(&second)
    .await
    .unwrap();
    assert!(tables > 10, "its tables were made on the second cluster ({tables})");
    let ledger: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.schema_ledger WHERE schema_name = $1")
        .bind(&t.tenant.schema)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(ledger, migrate::latest_tenant_version());
    app.state.directory.invalidate_all();
    assert_eq!(app.get(&t.host, "/").await.status, StatusCode::OK);
    let mut ada = app.member(&t, "Ada").await;
    app.publish(&t, &mut ada, "articles", &[("title", "Après la migration")]).await;
}
