//! Link previews (title, description, image, site name) for the links that members curate.
//!
//! Threat model: the URL is typed by any member, and the fetch runs inside our network, so it is
//! a server-side request forgery (SSRF) vector: `http://169.254.169.254/` (cloud metadata),
//! `http://localhost:5432/`, an internal admin page, a name that resolves to `10.0.0.7`, or a
//! public page that redirects to one of those. Every hop is therefore checked before any byte is
//! sent: `http`/`https` only, no credentials, the host resolved here and *every* address judged by
//! [`is_public`], then a connection to one of those checked addresses (nothing re-resolves the name,
//! so DNS rebinding has no second lookup to win). Redirects are followed by hand, each one
//! re-checked. A hostile server can only waste bounded time and memory: timeouts on connect and on
//! the whole fetch, a byte cap on the body, HTTP/1.1 without cookies, compression or upgrades.

mod address;
mod extract;
mod http;

use std::net::IpAddr;
use std::time::Duration;

pub use address::is_public;

/// What a fetch may do. The defaults are the production ones.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Addresses exempted from the private-range ban (empty in production; tests and dev use it).
    pub allow: Vec<ipnet::IpNet>,
    /// Budget for establishing one connection (TCP, then TLS).
    pub connect_timeout: Duration,
    /// Budget for the whole preview: every hop, DNS, TLS, headers and body.
    pub total_timeout: Duration,
    /// The body is cut there, and what arrived is parsed.
    pub max_bytes: usize,
    pub max_redirects: u8,
    pub user_agent: String,
    /// Names answered without asking DNS (like curl's `--resolve`): for tests and staging only.
    pub resolve: Vec<(String, IpAddr)>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            connect_timeout: Duration::from_secs(3),
            total_timeout: Duration::from_secs(8),
            max_bytes: 512 * 1024,
            max_redirects: 3,
            user_agent: "EchosciencesBot/1.0 (link preview)".to_owned(),
            resolve: Vec::new(),
        }
    }
}

impl Policy {
    /// Whether a connection to `ip` is allowed: a public address, or one exempted by `allow`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allow.iter().any(|net| net.contains(&ip))
    }
}

/// What a page says about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Preview {
    /// The final URL, after redirects.
    pub url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// An absolute `http(s)` URL, resolved against the page URL; anything else is dropped.
    pub image: Option<String>,
    pub site_name: Option<String>,
}

/// Why no preview was made.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("only http and https links can be previewed")]
    Scheme,
    #[error("the link is malformed or carries credentials")]
    BadUrl,
    #[error("the host name could not be resolved")]
    Resolve,
    /// The address is for logs: shown to the member, it would map our internal names.
    #[error("the link points to a private or reserved address")]
    Address(IpAddr),
    #[error("the link redirects too many times")]
    TooManyRedirects,
    #[error("the site took too long to answer")]
    Timeout,
    #[error("the site answered with status {0}")]
    Status(u16),
    #[error("the link is not an HTML page (or, for a text, not plain text)")]
    NotHtml,
    #[error("the connection failed: {0}")]
    Connection(String),
}

/// Fetches `url` under `policy` and extracts its preview.
pub async fn preview(url: &str, policy: &Policy) -> Result<Preview, Refused> {
    tokio::time::timeout(policy.total_timeout, fetch_and_extract(url, policy)).await.map_err(|_| Refused::Timeout)?
}

async fn fetch_and_extract(url: &str, policy: &Policy) -> Result<Preview, Refused> {
    let (url, page) = fetch(url, policy, http::Expect::Html).await?;
    Ok(extract::preview(url, &page.body, page.charset))
}

/// Fetches a short plain-text document (a domain's verification token) under `policy`: the same
/// checks as a preview, `text/plain` only, at most `policy.max_bytes`.
pub async fn text(url: &str, policy: &Policy) -> Result<String, Refused> {
    utf8(url, policy, http::Expect::Text).await
}

/// Fetches a JSON document (a geocoder's answer) under `policy`: the same checks as a preview,
/// `application/json` only, at most `policy.max_bytes`.
pub async fn json(url: &str, policy: &Policy) -> Result<String, Refused> {
    utf8(url, policy, http::Expect::Json).await
}

/// A short UTF-8 document of the expected type, within `policy.total_timeout` in all.
async fn utf8(url: &str, policy: &Policy, expect: http::Expect) -> Result<String, Refused> {
    let (_, page) = tokio::time::timeout(policy.total_timeout, fetch(url, policy, expect))
        .await
        .map_err(|_| Refused::Timeout)??;
    String::from_utf8(page.body).map_err(|_| Refused::NotHtml)
}

/// Fetches a picture (a preview's image, to keep a copy on the platform) under `policy`: the
/// same checks, PNG, JPEG, WebP or GIF only, at most `policy.max_bytes`. The caller checks and
/// re-encodes the bytes as it does any upload.
pub async fn image(url: &str, policy: &Policy) -> Result<Vec<u8>, Refused> {
    let (_, page) = tokio::time::timeout(policy.total_timeout, fetch(url, policy, http::Expect::Image))
        .await
        .map_err(|_| Refused::Timeout)??;
    Ok(page.body)
}

async fn fetch(url: &str, policy: &Policy, expect: http::Expect) -> Result<(url::Url, http::Page), Refused> {
    let mut url = address::checked_url(url)?;
    for _hop in 0..=policy.max_redirects {
        let addrs = address::resolve(&url, policy).await?;
        match http::get(&url, &addrs, policy, expect).await? {
            http::Outcome::Redirect(next) => url = address::check(next)?,
            http::Outcome::Page(page) => return Ok((url, page)),
        }
    }
    Err(Refused::TooManyRedirects)
}
