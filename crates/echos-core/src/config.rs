//! Configuration, layered with figment: built-in defaults → `echosciences.toml` (or the file named
//! by `ECHOS_CONFIG`) → environment (`ECHOS_SECTION__KEY`, and `DATABASE_URL`). A bad value stops
//! the start with one sentence naming the key and where it came from.

use std::path::PathBuf;

use echos_domain::HostName;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub platform: PlatformConfig,
    pub http: HttpConfig,
    pub tenancy: TenancyConfig,
    pub telemetry: TelemetryConfig,
    pub paths: PathsConfig,
    pub mail: MailConfig,
    pub accounts: AccountsConfig,
    pub media: MediaConfig,
    pub links: LinksConfig,
    pub domains: DomainsConfig,
    pub billing: BillingConfig,
    pub backups: BackupsConfig,
    pub dev: DevConfig,
}

/// Science centres' sign-up and subscriptions. Billing is on when the Stripe secret key and the
/// webhook secret are both set; off (the default, and the demo), a sign-up opens a region in
/// trial that waits for an operator's approval.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingConfig {
    pub stripe_secret_key: Option<String>,
    pub stripe_webhook_secret: Option<String>,
    /// Stripe's API (`https://api.stripe.com/`); tests point it at a local stand-in.
    pub stripe_api_base: String,
    /// The Stripe price of the first year and of each following year, by lookup key.
    pub first_year_lookup_key: String,
    pub yearly_lookup_key: String,
    /// Days of Stripe trial before the first payment (0: none).
    pub stripe_trial_days: u32,
    /// The prices shown on the platform's site, in euros (Stripe holds the real ones).
    pub first_year_price_eur: u32,
    pub yearly_price_eur: u32,
    /// Without billing: how long a region opened in trial runs before it needs approval.
    pub trial_days: i64,
    /// A payment late this many days suspends the region (read-only with a notice)…
    pub grace_days: i64,
    /// …and a suspended region closes after this many more (nothing is deleted).
    pub read_only_days: i64,
    /// A scheduled deletion happens this many days after it is confirmed (undoable till then).
    pub deletion_delay_days: i64,
}

impl BillingConfig {
    /// Stripe's keys, when billing is on.
    pub fn stripe(&self) -> Option<(&str, &str)> {
        match (self.stripe_secret_key.as_deref(), self.stripe_webhook_secret.as_deref()) {
            (Some(k), Some(w)) if !k.is_empty() && !w.is_empty() => Some((k, w)),
            _ => None,
        }
    }
}

impl std::fmt::Debug for BillingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("BillingConfig")
            .field("stripe_secret_key", &hidden(&self.stripe_secret_key))
            .field("stripe_webhook_secret", &hidden(&self.stripe_webhook_secret))
            .field("stripe_api_base", &self.stripe_api_base)
            .field("first_year_lookup_key", &self.first_year_lookup_key)
            .field("yearly_lookup_key", &self.yearly_lookup_key)
            .field("stripe_trial_days", &self.stripe_trial_days)
            .field("trial_days", &self.trial_days)
            .field("grace_days", &self.grace_days)
            .field("read_only_days", &self.read_only_days)
            .field("deletion_delay_days", &self.deletion_delay_days)
            .finish_non_exhaustive()
    }
}

/// Regions' own domains: how their verification file is fetched.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainsConfig {
    /// The port of `http://<domain>/.well-known/echosciences-domain` (80 when unset; tests set
    /// their server's).
    pub http_check_port: Option<u16>,
}

/// Curated links: how their previews are fetched (see `echos-fetch`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksConfig {
    /// Fetch previews at all.
    pub previews: bool,
    /// Addresses exempted from the ban on loopback, private and link-local targets. Empty in
    /// production; only for a test or development server.
    pub preview_allow: Vec<IpNet>,
    pub preview_connect_timeout_ms: u64,
    pub preview_total_timeout_ms: u64,
    /// The page is read up to this many bytes, the rest is never downloaded.
    pub preview_max_bytes: usize,
    /// `name=address` pairs answered without DNS (like curl's `--resolve`): tests and staging
    /// only; empty in production.
    pub resolve: Vec<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// `outbox` (files in `outbox_dir`, one `.eml` per message) or `smtp`.
    pub transport: String,
    pub outbox_dir: PathBuf,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://…`, or `smtp://127.0.0.1:2525` (no TLS).
    pub smtp_url: Option<String>,
    /// The sender's address; the display name is the region's name.
    pub from: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    /// `local` (files under `dir`) or `s3` (a bucket of any S3-compatible service).
    pub store: String,
    pub dir: PathBuf,
    /// Uploads larger than this are refused before they are decoded.
    pub max_upload_bytes: usize,
    pub s3_bucket: Option<String>,
    pub s3_region: String,
    /// Another S3-compatible service (`http://127.0.0.1:9000`); none: AWS itself.
    pub s3_endpoint: Option<String>,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub s3_path_style: bool,
    /// Without both keys, the standard `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` are used.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
}

/// A URL with its password (`scheme://user:password@host`) masked, for logs and `Debug`.
pub fn redact_url(url: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3);
    match (scheme_end, url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &redact_url(&self.url))
            .field("subpools", &self.subpools)
            .field("pool_size", &self.pool_size)
            .field("platform_pool_size", &self.platform_pool_size)
            .field("regions_url", &self.regions_url.as_deref().map(redact_url))
            .field("statement_cache", &self.statement_cache)
            .field("max_lifetime_secs", &self.max_lifetime_secs)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .field("clusters", &self.clusters)
            .finish()
    }
}

impl std::fmt::Debug for TelemetryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The headers carry the collector's credentials: their names only.
        f.debug_struct("TelemetryConfig")
            .field("otlp_endpoint", &self.otlp_endpoint.as_deref().map(redact_url))
            .field("otlp_headers", &self.otlp_headers.keys().collect::<Vec<_>>())
            .field("service_name", &self.service_name)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("metrics_bind", &self.metrics_bind)
            .finish()
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("transport", &self.transport)
            .field("outbox_dir", &self.outbox_dir)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .finish()
    }
}

impl std::fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaConfig")
            .field("store", &self.store)
            .field("dir", &self.dir)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_path_style", &self.s3_path_style)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &self.s3_secret_access_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    pub session_days: i64,
    pub confirm_link_hours: i64,
    /// Run the job worker inside `echos serve` (small installs); otherwise run `echos worker`.
    pub worker_in_serve: bool,
    /// On stop, how long the worker lets the jobs under way finish; those still running are then
    /// handed back to the queue at once, their attempt not counted.
    pub worker_stop_grace_secs: u64,
    /// Multiplies every rate-limit allowance (sign-in, sign-up, reset): 2.0 doubles them.
    pub rate_limit_scale: f64,
    pub reset_link_minutes: i64,
    /// A password waiting this long for a turn at hashing is answered 503 (`Retry-After`).
    pub hash_queue_secs: u64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The cluster that holds the control plane and, today, every region ("main").
    pub url: String,
    /// Regions are spread over this many connection pools by a hash of their id, so that each
    /// PostgreSQL backend caches the catalog of only a share of the regions.
    pub subpools: usize,
    /// Connections per sub-pool.
    pub pool_size: u32,
    /// Connections of the control-plane pool (host lookups, provisioning, migrations).
    pub platform_pool_size: u32,
    /// Where the region sub-pools connect when not to `url`: a PgBouncer in transaction mode in
    /// front of the same database. The control plane, the listener and migrations (session
    /// state: LISTEN, advisory locks) always connect to `url` itself.
    pub regions_url: Option<String>,
    /// Prepared statements kept per region connection (sqlx's cache). 0: none are named, every
    /// query is parsed again — what a PgBouncer older than 1.21 in transaction mode needs.
    pub statement_cache: usize,
    /// A backstop on catalog memory: connections are closed after this long.
    pub max_lifetime_secs: u64,
    pub acquire_timeout_secs: u64,
    /// Further PostgreSQL clusters that hold regions, by name (`main` is `url`'s). A region lives
    /// on one; new regions go to the one with the fewest unless told (`tenant create --cluster`).
    pub clusters: std::collections::BTreeMap<String, ClusterConfig>,
}

/// A cluster that holds regions besides the control plane's.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Its database. The role creates schemas there and, on the first `echos migrate`, the
    /// `postgres_fdw` extension (or an administrator creates it beforehand).
    pub url: String,
    /// Where its region sub-pools connect instead of `url` (a PgBouncer in front of it).
    #[serde(default)]
    pub regions_url: Option<String>,
    /// How this cluster's server reaches the control plane (postgres_fdw), when not at
    /// `database.url`'s address (another network, another role).
    #[serde(default)]
    pub control_url: Option<String>,
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("url", &redact_url(&self.url))
            .field("regions_url", &self.regions_url.as_deref().map(redact_url))
            .field("control_url", &self.control_url.as_deref().map(redact_url))
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// The platform's own domain: it serves the platform pages, and a region's default host is
    /// `<slug>.<domain>`.
    pub domain: String,
    /// Scheme of the links the platform writes (e-mails, region lists): `http` or `https`.
    pub public_scheme: String,
    /// Port of those links when it is not the scheme's default (the demo uses 8080).
    pub public_port: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub bind: String,
    /// Peers whose `X-Forwarded-Host`/`Forwarded` headers are believed. Empty: none are.
    pub trusted_proxies: Vec<IpNet>,
    pub request_timeout_secs: u64,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout_secs: u64,
    /// On SIGTERM: how long `/readyz` fails while requests are still taken (so that the load
    /// balancer stops sending any), then how long requests in flight may run on.
    pub shutdown_delay_secs: u64,
    pub shutdown_grace_secs: u64,
    /// How long a shared cache (a CDN) may keep an anonymous page (`s-maxage`), and serve it
    /// stale while it asks again (`stale-while-revalidate`). Signed-in pages are never shared.
    pub shared_max_age_secs: u32,
    pub stale_while_revalidate_secs: u32,
    /// The in-process cache of anonymous pages: its size in bytes (0: off), how long an entry
    /// lives at most (a write to the region retires it at once; this bounds what depends on the
    /// clock alone, such as "upcoming"), and the largest response it keeps.
    pub page_cache_bytes: u64,
    pub page_cache_ttl_secs: u64,
    pub page_cache_max_entry_bytes: usize,
    /// What the region's home page reads from the database (settings, lists), kept by the same
    /// content generation, for members and visitors alike; its size in bytes (0: off).
    pub data_cache_bytes: u64,
    /// Page views are counted in memory and written every `page_views_every_secs`, for at most
    /// `page_views_regions_per_write` regions each time (those that waited longest): the writes
    /// cost the database a bounded number of transactions a second, whatever the number of regions.
    pub page_views_every_secs: u64,
    pub page_views_regions_per_write: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenancyConfig {
    /// Migrated spare schemas kept ready so that opening a region takes milliseconds.
    pub spares: usize,
    pub cache_ttl_secs: u64,
    pub negative_cache_ttl_secs: u64,
    pub migrate_concurrency: usize,
    pub lock_timeout_ms: u64,
    pub migrate_attempts: u32,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// OTLP/HTTP endpoint (`http://collector:4318` or `https://…`); none: logs only.
    pub otlp_endpoint: Option<String>,
    /// Headers sent with every export (a collector's credentials: `{ authorization = "…" }`).
    pub otlp_headers: std::collections::BTreeMap<String, String>,
    pub service_name: String,
    /// A `tracing` filter: `info`, `echos=debug,sqlx=warn` …
    pub log: String,
    /// `text` (readable, the default) or `json` (one object a line, for a log pipeline).
    pub log_format: String,
    /// Where `/metrics` (Prometheus) answers, e.g. `0.0.0.0:9090`; none: no metrics listener.
    pub metrics_bind: Option<String>,
}

/// Backups made by the worker: each region's archive and a dump of the platform schema, stored
/// with the media (S3 in production).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupsConfig {
    /// Hours between two backups of a region and between two dumps of the platform (0: none).
    pub interval_hours: u64,
    /// Backups older than this are removed (the newest of each region is always kept).
    pub retention_days: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathsConfig {
    /// Declarative region definitions (`<slug>.toml`) and their assets (`assets/`).
    pub tenants_dir: PathBuf,
    /// Local state of a laptop install: the private PostgreSQL cluster, the outbox, media.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevConfig {
    /// Read templates and static files from the source tree on every request.
    pub reload_templates: bool,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/echosciences";

impl Default for Config {
    fn default() -> Self {
        Self {
            database: DatabaseConfig {
                url: DEFAULT_DATABASE_URL.into(),
                subpools: 4,
                pool_size: 4,
                platform_pool_size: 4,
                regions_url: None,
                statement_cache: 100,
                max_lifetime_secs: 30 * 60,
                acquire_timeout_secs: 5,
                clusters: Default::default(),
            },
            platform: PlatformConfig { domain: "localhost".into(), public_scheme: "http".into(), public_port: None },
            http: HttpConfig {
                bind: "127.0.0.1:8080".into(),
                trusted_proxies: Vec::new(),
                request_timeout_secs: 30,
                header_read_timeout_secs: 10,
                shutdown_delay_secs: 5,
                shutdown_grace_secs: 30,
                shared_max_age_secs: 300,
                stale_while_revalidate_secs: 60,
                page_cache_bytes: 64 * 1024 * 1024,
                page_cache_ttl_secs: 60,
                page_cache_max_entry_bytes: 4 * 1024 * 1024,
                data_cache_bytes: 32 * 1024 * 1024,
                page_views_every_secs: 10,
                page_views_regions_per_write: 200,
            },
            tenancy: TenancyConfig {
                spares: 3,
                cache_ttl_secs: 300,
                negative_cache_ttl_secs: 10,
                migrate_concurrency: 4,
                lock_timeout_ms: 5_000,
                migrate_attempts: 3,
            },
            telemetry: TelemetryConfig {
                otlp_endpoint: None,
                otlp_headers: Default::default(),
                service_name: "echosciences".into(),
                log: "info,sqlx=warn".into(),
                log_format: "text".into(),
                metrics_bind: None,
            },
            backups: BackupsConfig { interval_hours: 24, retention_days: 14 },
            paths: PathsConfig { tenants_dir: "tenants".into(), data_dir: ".data".into() },
            mail: MailConfig {
                transport: "outbox".into(),
                outbox_dir: ".data/outbox".into(),
                smtp_url: None,
                from: "no-reply@localhost".into(),
            },
            accounts: AccountsConfig {
                session_days: 30,
                confirm_link_hours: 72,
                worker_in_serve: true,
                worker_stop_grace_secs: 20,
                rate_limit_scale: 1.0,
                hash_queue_secs: 10,
                reset_link_minutes: 60,
            },
            media: MediaConfig {
                store: "local".into(),
                dir: ".data/media".into(),
                max_upload_bytes: 5_000_000,
                s3_bucket: None,
                s3_region: "us-east-1".into(),
                s3_endpoint: None,
                s3_path_style: false,
                s3_access_key_id: None,
                s3_secret_access_key: None,
            },
            links: LinksConfig {
                previews: true,
                preview_allow: Vec::new(),
                preview_connect_timeout_ms: 3_000,
                preview_total_timeout_ms: 8_000,
                preview_max_bytes: 512 * 1024,
                resolve: Vec::new(),
            },
            domains: DomainsConfig { http_check_port: None },
            billing: BillingConfig {
                stripe_secret_key: None,
                stripe_webhook_secret: None,
                stripe_api_base: "https://api.stripe.com/".into(),
                first_year_lookup_key: "echos_first_year".into(),
                yearly_lookup_key: "echos_yearly".into(),
                stripe_trial_days: 0,
                first_year_price_eur: 3_000,
                yearly_price_eur: 1_200,
                trial_days: 30,
                grace_days: 14,
                read_only_days: 30,
                deletion_delay_days: 30,
            },
            dev: DevConfig { reload_templates: false },
        }
    }
}

impl Config {
    /// Loads the layers in order and checks the values; the error is one sentence.
    pub fn load() -> Result<Self, String> {
        let file = match std::env::var("ECHOS_CONFIG") {
            // A file named on purpose must exist; the default one is optional.
            Ok(f) if !std::path::Path::new(&f).is_file() => {
                return Err(format!("the configuration file {f} named by ECHOS_CONFIG does not exist"));
            }
            Ok(f) => f,
            Err(_) => "echosciences.toml".into(),
        };
        Self::figment(&file).extract().map_err(describe).and_then(Self::checked)
    }

    pub fn figment(file: &str) -> Figment {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            // Only `ECHOS_SECTION__KEY`: other `ECHOS_…` variables (such as the service links
            // Kubernetes injects) are not settings and must not stop the start.
            .merge(Env::prefixed("ECHOS_").filter(|k| k.as_str().contains("__")).split("__"))
            .merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database.url".into()))
    }

    /// The platform's own domain, parsed.
    pub fn platform_domain(&self) -> HostName {
        // Checked in `checked`, so this cannot fail on a loaded configuration.
        HostName::parse(&self.platform.domain)
            .unwrap_or_else(|_| HostName::parse("localhost").unwrap_or_else(|_| unreachable!("a valid literal")))
    }

    fn checked(self) -> Result<Self, String> {
        let bad = |key: &str, why: &str| Err(format!("invalid setting `{key}`: {why}"));
        match HostName::parse(&self.platform.domain) {
            Ok(h) if !h.is_ip() => {}
            _ => {
                return bad(
                    "platform.domain",
                    "it must be a domain name such as `localhost` or `echosciences.example`",
                );
            }
        }
        if !matches!(self.platform.public_scheme.as_str(), "http" | "https") {
            return bad("platform.public_scheme", "it must be `http` or `https`");
        }
        if !(1..=64).contains(&self.database.subpools) {
            return bad("database.subpools", "it must be between 1 and 64");
        }
        for name in self.database.clusters.keys() {
            if name == crate::db::MAIN_DATABASE || !crate::db::is_plain_identifier(name) || name.len() > 30 {
                return bad(
                    "database.clusters",
                    "a cluster's name is lower-case letters, digits and `_` (30 at most), and not `main`",
                );
            }
        }
        if self.database.pool_size == 0 || self.database.platform_pool_size == 0 {
            return bad("database.pool_size", "pools need at least one connection");
        }
        if self.tenancy.migrate_concurrency == 0 || self.tenancy.migrate_attempts == 0 {
            return bad("tenancy.migrate_concurrency", "it must be at least 1");
        }
        if !matches!(self.telemetry.log_format.as_str(), "text" | "json") {
            return bad("telemetry.log_format", "it must be `text` or `json`");
        }
        if let Some(bind) = &self.telemetry.metrics_bind
            && bind.parse::<std::net::SocketAddr>().is_err()
        {
            return bad("telemetry.metrics_bind", "it must be an address and port, like `0.0.0.0:9090`");
        }
        if let Some(url) = &self.telemetry.otlp_endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("telemetry.otlp_endpoint", "it must be an http:// or https:// URL");
        }
        if !matches!(self.mail.transport.as_str(), "outbox" | "smtp") {
            return bad("mail.transport", "it must be `outbox` or `smtp`");
        }
        if self.mail.transport == "smtp" && self.mail.smtp_url.is_none() {
            return bad("mail.smtp_url", "it is required when mail.transport is `smtp`");
        }
        let media = &self.media;
        if !matches!(media.store.as_str(), "local" | "s3") {
            return bad("media.store", "it must be `local` or `s3`");
        }
        if media.store == "s3" && media.s3_bucket.as_deref().is_none_or(str::is_empty) {
            return bad("media.s3_bucket", "it is required when media.store is `s3`");
        }
        if media.max_upload_bytes == 0 {
            return bad("media.max_upload_bytes", "it must be at least 1");
        }
        if media.s3_access_key_id.is_some() != media.s3_secret_access_key.is_some() {
            return bad(
                "media.s3_access_key_id",
                "set both media.s3_access_key_id and media.s3_secret_access_key, or neither",
            );
        }
        if media.s3_endpoint.as_deref().is_some_and(|e| !(e.starts_with("http://") || e.starts_with("https://"))) {
            return bad("media.s3_endpoint", "it must be an http:// or https:// URL");
        }
        if self.database.url.parse::<sqlx::postgres::PgConnectOptions>().is_err() {
            return bad("database.url", "it is not a PostgreSQL URL (postgres://user@host:port/database)");
        }
        let b = &self.billing;
        if b.stripe_secret_key.as_deref().is_some_and(|k| !k.is_empty())
            != b.stripe_webhook_secret.as_deref().is_some_and(|k| !k.is_empty())
        {
            return bad(
                "billing.stripe_secret_key",
                "set both billing.stripe_secret_key and billing.stripe_webhook_secret, or neither",
            );
        }
        if !(b.stripe_api_base.starts_with("https://") || b.stripe_api_base.starts_with("http://")) {
            return bad("billing.stripe_api_base", "it must be an http:// or https:// URL");
        }
        if b.first_year_lookup_key.is_empty() || b.yearly_lookup_key.is_empty() {
            return bad("billing.first_year_lookup_key", "the prices' lookup keys cannot be empty");
        }
        for (key, v) in [
            ("billing.trial_days", b.trial_days),
            ("billing.grace_days", b.grace_days),
            ("billing.read_only_days", b.read_only_days),
            ("billing.deletion_delay_days", b.deletion_delay_days),
        ] {
            if !(0..=3650).contains(&v) {
                return bad(key, "it must be between 0 and 3650 days");
            }
        }
        Ok(self)
    }
}

/// One sentence out of a figment error: which key, where it came from, what is wrong.
fn describe(err: figment::Error) -> String {
    let key = err.path.join(".");
    let what = err.kind.to_string();
    if key.is_empty() {
        return format!("invalid configuration: {what}");
    }
    let source = err.metadata.as_ref().map(|m| {
        if m.name.to_lowercase().contains("environment") {
            let var = if key == "database.url" && std::env::var_os("DATABASE_URL").is_some() {
                "DATABASE_URL".to_owned()
            } else {
                format!("ECHOS_{}", err.path.join("__").to_uppercase())
            };
            format!("environment variable {var}")
        } else {
            match &m.source {
                Some(src) => src.to_string(),
                None => m.name.to_string(),
            }
        }
    });
    match source {
        Some(src) => format!("invalid setting `{key}` from {src}: {what}"),
        None => format!("invalid setting `{key}`: {what}"),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's test jail returns its own large error
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(Config::default().checked().is_ok());
    }

    #[test]
    fn a_bad_environment_value_names_its_key_and_source() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ECHOS_DATABASE__SUBPOOLS", "many");
            let err = Config::figment("missing.toml").extract::<Config>().map_err(describe);
            let msg = err.err().unwrap_or_default();
            assert!(msg.contains("database.subpools"), "{msg}");
            assert!(msg.contains("ECHOS_DATABASE__SUBPOOLS"), "{msg}");
            Ok(())
        });
    }

    #[test]
    fn clusters_come_from_the_file_or_one_variable_each() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "[database.clusters.west]\nurl = \"postgres://u@pg-west:5432/e\"\n")?;
            jail.set_env("ECHOS_DATABASE__CLUSTERS__EAST__URL", "postgres://u:secret@pg-east:5432/e");
            let cfg: Config = Config::figment("c.toml").extract()?;
            let names: Vec<&str> = cfg.database.clusters.keys().map(String::as_str).collect();
            assert_eq!(names, ["east", "west"]);
            assert_eq!(cfg.database.clusters["east"].url, "postgres://u:secret@pg-east:5432/e");
            assert!(!format!("{:?}", cfg.database).contains("secret"), "the password is not in Debug");
            Ok(())
        });
        for bad in ["main", "West", "a-b"] {
            let mut cfg = Config::default();
            cfg.database.clusters.insert(
                bad.into(),
                ClusterConfig { url: "postgres://u@h/e".into(), regions_url: None, control_url: None },
            );
            let msg = cfg.checked().err().unwrap_or_default();
            assert!(msg.contains("database.clusters"), "{bad}: {msg}");
        }
    }

    #[test]
    fn other_echos_variables_are_not_settings() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ECHOS_ECHOSCIENCES_SERVICE_HOST", "10.0.0.1");
            jail.set_env("ECHOS_PLATFORM__DOMAIN", "echos.example");
            let cfg: Config = Config::figment("missing.toml").extract()?;
            assert_eq!(cfg.platform.domain, "echos.example");
            Ok(())
        });
    }

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("e.toml", "[platform]\ndomain = \"echos.example\"\n[tenancy]\nspares = 7\n")?;
            jail.set_env("ECHOS_TENANCY__SPARES", "2");
            jail.set_env("DATABASE_URL", "postgres://u@db:5432/x");
            let cfg: Config = Config::figment("e.toml").extract()?;
            assert_eq!(cfg.platform.domain, "echos.example");
            assert_eq!(cfg.tenancy.spares, 2);
            assert_eq!(cfg.database.url, "postgres://u@db:5432/x");
            Ok(())
        });
    }

    #[test]
    fn the_example_configuration_reads_and_billing_needs_both_keys() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/echosciences.toml.example");
        let cfg: Config = Config::figment(example).extract().map_err(describe).unwrap_or_else(|e| panic!("{e}"));
        assert!(cfg.clone().checked().is_ok());
        assert_eq!(cfg.billing.yearly_lookup_key, "echos_yearly");
        assert!(cfg.billing.stripe().is_none(), "billing is off by default");
        let mut half = cfg;
        half.billing.stripe_secret_key = Some("sk_test".into());
        let msg = half.clone().checked().err().unwrap_or_default();
        assert!(msg.contains("billing.stripe_secret_key"), "{msg}");
        half.billing.stripe_webhook_secret = Some("whsec".into());
        assert!(half.clone().checked().is_ok());
        assert!(!format!("{:?}", half.billing).contains("sk_test"), "secrets are masked");
    }

    #[test]
    fn an_s3_media_store_needs_a_bucket() {
        let mut cfg = Config::default();
        cfg.media.store = "s3".into();
        let msg = cfg.clone().checked().err().unwrap_or_default();
        assert!(msg.starts_with("invalid setting `media.s3_bucket`"), "{msg}");
        cfg.media.s3_bucket = Some("echos-media".into());
        assert!(cfg.checked().is_ok());
    }

    #[test]
    fn media_settings_come_from_the_environment_and_the_secret_is_not_printed() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ECHOS_MEDIA__STORE", "s3");
            jail.set_env("ECHOS_MEDIA__S3_BUCKET", "media");
            jail.set_env("ECHOS_MEDIA__S3_PATH_STYLE", "true");
            jail.set_env("ECHOS_MEDIA__S3_SECRET_ACCESS_KEY", "hunter2");
            let cfg: Config = Config::figment("missing.toml").extract()?;
            assert_eq!(cfg.media.s3_bucket.as_deref(), Some("media"));
            assert!(cfg.media.s3_path_style);
            assert!(!format!("{cfg:?}").contains("hunter2"));
            Ok(())
        });
    }

    #[test]
    fn a_bad_domain_is_one_sentence() {
        let mut cfg = Config::default();
        cfg.platform.domain = "not a domain".into();
        let msg = cfg.checked().err().unwrap_or_default();
        assert!(msg.starts_with("invalid setting `platform.domain`"), "{msg}");
    }
}
