//! A local stand-in for Stripe's API, as much of it as the platform calls: prices by lookup key,
//! Checkout Sessions, subscriptions (their state set by the test) and Customer Portal sessions.
//! A real HTTP server on a free port; the production client (`echos-billing`) is pointed at it.
//! Webhook events are built and signed here as Stripe signs them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub const SECRET_KEY: &str = "sk_test_echosciences";
pub const WEBHOOK_SECRET: &str = "whsec_test_echosciences";

#[derive(Default)]
pub struct Recorded {
    /// The form bodies of the Checkout Sessions created, as key/value pairs.
    pub checkouts: Vec<Vec<(String, String)>>,
    pub portals: Vec<Vec<(String, String)>>,
    /// Subscriptions by id: (customer, status).
    pub subscriptions: HashMap<String, (String, String)>,
    /// Requests whose `Authorization` was not our secret key.
    pub unauthorised: usize,
}

#[derive(Clone)]
pub struct FakeStripe {
    /// `http://127.0.0.1:<port>/`: `billing.stripe_api_base`.
    pub url: String,
    pub recorded: Arc<Mutex<Recorded>>,
}

impl FakeStripe {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// On a given port (a benchmark tells the server where it is before it starts).
    pub async fn start_on(port: u16) -> Self {
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/v1/prices", get(prices))
            .route("/v1/checkout/sessions", post(checkout))
            .route("/v1/subscriptions/{id}", get(subscription))
            .route("/v1/billing_portal/sessions", post(portal))
            .with_state((recorded.clone(), url.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, recorded }
    }

    /// What Stripe says of a subscription from now on.
    pub fn set_subscription(&self, id: &str, customer: &str, status: &str) {
        self.recorded.lock().unwrap().subscriptions.insert(id.to_owned(), (customer.to_owned(), status.to_owned()));
    }

    pub fn checkouts(&self) -> Vec<Vec<(String, String)>> {
        self.recorded.lock().unwrap().checkouts.clone()
    }

    pub fn portals(&self) -> Vec<Vec<(String, String)>> {
        self.recorded.lock().unwrap().portals.clone()
    }
}

type Shared = (Arc<Mutex<Recorded>>, String);

fn authorised(headers: &axum::http::HeaderMap, rec: &Arc<Mutex<Recorded>>) -> bool {
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {SECRET_KEY}"));
    if !ok {
        rec.lock().unwrap().unauthorised += 1;
    }
    ok
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"type": "invalid_request_error", "message": message}}))).into_response()
}

fn form(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap_or_default()
}

async fn prices(State((rec, _)): State<Shared>, headers: axum::http::HeaderMap, RawQuery(q): RawQuery) -> Response {
    if !authorised(&headers, &rec) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let q = form(&q.unwrap_or_default());
    let data: Vec<Value> = q
        .iter()
        .filter(|(k, _)| k.starts_with("lookup_keys["))
        .map(|(_, key)| {
            let recurring = key.contains("yearly");
            let mut p = json!({
                "id": format!("price_{key}"), "object": "price", "active": true, "billing_scheme": "per_unit",
                "created": 1_700_000_000, "currency": "eur", "livemode": false, "metadata": {},
                "product": "prod_echosciences", "type": if recurring { "recurring" } else { "one_time" },
                "lookup_key": key, "unit_amount": if recurring { 120_000 } else { 180_000 }
            });
            if recurring {
                p["recurring"] = json!({"interval": "year", "interval_count": 1, "usage_type": "licensed"});
            }
            p
        })
        .collect();
    axum::Json(json!({"object": "list", "url": "/v1/prices", "has_more": false, "data": data})).into_response()
}

async fn checkout(State((rec, base)): State<Shared>, headers: axum::http::HeaderMap, body: String) -> Response {
    if !authorised(&headers, &rec) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let fields = form(&body);
    let n = {
        let mut r = rec.lock().unwrap();
        r.checkouts.push(fields.clone());
        r.checkouts.len()
    };
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let id = format!("cs_test_{n}");
    axum::Json(json!({
        "id": id, "object": "checkout.session", "created": 1_700_000_000, "expires_at": 1_900_000_000,
        "livemode": false, "mode": "subscription", "payment_status": "unpaid", "payment_method_types": ["card"],
        "custom_fields": [], "custom_text": {}, "automatic_tax": {"enabled": false}, "shipping_options": [],
        "status": "open", "url": format!("{base}pay/{id}"),
        "client_reference_id": get("client_reference_id"), "customer_email": get("customer_email"),
    }))
    .into_response()
}

async fn subscription(
    State((rec, _)): State<Shared>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers, &rec) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let found = rec.lock().unwrap().subscriptions.get(&id).cloned();
    let Some((customer, status)) = found else { return error(StatusCode::NOT_FOUND, "No such subscription") };
    axum::Json(subscription_json(&id, &customer, &status)).into_response()
}

/// A subscription as Stripe's API (version 2026-09-30) writes it, the period on its item.
pub fn subscription_json(id: &str, customer: &str, status: &str) -> Value {
    let price = json!({
        "id": "price_echos_yearly", "object": "price", "active": true, "billing_scheme": "per_unit",
        "created": 1_700_000_000, "currency": "eur", "livemode": false, "metadata": {}, "product": "prod_echosciences",
        "type": "recurring", "lookup_key": "echos_yearly", "unit_amount": 120_000,
        "recurring": {"interval": "year", "interval_count": 1, "usage_type": "licensed"}
    });
    json!({
        "id": id, "object": "subscription", "status": status, "customer": customer,
        "automatic_tax": {"enabled": false}, "billing_cycle_anchor": 1_700_000_000, "billing_mode": {"type": "classic"},
        "billing_schedules": [], "cancel_at_period_end": false, "collection_method": "charge_automatically",
        "created": 1_700_000_000, "currency": "eur", "discounts": [], "invoice_settings": {"issuer": {"type": "self"}},
        "livemode": false, "metadata": {}, "start_date": 1_700_000_000,
        "items": {"object": "list", "has_more": false, "url": "/v1/subscription_items", "data": [{
            "id": format!("si_{id}"), "object": "subscription_item", "created": 1_700_000_000,
            "current_period_start": 1_700_000_000, "current_period_end": 1_900_000_000,
            "discounts": [], "metadata": {}, "subscription": id, "quantity": 1,
            "plan": {"id": "price_echos_yearly", "object": "plan", "active": true, "billing_scheme": "per_unit",
                     "created": 1_700_000_000, "currency": "eur", "interval": "year", "interval_count": 1,
                     "livemode": false, "usage_type": "licensed"},
            "price": price
        }]}
    })
}

async fn portal(State((rec, base)): State<Shared>, headers: axum::http::HeaderMap, body: String) -> Response {
    if !authorised(&headers, &rec) {
        return error(StatusCode::UNAUTHORIZED, "bad key");
    }
    let fields = form(&body);
    let customer = fields.iter().find(|(k, _)| k == "customer").map(|(_, v)| v.clone()).unwrap_or_default();
    rec.lock().unwrap().portals.push(fields);
    axum::Json(json!({
        "id": "bps_test", "object": "billing_portal.session", "configuration": "bpc_test", "created": 1_700_000_000,
        "customer": customer, "livemode": false, "url": format!("{base}portal/{customer}")
    }))
    .into_response()
}

/// A webhook event's body.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id, "object": "event", "api_version": "2026-09-30.endive", "created": 1_700_000_000,
        "livemode": false, "pending_webhooks": 1, "type": kind, "data": {"object": object}
    })
    .to_string()
}

/// `checkout.session.completed` for a sign-up, paid.
pub fn checkout_completed(id: &str, signup: &str, customer: &str, subscription: &str) -> String {
    event(
        id,
        "checkout.session.completed",
        json!({
            "id": format!("cs_{id}"), "object": "checkout.session", "created": 1_700_000_000, "expires_at": 1_900_000_000,
            "livemode": false, "mode": "subscription", "payment_status": "paid", "status": "complete",
            "payment_method_types": ["card"], "custom_fields": [], "custom_text": {},
            "automatic_tax": {"enabled": false}, "shipping_options": [],
            "client_reference_id": signup, "customer": customer, "subscription": subscription
        }),
    )
}

/// A `customer.subscription.*` event (its object as Stripe would send it).
pub fn subscription_event(id: &str, kind: &str, subscription: &str, customer: &str, status: &str) -> String {
    event(id, kind, subscription_json(subscription, customer, status))
}

/// An `invoice.*` event naming its subscription.
pub fn invoice_event(id: &str, kind: &str, subscription: &str, customer: &str) -> String {
    event(
        id,
        kind,
        json!({
            "id": format!("in_{id}"), "object": "invoice", "customer": customer, "status": "open",
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription}}
        }),
    )
}

/// The `Stripe-Signature` header of `payload`, signed now (or at `timestamp`).
pub fn signature(payload: &str, timestamp: Option<i64>) -> String {
    let t = timestamp.unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp());
    echos_billing::sign(payload, WEBHOOK_SECRET, t)
}
