//! What an event and a place add to the contribution form: when (dates in the region's time
//! zone, several of them for a series), where (a place's name, an address, a point placed with the
//! map picker or typed), for whom and at what price. Every refusal is named on its field.

use echos_core::events::Details;
use echos_core::events::{EventDraft, Location, PlaceDraft};
use echos_domain::Locale;
use echos_domain::contribution as parse;
use echos_domain::event::{self, ScheduleError, ScheduleInput};
use echos_domain::geo::{Point, PointError};
use serde::Deserialize;

use crate::forms::FormState;
use crate::i18n::t;

/// The fields as typed (every one a string: the form is urlencoded or multipart).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LocatedForm {
    event_kind: String,
    audience: String,
    start_date: String,
    start_time: String,
    end_date: String,
    end_time: String,
    /// "on" when ticked.
    all_day: String,
    other_dates: String,
    place_name: String,
    address: String,
    lat: String,
    lon: String,
    online_url: String,
    /// "on" when ticked: free.
    free: String,
    price: String,
    registration_url: String,
    place_kind: String,
    opening_hours: String,
    accessibility: String,
    website: String,
}

/// The field names, in the form's order (for the error summary and `keep`).
pub(crate) const FIELDS: [&str; 20] = [
    "event_kind",
    "audience",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "all_day",
    "other_dates",
    "place_name",
    "address",
    "lat",
    "lon",
    "online_url",
    "free",
    "price",
    "registration_url",
    "place_kind",
    "opening_hours",
    "accessibility",
    "website",
];

impl LocatedForm {
    /// What was typed, to show again.
    pub(crate) fn values(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let all = [
            &self.event_kind,
            &self.audience,
            &self.start_date,
            &self.start_time,
            &self.end_date,
            &self.end_time,
            &self.all_day,
            &self.other_dates,
            &self.place_name,
            &self.address,
            &self.lat,
            &self.lon,
            &self.online_url,
            &self.free,
            &self.price,
            &self.registration_url,
            &self.place_kind,
            &self.opening_hours,
            &self.accessibility,
            &self.website,
        ];
        FIELDS.into_iter().zip(all).map(|(k, v)| (k, v.as_str()))
    }

    fn location(&self, l: Locale, form: &mut FormState) -> Option<Location> {
        // One line each: line breaks and runs of spaces become one space.
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let (place_name, address) = (one_line(&self.place_name), one_line(&self.address));
        let (place_name, address) = (place_name.as_str(), address.as_str());
        if place_name.chars().count() > 200 {
            form.field_error("place_name", t(l, "events.errors.place_name", &[]));
        }
        if address.chars().count() > 300 {
            form.field_error("address", t(l, "events.errors.address", &[]));
        }
        let point = match Point::parse(&self.lat, &self.lon) {
            Ok(p) => p,
            Err(PointError::NotNumbers) => {
                form.field_error("lat", t(l, "events.errors.point_numbers", &[]));
                return None;
            }
            Err(PointError::OutOfRange) => {
                form.field_error("lat", t(l, "events.errors.point_range", &[]));
                return None;
            }
        };
        Some(Location { place_name: place_name.to_owned(), address: address.to_owned(), point })
    }

    /// An optional web address: empty, or an http(s) one.
    fn url(&self, value: &str, field: &'static str, l: Locale, form: &mut FormState) -> Option<String> {
        if value.trim().is_empty() {
            return None;
        }
        let u = parse::web_url(value);
        if u.is_none() {
            form.field_error(field, t(l, "events.errors.url", &[]));
        }
        u
    }

    /// An event's fields, or `None` with the reasons in `form`.
    pub(crate) fn event(&self, l: Locale, time_zone: &str, form: &mut FormState) -> Option<EventDraft> {
        let event_kind = event::event_kind(&self.event_kind);
        if event_kind.is_none() {
            form.field_error("event_kind", t(l, "events.errors.kind", &[]));
        }
        let audience = event::audience(&self.audience);
        if audience.is_none() {
            form.field_error("audience", t(l, "events.errors.audience", &[]));
        }
        let input = ScheduleInput {
            start_date: &self.start_date,
            start_time: &self.start_time,
            end_date: &self.end_date,
            end_time: &self.end_time,
            all_day: self.all_day == "on",
            others: &self.other_dates,
        };
        let schedule = match event::schedule(&input) {
            Ok(s) => Some(s),
            Err(e) => {
                let (field, message) = match e {
                    ScheduleError::Malformed(field) => {
                        let field = match field {
                            "others" => "other_dates",
                            f => FIELDS.into_iter().find(|x| *x == f).unwrap_or("start_date"),
                        };
                        let key = match field {
                            "other_dates" => "events.errors.other_dates",
                            "start_time" | "end_time" => "events.errors.time",
                            _ => "events.errors.date",
                        };
                        (field, t(l, key, &[]))
                    }
                    ScheduleError::EndBeforeStart => ("end_date", t(l, "events.errors.end_before_start", &[])),
                    ScheduleError::TooLong => ("end_date", t(l, "events.errors.too_long", &[])),
                    ScheduleError::TooMany => {
                        ("other_dates", t(l, "events.errors.too_many", &[("n", event::MAX_OCCURRENCES.to_string())]))
                    }
                    ScheduleError::Overlap(d) => {
                        ("other_dates", t(l, "events.errors.overlap", &[("date", crate::format::long_date(d, l))]))
                    }
                };
                form.field_error(field, message);
                None
            }
        };
        let location = self.location(l, form);
        let online_url = self.url(&self.online_url, "online_url", l, form);
        let registration_url = self.url(&self.registration_url, "registration_url", l, form);
        let price = match event::price(self.free == "on", &self.price) {
            Ok(p) => Some(p),
            Err(_) => {
                form.field_error("price", t(l, "events.errors.price", &[]));
                None
            }
        };
        if form.errors.is_empty()
            && let Some(loc) = &location
            && loc.place_name.is_empty()
            && loc.address.is_empty()
            && loc.point.is_none()
            && online_url.is_none()
        {
            form.field_error("place_name", t(l, "events.errors.where", &[]));
        }
        if !form.errors.is_empty() {
            return None;
        }
        let schedule = schedule?;
        Some(EventDraft {
            event_kind: event_kind?,
            audience: audience?,
            all_day: schedule.all_day,
            occurrences: schedule.occurrences,
            time_zone: time_zone.to_owned(),
            location: location?,
            online_url,
            price: price?,
            registration_url,
        })
    }

    /// A place's fields, or `None` with the reasons in `form`.
    pub(crate) fn place(&self, l: Locale, form: &mut FormState) -> Option<PlaceDraft> {
        let place_kind = event::place_kind(&self.place_kind);
        if place_kind.is_none() {
            form.field_error("place_kind", t(l, "places.errors.kind", &[]));
        }
        let location = self.location(l, form);
        if let Some(loc) = &location
            && loc.address.is_empty()
            && loc.point.is_none()
        {
            form.field_error("address", t(l, "places.errors.where", &[]));
        }
        let opening_hours = self.opening_hours.trim();
        if opening_hours.chars().count() > 1000 {
            form.field_error("opening_hours", t(l, "places.errors.long", &[]));
        }
        let accessibility = self.accessibility.trim();
        if accessibility.chars().count() > 1000 {
            form.field_error("accessibility", t(l, "places.errors.long", &[]));
        }
        let website = self.url(&self.website, "website", l, form);
        if !form.errors.is_empty() {
            return None;
        }
        Some(PlaceDraft {
            place_kind: place_kind?,
            location: location?,
            opening_hours: opening_hours.to_owned(),
            accessibility: accessibility.to_owned(),
            website,
        })
    }
}

/// An event's or a place's fields as the form shows them for editing: the first date in the
/// region's local time, the others one per line.
pub(crate) fn values_of(d: &Details) -> Vec<(&'static str, String)> {
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let hm = |t: time::Time| format!("{:02}:{:02}", t.hour(), t.minute());
    let mut v = vec![
        ("event_kind", text(&d.event_kind)),
        ("audience", text(&d.audience)),
        ("place_name", d.place_name.clone()),
        ("address", d.address.clone()),
        ("lat", d.lat.map(|x| x.to_string()).unwrap_or_default()),
        ("lon", d.lon.map(|x| x.to_string()).unwrap_or_default()),
        ("online_url", text(&d.online_url)),
        ("free", if d.price.is_none() { "on".to_owned() } else { String::new() }),
        ("price", text(&d.price)),
        ("registration_url", text(&d.registration_url)),
        ("place_kind", text(&d.place_kind)),
        ("opening_hours", d.opening_hours.clone()),
        ("accessibility", d.accessibility.clone()),
        ("website", text(&d.website)),
        ("all_day", if d.all_day { "on".to_owned() } else { String::new() }),
    ];
    if let Some(first) = d.dates.first() {
        let end = if d.all_day {
            first.local_end.date().previous_day().unwrap_or(first.local_end.date())
        } else {
            first.local_end.date()
        };
        v.push(("start_date", first.local_start.date().to_string()));
        v.push(("end_date", end.to_string()));
        if !d.all_day {
            v.push(("start_time", hm(first.local_start.time())));
            v.push(("end_time", hm(first.local_end.time())));
        }
        let others: Vec<String> = d.dates.iter().skip(1).map(|o| o.local_start.date().to_string()).collect();
        v.push(("other_dates", others.join("\n")));
    }
    v
}
