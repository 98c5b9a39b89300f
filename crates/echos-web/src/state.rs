//! `AppState`: the one handle every handler gets — pools, configuration, directory, templates.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use echos_core::MediaStore;
use echos_core::admin::views::ViewCounter;
use echos_core::billing::Payments;
use echos_core::directory::Directory;
use echos_core::mail::Mailer;
use echos_core::{Config, Db};
use echos_domain::HostName;

use crate::limits::Limiter;
use crate::templates::Templates;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub platform_domain: HostName,
    pub directory: Directory,
    pub templates: Templates,
    pub mailer: Mailer,
    pub limiter: Limiter,
    pub media: MediaStore,
    /// Page views not yet written (flushed every few seconds by `serve`).
    pub views: ViewCounter,
    /// Members whose visit was recorded within the hour, so `last_seen_at` costs a write an
    /// hour, not one per page.
    pub seen: moka::sync::Cache<(uuid::Uuid, i64), ()>,
    /// Turns at password hashing: as many as the process has cores.
    pub hashing: std::sync::Arc<tokio::sync::Semaphore>,
    /// Turns at decoding images: as many as the process has cores.
    pub decoding: std::sync::Arc<tokio::sync::Semaphore>,
    /// Stripe, when billing is on (built by the caller: the client lives in `echos-billing`).
    pub payments: Option<Arc<dyn Payments>>,
    /// The platform's home page's latest contributions of the regions that show theirs, by the
    /// list of those regions; a minute old at most.
    pub showcase: moka::future::Cache<Vec<uuid::Uuid>, Arc<Vec<crate::platform::Showcased>>>,
    /// Anonymous pages kept in memory (`None` when `http.page_cache_bytes` is 0).
    pub pages: Option<crate::page_cache::PageCache>,
    /// What each region's home page reads (its settings and lists), by the region's content
    /// generation (a write visitors would see bumps it): the same for every visitor, member or
    /// not, so a member's home page asks nothing of the database either.
    pub homes: moka::sync::Cache<RegionKey, Arc<HomeData>>,
    /// Wakes a lane of this process's worker at once (a paid sign-up waits for its region; the
    /// queue is otherwise polled every two seconds).
    pub wake: Arc<Wake>,
    /// Set when the process is stopping: `/readyz` fails from then on.
    pub stopping: std::sync::atomic::AtomicBool,
    /// The jobs this process's worker is running (handed back if it must stop before they end).
    pub running_jobs: std::sync::Mutex<std::collections::HashSet<i64>>,
}

impl AppState {
    /// `media` and `payments` are built by the caller: the S3 and Stripe clients live in crates
    /// of their own.
    pub fn new(
        db: Db,
        config: Config,
        media: MediaStore,
        payments: Option<Arc<dyn Payments>>,
    ) -> Result<Self, anyhow::Error> {
        let directory = Directory::new(
            db.platform().clone(),
            Duration::from_secs(config.tenancy.cache_ttl_secs),
            Duration::from_secs(config.tenancy.negative_cache_ttl_secs),
        )
        .hearing_clusters(db.region_clusters().into_iter().map(|(_, pool, _)| pool.clone()).collect());
        let templates = Templates::new(config.dev.reload_templates)?;
        let mailer = Mailer::from_config(&config.mail).map_err(|e| anyhow::anyhow!("{e}"))?;
        let limiter = Limiter::new(config.accounts.rate_limit_scale);
        let homes = moka::sync::Cache::builder()
            .max_capacity(config.http.data_cache_bytes)
            .weigher(|_, h: &Arc<HomeData>| u32::try_from(h.weight()).unwrap_or(u32::MAX))
            .time_to_live(Duration::from_secs(config.http.page_cache_ttl_secs))
            .build();
        let pages = crate::page_cache::PageCache::new(
            config.http.page_cache_bytes,
            Duration::from_secs(config.http.page_cache_ttl_secs),
            config.http.page_cache_max_entry_bytes,
        );
        Ok(Self(Arc::new(Inner {
            platform_domain: config.platform_domain(),
            db,
            config,
            directory,
            templates,
            mailer,
            limiter,
            media,
            views: ViewCounter::default(),
            seen: moka::sync::Cache::builder().max_capacity(200_000).time_to_live(Duration::from_secs(3600)).build(),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
            decoding: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
            payments,
            showcase: moka::future::Cache::builder().max_capacity(16).time_to_live(Duration::from_secs(60)).build(),
            pages,
            homes,
            wake: Arc::new(Wake::default()),
            stopping: std::sync::atomic::AtomicBool::new(false),
            running_jobs: std::sync::Mutex::default(),
        })))
    }
}

/// A region's settings, by key.
pub type Settings = std::collections::BTreeMap<String, serde_json::Value>;
/// A region and the freshness of its content (`directory::Freshness`) when it was read.
pub type RegionKey = (uuid::Uuid, (u64, u64));

/// What a region's home page reads from the database.
pub struct HomeData {
    pub settings: Settings,
    /// The latest of each kind, newest first; the featured, most recently featured first.
    pub latest: Vec<echos_core::contributions::Contribution>,
    pub featured: Vec<echos_core::contributions::Contribution>,
}

impl HomeData {
    /// Roughly the bytes it holds.
    fn weight(&self) -> usize {
        let card = |c: &echos_core::contributions::Contribution| {
            256 + c.title.len() + c.summary.len() + c.tags.iter().map(String::len).sum::<usize>()
        };
        self.settings.iter().map(|(k, v)| k.len() + v.to_string().len()).sum::<usize>()
            + self.latest.iter().chain(&self.featured).map(card).sum::<usize>()
    }
}

impl AppState {
    /// The key a region's home data is cached under now — read *before* reading the database,
    /// so that a write committed meanwhile retires what is kept — and what is kept.
    pub fn home_of(&self, tenant: &echos_core::Tenant) -> (RegionKey, Option<Arc<HomeData>>) {
        let key = (tenant.id, self.directory.freshness().of(&tenant.schema));
        let kept = self.homes.get(&key);
        (key, kept)
    }
}

/// One bell per lane of the worker.
#[derive(Default)]
pub struct Wake([tokio::sync::Notify; 4]);

impl Wake {
    pub fn lane(&self, lane: echos_domain::job::Lane) -> &tokio::sync::Notify {
        let i = echos_domain::job::Lane::ALL.iter().position(|l| *l == lane).unwrap_or(0);
        &self.0[i]
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
