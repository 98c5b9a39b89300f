//! The migration runner: the platform set once, then the tenant set in every region's schema and
//! every spare — one transaction per schema, a few at a time, under an advisory lock so that two
//! runners never overlap. See `migrations/README.md` for the expand/contract rule.

use std::time::Duration;

use futures::StreamExt;
use sqlx::{Acquire, Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::db::{Db, set_search_path};
use crate::error::{Context, CoreError, DEADLOCK_DETECTED, LOCK_NOT_AVAILABLE, SERIALIZATION_FAILURE};

/// One SQL file of a migration set.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: String,
}

macro_rules! migration {
    ($version:literal, $dir:literal, $file:literal) => {
        Migration {
            version: $version,
            description: $file,
            sql: include_str!(concat!("../../../migrations/", $dir, "/", $file)).to_owned(),
        }
    };
}

/// The control-plane migrations, in order.
pub fn platform_set() -> Vec<Migration> {
    vec![
        migration!(1, "platform", "0001_control_plane.sql"),
        migration!(2, "platform", "0002_accounts_sessions_jobs.sql"),
        migration!(3, "platform", "0003_memberships.sql"),
        migration!(4, "platform", "0004_email_changes.sql"),
        migration!(5, "platform", "0005_search.sql"),
        migration!(6, "platform", "0006_console.sql"),
        migration!(7, "platform", "0007_like_count.sql"),
        migration!(8, "platform", "0008_billing.sql"),
        migration!(9, "platform", "0009_events.sql"),
        migration!(10, "platform", "0010_projects.sql"),
        migration!(11, "platform", "0011_content_changes.sql"),
        migration!(12, "platform", "0012_job_trace.sql"),
        migration!(13, "platform", "0013_backups.sql"),
        migration!(14, "platform", "0014_clusters.sql"),
    ]
}

/// What a region cluster holds besides its regions (`clusters::prepare`): the shared objects the
/// regions' SQL calls — the very platform migrations that create them — then its own.
pub fn cluster_set() -> Vec<Migration> {
    vec![
        migration!(1, "platform", "0005_search.sql"),
        migration!(2, "platform", "0007_like_count.sql"),
        migration!(3, "platform", "0011_content_changes.sql"),
        migration!(4, "cluster", "0001_remote_ids.sql"),
    ]
}

/// The migrations every region's schema receives, in order.
pub fn tenant_set() -> Vec<Migration> {
    vec![
        migration!(1, "tenant", "0001_settings.sql"),
        migration!(2, "tenant", "0002_members.sql"),
        migration!(3, "tenant", "0003_notifications.sql"),
        migration!(4, "tenant", "0004_member_avatars.sql"),
        migration!(5, "tenant", "0005_contributions.sql"),
        migration!(6, "tenant", "0006_comments.sql"),
        migration!(7, "tenant", "0007_likes.sql"),
        migration!(8, "tenant", "0008_contribution_kinds.sql"),
        migration!(9, "tenant", "0009_search.sql"),
        migration!(10, "tenant", "0010_structure_managers.sql"),
        migration!(11, "tenant", "0011_console.sql"),
        migration!(12, "tenant", "0012_participation.sql"),
        migration!(13, "tenant", "0013_cover_alt.sql"),
        migration!(14, "tenant", "0014_communities.sql"),
        migration!(15, "tenant", "0015_events.sql"),
        migration!(16, "tenant", "0016_projects.sql"),
        migration!(17, "tenant", "0017_content_changes.sql"),
    ]
}

/// The version this build's tenant migrations bring a region to (computed once).
pub fn latest_tenant_version() -> i64 {
    static LATEST: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *LATEST.get_or_init(|| latest(&tenant_set()))
}

/// The version a fully migrated schema of this set is at.
pub fn latest(set: &[Migration]) -> i64 {
    set.last().map_or(0, |m| m.version)
}

/// Key of the advisory lock that serialises migration runners (`echos:migrate`).
const MIGRATE_LOCK: i64 = 0x6563_686f_735f_6d69;

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub platform_applied: usize,
    pub migrated: Vec<String>,
    pub up_to_date: usize,
    pub failed: Vec<(String, String)>,
    /// Behind, but on a cluster this process's settings do not name: left for a runner that does.
    pub elsewhere: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Options {
    /// Platform and every schema behind.
    All,
    /// Only the platform set (the harness and `demo` use it before anything else).
    PlatformOnly,
}

/// Runs the platform set, then `tenant_migrations` over every region and spare that is behind.
pub async fn run(
    db: &Db,
    opts: Options,
    tenant_migrations: &[Migration],
    cfg: &crate::config::TenancyConfig,
) -> Result<Report, CoreError> {
    // A connection of its own: the pool's connections all go to the schemas being migrated.
    let mut lock_conn = PgConnection::connect_with(&db.platform().connect_options())
        .await
        .context("connecting for the migration lock")?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATE_LOCK)
        .execute(&mut lock_conn)
        .await
        .context("taking the migration lock")?;
    let result = run_locked(db, opts, tenant_migrations, cfg).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATE_LOCK).execute(&mut lock_conn).await;
    // Closing the session releases the lock in any case.
    let _ = lock_conn.close().await;
    unlocked.context("releasing the migration lock")?;
    result
}

async fn run_locked(
    db: &Db,
    opts: Options,
    tenant_migrations: &[Migration],
    cfg: &crate::config::TenancyConfig,
) -> Result<Report, CoreError> {
    let mut report = Report { platform_applied: migrate_platform(db.platform()).await?, ..Report::default() };
    for (name, pool, control_url) in db.region_clusters() {
        crate::clusters::prepare(db.platform(), pool, control_url).await.map_err(|e| {
            CoreError::Unexpected(anyhow::anyhow!("preparing the cluster {name}: {}", error_sentence(&e)))
        })?;
    }
    if opts == Options::PlatformOnly {
        return Ok(report);
    }
    let target = latest(tenant_migrations);
    let behind = schemas_behind(db.platform(), target).await?;
    report.up_to_date = count_schemas(db.platform()).await? - behind.len();
    let mut results = Vec::new();
    for cluster in db.cluster_names() {
        let here: Vec<SchemaTarget> = behind.iter().filter(|(c, _)| *c == cluster).map(|(_, s)| s.clone()).collect();
        if !here.is_empty() {
            results.extend(migrate_targets(db.cluster(&cluster)?, here, tenant_migrations, cfg).await);
        }
    }
    // A schema on a cluster this process has no pool for is left to a runner that has one.
    let known = db.cluster_names();
    for (cluster, schema) in behind.iter().filter(|(c, _)| !known.contains(c)) {
        report.elsewhere.push((schema.label(), cluster.clone()));
    }
    for (schema, result) in results {
        match result {
            Ok(()) => report.migrated.push(schema.label()),
            Err(e) => {
                tracing::error!(schema = %schema.name, error = ?e, "migration failed");
                report.failed.push((schema.label(), error_sentence(&e)));
            }
        }
    }
    report.migrated.sort();
    report.failed.sort();
    Ok(report)
}

fn error_sentence(e: &CoreError) -> String {
    match e {
        CoreError::Unexpected(e) => format!("{e:#}"),
        e => e.to_string(),
    }
}

/// Applies the pending platform migrations, each in its own transaction.
pub async fn migrate_platform(pool: &PgPool) -> Result<usize, CoreError> {
    let mut conn = pool.acquire().await.context("waiting for a connection")?;
    sqlx::raw_sql(
        "CREATE SCHEMA IF NOT EXISTS platform;
         CREATE TABLE IF NOT EXISTS platform.schema_migrations (
             version bigint PRIMARY KEY,
             description text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now());",
    )
    .execute(&mut *conn)
    .await
    .context("creating the platform schema")?;
    let mut applied = 0;
    for m in pending(&mut conn, Ledger::Platform, platform_set()).await? {
        let mut tx = conn.begin().await.context("starting a transaction")?;
        apply_recorded(&mut tx, Ledger::Platform, &m).await?;
        tx.commit().await.context("committing a platform migration")?;
        applied += 1;
    }
    Ok(applied)
}

/// A set of migrations kept by a ledger table of its own: the control plane's, a region cluster's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ledger {
    /// `platform.schema_migrations`, for `platform_set`.
    Platform,
    /// `platform.cluster_migrations` on a region cluster, for `cluster_set`.
    Cluster,
}

impl Ledger {
    fn name(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Cluster => "cluster",
        }
    }
}

/// The migrations of `set` its ledger does not list yet, in order.
pub(crate) async fn pending(
    conn: &mut PgConnection,
    ledger: Ledger,
    set: Vec<Migration>,
) -> Result<Vec<Migration>, CoreError> {
    let done: Vec<i64> = sqlx::query_scalar(match ledger {
        Ledger::Platform => "SELECT version FROM platform.schema_migrations",
        Ledger::Cluster => "SELECT version FROM platform.cluster_migrations",
    })
    .fetch_all(conn)
    .await
    .context("reading a migration ledger")?;
    Ok(set.into_iter().filter(|m| !done.contains(&m.version)).collect())
}

/// Applies one migration and records it in its ledger, in the caller's transaction.
pub(crate) async fn apply_recorded(conn: &mut PgConnection, ledger: Ledger, m: &Migration) -> Result<(), CoreError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(m.sql.clone())).execute(&mut *conn).await.map_err(|e| {
        CoreError::Unexpected(anyhow::Error::from(e).context(format!("{} migration {}", ledger.name(), m.description)))
    })?;
    sqlx::query(match ledger {
        Ledger::Platform => "INSERT INTO platform.schema_migrations (version, description) VALUES ($1, $2)",
        Ledger::Cluster => "INSERT INTO platform.cluster_migrations (version, description) VALUES ($1, $2)",
    })
    .bind(m.version)
    .bind(m.description)
    .execute(conn)
    .await
    .context("recording a migration")?;
    Ok(())
}

/// A schema to migrate: a region's, or a spare's.
#[derive(Debug, Clone)]
pub struct SchemaTarget {
    pub name: String,
    pub tenant: Option<(Uuid, String)>,
    /// The cluster that holds it, where it is migrated.
    pub database: String,
}

impl SchemaTarget {
    fn label(&self) -> String {
        match &self.tenant {
            Some((_, slug)) => slug.clone(),
            None => self.name.clone(),
        }
    }
}

/// The schemas behind `target`, each with its cluster.
async fn schemas_behind(pool: &PgPool, target: i64) -> Result<Vec<(String, SchemaTarget)>, CoreError> {
    let rows: Vec<(String, Option<Uuid>, Option<String>, String)> = sqlx::query_as(
        "SELECT schema_name, id, slug, database FROM platform.tenants WHERE schema_version < $1
         UNION ALL
         SELECT schema_name, NULL, NULL, database FROM platform.spare_schemas WHERE schema_version < $1
         ORDER BY 1",
    )
    .bind(target)
    .fetch_all(pool)
    .await
    .context("listing schemas behind")?;
    Ok(rows
        .into_iter()
        .map(|(name, id, slug, database)| (database.clone(), SchemaTarget { name, tenant: id.zip(slug), database }))
        .collect())
}

async fn count_schemas(pool: &PgPool) -> Result<usize, CoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM platform.tenants) + (SELECT count(*) FROM platform.spare_schemas)",
    )
    .fetch_one(pool)
    .await
    .context("counting schemas")?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Migrates the schemas given, a few at a time, each in its own transaction.
pub async fn migrate_targets(
    pool: &PgPool,
    targets: Vec<SchemaTarget>,
    set: &[Migration],
    cfg: &crate::config::TenancyConfig,
) -> Vec<(SchemaTarget, Result<(), CoreError>)> {
    futures::stream::iter(targets)
        .map(|s| async move {
            let r = migrate_schema_with_retries(pool, &s, set, cfg).await;
            (s, r)
        })
        .buffer_unordered(cfg.migrate_concurrency.max(1))
        .collect()
        .await
}

async fn migrate_schema_with_retries(
    pool: &PgPool,
    schema: &SchemaTarget,
    set: &[Migration],
    cfg: &crate::config::TenancyConfig,
) -> Result<(), CoreError> {
    let mut attempt = 1;
    loop {
        match migrate_schema(pool, schema, set, cfg.lock_timeout_ms).await {
            Err(e) if attempt < cfg.migrate_attempts && is_transient(&e) => {
                tracing::warn!(schema = %schema.name, attempt, "lock contention, retrying");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn is_transient(e: &CoreError) -> bool {
    matches!(e.sqlstate().as_deref(), Some(LOCK_NOT_AVAILABLE | DEADLOCK_DETECTED | SERIALIZATION_FAILURE))
}

/// One schema, one transaction: re-reads the version under a row lock (so a concurrent runner
/// without the advisory lock still never applies twice), applies what is missing, records it.
async fn migrate_schema(
    pool: &PgPool,
    schema: &SchemaTarget,
    set: &[Migration],
    lock_timeout_ms: u64,
) -> Result<(), CoreError> {
    let mut conn = pool.acquire().await.context("waiting for a connection")?;
    let mut tx = conn.begin().await.context("starting a transaction")?;
    sqlx::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(format!("{lock_timeout_ms}ms"))
        .execute(&mut *tx)
        .await
        .context("setting the lock timeout")?;
    let current: Option<i64> =
        match &schema.tenant {
            Some((id, _)) => {
                // Where the runner found it, and not being moved: a region moved meanwhile (or moving)
                // is migrated by the next run, on its cluster.
                let row: Option<(i64, bool)> = sqlx::query_as(
                    "SELECT schema_version, moving_since IS NOT NULL FROM platform.tenants
                  WHERE id = $1 AND database = $2 FOR UPDATE",
                )
                .bind(id)
                .bind(&schema.database)
                .fetch_optional(&mut *tx)
                .await
                .context("reading the schema's version")?;
                match row {
                    Some((_, true)) => {
                        return Err(CoreError::conflict(
                            "the region is being moved to another cluster: migrate it once moved",
                        ));
                    }
                    other => Ok::<_, sqlx::Error>(other.map(|(version, _)| version)),
                }
            }
            None => sqlx::query_scalar(
                "SELECT schema_version FROM platform.spare_schemas WHERE schema_name = $1 AND database = $2 FOR UPDATE",
            )
            .bind(&schema.name)
            .bind(&schema.database)
            .fetch_optional(&mut *tx)
            .await,
        }
        .context("reading the schema's version")?;
    // Claimed or dropped meanwhile: nothing to do here.
    let Some(current) = current else { return Ok(()) };
    let version = apply(&mut tx, &schema.name, set, current).await?;
    match &schema.tenant {
        Some((id, _)) => {
            sqlx::query("UPDATE platform.tenants SET schema_version = $2 WHERE id = $1")
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await
        }
        None => {
            sqlx::query("UPDATE platform.spare_schemas SET schema_version = $2 WHERE schema_name = $1")
                .bind(&schema.name)
                .bind(version)
                .execute(&mut *tx)
                .await
        }
    }
    .context("recording the schema's version")?;
    tx.commit().await.context("committing a schema's migration")?;
    Ok(())
}

/// Applies the migrations of `set` newer than `current` to `schema`, inside the caller's
/// transaction, and records each in the ledger. Returns the version reached.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    schema: &str,
    set: &[Migration],
    current: i64,
) -> Result<i64, CoreError> {
    set_search_path(conn, schema).await?;
    let mut version = current;
    for m in set.iter().filter(|m| m.version > current) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(m.sql.clone())).execute(&mut *conn).await.map_err(|e| {
            CoreError::Unexpected(anyhow::Error::from(e).context(format!("migration {} in {schema}", m.description)))
        })?;
        sqlx::query("INSERT INTO platform.schema_ledger (schema_name, version) VALUES ($1, $2)")
            .bind(schema)
            .bind(m.version)
            .execute(&mut *conn)
            .await
            .context("recording a migration in the ledger")?;
        version = m.version;
    }
    Ok(version)
}
