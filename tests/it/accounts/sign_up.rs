use echos_tests::{Browser, TestApp};
use http::StatusCode;

use super::{PASSWORD, link_in_mail, sign_up, unique_email};

async fn account_count(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM platform.accounts WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.platform())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_visitor_signs_up_is_signed_in_and_confirms_by_the_link_in_the_mail() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut browser = Browser::new();
    let email = unique_email();
    let r = sign_up(&app, &a.host, "Marie Curie", &email, &mut browser).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&email));
    assert!(browser.cookies.contains_key("session"), "signed in at once, no approval");
    let me = app.get_as(&a.host, "/mon-espace", &mut browser).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("Marie Curie"));

    assert!(app.run_jobs(&[&a]).await >= 1);
    let link = link_in_mail(&app, &email, &format!("http://{}/confirmer/", a.host));
    let path = link.trim_start_matches(&format!("http://{}", a.host)).to_owned();
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK);
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::GONE, "single use");
    let confirmed: bool = sqlx::query_scalar("SELECT confirmed_at IS NOT NULL FROM platform.accounts WHERE email = $1")
        .bind(&email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(confirmed);
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_its_owner_a_notice() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let first = sign_up(&app, &a.host, "Ada", &email, &mut Browser::new()).await;
    let mut other = Browser::new();
    let second = sign_up(&app, &a.host, "Ada", &email, &mut other).await;
    assert_eq!(first.status, second.status);
    assert_eq!(first.body, second.body, "nothing tells the two apart");
    // Not even the cookies: both answers set a session cookie of the same shape…
    let shape = |r: &echos_tests::TestResponse| {
        r.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split_once('=').unwrap().0.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&first), shape(&second));
    assert_eq!(other.cookies["session"].len(), 43);
    // …but the second opens nothing.
    let mine = app.get_as(&a.host, "/mon-espace", &mut other).await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER, "the taken address's sign-up signed nobody in");
    assert_eq!(account_count(&app, &email).await, 1);
    app.run_jobs(&[&a]).await;
    let mails = app.mails_to(&email);
    assert_eq!(mails.len(), 2, "a confirmation, then a notice");
    assert!(mails.iter().any(|m| m.contains(&format!("http://{}/connexion", a.host))), "the notice links to sign-in");
    assert!(mails.iter().any(|m| m.contains(&format!("http://{}/confirmer/", a.host))));
}

#[tokio::test]
async fn bad_input_re_shows_the_form_with_what_was_typed_and_writes_nothing() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = Browser::new();
    let cases = [
        ("Marie", "pas-une-adresse", PASSWORD, "person", "email"),
        ("Marie", "marie@exemple.org", "court", "person", "password"),
        ("   ", "marie@exemple.org", PASSWORD, "person", "display_name"),
        ("Marie", "marie@exemple.org", PASSWORD, "robot", "kind"),
    ];
    for (name, email, password, kind, field) in cases {
        let r = app
            .post_form(
                &a.host,
                "/inscription",
                &[("display_name", name), ("email", email), ("password", password), ("kind", kind)],
                &mut b,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            r.body.contains(&format!("aria-describedby=\"{field}")) || r.body.contains(&format!("id=\"{field}-error")),
            "{field} is marked: {}",
            r.body
        );
        assert!(r.body.contains(email), "the e-mail typed is kept");
        assert!(!r.body.contains(&format!("value=\"{password}\"")), "never the password");
    }
    assert_eq!(account_count(&app, "marie@exemple.org").await, 0);
}

#[tokio::test]
async fn a_password_too_long_or_a_body_too_large_is_refused_before_hashing() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let long = "x".repeat(129);
    let r = app
        .post_form(
            &a.host,
            "/inscription",
            &[("display_name", "X"), ("email", &email), ("password", &long), ("kind", "person")],
            &mut Browser::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let huge = "x".repeat(100_000);
    let r = app
        .post_form(
            &a.host,
            "/inscription",
            &[("display_name", "X"), ("email", &email), ("password", &huge), ("kind", "person")],
            &mut Browser::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(account_count(&app, &email).await, 0);
}

#[tokio::test]
async fn a_form_without_its_csrf_token_or_from_another_site_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let fields = [
        ("display_name", "X"),
        ("email", email.as_str()),
        ("password", PASSWORD),
        ("kind", "person"),
        ("csrf_token", "forged"),
    ];
    let r = app.post_form(&a.host, "/inscription", &fields, &mut Browser::new()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains(&email), "the form comes back with its values");

    let b = Browser::new();
    let body =
        format!("display_name=X&email={email}&password=une+phrase+de+passe+solide&kind=person&csrf_token={}", b.csrf);
    let req = http::Request::post("/inscription")
        .header("host", &a.host)
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", b.cookie_header())
        .body(axum::body::Body::from(body))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(account_count(&app, &email).await, 0);
}

#[tokio::test]
async fn markup_in_a_name_is_inert_in_pages_and_mails() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let email = unique_email();
    let name = "<img src=x onerror=alert(1)>";
    let mut b = Browser::new();
    assert_eq!(sign_up(&app, &a.host, name, &email, &mut b).await.status, StatusCode::OK);
    let space = app.get_as(&a.host, "/mon-espace", &mut b).await;
    assert!(!space.body.contains("<img src=x"));
    assert!(space.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    app.run_jobs(&[&a]).await;
    let mail = app.mails_to(&email).pop().unwrap();
    let html = mail.split("Content-Type: text/html").nth(1).expect("an HTML part");
    assert!(!html.contains("<img src=x"), "escaped in the HTML part");
    assert!(html.contains("&lt;img src=x"));
}

#[tokio::test]
async fn people_of_the_same_name_signing_up_at_the_same_moment_all_get_a_handle() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let signups = (0..8).map(|_| {
        let (app, host) = (&app, a.host.clone());
        async move {
            let mut b = Browser::new();
            sign_up(app, &host, "Camille Martin", &unique_email(), &mut b).await.status
        }
    });
    let statuses = futures::future::join_all(signups).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let mut tx = echos_core::TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let handles: Vec<String> =
        sqlx::query_scalar("SELECT handle FROM members ORDER BY handle").fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(handles.len(), 8);
    assert!(handles.contains(&"camille-martin".to_owned()) && handles.contains(&"camille-martin-2".to_owned()));
}
