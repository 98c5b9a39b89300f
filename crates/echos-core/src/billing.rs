//! Billing's side of the database: Stripe's events stored once each (the webhook answers at
//! once; a job applies them), and a subscription's state — fetched from Stripe, never taken from
//! the event, so events may come in any order — applied to the region it belongs to.

use echos_domain::job::JobKind;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Context, CoreError};
use crate::jobs;
use crate::lifecycle;
use crate::tenants::TenantStatus;

/// The payload of the job that applies a stored event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventJob {
    pub event_id: String,
}

/// Stores a verified event and queues its job, once: a retry of the same event (or two at the
/// same moment) stores nothing more. Returns whether it was new.
pub async fn store_event(pool: &PgPool, id: &str, kind: &str, payload: &serde_json::Value) -> Result<bool, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let new = sqlx::query!(
        "INSERT INTO platform.stripe_events (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        id,
        kind,
        payload
    )
    .execute(&mut *tx)
    .await
    .context("storing a Stripe event")?
    .rows_affected()
        == 1;
    if new {
        jobs::enqueue(&mut tx, None, JobKind::StripeEvent, &EventJob { event_id: id.to_owned() }).await?;
    }
    tx.commit().await.context("committing a Stripe event")?;
    Ok(new)
}

/// A stored event: its type and the object it carries.
pub async fn event(pool: &PgPool, id: &str) -> Result<Option<(String, serde_json::Value)>, CoreError> {
    let row = sqlx::query!("SELECT type, payload FROM platform.stripe_events WHERE id = $1", id)
        .fetch_optional(pool)
        .await
        .context("reading a Stripe event")?;
    Ok(row.map(|r| (r.r#type, r.payload)))
}

pub async fn event_processed(pool: &PgPool, id: &str) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.stripe_events SET processed_at = now() WHERE id = $1", id)
        .execute(pool)
        .await
        .context("marking a Stripe event processed")?;
    Ok(())
}

/// A subscription as Stripe holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    /// Stripe's status: `trialing`, `active`, `past_due`, `unpaid`, `canceled`, `incomplete`,
    /// `incomplete_expired`, `paused`.
    pub status: String,
    pub current_period_end: Option<OffsetDateTime>,
    pub cancel_at_period_end: bool,
}

/// The region a subscription moved, and from where to where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub tenant_id: Uuid,
    pub from: TenantStatus,
    pub to: TenantStatus,
}

/// Applies a subscription's state to its region: the one whose subscription *and* customer are
/// these (an event naming another region's customer moves nothing). Unknown → `None`.
pub async fn apply_subscription(pool: &PgPool, s: &Subscription) -> Result<Option<Applied>, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let found = sqlx::query!(
        "SELECT id, status FROM platform.tenants
          WHERE stripe_subscription_id = $1 AND stripe_customer_id = $2 FOR UPDATE",
        s.id,
        s.customer
    )
    .fetch_optional(&mut *tx)
    .await
    .context("finding a subscription's region")?;
    let Some(found) = found else {
        tracing::warn!(subscription = %s.id, "a subscription of no region of ours (or of another customer)");
        return Ok(None);
    };
    let current = TenantStatus::parse(&found.status).unwrap_or(TenantStatus::Archived);
    let to = match s.status.as_str() {
        "trialing" | "active" => TenantStatus::Active,
        // A late payment keeps the region open for the grace period; the sweep suspends it.
        "past_due" | "unpaid" if current == TenantStatus::Suspended => TenantStatus::Suspended,
        "past_due" | "unpaid" => TenantStatus::PastDue,
        "paused" => TenantStatus::Suspended,
        "canceled" | "incomplete_expired" => TenantStatus::Archived,
        _ => current,
    };
    sqlx::query!(
        "UPDATE platform.tenants SET current_period_end = $2, cancel_at_period_end = $3 WHERE id = $1",
        found.id,
        s.current_period_end,
        s.cancel_at_period_end
    )
    .execute(&mut *tx)
    .await
    .context("recording a subscription's period")?;
    let from = lifecycle::transition(&mut tx, found.id, to, "stripe", &format!("subscription {}", s.status)).await?;
    if from != to {
        jobs::enqueue(&mut tx, Some(found.id), JobKind::MailBilling, &BillingMail { status: to.as_str().to_owned() })
            .await?;
    }
    tx.commit().await.context("committing a subscription's state")?;
    Ok(Some(Applied { tenant_id: found.id, from, to }))
}

/// The payload of the job that tells a region's admins of its billing state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BillingMail {
    pub status: String,
}

/// A region's billing, for its console.
#[derive(Debug, Clone, Serialize)]
pub struct Billing {
    pub plan: String,
    pub status: String,
    pub customer: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_period_end: Option<OffsetDateTime>,
    pub cancel_at_period_end: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub trial_ends_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub past_due_since: Option<OffsetDateTime>,
}

pub async fn of(pool: &PgPool, tenant_id: Uuid) -> Result<Billing, CoreError> {
    sqlx::query_as!(
        Billing,
        "SELECT plan, status, stripe_customer_id AS customer, current_period_end, cancel_at_period_end,
                trial_ends_at, past_due_since
           FROM platform.tenants WHERE id = $1",
        tenant_id
    )
    .fetch_optional(pool)
    .await
    .context("reading a region's billing")?
    .ok_or(CoreError::NotFound)
}

/// A Checkout Session to start for a sign-up.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// The sign-up's id: Stripe's `client_reference_id`.
    pub signup_id: Uuid,
    pub email: String,
    pub success_url: String,
    pub cancel_url: String,
    /// Stripe's page in the visitor's language (`fr`, `en`, `ca`).
    pub locale: &'static str,
}

/// Where to send the browser to pay.
#[derive(Debug, Clone)]
pub struct CheckoutStarted {
    pub session_id: String,
    pub url: String,
}

/// A webhook event whose signature and timestamp passed.
#[derive(Debug, Clone)]
pub struct VerifiedEvent {
    pub id: String,
    pub kind: String,
    /// The whole event, as sent.
    pub payload: serde_json::Value,
}

/// Why a webhook request is refused (each answered 400, nothing stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRefusal {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the timestamp is more than 300 s away")]
    Stale,
    #[error("the body is not an event")]
    Malformed,
}

/// The payment service (Stripe, in `echos-billing`): behind a trait so that nothing but the leaf
/// crate links its client.
pub trait Payments: Send + Sync + 'static {
    /// Starts a Checkout Session (mode subscription) for a sign-up.
    fn checkout<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> futures::future::BoxFuture<'a, Result<CheckoutStarted, CoreError>>;
    /// A subscription as Stripe holds it now.
    fn subscription<'a>(&'a self, id: &'a str) -> futures::future::BoxFuture<'a, Result<Subscription, CoreError>>;
    /// A Customer Portal session (invoices, card, cancellation); its URL.
    fn portal<'a>(
        &'a self,
        customer: &'a str,
        return_url: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<String, CoreError>>;
    /// Checks a webhook request's `Stripe-Signature` over its raw body.
    fn verify(&self, payload: &[u8], signature: Option<&str>) -> Result<VerifiedEvent, WebhookRefusal>;
}
