//! Regions on several PostgreSQL clusters, the way large multi-tenant services split tenants into
//! cells: the control plane (schema `platform`) lives on the `main` cluster; a region's schema
//! lives on one cluster, named in its row (`platform.tenants.database`).
//!
//! A region's transaction writes control-plane rows with its own (a job queued with the comment
//! that causes it, an account with its member). On a region cluster the schema `platform` holds
//! the control plane's tables as postgres_fdw foreign tables, so the same SQL runs there
//! unchanged and commits both sides together (postgres_fdw commits the remote side as the local
//! transaction commits). What the regions' SQL calls — the search configurations and functions,
//! the like counter, the change notice — is created on each cluster from the platform migrations
//! that define it (`migrate::cluster_set`).
//!
//! `prepare` readies a cluster (each `echos migrate`), `place` picks a new region's cluster, and
//! `move_region` copies a region to another cluster and switches it there.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use echos_domain::Slug;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};

use crate::db::{Db, MAIN_DATABASE, is_plain_identifier};
use crate::error::{Context, CoreError, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE};
use crate::migrate;
use crate::tenants::{self, Tenant};

/// Key of the advisory lock that keeps two runners from preparing one cluster at once.
const PREPARE_LOCK: i64 = 0x6563_686f_735f_636c;

/// The foreign server through which a region cluster reaches the control plane.
const CONTROL_SERVER: &str = "echos_control";

/// How many regions each cluster holds (every configured cluster listed, empty ones too).
pub async fn usage(db: &Db) -> Result<BTreeMap<String, i64>, CoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT database, count(*) FROM platform.tenants GROUP BY database")
        .fetch_all(db.platform())
        .await
        .context("counting regions per cluster")?;
    let mut out: BTreeMap<String, i64> = db.cluster_names().into_iter().map(|n| (n, 0)).collect();
    out.extend(rows);
    Ok(out)
}

/// The cluster a new region goes to: the one asked for (it must be configured), else the one
/// with the fewest regions (the control plane's on a tie).
pub async fn place(db: &Db, requested: Option<&str>) -> Result<String, CoreError> {
    if let Some(name) = requested {
        db.cluster(name)?;
        return Ok(name.to_owned());
    }
    if db.cluster_names().len() == 1 {
        return Ok(MAIN_DATABASE.to_owned());
    }
    let usage = usage(db).await?;
    let known = db.cluster_names();
    let fewest = known.iter().min_by_key(|n| (usage.get(*n).copied().unwrap_or(0), *n != MAIN_DATABASE));
    Ok(fewest.cloned().unwrap_or_else(|| MAIN_DATABASE.to_owned()))
}

/// Readies a region cluster: postgres_fdw and its server pointing at the control plane, the
/// shared objects the regions' SQL calls, and `platform` holding the control plane's tables as
/// foreign tables — imported afresh, in one transaction, when the control plane's tables changed
/// (after a release's platform migrations). Retried when the regions' own queries on the old
/// foreign tables hold it up.
pub async fn prepare(control: &PgPool, pool: &PgPool, control_url: &str) -> Result<(), CoreError> {
    // Every control-plane table with an identity column must have its `<table>_next_id` view.
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relnamespace = 'platform'::regnamespace AND c.relkind = 'r' AND a.attidentity <> ''
            AND to_regclass('platform.' || quote_ident(c.relname || '_next_id')) IS NULL",
    )
    .fetch_all(control)
    .await
    .context("checking the control plane's identity columns")?;
    if !missing.is_empty() {
        return Err(CoreError::Unexpected(anyhow::anyhow!(
            "the control-plane tables {missing:?} have an identity column but no `<table>_next_id` view"
        )));
    }
    // What the foreign tables must mirror: every column of the control plane's tables and views.
    let shape: String = sqlx::query_scalar(
        "SELECT md5(string_agg(format('%s.%s:%s:%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                                      coalesce(pg_get_expr(d.adbin, d.adrelid), '')),
                               ',' ORDER BY c.relname, a.attnum))
           FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
          WHERE c.relnamespace = 'platform'::regnamespace AND c.relkind IN ('r', 'p', 'v')",
    )
    .fetch_one(control)
    .await
    .context("reading the control plane's tables")?;
    let target = ForeignServer::parse(control_url)?;
    let mut attempt = 1;
    loop {
        match prepare_once(pool, &target, &shape).await {
            Err(e)
                if attempt < 5 && matches!(e.sqlstate().as_deref(), Some(DEADLOCK_DETECTED | LOCK_NOT_AVAILABLE)) =>
            {
                tracing::warn!(attempt, "the cluster's foreign tables are busy; preparing it again");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn prepare_once(pool: &PgPool, target: &ForeignServer, shape: &str) -> Result<(), CoreError> {
    let mut conn = pool.acquire().await.context("connecting to the cluster")?;
    let mut tx = conn.begin().await.context("starting a transaction")?;
    // Two runners preparing one cluster at once would race on the catalogue.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PREPARE_LOCK)
        .execute(&mut *tx)
        .await
        .context("taking the cluster lock")?;
    sqlx::raw_sql(
        "SET LOCAL lock_timeout = '10s';
         CREATE EXTENSION IF NOT EXISTS postgres_fdw;
         CREATE SCHEMA IF NOT EXISTS platform;
         CREATE TABLE IF NOT EXISTS platform.cluster_migrations (
             version bigint PRIMARY KEY,
             description text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now());
         CREATE TABLE IF NOT EXISTS platform.cluster_import (
             shape text NOT NULL,
             imported_at timestamptz NOT NULL DEFAULT now());",
    )
    .execute(&mut *tx)
    .await
    .context("creating the cluster's platform schema")?;

    // The server and the user mapping, rewritten only when they change (live connections through
    // them are then dropped by postgres_fdw).
    let server_options =
        vec![format!("host={}", target.host), format!("port={}", target.port), format!("dbname={}", target.dbname)];
    let existing: Option<Option<Vec<String>>> =
        sqlx::query_scalar("SELECT srvoptions FROM pg_foreign_server WHERE srvname = $1")
            .bind(CONTROL_SERVER)
            .fetch_optional(&mut *tx)
            .await
            .context("reading the foreign server")?;
    if existing.as_ref().and_then(|o| o.as_ref()) != Some(&server_options) {
        // Options are literals: `format(%L)` quotes them.
        let sql: String = sqlx::query_scalar(if existing.is_some() {
            "SELECT format('ALTER SERVER %I OPTIONS (SET host %L, SET port %L, SET dbname %L)', $1, $2, $3, $4)"
        } else {
            "SELECT format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, dbname %L)', $1, $2, $3, $4)"
        })
        .bind(CONTROL_SERVER)
        .bind(&target.host)
        .bind(target.port.to_string())
        .bind(&target.dbname)
        .fetch_one(&mut *tx)
        .await
        .context("writing the foreign server")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .context("pointing the cluster at the control plane")?;
    }
    let mut mapping_options = vec![format!("user={}", target.user)];
    mapping_options.extend(target.password.as_ref().map(|p| format!("password={p}")));
    let mapped: Option<Option<Vec<String>>> =
        sqlx::query_scalar("SELECT umoptions FROM pg_user_mappings WHERE srvname = $1 AND usename = current_user")
            .bind(CONTROL_SERVER)
            .fetch_optional(&mut *tx)
            .await
            .context("reading the user mapping")?;
    if mapped.as_ref().and_then(|o| o.as_ref()) != Some(&mapping_options) {
        let sql: String = sqlx::query_scalar(
            "SELECT format('DROP USER MAPPING IF EXISTS FOR CURRENT_USER SERVER %1$I; \
                            CREATE USER MAPPING FOR CURRENT_USER SERVER %1$I OPTIONS (user %2$L%3$s)',
                           $1, $2, CASE WHEN $3::text IS NULL THEN '' ELSE format(', password %L', $3) END)",
        )
        .bind(CONTROL_SERVER)
        .bind(&target.user)
        .bind(target.password.as_deref())
        .fetch_one(&mut *tx)
        .await
        .context("writing the user mapping")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.context("mapping the control plane's role")?;
    }

    for m in migrate::pending(&mut tx, migrate::Ledger::Cluster, migrate::cluster_set()).await? {
        migrate::apply_recorded(&mut tx, migrate::Ledger::Cluster, &m).await?;
    }

    let imported: Option<String> = sqlx::query_scalar("SELECT shape FROM platform.cluster_import")
        .fetch_optional(&mut *tx)
        .await
        .context("reading the last import")?;
    if imported.as_deref() != Some(shape) {
        import_tables(&mut tx).await?;
        sqlx::query("DELETE FROM platform.cluster_import").execute(&mut *tx).await.context("recording the import")?;
        sqlx::query("INSERT INTO platform.cluster_import (shape) VALUES ($1)")
            .bind(shape)
            .execute(&mut *tx)
            .await
            .context("recording the import")?;
    }
    tx.commit().await.context("committing the cluster's preparation")
}

/// The control plane's tables as foreign tables, as they are now, each identity column drawing
/// its ids from the control plane's `<table>_next_id` view.
async fn import_tables(tx: &mut PgConnection) -> Result<(), CoreError> {
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', foreign_table_schema, foreign_table_name) FROM information_schema.foreign_tables
          WHERE foreign_table_schema = 'platform'",
    )
    .fetch_all(&mut *tx)
    .await
    .context("listing the foreign tables")?;
    if !old.is_empty() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP FOREIGN TABLE {}", old.join(", "))))
            .execute(&mut *tx)
            .await
            .context("dropping the old foreign tables")?;
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "IMPORT FOREIGN SCHEMA platform EXCEPT (cluster_migrations, cluster_import) FROM SERVER {CONTROL_SERVER}
         INTO platform OPTIONS (import_default 'true')"
    )))
    .execute(&mut *tx)
    .await
    .context("importing the control plane's tables")?;
    let sources: Vec<String> = sqlx::query_scalar(
        "SELECT foreign_table_name::text FROM information_schema.foreign_tables
          WHERE foreign_table_schema = 'platform' AND foreign_table_name LIKE '%\\_next\\_id'",
    )
    .fetch_all(&mut *tx)
    .await
    .context("listing the id sources")?;
    for source in sources {
        let table = source.trim_end_matches("_next_id");
        if !is_plain_identifier(table) {
            continue;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER FOREIGN TABLE platform.\"{table}\" ALTER COLUMN id SET DEFAULT platform.remote_next_id('{source}')"
        )))
        .execute(&mut *tx)
        .await
        .context("giving a foreign table its ids")?;
    }
    Ok(())
}

/// Where a cluster's server finds the control plane, read from a `postgres://` URL.
#[derive(Debug)]
struct ForeignServer {
    host: String,
    port: u16,
    dbname: String,
    user: String,
    password: Option<String>,
}

impl ForeignServer {
    fn parse(url: &str) -> Result<Self, CoreError> {
        let o = PgConnectOptions::from_str(url).context("reading the control plane's URL")?;
        // sqlx keeps the password to itself: read it from the URL's user information.
        let authority = url.split_once("://").map_or("", |(_, rest)| rest.split(['/', '?']).next().unwrap_or(""));
        let password = authority
            .rsplit_once('@')
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .map(|(_, p)| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
        Ok(Self {
            host: o.get_host().to_owned(),
            port: o.get_port(),
            dbname: o.get_database().unwrap_or(o.get_username()).to_owned(),
            user: o.get_username().to_owned(),
            password,
        })
    }
}

/// What a move did.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    pub to: String,
    pub tables: usize,
    pub rows: u64,
    /// The old schema (renamed `<schema>_m…`, or still under its name if even the rename failed)
    /// could not be dropped; the region did move: drop it by hand.
    pub old_schema_left: bool,
}

/// How long the switch waits for every process to hear of it before the old schema goes.
const SWITCH_SETTLE: Duration = Duration::from_secs(1);

/// Moves a region's schema to the cluster `to`: the region turns read-only (writes answer 503
/// with a notice) while its tables are copied under a lock that holds off any write still on its
/// way; every table's row count is checked on arrival; the region's row then names the new
/// cluster (every process's host cache hears of it), and the old schema is dropped. Media stay
/// where they are (their keys name the region's id, not its cluster). On failure the copy is
/// dropped and the region stays where it was, writable again.
///
/// A move cut short (the process killed) leaves the region read-only where it was: `resume`
/// starts it again, dropping whatever the cut move had copied to `to`.
pub async fn move_region(db: &Db, slug: &Slug, to: &str, resume: bool) -> Result<Moved, CoreError> {
    let t = tenants::get(db.platform(), slug).await?;
    if !is_plain_identifier(&t.schema) {
        return Err(CoreError::Unexpected(anyhow::anyhow!("refusing schema name {:?}", t.schema)));
    }
    let target = db.cluster(to)?;
    let source = db.cluster(&t.database)?;
    if t.database == to {
        return Err(CoreError::invalid(format_args!("the region {slug} is already on the cluster “{to}”")));
    }
    if t.schema_version != migrate::latest_tenant_version() {
        return Err(CoreError::invalid("the region is behind its migrations: run `echos migrate` first"));
    }
    // One move of a region at a time, a resumed one included: a session lock on the control
    // plane, held until the move ends (or its process dies).
    let mut guard = db.platform().acquire().await.context("waiting for a connection")?;
    let key = move_lock_key(t.id);
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(&mut *guard)
        .await
        .context("taking the region's move lock")?;
    if !got {
        return Err(CoreError::conflict(format_args!("the region {slug} is being moved by another process")));
    }
    // The same session then marks, switches or clears the region: a move takes one control-plane
    // connection besides the region's own.
    let result = start_and_move(db, &mut guard, &t, source, target, to, resume).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut *guard).await;
    result
}

/// The advisory-lock key of a region's move.
fn move_lock_key(id: uuid::Uuid) -> i64 {
    i64::from_be_bytes(id.as_bytes()[..8].try_into().unwrap_or_default()) ^ 0x6563_686f_735f_6d76
}

async fn start_and_move(
    db: &Db,
    control: &mut PgConnection,
    t: &Tenant,
    source: &PgPool,
    target: &PgPool,
    to: &str,
    resume: bool,
) -> Result<Moved, CoreError> {
    let started = sqlx::query(
        "UPDATE platform.tenants SET moving_since = now()
          WHERE id = $1 AND database = $2 AND schema_version = $3 AND (moving_since IS NULL OR $4)",
    )
    .bind(t.id)
    .bind(&t.database)
    .bind(t.schema_version)
    .bind(resume)
    .execute(&mut *control)
    .await
    .context("marking the region read-only")?;
    if started.rows_affected() == 0 {
        return Err(CoreError::conflict(format_args!(
            "the region {} is already being moved (if no move is running — one was cut short — start it again with --resume)",
            t.slug
        )));
    }
    if resume {
        // The region is still where its row says (this process holds the move lock): a copy
        // elsewhere is a cut move's, never the region.
        let mut conn = target.acquire().await.context("connecting to the target cluster")?;
        drop_schema(&mut conn, &t.schema).await;
    }
    let result = copy_and_switch(db, control, t, source, target, to).await;
    if result.is_err() {
        let cleared = sqlx::query("UPDATE platform.tenants SET moving_since = NULL WHERE id = $1 AND database = $2")
            .bind(t.id)
            .bind(&t.database)
            .execute(&mut *control)
            .await;
        if let Err(e) = cleared {
            tracing::error!(region = %t.slug, error = %e, "a failed move left the region read-only");
        }
    }
    result
}

async fn copy_and_switch(
    db: &Db,
    control: &mut PgConnection,
    t: &Tenant,
    source: &PgPool,
    target: &PgPool,
    to: &str,
) -> Result<Moved, CoreError> {
    let schema = t.schema.as_str();
    let mut src = source.acquire().await.context("connecting to the region's cluster")?;
    let mut read = src.begin().await.context("starting the copy")?;
    sqlx::query("SET LOCAL lock_timeout = '30s'").execute(&mut *read).await.context("setting a lock timeout")?;
    let names: Vec<String> = crate::archive::tables_of(&mut read, schema).await?.into_keys().collect();
    // Writers still on their way (a process that has not heard of the move yet) finish first,
    // and none starts until this transaction ends: the copy is the region's last state.
    let list = names.iter().map(|n| format!("\"{schema}\".\"{n}\"")).collect::<Vec<_>>().join(", ");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("LOCK TABLE {list} IN SHARE MODE")))
        .execute(&mut *read)
        .await
        .context("holding off the region's writes")?;
    let (tables, data) = crate::archive::copy_out(&mut read, schema).await?;
    // Where each identity sequence stood: ids of rows deleted last are not handed out again.
    let positions = sequence_positions(&mut read, schema).await?;

    let mut dst = target.acquire().await.context("connecting to the target cluster")?;
    let copied = async {
        let mut write = dst.begin().await.context("starting the copy")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut *write)
            .await
            .map_err(|_| CoreError::conflict(format_args!("the cluster “{to}” already has a schema {schema}")))?;
        // The ledger follows the schema: rewritten by the migrations applied to the copy.
        sqlx::query("DELETE FROM platform.schema_ledger WHERE schema_name = $1")
            .bind(schema)
            .execute(&mut *write)
            .await
            .context("clearing the ledger")?;
        let set = migrate::tenant_set();
        migrate::apply(&mut write, schema, &set, 0).await?;
        let data: BTreeMap<&str, &[u8]> = data.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        let rows = crate::archive::copy_in(&mut write, schema, &tables, &data).await?;
        for (table, column, last) in &positions {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{schema}.\"{table}\"', '{column}'), greatest($1, m, 1), $1 IS NOT NULL OR m > 0)
                   FROM (SELECT coalesce(max(\"{column}\"), 0) AS m FROM \"{table}\") x"
            )))
            .bind(last)
            .execute(&mut *write)
            .await
            .context("placing a sequence")?;
        }
        Ok::<_, CoreError>((write, rows))
    }
    .await;
    let (write, rows) = copied?;
    write.commit().await.context("committing the copy")?;

    // The switch: from now on every process sends the region's queries to `to`. Bounded: a
    // writer that holds the region's row (a look being saved) and waits on the copy's lock
    // would otherwise hold it for ever; the move is then given up, nothing having switched.
    let switched = switch(control, t, to).await;
    let switched = match switched {
        Ok(done) => Ok(done),
        // Did it commit before the connection failed? The row says.
        Err(e) => match tenants::get_by_id(db.platform(), t.id).await {
            Ok(now) if now.database == to => Ok(true),
            _ => Err(e),
        },
    };
    match switched {
        Ok(true) => {}
        Ok(false) => {
            drop_schema(&mut dst, schema).await;
            return Err(CoreError::conflict(
                "the region changed during the copy (migrated, deleted or moved): nothing was switched",
            ));
        }
        Err(e) => {
            drop_schema(&mut dst, schema).await;
            return Err(e);
        }
    }
    // Every process hears of the switch through the host cache's notice, within milliseconds:
    // give them a moment. Then the old schema is renamed under the copy's lock — a rename takes
    // no table lock, and a writer still queued behind that lock finds, when it wakes, no table
    // by its name: it fails, its write never lands in the old copy — and dropped afterwards.
    tokio::time::sleep(SWITCH_SETTLE).await;
    let retired = format!("{}_m{}", schema, &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let renamed = match sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER SCHEMA {schema} RENAME TO {retired}")))
        .execute(&mut *read)
        .await
    {
        Ok(_) => read.commit().await.is_ok(),
        Err(e) => {
            tracing::error!(region = %t.slug, error = %e, "renaming the old schema failed");
            let _ = read.rollback().await;
            false
        }
    };
    let old_schema_left = !renamed || !drop_retired(&mut src, &retired).await;
    if old_schema_left {
        tracing::error!(region = %t.slug, cluster = %t.database, schema, "the region moved, but its old schema is still there");
    }
    tracing::info!(region = %t.slug, from = %t.database, to, rows, "region moved");
    Ok(Moved { from: t.database.clone(), to: to.to_owned(), tables: tables.len(), rows, old_schema_left })
}

/// Points the region's row at `to`, if it is still the region that was copied (same cluster,
/// same version, still marked as moving). `false` when it is not.
async fn switch(control: &mut PgConnection, t: &Tenant, to: &str) -> Result<bool, CoreError> {
    let mut tx = control.begin().await.context("starting the switch")?;
    sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await.context("setting a lock timeout")?;
    let done = sqlx::query(
        "UPDATE platform.tenants SET database = $2, moving_since = NULL
          WHERE id = $1 AND database = $3 AND schema_version = $4 AND moving_since IS NOT NULL",
    )
    .bind(t.id)
    .bind(to)
    .bind(&t.database)
    .bind(t.schema_version)
    .execute(&mut *tx)
    .await
    .context("switching the region")?;
    tx.commit().await.context("switching the region")?;
    Ok(done.rows_affected() == 1)
}

/// Drops a moved region's renamed old schema, a few times if busy. `true` once it is gone.
async fn drop_retired(conn: &mut PgConnection, retired: &str) -> bool {
    for attempt in 1..=5u64 {
        let dropped = async {
            let mut tx = conn.begin().await?;
            sqlx::query("SET LOCAL lock_timeout = '30s'").execute(&mut *tx).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {retired} CASCADE")))
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await;
        match dropped {
            Ok(()) => return true,
            Err(e) => {
                tracing::warn!(schema = retired, attempt, error = %e, "dropping a moved region's old schema failed");
                tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
            }
        }
    }
    false
}

/// Each identity column of `schema` with its sequence's last value (`None`: never used).
async fn sequence_positions(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<Vec<(String, String, Option<i64>)>, CoreError> {
    sqlx::query_as(
        "SELECT c.relname::text, a.attname::text,
                pg_sequence_last_value(pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)::regclass)
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attidentity <> '' AND NOT a.attisdropped",
    )
    .bind(schema)
    .fetch_all(conn)
    .await
    .context("reading the sequences")
}

/// Removes a copy that will not be used.
async fn drop_schema(conn: &mut PgConnection, schema: &str) {
    if let Err(e) =
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))).execute(&mut *conn).await
    {
        tracing::error!(schema, error = %e, "removing an unused copy failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_plane_is_read_from_its_url() {
        let s =
            ForeignServer::parse("postgres://echos:p%40ss:w@db.internal:6543/echosciences?sslmode=require").unwrap();
        assert_eq!((s.host.as_str(), s.port, s.dbname.as_str()), ("db.internal", 6543, "echosciences"));
        assert_eq!((s.user.as_str(), s.password.as_deref()), ("echos", Some("p@ss:w")));
        let s = ForeignServer::parse("postgres://postgres@127.0.0.1:5432/echos_test").unwrap();
        assert_eq!((s.user.as_str(), s.password), ("postgres", None));
    }
}
