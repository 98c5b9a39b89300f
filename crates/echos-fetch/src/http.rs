//! One HTTP/1.1 GET over a connection opened to an already checked address. The response is
//! classified here (redirect, error status, not HTML) so that only an HTML body is ever read, and
//! that body only up to the byte cap: then the connection is dropped, not drained.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use encoding_rs::Encoding;
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1;
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, LOCATION, USER_AGENT};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use url::{Host, Position, Url};

use crate::{Policy, Refused};

/// Headers and buffered body data are bounded by this, whatever the server sends.
const MAX_BUF: usize = 64 * 1024;

pub(crate) enum Outcome {
    /// The next URL, resolved against the current one but not yet checked.
    Redirect(Url),
    Page(Page),
}

pub(crate) struct Page {
    /// At most `max_bytes`.
    pub body: Vec<u8>,
    /// The `charset` of the Content-Type header, if it names a known encoding.
    pub charset: Option<&'static Encoding>,
}

/// GETs `url` from the first of `addrs` that accepts a connection.
/// What a fetch accepts: an HTML page (previews) or plain text (a verification token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    Html,
    Text,
    /// A picture: PNG, JPEG, WebP or GIF.
    Image,
    /// A JSON document (a geocoder's answer).
    Json,
}

pub(crate) async fn get(url: &Url, addrs: &[SocketAddr], policy: &Policy, expect: Expect) -> Result<Outcome, Refused> {
    let tcp = connect(addrs, policy).await?;
    if url.scheme() == "https" {
        let tls = tokio::time::timeout(policy.connect_timeout, tls_handshake(tcp, url))
            .await
            .map_err(|_| Refused::Timeout)??;
        exchange(tls, url, policy, expect).await
    } else {
        exchange(tcp, url, policy, expect).await
    }
}

async fn connect(addrs: &[SocketAddr], policy: &Policy) -> Result<TcpStream, Refused> {
    let mut last = Refused::Resolve;
    for addr in addrs {
        match tokio::time::timeout(policy.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = Refused::Connection(e.to_string()),
            Err(_) => last = Refused::Timeout,
        }
    }
    Err(last)
}

async fn tls_handshake(tcp: TcpStream, url: &Url) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Refused> {
    TlsConnector::from(tls_config()?).connect(server_name(url)?, tcp).await.map_err(connection)
}

/// Web PKI roots, the ring provider, HTTP/1.1 only.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, Refused> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(connection)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The name to verify the certificate against (and to send as SNI, which rustls omits for IPs).
fn server_name(url: &Url) -> Result<ServerName<'static>, Refused> {
    match url.host().ok_or(Refused::BadUrl)? {
        Host::Domain(name) => ServerName::try_from(name.to_owned()).map_err(|_| Refused::BadUrl),
        Host::Ipv4(ip) => Ok(ServerName::IpAddress(IpAddr::V4(ip).into())),
        Host::Ipv6(ip) => Ok(ServerName::IpAddress(IpAddr::V6(ip).into())),
    }
}

/// Sends the request and reads the response while driving the connection in this same task, so
/// that returning drops the socket.
async fn exchange<I>(io: I, url: &Url, policy: &Policy, expect: Expect) -> Result<Outcome, Refused>
where
    I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, conn) =
        http1::Builder::new().max_buf_size(MAX_BUF).handshake(TokioIo::new(io)).await.map_err(connection)?;
    let request = request(url, policy)?;
    let mut work = std::pin::pin!(async move {
        let response = sender.send_request(request).await.map_err(connection)?;
        classify(response, url, policy.max_bytes, expect).await
    });
    tokio::select! {
        outcome = &mut work => outcome,
        // The connection ended (closed or failed): the response side now finishes on its own.
        _ = conn => work.await,
    }
}

fn request(url: &Url, policy: &Policy) -> Result<Request<Empty<Bytes>>, Refused> {
    Request::get(&url[Position::BeforePath..Position::AfterQuery])
        .header(HOST, &url[Position::BeforeHost..Position::AfterPort])
        .header(ACCEPT, "text/html,application/xhtml+xml;q=0.9")
        .header(USER_AGENT, policy.user_agent.as_str())
        .body(Empty::new())
        .map_err(connection)
}

async fn classify(
    response: Response<Incoming>,
    url: &Url,
    max_bytes: usize,
    expect: Expect,
) -> Result<Outcome, Refused> {
    let status = response.status();
    if is_redirect(status) {
        let location = response.headers().get(LOCATION).ok_or(Refused::Status(status.as_u16()))?;
        let location = std::str::from_utf8(location.as_bytes()).map_err(|_| Refused::BadUrl)?;
        return Ok(Outcome::Redirect(url.join(location).map_err(|_| Refused::BadUrl)?));
    }
    if !status.is_success() {
        return Err(Refused::Status(status.as_u16()));
    }
    let charset = html_charset(response.headers(), expect)?;
    let body = read_capped(response.into_body(), max_bytes).await?;
    Ok(Outcome::Page(Page { body, charset }))
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Refuses anything but what is expected (HTML, or plain text); returns the declared charset.
fn html_charset(headers: &HeaderMap, expect: Expect) -> Result<Option<&'static Encoding>, Refused> {
    let value = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).ok_or(Refused::NotHtml)?;
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or_default().trim();
    let accepted = match expect {
        Expect::Html => mime.eq_ignore_ascii_case("text/html") || mime.eq_ignore_ascii_case("application/xhtml+xml"),
        Expect::Text => mime.eq_ignore_ascii_case("text/plain"),
        Expect::Json => mime.eq_ignore_ascii_case("application/json"),
        Expect::Image => {
            ["image/png", "image/jpeg", "image/webp", "image/gif"].iter().any(|m| mime.eq_ignore_ascii_case(m))
        }
    };
    if !accepted {
        return Err(Refused::NotHtml);
    }
    let charset = parts
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"'));
    Ok(charset.and_then(|label| Encoding::for_label(label.as_bytes())))
}

/// Reads at most `max` bytes. A body that breaks off after some data still yields that data.
async fn read_capped(mut body: Incoming, max: usize) -> Result<Vec<u8>, Refused> {
    let mut buf = Vec::with_capacity(max.min(MAX_BUF));
    while buf.len() < max {
        match body.frame().await {
            None => break,
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = max - buf.len();
                    buf.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(_)) if !buf.is_empty() => break,
            Some(Err(e)) => return Err(connection(e)),
        }
    }
    Ok(buf)
}

fn connection(e: impl std::fmt::Display) -> Refused {
    Refused::Connection(e.to_string())
}
