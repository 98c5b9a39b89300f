//! Participation figures for the region's science centre and its funders: who joins (people and
//! structures), what is published, comments and likes, active members, the most read and most
//! liked, and page views — aggregated in SQL over a period, by month (days for views), in the
//! region's time zone.

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

/// New members a month, by kind (`person`, `structure`).
pub async fn members(tx: &mut TenantTx<'_>, p: Period, tz: &str) -> Result<Vec<Point>, CoreError> {
    sqlx::query_as!(
        Point,
        r#"SELECT date_trunc('month', joined_at AT TIME ZONE $3)::date AS "at!", kind AS "series!", count(*) AS "count!"
             FROM members
            WHERE joined_at >= ($1::date::timestamp AT TIME ZONE $3) AND joined_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY 1, 2 ORDER BY 1, 2"#,
        p.from,
        p.to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting new members")
}

/// Members who joined before the period, by kind: where the running totals start.
pub async fn members_before(tx: &mut TenantTx<'_>, p: Period, tz: &str) -> Result<Vec<(String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT kind AS "kind!", count(*) AS "count!" FROM members
            WHERE joined_at < ($1::date::timestamp AT TIME ZONE $2) GROUP BY kind"#,
        p.from,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting members")?;
    Ok(rows.into_iter().map(|r| (r.kind, r.count)).collect())
}

/// Contributions published a month, by kind.
pub async fn contributions(tx: &mut TenantTx<'_>, p: Period, tz: &str) -> Result<Vec<Point>, CoreError> {
    sqlx::query_as!(
        Point,
        r#"SELECT date_trunc('month', published_at AT TIME ZONE $3)::date AS "at!", kind AS "series!", count(*) AS "count!"
             FROM contributions
            WHERE status = 'published'
              AND published_at >= ($1::date::timestamp AT TIME ZONE $3) AND published_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY 1, 2 ORDER BY 1, 2"#,
        p.from,
        p.to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting contributions")
}

/// Comments and likes a month (`comments`, `likes`).
pub async fn interactions(tx: &mut TenantTx<'_>, p: Period, tz: &str) -> Result<Vec<Point>, CoreError> {
    sqlx::query_as!(
        Point,
        r#"SELECT date_trunc('month', at AT TIME ZONE $3)::date AS "at!", series AS "series!", count(*) AS "count!"
             FROM (SELECT created_at AS at, 'comments' AS series FROM comments WHERE status = 'visible'
                   UNION ALL SELECT created_at, 'likes' FROM likes) x
            WHERE at >= ($1::date::timestamp AT TIME ZONE $3) AND at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY 1, 2 ORDER BY 1, 2"#,
        p.from,
        p.to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting comments and likes")
}

/// Members who published, commented or liked, a month (each counted once a month).
pub async fn active(tx: &mut TenantTx<'_>, p: Period, tz: &str) -> Result<Vec<Point>, CoreError> {
    sqlx::query_as!(
        Point,
        r#"SELECT date_trunc('month', at AT TIME ZONE $3)::date AS "at!", 'active' AS "series!",
                  count(DISTINCT who) AS "count!"
             FROM (SELECT published_at AS at, author_id AS who FROM contributions WHERE status = 'published'
                   UNION ALL SELECT created_at, author_id FROM comments
                   UNION ALL SELECT created_at, member_id FROM likes) x
            WHERE at >= ($1::date::timestamp AT TIME ZONE $3) AND at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY 1 ORDER BY 1"#,
        p.from,
        p.to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting active members")
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

/// The published contributions most liked during the period.
pub async fn most_liked(tx: &mut TenantTx<'_>, p: Period, tz: &str, limit: i64) -> Result<Vec<Ranked>, CoreError> {
    sqlx::query_as!(
        Ranked,
        r#"SELECT c.id, c.kind, c.slug, c.title, count(*) AS "count!"
             FROM likes l JOIN contributions c ON c.id = l.contribution_id AND c.status = 'published'
            WHERE l.created_at >= ($1::date::timestamp AT TIME ZONE $3) AND l.created_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY c.id ORDER BY 5 DESC, c.id DESC LIMIT $4"#,
        p.from,
        p.to,
        tz,
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
