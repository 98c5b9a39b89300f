//! What a member types to publish: titles, summaries, Markdown bodies and tags, parsed once.

/// The kinds of contribution. Each has its own list, page and form under its own path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Article,
    Link,
    Debate,
    Announcement,
    Dossier,
    Event,
    Place,
    Project,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Article,
        Kind::Link,
        Kind::Debate,
        Kind::Announcement,
        Kind::Dossier,
        Kind::Event,
        Kind::Place,
        Kind::Project,
    ];

    /// The value stored in `contributions.kind`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Link => "link",
            Kind::Debate => "debate",
            Kind::Announcement => "announcement",
            Kind::Dossier => "dossier",
            Kind::Event => "event",
            Kind::Place => "place",
            Kind::Project => "project",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The first segment of the kind's URLs: `/articles`, `/veille`, `/debats`, …
    pub fn segment(self) -> &'static str {
        match self {
            Kind::Article => "articles",
            Kind::Link => "veille",
            Kind::Debate => "debats",
            Kind::Announcement => "annonces",
            Kind::Dossier => "dossiers",
            Kind::Event => "evenements",
            Kind::Place => "lieux",
            Kind::Project => "projets",
        }
    }

    /// The key of its name in the header's menu (`layout.nav.<key>`).
    pub fn nav_key(self) -> &'static str {
        match self {
            Kind::Article => "articles",
            Kind::Link => "links",
            Kind::Debate => "debates",
            Kind::Announcement => "announcements",
            Kind::Dossier => "dossiers",
            Kind::Event => "events",
            Kind::Place => "places",
            Kind::Project => "projects",
        }
    }

    /// Whether it has a place on the map (and an address, coordinates).
    pub fn is_located(self) -> bool {
        matches!(self, Kind::Event | Kind::Place)
    }

    /// `/articles/12-le-titre`.
    pub fn url(self, id: i64, slug: &str) -> String {
        format!("/{}/{id}-{slug}", self.segment())
    }
}

/// Where a contribution stands. Only `Published` is shown to visitors; `Hidden` waits for a
/// moderator; `Deleted` is kept for the record and shown nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Published,
    Hidden,
    Deleted,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Draft, Status::Published, Status::Hidden, Status::Deleted];

    /// The value stored in `contributions.status`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Hidden => "hidden",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.code() == s)
    }
}

/// The kinds of announcement.
pub const ANNOUNCEMENT_KINDS: [&str; 4] = ["competition", "job", "call", "other"];

/// An announcement kind as stored, from the form's value.
pub fn announcement_kind(input: &str) -> Option<&'static str> {
    ANNOUNCEMENT_KINDS.into_iter().find(|k| *k == input.trim())
}

/// A closing date typed as `2026-12-31`: today or later.
pub fn closing_date(input: &str, today: time::Date) -> Result<time::Date, DateError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(input.trim(), &format).map_err(|_| DateError::Malformed)?;
    if d < today {
        return Err(DateError::Past);
    }
    if d > today + time::Duration::days(3 * 366) {
        return Err(DateError::TooFar);
    }
    Ok(d)
}

#[derive(Debug, PartialEq, Eq)]
pub enum DateError {
    Malformed,
    Past,
    TooFar,
}

/// A web address a member shares: http or https, with a host, at most 2 000 characters, no
/// user name or password in it.
pub fn web_url(input: &str) -> Option<String> {
    let s = input.trim();
    if s.len() > 2000 || s.chars().any(char::is_whitespace) {
        return None;
    }
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || authority.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    Some(format!("{scheme}://{rest}"))
}

/// The contributions a dossier gathers, typed one per line as their address
/// (`https://…/articles/12-le-titre`, `/debats/7`) or their number: the ids in order, without
/// repeats. `None` when a line is neither, or there are more than 50.
pub fn dossier_items(input: &str) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = match line.find("://") {
            Some(i) => {
                let after = &line[i + 3..];
                after.find('/').map_or("", |j| &after[j..])
            }
            None => line,
        };
        let last = if path.starts_with('/') {
            let mut parts = path.trim_start_matches('/').split('/');
            let segment = parts.next()?;
            Kind::ALL.into_iter().find(|k| k.segment() == segment)?;
            parts.next()?
        } else {
            path
        };
        let digits: String = last.chars().take_while(char::is_ascii_digit).collect();
        let id: i64 = digits.parse().ok()?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    (out.len() <= 50).then_some(out)
}

/// A title: trimmed, inner spaces collapsed, 1–200 characters.
pub fn title(input: &str) -> Option<String> {
    let s = collapse(input);
    (1..=200).contains(&s.chars().count()).then_some(s)
}

/// A summary: trimmed, at most 500 characters (may be empty).
pub fn summary(input: &str) -> Option<String> {
    let s = collapse(input);
    (s.chars().count() <= 500).then_some(s)
}

/// A Markdown body: 1–100 000 characters, line endings made `\n`.
pub fn body(input: &str) -> Option<String> {
    let s = input.replace("\r\n", "\n").trim().to_owned();
    (1..=100_000).contains(&s.chars().count()).then_some(s)
}

/// One tag: lower case, no leading `#`, inner spaces collapsed, 1–40 characters.
pub fn tag(input: &str) -> Option<String> {
    let s = collapse(input.trim().trim_start_matches('#')).to_lowercase();
    let n = s.chars().count();
    ((1..=40).contains(&n) && !s.chars().any(|c| c.is_control() || matches!(c, ',' | '<' | '>' | '/' | '?' | '#')))
        .then_some(s)
}

/// Tags typed as `astronomie, Jeunesse,  #ciel` → `["astronomie", "jeunesse", "ciel"]`: at most
/// 10, deduplicated, in the order typed.
pub fn tags(input: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let t = tag(part)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    (out.len() <= 10).then_some(out)
}

/// A URL slug from a title: `La Lune, enfin !` → `la-lune-enfin`.
pub fn slug(title: &str) -> String {
    crate::member::slugify(title, 80).unwrap_or_else(|| "contribution".into())
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  La   Lune  "), Some("La Lune".into()));
        assert_eq!(title("   "), None);
        assert_eq!(title(&"x".repeat(201)), None);
    }

    #[test]
    fn tags_are_normalised_deduplicated_and_bounded() {
        assert_eq!(
            tags("Astronomie, #ciel,  astronomie , Jeunes  publics"),
            Some(vec!["astronomie".into(), "ciel".into(), "jeunes publics".into()])
        );
        assert_eq!(tags(""), Some(vec![]));
        assert_eq!(tags("a,b,c,d,e,f,g,h,i,j,k"), None);
        assert_eq!(tags("<script>"), None);
        assert_eq!(tags(&"x".repeat(41)), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        assert_eq!(Kind::Link.url(3, "un-lien"), "/veille/3-un-lien");
        assert_eq!(Kind::from_code("event"), Some(Kind::Event));
        assert_eq!(Kind::Event.url(4, "nuit"), "/evenements/4-nuit");
        assert_eq!(Kind::from_code("project"), Some(Kind::Project));
        assert_eq!(Kind::from_code("poll"), None);
    }

    #[test]
    fn closing_dates_are_today_or_later() {
        let today = time::macros::date!(2026 - 11 - 28);
        assert_eq!(closing_date("2026-11-28", today), Ok(today));
        assert_eq!(closing_date("2026-11-27", today), Err(DateError::Past));
        assert_eq!(closing_date("28/11/2026", today), Err(DateError::Malformed));
        assert_eq!(closing_date("2040-01-01", today), Err(DateError::TooFar));
    }

    #[test]
    fn web_urls_are_http_only() {
        assert_eq!(web_url(" https://example.org/a?b=c "), Some("https://example.org/a?b=c".into()));
        assert_eq!(web_url("HTTP://example.org"), Some("http://example.org".into()));
        assert_eq!(web_url("javascript:alert(1)"), None);
        assert_eq!(web_url("file:///etc/passwd"), None);
        assert_eq!(web_url("https://user:pw@example.org/"), None);
        assert_eq!(web_url("https:///nohost"), None);
        assert_eq!(web_url("https://exa mple.org"), None);
    }

    #[test]
    fn dossier_items_are_read_from_addresses_or_numbers() {
        assert_eq!(
            dossier_items("https://grenoble.localhost/articles/12-la-lune\n\n/debats/7\n  3 \n12"),
            Some(vec![12, 7, 3])
        );
        assert_eq!(dossier_items("/membres/alice"), None);
        assert_eq!(dossier_items("n’importe quoi"), None);
        assert_eq!(dossier_items(""), Some(vec![]));
    }

    #[test]
    fn slugs_read_well() {
        assert_eq!(slug("La Lune, enfin !"), "la-lune-enfin");
        assert_eq!(slug("Éclipse à Grenoble"), "eclipse-a-grenoble");
        let long = slug("Fête de la science : quarante laboratoires ouvrent leurs portes au public pendant dix jours");
        assert!(long.len() <= 80 && !long.ends_with('-') && long.ends_with("pendant"), "{long}");
    }
}
