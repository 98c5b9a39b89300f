#![recursion_limit = "256"]
//! The test harness: a real PostgreSQL, the platform and tenant set migrated once per process,
//! and a freshly provisioned region per test (through the real provisioning code), removed when
//! the test ends — even when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use echos_core::migrate::{self, Options};
use echos_core::provision::{self, Branding, NewTenant};
use echos_core::{Config, Db, Tenant};
use echos_domain::{HostName, Slug};
use echos_web::AppState;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub mod stripe;

/// The platform domain in tests: regions answer at `<slug>.test`.
pub const PLATFORM_DOMAIN: &str = "test";

pub fn database_url() -> String {
    std::env::var("ECHOS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/echosciences_test".into())
}

/// A configuration for tests: small pools (2 cores, shared `max_connections`).
pub fn config() -> Config {
    let mut c = Config::default();
    c.database.url = database_url();
    c.database.subpools = 2;
    c.database.pool_size = 2;
    c.database.platform_pool_size = 3;
    c.platform.domain = PLATFORM_DOMAIN.into();
    c.tenancy.spares = 4;
    c.tenancy.migrate_concurrency = 2;
    c.paths.tenants_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tenants").into();
    // Each process writes its mail to an outbox of its own; tests read it back.
    c.mail.outbox_dir = std::env::temp_dir().join(format!("echos-outbox-{}", std::process::id()));
    c.accounts.worker_in_serve = false;
    // `tests/run.sh` runs a part of the suite a second time with the regions' connections
    // through PgBouncer in transaction mode (Debian's 1.18: no named prepared statements).
    if let Ok(url) = std::env::var("ECHOS_TEST_REGIONS_URL") {
        c.database.regions_url = Some(url);
        c.database.statement_cache = 0;
    }
    c
}

/// Where this process's local media store keeps its files.
pub fn media_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("echos-media-{}", std::process::id()))
}

/// PgBouncer in transaction mode in front of the test database (`tests/run.sh` starts it).
pub fn pgbouncer_url() -> String {
    std::env::var("ECHOS_TEST_PGBOUNCER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:6439/echosciences_test".into())
}

/// A second PostgreSQL cluster for the tests of regions on several clusters (`tests/run.sh`
/// starts it: `tests/second-cluster.sh`).
pub fn second_cluster_url() -> String {
    std::env::var("ECHOS_TEST_SECOND_CLUSTER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5434/echosciences_test".into())
}

/// The test configuration with the second cluster, named `second`.
pub fn clusters_config() -> Config {
    let mut c = config();
    c.database.clusters.insert(
        "second".into(),
        echos_core::config::ClusterConfig { url: second_cluster_url(), regions_url: None, control_url: None },
    );
    c
}

static SETUP: OnceCell<()> = OnceCell::const_new();
static SETUP_CLUSTERS: OnceCell<()> = OnceCell::const_new();

/// Once per process: the second cluster's database created, prepared and migrated, its spares
/// topped up.
async fn setup_clusters() {
    setup().await;
    SETUP_CLUSTERS
        .get_or_init(|| async {
            let cfg = clusters_config();
            create_database_if_missing(&second_cluster_url()).await;
            let db = Db::connect(&cfg.database).await.expect("test database");
            forget_what_the_second_cluster_lost(&db).await;
            let report = migrate::run(&db, Options::All, &migrate::tenant_set(), &cfg.tenancy).await.expect("migrate");
            assert!(report.failed.is_empty(), "migrations failed: {:?}", report.failed);
            provision::refill_spares(&db, cfg.tenancy.spares).await.expect("spares");
            db.close().await;
        })
        .await;
}

/// Once per process: create the test database if needed, migrate everything, top up spares,
/// and remove regions that earlier runs left behind (a killed run cannot clean up).
async fn setup() {
    SETUP
        .get_or_init(|| async {
            let cfg = config();
            create_database_if_missing(&cfg.database.url).await;
            let db = Db::connect(&cfg.database).await.expect("test database");
            let report = migrate::run(&db, Options::All, &migrate::tenant_set(), &cfg.tenancy).await.expect("migrate");
            assert!(report.failed.is_empty(), "migrations failed: {:?}", report.failed);
            let stale: Vec<String> = sqlx::query_scalar(
                "SELECT slug FROM platform.tenants WHERE slug LIKE 't%' AND created_at < now() - interval '1 hour'",
            )
            .fetch_all(db.platform())
            .await
            .unwrap();
            for slug in stale {
                let _ = provision::destroy(&db, &Slug::parse(&slug).unwrap()).await;
            }
            provision::refill_spares(&db, cfg.tenancy.spares).await.expect("spares");
            db.close().await;
        })
        .await;
}

/// A second cluster made afresh (its server re-created) lost the schemas the control plane
/// still records there: forget them, so that nothing claims a spare or serves a region that is
/// not there.
async fn forget_what_the_second_cluster_lost(db: &Db) {
    let second = db.cluster("second").unwrap();
    // Only what was recorded before the look (another test process may be creating schemas now).
    // (A region being opened there has its row in the control plane a moment before its schema
    // is committed: only what is minutes old is looked at.)
    let before: time::OffsetDateTime =
        sqlx::query_scalar("SELECT now() - interval '5 minutes'").fetch_one(db.platform()).await.unwrap();
    let there: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace").fetch_all(second).await.unwrap();
    sqlx::query("DELETE FROM platform.spare_schemas WHERE database = 'second' AND NOT schema_name = ANY($1) AND created_at < $2")
        .bind(&there)
        .bind(before)
        .execute(db.platform())
        .await
        .unwrap();
    sqlx::query(
        "DELETE FROM platform.tenants WHERE database = 'second' AND NOT schema_name = ANY($1) AND created_at < $2",
    )
    .bind(&there)
    .bind(before)
    .execute(db.platform())
    .await
    .unwrap();
}

async fn create_database_if_missing(url: &str) {
    use sqlx::{ConnectOptions, Connection};
    let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("test database URL");
    if let Ok(c) = opts.connect().await {
        c.close().await.ok();
        return;
    }
    let name = opts.get_database().unwrap_or("echosciences_test").to_owned();
    let mut admin = opts.clone().database("postgres").connect().await.expect("PostgreSQL is not running");
    // Two test processes may race here; the loser's "already exists" is fine.
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await;
}

/// One test's world: its own pools, application state and router.
pub struct TestApp {
    pub db: Db,
    pub config: Config,
    pub state: AppState,
    pub router: Router,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(config()).await
    }

    /// An app whose regions may live on two clusters: `main` and `second`.
    pub async fn with_clusters(config: Config) -> Self {
        setup_clusters().await;
        Self::with_config(config).await
    }

    pub async fn with_config(config: Config) -> Self {
        // `ECHOS_TEST_LOG=debug cargo nextest run …` shows the server's logs for a failing test.
        if let Ok(filter) = std::env::var("ECHOS_TEST_LOG") {
            let _ = echos_telemetry::init(&echos_telemetry::Settings {
                filter,
                service_name: "echos-test".into(),
                ..Default::default()
            });
        }
        setup().await;
        let db = Db::connect(&config.database).await.expect("test database");
        let media = echos_core::MediaStore::local(media_dir());
        let payments = echos_billing::from_config(&config.billing).expect("billing");
        let state = AppState::new(db.clone(), config.clone(), media, payments).expect("state");
        state.directory.listen().await.expect("listening for region changes");
        let router = echos_web::router(state.clone());
        Self { db, config, state, router }
    }

    pub fn platform_domain(&self) -> HostName {
        HostName::parse(PLATFORM_DOMAIN).unwrap()
    }

    /// A new region for this test, removed when the value is dropped.
    pub async fn tenant(&self) -> TestTenant {
        self.tenant_with(Branding::default()).await
    }

    pub async fn tenant_with(&self, branding: Branding) -> TestTenant {
        self.tenant_placed(branding, None).await
    }

    /// A new region on the cluster named (an app `with_clusters`).
    pub async fn tenant_on(&self, cluster: &str) -> TestTenant {
        self.tenant_placed(Branding::default(), Some(cluster)).await
    }

    async fn tenant_placed(&self, branding: Branding, cluster: Option<&str>) -> TestTenant {
        let slug = random_slug();
        let name = format!("Région {}", slug.as_str());
        let new = NewTenant { slug: slug.clone(), name, domains: vec![], branding };
        let tenant = provision::create_on(&self.db, &self.platform_domain(), new, cluster)
            .await
            .expect("provisioning a test region");
        TestTenant {
            host: tenant.primary_host.clone(),
            tenant: Arc::new(tenant),
            slug,
            database: self.config.database.clone(),
        }
    }

    /// Sends a GET for `path` to `host` through the real router.
    pub async fn get(&self, host: &str, path: &str) -> TestResponse {
        self.send(Request::get(path).header(header::HOST, host).body(Body::empty()).unwrap()).await
    }

    /// Sends a form as a browser would: the CSRF cookie and field, the session cookie if any.
    pub async fn post_form(
        &self,
        host: &str,
        path: &str,
        fields: &[(&str, &str)],
        browser: &mut Browser,
    ) -> TestResponse {
        let mut body = form_urlencoded(fields);
        if !fields.iter().any(|(k, _)| *k == "csrf_token") {
            body.push_str(&format!("&csrf_token={}", browser.csrf));
        }
        let req = Request::post(path)
            .header(header::HOST, host)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, browser.cookie_header())
            .body(Body::from(body))
            .unwrap();
        let r = self.send(req).await;
        browser.take_cookies(&r);
        r
    }

    /// A GET with the browser's cookies.
    pub async fn get_as(&self, host: &str, path: &str, browser: &mut Browser) -> TestResponse {
        let req = Request::get(path)
            .header(header::HOST, host)
            .header(header::COOKIE, browser.cookie_header())
            .body(Body::empty())
            .unwrap();
        let r = self.send(req).await;
        browser.take_cookies(&r);
        r
    }

    /// Runs the jobs of these regions that are due (e-mails), as the worker would. Only the
    /// test's own regions: other tests run beside it on the same queue.
    pub async fn run_jobs(&self, regions: &[&TestTenant]) -> usize {
        let mut ran = 0;
        for t in regions {
            ran += echos_web::worker::run_due(&self.state, Some(t.tenant.id)).await.unwrap();
        }
        ran
    }

    /// The messages in this process's outbox sent to `to`, oldest first, decoded.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(&self.config.mail.outbox_dir) else { return vec![] };
        let mut found: Vec<(std::time::SystemTime, String)> = dir
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                let modified = e.metadata().ok()?.modified().ok()?;
                text.contains(&format!("To: {to}")).then(|| (modified, decode_qp(&text)))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, t)| t).collect()
    }

    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        TestResponse { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }
}

/// A password every test account uses.
pub const PASSWORD: &str = "une phrase de passe solide";

/// An address no other test uses.
pub fn unique_email() -> String {
    format!("m{}@exemple.org", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A member of a test region, signed in in `browser`.
pub struct Member {
    pub browser: Browser,
    pub email: String,
    pub handle: String,
    pub name: String,
}

impl TestApp {
    /// A new member of `t`, signed up through the form (so signed in), a teacher.
    pub async fn member(&self, t: &TestTenant, name: &str) -> Member {
        let mut browser = Browser::new();
        let email = unique_email();
        let fields = [
            ("display_name", name),
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("kind", "person"),
            ("audience", "teacher"),
        ];
        let r = self.post_form(&t.host, "/inscription", &fields, &mut browser).await;
        assert_eq!(r.status, StatusCode::OK, "signing up {name}: {}", r.body);
        let handle: String = self
            .in_region(
                t,
                "SELECT m.handle FROM members m JOIN platform.accounts a ON a.id = m.account_id WHERE a.email = $1",
                &email,
            )
            .await;
        Member { browser, email, handle, name: name.to_owned() }
    }

    /// A new member of `t` with the region's admin role.
    pub async fn admin(&self, t: &TestTenant, name: &str) -> Member {
        let m = self.member(t, name).await;
        let _: String =
            self.in_region(t, "UPDATE members SET role = 'admin' WHERE handle = $1 RETURNING role", &m.handle).await;
        m
    }

    /// Publishes a contribution of the kind at `/{segment}` as `m` and returns its page's path;
    /// fails the test unless it was accepted. `status` and `body` have defaults.
    pub async fn publish(&self, t: &TestTenant, m: &mut Member, segment: &str, fields: &[(&str, &str)]) -> String {
        let mut all = fields.to_vec();
        if !fields.iter().any(|(k, _)| *k == "status") {
            all.push(("status", "published"));
        }
        if !fields.iter().any(|(k, _)| *k == "body") {
            all.push(("body", "texte"));
        }
        let r = self.post_form(&t.host, &format!("/{segment}"), &all, &mut m.browser).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "publishing to /{segment}: {}", r.body);
        r.header("location").unwrap_or_default().to_owned()
    }

    /// One value read (or written and returned) by a statement in `t`'s schema, with one text
    /// parameter.
    pub async fn in_region<T>(&self, t: &TestTenant, sql: &'static str, param: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        let mut tx = echos_core::TenantTx::begin(&self.db, &t.tenant).await.unwrap();
        let v: T = sqlx::query_scalar(sql).bind(param).fetch_one(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        v
    }
}

/// Closes a region (archived: its site answers 503, nothing is deleted).
pub async fn close_region(app: &TestApp, t: &TestTenant) {
    let mut conn = app.db.platform().acquire().await.unwrap();
    echos_core::lifecycle::transition(&mut conn, t.tenant.id, echos_core::TenantStatus::Archived, "test", "")
        .await
        .unwrap();
}

/// A configuration with billing on, pointed at a local Stripe stand-in.
pub fn billing_config(fake: &stripe::FakeStripe) -> Config {
    let mut c = config();
    c.billing.stripe_secret_key = Some(stripe::SECRET_KEY.into());
    c.billing.stripe_webhook_secret = Some(stripe::WEBHOOK_SECRET.into());
    c.billing.stripe_api_base = fake.url.clone();
    c
}

impl TestApp {
    /// A form posted on the platform's own host.
    pub async fn platform_post(&self, path: &str, fields: &[(&str, &str)], browser: &mut Browser) -> TestResponse {
        self.post_form(PLATFORM_DOMAIN, path, fields, browser).await
    }

    /// Stripe calling the webhook: the raw body and, if any, its `Stripe-Signature`.
    pub async fn post_webhook(&self, payload: &str, signature: Option<&str>) -> TestResponse {
        let mut req = Request::post("/stripe/webhook")
            .header(header::HOST, PLATFORM_DOMAIN)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(s) = signature {
            req = req.header("stripe-signature", s);
        }
        self.send(req.body(Body::from(payload.to_owned())).unwrap()).await
    }

    /// Runs the due jobs of a kind whose payload's `key` is `value`, as the worker would.
    pub async fn run_jobs_matching(&self, kind: echos_domain::job::JobKind, key: &str, value: &str) -> usize {
        echos_web::worker::run_matching(&self.state, kind, key, value).await.unwrap()
    }

    /// A region this test caused to be opened (a sign-up, a restore): removed when dropped.
    pub async fn adopt(&self, slug: &str) -> TestTenant {
        let slug = Slug::parse(slug).unwrap();
        let tenant = echos_core::tenants::get(self.db.platform(), &slug).await.expect("the adopted region");
        TestTenant {
            host: tenant.primary_host.clone(),
            tenant: Arc::new(tenant),
            slug,
            database: self.config.database.clone(),
        }
    }
}

pub fn random_slug() -> Slug {
    Slug::parse(&format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12])).unwrap()
}

/// A provisioned region. Dropping it removes the region and its schema.
pub struct TestTenant {
    pub slug: Slug,
    pub host: String,
    pub tenant: Arc<Tenant>,
    database: echos_core::config::DatabaseConfig,
}

impl Drop for TestTenant {
    fn drop(&mut self) {
        let slug = self.slug.clone();
        let database = self.database.clone();
        // Async work cannot run in `drop`: do it on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut cfg = config();
                cfg.database = database;
                cfg.database.platform_pool_size = 1;
                cfg.database.subpools = 1;
                if let Ok(db) = Db::connect(&cfg.database).await {
                    let _ = provision::destroy(&db, &slug).await;
                    db.close().await;
                }
            });
        })
        .join();
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A cookie jar for one simulated browser, per host (cookies are host-only).
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: std::collections::BTreeMap<String, String>,
    pub csrf: String,
}

impl Browser {
    /// A browser that has already loaded a page (and so holds a CSRF cookie).
    pub fn new() -> Self {
        let csrf = "c".repeat(43);
        let mut cookies = std::collections::BTreeMap::new();
        cookies.insert("csrf".to_owned(), csrf.clone());
        Self { cookies, csrf }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn take_cookies(&mut self, r: &TestResponse) {
        for v in r.headers.get_all(header::SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let first = v.split(';').next().unwrap_or_default();
            if let Some((k, val)) = first.split_once('=') {
                if val.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
    }
}

fn form_urlencoded(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                    b' ' => "+".into(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Undoes quoted-printable soft breaks and `=XX` escapes, enough to search a message's text.
fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        if let Some(b) = escaped {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
