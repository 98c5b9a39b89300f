use echos_core::error::FEATURE_NOT_SUPPORTED;
use echos_core::{CoreError, TenantTx};
use echos_tests::TestApp;

/// Two regions on different schema versions, one connection: a cached `SELECT *` prepared in
/// one fails in the other (SQLSTATE 0A000). `with_tenant` clears the cache and retries once.
#[tokio::test]
async fn a_stale_cached_statement_is_retried_once_with_a_fresh_cache() {
    let mut cfg = echos_tests::config();
    cfg.database.subpools = 1;
    cfg.database.pool_size = 1;
    let app = TestApp::with_config(cfg).await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER TABLE {}.settings ADD COLUMN extra int", b.tenant.schema)))
        .execute(app.db.platform())
        .await
        .unwrap();

    // Without the retry, the problem is real.
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    sqlx::query("SELECT * FROM settings").fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = TenantTx::begin(&app.db, &b.tenant).await.unwrap();
    let err = sqlx::query("SELECT * FROM settings").fetch_all(&mut *tx).await.unwrap_err();
    assert_eq!(CoreError::from(err).sqlstate().as_deref(), Some(FEATURE_NOT_SUPPORTED));
    tx.rollback().await.unwrap();

    // Prepare it in A again, then read B through `with_tenant`.
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    sqlx::query("SELECT * FROM settings").fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let rows = app
        .db
        .with_tenant(&b.tenant, |tx| {
            Box::pin(async move { Ok(sqlx::query("SELECT * FROM settings").fetch_all(&mut **tx).await?) })
        })
        .await
        .expect("retried with a fresh statement cache");
    assert!(!rows.is_empty());
}
