//! Host → region resolution with an in-process cache (moka, with a TTL and a shorter negative
//! TTL), invalidated in every running process through PostgreSQL `LISTEN/NOTIFY`: the triggers on
//! `platform.tenants` and `platform.tenant_domains` notify `echos_tenants` on any change.

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

type Entry = Option<Arc<Tenant>>;

/// The cached directory of regions. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Directory {
    pool: PgPool,
    cache: Cache<HostName, Entry>,
    invalidations: Arc<watch::Sender<u64>>,
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
        Self { pool, cache, invalidations: Arc::new(watch::channel(0).0) }
    }

    /// The region registered for this host (cached), or `None`.
    pub async fn resolve(&self, host: &HostName) -> Result<Entry, CoreError> {
        let pool = &self.pool;
        self.cache
            .try_get_with_by_ref(host, async move { tenants::find_by_host(pool, host).await.map(|t| t.map(Arc::new)) })
            .await
            .map_err(|e: Arc<CoreError>| CoreError::Unexpected(anyhow::anyhow!("{e:#}")))
    }

    /// Forgets every cached look-up.
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
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
        let mut listener = PgListener::connect_with(&self.pool).await.context("connecting the listener")?;
        listener.listen(CHANNEL).await.context("listening for region changes")?;
        let this = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
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
        }))
    }
}
