//! What a person types to join: e-mail, password, display name, kind of member — parsed once.

use std::fmt;

use crate::HostName;

/// An e-mail address, trimmed and lower-cased, with a valid domain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim().to_lowercase();
        if s.len() > 254
            || s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';'))
        {
            return None;
        }
        let (local, domain) = s.rsplit_once('@')?;
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain.contains('.') {
            return None;
        }
        let host = HostName::parse(domain).ok()?;
        if host.is_ip() {
            return None;
        }
        Some(Self(format!("{local}@{host}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key an e-mail address is counted under by rate limits: what the same inbox would receive,
/// whatever the spelling — trimmed, compatibility-normalised (NFKC: `ｍａｒｉｅ` is `marie`), lower
/// case, without the invisible characters that change nothing on screen (soft hyphen, zero-width
/// spaces and joiners, variation selectors, the byte-order mark…).
pub fn limit_key(typed: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    typed.trim().nfkc().filter(|c| !is_default_ignorable(*c)).collect::<String>().to_lowercase()
}

/// Unicode's Default_Ignorable_Code_Point, the ranges that occur in typed text.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
}

/// A new password: 10 to 128 characters. Never printed.
pub struct Password(String);

impl Password {
    pub const MIN: usize = 10;
    pub const MAX: usize = 128;

    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < Self::MIN {
            Err(PasswordError::TooShort)
        } else if n > Self::MAX {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(input.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The name a member shows: 1–80 characters, no control characters, inner spaces collapsed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = s.chars().count();
        ((1..=80).contains(&n) && !s.chars().any(char::is_control)).then_some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A URL-friendly handle: `Marie Curie` → `marie-curie`, accents folded; `membre` if nothing
    /// is left. Uniqueness within a region is the caller's job.
    pub fn handle_base(&self) -> String {
        slugify(&self.0, 40).unwrap_or_else(|| "membre".into())
    }
}

/// Lower-case ASCII words joined by hyphens, accents folded, cut at a word boundary to at most
/// `max` characters; `None` when fewer than two characters are left.
pub fn slugify(text: &str, max: usize) -> Option<String> {
    let mut out = String::new();
    for c in text.chars().flat_map(fold) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut slug = out.trim_matches('-').to_owned();
    if slug.len() > max {
        // ASCII only by now, so any index is a character boundary.
        let cut = slug[..=max].rfind('-').unwrap_or(max);
        slug.truncate(cut);
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    (slug.len() >= 2).then_some(slug)
}

/// A character made plain ASCII: every Latin letter with its accent dropped (`Ò` → `O`, `ß` →
/// `ss`), other scripts transliterated (`Ж` → `Zh`); the Catalan middle dot of `l·l` vanishes.
fn fold(c: char) -> Vec<char> {
    if c == '·' {
        return Vec::new();
    }
    if c.is_ascii() {
        return vec![c];
    }
    // Letters and digits only: an emoji is not spelt out, it separates words.
    if !c.is_alphanumeric() {
        return vec![' '];
    }
    deunicode::deunicode_char(c).unwrap_or("").chars().collect()
}

/// A person, or a structure (museum, lab, university, association).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    Person,
    Structure,
}

impl MemberKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(Self::Person),
            "structure" => Some(Self::Structure),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Structure => "structure",
        }
    }
}

/// What a member may do in a region beyond their own contributions. Ordered: each role can do
/// what the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    /// Edits and features any contribution.
    Editor,
    /// Runs the region: its console, its members' roles, its moderation.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Editor, Role::Admin];

    /// The value stored in `members.role`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }

    /// Edits (and features) contributions that are not theirs.
    pub fn edits_any(self) -> bool {
        self >= Self::Editor
    }

    pub fn is_admin(self) -> bool {
        self == Self::Admin
    }
}

/// Who a person is in science culture, for the region's participation figures.
pub const AUDIENCES: &[&str] = &["mediator", "teacher", "student", "researcher", "curious", "other"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_inbox_share_a_limit_key() {
        let key = limit_key("marie@exemple.org");
        for same in [
            "Marie@Exemple.org",
            " marie@exemple.org ",
            "ma\u{00AD}rie@exemple.org",
            "ｍａｒｉｅ@exemple.org",
            "marie\u{200B}@exemple.org",
            "\u{FEFF}marie@exemple.org",
        ] {
            assert_eq!(limit_key(same), key, "{same:?}");
        }
        assert_ne!(limit_key("maria@exemple.org"), key);
    }

    #[test]
    fn e_mails_are_trimmed_lowered_and_checked() {
        assert_eq!(Email::parse("  Marie.Curie@Example.ORG ").map(|e| e.0), Some("marie.curie@example.org".into()));
        assert_eq!(Email::parse("a@échos.fr").map(|e| e.0), Some("a@xn--chos-9oa.fr".into()));
        for bad in [
            "",
            "nobody",
            "@example.org",
            "a@",
            "a@localhost",
            "a@127.0.0.1",
            "a b@example.org",
            "a@b@example.org",
            "<a>@x.org",
        ] {
            assert_eq!(Email::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn passwords_are_bounded_by_characters() {
        assert_eq!(Password::parse("123456789").err(), Some(PasswordError::TooShort));
        assert!(Password::parse("éééééééééé").is_ok());
        assert_eq!(Password::parse(&"x".repeat(129)).err(), Some(PasswordError::TooLong));
        assert_eq!(format!("{:?}", Password::parse("secret-secret").ok()), "Some(Password(***))");
    }

    #[test]
    fn display_names_make_readable_handles() {
        let h = |s: &str| DisplayName::parse(s).map(|d| d.handle_base());
        assert_eq!(h("  Marie   Curie "), Some("marie-curie".into()));
        assert_eq!(h("Muséum d'histoire naturelle"), Some("museum-d-histoire-naturelle".into()));
        assert_eq!(h("Col·legi"), Some("collegi".into()));
        assert_eq!(h("Òscar Ñúñez"), Some("oscar-nunez".into()), "every accented letter folds");
        assert_eq!(h("Ørsted Straße"), Some("orsted-strasse".into()));
        assert_eq!(h("Łukasz Żółw"), Some("lukasz-zolw".into()));
        assert_eq!(h("Жорес Алфёров"), Some("zhores-alfiorov".into()), "other scripts transliterated");
        assert_eq!(h("😀"), Some("membre".into()), "nothing left: the fallback");
        assert_eq!(DisplayName::parse("   "), None);
        assert_eq!(DisplayName::parse(&"x".repeat(81)), None);
    }
}
