//! The sub-domain a science centre asks for when it opens a region: stricter than a `Slug` (which
//! operators may also give), and compared with the addresses already taken by their look.

use crate::slug::{RESERVED, Slug};

/// Words that only sign-ups may not take (operators can): they would pass for the platform's own
/// pages or services.
const RESERVED_FOR_SIGNUPS: &[&str] = &[
    "abuse",
    "account",
    "accounts",
    "billing",
    "cloud",
    "compte",
    "connexion",
    "console",
    "contact",
    "hostmaster",
    "info",
    "login",
    "news",
    "operateur",
    "operator",
    "ouvrir",
    "portal",
    "postmaster",
    "security",
    "shop",
    "signup",
    "store",
    "stripe",
    "webhook",
    "webmaster",
];

/// Why a wanted sub-domain is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WantedError {
    #[error("between 3 and 30 characters")]
    Length,
    #[error("an address in the xn-- form (punycode) cannot be chosen")]
    Punycode,
    #[error("only the letters a to z without accents, digits and hyphens")]
    NotAscii,
    #[error("only the letters a to z, digits and hyphens")]
    Characters,
    #[error("no hyphen at the start or end, nor two in a row")]
    Hyphens,
    #[error("“{0}” is reserved")]
    Reserved(String),
}

/// Parses what a science centre typed: trimmed and lower-cased, then held to 3–30 characters of
/// `a–z`, `0–9` and inner single hyphens, none of the reserved words.
pub fn parse_wanted(input: &str) -> Result<Slug, WantedError> {
    let s = input.trim().to_ascii_lowercase();
    if s.starts_with("xn--") {
        return Err(WantedError::Punycode);
    }
    if !s.is_ascii() {
        return Err(WantedError::NotAscii);
    }
    if !(3..=30).contains(&s.len()) {
        return Err(WantedError::Length);
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(WantedError::Characters);
    }
    if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err(WantedError::Hyphens);
    }
    let skel = skeleton(&s);
    if let Some(word) = RESERVED.iter().chain(RESERVED_FOR_SIGNUPS).find(|w| skeleton(w) == skel) {
        return Err(WantedError::Reserved((*word).to_owned()));
    }
    Slug::parse(&s).map_err(|_| WantedError::Reserved(s.clone()))
}

/// What a name looks like, for telling look-alikes apart: hyphens dropped, and the characters
/// that pass for one another made one (`0`/`o`, `1`/`l`/`i`, `rn`/`m`, `vv`/`w`, `5`/`s`, `3`/`e`).
pub fn skeleton(s: &str) -> String {
    let mapped: String = s
        .chars()
        .filter(|c| *c != '-')
        .map(|c| match c {
            '0' => 'o',
            '1' | 'i' | '|' => 'l',
            '3' => 'e',
            '5' => 's',
            '8' => 'b',
            c => c,
        })
        .collect();
    mapped.replace("rn", "m").replace("vv", "w")
}

/// Ready-made alternatives to a taken sub-domain, in the order they are offered.
pub fn alternatives(slug: &str) -> Vec<String> {
    let mut out = vec![format!("{slug}-sciences"), format!("sciences-{slug}")];
    out.extend((2..=9).map(|n| format!("{slug}-{n}")));
    out.retain(|s| parse_wanted(s).is_ok());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_name_is_accepted_lower_cased() {
        assert_eq!(parse_wanted(" Grenoble ").map(|s| s.to_string()), Ok("grenoble".into()));
        assert_eq!(parse_wanted("sud-ouest-2").map(|s| s.to_string()), Ok("sud-ouest-2".into()));
    }

    #[test]
    fn bad_names_are_refused_with_their_reason() {
        assert_eq!(parse_wanted("ab"), Err(WantedError::Length));
        assert_eq!(parse_wanted(&"a".repeat(31)), Err(WantedError::Length));
        assert_eq!(parse_wanted("xn--grnoble-bva"), Err(WantedError::Punycode));
        assert_eq!(parse_wanted("grenοble"), Err(WantedError::NotAscii), "a Greek omicron");
        assert_eq!(parse_wanted("région"), Err(WantedError::NotAscii));
        assert_eq!(parse_wanted("gre_noble"), Err(WantedError::Characters));
        assert_eq!(parse_wanted("-grenoble"), Err(WantedError::Hyphens));
        assert_eq!(parse_wanted("gre--noble"), Err(WantedError::Hyphens));
        for word in ["www", "admin", "api", "platform", "stripe", "billing"] {
            assert_eq!(parse_wanted(word), Err(WantedError::Reserved(word.into())), "{word}");
        }
        assert_eq!(parse_wanted("adrnin"), Err(WantedError::Reserved("admin".into())), "rn for m");
        assert_eq!(parse_wanted("p1atform"), Err(WantedError::Reserved("platform".into())));
        assert_eq!(parse_wanted("w-w-w"), Err(WantedError::Reserved("www".into())));
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        assert_eq!(skeleton("grenoble"), skeleton("gren0b1e"));
        assert_eq!(skeleton("normandie"), skeleton("norrnandie"));
        assert_eq!(skeleton("alpes"), skeleton("al-pes"));
        assert_ne!(skeleton("alpes"), skeleton("alps"));
    }

    #[test]
    fn alternatives_are_valid_names() {
        let alts = alternatives("grenoble");
        assert_eq!(alts[0], "grenoble-sciences");
        assert!(alts.iter().all(|a| parse_wanted(a).is_ok()));
        assert!(alternatives(&"a".repeat(30)).iter().all(|a| a.len() <= 30));
    }
}
