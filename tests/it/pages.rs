use axum::body::Body;
use echos_core::provision::Branding;
use echos_tests::TestApp;
use http::{Request, StatusCode, header};

#[tokio::test]
async fn a_region_home_is_branded_from_its_settings() {
    let app = TestApp::new().await;
    let a = app
        .tenant_with(Branding {
            color_primary: "#0b6e4f".into(),
            tagline: "La science en partage".into(),
            ..Branding::default()
        })
        .await;
    let r = app.get(&a.host, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&a.tenant.name));
    assert!(r.body.contains("La science en partage"));
    assert!(r.body.contains("--color-primary:#0b6e4f"));
    assert!(r.body.contains("<html lang=\"fr\""));
    assert!(r.header("x-request-id").is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn a_region_speaks_its_default_language_until_the_visitor_chooses() {
    let app = TestApp::new().await;
    let ca = app.tenant_with(Branding { locale: echos_domain::Locale::Ca, ..Branding::default() }).await;
    assert!(app.get(&ca.host, "/").await.body.contains("<html lang=\"ca\""));

    let switch = app.get(&ca.host, "/langue/en?retour=/").await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.header("location"), Some("/"));
    let cookie = switch.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("lang=en") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.to_lowercase().contains("domain="), "host-only cookie");

    let req =
        Request::get("/").header(header::HOST, &ca.host).header(header::COOKIE, "lang=en").body(Body::empty()).unwrap();
    assert!(app.send(req).await.body.contains("<html lang=\"en\""));
}

#[tokio::test]
async fn the_language_switch_never_sends_the_visitor_off_site() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for evil in ["//evil.example/", "https://evil.example/", "/%5Cevil.example"] {
        let r = app.get(&a.host, &format!("/langue/fr?retour={evil}")).await;
        assert_eq!(r.header("location"), Some("/"), "{evil}");
    }
    assert_eq!(app.get(&a.host, "/langue/de").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unknown_page_gets_the_regions_404_page() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let r = app.get(&a.host, "/nulle-part").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains(&a.tenant.name), "branded as the region");
}

#[tokio::test]
async fn a_server_error_shows_a_page_with_the_request_id_and_no_cause() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {}.settings", a.tenant.schema)))
        .execute(app.db.platform())
        .await
        .unwrap();
    let r = app.get(&a.host, "/").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = r.header("x-request-id").unwrap();
    assert!(r.body.contains(id), "the page shows the request id");
    assert!(!r.body.contains("settings") && !r.body.contains("relation"), "the cause stays in the log");
}

#[tokio::test]
async fn markup_in_a_region_name_is_printed_literally() {
    use echos_core::provision::{self, NewTenant};
    let app = TestApp::new().await;
    let slug = echos_tests::random_slug();
    let new = NewTenant {
        slug: slug.clone(),
        name: "<script>alert(1)</script> & {{ 7*7 }}".into(),
        domains: vec![],
        branding: Branding::default(),
    };
    let t = provision::create(&app.db, &app.platform_domain(), new).await.unwrap();
    let page = app.get(&t.primary_host, "/").await;
    let platform = app.get("test", "/").await;
    provision::destroy(&app.db, &slug).await.unwrap();
    for body in [&page.body, &platform.body] {
        assert!(!body.contains("<script>alert(1)"));
        assert!(body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; {{ 7*7 }}"));
    }
}

#[tokio::test]
async fn static_files_are_served_with_their_type_and_nosniff() {
    let app = TestApp::new().await;
    let css = app.get("test", "/static/site.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(css.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(app.get("test", "/static/tenants/..%2Fgrenoble.toml").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("test", "/static/tenants/grenoble.toml").await.status, StatusCode::NOT_FOUND);
}
