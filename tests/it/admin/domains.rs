//! A region's own domain: refused when it is another region's, the platform's, an IP or a local
//! name; never served before it is verified; verified by the file the platform serves through it
//! (fetched over a real socket); then made primary, every other host redirecting to it.

use std::net::SocketAddr;

use http::StatusCode;

use super::{audit_actions, post};
use echos_tests::TestApp;

#[tokio::test]
async fn domains_of_another_region_of_the_platform_or_local_are_refused() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut admin_a = app.admin(&a, "Admin A").await;
    let mut admin_b = app.admin(&b, "Admin B").await;
    assert_eq!(
        post(&app, &b, &mut admin_b, "/admin/domaines", &[("host", "sciences-b.fr")]).await.status,
        StatusCode::SEE_OTHER
    );
    let taken = post(&app, &a, &mut admin_a, "/admin/domaines", &[("host", "Sciences-B.fr")]).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "another region's");
    assert!(taken.body.contains("Sciences-B.fr"), "the form keeps what was typed");
    for bad in ["test", "grenoble.test", "127.0.0.1", "[::1]", "localhost", "intranet", "a b.fr", &b.host] {
        let r = post(&app, &a, &mut admin_a, "/admin/domaines", &[("host", bad)]).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::CONFLICT,
            "{bad}: {}",
            r.status
        );
    }
    let hosts: Vec<String> =
        sqlx::query_scalar("SELECT host FROM platform.tenant_domains WHERE tenant_id = $1 ORDER BY host")
            .bind(a.tenant.id)
            .fetch_all(app.db.platform())
            .await
            .unwrap();
    assert_eq!(hosts, std::slice::from_ref(&a.host), "nothing added to A");
    // B's pending domain is not served, not even by B.
    assert_eq!(app.get("sciences-b.fr", "/").await.status, StatusCode::NOT_FOUND);
    // A's admin cannot verify, promote or remove B's domain.
    for path in ["/admin/domaines/verifier", "/admin/domaines/principal", "/admin/domaines/retirer"] {
        assert_eq!(
            post(&app, &a, &mut admin_a, path, &[("host", "sciences-b.fr")]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_domain_is_served_once_verified_and_becomes_primary() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let domain = format!("sciences-{}.fr", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut cfg = echos_tests::config();
    cfg.links.resolve = vec![format!("{domain}=127.0.0.1")];
    cfg.links.preview_allow = vec!["127.0.0.1/32".parse().unwrap()];
    cfg.domains.http_check_port = Some(port);
    let app = TestApp::with_config(cfg).await;
    let server = tokio::spawn(
        axum::serve(listener, app.router.clone().into_make_service_with_connect_info::<SocketAddr>()).into_future(),
    );
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Admin A").await;

    assert_eq!(post(&app, &a, &mut admin, "/admin/domaines", &[("host", &domain)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&domain, "/").await.status, StatusCode::NOT_FOUND, "not served before verification");
    let token = app.get(&domain, "/.well-known/echosciences-domain").await;
    assert_eq!(token.status, StatusCode::OK, "the platform serves the token through the domain");
    assert_eq!(
        post(&app, &a, &mut admin, "/admin/domaines/verifier", &[("host", &domain)]).await.status,
        StatusCode::SEE_OTHER
    );
    app.run_jobs(&[&a]).await;
    let page = app.get_as(&a.host, "/admin/domaines", &mut admin.browser).await;
    let verified: bool =
        sqlx::query_scalar("SELECT verified_at IS NOT NULL FROM platform.tenant_domains WHERE host = $1")
            .bind(&domain)
            .fetch_one(app.db.platform())
            .await
            .unwrap();
    assert!(verified, "{}", page.body);
    app.state.directory.invalidate_all();
    let served = app.get(&domain, "/articles").await;
    assert_eq!(
        served.status,
        StatusCode::MOVED_PERMANENTLY,
        "served once verified: to the primary host, until it is the primary"
    );
    assert_eq!(served.header("location"), Some(format!("http://{}/articles", a.host).as_str()));
    let tls = app.get(echos_tests::PLATFORM_DOMAIN, &format!("/.well-known/echosciences-tls?domain={domain}")).await;
    assert_eq!(tls.status, StatusCode::OK, "a certificate may be issued for it");
    let unknown = app.get(echos_tests::PLATFORM_DOMAIN, "/.well-known/echosciences-tls?domain=inconnu.fr").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    assert_eq!(
        post(&app, &a, &mut admin, "/admin/domaines/principal", &[("host", &domain)]).await.status,
        StatusCode::SEE_OTHER
    );
    app.state.directory.invalidate_all();
    let old = app.get(&a.host, "/articles?tag=abeilles").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.header("location"), Some(format!("http://{domain}/articles?tag=abeilles").as_str()));
    assert_eq!(app.get(&domain, "/articles").await.status, StatusCode::OK);
    let actions = audit_actions(&app, &a).await;
    assert!(actions.contains(&"domain.add".to_owned()) && actions.contains(&"domain.primary".to_owned()));
    server.abort();
}
