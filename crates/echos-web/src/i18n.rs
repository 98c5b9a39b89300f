//! Translation: catalogues in `locales/<code>.yml` (rust-i18n), `%{name}` placeholders.
//! The locale of a page is the visitor's choice (the `lang` cookie), else the region's default.

use echos_domain::Locale;

/// The message for `key` in `locale`, with `%{name}` replaced by the values given.
pub fn t(locale: Locale, key: &str, args: &[(&str, String)]) -> String {
    let text = rust_i18n::t!(key, locale = locale.code()).into_owned();
    args.iter().fold(text, |acc, (name, value)| acc.replace(&format!("%{{{name}}}"), value))
}
