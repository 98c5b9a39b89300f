//! What an attacker tries on accounts: hashing work without a live link, spellings of one inbox
//! that dodge per-account limits, sign-ups that would tell a taken address apart.

use echos_tests::{Browser, TestApp};
use http::StatusCode;

use super::{link_in_mail, sign_up, unique_email};

#[tokio::test]
async fn a_dead_reset_link_is_refused_before_any_hashing_and_a_full_queue_answers_503() {
    let mut cfg = echos_tests::config();
    cfg.accounts.hash_queue_secs = 0;
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let email = unique_email();
    sign_up(&app, &a.host, "Marie", &email, &mut Browser::new()).await;
    app.post_form(&a.host, "/mot-de-passe-oublie", &[("email", &email)], &mut Browser::new()).await;
    app.run_jobs(&[&a]).await;
    let link = link_in_mail(&app, &email, &format!("http://{}/reinitialiser/", a.host));
    let path = link.trim_start_matches(&format!("http://{}", a.host)).to_owned();

    // Every turn at hashing taken: a request that needed one would wait, then get 503.
    let held =
        app.state.hashing.clone().acquire_many_owned(app.state.hashing.available_permits() as u32).await.unwrap();
    let dead = app
        .post_form(
            &a.host,
            &format!("/reinitialiser/{}", "x".repeat(43)),
            &[("password", "un mot de passe neuf")],
            &mut Browser::new(),
        )
        .await;
    assert_eq!(dead.status, StatusCode::GONE, "checked before hashing: no turn was needed");
    let busy = app.post_form(&a.host, &path, &[("password", "un mot de passe neuf")], &mut Browser::new()).await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE, "a live link waits its turn, then gives up");
    assert_eq!(busy.header("retry-after"), Some("5"));
    drop(held);
    let done = app.post_form(&a.host, &path, &[("password", "un mot de passe neuf")], &mut Browser::new()).await;
    assert_eq!(done.status, StatusCode::OK, "the link still works once hashing is free");
}

#[tokio::test]
async fn guessing_reset_links_is_slowed_down() {
    let mut cfg = echos_tests::config();
    cfg.accounts.rate_limit_scale = 0.3;
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = app
            .post_form(
                &a.host,
                &format!("/reinitialiser/{i:0>43}"),
                &[("password", "un mot de passe neuf")],
                &mut Browser::new(),
            )
            .await;
        statuses.push(r.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test]
async fn spellings_of_one_address_share_its_sign_in_allowance() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let (local, domain) = email.split_once('@').unwrap();
    let mut last = StatusCode::OK;
    for i in 0..10 {
        // Upper case, a soft hyphen, a zero-width space, full-width letters: one inbox.
        let spelling = match i % 4 {
            0 => email.to_uppercase(),
            1 => format!("{}\u{00AD}{}@{domain}", &local[..2], &local[2..]),
            2 => format!("{local}\u{200B}@{domain}"),
            _ => format!("\u{FF4D}{}@{domain}", &local[1..]),
        };
        let b = &mut Browser::new();
        last = app
            .post_form(&a.host, "/connexion", &[("email", &spelling), ("password", "faux mot de passe")], b)
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "8 tries an account, whatever the spelling");
}

#[tokio::test]
async fn over_https_cookies_carry_the_host_prefix_and_plain_names_open_nothing() {
    let mut cfg = echos_tests::config();
    cfg.platform.public_scheme = "https".into();
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let mut b = Browser::new();
    let token = b.cookies.remove("csrf").unwrap();
    b.cookies.insert("__Host-csrf".into(), token);
    let r = sign_up(&app, &a.host, "Sécurisée", &unique_email(), &mut b).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let set: Vec<&str> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let session = set.iter().find(|c| c.starts_with("__Host-session=")).expect("a __Host- session cookie");
    assert!(session.contains("Secure") && session.contains("Path=/") && !session.contains("Domain"), "{session}");
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut b).await.status, StatusCode::OK);
    // The same value under the plain name is no session here.
    let value = b.cookies.remove("__Host-session").unwrap();
    b.cookies.insert("session".into(), value);
    assert_eq!(app.get_as(&a.host, "/mon-espace", &mut b).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_a_members_pages_are_not_cached() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let home = app.get(&a.host, "/").await;
    let csp = home.header("content-security-policy").unwrap_or_default();
    for part in ["script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(
        !csp.contains("'unsafe-inline'; img") || !csp.contains("script-src 'self' 'unsafe-inline'"),
        "no inline script"
    );
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(home.header("referrer-policy"), Some("strict-origin-when-cross-origin"));
    assert_eq!(home.header("strict-transport-security"), None, "plain http: no HSTS");
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Privée", &unique_email(), &mut b).await;
    for path in ["/", "/mon-espace", "/mon-espace/compte", "/articles"] {
        let r = app.get_as(&a.host, path, &mut b).await;
        assert_eq!(r.header("cache-control"), Some("private, no-store"), "{path}");
    }
    assert!(!home.body.contains("<script>") && !home.body.contains("onclick="), "no inline script in pages");
}
