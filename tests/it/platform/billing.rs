//! Billing on, against a local Stripe stand-in: the sign-up goes through Checkout and the region
//! opens when the signed `checkout.session.completed` arrives; the webhook refuses what Stripe did
//! not sign (or signed too long ago), stores each event once, and the region follows the
//! subscription as Stripe holds it — late, suspended (read-only), resumed — whatever the order.

use echos_core::TenantStatus;
use echos_domain::job::JobKind;
use echos_tests::stripe::{self, FakeStripe};
use echos_tests::{Browser, TestApp, billing_config, unique_email};
use http::StatusCode;

use super::{fresh_subdomain, sign_up, signin_path, signup_fields};

async fn stored(app: &TestApp, event: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM platform.stripe_events WHERE id = $1")
        .bind(event)
        .fetch_one(app.db.platform())
        .await
        .unwrap()
}

async fn apply(app: &TestApp, event: &str) {
    assert_eq!(app.run_jobs_matching(JobKind::StripeEvent, "event_id", event).await, 1, "{event} applied");
}

fn id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_paid_sign_up_opens_its_region_when_stripe_says_so_once() {
    let fake = FakeStripe::start().await;
    let app = TestApp::with_config(billing_config(&fake)).await;
    let (sub, email) = (fresh_subdomain(), unique_email());
    let r = sign_up(&app, &signup_fields(&sub, &email)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pay = r.header("location").unwrap();
    assert!(pay.starts_with(&format!("{}pay/cs_test_", fake.url)), "to Stripe Checkout: {pay}");

    // The Checkout Session: a subscription, both prices by lookup key, the sign-up's id.
    let checkout = fake.checkouts().pop().unwrap();
    let field = |k: &str| checkout.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(field("mode").as_deref(), Some("subscription"));
    assert_eq!(field("customer_email"), Some(email.clone()));
    let prices: Vec<String> = checkout.iter().filter(|(k, _)| k.ends_with("[price]")).map(|(_, v)| v.clone()).collect();
    assert!(prices.contains(&"price_echos_yearly".to_owned()) && prices.contains(&"price_echos_first_year".to_owned()));
    let signup = field("client_reference_id").unwrap();
    assert!(field("success_url").unwrap().contains(&format!("/ouvrir/merci?inscription={signup}")));
    let waiting = app.get(echos_tests::PLATFORM_DOMAIN, &format!("/ouvrir/merci?inscription={signup}")).await;
    assert!(waiting.body.contains("http-equiv=\"refresh\""), "the page waits for Stripe's word");
    assert!(echos_core::tenants::get(app.db.platform(), &echos_domain::Slug::parse(&sub).unwrap()).await.is_err());

    // Paid: Stripe's signed event opens the region.
    let (customer, subscription, event) = (id("cus"), id("sub"), id("evt"));
    fake.set_subscription(&subscription, &customer, "active");
    let payload = stripe::checkout_completed(&event, &signup, &customer, &subscription);
    let r = app.post_webhook(&payload, Some(&stripe::signature(&payload, None))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    apply(&app, &event).await;
    let region = app.adopt(&sub).await;
    assert_eq!(region.tenant.status, TenantStatus::Active);
    let b = echos_core::billing::of(app.db.platform(), region.tenant.id).await.unwrap();
    assert_eq!((b.plan.as_str(), b.customer.as_deref()), ("subscription", Some(customer.as_str())));
    assert!(b.current_period_end.is_some(), "the period read back from Stripe");

    // Stripe retries: stored once, opened once.
    let again = app.post_webhook(&payload, Some(&stripe::signature(&payload, None))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(stored(&app, &event).await, 1);
    assert_eq!(app.run_jobs_matching(JobKind::StripeEvent, "event_id", &event).await, 0, "no second job");

    // The contact lands in the console; the admin reaches Stripe's Customer Portal from there.
    app.run_jobs(&[&region]).await;
    let link = signin_path(&app, &email, "/connexion/lien/");
    let mut admin = Browser::new();
    app.get_as(&region.host, &link, &mut admin).await;
    let r = app.post_form(&region.host, &link, &[], &mut admin).await;
    assert_eq!(r.header("location"), Some("/admin"));
    let r = app.post_form(&region.host, "/admin/abonnement/portail", &[], &mut admin).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location").unwrap(), format!("{}portal/{customer}", fake.url));
    assert!(fake.portals().iter().any(|p| p.contains(&("customer".into(), customer.clone()))));
}

#[tokio::test]
async fn the_webhook_refuses_what_stripe_did_not_sign_and_stores_nothing() {
    let fake = FakeStripe::start().await;
    let app = TestApp::with_config(billing_config(&fake)).await;
    let event = id("evt");
    let payload = stripe::subscription_event(&event, "customer.subscription.updated", "sub_x", "cus_x", "active");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = stripe::signature(&payload, None);
    let wrong_secret = echos_billing::sign(&payload, "whsec_someone_else", now);
    let tampered = payload.replace("active", "canceled");
    for (what, body, sig) in [
        ("no signature", payload.clone(), None),
        ("a wrong signature", payload.clone(), Some(wrong_secret)),
        ("garbage", payload.clone(), Some("t=1,v1=zz".to_owned())),
        ("a tampered body", tampered, Some(good.clone())),
        ("a stale timestamp", payload.clone(), Some(stripe::signature(&payload, Some(now - 301)))),
        ("a future timestamp", payload.clone(), Some(stripe::signature(&payload, Some(now + 301)))),
    ] {
        let r = app.post_webhook(&body, sig.as_deref()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}");
    }
    assert_eq!(stored(&app, &event).await, 0);

    // During a secret rotation Stripe sends one signature per secret: any valid one will do.
    let v1 = good.split(",v1=").nth(1).unwrap();
    let rotated = format!("t={now},v1={},v1={v1}", "0".repeat(64));
    assert_eq!(app.post_webhook(&payload, Some(&rotated)).await.status, StatusCode::OK);
    assert_eq!(stored(&app, &event).await, 1);

    // Billing off: no webhook at all.
    let off = TestApp::new().await;
    assert_eq!(off.post_webhook(&payload, Some(&good)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_same_event_twice_at_once_is_stored_once() {
    let fake = FakeStripe::start().await;
    let app = TestApp::with_config(billing_config(&fake)).await;
    let event = id("evt");
    let payload = stripe::invoice_event(&event, "invoice.paid", "sub_y", "cus_y");
    let sig = stripe::signature(&payload, None);
    let (a, b) = tokio::join!(app.post_webhook(&payload, Some(&sig)), app.post_webhook(&payload, Some(&sig)));
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(stored(&app, &event).await, 1);
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM platform.jobs WHERE kind = 'stripe.event' AND payload->>'event_id' = $1",
    )
    .bind(&event)
    .fetch_one(app.db.platform())
    .await
    .unwrap();
    assert_eq!(jobs, 1);
}

/// Opens a paid region through the whole path, returning it with its customer and subscription.
async fn paid_region(app: &TestApp, fake: &FakeStripe) -> (echos_tests::TestTenant, String, String) {
    let (sub, email) = (fresh_subdomain(), unique_email());
    sign_up(app, &signup_fields(&sub, &email)).await;
    let checkout = fake.checkouts().pop().unwrap();
    let signup = checkout.iter().find(|(k, _)| k == "client_reference_id").unwrap().1.clone();
    let (customer, subscription, event) = (id("cus"), id("sub"), id("evt"));
    fake.set_subscription(&subscription, &customer, "active");
    let payload = stripe::checkout_completed(&event, &signup, &customer, &subscription);
    app.post_webhook(&payload, Some(&stripe::signature(&payload, None))).await;
    apply(app, &event).await;
    (app.adopt(&sub).await, customer, subscription)
}

async fn status(app: &TestApp, t: &echos_tests::TestTenant) -> TenantStatus {
    echos_core::tenants::get_by_id(app.db.platform(), t.tenant.id).await.unwrap().status
}

#[tokio::test]
async fn the_region_follows_its_subscription_late_suspended_and_resumed_in_any_order() {
    let fake = FakeStripe::start().await;
    let app = TestApp::with_config(billing_config(&fake)).await;
    let (region, customer, subscription) = paid_region(&app, &fake).await;
    let mut writer = app.member(&region, "Autrice").await;

    // An old "deleted" arriving after Stripe already shows the subscription active: nothing moves.
    let late = id("evt");
    let p = stripe::subscription_event(&late, "customer.subscription.deleted", &subscription, &customer, "canceled");
    app.post_webhook(&p, Some(&stripe::signature(&p, None))).await;
    apply(&app, &late).await;
    assert_eq!(status(&app, &region).await, TenantStatus::Active, "Stripe's current state wins");

    // A payment fails: past due, the site still open.
    fake.set_subscription(&subscription, &customer, "past_due");
    let failed = id("evt");
    let p = stripe::invoice_event(&failed, "invoice.payment_failed", &subscription, &customer);
    app.post_webhook(&p, Some(&stripe::signature(&p, None))).await;
    apply(&app, &failed).await;
    assert_eq!(status(&app, &region).await, TenantStatus::PastDue);
    app.run_jobs(&[&region]).await;

    // The grace period passes: suspended, read-only with a notice.
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(app.config.billing.grace_days + 1);
    let swept = echos_core::lifecycle::sweep(&app.db, &app.state.media, &app.config.billing, later).await.unwrap();
    assert!(swept.suspended_for_payment >= 1);
    app.state.directory.invalidate_all();
    assert_eq!(status(&app, &region).await, TenantStatus::Suspended);
    let home = app.get(&region.host, "/").await;
    assert_eq!(home.status, StatusCode::OK, "it still reads");
    let refused = app
        .post_form(
            &region.host,
            "/articles",
            &[("title", "Pendant la suspension"), ("body", "x"), ("status", "published")],
            &mut writer.browser,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "nothing is written");
    let written: i64 =
        app.in_region(&region, "SELECT count(*) FROM contributions WHERE title = $1", "Pendant la suspension").await;
    assert_eq!(written, 0);

    // Paid again: resumed.
    fake.set_subscription(&subscription, &customer, "active");
    let paid = id("evt");
    let p = stripe::invoice_event(&paid, "invoice.paid", &subscription, &customer);
    app.post_webhook(&p, Some(&stripe::signature(&p, None))).await;
    apply(&app, &paid).await;
    app.state.directory.invalidate_all();
    assert_eq!(status(&app, &region).await, TenantStatus::Active);
    let ok = app
        .post_form(
            &region.host,
            "/articles",
            &[("title", "Après la reprise"), ("body", "x"), ("status", "published")],
            &mut writer.browser,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let history = echos_core::lifecycle::history(app.db.platform(), region.tenant.id, 10).await.unwrap();
    let steps: Vec<&str> = history.iter().rev().map(|e| e.to_status.as_str()).collect();
    assert_eq!(steps, ["active", "past_due", "suspended", "active"], "each change logged");
}

#[tokio::test]
async fn an_event_for_another_regions_customer_moves_nothing() {
    let fake = FakeStripe::start().await;
    let app = TestApp::with_config(billing_config(&fake)).await;
    let (a, _, sub_a) = paid_region(&app, &fake).await;
    let (b, cus_b, _) = paid_region(&app, &fake).await;
    // Stripe says A's subscription belongs to B's customer: it is no region's of ours.
    fake.set_subscription(&sub_a, &cus_b, "canceled");
    let event = id("evt");
    let p = stripe::subscription_event(&event, "customer.subscription.updated", &sub_a, &cus_b, "canceled");
    app.post_webhook(&p, Some(&stripe::signature(&p, None))).await;
    apply(&app, &event).await;
    assert_eq!(status(&app, &a).await, TenantStatus::Active);
    assert_eq!(status(&app, &b).await, TenantStatus::Active);
}
