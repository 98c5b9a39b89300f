//! Which URLs and addresses a fetch may reach. IPv6 is judged by allow-list (global unicast
//! `2000::/3` only, minus its special blocks), IPv4 by the IANA special-purpose registry; an IPv4
//! address embedded in IPv6 (mapped, compatible, NAT64, 6to4) is judged as IPv4.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};
use url::{Host, Url};

use crate::{Policy, Refused};

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

const NOT_PUBLIC_V4: [Ipv4Net; 16] = [
    v4(0, 0, 0, 0, 8),       // "this network"
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // carrier-grade NAT
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local, cloud metadata (169.254.169.254)
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation
    v4(203, 0, 113, 0, 24),  // documentation
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved
    v4(255, 255, 255, 255, 32),
];

const GLOBAL_UNICAST_V6: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Blocks inside `2000::/3` that are not the open internet.
const NOT_PUBLIC_V6: [Ipv6Net; 3] = [
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo, ORCHID, …)
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
];

/// Whether `ip` is on the open internet. Loopback, private, link-local (cloud metadata
/// included), carrier-grade NAT, documentation, benchmarking, multicast and reserved ranges are
/// not, nor is IPv6 outside global unicast; an IPv4 address carried in IPv6 is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match embedded_v4(ip) {
            Some(inner) => is_public_v4(inner),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !NOT_PUBLIC_V4.iter().any(|net| net.contains(&ip))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    GLOBAL_UNICAST_V6.contains(&ip) && !NOT_PUBLIC_V6.iter().any(|net| net.contains(&ip))
}

/// The IPv4 address that an IPv6 one stands for, where packets to it reach that IPv4 host:
/// IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            Some(low(hi, lo))
        }
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// Parses `raw` and applies the rules that need no network.
pub(crate) fn checked_url(raw: &str) -> Result<Url, Refused> {
    check(Url::parse(raw.trim()).map_err(|_| Refused::BadUrl)?)
}

/// `http` or `https`, no credentials, a host.
pub(crate) fn check(url: Url) -> Result<Url, Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() || url.host().is_none() {
        return Err(Refused::BadUrl);
    }
    Ok(url)
}

/// Every address the URL's host stands for, each one permitted by `policy`; IP literals are not
/// looked up. The caller connects to these addresses, never to the name.
pub(crate) async fn resolve(url: &Url, policy: &Policy) -> Result<Vec<SocketAddr>, Refused> {
    let port = url.port_or_known_default().ok_or(Refused::BadUrl)?;
    let addrs: Vec<SocketAddr> = match url.host().ok_or(Refused::BadUrl)? {
        Host::Ipv4(ip) => vec![SocketAddr::new(ip.into(), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(ip.into(), port)],
        Host::Domain(name) => match policy.resolve.iter().find(|(n, _)| n == name) {
            Some((_, ip)) => vec![SocketAddr::new(*ip, port)],
            None => tokio::net::lookup_host((name, port)).await.map_err(|_| Refused::Resolve)?.collect(),
        },
    };
    all_permitted(addrs, policy)
}

/// A name with one forbidden address among public ones is refused whole: the resolver's order
/// is not ours to trust.
fn all_permitted(addrs: Vec<SocketAddr>, policy: &Policy) -> Result<Vec<SocketAddr>, Refused> {
    if let Some(denied) = addrs.iter().find(|addr| !policy.permits(addr.ip())) {
        return Err(Refused::Address(denied.ip()));
    }
    if addrs.is_empty() {
        return Err(Refused::Resolve);
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
        ips.iter().map(|ip| SocketAddr::new(ip.parse().unwrap(), 80)).collect()
    }

    #[test]
    fn one_forbidden_address_refuses_the_whole_name() {
        let policy = Policy { allow: vec!["127.0.0.2/32".parse().unwrap()], ..Policy::default() };
        let result = all_permitted(addrs(&["93.184.215.14", "127.0.0.2", "10.0.0.7", "8.8.8.8"]), &policy);
        assert!(matches!(result, Err(Refused::Address(ip)) if ip.to_string() == "10.0.0.7"), "{result:?}");
        assert_eq!(all_permitted(addrs(&["93.184.215.14", "127.0.0.2"]), &policy).unwrap().len(), 2);
        assert!(matches!(all_permitted(Vec::new(), &policy), Err(Refused::Resolve)));
    }
}
