//! Formatting shared by pages: dates in each language, and URL components.

use echos_domain::Locale;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the unreserved characters of RFC 3986 (`A–Z a–z 0–9 - . _ ~`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// The same, `/` kept.
const PATH: &AsciiSet = &COMPONENT.remove(b'/');

/// A value for a query string or a path segment.
pub fn urlencode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A local path for a query string (`/` kept readable).
pub fn urlencode_path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

/// `28 novembre 2026`, `28 November 2026`, `28 de novembre de 2026`.
pub fn long_date(d: time::Date, locale: Locale) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const CA: [&str; 12] = [
        "gener", "febrer", "març", "abril", "maig", "juny", "juliol", "agost", "setembre", "octubre", "novembre",
        "desembre",
    ];
    let i = usize::from(u8::from(d.month())) - 1;
    match locale {
        Locale::Fr => format!("{} {} {}", d.day(), FR[i], d.year()),
        Locale::En => format!("{} {} {}", d.day(), EN[i], d.year()),
        Locale::Ca => {
            let de = if matches!(CA[i].chars().next(), Some('a' | 'o')) { "d'" } else { "de " };
            format!("{} {de}{} de {}", d.day(), CA[i], d.year())
        }
    }
}

/// `samedi 12 mars 2027`, `Saturday 12 March 2027`, `dissabte 12 de març de 2027`.
pub fn day_date(d: time::Date, locale: Locale) -> String {
    const FR: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
    const EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    const CA: [&str; 7] = ["dilluns", "dimarts", "dimecres", "dijous", "divendres", "dissabte", "diumenge"];
    let i = usize::from(d.weekday().number_days_from_monday());
    let day = match locale {
        Locale::Fr => FR[i],
        Locale::En => EN[i],
        Locale::Ca => CA[i],
    };
    format!("{day} {}", long_date(d, locale))
}

/// `18 h 30` in French, `18:30` otherwise.
pub fn time_of_day(t: time::Time, locale: Locale) -> String {
    match (locale, t.minute()) {
        (Locale::Fr, 0) => format!("{} h", t.hour()),
        (Locale::Fr, m) => format!("{} h {m:02}", t.hour()),
        (_, m) => format!("{}:{m:02}", t.hour()),
    }
}

/// `janv. 2026`, `Jan 2026`, `gen. 2026`: a month on a chart's axis.
pub fn short_month(d: time::Date, locale: Locale) -> String {
    const FR: [&str; 12] =
        ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
    const EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const CA: [&str; 12] =
        ["gen.", "febr.", "març", "abr.", "maig", "juny", "jul.", "ag.", "set.", "oct.", "nov.", "des."];
    let i = usize::from(u8::from(d.month())) - 1;
    let m = match locale {
        Locale::Fr => FR[i],
        Locale::En => EN[i],
        Locale::Ca => CA[i],
    };
    format!("{m} {}", d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_naturally_in_each_language() {
        let d = time::macros::date!(2026 - 04 - 03);
        assert_eq!(long_date(d, Locale::Fr), "3 avril 2026");
        assert_eq!(long_date(d, Locale::En), "3 April 2026");
        assert_eq!(day_date(d, Locale::Fr), "vendredi 3 avril 2026");
        assert_eq!(time_of_day(time::macros::time!(18:30), Locale::Fr), "18 h 30");
        assert_eq!(time_of_day(time::macros::time!(9:00), Locale::Fr), "9 h");
        assert_eq!(time_of_day(time::macros::time!(9:05), Locale::En), "9:05");
        assert_eq!(long_date(d, Locale::Ca), "3 d'abril de 2026");
        assert_eq!(long_date(time::macros::date!(2026 - 11 - 28), Locale::Ca), "28 de novembre de 2026");
    }

    #[test]
    fn components_are_encoded_and_paths_stay_readable() {
        assert_eq!(urlencode("sciences & société/1"), "sciences%20%26%20soci%C3%A9t%C3%A9%2F1");
        assert_eq!(urlencode_path("/articles?tag=é"), "/articles%3Ftag%3D%C3%A9");
        assert_eq!(urlencode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
