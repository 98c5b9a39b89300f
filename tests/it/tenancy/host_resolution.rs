use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use echos_tests::TestApp;
use http::{Request, StatusCode, header};

#[tokio::test]
async fn an_unknown_host_gets_a_404_page_that_names_no_region() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let r = app.get("nobody-here.test", "/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<html"), "a page, not a bare status");
    assert!(!r.body.contains(&a.tenant.name) && !r.body.contains(a.slug.as_str()));
}

#[tokio::test]
async fn a_missing_or_malformed_host_is_a_400() {
    let app = TestApp::new().await;
    let r = app.send(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for bad in ["", "a b.test", "x.test:99999", "-x.test", "a..test"] {
        assert_eq!(app.get(bad, "/").await.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
}

#[tokio::test]
async fn case_port_and_trailing_dot_reach_the_same_region() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for host in [
        a.host.clone(),
        a.host.to_uppercase(),
        format!("{}:8080", a.host),
        format!("{}.", a.host),
        format!("{}.:443", a.host.to_uppercase()),
    ] {
        let r = app.get(&host, "/").await;
        assert_eq!(r.status, StatusCode::OK, "{host}");
        assert!(r.body.contains(&a.tenant.name), "{host}");
    }
}

#[tokio::test]
async fn unicode_and_punycode_spellings_reach_the_same_region() {
    use echos_core::provision::{self, Branding, NewTenant};
    use echos_domain::HostName;
    let app = TestApp::new().await;
    let slug = echos_tests::random_slug();
    let unicode = format!("échos-{}.example", slug.as_str());
    let new = NewTenant {
        slug: slug.clone(),
        name: "Île-de-France".into(),
        domains: vec![HostName::parse(&unicode).unwrap()],
        branding: Branding::default(),
    };
    let t = provision::create(&app.db, &app.platform_domain(), new).await.unwrap();
    let _guard = scopeguard(&app, slug);
    let puny = HostName::parse(&unicode).unwrap();
    // The international name is the region's primary host (every other one redirects to it).
    sqlx::query("UPDATE platform.tenant_domains SET is_primary = (host = $2) WHERE tenant_id = $1")
        .bind(t.id)
        .bind(puny.as_str())
        .execute(app.db.platform())
        .await
        .unwrap();
    app.state.directory.invalidate_all();
    assert!(puny.as_str().starts_with("xn--"));
    let by_puny = app.get(puny.as_str(), "/").await;
    assert_eq!(by_puny.status, StatusCode::OK);
    let raw = Request::get("/")
        .header(header::HOST, http::HeaderValue::from_bytes(unicode.to_uppercase().as_bytes()).unwrap())
        .body(Body::empty())
        .unwrap();
    let by_unicode = app.send(raw).await;
    assert_eq!(by_unicode.status, StatusCode::OK);
    assert!(by_unicode.body.contains(&t.name));
}

/// Removes a region provisioned by hand when the test ends.
fn scopeguard(app: &TestApp, slug: echos_domain::Slug) -> impl Drop {
    struct G(String, echos_domain::Slug);
    impl Drop for G {
        fn drop(&mut self) {
            let (url, slug) = (self.0.clone(), self.1.clone());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let mut cfg = echos_tests::config();
                    cfg.database.url = url;
                    let db = echos_core::Db::connect(&cfg.database).await.unwrap();
                    let _ = echos_core::provision::destroy(&db, &slug).await;
                });
            })
            .join();
        }
    }
    G(app.config.database.url.clone(), slug)
}

#[tokio::test]
async fn an_ip_literal_is_no_region() {
    let app = TestApp::new().await;
    assert_eq!(app.get("127.0.0.1:8080", "/").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("[::1]:8080", "/").await.status, StatusCode::NOT_FOUND);
}

fn from_peer(host: &str, forwarded: (&str, &str), peer: &str) -> Request<Body> {
    let mut req =
        Request::get("/").header(header::HOST, host).header(forwarded.0, forwarded.1).body(Body::empty()).unwrap();
    req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    req
}

#[tokio::test]
async fn a_forwarded_host_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let untrusted = TestApp::new().await;
    let a = untrusted.tenant().await;
    let xfh = ("x-forwarded-host", a.host.as_str());
    assert_eq!(untrusted.send(from_peer("unknown.test", xfh, "10.0.0.1:5000")).await.status, StatusCode::NOT_FOUND);

    let mut cfg = echos_tests::config();
    cfg.http.trusted_proxies = vec!["10.0.0.1/32".parse().unwrap()];
    let trusting = TestApp::with_config(cfg).await;
    assert_eq!(trusting.send(from_peer("unknown.test", xfh, "10.0.0.1:5000")).await.status, StatusCode::OK);
    let fwd = format!("for=192.0.2.1;host=\"{}\";proto=https", a.host);
    assert_eq!(
        trusting.send(from_peer("unknown.test", ("forwarded", &fwd), "10.0.0.1:5000")).await.status,
        StatusCode::OK
    );
    assert_eq!(trusting.send(from_peer("unknown.test", xfh, "10.0.0.2:5000")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_platform_domain_serves_the_platform_pages() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let r = app.get("test:8080", "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&a.tenant.name), "the platform home lists the regions");
    // minijinja escapes `/` in HTML as `&#x2f;`, which browsers read back as `/`.
    assert!(r.body.contains(&format!("http:&#x2f;&#x2f;{}:8080&#x2f;", a.host)), "with links that keep the port");
}

#[tokio::test]
async fn health_probes_answer_on_every_host() {
    let app = TestApp::new().await;
    for host in ["test", "unknown.test", "127.0.0.1"] {
        let h = app.get(host, "/healthz").await;
        assert_eq!((h.status, h.body.as_str()), (StatusCode::OK, "ok"));
        assert_eq!(app.get(host, "/readyz").await.status, StatusCode::OK);
    }
}
