//! What a region's admins configure, parsed: footer links, time zones, the map's tiles and
//! bounding box, colours with their contrast.

use crate::colour::Rgb;

/// A link in the footer: a label, and an `https://`/`http://` address or a local path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterLink {
    pub label: String,
    pub url: String,
}

impl FooterLink {
    pub fn parse(label: &str, url: &str) -> Option<Self> {
        let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
        let url = url.trim();
        let url_ok = (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
            && !url.starts_with("//")
            && url.len() <= 300
            && !url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\'));
        (!label.is_empty() && label.chars().count() <= 60 && url_ok && url.len() > 1)
            .then(|| Self { label, url: url.to_owned() })
    }
}

/// The time zones a region may choose: metropolitan France and its neighbours, and the French
/// overseas regions and territories.
pub const TIME_ZONES: &[&str] = &[
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Zurich",
    "Europe/Madrid",
    "Europe/Andorra",
    "Europe/Monaco",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Rome",
    "Europe/Berlin",
    "America/Guadeloupe",
    "America/Martinique",
    "America/Cayenne",
    "America/Miquelon",
    "America/Montreal",
    "Indian/Reunion",
    "Indian/Mayotte",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Wallis",
    "Atlantic/Canary",
    "UTC",
];

pub fn time_zone(input: &str) -> Option<&'static str> {
    TIME_ZONES.iter().copied().find(|z| *z == input.trim())
}

/// A tile server address: `https://`, with `{z}`, `{x}` and `{y}` (and optionally `{s}` or
/// `{r}`), nothing that could leave an attribute or a style.
pub fn tile_url(input: &str) -> Option<String> {
    let s = input.trim();
    let ok = s.starts_with("https://")
        && s.len() <= 300
        && ["{z}", "{x}", "{y}"].iter().all(|p| s.contains(p))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`'));
    ok.then(|| s.to_owned())
}

/// A bounding box typed as four numbers `min lon, min lat, max lon, max lat`.
pub fn bbox(input: &str) -> Option<[f64; 4]> {
    let n: Vec<f64> = input.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    let b: [f64; 4] = n.try_into().ok()?;
    let ok = b.iter().all(|v| v.is_finite())
        && (-180.0..=180.0).contains(&b[0])
        && (-180.0..=180.0).contains(&b[2])
        && (-90.0..=90.0).contains(&b[1])
        && (-90.0..=90.0).contains(&b[3])
        && b[0] < b[2]
        && b[1] < b[3];
    ok.then_some(b)
}

/// How a brand colour reads with the text the pages put on it (white or near-black, whichever
/// is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contrast {
    /// The contrast ratio of the text on the colour (1 to 21).
    pub ratio: f64,
    /// At least 4.5:1: WCAG AA for body text.
    pub passes_aa: bool,
    /// A darker shade of the colour on which white text passes, when this one does not.
    pub suggestion: Option<Rgb>,
}

pub fn contrast(colour: Rgb) -> Contrast {
    let ratio = colour.text_on().contrast(colour);
    let passes_aa = ratio >= 4.5;
    Contrast { ratio, passes_aa, suggestion: (!passes_aa).then(|| colour.ink_on_white()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_links_are_labelled_web_or_local_addresses() {
        assert!(FooterLink::parse("Le musée", "https://musee.example/visiter").is_some());
        assert!(FooterLink::parse("  Plan   du site ", "/a-propos").is_some_and(|l| l.label == "Plan du site"));
        for (label, url) in [
            ("", "https://a.example"),
            ("x", "javascript:alert(1)"),
            ("x", "//evil.example"),
            ("x", "https://a.example/\"onmouseover=\"x"),
            ("x", "data:text/html,<script>"),
            ("x", "/"),
        ] {
            assert!(FooterLink::parse(label, url).is_none(), "{label} {url}");
        }
    }

    #[test]
    fn tile_urls_bounding_boxes_and_zones_are_checked() {
        assert!(tile_url("https://tile.openstreetmap.org/{z}/{x}/{y}.png").is_some());
        assert!(tile_url("http://tile.example/{z}/{x}/{y}.png").is_none());
        assert!(tile_url("https://tile.example/{z}/{x}.png").is_none());
        assert!(tile_url("https://t.example/{z}/{x}/{y}.png');}</style>").is_none());
        assert_eq!(bbox("4.6, 44.6, 6.4, 45.9"), Some([4.6, 44.6, 6.4, 45.9]));
        for bad in ["1,2,3", "6,44,4,45", "a,b,c,d", "0,0,0,0", "-200,0,10,10", "0,-95,10,10"] {
            assert_eq!(bbox(bad), None, "{bad}");
        }
        assert_eq!(time_zone("Europe/Paris"), Some("Europe/Paris"));
        assert_eq!(time_zone("Mars/Olympus"), None);
    }

    #[test]
    fn a_pale_colour_fails_aa_and_gets_a_darker_suggestion_that_passes() {
        let yellow = Rgb::parse("#ffd400").unwrap_or(Rgb::INK);
        let c = contrast(yellow);
        assert!(c.passes_aa, "near-black text on yellow reads well: {}", c.ratio);
        let mid = Rgb::parse("#777777").unwrap_or(Rgb::INK);
        let c = contrast(mid);
        assert!(!c.passes_aa, "{}", c.ratio);
        let s = c.suggestion.unwrap_or(Rgb::WHITE);
        assert!(Rgb::WHITE.contrast(s) >= 4.5);
    }
}
