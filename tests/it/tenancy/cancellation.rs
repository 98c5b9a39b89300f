//! A visitor who hangs up drops the handler's future wherever it is waiting. Whatever was in
//! flight on the connection must not follow it back into the pool: the next borrower is never
//! inside a transaction it did not begin, and what it writes outside a transaction is committed.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use echos_core::TenantTx;
use echos_tests::TestApp;

/// Whether the pool's (only) connection sits inside a transaction once it has answered a
/// statement of its own: another session reads its state.
async fn inside_an_older_transaction(app: &TestApp, pool: &sqlx::PgPool) -> bool {
    use sqlx::Connection;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(pool).await.unwrap();
    let mut other = sqlx::PgConnection::connect(&app.config.database.url).await.unwrap();
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM pg_stat_activity WHERE pid = $1")
        .bind(pid)
        .fetch_one(&mut other)
        .await
        .unwrap();
    other.close().await.unwrap();
    state.is_some_and(|s| s.starts_with("idle in transaction"))
}

/// One round: `BEGIN` sent on the only connection of the pool, the future dropped before its
/// answer is read; then the next borrower writes a row outside any transaction, and a connection
/// of its own reads it back. Returns (left inside a transaction, row visible to others).
async fn hang_up_during_begin(app: &TestApp, t: &echos_tests::TestTenant, round: usize) -> (bool, bool) {
    let pool = app.db.pool_for(&t.tenant).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    {
        // Polled once: `BEGIN; SELECT set_config(…)` is written to the socket and the future
        // waits for the answer — then it is dropped, as axum drops a handler whose client left.
        let mut begin = pin!(TenantTx::begin_on(&mut conn, &t.tenant));
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(tx) = begin.as_mut().poll(&mut cx) {
            // The answer was already there: nothing was cut. Count the round as clean.
            drop(tx);
        }
    }
    drop(conn);

    let leftover = inside_an_older_transaction(app, pool).await;
    let key = format!("cancel.round{round}");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO \"{}\".settings (key, value) VALUES ($1, '1'::jsonb)",
        t.tenant.schema
    )))
    .bind(&key)
    .execute(pool)
    .await
    .unwrap();

    // Another session sees only what was committed.
    use sqlx::Connection;
    let mut other = sqlx::PgConnection::connect(&app.config.database.url).await.unwrap();
    let seen: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM \"{}\".settings WHERE key = $1)",
        t.tenant.schema
    )))
    .bind(&key)
    .fetch_one(&mut other)
    .await
    .unwrap();
    other.close().await.unwrap();
    (leftover, seen)
}

#[tokio::test]
async fn a_begin_cut_short_leaves_no_transaction_for_the_next_borrower() {
    let mut cfg = echos_tests::config();
    cfg.database.subpools = 1;
    cfg.database.pool_size = 1;
    let app = TestApp::with_config(cfg).await;
    let t = app.tenant().await;
    for round in 0..20 {
        let (leftover, seen) = hang_up_during_begin(&app, &t, round).await;
        assert!(!leftover, "round {round}: the next borrower ran inside a transaction left open by a cut BEGIN");
        assert!(seen, "round {round}: a write made outside a transaction was not committed");
    }
    // And the connection still works for a region's transaction.
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(schema, t.tenant.schema);
}

/// The same cut at every await of a region's transaction: while its statements run and while
/// `COMMIT` is in flight. Nothing is half-written, and the connection comes back clean.
#[tokio::test]
async fn a_transaction_cut_anywhere_is_all_or_nothing_and_leaves_the_connection_clean() {
    let mut cfg = echos_tests::config();
    cfg.database.subpools = 1;
    cfg.database.pool_size = 1;
    let app = TestApp::with_config(cfg).await;
    let t = app.tenant().await;
    let pool = app.db.pool_for(&t.tenant).unwrap();
    for polls in 1..40 {
        let key_a = format!("cut.{polls}.a");
        let key_b = format!("cut.{polls}.b");
        {
            let work = async {
                let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
                for key in [&key_a, &key_b] {
                    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, '1'::jsonb)")
                        .bind(key)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
            };
            let mut work = pin!(work);
            let mut cx = Context::from_waker(Waker::noop());
            for _ in 0..polls {
                if work.as_mut().poll(&mut cx).is_ready() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        // Whatever happened to the cut transaction has settled by the time the next one runs.
        assert!(!inside_an_older_transaction(&app, pool).await, "after {polls} polls: a transaction was left open");
        let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM settings WHERE key = ANY($1)")
            .bind(vec![key_a.clone(), key_b.clone()])
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(n == 0 || n == 2, "after {polls} polls: {n} of the 2 rows written");
    }
}
