//! The process's Prometheus metrics (OpenMetrics text, served by `echos serve` and `echos worker`
//! on `telemetry.metrics_bind`). One set per process, as Prometheus expects: each replica is
//! scraped on its own. Labels never carry what a visitor typed — routes are templates
//! (`/articles/{slug}`), regions are not labels at all (10 000 regions would be 10 000 series per
//! metric; the logs and traces carry the region).
//!
//! Counters and histograms are updated where things happen; what is a state rather than an event
//! (pool sizes, the job queue) is read when scraped, by [`render`].

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use sqlx::PgPool;

use crate::Db;
use crate::error::{Context, CoreError};

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    /// The route's template, `unmatched` for an address no route knows.
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
}

/// A route template as a `'static` label, so that counting a request allocates nothing: each
/// distinct template is kept once for the life of the process. Templates are the router's own
/// (a fixed set); past `MAX_ROUTES` anything new is `other`, whatever happens.
fn interned(route: &str) -> &'static str {
    const MAX_ROUTES: usize = 2048;
    static ROUTES: LazyLock<std::sync::RwLock<std::collections::HashSet<&'static str>>> =
        LazyLock::new(Default::default);
    if let Ok(known) = ROUTES.read()
        && let Some(r) = known.get(route)
    {
        return r;
    }
    let Ok(mut known) = ROUTES.write() else { return "other" };
    if let Some(r) = known.get(route) {
        return r;
    }
    if known.len() >= MAX_ROUTES {
        return "other";
    }
    let kept: &'static str = Box::leak(route.to_owned().into_boxed_str());
    known.insert(kept);
    kept
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// The PostgreSQL cluster (`main`…).
    pub cluster: String,
    /// `platform` (the control plane's pool) or the sub-pool's number.
    pub pool: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookLabels {
    /// Stripe's event type (`invoice.paid`…), `unverified` when the signature did not hold.
    pub event: String,
    pub outcome: &'static str,
}

type GaugeF = Gauge<f64, AtomicU64>;
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_buckets() -> Histogram {
    Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
}

fn wait_buckets() -> Histogram {
    Histogram::new([0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0])
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_duration: Histograms<RouteLabels>,
    pub http_in_flight: Gauge,
    pub pool_wait: Histograms<PoolLabels>,
    pub pool_connections: Family<PoolLabels, Gauge>,
    pub pool_idle: Family<PoolLabels, Gauge>,
    pub pool_max: Family<PoolLabels, Gauge>,
    pub host_cache: Family<OutcomeLabels, Counter>,
    pub page_cache: Family<OutcomeLabels, Counter>,
    pub mails: Family<OutcomeLabels, Counter>,
    pub webhook_events: Family<WebhookLabels, Counter>,
    pub job_runs: Family<KindLabels, Counter>,
    pub job_failures: Family<KindLabels, Counter>,
    pub jobs_queued: Family<KindLabels, Gauge>,
    pub jobs_oldest: Family<KindLabels, GaugeF>,
    pub jobs_given_up: Family<KindLabels, Gauge>,
    pub backups_oldest: GaugeF,
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Self {
        let mut m = Self {
            registry: Registry::with_prefix("echos"),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency_buckets),
            http_in_flight: Gauge::default(),
            pool_wait: Family::new_with_constructor(wait_buckets),
            pool_connections: Family::default(),
            pool_idle: Family::default(),
            pool_max: Family::default(),
            host_cache: Family::default(),
            page_cache: Family::default(),
            mails: Family::default(),
            webhook_events: Family::default(),
            job_runs: Family::default(),
            job_failures: Family::default(),
            jobs_queued: Family::default(),
            jobs_oldest: Family::default(),
            jobs_given_up: Family::default(),
            backups_oldest: GaugeF::default(),
        };
        let r = &mut m.registry;
        r.register("http_requests", "Requests answered, by route template and status", m.http_requests.clone());
        r.register("http_request_duration_seconds", "Time to answer, by route template", m.http_duration.clone());
        r.register("http_requests_in_flight", "Requests being answered now", m.http_in_flight.clone());
        r.register(
            "db_pool_wait_seconds",
            "Time to get a connection and begin a transaction, by cluster and pool",
            m.pool_wait.clone(),
        );
        r.register("db_pool_connections", "Open connections, by cluster and pool", m.pool_connections.clone());
        r.register("db_pool_idle_connections", "Idle connections, by cluster and pool", m.pool_idle.clone());
        r.register("db_pool_max_connections", "The most connections a pool opens", m.pool_max.clone());
        r.register(
            "host_cache_lookups",
            "Host to region look-ups: hit or miss (a miss asks the database)",
            m.host_cache.clone(),
        );
        r.register("page_cache_lookups", "Anonymous page cache look-ups: hit or miss", m.page_cache.clone());
        r.register("mails", "E-mails handed to the transport: sent or failed", m.mails.clone());
        r.register("webhook_events", "Stripe webhook deliveries, by event type and outcome", m.webhook_events.clone());
        r.register("job_runs", "Jobs run by this process, by kind", m.job_runs.clone());
        r.register("job_failures", "Job attempts that failed in this process, by kind", m.job_failures.clone());
        r.register("jobs_queued", "Jobs due and not taken, by kind (all processes)", m.jobs_queued.clone());
        r.register(
            "jobs_oldest_age_seconds",
            "How late the most overdue job is, by kind: now minus its due time (0 when none is due)",
            m.jobs_oldest.clone(),
        );
        r.register(
            "jobs_given_up",
            "Jobs that gave up after their last attempt, by kind (until retried)",
            m.jobs_given_up.clone(),
        );
        r.register(
            "backups_oldest_age_seconds",
            "The oldest of the open regions' newest backups: its age (since the region opened if it has none)",
            m.backups_oldest.clone(),
        );
        m
    }

    /// Counts one answered request.
    pub fn request(&self, method: &'static str, route: &str, status: u16, elapsed: Duration) {
        let route = interned(route);
        self.http_requests.get_or_create(&RequestLabels { method, route, status }).inc();
        self.http_duration.get_or_create(&RouteLabels { method, route }).observe(elapsed.as_secs_f64());
    }

    pub fn outcome(family: &Family<OutcomeLabels, Counter>, outcome: &'static str) {
        family.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn pool_waited(&self, pool: &PoolLabels, waited: Duration) {
        self.pool_wait.get_or_create(pool).observe(waited.as_secs_f64());
    }
}

/// A method's label: the standard ones by name, anything else as `other` (a client cannot make
/// new series by inventing methods).
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// What the database says of the queue and the backups, read at most every few seconds however
/// often `/metrics` is scraped (one reader at a time: a burst of scrapes cannot take the control
/// plane's connections).
#[derive(Debug, Clone, Default)]
struct Shared {
    queue: Vec<QueueState>,
    backups_oldest_secs: f64,
}

#[derive(Debug, Clone)]
struct QueueState {
    kind: String,
    due: i64,
    late_secs: f64,
    given_up: i64,
}

static SHARED: LazyLock<tokio::sync::Mutex<Option<(std::time::Instant, Shared)>>> =
    LazyLock::new(|| tokio::sync::Mutex::new(None));

const SHARED_FOR: Duration = Duration::from_secs(5);

async fn read_shared(pool: &PgPool) -> Result<Shared, CoreError> {
    let queue = sqlx::query!(
        r#"SELECT kind,
                  count(*) FILTER (WHERE failed_at IS NULL AND run_at <= now()) AS "due!",
                  coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE failed_at IS NULL AND run_at <= now())), 0)::float8
                      AS "late!",
                  count(*) FILTER (WHERE failed_at IS NOT NULL) AS "given_up!"
             FROM platform.jobs
            WHERE done_at IS NULL
            GROUP BY kind
            ORDER BY kind"#
    )
    .fetch_all(pool)
    .await
    .context("reading the job queue's state")?
    .into_iter()
    .map(|r| QueueState { kind: r.kind, due: r.due, late_secs: r.late, given_up: r.given_up })
    .collect();
    let backups_oldest_secs = sqlx::query_scalar!(
        r#"SELECT coalesce(max(extract(epoch FROM now() - coalesce(b.newest, t.created_at))), 0)::float8 AS "age!"
             FROM platform.tenants t
             LEFT JOIN LATERAL (SELECT max(e.ready_at) AS newest FROM platform.exports e
                                 WHERE e.tenant_id = t.id AND e.status = 'ready') b ON true
            WHERE t.status IN ('trial', 'active', 'past_due', 'suspended')"#
    )
    .fetch_one(pool)
    .await
    .context("reading the backups' ages")?;
    Ok(Shared { queue, backups_oldest_secs })
}

/// The metrics as OpenMetrics text, with the pools' sizes read now and the queue's and backups'
/// state at most a few seconds old. If the database does not answer, the rest is still served.
pub async fn render(db: &Db) -> String {
    let m = &*METRICS;
    for (labels, pool) in db.pools() {
        let size = i64::from(pool.size());
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        m.pool_connections.get_or_create(&labels).set(size);
        m.pool_idle.get_or_create(&labels).set(idle);
        m.pool_max.get_or_create(&labels).set(i64::from(pool.options().get_max_connections()));
    }
    {
        let mut kept = SHARED.lock().await;
        let fresh = kept.as_ref().is_some_and(|(at, _)| at.elapsed() < SHARED_FOR);
        if !fresh {
            match tokio::time::timeout(Duration::from_secs(2), read_shared(db.platform())).await {
                Ok(Ok(shared)) => {
                    m.jobs_queued.clear();
                    m.jobs_oldest.clear();
                    m.jobs_given_up.clear();
                    for q in &shared.queue {
                        let labels = KindLabels { kind: q.kind.clone() };
                        m.jobs_queued.get_or_create(&labels).set(q.due);
                        m.jobs_oldest.get_or_create(&labels).set(q.late_secs);
                        m.jobs_given_up.get_or_create(&labels).set(q.given_up);
                    }
                    m.backups_oldest.set(shared.backups_oldest_secs);
                    *kept = Some((std::time::Instant::now(), shared));
                }
                Ok(Err(e)) => tracing::warn!(error = ?e, "metrics: the job queue could not be read"),
                Err(_) => tracing::warn!("metrics: the job queue did not answer within 2 s"),
            }
        }
        let mut out = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail. (Encoded under the lock: no scrape sees the families
        // between their clearing and their filling.)
        let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
        out
    }
}
