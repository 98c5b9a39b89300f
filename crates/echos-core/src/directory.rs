//! Host → region resolution with an in-process cache (moka, with a TTL and a shorter negative
//! TTL), invalidated in every running process through PostgreSQL `LISTEN/NOTIFY`: the triggers on
//! `platform.tenants` and `platform.tenant_domains` notify `echos_tenants` on any change.
//!
//! The same listener keeps each region's *content generation*: the triggers on a region's tables
//! that visitors see notify `echos_content` with the region's schema in the writing transaction
//! (delivered at its commit, once however many rows it wrote), and every process bumps that
//! region's generation. Caches of what visitors see key their entries by it (`Freshness`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use echos_domain::HostName;
use moka::Expiry;
use moka::future::Cache;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::error::{Context, CoreError};
use crate::tenants::{self, Tenant};

pub const CHANNEL: &str = "echos_tenants";
/// Notified with a region's schema name when what its visitors see changed.
pub const CONTENT_CHANNEL: &str = "echos_content";

type Entry = Option<Arc<Tenant>>;

/// The cached directory of regions. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Directory {
    pool: PgPool,
    /// The other clusters' pools: their regions' change notices are raised there.
    clusters: Vec<PgPool>,
    cache: Cache<HostName, Entry>,
    invalidations: Arc<watch::Sender<u64>>,
    freshness: Freshness,
}

/// How fresh each region's content is, as seen by this process: a generation per region (bumped
/// by its writes) and an epoch for all (bumped when any region's settings or hosts change, and
/// when notices may have been missed). A cache entry keyed by the pair read *before* rendering is
/// never served once a write has committed after that read.
#[derive(Clone, Default)]
pub struct Freshness(Arc<FreshnessInner>);

#[derive(Default)]
struct FreshnessInner {
    epoch: std::sync::atomic::AtomicU64,
    by_schema: std::sync::RwLock<std::collections::HashMap<Box<str>, u64>>,
    /// Ticks on every bump (tests wait on it instead of sleeping).
    ticks: std::sync::OnceLock<watch::Sender<u64>>,
}

impl Freshness {
    /// `(epoch, generation)` of the region with this schema.
    pub fn of(&self, schema: &str) -> (u64, u64) {
        let epoch = self.0.epoch.load(std::sync::atomic::Ordering::Acquire);
        let generation = self.0.by_schema.read().map_or(0, |m| m.get(schema).copied().unwrap_or(0));
        (epoch, generation)
    }

    /// What visitors see in this region changed.
    pub fn bump(&self, schema: &str) {
        if let Ok(mut m) = self.0.by_schema.write() {
            *m.entry(schema.into()).or_insert(0) += 1;
        }
        self.tick();
    }

    /// Anything may have changed, in any region.
    pub fn bump_all(&self) {
        self.0.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.tick();
    }

    fn tick(&self) {
        self.0.ticks.get_or_init(|| watch::channel(0).0).send_modify(|n| *n += 1);
    }

    /// Ticks on every bump.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.0.ticks.get_or_init(|| watch::channel(0).0).subscribe()
    }
}

struct TtlByKind {
    found: Duration,
    missing: Duration,
}

impl Expiry<HostName, Entry> for TtlByKind {
    fn expire_after_create(&self, _: &HostName, value: &Entry, _: Instant) -> Option<Duration> {
        Some(if value.is_some() { self.found } else { self.missing })
    }
}

impl Directory {
    pub fn new(pool: PgPool, ttl: Duration, negative_ttl: Duration) -> Self {
        let cache = Cache::builder()
            .max_capacity(100_000)
            .expire_after(TtlByKind { found: ttl, missing: negative_ttl })
            .build();
        Self {
            pool,
            clusters: Vec::new(),
            cache,
            invalidations: Arc::new(watch::channel(0).0),
            freshness: Freshness::default(),
        }
    }

    /// Also hears the content changes of the regions on these clusters (`listen`).
    pub fn hearing_clusters(mut self, pools: Vec<PgPool>) -> Self {
        self.clusters = pools;
        self
    }

    /// The region registered for this host (cached), or `None`.
    pub async fn resolve(&self, host: &HostName) -> Result<Entry, CoreError> {
        use crate::metrics::{METRICS, Metrics};
        if let Some(entry) = self.cache.get(host).await {
            Metrics::outcome(&METRICS.host_cache, "hit");
            return Ok(entry);
        }
        Metrics::outcome(&METRICS.host_cache, "miss");
        let pool = &self.pool;
        self.cache
            .try_get_with_by_ref(host, async move { tenants::find_by_host(pool, host).await.map(|t| t.map(Arc::new)) })
            .await
            .map_err(|e: Arc<CoreError>| CoreError::Unexpected(anyhow::anyhow!("{e:#}")))
    }

    /// Each region's content generation, as this process's listener hears of changes.
    pub fn freshness(&self) -> &Freshness {
        &self.freshness
    }

    /// Forgets every cached look-up (and every cached page: a region's look or hosts changed).
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
        self.freshness.bump_all();
        self.invalidations.send_modify(|n| *n += 1);
    }

    /// Ticks each time the cache is invalidated (tests wait on it instead of sleeping).
    pub fn invalidations(&self) -> watch::Receiver<u64> {
        self.invalidations.subscribe()
    }

    /// Starts listening for changes; returns once `LISTEN` is in place, then keeps listening in
    /// the background, reconnecting (and invalidating, since notices may have been missed) when
    /// the connection drops.
    pub async fn listen(&self) -> Result<tokio::task::JoinHandle<()>, CoreError> {
        // Region settings and hosts live in the control plane: it must answer now.
        let mut listener = PgListener::connect_with(&self.pool).await.context("connecting the listener")?;
        listener.listen_all([CHANNEL, CONTENT_CHANNEL]).await.context("listening for region changes")?;
        let mut listeners: Vec<futures::future::BoxFuture<'static, ()>> = vec![Box::pin(self.hear(listener))];
        // Content changes are raised on each region cluster: one that is down is heard once up
        // (its regions fail meanwhile anyway).
        for pool in self.clusters.clone() {
            let this = self.clone();
            listeners.push(Box::pin(async move {
                loop {
                    let connected = async {
                        let mut l = PgListener::connect_with(&pool).await?;
                        l.listen(CONTENT_CHANNEL).await?;
                        Ok::<_, sqlx::Error>(l)
                    }
                    .await;
                    match connected {
                        Ok(l) => {
                            // Changes may have been missed while it was away.
                            this.invalidate_all();
                            this.hear(l).await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "a region cluster's change listener cannot connect; retrying");
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        }
                    }
                }
            }));
        }
        Ok(tokio::spawn(async move {
            futures::future::join_all(listeners).await;
        }))
    }

    /// Hears one listener's notices for ever (dropped with the task that runs it).
    fn hear(&self, mut listener: PgListener) -> impl std::future::Future<Output = ()> + use<> {
        let this = self.clone();
        async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) if n.channel() == CONTENT_CHANNEL => this.freshness.bump(n.payload()),
                    Ok(Some(_)) => this.invalidate_all(),
                    Ok(None) => {
                        tracing::warn!("region change listener lost its connection; reconnecting");
                        this.invalidate_all();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "region change listener failed; retrying");
                        this.invalidate_all();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
    }
}
