//! Redirects are followed by hand, each hop checked again before it is connected to.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use echos_fetch::{Refused, preview};

use crate::server::{INTERNAL, PUBLIC, Server, html, policy, redirect, reply};

#[tokio::test]
async fn a_redirect_to_loopback_is_refused_before_connecting() {
    let internal = Server::answering(INTERNAL, html("<title>Internal</title>")).await;
    let public = Server::answering(PUBLIC, redirect("302 Found", &internal.url("/admin"))).await;
    let result = preview(&public.url("/"), &policy()).await;
    assert!(matches!(result, Err(Refused::Address(ip)) if ip == IpAddr::V4(Ipv4Addr::LOCALHOST)), "{result:?}");
    assert_eq!(public.accepted(), 1);
    assert_eq!(internal.accepted(), 0);
}

#[tokio::test]
async fn a_redirect_to_a_name_resolving_to_loopback_is_refused() {
    let internal = Server::answering(INTERNAL, html("<title>Internal</title>")).await;
    let location = format!("http://localhost:{}/", internal.addr.port());
    let public = Server::answering(PUBLIC, redirect("301 Moved Permanently", &location)).await;
    let result = preview(&public.url("/"), &policy()).await;
    assert!(matches!(result, Err(Refused::Address(ip)) if ip.is_loopback()), "{result:?}");
    assert_eq!(internal.accepted(), 0);
}

#[tokio::test]
async fn a_redirect_to_another_scheme_or_to_credentials_is_refused() {
    for (location, refusal) in
        [("file:///etc/passwd", "Scheme"), ("gopher://127.0.0.2/", "Scheme"), ("http://u:p@127.0.0.2/", "BadUrl")]
    {
        let public = Server::answering(PUBLIC, redirect("307 Temporary Redirect", location)).await;
        let result = preview(&public.url("/"), &policy()).await;
        assert!(format!("{result:?}").contains(refusal), "{location}: {result:?}");
    }
}

#[tokio::test]
async fn endless_redirects_stop_after_the_allowed_number() {
    for max_redirects in [0, 3] {
        let public = Server::answering(PUBLIC, redirect("302 Found", "/again")).await;
        let policy = echos_fetch::Policy { max_redirects, ..policy() };
        let result = preview(&public.url("/"), &policy).await;
        assert!(matches!(result, Err(Refused::TooManyRedirects)), "{result:?}");
        assert_eq!(public.accepted(), usize::from(max_redirects) + 1);
    }
}

#[tokio::test]
async fn exactly_the_allowed_number_of_redirects_is_followed() {
    // Hop n answers with a redirect to `hop{n+1}`, relative to the current URL, until the page.
    let hops = Arc::new(vec![
        redirect("301 Moved Permanently", "/a/hop1?x=1"),
        redirect("302 Found", "hop2"),
        redirect("303 See Other", "../b/hop3"),
        html("<title>Arrived</title>"),
    ]);
    let public = Server::start(PUBLIC, move |stream, n| reply(stream, Arc::new(hops[n.min(3)].clone()))).await;
    let preview = preview(&public.url("/start"), &policy()).await.unwrap();
    assert_eq!(preview.url, public.url("/b/hop3"));
    assert_eq!(preview.title.as_deref(), Some("Arrived"));
    assert_eq!(public.accepted(), 4);
}

#[tokio::test]
async fn a_redirect_without_location_is_an_error_status() {
    let public = Server::answering(PUBLIC, crate::server::response("302 Found", &[], "")).await;
    let result = preview(&public.url("/"), &policy()).await;
    assert!(matches!(result, Err(Refused::Status(302))), "{result:?}");
}
