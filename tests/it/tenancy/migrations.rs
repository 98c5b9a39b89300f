use echos_core::migrate::{self, Migration, Options, SchemaTarget};
use echos_core::{TenantTx, settings};
use echos_tests::{TestApp, TestTenant};

fn target(t: &TestTenant) -> SchemaTarget {
    SchemaTarget {
        name: t.tenant.schema.clone(),
        tenant: Some((t.tenant.id, t.slug.to_string())),
        database: t.tenant.database.clone(),
    }
}

async fn version(app: &TestApp, t: &TestTenant) -> i64 {
    sqlx::query_scalar("SELECT schema_version FROM platform.tenants WHERE id = $1")
        .bind(t.tenant.id)
        .fetch_one(app.db.platform())
        .await
        .unwrap()
}

async fn has_table(app: &TestApp, t: &TestTenant, table: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(format!("{}.{table}", t.tenant.schema))
        .fetch_one(app.db.platform())
        .await
        .unwrap()
}

async fn ledger_rows(app: &TestApp, t: &TestTenant, v: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM platform.schema_ledger WHERE schema_name = $1 AND version = $2")
        .bind(&t.tenant.schema)
        .bind(v)
        .fetch_one(app.db.platform())
        .await
        .unwrap()
}

/// The real set plus one that fails in any region carrying the setting `test.fail`.
fn set_with_a_trap(version: i64) -> Vec<Migration> {
    let mut set = migrate::tenant_set();
    set.push(Migration {
        version,
        description: "test_trap",
        sql: "CREATE TABLE trap_extra (id int);
              DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM settings WHERE key = 'test.fail') THEN
                  RAISE EXCEPTION 'trap sprung';
                END IF;
              END $$;"
            .into(),
    });
    set
}

#[tokio::test]
async fn a_failure_in_one_region_leaves_the_others_migrated_and_a_rerun_finishes() {
    let app = TestApp::new().await;
    let (a, b, c) = (app.tenant().await, app.tenant().await, app.tenant().await);
    let mut tx = TenantTx::begin(&app.db, &b.tenant).await.unwrap();
    settings::set(&mut tx, "test.fail", &serde_json::json!(true)).await.unwrap();
    tx.commit().await.unwrap();

    let set = set_with_a_trap(9001);
    let results = migrate::migrate_targets(
        app.db.platform(),
        vec![target(&a), target(&b), target(&c)],
        &set,
        &app.config.tenancy,
    )
    .await;
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(s, r)| (s.name.clone(), format!("{:#}", r.as_ref().err().unwrap())))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, b.tenant.schema);
    assert!(failed[0].1.contains("trap sprung"), "the report carries the error: {}", failed[0].1);
    for ok in [&a, &c] {
        assert_eq!(version(&app, ok).await, 9001);
        assert!(has_table(&app, ok, "trap_extra").await);
    }
    assert_eq!(
        version(&app, &b).await,
        migrate::latest(&migrate::tenant_set()),
        "the failed region stays where it was"
    );
    assert!(!has_table(&app, &b, "trap_extra").await, "nothing half-applied");

    let mut tx = TenantTx::begin(&app.db, &b.tenant).await.unwrap();
    sqlx::query("DELETE FROM settings WHERE key = 'test.fail'").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let rerun = migrate::migrate_targets(
        app.db.platform(),
        vec![target(&a), target(&b), target(&c)],
        &set,
        &app.config.tenancy,
    )
    .await;
    assert!(rerun.iter().all(|(_, r)| r.is_ok()));
    for t in [&a, &b, &c] {
        assert_eq!(version(&app, t).await, 9001);
        assert_eq!(ledger_rows(&app, t, 9001).await, 1, "applied exactly once");
    }
}

#[tokio::test]
async fn two_runners_at_once_never_apply_twice() {
    let app = TestApp::new().await;
    let other = TestApp::new().await;
    let regions = [app.tenant().await, app.tenant().await, app.tenant().await];
    // CREATE TABLE fails if run twice in a schema.
    let mut set = migrate::tenant_set();
    set.push(Migration { version: 9002, description: "test_once", sql: "CREATE TABLE once_only (id int);".into() });
    let targets: Vec<_> = regions.iter().map(target).collect();
    let (r1, r2) = tokio::join!(
        migrate::migrate_targets(app.db.platform(), targets.clone(), &set, &app.config.tenancy),
        migrate::migrate_targets(other.db.platform(), targets, &set, &other.config.tenancy),
    );
    assert!(r1.iter().chain(r2.iter()).all(|(_, r)| r.is_ok()));
    for t in &regions {
        assert_eq!(ledger_rows(&app, t, 9002).await, 1);
        assert_eq!(version(&app, t).await, 9002);
    }
}

#[tokio::test]
async fn a_full_run_skips_regions_already_up_to_date() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let report = migrate::run(&app.db, Options::All, &migrate::tenant_set(), &app.config.tenancy).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(!report.migrated.contains(&a.slug.to_string()));
    assert!(report.up_to_date >= 1);
}
