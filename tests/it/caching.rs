//! Caching: anonymous pages without cookies and public for shared caches, the in-process page
//! cache (never a member's page, retired by every kind of write, in every process), conditional
//! requests, compression, and static files named by their content.

use std::io::Read as _;
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use echos_tests::{Browser, TestApp, TestTenant};

/// A response with its raw body (compressed bodies are not text).
struct Raw {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get_with(app: &TestApp, host: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut req = Request::get(path).header(header::HOST, host);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    Raw { status, headers, body }
}

/// Polls an anonymous page of `app` until `ok` holds, for a second at most (a write reaches
/// every process through `NOTIFY`); returns how long it took.
async fn within_a_second(app: &TestApp, t: &TestTenant, path: &str, ok: impl Fn(&str) -> bool) -> Duration {
    let start = Instant::now();
    loop {
        let r = app.get(&t.host, path).await;
        if ok(&r.body) {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(1), "{path} did not change within a second");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn anonymous_pages_set_no_cookie_and_may_be_kept_by_shared_caches() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = app.member(&a, "Autrice").await;
    let article = app.publish(&a, &mut author, "articles", &[("title", "Les glaciers")]).await;
    for path in ["/", "/articles", article.as_str(), "/agenda", "/carte.geojson", "/flux.atom", "/recherche?q=glaciers"]
    {
        let r = app.get(&a.host, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header("set-cookie"), None, "{path}: no cookie for an anonymous page");
        assert_eq!(r.header("cache-control"), Some("public, s-maxage=300, stale-while-revalidate=60"), "{path}");
        assert!(r.headers.get_all("vary").iter().any(|v| v == "Cookie"), "{path}: varies by cookie");
        assert!(r.header("etag").is_some_and(|e| e.starts_with("W/\"")), "{path}: an ETag");
    }
    // An address with a secret in it is its holder's alone.
    let secret = app.get(&a.host, &format!("/lettres/desinscription/{}", "ab".repeat(20))).await;
    assert_eq!(secret.status, StatusCode::OK);
    assert_eq!(secret.header("cache-control"), Some("private, no-store"));
    // A page with a form that changes state carries the token: its cookie comes with it, and the
    // page is the visitor's alone. The form then works with that cookie.
    let sign_in = get_with(&app, &a.host, "/connexion", &[]).await;
    let cookie = sign_in.header("set-cookie").expect("the token's cookie").to_owned();
    assert!(cookie.starts_with("csrf="), "{cookie}");
    let token = cookie["csrf=".len()..].split(';').next().unwrap().to_owned();
    assert!(sign_in.text().contains(&token), "the form carries the cookie's token");
    assert_eq!(sign_in.header("cache-control"), Some("private, no-store"));
    let mut browser = Browser { cookies: [("csrf".to_owned(), token.clone())].into(), csrf: token };
    let r = app
        .post_form(
            &a.host,
            "/connexion",
            &[("email", &author.email), ("password", echos_tests::PASSWORD)],
            &mut browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "signing in with the page's token: {}", r.body);
}

#[tokio::test]
async fn a_members_name_token_or_notifications_never_reach_an_anonymous_response() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = app.member(&a, "Autrice Publique").await;
    let article = app.publish(&a, &mut author, "articles", &[("title", "Les volcans")]).await;
    let mut member = app.member(&a, "Zéphyrine Personnelle").await;
    let token = member.browser.csrf.clone();
    for path in ["/", "/articles", article.as_str(), "/agenda", "/communautes"] {
        // The member first: their page is theirs, and not kept.
        let theirs = app.get_as(&a.host, path, &mut member.browser).await;
        assert_eq!(theirs.status, StatusCode::OK, "{path}");
        assert!(theirs.body.contains("Zéphyrine"), "{path}: the member's header");
        assert_eq!(theirs.header("cache-control"), Some("private, no-store"), "{path}");
        for _ in 0..2 {
            // Then anonymous visitors, twice (the second from the cache).
            let anon = app.get(&a.host, path).await;
            assert_eq!(anon.status, StatusCode::OK, "{path}");
            assert!(!anon.body.contains(&member.handle), "{path}: the member's handle");
            assert!(!anon.body.contains("Zéphyrine"), "{path}: the member's name");
            assert!(!anon.body.contains("/mon-espace/notifications"), "{path}: the notifications link");
            assert!(!anon.body.contains(&token), "{path}: the member's token");
            assert!(!anon.body.contains("deconnexion"), "{path}: a sign-out form");
        }
        // And the member again, after the page was kept: still theirs.
        let again = app.get_as(&a.host, path, &mut member.browser).await;
        assert!(again.body.contains("/mon-espace/notifications"), "{path}: the member is not served the cache");
    }
    // The author's name is content (the byline): it is there for everyone.
    assert!(app.get(&a.host, &article).await.body.contains("Autrice Publique"), "the byline");
}

#[tokio::test]
async fn every_kind_of_write_retires_the_cached_page_in_every_process() {
    // Two processes on one database: writes go through the first, an anonymous visitor reads
    // from the second, which hears of them only through NOTIFY.
    let app = TestApp::new().await;
    let other = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = app.admin(&a, "Autrice").await;
    assert!(!other.get(&a.host, "/articles").await.body.contains("Les marées"));
    assert!(!other.get(&a.host, "/").await.body.contains("Les marées"));
    assert!(!other.get_as(&a.host, "/", &mut author.browser).await.body.contains("Les marées"));
    // Publish.
    let url = app.publish(&a, &mut author, "articles", &[("title", "Les marées")]).await;
    let took = within_a_second(&other, &a, "/articles", |b| b.contains("Les marées")).await;
    eprintln!("a publish reached the other process's cache in {took:?}");
    within_a_second(&other, &a, "/", |b| b.contains("Les marées")).await;
    // A member's home page (never a cached page, but its lists are kept) shows it too.
    let start = Instant::now();
    while !other.get_as(&a.host, "/", &mut author.browser).await.body.contains("Les marées") {
        assert!(start.elapsed() < Duration::from_secs(1), "the member's home page did not change");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Edit.
    assert!(other.get(&a.host, &url).await.body.contains("Les marées"));
    let id = url.split('/').nth(2).unwrap().split('-').next().unwrap().to_owned();
    let r = app
        .post_form(
            &a.host,
            &format!("/articles/{id}/modifier"),
            &[("title", "Les grandes marées"), ("body", "texte"), ("status", "published")],
            &mut author.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    within_a_second(&other, &a, "/articles", |b| b.contains("Les grandes marées")).await;
    // Hidden by moderation (written as every moderation path writes it).
    let _: String = app
        .in_region(
            &a,
            "UPDATE contributions SET status = 'hidden', hidden_at = now() WHERE id = $1::bigint RETURNING status",
            &id,
        )
        .await;
    within_a_second(&other, &a, "/articles", |b| !b.contains("Les grandes marées")).await;
    let _: String = app
        .in_region(&a, "UPDATE contributions SET status = 'published' WHERE id = $1::bigint RETURNING status", &id)
        .await;
    within_a_second(&other, &a, "/articles", |b| b.contains("Les grandes marées")).await;
    // Delete.
    let r = app.post_form(&a.host, &format!("/articles/{id}/supprimer"), &[], &mut author.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    within_a_second(&other, &a, "/articles", |b| !b.contains("Les grandes marées")).await;
    // Branding: the region's name, on every page.
    sqlx::query("UPDATE platform.tenants SET name = 'Échos des marées' WHERE id = $1")
        .bind(a.tenant.id)
        .execute(app.db.platform())
        .await
        .unwrap();
    within_a_second(&other, &a, "/", |b| b.contains("Échos des marées")).await;
    // A member's visit (a private column) retires nothing: the page stays the one kept.
    let before = other.get(&a.host, "/").await;
    let _: String = app
        .in_region(&a, "UPDATE members SET last_seen_at = now() WHERE handle = $1 RETURNING handle", &author.handle)
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(other.get(&a.host, "/").await.header("etag"), before.header("etag"));
}

#[tokio::test]
async fn each_region_and_language_has_its_own_pages() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    for _ in 0..2 {
        let ra = app.get(&a.host, "/").await;
        let rb = app.get(&b.host, "/").await;
        assert!(ra.body.contains(&a.tenant.name) && !ra.body.contains(&b.tenant.name));
        assert!(rb.body.contains(&b.tenant.name) && !rb.body.contains(&a.tenant.name));
    }
    let en = get_with(&app, &a.host, "/", &[("cookie", "lang=en")]).await;
    let fr = get_with(&app, &a.host, "/", &[]).await;
    assert!(en.text().contains("lang=\"en\""), "English for the English cookie");
    assert!(fr.text().contains("lang=\"fr\""), "French without it");
}

#[tokio::test]
async fn conditional_requests_answer_304_until_the_page_changes() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = app.member(&a, "Autrice").await;
    app.publish(&a, &mut author, "articles", &[("title", "Les orages")]).await;
    for path in ["/", "/flux.atom", "/carte.geojson", "/agenda.ics"] {
        let first = get_with(&app, &a.host, path, &[]).await;
        assert_eq!(first.status, StatusCode::OK, "{path}");
        let etag = first.header("etag").expect("an ETag").to_owned();
        let again = get_with(&app, &a.host, path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty(), "{path}: a 304 has no body");
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{path}");
        let other = get_with(&app, &a.host, path, &[("if-none-match", "W/\"autre\"")]).await;
        assert_eq!(other.status, StatusCode::OK, "{path}: another entity");
    }
    let etag = get_with(&app, &a.host, "/", &[]).await.header("etag").unwrap().to_owned();
    app.publish(&a, &mut author, "articles", &[("title", "Les éclairs")]).await;
    let changed = get_with(&app, &a.host, "/", &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK, "the page changed");
    assert!(changed.text().contains("Les éclairs"));
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn pages_feeds_and_static_files_are_compressed_as_the_client_accepts() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut member = app.member(&a, "Lectrice").await;
    let body = "Les aurores boréales naissent du vent solaire. ".repeat(40);
    app.publish(&a, &mut member, "articles", &[("title", "Les aurores"), ("body", &body)]).await;
    for path in ["/", "/flux.atom", "/articles"] {
        let plain = get_with(&app, &a.host, path, &[]).await;
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        let br = get_with(&app, &a.host, path, &[("accept-encoding", "gzip, deflate, br")]).await;
        assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br.body[..], &mut out).unwrap();
        assert_eq!(out, plain.body, "{path}: Brotli decodes to the page");
        let gz = get_with(&app, &a.host, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "{path}");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz.body[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, plain.body, "{path}: gzip decodes to the page");
        assert!(br.body.len() * 3 < plain.body.len(), "{path}: {} → {}", plain.body.len(), br.body.len());
    }
    // A member's page is not kept, but compressed all the same.
    let cookie = member.browser.cookie_header();
    let theirs = get_with(&app, &a.host, "/", &[("cookie", &cookie), ("accept-encoding", "gzip")]).await;
    assert_eq!(theirs.header("content-encoding"), Some("gzip"));
    assert_eq!(theirs.header("cache-control"), Some("private, no-store"));

    // Static files: linked by their content, kept for a year, precompressed.
    let home = app.get(&a.host, "/").await;
    let at = home.body.find("/static/site.").expect("the stylesheet's link");
    let css = home.body[at..].split('"').next().unwrap().to_owned();
    assert!(css.len() > "/static/site..css".len() + 8, "named by its content: {css}");
    let r = get_with(&app, &a.host, &css, &[("accept-encoding", "br")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(r.header("content-encoding"), Some("br"));
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    let plain = get_with(&app, &a.host, "/static/site.css", &[]).await;
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &r.body[..], &mut out).unwrap();
    assert_eq!(out, plain.body, "the same stylesheet");
    assert_eq!(plain.header("cache-control"), Some("public, max-age=3600"), "the plain name: an hour");
}

#[tokio::test]
async fn the_cache_stays_within_its_size() {
    let mut config = echos_tests::config();
    config.http.page_cache_bytes = 256 * 1024;
    let app = TestApp::with_config(config).await;
    let a = app.tenant().await;
    for n in 0..200 {
        let r = app.get(&a.host, &format!("/articles?n={n}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let (entries, bytes) = app.state.pages.as_ref().unwrap().usage();
    assert!(bytes <= 256 * 1024, "{entries} entries weigh {bytes} bytes");
    assert!(entries >= 5, "{entries} entries kept");
    // Off: nothing kept, pages as they were.
    let mut config = echos_tests::config();
    config.http.page_cache_bytes = 0;
    let off = TestApp::with_config(config).await;
    assert!(off.state.pages.is_none());
    let r = off.get(&a.host, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("public, s-maxage=300, stale-while-revalidate=60"));
}

/// Every column of a table visitors see is either named by its `content_changed` trigger or
/// known to be private; every table without the trigger is private. A column added later must
/// be placed on one side or the other.
#[tokio::test]
async fn every_table_visitors_see_tells_of_its_changes() {
    const PRIVATE_TABLES: &[&str] =
        &["audit_log", "call_ballots", "newsletters", "notifications", "page_views", "participation_months", "reports"];
    const PRIVATE_COLUMNS: &[&str] = &[
        "members.last_seen_at",
        "members.email_notifications",
        "members.unsubscribe_token",
        "members.agenda_token",
        "members.sanction_reason",
        "contributions.view_count",
        "contributions.closure_told_at",
        "event_attendance.reminded_until",
    ];
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT c.relname::text, a.attname::text,
                EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'content_changed'
                          AND a.attnum = ANY (t.tgattr::int2[])) AS named
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> '_sqlx_migrations'",
    )
    .bind(&a.tenant.schema)
    .fetch_all(app.db.platform())
    .await
    .unwrap();
    assert!(rows.len() > 100, "{} columns", rows.len());
    let mut unplaced = Vec::new();
    for (table, column, named) in rows {
        let private =
            PRIVATE_TABLES.contains(&table.as_str()) || PRIVATE_COLUMNS.contains(&format!("{table}.{column}").as_str());
        if named == private {
            unplaced.push(format!("{table}.{column} (named: {named}, private: {private})"));
        }
    }
    assert!(unplaced.is_empty(), "{unplaced:#?}");
}

#[tokio::test]
async fn a_hit_asks_nothing_of_the_region_and_a_closed_region_is_no_longer_served() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    assert_eq!(app.get(&a.host, "/").await.status, StatusCode::OK);
    // A hit is answered before the region is resolved: no host look-up.
    let lookups = || {
        ["hit", "miss"]
            .iter()
            .map(|o| {
                echos_core::metrics::METRICS
                    .host_cache
                    .get_or_create(&echos_core::metrics::OutcomeLabels { outcome: o })
                    .get()
            })
            .sum::<u64>()
    };
    // Another test's process opening a region meanwhile retires every process's cached pages (its
    // NOTIFY moves the epoch): then the page is kept again and asked once more.
    let mut looked_up = Vec::new();
    let mut again = app.get(&a.host, "/").await;
    for _ in 0..5 {
        let before = lookups();
        again = app.get(&a.host, "/").await;
        assert_eq!(again.status, StatusCode::OK);
        looked_up.push(lookups() - before);
        if looked_up.last() == Some(&0) {
            break;
        }
    }
    assert_eq!(looked_up.last(), Some(&0), "no host look-up for a cached page: {looked_up:?}");
    // Another host of no region, the same path: never the cached page.
    assert_eq!(app.get("nulle-part.test", "/").await.status, StatusCode::NOT_FOUND);

    // Closed: its cached pages are not served any more (the change reaches the process through
    // NOTIFY, like any change of a region's row).
    echos_tests::close_region(&app, &a).await;
    let start = Instant::now();
    loop {
        let r = app.get(&a.host, "/").await;
        if r.status != StatusCode::OK {
            assert_ne!(r.body, again.body);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(1), "a closed region was still served from the cache");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
