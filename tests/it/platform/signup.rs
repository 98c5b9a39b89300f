//! A science centre opens its region with billing off: the region opens at once in trial, the
//! contact is its admin through a one-time link; bad sub-domains are refused with the form kept;
//! two sign-ups racing for one sub-domain leave one region and nothing half-made.

use echos_core::TenantStatus;
use echos_tests::{Browser, PLATFORM_DOMAIN, TestApp, unique_email};
use http::StatusCode;

use super::{fresh_subdomain, sign_up, signin_path, signup_fields};

#[tokio::test]
async fn a_science_centre_opens_its_region_in_trial_and_lands_in_its_console() {
    let app = TestApp::new().await;
    let form = app.get(PLATFORM_DOMAIN, "/ouvrir").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"subdomain\""));
    let sub = fresh_subdomain();
    let email = unique_email();
    let r = sign_up(&app, &signup_fields(&sub, &email)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let done = r.header("location").unwrap().to_owned();
    assert!(done.starts_with("/ouvrir/merci?inscription="), "{done}");

    let region = app.adopt(&sub).await;
    assert_eq!(region.tenant.status, TenantStatus::Trial);
    assert_eq!(region.tenant.name, "Echosciences Léman");
    assert_eq!(region.tenant.locales.len(), 2, "the languages chosen");
    let page = app.get(PLATFORM_DOMAIN, &done).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&region.host), "the new address is given");

    // The welcome mail's one-time link opens the console as the region's admin.
    app.run_jobs(&[&region]).await;
    let link = signin_path(&app, &email, "/connexion/lien/");
    let mut b = Browser::new();
    let shown = app.get_as(&region.host, &link, &mut b).await;
    assert_eq!(shown.status, StatusCode::OK, "a page with a button (a mail scanner uses nothing)");
    let used = app.post_form(&region.host, &link, &[], &mut b).await;
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.body);
    assert_eq!(used.header("location"), Some("/admin"));
    assert_eq!(app.get_as(&region.host, "/admin", &mut b).await.status, StatusCode::OK, "the console");
    // Once only, and only on its region.
    let mut other = Browser::new();
    assert_eq!(app.post_form(&region.host, &link, &[], &mut other).await.status, StatusCode::GONE);
    assert_eq!(app.get(PLATFORM_DOMAIN, &link).await.status, StatusCode::NOT_FOUND);

    // Branded and published in, as its admin.
    let r = app
        .post_form(
            &region.host,
            "/admin/apparence",
            &[
                ("name", "Echosciences Léman"),
                ("tagline", "Sciences au bord du lac"),
                ("color_primary", "#1b5e7a"),
                ("color_accent", "#c2410c"),
            ],
            &mut b,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            &region.host,
            "/articles",
            &[("title", "Premier article"), ("body", "Bonjour"), ("status", "published")],
            &mut b,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app.get(&region.host, "/").await.body.contains("Sciences au bord du lac"));
}

#[tokio::test]
async fn bad_sub_domains_are_refused_and_the_form_keeps_what_was_typed() {
    // Many sign-ups from one connection: a larger allowance than a person gets.
    let mut cfg = echos_tests::config();
    cfg.accounts.rate_limit_scale = 10.0;
    let app = TestApp::with_config(cfg).await;
    let taken = app.tenant().await;
    let email = unique_email();
    for (sub, status, expected) in [
        ("www", StatusCode::UNPROCESSABLE_ENTITY, "réservé"),
        ("admin", StatusCode::UNPROCESSABLE_ENTITY, "réservé"),
        ("platform", StatusCode::UNPROCESSABLE_ENTITY, "réservé"),
        ("ab", StatusCode::UNPROCESSABLE_ENTITY, "3"),
        ("un-nom-bien-trop-long-pour-une-adresse", StatusCode::UNPROCESSABLE_ENTITY, "30"),
        ("xn--grnoble-bva", StatusCode::UNPROCESSABLE_ENTITY, "xn--"),
        ("grenοble", StatusCode::UNPROCESSABLE_ENTITY, "accent"),
        ("gre_noble", StatusCode::UNPROCESSABLE_ENTITY, "tiret"),
        (taken.slug.as_str(), StatusCode::CONFLICT, "déjà"),
    ] {
        let r = sign_up(&app, &signup_fields(sub, &email)).await;
        assert_eq!(r.status, status, "{sub}: {}", r.body);
        assert!(r.body.to_lowercase().contains(expected), "{sub}: expected “{expected}” in the message");
        assert!(r.body.contains("Centre de sciences du Léman"), "{sub}: the form keeps what was typed");
    }
    // Taken: an alternative is offered.
    let r = sign_up(&app, &signup_fields(taken.slug.as_str(), &email)).await;
    assert!(r.body.contains(&format!("{}-sciences", taken.slug)), "{}", r.body);

    // A look-alike of a region's address (rn for m).
    let sub = fresh_subdomain() + "m";
    let r = sign_up(&app, &signup_fields(&sub, &email)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let _region = app.adopt(&sub).await;
    let lookalike = sub.replace('m', "rn");
    let r = sign_up(&app, &signup_fields(&lookalike, &email)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains(&sub), "names the address it looks like");

    // Missing terms and a bad address.
    let sub = fresh_subdomain();
    let mut fields = signup_fields(&sub, "pas-une-adresse");
    fields.retain(|(k, _)| *k != "terms");
    let r = sign_up(&app, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("href=\"#terms\"") && r.body.contains("href=\"#email\""), "both in the summary");
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM platform.tenants WHERE slug = $1)")
        .bind(&sub)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(!exists, "nothing opened");
}

#[tokio::test]
async fn the_sign_up_form_refuses_a_post_from_another_site_and_is_not_on_a_region() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    assert_eq!(app.get(&a.host, "/ouvrir").await.status, StatusCode::NOT_FOUND);
    let sub = fresh_subdomain();
    let email = unique_email();
    let mut b = Browser::new();
    b.csrf = "forged".into();
    let r = app.post_form(PLATFORM_DOMAIN, "/ouvrir", &signup_fields(&sub, &email), &mut b).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Centre de sciences du Léman"), "the form is kept");
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM platform.signups WHERE slug = $1)")
        .bind(&sub)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert!(!exists);
}

#[tokio::test]
async fn two_sign_ups_racing_for_one_sub_domain_leave_one_region_and_nothing_half_made() {
    let app = TestApp::new().await;
    let sub = fresh_subdomain();
    let (e1, e2) = (unique_email(), unique_email());
    let f1 = signup_fields(&sub, &e1);
    let f2 = signup_fields(&sub, &e2);
    let (r1, r2) = tokio::join!(sign_up(&app, &f1), sign_up(&app, &f2));
    let mut statuses = [r1.status, r2.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT], "{} / {}", r1.body, r2.body);
    let region = app.adopt(&sub).await;
    let (regions, signups, schemas): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM platform.tenants WHERE slug = $1),
                (SELECT count(*) FROM platform.signups WHERE slug = $1),
                (SELECT count(*) FROM pg_namespace WHERE nspname = $2)",
    )
    .bind(&sub)
    .bind(region.slug.schema_name())
    .fetch_one(app.db.platform())
    .await
    .unwrap();
    assert_eq!((regions, signups, schemas), (1, 1, 1));
    let members: i64 = app.in_region(&region, "SELECT count(*) FROM members WHERE $1 <> ''", "x").await;
    assert_eq!(members, 1, "one admin, the winner");
}

#[tokio::test]
async fn the_form_checks_a_sub_domain_as_it_is_typed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let json = |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap();
    let free = fresh_subdomain();
    let r = app.get(PLATFORM_DOMAIN, &format!("/ouvrir/disponible?nom={free}")).await;
    assert_eq!(json(&r.body)["state"], "available");
    let r = app.get(PLATFORM_DOMAIN, &format!("/ouvrir/disponible?nom={}", a.slug)).await;
    let v = json(&r.body);
    assert_eq!(v["state"], "taken");
    assert!(v["alternative"].as_str().is_some_and(|s| s.starts_with(a.slug.as_str())));
    let r = app.get(PLATFORM_DOMAIN, "/ouvrir/disponible?nom=www").await;
    assert_eq!(json(&r.body)["state"], "invalid");
    assert_eq!(app.get(&a.host, "/ouvrir/disponible?nom=x").await.status, StatusCode::NOT_FOUND);
}
