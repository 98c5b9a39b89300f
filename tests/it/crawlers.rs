//! What search engines and link previews are told: a region's robots.txt and sitemap name only
//! its own public pages on its own host; every public page carries OpenGraph tags and icons.

use echos_tests::{PLATFORM_DOMAIN, TestApp};
use http::StatusCode;

#[tokio::test]
async fn a_regions_sitemap_lists_its_own_public_pages_only() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut ma = app.member(&a, "Autrice A").await;
    let mut mb = app.member(&b, "Auteur B").await;
    let mine = app.publish(&a, &mut ma, "articles", &[("title", "Publié ici")]).await;
    app.publish(&a, &mut ma, "articles", &[("title", "Brouillon ici"), ("status", "draft")]).await;
    let theirs = app.publish(&b, &mut mb, "articles", &[("title", "Publié ailleurs")]).await;

    let robots = app.get(&a.host, "/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.body.contains("Disallow: /admin") && robots.body.contains("Disallow: /mon-espace"));
    assert!(robots.body.contains(&format!("Sitemap: http://{}/sitemap.xml", a.host)));

    let map = app.get(&a.host, "/sitemap.xml").await;
    assert_eq!(map.status, StatusCode::OK);
    assert_eq!(map.header("content-type"), Some("application/xml; charset=utf-8"));
    assert!(map.body.contains(&format!("<loc>http://{}{mine}</loc>", a.host)), "{}", map.body);
    assert!(map.body.contains(&format!("<loc>http://{}/articles</loc>", a.host)));
    assert!(!map.body.contains("brouillon-ici"), "no draft");
    assert!(!map.body.contains(&theirs) && !map.body.contains(&b.host), "nothing of another region");
    let urls = map.body.matches("<loc>").count();
    assert_eq!(urls, map.body.matches(&format!("<loc>http://{}/", a.host)).count(), "every address on its own host");

    let platform = app.get(PLATFORM_DOMAIN, "/robots.txt").await;
    assert!(platform.body.contains("Disallow: /platform"));
    let platform_map = app.get(PLATFORM_DOMAIN, "/sitemap.xml").await;
    assert!(platform_map.body.contains("/ouvrir</loc>") && !platform_map.body.contains(&a.host));
}

#[tokio::test]
async fn every_public_page_carries_opengraph_tags_and_png_icons() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for path in ["/", "/articles", "/a-propos", "/connexion"] {
        let page = app.get(&a.host, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(r#"<meta property="og:site_name""#), "{path}: og:site_name");
        let og_url = page.body.split(r#"<meta property="og:url" content=""#).nth(1).and_then(|r| r.split('"').next());
        let og_url = og_url.map(|u| u.replace("&#x2f;", "/"));
        assert_eq!(og_url, Some(format!("http://{}{path}", a.host)), "{path}: og:url");
        assert!(page.body.contains(r#"<link rel="apple-touch-icon" href="/static/apple-touch-icon."#), "{path}");
    }
    // Named by their content, as the pages link them, and by their plain names.
    let home = app.get(&a.host, "/").await;
    let linked: Vec<String> = ["favicon-32.", "apple-touch-icon."]
        .iter()
        .map(|stem| {
            let at = home.body.find(&format!("/static/{stem}")).expect(stem);
            home.body[at..].split('"').next().unwrap().to_owned()
        })
        .collect();
    for icon in linked.iter().map(String::as_str).chain(["/static/favicon-32.png", "/static/apple-touch-icon.png"]) {
        let r = app.get(&a.host, icon).await;
        assert_eq!((r.status, r.header("content-type")), (StatusCode::OK, Some("image/png")), "{icon}");
    }
    let home = app.get(PLATFORM_DOMAIN, "/").await;
    assert!(home.body.contains(r#"<meta property="og:type" content="website">"#));
}
