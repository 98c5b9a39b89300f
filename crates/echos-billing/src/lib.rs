//! Stripe, done the way Stripe asks: Checkout (mode subscription) for a science centre's sign-up,
//! the Customer Portal for invoices, card and cancellation, subscriptions read back from Stripe
//! (never trusted from an event's order), and webhooks verified on the raw body. A leaf crate:
//! the Stripe client is slow to build, and nothing else links it (`echos_core::billing::Payments`).
//!
//! Prices are found by their lookup keys (`billing.first_year_lookup_key`, a one-time price: what
//! the first year costs beyond the yearly one; `billing.yearly_lookup_key`, the yearly recurring
//! price), so an operator sets the three keys and nothing else.

use std::sync::Arc;
use std::time::Duration;

use echos_core::billing::{CheckoutRequest, CheckoutStarted, Payments, Subscription, VerifiedEvent, WebhookRefusal};
use echos_core::config::BillingConfig;
use echos_core::error::CoreError;
use futures::future::BoxFuture;
use stripe::{Client, ClientBuilder, StripeError};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::subscription::RetrieveSubscription;
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_product::price::ListPrice;
use stripe_webhook::{Webhook, WebhookError};

/// Stripe, as configured by `[billing]`.
pub struct Stripe {
    client: Client,
    webhook_secret: String,
    first_year_key: String,
    yearly_key: String,
    trial_days: u32,
}

/// The payment service when billing is on (both Stripe keys set), else `None`.
pub fn from_config(cfg: &BillingConfig) -> Result<Option<Arc<dyn Payments>>, CoreError> {
    let Some((secret, webhook_secret)) = cfg.stripe() else { return Ok(None) };
    let client = ClientBuilder::new(secret)
        .url(cfg.stripe_api_base.as_str())
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| CoreError::invalid(format!("billing.stripe_api_base: {e}")))?;
    Ok(Some(Arc::new(Stripe {
        client,
        webhook_secret: webhook_secret.to_owned(),
        first_year_key: cfg.first_year_lookup_key.clone(),
        yearly_key: cfg.yearly_lookup_key.clone(),
        trial_days: cfg.stripe_trial_days,
    })))
}

fn failed(what: &'static str) -> impl FnOnce(StripeError) -> CoreError {
    move |e| {
        let detail = match &e {
            StripeError::Stripe(api, status) => {
                format!("{status} {}", api.message.as_deref().unwrap_or("(no message)"))
            }
            other => other.to_string(),
        };
        CoreError::Unexpected(anyhow::anyhow!("Stripe, {what}: {detail}"))
    }
}

impl Stripe {
    /// The price ids of the two lookup keys: (first year, yearly).
    async fn prices(&self) -> Result<(Option<String>, String), CoreError> {
        let list = ListPrice::new()
            .lookup_keys(vec![self.first_year_key.clone(), self.yearly_key.clone()])
            .active(true)
            .send(&self.client)
            .await
            .map_err(failed("finding the prices"))?;
        let find = |key: &str| {
            list.data.iter().find(|p| p.lookup_key.as_deref() == Some(key)).map(|p| p.id.as_str().to_owned())
        };
        let yearly = find(&self.yearly_key).ok_or_else(|| {
            CoreError::Unexpected(anyhow::anyhow!("Stripe has no active price with the lookup key {}", self.yearly_key))
        })?;
        Ok((find(&self.first_year_key), yearly))
    }
}

impl Payments for Stripe {
    fn checkout<'a>(&'a self, req: &'a CheckoutRequest) -> BoxFuture<'a, Result<CheckoutStarted, CoreError>> {
        Box::pin(async move {
            let (first_year, yearly) = self.prices().await?;
            let mut items =
                vec![CreateCheckoutSessionLineItems { price: Some(yearly), quantity: Some(1), ..Default::default() }];
            if let Some(first) = first_year {
                items.push(CreateCheckoutSessionLineItems {
                    price: Some(first),
                    quantity: Some(1),
                    ..Default::default()
                });
            }
            let mut create = CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Subscription)
                .line_items(items)
                .client_reference_id(req.signup_id.to_string())
                .customer_email(req.email.as_str())
                .success_url(req.success_url.as_str())
                .cancel_url(req.cancel_url.as_str())
                .metadata([("signup_id".to_owned(), req.signup_id.to_string())]);
            create = match req.locale {
                "fr" => create.locale(stripe_checkout::CheckoutSessionLocale::Fr),
                "en" => create.locale(stripe_checkout::CheckoutSessionLocale::En),
                _ => create.locale(stripe_checkout::CheckoutSessionLocale::Auto),
            };
            if self.trial_days > 0 {
                create = create.subscription_data(CreateCheckoutSessionSubscriptionData {
                    trial_period_days: Some(self.trial_days),
                    ..Default::default()
                });
            }
            let session = create.send(&self.client).await.map_err(failed("starting a checkout"))?;
            let url =
                session.url.ok_or_else(|| CoreError::Unexpected(anyhow::anyhow!("Stripe gave no checkout URL")))?;
            Ok(CheckoutStarted { session_id: session.id.as_str().to_owned(), url })
        })
    }

    fn subscription<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Subscription, CoreError>> {
        Box::pin(async move {
            let sub =
                RetrieveSubscription::new(id).send(&self.client).await.map_err(failed("reading a subscription"))?;
            let end = sub.items.data.iter().map(|i| i.current_period_end).max();
            Ok(Subscription {
                id: sub.id.as_str().to_owned(),
                customer: sub.customer.id().as_str().to_owned(),
                status: sub.status.as_str().to_owned(),
                current_period_end: end.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok()),
                cancel_at_period_end: sub.cancel_at_period_end,
            })
        })
    }

    fn portal<'a>(&'a self, customer: &'a str, return_url: &'a str) -> BoxFuture<'a, Result<String, CoreError>> {
        Box::pin(async move {
            let session = CreateBillingPortalSession::new()
                .customer(customer)
                .return_url(return_url)
                .send(&self.client)
                .await
                .map_err(failed("opening the customer portal"))?;
            Ok(session.url)
        })
    }

    fn verify(&self, payload: &[u8], signature: Option<&str>) -> Result<VerifiedEvent, WebhookRefusal> {
        let signature = signature.ok_or(WebhookRefusal::Missing)?;
        let text = std::str::from_utf8(payload).map_err(|_| WebhookRefusal::Malformed)?;
        match Webhook::construct_event(text, signature, &self.webhook_secret) {
            // The signature and the timestamp passed (a typed object Stripe's library cannot
            // read is still a signed event: it is read as JSON below).
            Ok(_) | Err(WebhookError::BadParse(_)) => {}
            Err(WebhookError::BadTimestamp(_)) => return Err(WebhookRefusal::Stale),
            Err(_) => return Err(WebhookRefusal::BadSignature),
        }
        let payload: serde_json::Value = serde_json::from_str(text).map_err(|_| WebhookRefusal::Malformed)?;
        let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        match (field("id"), field("type")) {
            (Some(id), Some(kind)) if !id.is_empty() && id.len() <= 255 => Ok(VerifiedEvent { id, kind, payload }),
            _ => Err(WebhookRefusal::Malformed),
        }
    }
}

/// A `Stripe-Signature` header for `payload`, signed as Stripe signs (HMAC-SHA256 of
/// `timestamp.payload`): for tests and for the local stand-in.
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    Webhook::generate_test_header(payload, secret, Some(timestamp))
}
