//! CSV for spreadsheets: RFC 4180 quoting, and cells that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) turned into text with a leading
//! `'` — a member named `=HYPERLINK(…)` stays a name.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One cell, neutralised and quoted as needed.
pub fn cell(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r', ';']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// A document: a header row, then rows, CRLF line ends, UTF-8 with a byte-order mark (so that
/// spreadsheets open accents right).
pub fn document<R: AsRef<[String]>>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.as_ref().iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV download named `filename` (never cached: it is a member's or an admin's data).
pub fn attachment(filename: &str, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", filename.replace(['"', '\\', '\r', '\n'], ""));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_separators_are_quoted() {
        assert_eq!(cell("=HYPERLINK(\"http://evil\",\"x\")"), "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"");
        assert_eq!(cell("+33 6 12"), "'+33 6 12");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tcmd"), "'\tcmd");
        assert_eq!(cell("Musée, jardin"), "\"Musée, jardin\"");
        assert_eq!(cell("a\nb"), "\"a\nb\"");
        assert_eq!(cell("Marie Curie"), "Marie Curie");
        let doc = document(&["name"], [vec!["=1+1".to_owned()]]);
        assert_eq!(doc, "\u{feff}name\r\n'=1+1\r\n");
    }
}
