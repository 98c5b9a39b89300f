//! A science centre opens its region itself: the sub-domain it wants (free, not reserved, not a
//! look-alike of one taken), then — with billing off — the region opens at once in trial, or —
//! with billing on — the sign-up is held (its sub-domain reserved) until Stripe says it is paid.
//! Opening claims a warm spare schema, brands the region with the name given, and makes the
//! contact its first admin, all in one transaction; the admin gets a one-time sign-in link.

use echos_domain::job::JobKind;
use echos_domain::member::{DisplayName, Email, MemberKind};
use echos_domain::subdomain::{WantedError, alternatives, parse_wanted, skeleton};
use echos_domain::{HostName, Locale, Slug};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::{self, AccountJob, Profile};
use crate::config::BillingConfig;
use crate::db::Db;
use crate::error::{Context, CoreError, UNIQUE_VIOLATION, db_violation};
use crate::jobs;
use crate::lifecycle;
use crate::provision::{self, Branding, NewTenant};

/// What a science centre fills in.
#[derive(Debug, Clone)]
pub struct Signup {
    pub organisation: String,
    pub contact_name: DisplayName,
    pub email: Email,
    pub region_name: String,
    pub slug: Slug,
    /// The languages offered, the first the default.
    pub locales: Vec<Locale>,
}

/// Whether a sub-domain can be had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Availability {
    Available {
        slug: String,
    },
    /// Taken by a region or a sign-up under way.
    Taken {
        alternative: Option<String>,
    },
    /// Too close to one taken (`gren0ble` for `grenoble`): visitors would mistake one for the other.
    LooksLike {
        existing: String,
        alternative: Option<String>,
    },
    Invalid {
        reason: WantedReason,
    },
}

/// Why a sub-domain is not valid, for the form's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WantedReason {
    Length,
    Punycode,
    NotAscii,
    Characters,
    Hyphens,
    Reserved,
}

impl From<&WantedError> for WantedReason {
    fn from(e: &WantedError) -> Self {
        match e {
            WantedError::Length => Self::Length,
            WantedError::Punycode => Self::Punycode,
            WantedError::NotAscii => Self::NotAscii,
            WantedError::Characters => Self::Characters,
            WantedError::Hyphens => Self::Hyphens,
            WantedError::Reserved(_) => Self::Reserved,
        }
    }
}

/// Every sub-domain taken: the regions' and the sign-ups' under way.
async fn taken(conn: &mut PgConnection) -> Result<Vec<String>, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT slug AS "slug!" FROM platform.tenants
           UNION SELECT slug FROM platform.signups WHERE status = 'pending'"#
    )
    .fetch_all(conn)
    .await
    .context("listing the sub-domains taken")
}

fn judge(input: &str, taken: &[String]) -> Availability {
    let slug = match parse_wanted(input) {
        Ok(s) => s,
        Err(e) => return Availability::Invalid { reason: WantedReason::from(&e) },
    };
    let free = |s: &str| !taken.iter().any(|t| t == s || skeleton(t) == skeleton(s));
    let alternative = || alternatives(slug.as_str()).into_iter().find(|a| free(a));
    if taken.iter().any(|t| t == slug.as_str()) {
        return Availability::Taken { alternative: alternative() };
    }
    if let Some(existing) = taken.iter().find(|t| skeleton(t) == skeleton(slug.as_str())) {
        return Availability::LooksLike { existing: existing.clone(), alternative: alternative() };
    }
    Availability::Available { slug: slug.to_string() }
}

/// Whether `input` can be had now (the form checks it as it is typed).
pub async fn availability(pool: &PgPool, input: &str) -> Result<Availability, CoreError> {
    let mut conn = pool.acquire().await.context("waiting for a connection")?;
    Ok(judge(input, &taken(&mut conn).await?))
}

/// A region just opened for a sign-up.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    pub signup_id: Uuid,
    pub tenant_id: Uuid,
    pub slug: String,
}

/// How a region is opened.
enum Opening<'a> {
    /// Without billing: in trial, for `billing.trial_days`, waiting for an operator's approval.
    Trial { days: i64 },
    /// Paid through Stripe.
    Paid { customer: &'a str, subscription: &'a str },
}

/// Billing off: opens the region now, in trial. A sub-domain taken meanwhile (another sign-up
/// racing for it) leaves nothing behind and says so.
pub async fn open_trial(
    db: &Db,
    platform_domain: &HostName,
    cfg: &BillingConfig,
    s: &Signup,
) -> Result<Result<Opened, Availability>, CoreError> {
    crate::db::retrying_serialization(|| open_trial_once(db, platform_domain, cfg, s)).await
}

async fn open_trial_once(
    db: &Db,
    platform_domain: &HostName,
    cfg: &BillingConfig,
    s: &Signup,
) -> Result<Result<Opened, Availability>, CoreError> {
    // The whole opening runs on the new region's cluster (the control plane's rows through it).
    let cluster = crate::clusters::place(db, None).await?;
    let mut tx = db.cluster(&cluster)?.begin().await.context("starting a transaction")?;
    let check = judge(s.slug.as_str(), &taken(&mut tx).await?);
    if !matches!(check, Availability::Available { .. }) {
        return Ok(Err(check));
    }
    let id = Uuid::new_v4();
    if let Err(refused) = insert(&mut tx, id, s, "opened").await? {
        return Ok(Err(refused));
    }
    match open_in(&mut tx, platform_domain, id, s, Opening::Trial { days: cfg.trial_days }, &cluster).await {
        Ok(opened) => {
            tx.commit().await.context("committing the new region")?;
            Ok(Ok(opened))
        }
        Err(CoreError::Conflict(_)) => Ok(Err(taken_now(db.platform(), s.slug.as_str()).await?)),
        Err(e) => Err(e),
    }
}

/// Billing on: holds the sign-up and reserves its sub-domain until it is paid. Returns its id
/// (Stripe's `client_reference_id`).
pub async fn reserve(pool: &PgPool, s: &Signup) -> Result<Result<Uuid, Availability>, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    // The same person trying again (a payment cancelled): their earlier hold gives way.
    sqlx::query!(
        "UPDATE platform.signups SET status = 'expired' WHERE slug = $1 AND email = $2 AND status = 'pending'",
        s.slug.as_str(),
        s.email.as_str()
    )
    .execute(&mut *tx)
    .await
    .context("releasing an earlier hold")?;
    let check = judge(s.slug.as_str(), &taken(&mut tx).await?);
    if !matches!(check, Availability::Available { .. }) {
        return Ok(Err(check));
    }
    let id = Uuid::new_v4();
    if let Err(refused) = insert(&mut tx, id, s, "pending").await? {
        return Ok(Err(refused));
    }
    tx.commit().await.context("committing a sign-up")?;
    Ok(Ok(id))
}

/// A sign-up as its pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub id: Uuid,
    pub organisation: String,
    pub contact_name: String,
    pub email: String,
    pub region_name: String,
    pub slug: String,
    pub locales: Vec<String>,
    /// `pending`, `opened`, `expired`.
    pub status: String,
    pub tenant_id: Option<Uuid>,
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<Held>, CoreError> {
    sqlx::query_as!(
        Held,
        "SELECT id, organisation, contact_name, email, region_name, slug, locales, status, tenant_id
           FROM platform.signups WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
    .context("reading a sign-up")
}

/// Records the Checkout Session made for a sign-up.
pub async fn set_checkout_session(pool: &PgPool, id: Uuid, session_id: &str) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.signups SET checkout_session_id = $2 WHERE id = $1", id, session_id)
        .execute(pool)
        .await
        .context("recording a checkout session")?;
    Ok(())
}

/// Forgets a sign-up whose payment could not even start (its sub-domain is free again).
pub async fn abandon(pool: &PgPool, id: Uuid) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.signups SET status = 'expired' WHERE id = $1 AND status = 'pending'", id)
        .execute(pool)
        .await
        .context("abandoning a sign-up")?;
    Ok(())
}

/// Stripe says the sign-up is paid: opens its region. Idempotent — a sign-up already opened
/// gives `None`. A sign-up that expired meanwhile still opens, under an alternative sub-domain
/// if its own was taken since.
pub async fn open_paid(
    db: &Db,
    platform_domain: &HostName,
    id: Uuid,
    customer: &str,
    subscription: &str,
) -> Result<Option<Opened>, CoreError> {
    crate::db::retrying_serialization(|| open_paid_once(db, platform_domain, id, customer, subscription)).await
}

async fn open_paid_once(
    db: &Db,
    platform_domain: &HostName,
    id: Uuid,
    customer: &str,
    subscription: &str,
) -> Result<Option<Opened>, CoreError> {
    let cluster = crate::clusters::place(db, None).await?;
    let mut tx = db.cluster(&cluster)?.begin().await.context("starting a transaction")?;
    let row = sqlx::query!(
        "SELECT organisation, contact_name, email, region_name, slug, locales, status
           FROM platform.signups WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("reading a sign-up")?
    .ok_or(CoreError::NotFound)?;
    if row.status == "opened" {
        return Ok(None);
    }
    let mut s = Signup {
        organisation: row.organisation,
        contact_name: DisplayName::parse(&row.contact_name).ok_or_else(|| CoreError::invalid("no contact name"))?,
        email: Email::parse(&row.email).ok_or_else(|| CoreError::invalid("no contact address"))?,
        region_name: row.region_name,
        slug: Slug::parse(&row.slug).map_err(|e| CoreError::invalid(e.to_string()))?,
        locales: row.locales.iter().filter_map(|l| Locale::parse(l)).collect(),
    };
    if row.status == "expired" {
        let others: Vec<String> = taken(&mut tx).await?;
        if let Availability::Taken { alternative } | Availability::LooksLike { alternative, .. } =
            judge(s.slug.as_str(), &others)
        {
            let alt = alternative.ok_or_else(|| CoreError::conflict("no free sub-domain for a paid sign-up"))?;
            s.slug = Slug::parse(&alt).map_err(|e| CoreError::invalid(e.to_string()))?;
        }
    }
    sqlx::query!("UPDATE platform.signups SET status = 'opened', slug = $2 WHERE id = $1", id, s.slug.as_str())
        .execute(&mut *tx)
        .await
        .context("marking a sign-up opened")?;
    let opened = open_in(&mut tx, platform_domain, id, &s, Opening::Paid { customer, subscription }, &cluster).await?;
    tx.commit().await.context("committing the new region")?;
    Ok(Some(opened))
}

async fn insert(
    tx: &mut PgConnection,
    id: Uuid,
    s: &Signup,
    status: &str,
) -> Result<Result<(), Availability>, CoreError> {
    let locales: Vec<&str> = s.locales.iter().map(|l| l.code()).collect();
    let done = sqlx::query!(
        "INSERT INTO platform.signups (id, organisation, contact_name, email, region_name, slug, locales, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        s.organisation,
        s.contact_name.as_str(),
        s.email.as_str(),
        s.region_name,
        s.slug.as_str(),
        &locales as &[&str],
        status
    )
    .execute(&mut *tx)
    .await;
    match done {
        Ok(_) => Ok(Ok(())),
        Err(e) if db_violation(&e).is_some_and(|(code, _)| code == UNIQUE_VIOLATION) => {
            Ok(Err(Availability::Taken { alternative: alternatives(s.slug.as_str()).into_iter().next() }))
        }
        Err(e) => Err(CoreError::Unexpected(anyhow::Error::from(e).context("recording a sign-up"))),
    }
}

/// What to tell a sign-up that lost a race for its sub-domain.
async fn taken_now(pool: &PgPool, slug: &str) -> Result<Availability, CoreError> {
    let mut conn = pool.acquire().await.context("waiting for a connection")?;
    let mut all = taken(&mut conn).await?;
    all.push(slug.to_owned());
    Ok(judge(slug, &all))
}

async fn open_in(
    tx: &mut PgConnection,
    platform_domain: &HostName,
    signup_id: Uuid,
    s: &Signup,
    how: Opening<'_>,
    cluster: &str,
) -> Result<Opened, CoreError> {
    let default = s.locales.first().copied().unwrap_or_default();
    let tenant_id = provision::create_in(
        tx,
        platform_domain,
        NewTenant {
            slug: s.slug.clone(),
            name: s.region_name.clone(),
            domains: Vec::new(),
            branding: Branding { locale: default, ..Branding::default() },
        },
        cluster,
    )
    .await?;
    let locales: Vec<&str> = s.locales.iter().map(|l| l.code()).collect();
    let (status, plan, trial_ends, customer, subscription, note) = match how {
        Opening::Trial { days } => (
            "trial",
            "trial",
            Some(OffsetDateTime::now_utc() + time::Duration::days(days)),
            None,
            None,
            "opened in trial by a sign-up",
        ),
        Opening::Paid { customer, subscription } => {
            ("active", "subscription", None, Some(customer), Some(subscription), "opened by a paid sign-up")
        }
    };
    sqlx::query!(
        "UPDATE platform.tenants
            SET status = $2, plan = $3, trial_ends_at = $4, stripe_customer_id = $5, stripe_subscription_id = $6,
                locales = $7, default_locale = $8
          WHERE id = $1",
        tenant_id,
        status,
        plan,
        trial_ends,
        customer,
        subscription,
        &locales as &[&str],
        default.code()
    )
    .execute(&mut *tx)
    .await
    .context("setting a new region's plan")?;
    lifecycle::opened(tx, tenant_id, "signup", note).await?;

    // The contact: an account of theirs (made when they have none: they sign in by the link
    // until they choose a password), a member here, its admin.
    sqlx::query!(
        "INSERT INTO platform.accounts (id, email, password_hash, home_tenant_id, locale) VALUES ($1, $2, '!', $3, $4)
         ON CONFLICT DO NOTHING",
        Uuid::new_v4(),
        s.email.as_str(),
        tenant_id,
        default.code()
    )
    .execute(&mut *tx)
    .await
    .context("creating the contact's account")?;
    let account_id = sqlx::query_scalar!("SELECT id FROM platform.accounts WHERE email = $1", s.email.as_str())
        .fetch_one(&mut *tx)
        .await
        .context("finding the contact's account")?;
    let profile =
        Profile { display_name: s.contact_name.clone(), kind: MemberKind::Person, audience: Some("mediator") };
    // `create_in` left the new region's schema selected.
    let member = accounts::join_on(tx, tenant_id, account_id, &profile).await?;
    sqlx::query!("UPDATE members SET role = 'admin' WHERE id = $1", member.id)
        .execute(&mut *tx)
        .await
        .context("making the contact the region's admin")?;
    sqlx::query!("UPDATE platform.signups SET tenant_id = $2, opened_at = now() WHERE id = $1", signup_id, tenant_id)
        .execute(&mut *tx)
        .await
        .context("recording the region of a sign-up")?;
    jobs::enqueue(tx, Some(tenant_id), JobKind::MailRegionOpened, &AccountJob { account_id }).await?;
    Ok(Opened { signup_id, tenant_id, slug: s.slug.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_taken_or_too_close_to_one_gets_an_alternative() {
        let taken = vec!["grenoble".to_owned(), "grenoble-sciences".to_owned()];
        assert_eq!(judge("Bretagne", &taken), Availability::Available { slug: "bretagne".into() });
        assert_eq!(judge("grenoble", &taken), Availability::Taken { alternative: Some("sciences-grenoble".into()) });
        assert_eq!(
            judge("gren0b1e", &taken),
            Availability::LooksLike { existing: "grenoble".into(), alternative: Some("sciences-gren0b1e".into()) }
        );
        assert_eq!(judge("www", &taken), Availability::Invalid { reason: WantedReason::Reserved });
    }
}
