//! `/metrics` on its own listener: the Prometheus text a scraper reads, counted by the real
//! layers, pools, caches, queue, mailer and webhook (each test runs in a process of its own, so
//! the process's counters are this test's).

use std::collections::HashMap;

use echos_core::jobs;
use echos_domain::job::{JobKind, Lane};
use echos_tests::stripe::{self, FakeStripe};
use echos_tests::{TestApp, billing_config};
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Scrapes `/metrics` over a real connection: the status line, the content type and the series
/// (`name{labels}` → value).
async fn scrape(app: &TestApp) -> (String, String, HashMap<String, f64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(echos_web::metrics::serve(listener, app.db.clone()));
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    server.abort();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.lines().next().unwrap().to_owned();
    let content_type = head.lines().find_map(|l| l.strip_prefix("content-type: ")).unwrap_or_default().to_owned();
    let mut series = HashMap::new();
    for line in body.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (name, value) = line.rsplit_once(' ').unwrap();
        series.insert(name.to_owned(), value.parse::<f64>().unwrap());
    }
    assert!(body.trim_end().ends_with("# EOF"), "OpenMetrics text ends with # EOF");
    (status, content_type, series)
}

fn value(series: &HashMap<String, f64>, name: &str) -> f64 {
    *series.get(name).unwrap_or_else(|| {
        let prefix = name.split('{').next().unwrap();
        let near: Vec<&String> = series.keys().filter(|k| k.starts_with(prefix)).collect();
        panic!("no series {name}; near: {near:?}")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_pools_caches_jobs_and_mail() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for _ in 0..3 {
        assert_eq!(app.get(&a.host, "/articles").await.status, StatusCode::OK);
    }
    assert_eq!(app.get(&a.host, "/nulle-part-ici").await.status, StatusCode::NOT_FOUND);
    // A sign-up queues its confirmation e-mail.
    let _member = app.member(&a, "Ada").await;
    let (status, content_type, before) = scrape(&app).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");

    // Requests by route template and status, timed; none in flight between requests.
    assert_eq!(value(&before, r#"echos_http_requests_total{method="GET",route="/articles",status="200"}"#), 3.0);
    assert_eq!(value(&before, r#"echos_http_requests_total{method="GET",route="unmatched",status="404"}"#), 1.0);
    assert_eq!(value(&before, r#"echos_http_requests_total{method="POST",route="/inscription",status="200"}"#), 1.0);
    assert_eq!(value(&before, r#"echos_http_request_duration_seconds_count{method="GET",route="/articles"}"#), 3.0);
    assert_eq!(
        value(&before, r#"echos_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/articles"}"#),
        3.0
    );
    assert_eq!(value(&before, "echos_http_requests_in_flight"), 0.0);

    // Pools: the control plane's and the region's sub-pool, with their waits.
    let subpool = echos_core::db::subpool_index(a.tenant.id, app.config.database.subpools);
    let labels = format!(r#"{{cluster="main",pool="{subpool}"}}"#);
    assert!(value(&before, &format!("echos_db_pool_connections{labels}")) >= 1.0);
    assert_eq!(
        value(&before, &format!("echos_db_pool_max_connections{labels}")),
        f64::from(app.config.database.pool_size)
    );
    assert!(value(&before, &format!("echos_db_pool_wait_seconds_count{labels}")) >= 2.0);
    assert!(value(&before, r#"echos_db_pool_connections{cluster="main",pool="platform"}"#) >= 1.0);

    // The host cache: every look-up counted (a page cache hit needs none), the first one a miss.
    // (Other tests opening regions
    // empty every process's host and page caches through NOTIFY: a hit may become a miss.)
    let lookups = |s: &HashMap<String, f64>, cache: &str| {
        let get = |o: &str| s.get(&format!(r#"echos_{cache}_lookups_total{{outcome="{o}"}}"#)).copied().unwrap_or(0.0);
        (get("hit"), get("miss"))
    };
    let (hits, misses) = lookups(&before, "host_cache");
    assert!(misses >= 1.0 && hits + misses >= 3.0, "{hits} hits, {misses} misses");
    // The page cache: the anonymous GETs looked up (the sign-up's POST is never cached).
    let (hits, misses) = lookups(&before, "page_cache");
    assert_eq!(hits + misses, 4.0);
    assert!(misses >= 2.0, "the first /articles and the 404");
    // A hit is counted as a hit: two look-ups in a row (again if a NOTIFY came in between).
    let host = echos_domain::HostName::parse(&a.host).unwrap();
    let hit = || {
        echos_core::metrics::METRICS
            .host_cache
            .get_or_create(&echos_core::metrics::OutcomeLabels { outcome: "hit" })
            .get()
    };
    let counted = async {
        for _ in 0..20 {
            app.state.directory.resolve(&host).await.unwrap();
            let h0 = hit();
            app.state.directory.resolve(&host).await.unwrap();
            if hit() == h0 + 1 {
                return true;
            }
        }
        false
    };
    assert!(counted.await, "a cached look-up counts a hit");

    // The queue holds the confirmation e-mail, due (other tests' jobs may be there too).
    assert!(value(&before, r#"echos_jobs_queued{kind="mail.confirm"}"#) >= 1.0);
    assert!(value(&before, r#"echos_jobs_oldest_age_seconds{kind="mail.confirm"}"#) >= 0.0);
    // (The queue's figures are read at most every 5 s: the next scrape repeats them.)

    // The worker sends it; then a job that fails is counted by kind.
    assert!(app.run_jobs(&[&a]).await >= 1);
    let mut tx = app.db.platform().begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, Some(a.tenant.id), JobKind::LinkPreview, &serde_json::json!({})).await.unwrap();
    tx.commit().await.unwrap();
    let job = jobs::Job {
        id,
        tenant_id: Some(a.tenant.id),
        kind: JobKind::LinkPreview.code().to_owned(),
        payload: serde_json::json!({}),
        attempts: 1,
        max_attempts: 5,
        trace_parent: None,
    };
    echos_web::worker::run_guarded_with(&app.state, Lane::Fetch, job, |_, _| async {
        Err(echos_core::CoreError::invalid("the page did not answer"))
    })
    .await;
    let (_, _, after) = scrape(&app).await;
    assert_eq!(value(&after, r#"echos_mails_total{outcome="sent"}"#), 1.0);
    assert!(value(&after, r#"echos_job_runs_total{kind="mail.confirm"}"#) >= 1.0);
    assert_eq!(value(&after, r#"echos_job_failures_total{kind="link.preview"}"#), 1.0);
    assert!(
        after.contains_key("echos_backups_oldest_age_seconds"),
        "{:?}",
        after.keys().filter(|k| k.contains("backup") || k.contains("jobs_")).collect::<Vec<_>>()
    );
    // The labels never carry a region or anything a visitor typed.
    assert!(!after.keys().any(|k| k.contains(a.slug.as_str()) || k.contains("nulle-part")));
}

#[tokio::test]
async fn webhook_deliveries_are_counted_by_event_type_and_outcome() {
    let fake = FakeStripe::start().await;
    let app = TestApp::with_config(billing_config(&fake)).await;
    let event_id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let payload = stripe::checkout_completed(&event_id, &uuid::Uuid::new_v4().to_string(), "cus_x", "sub_x");
    assert_eq!(app.post_webhook(&payload, None).await.status, StatusCode::BAD_REQUEST);
    let signed = stripe::signature(&payload, None);
    assert_eq!(app.post_webhook(&payload, Some(&signed)).await.status, StatusCode::OK);
    assert_eq!(app.post_webhook(&payload, Some(&signed)).await.status, StatusCode::OK);
    let (_, _, series) = scrape(&app).await;
    let event = |kind: &str, outcome: &str| {
        value(&series, &format!(r#"echos_webhook_events_total{{event="{kind}",outcome="{outcome}"}}"#))
    };
    assert_eq!(event("unverified", "refused"), 1.0);
    assert_eq!(event("checkout.session.completed", "stored"), 1.0);
    assert_eq!(event("checkout.session.completed", "duplicate"), 1.0);
}
