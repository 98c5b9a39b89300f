//! The agenda (`/agenda`): upcoming events by day, or one day, week or month, filtered by kind,
//! public, tag, community and period ("ce week-end", "ce mois-ci", dates). Each date of an event
//! is its own row; a series shows on each of its days.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use echos_core::events::{self, AgendaFilter, AgendaItem};
use echos_domain::Locale;
use echos_domain::event;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, PrimitiveDateTime, Weekday};

use super::view::hours;
use crate::error::WebError;
use crate::format::{day_date, long_date, urlencode};
use crate::gate::Region;
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

/// Rows a page of the agenda shows.
const PER_PAGE: i64 = 40;
/// The longest period one may ask for (the agenda, its feeds, the map).
pub(crate) const MAX_DAYS: i64 = 366;

/// The agenda's address, as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct AgendaQuery {
    /// `jour`, `semaine`, `mois`; empty: upcoming.
    pub(crate) vue: String,
    /// The day the view shows (`2027-03-12`); empty: today.
    pub(crate) date: String,
    /// `ce-week-end`, `ce-mois`.
    pub(crate) periode: String,
    pub(crate) du: String,
    pub(crate) au: String,
    /// An event kind.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) public: String,
    pub(crate) tag: String,
    /// A community's slug.
    pub(crate) communaute: String,
    pub(crate) page: Option<i64>,
}

/// Why a query is refused (400), with its message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryError {
    Date,
    Period,
    Filter,
}

impl QueryError {
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Date => "agenda.errors.date",
            Self::Period => "agenda.errors.period",
            Self::Filter => "agenda.errors.filter",
        }
    }
}

/// A period in local days: `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) from: Date,
    pub(crate) until: Date,
}

impl Period {
    pub(crate) fn local(self) -> (PrimitiveDateTime, PrimitiveDateTime) {
        (self.from.midnight(), self.until.midnight())
    }
}

/// What the view shows: upcoming (paged), or one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Upcoming,
    Day,
    Week,
    Month,
    Custom,
}

impl View {
    fn code(self) -> &'static str {
        match self {
            Self::Upcoming => "",
            Self::Day => "jour",
            Self::Week => "semaine",
            Self::Month => "mois",
            Self::Custom => "periode",
        }
    }
}

/// The period a query asks for, given today's local date; `None`: from now on.
pub(crate) fn period(q: &AgendaQuery, today: Date) -> Result<(View, Option<Period>), QueryError> {
    let anchor = if q.date.trim().is_empty() { today } else { event::date(&q.date).ok_or(QueryError::Date)? };
    if !q.du.trim().is_empty() || !q.au.trim().is_empty() {
        let from = if q.du.trim().is_empty() { today } else { event::date(&q.du).ok_or(QueryError::Date)? };
        let last = if q.au.trim().is_empty() { from } else { event::date(&q.au).ok_or(QueryError::Date)? };
        let until = last.next_day().ok_or(QueryError::Date)?;
        if until <= from || (until - from).whole_days() > MAX_DAYS {
            return Err(QueryError::Period);
        }
        return Ok((View::Custom, Some(Period { from, until })));
    }
    match q.periode.as_str() {
        "" => {}
        "ce-week-end" => {
            // The coming Saturday and Sunday (this one, on a weekend).
            let saturday = match today.weekday() {
                Weekday::Sunday => today.previous_day().unwrap_or(today),
                _ => {
                    let mut d = today;
                    while d.weekday() != Weekday::Saturday {
                        d = d.next_day().ok_or(QueryError::Date)?;
                    }
                    d
                }
            };
            return Ok((View::Custom, Some(Period { from: saturday.max(today), until: saturday + Duration::days(2) })));
        }
        "ce-mois" => {
            let first = today.replace_day(1).map_err(|_| QueryError::Date)?;
            return Ok((View::Custom, Some(Period { from: today, until: next_month(first)? })));
        }
        _ => return Err(QueryError::Filter),
    }
    let view = match q.vue.as_str() {
        "" => return Ok((View::Upcoming, None)),
        "jour" => View::Day,
        "semaine" => View::Week,
        "mois" => View::Month,
        _ => return Err(QueryError::Filter),
    };
    let p = match view {
        View::Day => Period { from: anchor, until: anchor.next_day().ok_or(QueryError::Date)? },
        View::Week => {
            let monday = anchor - Duration::days(i64::from(anchor.weekday().number_days_from_monday()));
            Period { from: monday, until: monday + Duration::days(7) }
        }
        _ => {
            let first = anchor.replace_day(1).map_err(|_| QueryError::Date)?;
            Period { from: first, until: next_month(first)? }
        }
    };
    Ok((view, Some(p)))
}

fn next_month(first: Date) -> Result<Date, QueryError> {
    let (y, m) = if first.month() == time::Month::December {
        (first.year() + 1, time::Month::January)
    } else {
        (first.year(), first.month().next())
    };
    Date::from_calendar_date(y, m, 1).map_err(|_| QueryError::Date)
}

/// The filters beside the period, checked: unknown values are refused, never guessed at.
pub(crate) struct Filters {
    pub(crate) kind: Option<&'static str>,
    pub(crate) audience: Option<&'static str>,
    pub(crate) tag: Option<String>,
    pub(crate) community: Option<String>,
}

impl Filters {
    pub(crate) fn parse(q: &AgendaQuery) -> Result<Self, QueryError> {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let kind = match opt(&q.kind) {
            Some(k) => Some(event::event_kind(&k).ok_or(QueryError::Filter)?),
            None => None,
        };
        let audience = match opt(&q.public) {
            Some(a) => Some(event::audience(&a).ok_or(QueryError::Filter)?),
            None => None,
        };
        let tag = match opt(&q.tag) {
            Some(t) => Some(echos_domain::contribution::tag(&t).ok_or(QueryError::Filter)?),
            None => None,
        };
        let community = opt(&q.communaute);
        if community.as_ref().is_some_and(|c| c.len() > 80) {
            return Err(QueryError::Filter);
        }
        Ok(Self { kind, audience, tag, community })
    }

    /// The filters as a query string (`&type=…&tag=…`), for links that keep them.
    pub(crate) fn query(&self) -> String {
        let mut q = String::new();
        for (k, v) in [
            ("type", self.kind.map(str::to_owned)),
            ("public", self.audience.map(str::to_owned)),
            ("tag", self.tag.clone()),
            ("communaute", self.community.clone()),
        ] {
            if let Some(v) = v {
                q.push_str(&format!("&{k}={}", urlencode(&v)));
            }
        }
        q
    }
}

#[derive(Serialize)]
struct Row {
    title: String,
    url: String,
    hours: String,
    all_day: bool,
    place: String,
    online: bool,
    kind: Option<String>,
    audience: Option<String>,
    free: bool,
    datetime: String,
}

#[derive(Serialize)]
struct Day {
    label: String,
    date: String,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct AgendaPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    view: &'static str,
    heading: String,
    days: Vec<Day>,
    /// Links to the views of the anchor's day, week and month.
    views: Vec<(&'static str, String, bool)>,
    prev_url: Option<String>,
    next_url: Option<String>,
    ics_url: String,
    filters: FiltersView,
    event_kinds: &'static [&'static str],
    audiences: &'static [&'static str],
    communities: Vec<(String, String)>,
    error: Option<String>,
    may_add: bool,
}

#[derive(Serialize, Default)]
struct FiltersView {
    kind: String,
    audience: String,
    tag: String,
    community: String,
    du: String,
    au: String,
    periode: String,
    any: bool,
}

pub(super) async fn agenda(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Query(q): Query<AgendaQuery>,
) -> Result<Response, WebError> {
    let l = page.locale;
    let tz = tenant.time_zone.clone();
    let (today, communities) = app
        .db
        .with_tenant(&tenant, |tx| {
            let tz = tz.clone();
            Box::pin(async move {
                let today = events::local_now(tx, &tz).await?.date();
                let (list, _) = echos_core::communities::list(tx, "active", 200, 0).await?;
                Ok((today, list.into_iter().map(|c| (c.slug, c.name)).collect::<Vec<_>>()))
            })
        })
        .await?;
    let parsed = period(&q, today).and_then(|p| Filters::parse(&q).map(|f| (p, f)));
    let fv = FiltersView {
        kind: q.kind.clone(),
        audience: q.public.clone(),
        tag: q.tag.clone(),
        community: q.communaute.clone(),
        du: q.du.clone(),
        au: q.au.clone(),
        periode: q.periode.clone(),
        any: [&q.kind, &q.public, &q.tag, &q.communaute, &q.du, &q.au, &q.periode].iter().any(|s| !s.trim().is_empty()),
    };
    let ((view, period), filters) = match parsed {
        Ok(x) => x,
        Err(e) => {
            let ctx = AgendaPage {
                page: &page,
                section: "evenements",
                view: "",
                heading: t(l, "agenda.title", &[]),
                days: vec![],
                views: vec![],
                prev_url: None,
                next_url: None,
                ics_url: "/agenda.ics".into(),
                filters: fv,
                event_kinds: &event::EVENT_KINDS,
                audiences: &event::AUDIENCES,
                communities,
                error: Some(t(l, e.key(), &[])),
                may_add: page.me.is_some(),
            };
            return Ok(
                (StatusCode::BAD_REQUEST, Html(app.templates.render("events/agenda.html", ctx)?)).into_response()
            );
        }
    };
    let number = q.page.unwrap_or(1).clamp(1, 1000);
    let community_slug = filters.community.clone();
    let filter = AgendaFilter {
        from: period.map(|p| p.local().0),
        until: period.map(|p| p.local().1),
        event_kind: filters.kind.map(str::to_owned),
        audience: filters.audience.map(str::to_owned),
        tag: filters.tag.clone(),
        community_id: None,
        going: None,
    };
    let limit = if view == View::Upcoming { PER_PAGE } else { 1000 };
    let rows = app
        .db
        .with_tenant(&tenant, |tx| {
            let tz = tz.clone();
            let mut filter = filter.clone();
            let slug = community_slug.clone();
            Box::pin(async move {
                if let Some(slug) = slug {
                    match echos_core::communities::by_slug(tx, &slug).await? {
                        Some(c) if c.status == "active" || c.status == "archived" => filter.community_id = Some(c.id),
                        _ => return Ok(None),
                    }
                }
                Ok(Some(events::agenda(tx, &tz, &filter, limit, (number - 1) * limit).await?))
            })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let more = rows.len() as i64 > limit;
    let start_day = period.map(|p| p.from);
    let days = group(rows.into_iter().take(limit as usize).collect(), start_day, l);
    let fq = filters.query();
    let (heading, views, prev, next) = match (view, period) {
        (View::Upcoming, _) => (
            t(l, "agenda.upcoming", &[]),
            view_links(today, &fq),
            (number > 1).then(|| format!("/agenda?page={}{fq}", number - 1)),
            more.then(|| format!("/agenda?page={}{fq}", number + 1)),
        ),
        (View::Custom, Some(p)) => {
            let last = p.until.previous_day().unwrap_or(p.until);
            let heading = if last == p.from {
                day_date(p.from, l)
            } else {
                t(l, "agenda.between", &[("from", long_date(p.from, l)), ("to", long_date(last, l))])
            };
            (heading, view_links(p.from, &fq), None, None)
        }
        (v, Some(p)) => {
            let (heading, before, after) = match v {
                View::Day => (day_date(p.from, l), p.from - Duration::days(1), p.until),
                View::Week => {
                    (t(l, "agenda.week_of", &[("date", long_date(p.from, l))]), p.from - Duration::days(7), p.until)
                }
                _ => (month_name(p.from, l), (p.from - Duration::days(1)).replace_day(1).unwrap_or(p.from), p.until),
            };
            let link = |d: Date| format!("/agenda?vue={}&date={d}{fq}", v.code());
            (heading, view_links(p.from, &fq), Some(link(before)), Some(link(after)))
        }
        (_, None) => (t(l, "agenda.upcoming", &[]), vec![], None, None),
    };
    let views = views.into_iter().map(|(code, url)| (code, url, code == view.code())).collect();
    let ctx = AgendaPage {
        page: &page,
        section: "evenements",
        view: view.code(),
        heading,
        days,
        views,
        prev_url: prev,
        next_url: next,
        ics_url: format!("/agenda.ics{}", fq.replacen('&', "?", 1)),
        filters: fv,
        event_kinds: &event::EVENT_KINDS,
        audiences: &event::AUDIENCES,
        communities,
        error: None,
        may_add: page.me.is_some(),
    };
    Ok(Html(app.templates.render("events/agenda.html", ctx)?).into_response())
}

/// The day, week and month views around a day, keeping the filters.
fn view_links(anchor: Date, fq: &str) -> Vec<(&'static str, String)> {
    vec![
        ("", format!("/agenda{}", fq.replacen('&', "?", 1))),
        ("jour", format!("/agenda?vue=jour&date={anchor}{fq}")),
        ("semaine", format!("/agenda?vue=semaine&date={anchor}{fq}")),
        ("mois", format!("/agenda?vue=mois&date={anchor}{fq}")),
    ]
}

fn month_name(d: Date, l: Locale) -> String {
    // "1 mars 2027" without its day.
    let full = long_date(d.replace_day(1).unwrap_or(d), l);
    let rest = full.split_once(' ').map(|(_, r)| r).unwrap_or(&full);
    let rest = rest.strip_prefix("de ").or_else(|| rest.strip_prefix("d'")).unwrap_or(rest);
    let mut c = rest.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The rows grouped by local day (an event that began before the period, on its first day).
fn group(rows: Vec<AgendaItem>, start: Option<Date>, l: Locale) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for r in rows {
        let day = match start {
            Some(s) => r.local_start.date().max(s),
            None => r.local_start.date(),
        };
        let row = Row {
            url: format!("/evenements/{}-{}", r.id, r.slug),
            hours: hours(r.local_start, r.local_end, r.all_day, l),
            all_day: r.all_day,
            place: if r.place_name.is_empty() { r.address.clone() } else { r.place_name.clone() },
            online: r.online_url.is_some(),
            kind: r.event_kind,
            audience: r.audience,
            free: r.price.is_none(),
            datetime: r.starts_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            title: r.title,
        };
        match days.last_mut() {
            Some(d) if d.date == day.to_string() => d.rows.push(row),
            _ => days.push(Day { label: day_date(day, l), date: day.to_string(), rows: vec![row] }),
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn q(f: impl FnOnce(&mut AgendaQuery)) -> AgendaQuery {
        let mut q = AgendaQuery::default();
        f(&mut q);
        q
    }

    #[test]
    fn periods_from_views_and_shortcuts() {
        let today = date!(2027 - 03 - 10); // a Wednesday
        assert_eq!(period(&q(|_| {}), today), Ok((View::Upcoming, None)));
        let week = period(&q(|q| q.vue = "semaine".into()), today).unwrap();
        assert_eq!(week, (View::Week, Some(Period { from: date!(2027 - 03 - 08), until: date!(2027 - 03 - 15) })));
        let month = period(
            &q(|q| {
                q.vue = "mois".into();
                q.date = "2027-12-24".into()
            }),
            today,
        )
        .unwrap();
        assert_eq!(month.1, Some(Period { from: date!(2027 - 12 - 01), until: date!(2028 - 01 - 01) }));
        let weekend = period(&q(|q| q.periode = "ce-week-end".into()), today).unwrap();
        assert_eq!(weekend.1, Some(Period { from: date!(2027 - 03 - 13), until: date!(2027 - 03 - 15) }));
        let sunday = period(&q(|q| q.periode = "ce-week-end".into()), date!(2027 - 03 - 14)).unwrap();
        assert_eq!(sunday.1, Some(Period { from: date!(2027 - 03 - 14), until: date!(2027 - 03 - 15) }));
    }

    #[test]
    fn bad_periods_are_refused() {
        let today = date!(2027 - 03 - 10);
        let ten_years = q(|q| {
            q.du = "2027-01-01".into();
            q.au = "2036-12-31".into()
        });
        assert_eq!(period(&ten_years, today), Err(QueryError::Period));
        let inverted = q(|q| {
            q.du = "2027-05-01".into();
            q.au = "2027-04-01".into()
        });
        assert_eq!(period(&inverted, today), Err(QueryError::Period));
        assert_eq!(period(&q(|q| q.du = "demain".into()), today), Err(QueryError::Date));
        assert_eq!(period(&q(|q| q.vue = "annee".into()), today), Err(QueryError::Filter));
        let year = q(|q| {
            q.du = "2027-01-01".into();
            q.au = "2027-12-31".into()
        });
        assert!(period(&year, today).is_ok(), "a year is fine");
    }
}
