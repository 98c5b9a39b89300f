//! The database handle and `TenantTx`, the only way to reach a region's tables.
//!
//! Policy: a region's schema is selected with `set_config('search_path', …, true)` as the first
//! statement of a transaction, so it ends with the transaction and a pooled connection never
//! carries it into another request. Regions are routed to one of K sub-pools by a hash of their
//! id: each PostgreSQL backend then caches the catalog of 1/K of the regions (`PERF-NOTES.md`).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::config::DatabaseConfig;
use crate::error::{Context, CoreError, FEATURE_NOT_SUPPORTED, SERIALIZATION_FAILURE};
use crate::tenants::Tenant;

/// The name of the control plane's cluster; a region's row names the cluster that holds it.
pub const MAIN_DATABASE: &str = "main";

/// Pools to the control plane and to each cluster's regions. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    platform: PgPool,
    clusters: HashMap<String, Cluster>,
    /// Each sub-pool's metric labels, made once.
    labels: HashMap<String, Vec<crate::metrics::PoolLabels>>,
}

/// One cluster's pools: the regions' sub-pools, and a small one on its own URL for what needs a
/// session of its own (migrations, provisioning, moves, its listener).
#[derive(Clone, Debug)]
struct Cluster {
    subpools: Vec<PgPool>,
    admin: PgPool,
    /// How its server reaches the control plane (postgres_fdw); `None` on the control plane's.
    control_url: Option<String>,
}

impl Db {
    /// Connects the control-plane pool at once (so a wrong URL is reported now) and opens the
    /// region sub-pools lazily.
    pub async fn connect(cfg: &DatabaseConfig) -> Result<Self, CoreError> {
        let pool = |size: u32| {
            PgPoolOptions::new()
                .max_connections(size)
                .min_connections(0)
                .max_lifetime(Duration::from_secs(cfg.max_lifetime_secs))
                .idle_timeout(Duration::from_secs(600))
                .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
                // A ping before every use is a round trip per request; a dead connection is
                // noticed on use instead, and `max_lifetime` recycles the rest.
                .test_before_acquire(false)
        };
        let options = connect_options(&cfg.url, "reading database.url")?;
        let platform =
            pool(cfg.platform_pool_size).connect_with(options.clone()).await.context("connecting to PostgreSQL")?;
        // The regions' connections: to the cluster's URL, or to a pooler in front of it. Every
        // region query runs in a transaction that selects its schema for that transaction only,
        // so a pooler in transaction mode may hand the server connection to anyone in between.
        let subpools = |url: &str, regions_url: Option<&str>| -> Result<Vec<PgPool>, CoreError> {
            let regions = match regions_url {
                Some(u) => connect_options(u, "reading a regions_url")?,
                None => connect_options(url, "reading a cluster's url")?,
            }
            .statement_cache_capacity(cfg.statement_cache);
            Ok((0..cfg.subpools.max(1)).map(|_| pool(cfg.pool_size).connect_lazy_with(regions.clone())).collect())
        };
        let mut clusters = HashMap::from([(
            MAIN_DATABASE.to_owned(),
            Cluster {
                subpools: subpools(&cfg.url, cfg.regions_url.as_deref())?,
                admin: platform.clone(),
                control_url: None,
            },
        )]);
        for (name, c) in &cfg.clusters {
            let admin = pool(cfg.platform_pool_size.min(4))
                .connect_lazy_with(connect_options(&c.url, "reading a cluster's url")?);
            let control_url = Some(c.control_url.clone().unwrap_or_else(|| cfg.url.clone()));
            clusters.insert(
                name.clone(),
                Cluster { subpools: subpools(&c.url, c.regions_url.as_deref())?, admin, control_url },
            );
        }
        let labels = clusters
            .iter()
            .map(|(name, c)| {
                let labels = (0..c.subpools.len())
                    .map(|i| crate::metrics::PoolLabels { cluster: name.clone(), pool: i.to_string() })
                    .collect();
                (name.clone(), labels)
            })
            .collect();
        Ok(Self { platform, clusters, labels })
    }

    /// The clusters' names, the control plane's (`main`) first.
    pub fn cluster_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.clusters.keys().filter(|n| *n != MAIN_DATABASE).cloned().collect();
        names.sort();
        names.insert(0, MAIN_DATABASE.to_owned());
        names
    }

    /// A cluster's own pool (sessions of their own: migrations, provisioning, moves); the
    /// control plane's for `main`. Platform tables are reached from any of them.
    pub fn cluster(&self, name: &str) -> Result<&PgPool, CoreError> {
        self.clusters.get(name).map(|c| &c.admin).ok_or_else(|| {
            CoreError::invalid(format_args!("there is no cluster “{name}” (database.clusters names them)"))
        })
    }

    /// The clusters other than the control plane's, with how each reaches the control plane.
    pub fn region_clusters(&self) -> Vec<(String, &PgPool, &str)> {
        let mut out: Vec<(String, &PgPool, &str)> = self
            .clusters
            .iter()
            .filter_map(|(n, c)| c.control_url.as_deref().map(|u| (n.clone(), &c.admin, u)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The control-plane pool: platform tables only, always schema-qualified.
    pub fn platform(&self) -> &PgPool {
        &self.platform
    }

    /// Every pool with its metric labels: the control plane's, then each cluster's sub-pools.
    pub fn pools(&self) -> Vec<(crate::metrics::PoolLabels, &PgPool)> {
        use crate::metrics::PoolLabels;
        let mut all =
            vec![(PoolLabels { cluster: MAIN_DATABASE.to_owned(), pool: "platform".to_owned() }, &self.platform)];
        for (cluster, c) in &self.clusters {
            for (p, labels) in c.subpools.iter().zip(&self.labels[cluster]) {
                all.push((labels.clone(), p));
            }
        }
        all
    }

    /// Records how long a region's sub-pool took to give a connection.
    fn waited(&self, tenant: &Tenant, i: usize, asked: std::time::Instant) {
        if let Some(labels) = self.labels.get(&tenant.database).and_then(|l| l.get(i)) {
            crate::metrics::METRICS.pool_waited(labels, asked.elapsed());
        }
    }

    /// The sub-pool that serves this region, with its number (for the metrics).
    fn subpool_of(&self, tenant: &Tenant) -> Result<(&PgPool, usize), CoreError> {
        let pools = self.clusters.get(&tenant.database).map(|c| &c.subpools).ok_or_else(|| {
            CoreError::Unexpected(anyhow::anyhow!(
                "region {} lives in database {:?}, which this process has no pool for",
                tenant.slug,
                tenant.database
            ))
        })?;
        let i = subpool_index(tenant.id, pools.len());
        Ok((&pools[i], i))
    }

    /// The sub-pool that serves this region.
    pub fn pool_for(&self, tenant: &Tenant) -> Result<&PgPool, CoreError> {
        Ok(self.subpool_of(tenant)?.0)
    }

    pub async fn close(&self) {
        self.platform.close().await;
        for c in self.clusters.values() {
            for p in &c.subpools {
                p.close().await;
            }
            c.admin.close().await;
        }
    }

    /// Runs `work` in a region's transaction and commits it. If a cached statement meets a table
    /// of another shape (SQLSTATE 0A000, regions on two schema versions during a migration), the
    /// connection's statement cache is cleared and the work retried once, in a new transaction.
    pub async fn with_tenant<T, F>(&self, tenant: &Tenant, mut work: F) -> Result<T, CoreError>
    where
        F: for<'t, 'c> FnMut(&'t mut TenantTx<'c>) -> BoxFuture<'t, Result<T, CoreError>>,
    {
        let (pool, i) = self.subpool_of(tenant)?;
        let asked = std::time::Instant::now();
        let mut conn = pool.acquire().await.context("waiting for a connection")?;
        self.waited(tenant, i, asked);
        match attempt(&mut conn, tenant, &mut work).await {
            Err(e) if e.sqlstate().as_deref() == Some(FEATURE_NOT_SUPPORTED) => {
                tracing::warn!(tenant = %tenant.slug, "stale cached statement; clearing the cache and retrying");
                conn.clear_cached_statements().await.context("clearing cached statements")?;
                attempt(&mut conn, tenant, &mut work).await
            }
            // On a region cluster, a control-plane row changed under the remote (repeatable
            // read) transaction of postgres_fdw: the whole work again, once.
            Err(e) if e.sqlstate().as_deref() == Some(SERIALIZATION_FAILURE) => {
                tracing::info!(tenant = %tenant.slug, "serialization failure; retrying");
                attempt(&mut conn, tenant, &mut work).await
            }
            other => other,
        }
    }
}

/// A URL's options, named in `pg_stat_activity` unless the URL names itself otherwise.
fn connect_options(url: &str, what: &'static str) -> Result<PgConnectOptions, CoreError> {
    let o = PgConnectOptions::from_str(url).context(what)?;
    Ok(if url.contains("application_name=") { o } else { o.application_name("echosciences") })
}

async fn attempt<T, F>(conn: &mut PgConnection, tenant: &Tenant, work: &mut F) -> Result<T, CoreError>
where
    F: for<'t, 'c> FnMut(&'t mut TenantTx<'c>) -> BoxFuture<'t, Result<T, CoreError>>,
{
    let mut tx = TenantTx::begin_on(conn, tenant).await?;
    match work(&mut tx).await {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(e) => {
            // The rollback can only fail if the connection is gone; the first error is the story.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Runs `work` again, up to three times in all, while it fails with a serialization failure. On a
/// region cluster two openings claiming one spare schema meet this way (postgres_fdw locks remote
/// rows without SKIP LOCKED): the loser opens again.
pub async fn retrying_serialization<T, F, Fut>(mut work: F) -> Result<T, CoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CoreError>>,
{
    let mut attempt = 1;
    loop {
        match work().await {
            Err(e) if attempt < 3 && e.sqlstate().as_deref() == Some(SERIALIZATION_FAILURE) => attempt += 1,
            other => return other,
        }
    }
}

/// Which of `n` sub-pools serves the region with this id (stable across processes).
pub fn subpool_index(id: Uuid, n: usize) -> usize {
    (id.as_u128() % n.max(1) as u128) as usize
}

/// A transaction whose `search_path` is one region's schema. Dereferences to the connection, so
/// `sqlx::query!(…).fetch_all(&mut *tx)` reads and writes that region's tables.
pub struct TenantTx<'c> {
    tx: Transaction<'c, Postgres>,
}

impl TenantTx<'static> {
    /// Opens a transaction on the region's sub-pool with the region's schema selected.
    pub async fn begin(db: &Db, tenant: &Tenant) -> Result<Self, CoreError> {
        let statement = begin_statement(&tenant.schema)?;
        let (pool, i) = db.subpool_of(tenant)?;
        let asked = std::time::Instant::now();
        let tx = pool.begin_with(statement).await.context("starting a region's transaction")?;
        db.waited(tenant, i, asked);
        Ok(Self { tx })
    }
}

/// `BEGIN` and the schema selection in one round trip. The schema name comes only from
/// `platform.tenants` (checked there, and here again, to be a plain identifier).
fn begin_statement(schema: &str) -> Result<sqlx::AssertSqlSafe<String>, CoreError> {
    if !is_plain_identifier(schema) {
        return Err(CoreError::Unexpected(anyhow::anyhow!("refusing schema name {schema:?}")));
    }
    Ok(sqlx::AssertSqlSafe(format!("BEGIN; SELECT set_config('search_path', '\"{schema}\"', true)")))
}

impl<'c> TenantTx<'c> {
    /// Opens a region's transaction on a connection the caller holds.
    pub async fn begin_on(conn: &'c mut PgConnection, tenant: &Tenant) -> Result<Self, CoreError> {
        let tx = conn.begin_with(begin_statement(&tenant.schema)?).await.context("starting a region's transaction")?;
        Ok(Self { tx })
    }

    pub async fn commit(self) -> Result<(), CoreError> {
        self.tx.commit().await.context("committing")
    }

    pub async fn rollback(self) -> Result<(), CoreError> {
        self.tx.rollback().await.context("rolling back")
    }
}

/// `SET LOCAL search_path` for the current transaction (`SET` takes no bind parameters).
pub(crate) async fn set_search_path(conn: &mut PgConnection, schema: &str) -> Result<(), CoreError> {
    if !is_plain_identifier(schema) {
        return Err(CoreError::Unexpected(anyhow::anyhow!("refusing schema name {schema:?}")));
    }
    sqlx::query_scalar::<_, String>("SELECT set_config('search_path', $1, true)")
        .bind(format!("\"{schema}\""))
        .fetch_one(conn)
        .await
        .context("selecting the region's schema")?;
    Ok(())
}

pub fn is_plain_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

impl<'c> Deref for TenantTx<'c> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl<'c> DerefMut for TenantTx<'c> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_pools_spread_regions_evenly_and_stably() {
        let mut counts = [0usize; 4];
        for _ in 0..4000 {
            counts[subpool_index(Uuid::new_v4(), 4)] += 1;
        }
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
        let id = Uuid::new_v4();
        assert_eq!(subpool_index(id, 8), subpool_index(id, 8));
    }

    #[test]
    fn only_plain_identifiers_are_schemas() {
        assert!(is_plain_identifier("tenant_grenoble"));
        for bad in ["", "Tenant", "a\"b", "tenant grenoble", "tenant;drop", "1abc"] {
            assert!(!is_plain_identifier(bad), "{bad}");
        }
    }
}
