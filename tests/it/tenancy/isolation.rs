use echos_core::{TenantTx, settings};
use echos_tests::TestApp;
use http::StatusCode;

async fn set_welcome(app: &TestApp, t: &echos_tests::TestTenant, text: &str) {
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    settings::set(&mut tx, "home.welcome", &serde_json::json!(text)).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn one_connection_alternating_between_regions_never_carries_a_search_path_over() {
    let mut cfg = echos_tests::config();
    cfg.database.subpools = 1;
    cfg.database.pool_size = 1;
    let app = TestApp::with_config(cfg).await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    set_welcome(&app, &a, "Bienvenue chez A-secret").await;
    set_welcome(&app, &b, "Bienvenue chez B-secret").await;
    for i in 0..60 {
        let (me, mine, theirs) = if i % 2 == 0 { (&a, "A-secret", "B-secret") } else { (&b, "B-secret", "A-secret") };
        let r = app.get(&me.host, "/").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(mine), "request {i} lost its own row");
        assert!(!r.body.contains(theirs), "request {i} saw the other region's row");
    }
}

#[tokio::test]
async fn the_search_path_ends_with_the_transaction() {
    let mut cfg = echos_tests::config();
    cfg.database.subpools = 1;
    cfg.database.pool_size = 1;
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let inside: String = sqlx::query_scalar("SELECT current_schema()::text").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(inside, a.tenant.schema);
    tx.commit().await.unwrap();
    // The same (only) connection, outside any region's transaction: no region's schema.
    let pool = app.db.pool_for(&a.tenant).unwrap();
    // (The simple protocol: one round trip, so a pooler in transaction mode cannot switch servers
    // between the statement's parse and its execution.)
    let after: String = sqlx::Row::get(&sqlx::raw_sql("SHOW search_path").fetch_one(pool).await.unwrap(), 0);
    assert!(!after.contains(&a.tenant.schema), "{after}");
}

#[tokio::test]
async fn settings_read_in_one_region_hold_only_its_rows() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    set_welcome(&app, &b, "B only").await;
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let rows = settings::all(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(!rows.values().any(|v| v == "B only"));
}
