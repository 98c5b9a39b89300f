//! URLs refused before any connection: the internal server behind them must count none.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use echos_fetch::{Refused, preview};
use tokio::net::TcpListener;

use crate::server::{INTERNAL, PUBLIC, Server, html, policy, reply};

const PAGE: &str = "<title>Internal</title>";

/// An internal server that would happily answer, so a fetcher that connected would succeed.
async fn internal() -> Server {
    Server::answering(INTERNAL, html(PAGE)).await
}

#[tokio::test]
async fn a_loopback_ip_is_refused_without_connecting() {
    let target = internal().await;
    let result = preview(&format!("http://127.0.0.1:{}/", target.addr.port()), &policy()).await;
    assert!(matches!(result, Err(Refused::Address(ip)) if ip == IpAddr::V4(Ipv4Addr::LOCALHOST)), "{result:?}");
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn the_ipv6_loopback_is_refused_without_connecting() {
    let listener = TcpListener::bind("[::1]:0").await;
    let page = Arc::new(html(PAGE));
    let target = listener.ok().map(|listener| Server::on(listener, move |stream, _| reply(stream, page.clone())));
    let port = target.as_ref().map_or(9, |server| server.addr.port());
    let result = preview(&format!("http://[::1]:{port}/"), &policy()).await;
    assert!(matches!(result, Err(Refused::Address(ip)) if ip == IpAddr::V6(Ipv6Addr::LOCALHOST)), "{result:?}");
    assert_eq!(target.map_or(0, |server| server.accepted()), 0);
}

#[tokio::test]
async fn an_ipv4_mapped_ipv6_loopback_is_refused() {
    let target = internal().await;
    let result = preview(&format!("http://[::ffff:127.0.0.1]:{}/", target.addr.port()), &policy()).await;
    assert!(matches!(result, Err(Refused::Address(_))), "{result:?}");
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn an_obfuscated_loopback_is_read_as_one() {
    let target = internal().await;
    for host in ["0x7f.1", "2130706433", "0177.0.0.1", "127.1"] {
        let result = preview(&format!("http://{host}:{}/", target.addr.port()), &policy()).await;
        assert!(
            matches!(result, Err(Refused::Address(ip)) if ip == IpAddr::V4(Ipv4Addr::LOCALHOST)),
            "{host}: {result:?}"
        );
    }
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_without_connecting() {
    let target = internal().await;
    let result = preview(&format!("http://localhost:{}/", target.addr.port()), &policy()).await;
    assert!(matches!(result, Err(Refused::Address(ip)) if ip.is_loopback()), "{result:?}");
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn an_exemption_covers_only_its_own_addresses() {
    let target = internal().await;
    let mut policy = policy();
    policy.allow.push("127.0.0.3/32".parse().unwrap());
    let result = preview(&target.url("/"), &policy).await;
    assert!(matches!(result, Err(Refused::Address(_))), "{result:?}");
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn schemes_other_than_http_and_https_are_refused() {
    for url in [
        "file:///etc/passwd",
        "ftp://127.0.0.2/",
        "gopher://127.0.0.2:70/",
        "data:text/html,<title>x</title>",
        "javascript:alert(1)",
        "ws://127.0.0.2/",
    ] {
        let result = preview(url, &policy()).await;
        assert!(matches!(result, Err(Refused::Scheme)), "{url}: {result:?}");
    }
}

#[tokio::test]
async fn credentials_in_the_url_are_refused_without_connecting() {
    let target = Server::answering(PUBLIC, html(PAGE)).await;
    let port = target.addr.port();
    for url in [format!("http://user@127.0.0.2:{port}/"), format!("http://user:secret@127.0.0.2:{port}/")] {
        let result = preview(&url, &policy()).await;
        assert!(matches!(result, Err(Refused::BadUrl)), "{url}: {result:?}");
    }
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn malformed_urls_are_refused() {
    for url in ["", "not a url", "http://", "http://exa mple.org/", "/relative/path"] {
        let result = preview(url, &policy()).await;
        assert!(matches!(result, Err(Refused::BadUrl)), "{url:?}: {result:?}");
    }
}
