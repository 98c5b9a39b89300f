//! What an event and a place to visit are made of: their kinds, audiences and prices, and an
//! event's dates as typed (a first date with its times, then other dates repeating them), parsed
//! into occurrences in the region's local time. Local times become instants in the database,
//! which knows the time zones (`AT TIME ZONE`).

use time::macros::format_description;
use time::{Date, Duration, PrimitiveDateTime, Time};

/// The kinds of event.
pub const EVENT_KINDS: [&str; 7] =
    ["workshop", "conference", "exhibition", "festival", "visit", "science_cafe", "other"];

/// Who an event is for.
pub const AUDIENCES: [&str; 6] = ["everyone", "children", "families", "schools", "students", "professionals"];

/// The kinds of place to visit.
pub const PLACE_KINDS: [&str; 7] = ["museum", "garden", "observatory", "lab", "company", "library", "other"];

/// At most this many dates for one event.
pub const MAX_OCCURRENCES: usize = 100;

/// An occurrence lasts at most this long (an exhibition: a season).
const MAX_SPAN: Duration = Duration::days(366);

pub fn event_kind(s: &str) -> Option<&'static str> {
    EVENT_KINDS.into_iter().find(|k| *k == s.trim())
}

pub fn audience(s: &str) -> Option<&'static str> {
    AUDIENCES.into_iter().find(|k| *k == s.trim())
}

pub fn place_kind(s: &str) -> Option<&'static str> {
    PLACE_KINDS.into_iter().find(|k| *k == s.trim())
}

/// One date of an event in local time: `[start, end)`. A whole-day occurrence runs from the
/// first day's midnight to the midnight after its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start: PrimitiveDateTime,
    pub end: PrimitiveDateTime,
}

/// The dates as typed in the form.
#[derive(Debug, Default, Clone)]
pub struct ScheduleInput<'a> {
    pub start_date: &'a str,
    pub start_time: &'a str,
    pub end_date: &'a str,
    pub end_time: &'a str,
    pub all_day: bool,
    /// Other dates, one per line (`2027-03-19` or `19/03/2027`): each repeats the first date's
    /// times and length.
    pub others: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    /// A date or time that does not read as one (the field named).
    Malformed(&'static str),
    EndBeforeStart,
    TooLong,
    TooMany,
    /// Two dates that overlap: the later one.
    Overlap(Date),
}

/// Whether an event's dates are whole days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub all_day: bool,
    pub occurrences: Vec<Occurrence>,
}

/// `2027-03-19` (as a date field sends it) or `19/03/2027`.
pub fn date(s: &str) -> Option<Date> {
    let s = s.trim();
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .or_else(|_| Date::parse(s, format_description!("[day]/[month]/[year]")))
        .ok()
}

/// `18:30` (or `18h30`, `18h`).
pub fn time_of_day(s: &str) -> Option<Time> {
    let s = s.trim().to_ascii_lowercase().replace('h', ":");
    let s = if s.ends_with(':') { format!("{s}00") } else { s };
    Time::parse(&s, format_description!("[hour]:[minute]"))
        .or_else(|_| Time::parse(&s, format_description!("[hour]:[minute]:[second]")))
        .ok()
}

/// The occurrences, in order. The end date defaults to the start date; without times the event
/// takes whole days.
pub fn schedule(input: &ScheduleInput<'_>) -> Result<Schedule, ScheduleError> {
    let start_date = date(input.start_date).ok_or(ScheduleError::Malformed("start_date"))?;
    let end_date = if input.end_date.trim().is_empty() {
        start_date
    } else {
        date(input.end_date).ok_or(ScheduleError::Malformed("end_date"))?
    };
    let all_day = input.all_day || (input.start_time.trim().is_empty() && input.end_time.trim().is_empty());
    let (start, end) = if all_day {
        let end = end_date.next_day().ok_or(ScheduleError::Malformed("end_date"))?;
        (start_date.midnight(), end.midnight())
    } else {
        let st = time_of_day(input.start_time).ok_or(ScheduleError::Malformed("start_time"))?;
        let et = if input.end_time.trim().is_empty() {
            st
        } else {
            time_of_day(input.end_time).ok_or(ScheduleError::Malformed("end_time"))?
        };
        (PrimitiveDateTime::new(start_date, st), PrimitiveDateTime::new(end_date, et))
    };
    if end < start || (end == start && all_day) {
        return Err(ScheduleError::EndBeforeStart);
    }
    let length = end - start;
    if length > MAX_SPAN {
        return Err(ScheduleError::TooLong);
    }

    let mut occurrences = vec![Occurrence { start, end }];
    for line in input.others.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if occurrences.len() >= MAX_OCCURRENCES {
            return Err(ScheduleError::TooMany);
        }
        let d = date(line).ok_or(ScheduleError::Malformed("others"))?;
        let s = PrimitiveDateTime::new(d, start.time());
        occurrences.push(Occurrence { start: s, end: s + length });
    }
    occurrences.sort_by_key(|o| o.start);
    for pair in occurrences.windows(2) {
        // Two moments (no length) at the same instant overlap too.
        if pair[1].start < pair[0].end || pair[1].start == pair[0].start {
            return Err(ScheduleError::Overlap(pair[1].start.date()));
        }
    }
    Ok(Schedule { all_day, occurrences })
}

/// A paid event's price that is missing or longer than 200 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPrice;

/// A price: free, or paid with its text ("5 €, gratuit pour les moins de 12 ans").
pub fn price(free: bool, text: &str) -> Result<Option<String>, BadPrice> {
    let text = text.trim();
    match (free, text.is_empty()) {
        (true, _) => Ok(None),
        (false, true) => Err(BadPrice),
        (false, false) if text.chars().count() <= 200 => Ok(Some(text.to_owned())),
        _ => Err(BadPrice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn input<'a>(sd: &'a str, st: &'a str, ed: &'a str, et: &'a str, others: &'a str) -> ScheduleInput<'a> {
        ScheduleInput { start_date: sd, start_time: st, end_date: ed, end_time: et, all_day: false, others }
    }

    #[test]
    fn one_evening() {
        let s = schedule(&input("2027-03-12", "18:30", "", "20h", "")).unwrap();
        assert!(!s.all_day);
        assert_eq!(
            s.occurrences,
            [Occurrence { start: datetime!(2027-03-12 18:30), end: datetime!(2027-03-12 20:00) }]
        );
    }

    #[test]
    fn whole_days_without_times() {
        let s = schedule(&input("01/05/2027", "", "2027-05-02", "", "")).unwrap();
        assert!(s.all_day);
        assert_eq!(s.occurrences[0].start, datetime!(2027-05-01 0:00));
        assert_eq!(s.occurrences[0].end, datetime!(2027-05-03 0:00));
    }

    #[test]
    fn a_series_repeats_the_times_and_is_sorted() {
        let s = schedule(&input("2027-03-12", "18:30", "", "20:00", "2027-03-26\n\n19/03/2027")).unwrap();
        let starts: Vec<Date> = s.occurrences.iter().map(|o| o.start.date()).collect();
        assert_eq!(starts, [date!(2027 - 03 - 12), date!(2027 - 03 - 19), date!(2027 - 03 - 26)]);
        assert!(s.occurrences.iter().all(|o| o.end - o.start == Duration::minutes(90)));
    }

    #[test]
    fn bad_dates_are_named() {
        assert_eq!(schedule(&input("2027-03-12", "20:00", "", "18:00", "")), Err(ScheduleError::EndBeforeStart));
        assert_eq!(schedule(&input("2027-03-12", "", "2027-03-10", "", "")), Err(ScheduleError::EndBeforeStart));
        assert_eq!(schedule(&input("demain", "", "", "", "")), Err(ScheduleError::Malformed("start_date")));
        assert_eq!(schedule(&input("2027-03-12", "25:00", "", "", "")), Err(ScheduleError::Malformed("start_time")));
        assert_eq!(schedule(&input("2027-03-12", "", "", "", "bientôt")), Err(ScheduleError::Malformed("others")));
        assert_eq!(schedule(&input("2027-01-01", "", "2028-06-01", "", "")), Err(ScheduleError::TooLong));
        // Three days each, a day apart: they overlap.
        assert_eq!(
            schedule(&input("2027-03-12", "", "2027-03-14", "", "2027-03-13")),
            Err(ScheduleError::Overlap(date!(2027 - 03 - 13)))
        );
        assert_eq!(
            schedule(&input("2027-03-12", "18:00", "", "", "2027-03-12")),
            Err(ScheduleError::Overlap(date!(2027 - 03 - 12)))
        );
        let many: String = (0..1000).map(|n| format!("{}\n", date!(2028 - 01 - 01) + Duration::days(n))).collect();
        assert_eq!(schedule(&input("2027-03-12", "", "", "", &many)), Err(ScheduleError::TooMany));
    }

    #[test]
    fn a_price_is_free_or_said() {
        assert_eq!(price(true, "ignored"), Ok(None));
        assert_eq!(price(false, " 5 € "), Ok(Some("5 €".into())));
        assert_eq!(price(false, ""), Err(BadPrice));
    }
}
