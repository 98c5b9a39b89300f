//! Participation figures for the region's science centre and its funders: who joins (people and
//! structures), what is published, comments and likes, active members, the most read and most
//! liked, and page views — aggregated in SQL over a period, by month (days for views), in the
//! region's time zone. Months that have ended are computed once and kept (see [`monthly`]).

use serde::Serialize;
use time::Date;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// A period of whole days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

/// A count of something (`series`) in a month (its first day) or on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    pub at: Date,
    pub series: String,
    pub count: i64,
}

/// A contribution ranked by a count.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub count: i64,
}

/// The monthly series of a period, each point's `series` a code within its group: members by
/// kind (`person`, `structure`), contributions by kind, interactions (`comments`, `likes`), and
/// active members (`active`: who published, commented or liked, each counted once a month).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Monthly {
    pub members: Vec<Point>,
    pub contributions: Vec<Point>,
    pub interactions: Vec<Point>,
    pub active: Vec<Point>,
}

/// The marker of a month whose figures are stored (a month may count nothing).
const DONE: &str = "done/month";

/// The period's figures by month, in the region's time zone. A whole month of the period that
/// has ended is read from `participation_months` (computed and stored the first time it is asked
/// for: a month's figures are fixed when it ends); the rest — the month under way, a month the
/// period only partly covers — is counted live, over those few days alone. `today` is the UTC
/// date: a month counts as ended once its last day is two days behind (in every time zone).
pub async fn monthly(tx: &mut TenantTx<'_>, p: Period, tz: &str, today: Date) -> Result<Monthly, CoreError> {
    let mut whole = Vec::new();
    let mut live = Vec::new();
    let mut month = first_of_month(p.from);
    while month <= p.to {
        let last = next_month(month).previous_day().unwrap_or(month);
        let (from, to) = (month.max(p.from), last.min(p.to));
        if from == month && to == last && last.next_day().is_some_and(|d| d < today) {
            whole.push(month);
        } else {
            live.push(Period { from, to });
        }
        month = next_month(month);
    }

    let mut points = stored(tx, tz, &whole).await?;
    let done: Vec<Date> = points.iter().filter(|(_, s, _)| s == DONE).map(|(m, _, _)| *m).collect();
    let missing: Vec<Date> = whole.iter().copied().filter(|m| !done.contains(m)).collect();
    if let (Some(&first), Some(&last)) = (missing.first(), missing.last()) {
        let span = Period { from: first, to: next_month(last).previous_day().unwrap_or(last) };
        let counted: Vec<_> = count(tx, span, tz).await?.into_iter().filter(|(m, _, _)| missing.contains(m)).collect();
        store(tx, tz, &missing, &counted).await?;
        points.extend(counted);
    }
    for part in live {
        points.extend(count(tx, part, tz).await?);
    }

    let mut out = Monthly::default();
    for (at, series, n) in points {
        let Some((group, code)) = series.split_once('/') else { continue };
        let target = match group {
            "members" => &mut out.members,
            "contributions" => &mut out.contributions,
            "interactions" => &mut out.interactions,
            "active" => &mut out.active,
            _ => continue,
        };
        target.push(Point { at, series: code.to_owned(), count: n });
    }
    for v in [&mut out.members, &mut out.contributions, &mut out.interactions, &mut out.active] {
        v.sort_by(|a, b| (a.at, &a.series).cmp(&(b.at, &b.series)));
    }
    Ok(out)
}

fn first_of_month(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

fn next_month(d: Date) -> Date {
    let d = first_of_month(d);
    match d.month() {
        time::Month::December => Date::from_calendar_date(d.year() + 1, time::Month::January, 1).unwrap_or(d),
        m => d.replace_month(m.next()).unwrap_or(d),
    }
}

async fn stored(tx: &mut TenantTx<'_>, tz: &str, months: &[Date]) -> Result<Vec<(Date, String, i64)>, CoreError> {
    if months.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query!(
        "SELECT month, series, n FROM participation_months WHERE time_zone = $1 AND month = ANY($2)",
        tz,
        months
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading the stored months")?;
    Ok(rows.into_iter().map(|r| (r.month, r.series, r.n)).collect())
}

/// Keeps the figures of months that have ended (and marks each month done, even one that counted
/// nothing). Two admins computing the same month at once store it once.
async fn store(
    tx: &mut TenantTx<'_>,
    tz: &str,
    months: &[Date],
    points: &[(Date, String, i64)],
) -> Result<(), CoreError> {
    let (mut at, mut series, mut n): (Vec<Date>, Vec<String>, Vec<i64>) = (Vec::new(), Vec::new(), Vec::new());
    for (m, s, c) in points {
        at.push(*m);
        series.push(s.clone());
        n.push(*c);
    }
    for m in months {
        at.push(*m);
        series.push(DONE.to_owned());
        n.push(0);
    }
    sqlx::query!(
        "INSERT INTO participation_months (time_zone, month, series, n)
         SELECT $1, * FROM unnest($2::date[], $3::text[], $4::bigint[])
         ON CONFLICT DO NOTHING",
        tz,
        &at,
        &series,
        &n
    )
    .execute(&mut **tx)
    .await
    .context("storing the months' figures")?;
    Ok(())
}

/// Every monthly series over the days of `p`, counted from the activity itself.
async fn count(tx: &mut TenantTx<'_>, p: Period, tz: &str) -> Result<Vec<(Date, String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"WITH span AS (SELECT ($1::date::timestamp AT TIME ZONE $3) AS lo, (($2::date + 1)::timestamp AT TIME ZONE $3) AS hi),
                activity AS (
                  SELECT published_at AS at, 'contributions/' || kind AS series, author_id AS who FROM contributions, span
                   WHERE status = 'published' AND published_at >= lo AND published_at < hi
                  UNION ALL
                  SELECT created_at, CASE WHEN status = 'visible' THEN 'interactions/comments' END, author_id FROM comments, span
                   WHERE created_at >= lo AND created_at < hi
                  UNION ALL
                  SELECT created_at, 'interactions/likes', member_id FROM likes, span
                   WHERE created_at >= lo AND created_at < hi)
           SELECT date_trunc('month', joined_at AT TIME ZONE $3)::date AS "at!", 'members/' || kind AS "series!", count(*) AS "n!"
             FROM members, span WHERE joined_at >= lo AND joined_at < hi GROUP BY 1, 2
           UNION ALL
           SELECT date_trunc('month', at AT TIME ZONE $3)::date, series, count(*)
             FROM activity WHERE series IS NOT NULL GROUP BY 1, 2
           UNION ALL
           SELECT date_trunc('month', at AT TIME ZONE $3)::date, 'active/active', count(DISTINCT who)
             FROM activity GROUP BY 1"#,
        p.from,
        p.to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting the participation")?;
    Ok(rows.into_iter().map(|r| (r.at, r.series, r.n)).collect())
}

/// Page views a day.
pub async fn views(tx: &mut TenantTx<'_>, p: Period) -> Result<Vec<Point>, CoreError> {
    sqlx::query_as!(
        Point,
        r#"SELECT day AS "at!", 'views' AS "series!", views AS "count!" FROM page_views
            WHERE day BETWEEN $1 AND $2 ORDER BY day"#,
        p.from,
        p.to
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading page views")
}

/// The most read published contributions (views since they were published).
pub async fn most_read(tx: &mut TenantTx<'_>, limit: i64) -> Result<Vec<Ranked>, CoreError> {
    sqlx::query_as!(
        Ranked,
        r#"SELECT id, kind, slug, title, view_count AS count FROM contributions
            WHERE status = 'published' AND view_count > 0
            ORDER BY view_count DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("ranking the most read")
}

/// The published contributions most liked (every "J'aime" since they were published).
pub async fn most_liked(tx: &mut TenantTx<'_>, limit: i64) -> Result<Vec<Ranked>, CoreError> {
    sqlx::query_as!(
        Ranked,
        r#"SELECT id, kind, slug, title, like_count AS count FROM contributions
            WHERE status = 'published' AND like_count > 0
            ORDER BY like_count DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("ranking the most liked")
}

/// The console's front page: the region at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub members: i64,
    pub members_30d: i64,
    pub published: i64,
    pub published_30d: i64,
    pub comments_30d: i64,
    pub views_30d: i64,
}

pub async fn overview(tx: &mut TenantTx<'_>) -> Result<Overview, CoreError> {
    sqlx::query_as!(
        Overview,
        r#"SELECT (SELECT count(*) FROM members) AS "members!",
                  (SELECT count(*) FROM members WHERE joined_at > now() - interval '30 days') AS "members_30d!",
                  (SELECT count(*) FROM contributions WHERE status = 'published') AS "published!",
                  (SELECT count(*) FROM contributions WHERE status = 'published'
                      AND published_at > now() - interval '30 days') AS "published_30d!",
                  (SELECT count(*) FROM comments WHERE status = 'visible'
                      AND created_at > now() - interval '30 days') AS "comments_30d!",
                  (SELECT coalesce(sum(views), 0) FROM page_views WHERE day > current_date - 30)::bigint AS "views_30d!""#
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading the region's overview")
}
