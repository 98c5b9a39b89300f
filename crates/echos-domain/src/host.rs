//! Host names as they arrive in a `Host` header, normalised so that one region has one spelling:
//! lower case, no port, no trailing dot, international names in their ASCII (punycode) form.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// A normalised host: a DNS name in ASCII form, or an IP literal (`127.0.0.1`, `[::1]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct HostName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("the host is empty")]
    Empty,
    #[error("the port is not a number between 0 and 65535")]
    Port,
    #[error("the host is not a valid domain name or IP address")]
    Invalid,
}

impl HostName {
    /// Parses a `Host` header value (or a configured domain): `Grenoble.Example.org.:8080` →
    /// `grenoble.example.org`, `Île-de-France.example` → `xn--le-de-france-4fb.example`.
    pub fn parse(input: &str) -> Result<Self, HostError> {
        if input.is_empty() {
            return Err(HostError::Empty);
        }
        if input.len() > 300 || input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(HostError::Invalid);
        }
        let host = strip_port(input)?;
        if let Some(inner) = host.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(HostError::Invalid)?;
            let ip: Ipv6Addr = inner.parse().map_err(|_| HostError::Invalid)?;
            return Ok(Self(format!("[{ip}]")));
        }
        let host = host.strip_suffix('.').unwrap_or(host);
        if host.is_empty() {
            return Err(HostError::Empty);
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Self(ip.to_string()));
        }
        let ascii = idna::domain_to_ascii_strict(host).map_err(|_| HostError::Invalid)?;
        if ascii.is_empty() || ascii.len() > 253 {
            return Err(HostError::Invalid);
        }
        for label in ascii.split('.') {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(HostError::Invalid);
            }
        }
        Ok(Self(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_ip(&self) -> bool {
        self.0.starts_with('[') || self.0.parse::<IpAddr>().is_ok()
    }

    /// `grenoble.localhost` for the region `grenoble` under the platform domain `localhost`.
    pub fn subdomain(&self, label: &str) -> Result<Self, HostError> {
        Self::parse(&format!("{label}.{}", self.0))
    }
}

/// Why a domain cannot be a region's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CustomDomainError {
    #[error("not a valid domain name")]
    Invalid,
    #[error("an IP address is not a domain")]
    IpLiteral,
    #[error("a local name cannot be reached from the Internet")]
    Local,
    #[error("the platform's own domain and its subdomains are given by the platform")]
    UnderPlatform,
}

/// A domain a region may add as its own: a public DNS name of at least two labels, not an IP,
/// not `localhost` or a local name, and not the platform's domain or under it.
pub fn custom_domain(input: &str, platform: &HostName) -> Result<HostName, CustomDomainError> {
    let trimmed = input.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    if trimmed.contains(':') && !trimmed.starts_with('[') {
        return Err(CustomDomainError::Invalid);
    }
    let host = HostName::parse(trimmed).map_err(|_| CustomDomainError::Invalid)?;
    if host.is_ip() {
        return Err(CustomDomainError::IpLiteral);
    }
    let name = host.as_str();
    let local = ["localhost", "local", "internal", "lan", "home", "test", "invalid", "example", "onion"];
    let last = name.rsplit('.').next().unwrap_or(name);
    if !name.contains('.') || local.contains(&last) {
        return Err(CustomDomainError::Local);
    }
    let platform = platform.as_str();
    if name == platform || name.ends_with(&format!(".{platform}")) {
        return Err(CustomDomainError::UnderPlatform);
    }
    Ok(host)
}

/// Removes a `:port` suffix, checking that the port is a number.
fn strip_port(input: &str) -> Result<&str, HostError> {
    let (host, port) = if input.starts_with('[') {
        match input.rfind("]:") {
            Some(i) => (&input[..=i], Some(&input[i + 2..])),
            None => (input, None),
        }
    } else {
        match input.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h, Some(p)),
            Some(_) => return Err(HostError::Invalid),
            None => (input, None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HostError::Port);
        }
        port.parse::<u16>().map_err(|_| HostError::Port)?;
    }
    Ok(host)
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_domain_is_a_public_name_outside_the_platforms() {
        let platform = HostName::parse("echosciences.fr").unwrap_or_else(|_| HostName(String::new()));
        assert_eq!(custom_domain("Sciences-Normandie.FR", &platform).map(|h| h.0), Ok("sciences-normandie.fr".into()));
        assert!(custom_domain("https://www.sciences-normandie.fr/", &platform).is_ok());
        assert_eq!(custom_domain("192.0.2.1", &platform), Err(CustomDomainError::IpLiteral));
        assert_eq!(custom_domain("[::1]", &platform), Err(CustomDomainError::IpLiteral));
        assert_eq!(custom_domain("localhost", &platform), Err(CustomDomainError::Local));
        assert_eq!(custom_domain("evil.localhost", &platform), Err(CustomDomainError::Local));
        assert_eq!(custom_domain("intranet", &platform), Err(CustomDomainError::Local));
        assert_eq!(custom_domain("echosciences.fr", &platform), Err(CustomDomainError::UnderPlatform));
        assert_eq!(custom_domain("grenoble.echosciences.fr", &platform), Err(CustomDomainError::UnderPlatform));
        assert_eq!(custom_domain("a b.fr", &platform), Err(CustomDomainError::Invalid));
        assert_eq!(custom_domain("exemple.fr:8080", &platform), Err(CustomDomainError::Invalid));
    }
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        HostName::parse(s).map(|h| h.0).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn lower_cases_and_strips_port_and_trailing_dot() {
        assert_eq!(ok("Grenoble.LOCALHOST"), "grenoble.localhost");
        assert_eq!(ok("grenoble.localhost:8080"), "grenoble.localhost");
        assert_eq!(ok("grenoble.localhost."), "grenoble.localhost");
        assert_eq!(ok("GRENOBLE.localhost.:443"), "grenoble.localhost");
    }

    #[test]
    fn converts_unicode_to_punycode_and_keeps_punycode() {
        assert_eq!(ok("Île-de-France.example"), "xn--le-de-france-4fb.example");
        assert_eq!(ok("xn--le-de-france-4fb.example"), "xn--le-de-france-4fb.example");
        assert_eq!(ok("échos.fr"), ok("ÉCHOS.fr"));
    }

    #[test]
    fn keeps_ip_literals_in_canonical_form() {
        assert_eq!(ok("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(ok("[::1]:8080"), "[::1]");
        assert_eq!(ok("[0:0::1]"), "[::1]");
        assert!(HostName::parse("[::1]").is_ok_and(|h| h.is_ip()));
    }

    #[test]
    fn refuses_empty_and_malformed_hosts() {
        assert_eq!(HostName::parse(""), Err(HostError::Empty));
        assert_eq!(HostName::parse(":8080"), Err(HostError::Empty));
        assert_eq!(HostName::parse("."), Err(HostError::Empty));
        assert_eq!(HostName::parse("a.example:99999"), Err(HostError::Port));
        assert_eq!(HostName::parse("a.example:"), Err(HostError::Port));
        assert_eq!(HostName::parse("a.example:80x"), Err(HostError::Port));
        for bad in [
            "a b.example",
            "a..example",
            "-a.example",
            "a_b.example",
            "a/b",
            "[::1",
            "::1",
            "a.example\n",
            "évil\u{0}.fr",
        ] {
            assert_eq!(HostName::parse(bad), Err(HostError::Invalid), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(s in "[a-zA-Z0-9.-]{1,40}(:[0-9]{1,4})?") {
            if let Ok(h) = HostName::parse(&s) {
                prop_assert_eq!(HostName::parse(h.as_str()), Ok(h.clone()));
            }
        }

        #[test]
        fn case_port_and_trailing_dot_never_change_the_host(s in "[a-z][a-z0-9]{0,20}(\\.[a-z][a-z0-9]{0,10}){0,3}", port in 1u16..) {
            let plain = HostName::parse(&s);
            prop_assert!(plain.is_ok());
            prop_assert_eq!(HostName::parse(&s.to_uppercase()), plain.clone());
            prop_assert_eq!(HostName::parse(&format!("{s}:{port}")), plain.clone());
            prop_assert_eq!(HostName::parse(&format!("{s}.")), plain);
        }

        #[test]
        fn never_panics_on_arbitrary_input(s in "\\PC{0,80}") {
            let _ = HostName::parse(&s);
        }
    }
}
