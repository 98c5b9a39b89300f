//! An iCalendar (RFC 5545) writer for the agenda's feeds and an event's `.ics`: text values
//! escaped (`\`, `;`, `,`, line breaks), lines folded at 75 octets on character boundaries, CRLF
//! line ends, times in UTC (`…Z`) or whole days (`VALUE=DATE`), stable `UID`s given by the caller.
//! Written by hand: the few properties we need, with `time` rather than another date library.

use std::fmt::Write as _;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

const STAMP: &[FormatItem<'_>] = format_description!("[year][month][day]T[hour][minute][second]Z");
const DAY: &[FormatItem<'_>] = format_description!("[year][month][day]");

/// When an event starts or ends: an instant, or a whole day (the end day is exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    At(OffsetDateTime),
    Day(Date),
}

/// One `VEVENT`.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Stable across downloads: the same occurrence has the same `UID` every time.
    pub uid: String,
    pub stamp: OffsetDateTime,
    pub start: When,
    pub end: When,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub url: &'a str,
    /// Latitude, longitude.
    pub geo: Option<(f64, f64)>,
    pub categories: &'a [String],
}

/// A calendar being written.
pub struct Calendar {
    out: String,
}

impl Calendar {
    /// `name`: what a calendar application shows for it (`X-WR-CALNAME`).
    pub fn new(name: &str) -> Self {
        let mut c = Calendar { out: String::with_capacity(4096) };
        c.line("BEGIN:VCALENDAR");
        c.line("VERSION:2.0");
        c.line("PRODID:-//Echosciences//Agenda//FR");
        c.line("CALSCALE:GREGORIAN");
        c.line("METHOD:PUBLISH");
        c.property("X-WR-CALNAME", "", name);
        c
    }

    pub fn event(&mut self, e: &Event<'_>) {
        self.line("BEGIN:VEVENT");
        self.property("UID", "", &e.uid);
        self.raw("DTSTAMP", "", &utc(e.stamp));
        self.when("DTSTART", e.start);
        self.when("DTEND", e.end);
        self.property("SUMMARY", "", e.summary);
        if !e.description.is_empty() {
            self.property("DESCRIPTION", "", e.description);
        }
        if !e.location.is_empty() {
            self.property("LOCATION", "", e.location);
        }
        if let Some((lat, lon)) = e.geo {
            self.raw("GEO", "", &format!("{lat:.6};{lon:.6}"));
        }
        if !e.categories.is_empty() {
            let list: Vec<String> = e.categories.iter().map(|c| escape(c)).collect();
            self.raw("CATEGORIES", "", &list.join(","));
        }
        if !e.url.is_empty() {
            self.raw("URL", ";VALUE=URI", &e.url.replace(['\r', '\n'], ""));
        }
        self.line("END:VEVENT");
    }

    pub fn finish(mut self) -> String {
        self.line("END:VCALENDAR");
        self.out
    }

    fn when(&mut self, name: &str, w: When) {
        match w {
            When::At(t) => self.raw(name, "", &utc(t)),
            When::Day(d) => self.raw(name, ";VALUE=DATE", &d.format(DAY).unwrap_or_default()),
        }
    }

    fn property(&mut self, name: &str, params: &str, text: &str) {
        self.raw(name, params, &escape(text));
    }

    fn raw(&mut self, name: &str, params: &str, value: &str) {
        let mut l = String::with_capacity(name.len() + params.len() + value.len() + 1);
        let _ = write!(l, "{name}{params}:{value}");
        self.line(&l);
    }

    /// A content line folded at 75 octets: each continuation starts with a space.
    fn line(&mut self, l: &str) {
        let mut width = 0;
        for ch in l.chars() {
            let n = ch.len_utf8();
            if width + n > 75 {
                self.out.push_str("\r\n ");
                width = 1;
            }
            self.out.push(ch);
            width += n;
        }
        self.out.push_str("\r\n");
    }
}

fn utc(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(STAMP).unwrap_or_default()
}

/// A TEXT value: backslashes, semicolons, commas and line breaks escaped; other control characters
/// dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn one(summary: &str) -> String {
        let mut c = Calendar::new("Agenda");
        c.event(&Event {
            uid: "occ-1@grenoble.example".into(),
            stamp: datetime!(2027-01-01 12:00 UTC),
            start: When::At(datetime!(2027-03-28 01:30 +01:00)),
            end: When::At(datetime!(2027-03-28 04:00 +02:00)),
            summary,
            description: "",
            location: "Salle 1; étage 2, Grenoble",
            url: "https://grenoble.example/evenements/1-x",
            geo: Some((45.19, 5.72)),
            categories: &["astronomie".into(), "a,b".into()],
        });
        c.finish()
    }

    #[test]
    fn text_is_escaped_and_nothing_can_be_injected() {
        let ics = one("Soirée\r\nEND:VEVENT\nBEGIN:VEVENT;x,y\\z");
        assert!(ics.contains("SUMMARY:Soirée\\nEND:VEVENT\\nBEGIN:VEVENT\\;x\\,y\\\\z\r\n"), "{ics}");
        assert_eq!(ics.matches("\r\nEND:VEVENT\r\n").count(), 1);
        assert!(ics.contains("LOCATION:Salle 1\\; étage 2\\, Grenoble\r\n"));
        assert!(ics.contains("CATEGORIES:astronomie,a\\,b\r\n"));
    }

    #[test]
    fn times_are_in_utc_across_a_change_of_hour() {
        let ics = one("Nuit");
        assert!(ics.contains("DTSTART:20270328T003000Z\r\n"));
        assert!(ics.contains("DTEND:20270328T020000Z\r\n"));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_on_character_boundaries() {
        let ics = one(&"é".repeat(100));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}\r\n", "é".repeat(100))));
    }

    #[test]
    fn a_whole_day_is_a_date() {
        let mut c = Calendar::new("x");
        c.event(&Event {
            uid: "u".into(),
            stamp: datetime!(2027-01-01 0:00 UTC),
            start: When::Day(date!(2027 - 05 - 01)),
            end: When::Day(date!(2027 - 05 - 03)),
            summary: "Fête",
            description: "",
            location: "",
            url: "",
            geo: None,
            categories: &[],
        });
        let ics = c.finish();
        assert!(ics.contains("DTSTART;VALUE=DATE:20270501\r\nDTEND;VALUE=DATE:20270503\r\n"));
        assert!(!ics.contains("LOCATION"));
    }
}
