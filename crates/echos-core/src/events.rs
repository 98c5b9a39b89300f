//! Events and places to visit: what they add to a contribution (where, when, for whom), the
//! agenda (each date of an event is its own row), the map's points, and "I'm going".
//!
//! Dates are typed in the region's time zone and stored as instants: PostgreSQL converts them
//! (`AT TIME ZONE`), so a daylight-saving change between an event's start and its end is its
//! affair, not ours. Only published contributions are ever read here: a hidden or deleted event
//! is off the agenda, the map and every feed.

use echos_domain::event::Occurrence;
use echos_domain::geo::{BBox, Point};
use serde::Serialize;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// Where an event happens, or where a place is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub place_name: String,
    pub address: String,
    pub point: Option<Point>,
}

/// What an event adds to a contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub event_kind: &'static str,
    pub audience: &'static str,
    pub all_day: bool,
    /// In the region's local time.
    pub occurrences: Vec<Occurrence>,
    /// The region's time zone (`Europe/Paris`), in which the occurrences are typed.
    pub time_zone: String,
    pub location: Location,
    pub online_url: Option<String>,
    /// `None`: free.
    pub price: Option<String>,
    pub registration_url: Option<String>,
}

/// What a place to visit adds to a contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceDraft {
    pub place_kind: &'static str,
    pub location: Location,
    pub opening_hours: String,
    pub accessibility: String,
    pub website: Option<String>,
}

/// Writes an event's fields and its dates (replacing the previous ones).
pub async fn write_event(tx: &mut TenantTx<'_>, id: i64, e: &EventDraft) -> Result<(), CoreError> {
    let (lat, lon) = e.location.point.map(|p| (p.lat, p.lon)).unzip();
    sqlx::query!(
        "UPDATE contributions
            SET place_name = $2, address = $3, lat = $4, lon = $5, event_kind = $6, all_day = $7,
                online_url = $8, audience = $9, price = $10, registration_url = $11
          WHERE id = $1",
        id,
        e.location.place_name,
        e.location.address,
        lat,
        lon,
        e.event_kind,
        e.all_day,
        e.online_url,
        e.audience,
        e.price,
        e.registration_url
    )
    .execute(&mut **tx)
    .await
    .context("writing an event")?;
    sqlx::query!("DELETE FROM event_occurrences WHERE contribution_id = $1", id)
        .execute(&mut **tx)
        .await
        .context("clearing an event's dates")?;
    let starts: Vec<PrimitiveDateTime> = e.occurrences.iter().map(|o| o.start).collect();
    let ends: Vec<PrimitiveDateTime> = e.occurrences.iter().map(|o| o.end).collect();
    sqlx::query!(
        "INSERT INTO event_occurrences (contribution_id, starts_at, ends_at)
         SELECT $1, s AT TIME ZONE $4, e AT TIME ZONE $4 FROM unnest($2::timestamp[], $3::timestamp[]) AS u(s, e)",
        id,
        &starts,
        &ends,
        e.time_zone
    )
    .execute(&mut **tx)
    .await
    .context("writing an event's dates")?;
    Ok(())
}

/// Writes a place's fields.
pub async fn write_place(tx: &mut TenantTx<'_>, id: i64, p: &PlaceDraft) -> Result<(), CoreError> {
    let (lat, lon) = p.location.point.map(|p| (p.lat, p.lon)).unzip();
    sqlx::query!(
        "UPDATE contributions
            SET place_name = $2, address = $3, lat = $4, lon = $5, place_kind = $6, opening_hours = $7,
                accessibility = $8, website = $9
          WHERE id = $1",
        id,
        p.location.place_name,
        p.location.address,
        lat,
        lon,
        p.place_kind,
        p.opening_hours,
        p.accessibility,
        p.website
    )
    .execute(&mut **tx)
    .await
    .context("writing a place")?;
    Ok(())
}

/// One date of an event, as instants and in the region's local time.
#[derive(Debug, Clone, Serialize)]
pub struct Dates {
    pub id: i64,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub local_start: PrimitiveDateTime,
    pub local_end: PrimitiveDateTime,
}

/// An event's or a place's own fields, for its page, its form and its `.ics`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Details {
    pub place_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub event_kind: Option<String>,
    pub all_day: bool,
    pub online_url: Option<String>,
    pub audience: Option<String>,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    pub place_kind: Option<String>,
    pub opening_hours: String,
    pub accessibility: String,
    pub website: Option<String>,
    /// An event's dates, in order.
    pub dates: Vec<Dates>,
}

/// The fields of contribution `id` (whatever its status: the caller has checked who may see it),
/// its dates in the time zone `tz` too.
pub async fn details(tx: &mut TenantTx<'_>, id: i64, tz: &str) -> Result<Details, CoreError> {
    let Some(r) = sqlx::query!(
        "SELECT place_name, address, lat, lon, event_kind, all_day, online_url, audience, price, registration_url,
                place_kind, opening_hours, accessibility, website
           FROM contributions WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading an event")?
    else {
        return Ok(Details::default());
    };
    let dates = sqlx::query_as!(
        Dates,
        r#"SELECT id, starts_at, ends_at, starts_at AT TIME ZONE $2 AS "local_start!", ends_at AT TIME ZONE $2 AS "local_end!"
             FROM event_occurrences WHERE contribution_id = $1 ORDER BY starts_at"#,
        id,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading an event's dates")?;
    Ok(Details {
        place_name: r.place_name.unwrap_or_default(),
        address: r.address.unwrap_or_default(),
        lat: r.lat,
        lon: r.lon,
        event_kind: r.event_kind,
        all_day: r.all_day,
        online_url: r.online_url,
        audience: r.audience,
        price: r.price,
        registration_url: r.registration_url,
        place_kind: r.place_kind,
        opening_hours: r.opening_hours.unwrap_or_default(),
        accessibility: r.accessibility.unwrap_or_default(),
        website: r.website,
        dates,
    })
}

/// What the agenda and the iCalendar feeds ask for.
#[derive(Debug, Clone, Default)]
pub struct AgendaFilter {
    /// In the region's local time; `None`: from now on.
    pub from: Option<PrimitiveDateTime>,
    /// In the region's local time; `None`: no end.
    pub until: Option<PrimitiveDateTime>,
    pub event_kind: Option<String>,
    pub audience: Option<String>,
    pub tag: Option<String>,
    pub community_id: Option<i64>,
    /// The events this member goes to (their private feed).
    pub going: Option<i64>,
}

/// Now, in the region's time zone.
pub async fn local_now(tx: &mut TenantTx<'_>, tz: &str) -> Result<PrimitiveDateTime, CoreError> {
    sqlx::query_scalar!(r#"SELECT now() AT TIME ZONE $1 AS "now!""#, tz)
        .fetch_one(&mut **tx)
        .await
        .context("reading the local time")
}

/// One row of the agenda: a date of a published event.
#[derive(Debug, Clone, Serialize)]
pub struct AgendaItem {
    pub occurrence_id: i64,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub local_start: PrimitiveDateTime,
    pub local_end: PrimitiveDateTime,
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub event_kind: Option<String>,
    pub audience: Option<String>,
    pub all_day: bool,
    pub place_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub online_url: Option<String>,
    pub price: Option<String>,
    pub tags: Vec<String>,
    pub updated_at: OffsetDateTime,
}

/// The dates of published events that overlap the period, in order, `limit + 1` of them from
/// `offset` (the caller knows whether there is a next page).
pub async fn agenda(
    tx: &mut TenantTx<'_>,
    tz: &str,
    f: &AgendaFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AgendaItem>, CoreError> {
    sqlx::query_as!(
        AgendaItem,
        r#"SELECT o.id AS occurrence_id, o.starts_at, o.ends_at,
                  o.starts_at AT TIME ZONE $10 AS "local_start!", o.ends_at AT TIME ZONE $10 AS "local_end!", c.id, c.slug, c.title, c.summary, c.body_md,
                  c.event_kind, c.audience, c.all_day, coalesce(c.place_name, '') AS "place_name!",
                  coalesce(c.address, '') AS "address!", c.lat, c.lon, c.online_url, c.price,
                  coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                  WHERE ct.contribution_id = c.id ORDER BY t.name), '{}') AS "tags!",
                  c.updated_at
             FROM event_occurrences o
             JOIN contributions c ON c.id = o.contribution_id
            WHERE c.status = 'published' AND c.kind = 'event'
              AND o.ends_at > coalesce($1::timestamp AT TIME ZONE $10, now())
              AND ($2::timestamp IS NULL OR o.starts_at < $2::timestamp AT TIME ZONE $10)
              AND ($3::text IS NULL OR c.event_kind = $3)
              AND ($4::text IS NULL OR c.audience = $4)
              AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                                WHERE ct.contribution_id = c.id AND t.name = $5))
              AND ($6::bigint IS NULL OR c.community_id = $6)
              AND ($7::bigint IS NULL OR EXISTS (SELECT 1 FROM event_attendance a
                                                  WHERE a.contribution_id = c.id AND a.member_id = $7 AND a.status = 'going'))
            ORDER BY o.starts_at, o.id
            LIMIT $8 OFFSET $9"#,
        f.from,
        f.until,
        f.event_kind.as_deref(),
        f.audience.as_deref(),
        f.tag.as_deref(),
        f.community_id,
        f.going,
        limit + 1,
        offset,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading the agenda")
}

/// A point of the map.
#[derive(Debug, Clone, Serialize)]
pub struct MapPoint {
    /// `event`, `place` or `structure`.
    pub layer: String,
    pub id: i64,
    pub title: String,
    pub url: String,
    pub lat: f64,
    pub lon: f64,
    /// An event's kind, a place's kind.
    pub kind: Option<String>,
    pub place_name: String,
    /// An event's next date in the period.
    pub starts_at: Option<OffsetDateTime>,
    pub all_day: bool,
}

/// The most points one answer carries (the whole territory of a big region fits).
pub const MAX_POINTS: i64 = 20_000;

/// The published events with a date in the period (local times; `from`: `None`, now; `until`:
/// `None`, no end), the published places and the structures with
/// an address, inside the box; events by their next date, then places and structures by name.
pub async fn map_points(
    tx: &mut TenantTx<'_>,
    tz: &str,
    bbox: BBox,
    from: Option<PrimitiveDateTime>,
    until: Option<PrimitiveDateTime>,
    layers: &[&str],
    limit: i64,
) -> Result<Vec<MapPoint>, CoreError> {
    let want = |l: &str| layers.contains(&l);
    sqlx::query_as!(
        MapPoint,
        r#"SELECT 'event' AS "layer!", c.id AS "id!", c.title AS "title!", '/evenements/' || c.id || '-' || c.slug AS "url!",
                  c.lat AS "lat!", c.lon AS "lon!", c.event_kind AS kind, coalesce(c.place_name, '') AS "place_name!",
                  n.starts_at AS "starts_at?", c.all_day AS "all_day!"
             FROM (SELECT o.contribution_id, min(o.starts_at) AS starts_at FROM event_occurrences o
                    WHERE $7 AND o.ends_at > coalesce($5::timestamp AT TIME ZONE $11, now())
                      AND ($6::timestamp IS NULL OR o.starts_at < $6::timestamp AT TIME ZONE $11)
                    GROUP BY 1) n
             JOIN contributions c ON c.id = n.contribution_id
            WHERE c.status = 'published' AND c.kind = 'event' AND c.lat IS NOT NULL
              AND c.lon BETWEEN $1 AND $3 AND c.lat BETWEEN $2 AND $4
           UNION ALL
           SELECT 'place', c.id, c.title, '/lieux/' || c.id || '-' || c.slug, c.lat, c.lon, c.place_kind,
                  coalesce(c.address, ''), NULL, false
             FROM contributions c
            WHERE $8 AND c.status = 'published' AND c.kind = 'place' AND c.lat IS NOT NULL
              AND c.lon BETWEEN $1 AND $3 AND c.lat BETWEEN $2 AND $4
           UNION ALL
           SELECT 'structure', m.id, m.display_name, '/membres/' || m.handle, m.lat, m.lon, NULL,
                  coalesce(m.address, ''), NULL, false
             FROM members m
            WHERE $9 AND m.kind = 'structure' AND m.lat IS NOT NULL AND m.hidden_at IS NULL
              AND m.lon BETWEEN $1 AND $3 AND m.lat BETWEEN $2 AND $4
            -- Events first by their next date; no sort by title (a collated sort of every name).
            ORDER BY 1, 9
            LIMIT $10"#,
        bbox.min_lon,
        bbox.min_lat,
        bbox.max_lon,
        bbox.max_lat,
        from,
        until,
        want("event"),
        want("place"),
        want("structure"),
        limit.min(MAX_POINTS),
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading the map's points")
}

/// How many are going and interested.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Attendance {
    pub going: i64,
    pub interested: i64,
}

/// The counts for an event, and what this member said (`going`, `interested` or nothing).
pub async fn attendance(
    tx: &mut TenantTx<'_>,
    id: i64,
    member: Option<i64>,
) -> Result<(Attendance, Option<String>), CoreError> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'going') AS "going!",
                  count(*) FILTER (WHERE status = 'interested') AS "interested!",
                  max(status) FILTER (WHERE member_id = $2) AS mine
             FROM event_attendance WHERE contribution_id = $1"#,
        id,
        member
    )
    .fetch_one(&mut **tx)
    .await
    .context("counting attendance")?;
    Ok((Attendance { going: r.going, interested: r.interested }, r.mine))
}

/// Says (or withdraws, with `None`) that a member goes or is interested.
pub async fn set_attendance(
    tx: &mut TenantTx<'_>,
    id: i64,
    member: i64,
    status: Option<&str>,
    show_name: bool,
) -> Result<(), CoreError> {
    match status {
        Some(s) => sqlx::query!(
            "INSERT INTO event_attendance (contribution_id, member_id, status, show_name) VALUES ($1, $2, $3, $4)
             ON CONFLICT (contribution_id, member_id) DO UPDATE SET status = EXCLUDED.status, show_name = EXCLUDED.show_name",
            id,
            member,
            s,
            show_name
        )
        .execute(&mut **tx)
        .await
        .context("saying one goes")?,
        None => sqlx::query!("DELETE FROM event_attendance WHERE contribution_id = $1 AND member_id = $2", id, member)
            .execute(&mut **tx)
            .await
            .context("withdrawing")?,
    };
    Ok(())
}

/// Those going who agree to their name being shown to the organiser: (handle, name).
pub async fn going_names(tx: &mut TenantTx<'_>, id: i64) -> Result<Vec<(String, String)>, CoreError> {
    let rows = sqlx::query!(
        "SELECT m.handle, m.display_name FROM event_attendance a JOIN members m ON m.id = a.member_id
          WHERE a.contribution_id = $1 AND a.status = 'going' AND a.show_name ORDER BY m.display_name LIMIT 500",
        id
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading who goes")?;
    Ok(rows.into_iter().map(|r| (r.handle, r.display_name)).collect())
}

/// A member's private agenda address: made the first time it is asked for.
pub async fn agenda_token(tx: &mut TenantTx<'_>, member: i64) -> Result<String, CoreError> {
    let token = crate::secrets::new_token();
    let t = sqlx::query_scalar!(
        "UPDATE members SET agenda_token = coalesce(agenda_token, $2) WHERE id = $1 RETURNING agenda_token AS \"t!\"",
        member,
        token
    )
    .fetch_one(&mut **tx)
    .await
    .context("making an agenda address")?;
    Ok(t)
}

/// The member whose private agenda address this is.
pub async fn member_by_agenda_token(tx: &mut TenantTx<'_>, token: &str) -> Result<Option<i64>, CoreError> {
    sqlx::query_scalar!("SELECT id FROM members WHERE agenda_token = $1", token)
        .fetch_optional(&mut **tx)
        .await
        .context("reading an agenda address")
}

/// Those going to an event starting in the next `within`, not yet reminded of that date: marks
/// them reminded and returns (member, event id, title, url, start).
pub async fn due_reminders(
    tx: &mut TenantTx<'_>,
    within: time::Duration,
) -> Result<Vec<(i64, i64, String, String, OffsetDateTime)>, CoreError> {
    let until = OffsetDateTime::now_utc() + within;
    let rows = sqlx::query!(
        r#"WITH due AS (
               SELECT a.contribution_id, a.member_id, min(o.starts_at) AS starts_at
                 FROM event_attendance a
                 JOIN event_occurrences o ON o.contribution_id = a.contribution_id
                 JOIN contributions c ON c.id = a.contribution_id AND c.status = 'published'
                WHERE a.status = 'going' AND o.starts_at > now() AND o.starts_at <= $1
                  AND (a.reminded_until IS NULL OR a.reminded_until < o.starts_at)
                GROUP BY a.contribution_id, a.member_id)
           UPDATE event_attendance a SET reminded_until = due.starts_at
             FROM due, contributions c
            WHERE a.contribution_id = due.contribution_id AND a.member_id = due.member_id AND c.id = due.contribution_id
           RETURNING a.member_id, c.id, c.title, c.slug, due.starts_at AS "starts_at!""#,
        until
    )
    .fetch_all(&mut **tx)
    .await
    .context("finding reminders")?;
    Ok(rows
        .into_iter()
        .map(|r| (r.member_id, r.id, r.title, format!("/evenements/{}-{}", r.id, r.slug), r.starts_at))
        .collect())
}

/// The day before, those going to an event are reminded of it (a notification, and a mail when
/// they chose event mail), once per date; and the supporters of a project whose vote has closed
/// are told, once. In every open region; returns how many were told.
pub async fn send_reminders(db: &crate::db::Db) -> Result<usize, CoreError> {
    use crate::tenants::TenantStatus;
    let mut sent = 0;
    for tenant in crate::tenants::list(db.platform(), None).await? {
        if matches!(tenant.status, TenantStatus::Suspended | TenantStatus::Archived) {
            continue;
        }
        // One region's trouble (being moved, being deleted) never holds back the others'.
        match remind_in(db, &tenant).await {
            Ok(n) => sent += n,
            Err(e) => tracing::warn!(region = %tenant.slug, error = ?e, "event reminders failed"),
        }
    }
    Ok(sent)
}

async fn remind_in(db: &crate::db::Db, tenant: &crate::tenants::Tenant) -> Result<usize, CoreError> {
    let mut tx = TenantTx::begin(db, tenant).await?;
    let due = due_reminders(&mut tx, time::Duration::hours(24)).await?;
    for (member, id, title, url, _) in &due {
        let message = format!("Rappel : « {title} » a lieu demain");
        let about = crate::notifications::About { contribution: Some(*id), comment: None };
        crate::notifications::notify_about(&mut tx, tenant.id, *member, "event", &message, Some(url), about).await?;
    }
    // The same hourly round tells the supporters of projects whose vote has closed.
    let closed = crate::projects::tell_closures(&mut tx, tenant.id).await?;
    tx.commit().await?;
    Ok(due.len() + closed)
}

/// A structure's address and point on the map (a person has none: cleared).
pub async fn set_member_place(
    tx: &mut TenantTx<'_>,
    member_id: i64,
    address: &str,
    point: Option<Point>,
) -> Result<(), CoreError> {
    let (lat, lon) = point.map(|p| (p.lat, p.lon)).unzip();
    sqlx::query!(
        "UPDATE members SET address = nullif($2, ''), lat = $3, lon = $4 WHERE id = $1",
        member_id,
        address,
        lat,
        lon
    )
    .execute(&mut **tx)
    .await
    .context("placing a structure")?;
    Ok(())
}

/// A member's address and point: (address, latitude, longitude).
pub async fn member_place(
    tx: &mut TenantTx<'_>,
    member_id: i64,
) -> Result<(String, Option<f64>, Option<f64>), CoreError> {
    let r = sqlx::query!("SELECT address, lat, lon FROM members WHERE id = $1", member_id)
        .fetch_one(&mut **tx)
        .await
        .context("reading a structure's place")?;
    Ok((r.address.unwrap_or_default(), r.lat, r.lon))
}

/// The dates of published events in a period, by local month, kind and public:
/// (month, event kind, audience, how many).
pub async fn monthly(
    tx: &mut TenantTx<'_>,
    from: time::Date,
    to: time::Date,
    tz: &str,
) -> Result<Vec<(time::Date, String, String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT date_trunc('month', o.starts_at AT TIME ZONE $3)::date AS "month!",
                  coalesce(c.event_kind, 'other') AS "kind!", coalesce(c.audience, 'everyone') AS "audience!",
                  count(*) AS "n!"
             FROM event_occurrences o JOIN contributions c ON c.id = o.contribution_id
            WHERE c.status = 'published' AND c.kind = 'event'
              AND o.starts_at >= ($1::date::timestamp AT TIME ZONE $3)
              AND o.starts_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY 1, 2, 3 ORDER BY 1"#,
        from,
        to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting events by month")?;
    Ok(rows.into_iter().map(|r| (r.month, r.kind, r.audience, r.n)).collect())
}

/// The published events with the most people going, among those with a date in the period:
/// (id, slug, title, going).
pub async fn most_attended(
    tx: &mut TenantTx<'_>,
    from: OffsetDateTime,
    limit: i64,
) -> Result<Vec<(i64, String, String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.slug, c.title, count(a.member_id) AS "n!"
             FROM contributions c JOIN event_attendance a ON a.contribution_id = c.id AND a.status = 'going'
            WHERE c.status = 'published' AND c.kind = 'event'
              AND EXISTS (SELECT 1 FROM event_occurrences o WHERE o.contribution_id = c.id AND o.ends_at >= $1)
            GROUP BY c.id ORDER BY 4 DESC, c.title LIMIT $2"#,
        from,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("ranking events")?;
    Ok(rows.into_iter().map(|r| (r.id, r.slug, r.title, r.n)).collect())
}
