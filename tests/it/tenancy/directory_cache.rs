use std::time::Duration;

use echos_core::provision::{self, Branding, NewTenant};
use echos_tests::{TestApp, random_slug};
use http::StatusCode;

/// Two `TestApp`s are two processes' worth of state: their own pools, caches and listeners.
#[tokio::test]
async fn a_change_made_by_one_process_reaches_another_processs_cache() {
    let one = TestApp::new().await;
    let other = TestApp::new().await;
    let a = one.tenant().await;
    assert_eq!(other.get(&a.host, "/").await.status, StatusCode::OK, "now cached in the other process");
    let mut heard = other.state.directory.invalidations();
    echos_tests::close_region(&one, &a).await;
    tokio::time::timeout(Duration::from_secs(10), heard.changed())
        .await
        .expect("the other process heard of it")
        .unwrap();
    assert_eq!(other.get(&a.host, "/").await.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_host_cached_as_unknown_answers_as_soon_as_its_region_opens() {
    let app = TestApp::new().await;
    let slug = random_slug();
    let host = format!("{slug}.test");
    assert_eq!(app.get(&host, "/").await.status, StatusCode::NOT_FOUND, "now in the negative cache");
    let mut heard = app.state.directory.invalidations();
    let new = NewTenant {
        slug: slug.clone(),
        name: "Nouvelle région".into(),
        domains: vec![],
        branding: Branding::default(),
    };
    provision::create(&app.db, &app.platform_domain(), new).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), heard.changed()).await.unwrap().unwrap();
    let r = app.get(&host, "/").await;
    provision::destroy(&app.db, &slug).await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Nouvelle région"));
}
