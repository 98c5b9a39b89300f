//! `POST /stripe/webhook` on the platform's host: the signature checked on the raw body (by the
//! payment service: HMAC-SHA256, five minutes either way, any of several `v1` values), the event
//! stored once whatever the retries, and a job queued to apply it — the answer goes back at once.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use echos_core::billing;

use super::OnPlatform;
use crate::error::WebError;
use crate::state::AppState;

pub async fn receive(
    _: OnPlatform,
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    // Billing off: there is no webhook.
    let payments = app.payments.clone().ok_or(WebError::NotFound)?;
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let event = match payments.verify(&body, signature) {
        Ok(e) => e,
        Err(refusal) => {
            tracing::warn!(%refusal, "a webhook request refused");
            count_event("unverified", "refused");
            return Ok((StatusCode::BAD_REQUEST, refusal.to_string()).into_response());
        }
    };
    let new = billing::store_event(app.db.platform(), &event.id, &event.kind, &event.payload).await?;
    tracing::info!(event = %event.id, kind = %event.kind, new, "Stripe event received");
    count_event(&event.kind, if new { "stored" } else { "duplicate" });
    if new {
        app.wake.lane(echos_domain::job::Lane::Platform).notify_one();
    }
    Ok((StatusCode::OK, if new { "stored" } else { "already stored" }).into_response())
}

/// Counts a delivery. The event type is Stripe's (signed), still kept to the shape of one.
fn count_event(kind: &str, outcome: &'static str) {
    let plain = kind.len() <= 64 && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
    let event = if plain { kind.to_owned() } else { "other".to_owned() };
    echos_core::metrics::METRICS
        .webhook_events
        .get_or_create(&echos_core::metrics::WebhookLabels { event, outcome })
        .inc();
}

/// An id in an event's object: a plain string, or an expanded object's `id`.
fn id_of(v: &serde_json::Value) -> Option<&str> {
    v.as_str().or_else(|| v.get("id").and_then(|i| i.as_str())).filter(|s| !s.is_empty())
}

/// Applies a stored Stripe event (the job the webhook queued). The state of a subscription is
/// always read back from Stripe, so events may come in any order and twice: the last one applied
/// leaves the region as Stripe has it now. A paid checkout opens its sign-up's region.
pub async fn apply_stripe_event(app: &AppState, event_id: &str) -> Result<(), echos_core::CoreError> {
    let pool = app.db.platform();
    let Some((kind, payload)) = billing::event(pool, event_id).await? else { return Ok(()) };
    let payments = app.payments.clone().ok_or_else(|| echos_core::CoreError::invalid("billing is off"))?;
    let object = &payload["data"]["object"];
    let subscription = match kind.as_str() {
        "checkout.session.completed" if object["mode"].as_str() == Some("subscription") => {
            let signup = object["client_reference_id"].as_str().and_then(|s| uuid::Uuid::try_parse(s).ok());
            let (Some(signup), Some(customer), Some(sub)) =
                (signup, id_of(&object["customer"]), id_of(&object["subscription"]))
            else {
                tracing::warn!(event = event_id, "a completed checkout without its sign-up, customer or subscription");
                return billing::event_processed(pool, event_id).await;
            };
            match echos_core::signups::open_paid(&app.db, &app.platform_domain, signup, customer, sub).await {
                Ok(Some(opened)) => {
                    tracing::info!(region = %opened.slug, "a paid sign-up opened its region");
                    // Its admin's welcome mail, at once.
                    app.wake.lane(echos_domain::job::Lane::Mail).notify_one();
                }
                Ok(None) => {}
                Err(echos_core::CoreError::NotFound) => {
                    tracing::warn!(event = event_id, "a completed checkout for no sign-up of ours");
                    return billing::event_processed(pool, event_id).await;
                }
                Err(e) => return Err(e),
            }
            Some(sub.to_owned())
        }
        k if k.starts_with("customer.subscription.") => id_of(&object["id"]).map(str::to_owned),
        k if k.starts_with("invoice.") => id_of(&object["subscription"])
            .or_else(|| id_of(&object["parent"]["subscription_details"]["subscription"]))
            .map(str::to_owned),
        _ => None,
    };
    if let Some(sub) = subscription {
        let now = payments.subscription(&sub).await?;
        if let Some(applied) = billing::apply_subscription(pool, &now).await? {
            tracing::info!(event = event_id, from = ?applied.from, to = ?applied.to, "a subscription applied");
        }
    }
    billing::event_processed(pool, event_id).await
}
