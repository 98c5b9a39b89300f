//! Rate limits on sign-in, sign-up and password reset, by client address and by account, so that
//! guessing passwords or flooding someone's inbox is slow; and on writing (contributions, comments,
//! images), so that an account cannot flood a region or make the server fetch link after link. Fixed windows counted in this process
//! (moka, entries expire with their window); each replica counts on its own.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use echos_domain::Locale;
use moka::sync::Cache;

use crate::error::WebError;
use crate::forms::too_many;
use crate::gate::SignedIn;
use crate::i18n::t;
use crate::session::ClientAddress;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    SignIn,
    SignUp,
    Reset,
    Write,
    /// Images sent (avatars, covers, images in the text, the look's).
    Upload,
    /// Mail to an address the member typed (a change of address, a structure's manager).
    MailOut,
}

impl Action {
    /// (attempts, window) per client address.
    fn per_address(self) -> (u32, Duration) {
        match self {
            Self::SignIn => (20, Duration::from_secs(300)),
            Self::SignUp => (10, Duration::from_secs(3600)),
            Self::Reset => (10, Duration::from_secs(3600)),
            Self::Write => (300, Duration::from_secs(3600)),
            Self::Upload => (120, Duration::from_secs(3600)),
            Self::MailOut => (20, Duration::from_secs(3600)),
        }
    }

    /// (attempts, window) per account (e-mail, or id for writing).
    fn per_account(self) -> (u32, Duration) {
        match self {
            Self::SignIn => (8, Duration::from_secs(900)),
            Self::SignUp => (3, Duration::from_secs(3600)),
            Self::Reset => (3, Duration::from_secs(3600)),
            Self::Write => (60, Duration::from_secs(3600)),
            Self::Upload => (40, Duration::from_secs(3600)),
            Self::MailOut => (5, Duration::from_secs(3600)),
        }
    }
}

/// The counters of one process. `scale` multiplies every allowance (tests use a small one).
#[derive(Clone)]
pub struct Limiter {
    windows: Vec<(Action, bool, Cache<String, Arc<AtomicU32>>)>,
    scale: f64,
}

impl Limiter {
    pub fn new(scale: f64) -> Self {
        let mut windows = Vec::new();
        for action in [Action::SignIn, Action::SignUp, Action::Reset, Action::Write, Action::Upload, Action::MailOut] {
            for by_account in [false, true] {
                let (_, window) = if by_account { action.per_account() } else { action.per_address() };
                windows.push((action, by_account, Cache::builder().max_capacity(200_000).time_to_live(window).build()));
            }
        }
        Self { windows, scale }
    }

    /// Counts one attempt; `Err(retry_after_secs)` when over the limit. `region` keeps one
    /// region's traffic from spending another's allowance.
    pub fn check(&self, action: Action, region: &str, address: &str, account: Option<&str>) -> Result<(), u64> {
        let mut keys = vec![(false, format!("{region}|{address}"))];
        if let Some(a) = account {
            keys.push((true, echos_domain::member::limit_key(a)));
        }
        for (by_account, key) in keys {
            let (limit, window) = if by_account { action.per_account() } else { action.per_address() };
            let limit = ((f64::from(limit) * self.scale).ceil() as u32).max(1);
            let Some((_, _, cache)) = self.windows.iter().find(|(a, b, _)| *a == action && *b == by_account) else {
                continue;
            };
            let count = cache.get_with(key, || Arc::new(AtomicU32::new(0)));
            if count.fetch_add(1, Ordering::Relaxed) >= limit {
                return Err(window.as_secs());
            }
        }
        Ok(())
    }
}

/// Why a member may not write just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The region asks for a confirmed address first (`registration.requires_confirmation`).
    ConfirmFirst,
    /// Suspended by the region's admins until this day.
    Suspended(String),
    /// A new account has published its allowance for this hour (`publishing.new_account_*`).
    NewAccount(i64),
    /// Over the writing allowance: retry after this many seconds.
    TooMany(u64),
}

impl Hold {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::ConfirmFirst | Self::Suspended(_) => StatusCode::FORBIDDEN,
            Self::NewAccount(_) | Self::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        match self {
            Self::ConfirmFirst => t(locale, "contributions.errors.confirm_first", &[]),
            Self::Suspended(until) => t(locale, "contributions.errors.suspended", &[("date", until.clone())]),
            Self::NewAccount(n) => t(locale, "contributions.errors.new_account", &[("n", n.to_string())]),
            Self::TooMany(_) => t(locale, "contributions.errors.rate_limited", &[]),
        }
    }

    /// The answer (a form re-shown, a JSON refusal…) with `Retry-After` when it is a 429.
    pub fn answer(&self, resp: Result<Response, WebError>) -> Result<Response, WebError> {
        match self {
            Self::TooMany(wait) => too_many(resp, *wait),
            Self::NewAccount(_) => too_many(resp, 3600),
            Self::ConfirmFirst | Self::Suspended(_) => resp,
        }
    }
}

/// What a member is about to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writing {
    /// A new contribution: new accounts are held to their hourly allowance.
    Contribution,
    /// A comment, an image, an edit.
    Other,
}

/// Whether this member may write now: not suspended, a confirmed address where the region asks
/// for one, a new account within its hourly allowance of contributions, and — when `counted`
/// gives the client's address — within the writing allowance (the attempt counts).
pub async fn may_write(
    app: &AppState,
    me: &SignedIn,
    writing: Writing,
    counted: Option<&ClientAddress>,
) -> Result<Option<Hold>, WebError> {
    if let Some(until) = me.member.suspended_until.filter(|_| me.member.is_suspended()) {
        return Ok(Some(Hold::Suspended(crate::format::long_date(until.date(), me.tenant.default_locale))));
    }
    let member_id = me.member.id;
    let joined = me.member.joined_at;
    let (settings, published_last_hour) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let s = echos_core::settings::region(tx).await?;
                let new = joined > time::OffsetDateTime::now_utc() - time::Duration::hours(s.new_account_hours);
                let recent = if new && writing == Writing::Contribution {
                    echos_core::contributions::created_since(tx, member_id, time::Duration::hours(1)).await?
                } else {
                    0
                };
                Ok((s, recent))
            })
        })
        .await?;
    if settings.requires_confirmation && !echos_core::accounts::is_confirmed(app.db.platform(), me.account_id).await? {
        return Ok(Some(Hold::ConfirmFirst));
    }
    if published_last_hour >= settings.new_account_per_hour {
        return Ok(Some(Hold::NewAccount(settings.new_account_per_hour)));
    }
    if let Some(address) = counted
        && let Err(wait) =
            app.limiter.check(Action::Write, &me.tenant.slug, &address.0, Some(&me.account_id.to_string()))
    {
        return Ok(Some(Hold::TooMany(wait)));
    }
    Ok(None)
}

/// The client's address: the TCP peer, unless it is a trusted proxy — then the right-most hop of
/// `X-Forwarded-For` that is not itself a trusted proxy (hops to its left are whatever the client
/// chose to send, and are never believed).
pub fn client_address(headers: &HeaderMap, extensions: &Extensions, trusted: &[ipnet::IpNet]) -> String {
    let peer: Option<IpAddr> = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let Some(ip) = peer else { return "unknown".into() };
    forwarded_client(headers, ip, trusted).to_string()
}

fn forwarded_client(headers: &HeaderMap, peer: IpAddr, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    hops.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_after_its_allowance_and_others_are_not() {
        let l = Limiter::new(0.25);
        let allowed = (20.0_f64 * 0.25).ceil() as usize;
        for _ in 0..allowed {
            assert!(l.check(Action::SignIn, "r", "1.2.3.4", None).is_ok());
        }
        assert_eq!(l.check(Action::SignIn, "r", "1.2.3.4", None), Err(300));
        assert!(l.check(Action::SignIn, "r", "5.6.7.8", None).is_ok());
        assert!(l.check(Action::SignIn, "other-region", "1.2.3.4", None).is_ok());
    }

    #[test]
    fn only_trusted_proxies_are_believed_and_the_right_most_untrusted_hop_is_the_client() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())];
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", v.parse().unwrap_or_else(|_| unreachable!()));
            h
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or_else(|_| unreachable!());
        // From anyone else, the header is ignored.
        assert_eq!(forwarded_client(&headers("1.1.1.1"), ip("203.0.113.9"), &trusted), ip("203.0.113.9"));
        // Through the proxy: a client-made first hop is skipped, the proxy's view is kept.
        assert_eq!(forwarded_client(&headers("6.6.6.6, 198.51.100.7"), ip("10.0.0.2"), &trusted), ip("198.51.100.7"));
        assert_eq!(forwarded_client(&headers("198.51.100.7, 10.0.0.5"), ip("10.0.0.2"), &trusted), ip("198.51.100.7"));
        // Garbage: the proxy is the client.
        assert_eq!(forwarded_client(&headers("nonsense"), ip("10.0.0.2"), &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn an_account_is_stopped_whatever_the_address() {
        let l = Limiter::new(1.0);
        for i in 0..8 {
            assert!(l.check(Action::SignIn, "r", &format!("10.0.0.{i}"), Some("a@b.org")).is_ok());
        }
        assert!(l.check(Action::SignIn, "r", "10.0.0.99", Some("A\u{00AD}@B.org")).is_err(), "the same inbox");
    }
}
