//! How pages show an event's dates and an event's or a place's whereabouts, and their schema.org
//! description.

use echos_core::Tenant;
use echos_core::events::{Attendance, Details};
use echos_domain::Locale;
use echos_domain::contribution::Kind;
use echos_domain::geo::{BBox, Point};
use serde::Serialize;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::format::{day_date, long_date, time_of_day};

/// When an occurrence happens, in words: `samedi 12 mars 2027, 18 h 30 – 20 h`.
pub(crate) fn when(start: PrimitiveDateTime, end: PrimitiveDateTime, all_day: bool, l: Locale) -> String {
    if all_day {
        let last = end.date().previous_day().unwrap_or(end.date());
        if last <= start.date() {
            day_date(start.date(), l)
        } else {
            format!("{} – {}", day_date(start.date(), l), day_date(last, l))
        }
    } else if start.date() == end.date() {
        if start == end {
            format!("{}, {}", day_date(start.date(), l), time_of_day(start.time(), l))
        } else {
            format!("{}, {} – {}", day_date(start.date(), l), time_of_day(start.time(), l), time_of_day(end.time(), l))
        }
    } else {
        format!(
            "{}, {} – {}, {}",
            day_date(start.date(), l),
            time_of_day(start.time(), l),
            long_date(end.date(), l),
            time_of_day(end.time(), l)
        )
    }
}

/// The hours only (the agenda groups by day): `18 h 30 – 20 h`, or nothing for a whole day.
pub(crate) fn hours(start: PrimitiveDateTime, end: PrimitiveDateTime, all_day: bool, l: Locale) -> String {
    match (all_day, start.date() == end.date(), start == end) {
        (true, _, _) => String::new(),
        (false, _, true) => time_of_day(start.time(), l),
        (false, true, false) => format!("{} – {}", time_of_day(start.time(), l), time_of_day(end.time(), l)),
        (false, false, false) => {
            format!("{} – {}, {}", time_of_day(start.time(), l), long_date(end.date(), l), time_of_day(end.time(), l))
        }
    }
}

#[derive(Serialize)]
pub(crate) struct DateView {
    pub(crate) when: String,
    /// `2027-03-12T17:30:00Z`, for `<time datetime>`.
    pub(crate) datetime: String,
    pub(crate) past: bool,
}

/// An event's or a place's own part of its page.
#[derive(Serialize)]
pub(crate) struct LocatedView {
    /// The event's or the place's kind.
    pub(crate) kind: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) dates: Vec<DateView>,
    /// Every date is past: the page says so.
    pub(crate) over: bool,
    pub(crate) place_name: String,
    pub(crate) address: String,
    pub(crate) lat: Option<f64>,
    pub(crate) lon: Option<f64>,
    pub(crate) online_url: Option<String>,
    /// `None`: free.
    pub(crate) price: Option<String>,
    pub(crate) registration_url: Option<String>,
    pub(crate) opening_hours: String,
    pub(crate) accessibility: String,
    pub(crate) website: Option<String>,
    /// "Add to my calendar".
    pub(crate) ics_url: String,
    /// The map, centred on it.
    pub(crate) map_url: Option<String>,
    pub(crate) attendance: Attendance,
    /// What the signed-in visitor said: going, interested, or nothing.
    pub(crate) mine: Option<String>,
    pub(crate) attend_action: String,
    /// For its author: those going who agreed to be named.
    pub(crate) going: Vec<(String, String)>,
    /// For its author: the point lies outside the region's territory.
    pub(crate) outside: bool,
}

impl LocatedView {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn of(
        kind: Kind,
        id: i64,
        d: Details,
        attendance: Attendance,
        mine: Option<String>,
        going: Vec<(String, String)>,
        territory: Option<BBox>,
        l: Locale,
    ) -> Self {
        let now = OffsetDateTime::now_utc();
        let dates: Vec<DateView> = d
            .dates
            .iter()
            .map(|o| DateView {
                when: when(o.local_start, o.local_end, d.all_day, l),
                datetime: o.starts_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                past: o.ends_at < now,
            })
            .collect();
        let point = d.lat.zip(d.lon).and_then(|(lat, lon)| Point::new(lat, lon));
        Self {
            kind: if kind == Kind::Event { d.event_kind } else { d.place_kind },
            audience: d.audience,
            over: kind == Kind::Event && !dates.is_empty() && dates.iter().all(|x| x.past),
            dates,
            place_name: d.place_name,
            address: d.address,
            lat: d.lat,
            lon: d.lon,
            online_url: d.online_url,
            price: d.price,
            registration_url: d.registration_url,
            opening_hours: d.opening_hours,
            accessibility: d.accessibility,
            website: d.website,
            ics_url: format!("/evenements/{id}/calendrier.ics"),
            map_url: point.map(|p| format!("/carte?lat={:.5}&lon={:.5}", p.lat, p.lon)),
            attendance,
            mine,
            attend_action: format!("/evenements/{id}/participer"),
            going,
            outside: match (point, territory) {
                (Some(p), Some(b)) => !b.contains(p),
                _ => false,
            },
        }
    }
}

/// schema.org `Event` (its next date, or its last one) or `Place`.
pub(crate) fn json_ld(
    tenant: &Tenant,
    kind: Kind,
    title: &str,
    description: &str,
    url: &str,
    image: Option<String>,
    organiser: serde_json::Value,
    d: &Details,
) -> serde_json::Value {
    let rfc3339 = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).ok();
    let geo = d
        .lat
        .zip(d.lon)
        .map(|(lat, lon)| serde_json::json!({ "@type": "GeoCoordinates", "latitude": lat, "longitude": lon }));
    let place = serde_json::json!({
        "@type": "Place",
        "name": if d.place_name.is_empty() { &d.address } else { &d.place_name },
        "address": d.address,
        "geo": geo,
    });
    if kind == Kind::Place {
        let kind = match d.place_kind.as_deref() {
            Some("museum") => "Museum",
            Some("library") => "Library",
            Some("garden") => "Park",
            _ => "TouristAttraction",
        };
        return serde_json::json!({
            "@context": "https://schema.org",
            "@type": kind,
            "name": title,
            "description": description,
            "url": url,
            "image": image,
            "address": d.address,
            "geo": geo,
            "sameAs": d.website,
            "publicAccess": true,
        });
    }
    let now = OffsetDateTime::now_utc();
    let next = d.dates.iter().find(|o| o.ends_at >= now).or(d.dates.last());
    let mode = match (d.online_url.is_some(), d.lat.is_some() || !d.address.is_empty() || !d.place_name.is_empty()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (true, false) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    };
    let mut location = vec![];
    if mode != "https://schema.org/OnlineEventAttendanceMode" {
        location.push(place);
    }
    if let Some(u) = &d.online_url {
        location.push(serde_json::json!({ "@type": "VirtualLocation", "url": u }));
    }
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": title,
        "description": description,
        "url": url,
        "image": image,
        "startDate": next.and_then(|o| rfc3339(o.starts_at)),
        "endDate": next.and_then(|o| rfc3339(o.ends_at)),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": mode,
        "location": location,
        "organizer": organiser,
        "isAccessibleForFree": d.price.is_none(),
        "offers": {
            "@type": "Offer",
            "url": d.registration_url.as_deref().unwrap_or(url),
            "price": if d.price.is_none() { "0" } else { "" },
            "description": d.price,
            "priceCurrency": "EUR",
        },
        "inLanguage": tenant.default_locale.code(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_read_naturally() {
        let l = Locale::Fr;
        assert_eq!(
            when(datetime!(2027-03-12 18:30), datetime!(2027-03-12 20:00), false, l),
            "vendredi 12 mars 2027, 18 h 30 – 20 h"
        );
        assert_eq!(when(datetime!(2027-03-13 0:00), datetime!(2027-03-14 0:00), true, l), "samedi 13 mars 2027");
        assert_eq!(
            when(datetime!(2027-03-13 0:00), datetime!(2027-03-15 0:00), true, l),
            "samedi 13 mars 2027 – dimanche 14 mars 2027"
        );
        assert_eq!(hours(datetime!(2027-03-12 18:30), datetime!(2027-03-12 20:00), false, l), "18 h 30 – 20 h");
        assert_eq!(hours(datetime!(2027-03-12 0:00), datetime!(2027-03-13 0:00), true, l), "");
    }
}
