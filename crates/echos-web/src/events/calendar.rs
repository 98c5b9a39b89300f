//! iCalendar (RFC 5545): the region's agenda (`/agenda.ics`, with the agenda's filters: a tag, a
//! kind, a public), a community's (`/communautes/{slug}/agenda.ics`), a member's private "I'm
//! going" feed (`/agenda/prive/{token}.ics`) and one event's (`/evenements/{id}/calendrier.ics`,
//! "add to my calendar"). Times in UTC, whole days as dates, one `UID` per date of an event that
//! never changes.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use echos_core::Tenant;
use echos_core::events::{self, AgendaFilter, AgendaItem};
use echos_domain::ical::{Calendar, Event, When};
use time::{Duration, OffsetDateTime};

use super::agenda::{AgendaQuery, Filters};
use crate::error::WebError;
use crate::gate::Region;
use crate::i18n::t;
use crate::links::region_url;
use crate::state::AppState;

/// The most dates one feed carries.
const FEED_LIMIT: i64 = 1000;

/// The region's agenda (upcoming, and the last month), with the agenda's filters.
pub(super) async fn region(
    State(app): State<AppState>,
    Region(tenant): Region,
    Query(q): Query<AgendaQuery>,
) -> Result<Response, WebError> {
    let filters = Filters::parse(&q).map_err(|_| WebError::BadRequest)?;
    let mut name = format!("{} — {}", tenant.name, t(tenant.default_locale, "agenda.title", &[]));
    if let Some(tag) = &filters.tag {
        name.push_str(&format!(" — #{tag}"));
    }
    let slug = filters.community.clone();
    let filter = AgendaFilter {
        event_kind: filters.kind.map(str::to_owned),
        audience: filters.audience.map(str::to_owned),
        tag: filters.tag.clone(),
        ..AgendaFilter::default()
    };
    feed(&app, &tenant, filter, slug, None, &name).await
}

/// A community's agenda.
pub(super) async fn community(
    State(app): State<AppState>,
    Region(tenant): Region,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let name = format!("{} — {}", tenant.name, slug);
    feed(&app, &tenant, AgendaFilter::default(), Some(slug), None, &name).await
}

/// A member's "I'm going", at a secret address (no session: calendar applications have none).
pub(super) async fn private(
    State(app): State<AppState>,
    Region(tenant): Region,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let token = file.strip_suffix(".ics").ok_or(WebError::NotFound)?;
    if token.len() > 100 {
        return Err(WebError::NotFound);
    }
    let token = token.to_owned();
    let member = app
        .db
        .with_tenant(&tenant, |tx| {
            let token = token.clone();
            Box::pin(async move { events::member_by_agenda_token(tx, &token).await })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let name = format!("{} — {}", tenant.name, t(tenant.default_locale, "agenda.going_feed", &[]));
    let mut resp = feed(&app, &tenant, AgendaFilter::default(), None, Some(member), &name).await?;
    // A secret address: never kept by a shared cache.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

/// One event, every date of it.
pub(super) async fn one(
    State(app): State<AppState>,
    Region(tenant): Region,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let tz = tenant.time_zone.clone();
    let (item, details) = app
        .db
        .with_tenant(&tenant, |tx| {
            let tz = tz.clone();
            Box::pin(async move {
                let Some(item) = echos_core::contributions::get(tx, id).await? else { return Ok(None) };
                if item.kind != echos_domain::contribution::Kind::Event || !item.is_published() {
                    return Ok(None);
                }
                let d = events::details(tx, id, &tz).await?;
                Ok(Some((item, d)))
            })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let mut cal = Calendar::new(&format!("{} — {}", tenant.name, item.title));
    let url = region_url(&app.config, &tenant, &item.url());
    let place = join_place(&details.place_name, &details.address);
    for o in &details.dates {
        cal.event(&Event {
            uid: uid(&tenant, o.id),
            stamp: item.updated_at,
            start: when(o.starts_at, o.local_start.date(), details.all_day),
            end: when(o.ends_at, o.local_end.date(), details.all_day),
            summary: &item.title,
            description: &description(&item.summary, details.online_url.as_deref()),
            location: &place,
            url: &url,
            geo: details.lat.zip(details.lon),
            categories: &item.tags,
        });
    }
    Ok(ics(cal.finish(), Some(&format!("{}.ics", item.slug))))
}

async fn feed(
    app: &AppState,
    tenant: &Tenant,
    mut filter: AgendaFilter,
    community: Option<String>,
    going: Option<i64>,
    name: &str,
) -> Result<Response, WebError> {
    let tz = tenant.time_zone.clone();
    filter.going = going;
    let rows: Vec<AgendaItem> = app
        .db
        .with_tenant(tenant, |tx| {
            let mut filter = filter.clone();
            let community = community.clone();
            let tz = tz.clone();
            Box::pin(async move {
                if let Some(slug) = community {
                    match echos_core::communities::by_slug(tx, &slug).await? {
                        Some(c) if c.status == "active" || c.status == "archived" => filter.community_id = Some(c.id),
                        _ => return Ok(None),
                    }
                }
                // From a month ago: calendars keep what they showed.
                let now = events::local_now(tx, &tz).await?;
                filter.from = Some(now - Duration::days(30));
                Ok(Some(events::agenda(tx, &tz, &filter, FEED_LIMIT, 0).await?))
            })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let mut cal = Calendar::new(name);
    for r in rows.iter().take(FEED_LIMIT as usize) {
        let url = region_url(&app.config, tenant, &format!("/evenements/{}-{}", r.id, r.slug));
        cal.event(&Event {
            uid: uid(tenant, r.occurrence_id),
            stamp: r.updated_at,
            start: when(r.starts_at, r.local_start.date(), r.all_day),
            end: when(r.ends_at, r.local_end.date(), r.all_day),
            summary: &r.title,
            description: &description(&r.summary, r.online_url.as_deref()),
            location: &join_place(&r.place_name, &r.address),
            url: &url,
            geo: r.lat.zip(r.lon),
            categories: &r.tags,
        });
    }
    Ok(ics(cal.finish(), None))
}

/// Stable across downloads and unique across regions: the date's number and the region's id.
fn uid(tenant: &Tenant, occurrence: i64) -> String {
    format!("occurrence-{occurrence}@{}", tenant.id)
}

fn when(instant: OffsetDateTime, local_day: time::Date, all_day: bool) -> When {
    if all_day { When::Day(local_day) } else { When::At(instant) }
}

fn join_place(name: &str, address: &str) -> String {
    match (name.is_empty(), address.is_empty()) {
        (false, false) => format!("{name}, {address}"),
        (false, true) => name.to_owned(),
        _ => address.to_owned(),
    }
}

fn description(summary: &str, online: Option<&str>) -> String {
    match online {
        Some(u) if summary.is_empty() => u.to_owned(),
        Some(u) => format!("{summary}\n{u}"),
        None => summary.to_owned(),
    }
}

fn ics(body: String, download: Option<&str>) -> Response {
    let mut resp = ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response();
    // Shared like any anonymous page (`session::load`), kept by the page cache, with an ETag.
    if let Some(name) = download
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
