//! The three catalogues (`crates/echos-web/locales/{fr,en,ca}.yml`) hold the same keys, with the
//! same `%{placeholders}` in each message: a page never shows a key, in any language.

use std::collections::{BTreeMap, BTreeSet};

/// The dotted keys of a catalogue and each message's placeholders. The catalogues are nested
/// maps of quoted strings, two spaces a level: that is all this reads.
fn catalogue(code: &str) -> BTreeMap<String, BTreeSet<String>> {
    let path = format!("{}/../crates/echos-web/locales/{code}.yml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut path_stack: Vec<(usize, String)> = Vec::new();
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let (key, value) = trimmed.split_once(':').unwrap_or_else(|| panic!("{code}.yml:{}: no key", n + 1));
        while path_stack.last().is_some_and(|(i, _)| *i >= indent) {
            path_stack.pop();
        }
        let full = path_stack.iter().map(|(_, k)| k.as_str()).chain([key.trim()]).collect::<Vec<_>>().join(".");
        let value = value.trim();
        if value.is_empty() {
            path_stack.push((indent, key.trim().to_owned()));
            continue;
        }
        let placeholders = value
            .split("%{")
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        assert!(out.insert(full.clone(), placeholders).is_none(), "{code}.yml: {full} twice");
    }
    out
}

#[test]
fn french_english_and_catalan_hold_the_same_keys_and_placeholders() {
    let fr = catalogue("fr");
    assert!(fr.len() > 100, "the French catalogue was read ({} keys)", fr.len());
    for code in ["en", "ca"] {
        let other = catalogue(code);
        let missing: Vec<_> = fr.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !fr.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{code}.yml lacks {missing:?}");
        assert!(extra.is_empty(), "{code}.yml has keys French lacks: {extra:?}");
        for (key, names) in &fr {
            assert_eq!(&other[key], names, "{code}.yml: {key} has other placeholders than in French");
        }
    }
}
