//! What a member types to publish: titles, summaries, Markdown bodies and tags, parsed once.

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
    fn slugs_read_well() {
        assert_eq!(slug("La Lune, enfin !"), "la-lune-enfin");
        assert_eq!(slug("Éclipse à Grenoble"), "eclipse-a-grenoble");
        let long = slug("Fête de la science : quarante laboratoires ouvrent leurs portes au public pendant dix jours");
        assert!(long.len() <= 80 && !long.ends_with('-') && long.ends_with("pendant"), "{long}");
    }
}
