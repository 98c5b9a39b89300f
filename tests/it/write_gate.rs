//! The write gate, route by route: every route that takes a POST is listed in `router::WRITES`
//! (and every listed one takes a POST), and each refuses an anonymous visitor (unless anyone may
//! use it) and a request from another site — even one carrying a valid token and session.

use std::collections::BTreeSet;

use echos_domain::contribution::Kind;
use echos_tests::{Member, TestApp, TestResponse, TestTenant};
use echos_web::router::{Access, WRITES, site_routes};
use http::StatusCode;

/// Every write route of the list, `{kind}` expanded to each kind's segment.
fn listed() -> Vec<(String, Access)> {
    let mut out = Vec::new();
    for (path, access) in WRITES {
        if path.contains("{kind}") {
            out.extend(Kind::ALL.iter().map(|k| (path.replace("{kind}", k.segment()), *access)));
        } else {
            out.push(((*path).to_owned(), *access));
        }
    }
    // Signing out last: it ends the session the other checks use.
    out.sort_by_key(|(p, _)| p == "/deconnexion");
    out
}

/// A route's template made into a path that reaches it.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| match seg {
            "{id}" => "1",
            "{id_slug}" => "1-x",
            "{*key}" => "x/y",
            s if s.starts_with('{') => "x",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The host a route is for: the platform's own routes are only there.
fn host_for(t: &TestTenant, access: Access) -> String {
    match access {
        Access::Platform | Access::Operator | Access::Signed => echos_tests::PLATFORM_DOMAIN.to_owned(),
        _ => t.host.clone(),
    }
}

async fn post(app: &TestApp, t: &TestTenant, path: &str, m: Option<&Member>, origin: Option<&str>) -> TestResponse {
    post_to(app, &t.host, path, m, origin).await
}

async fn post_to(app: &TestApp, host: &str, path: &str, m: Option<&Member>, origin: Option<&str>) -> TestResponse {
    let (cookies, token) = match m {
        Some(m) => (m.browser.cookie_header(), m.browser.csrf.clone()),
        None => {
            let b = echos_tests::Browser::new();
            (b.cookie_header(), b.csrf)
        }
    };
    let mut req = http::Request::post(path)
        .header("host", host)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookies);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    app.send(req.body(axum::body::Body::from(format!("csrf_token={token}"))).unwrap()).await
}

/// Refused by the gate as coming from elsewhere: the "form expired" page, or a form re-shown
/// with that message.
fn refused_as_cross_site(r: &TestResponse) -> bool {
    r.status == StatusCode::FORBIDDEN
        && (r.body.contains("Formulaire expiré") || r.body.contains("Le formulaire a expiré"))
}

#[tokio::test]
async fn every_route_that_takes_a_post_is_listed_and_every_listed_route_takes_one() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let listed: BTreeSet<String> = listed().into_iter().map(|(p, _)| p).collect();
    let mut taking_posts = BTreeSet::new();
    for template in site_routes().paths() {
        // Asked on a region's host and on the platform's: a route takes a POST on either.
        for host in [a.host.as_str(), echos_tests::PLATFORM_DOMAIN] {
            let r = post_to(&app, host, &concrete(template), None, None).await;
            if r.status != StatusCode::METHOD_NOT_ALLOWED {
                taking_posts.insert(template.clone());
            }
        }
    }
    let unlisted: Vec<_> = taking_posts.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&taking_posts).collect();
    assert!(unlisted.is_empty(), "routes taking a POST that router::WRITES does not list: {unlisted:?}");
    assert!(stale.is_empty(), "router::WRITES lists routes that take no POST: {stale:?}");
}

#[tokio::test]
async fn every_write_refuses_an_anonymous_visitor_and_another_site() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    // An admin, so that no role check stands between the request and the gate.
    let admin = app.admin(&a, "Admine Régionale").await;
    let (mut operator, _) = signed_in_operator(&app).await;
    for (template, access) in listed() {
        let path = concrete(&template);
        let host = host_for(&a, access);
        if access == Access::Signed {
            // Stripe's: no session, no form; without its signature it is refused.
            let r = post_to(&app, &host, &path, None, Some("http://evil.example")).await;
            assert!(matches!(r.status, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND), "{template}: {}", r.status);
            continue;
        }
        if access == Access::Operator {
            let r = post_to(&app, &host, &path, None, None).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{template}: an anonymous POST must be sent to sign in");
            assert!(r.header("location").unwrap_or_default().starts_with("/platform/connexion"), "{template}");
            let own = operator_post(&app, &host, &path, &mut operator, Some(&format!("http://{host}"))).await;
            assert!(!refused_as_cross_site(&own), "{template}: refused from its own site ({})", own.status);
            for evil in ["http://evil.example", "null"] {
                let r = operator_post(&app, &host, &path, &mut operator, Some(evil)).await;
                assert!(refused_as_cross_site(&r), "{template}: a POST from {evil} answered {}", r.status);
            }
            continue;
        }
        if access == Access::Platform {
            let own = post_to(&app, &host, &path, None, Some(&format!("http://{host}"))).await;
            assert!(!refused_as_cross_site(&own), "{template}: refused from its own site ({})", own.status);
            for evil in ["http://evil.example", "null"] {
                let r = post_to(&app, &host, &path, None, Some(evil)).await;
                assert!(refused_as_cross_site(&r), "{template}: a POST from {evil} answered {}", r.status);
            }
            continue;
        }
        if access == Access::Token {
            // Authorised by the secret in the address alone (a mail client posts it): a wrong
            // one is simply not there.
            let r = post(&app, &a, &path, None, Some("http://evil.example")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{template}: a token nobody holds");
            continue;
        }
        if access != Access::Anyone {
            let r = post(&app, &a, &path, None, None).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{template}: an anonymous POST must be sent to sign in");
            let to = r.header("location").unwrap_or_default();
            assert!(to.starts_with("/connexion"), "{template}: sent to {to}");
        }
        let own = post(&app, &a, &path, Some(&admin), Some(&format!("http://{}", a.host))).await;
        assert!(!refused_as_cross_site(&own), "{template}: refused from its own site ({})", own.status);
        for evil in ["http://evil.example", "null"] {
            let r = post(&app, &a, &path, Some(&admin), Some(evil)).await;
            assert!(refused_as_cross_site(&r), "{template}: a POST from {evil} answered {}", r.status);
        }
    }
}

#[tokio::test]
async fn a_forged_or_missing_token_is_refused_on_every_write() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Admin Jetons").await;
    admin.browser.csrf = "forged".into();
    let (mut operator, _) = signed_in_operator(&app).await;
    operator.csrf = "forged".into();
    for (template, access) in listed() {
        let path = concrete(&template);
        let r = match access {
            Access::Token | Access::Signed => continue,
            Access::Operator => operator_post(&app, &host_for(&a, access), &path, &mut operator, None).await,
            Access::Platform => {
                let mut b = echos_tests::Browser::new();
                b.csrf = "forged".into();
                app.post_form(&host_for(&a, access), &path, &[], &mut b).await
            }
            _ => post(&app, &a, &path, Some(&admin), None).await,
        };
        assert!(refused_as_cross_site(&r), "{template}: a forged token answered {}", r.status);
    }
}

/// An operator signed in on the platform's host (by the link the command line mails).
async fn signed_in_operator(app: &TestApp) -> (echos_tests::Browser, String) {
    let email = echos_tests::unique_email();
    let parsed = echos_domain::member::Email::parse(&email).unwrap();
    echos_core::operators::create(app.db.platform(), &parsed).await.unwrap();
    let account: uuid::Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    let token = echos_core::signin::issue(app.db.platform(), account, None, "/platform", time::Duration::hours(1))
        .await
        .unwrap();
    let mut b = echos_tests::Browser::new();
    let r = app.post_form(echos_tests::PLATFORM_DOMAIN, &format!("/platform/lien/{token}"), &[], &mut b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    (b, email)
}

/// A POST as the operator, with their token and an `Origin` when given.
async fn operator_post(
    app: &TestApp,
    host: &str,
    path: &str,
    b: &mut echos_tests::Browser,
    origin: Option<&str>,
) -> TestResponse {
    let mut req = http::Request::post(path)
        .header("host", host)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", b.cookie_header());
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    app.send(req.body(axum::body::Body::from(format!("csrf_token={}", b.csrf))).unwrap()).await
}
