//! What the operator's console reads across regions: each region's state, plan and figures, the
//! failed jobs (and their retry), the queue's depth, and the migration ledger.

use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::Db;
use crate::error::{Context, CoreError};
use crate::tenants::{self, Tenant};

/// A region in the operator's list.
#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub plan: String,
    pub primary_host: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub trial_ends_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delete_after: Option<OffsetDateTime>,
    pub schema_version: i64,
    pub figures: Option<Figures>,
}

/// A region's size and life, read in its own schema.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub members: i64,
    pub contributions: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_activity: Option<OffsetDateTime>,
}

/// One page of regions, filtered by state and by a piece of their slug or name; and how many
/// match in all.
pub async fn regions(
    db: &Db,
    status: Option<&str>,
    text: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<RegionRow>, i64), CoreError> {
    let pattern = text.map(|t| format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let rows = sqlx::query!(
        r#"SELECT t.id, t.slug, t.name, t.status, t.plan, t.created_at, t.trial_ends_at, t.delete_after,
                  t.schema_version,
                  coalesce((SELECT d.host FROM platform.tenant_domains d WHERE d.tenant_id = t.id AND d.is_primary), t.slug)
                      AS "primary_host!",
                  count(*) OVER () AS "total!"
             FROM platform.tenants t
            WHERE ($1::text IS NULL OR t.status = $1)
              AND ($2::text IS NULL OR t.slug ILIKE $2 OR t.name ILIKE $2)
            ORDER BY t.created_at DESC, t.slug
            LIMIT $3 OFFSET $4"#,
        status,
        pattern,
        limit,
        offset
    )
    .fetch_all(db.platform())
    .await
    .context("listing regions")?;
    let total = rows.first().map_or(0, |r| r.total);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let figures = match tenants::get_by_id(db.platform(), r.id).await {
            Ok(t) => figures(db, &t).await.ok(),
            Err(_) => None,
        };
        out.push(RegionRow {
            id: r.id,
            slug: r.slug,
            name: r.name,
            status: r.status,
            plan: r.plan,
            primary_host: r.primary_host,
            created_at: r.created_at,
            trial_ends_at: r.trial_ends_at,
            delete_after: r.delete_after,
            schema_version: r.schema_version,
            figures,
        });
    }
    Ok((out, total))
}

/// A region's members, published contributions and last activity (a member seen, a
/// contribution published).
pub async fn figures(db: &Db, t: &Tenant) -> Result<Figures, CoreError> {
    db.with_tenant(t, |tx| {
        Box::pin(async move {
            sqlx::query_as!(
                Figures,
                r#"SELECT (SELECT count(*) FROM members) AS "members!",
                          (SELECT count(*) FROM contributions WHERE status = 'published') AS "contributions!",
                          greatest((SELECT max(last_seen_at) FROM members),
                                   (SELECT max(published_at) FROM contributions)) AS last_activity"#
            )
            .fetch_one(&mut **tx)
            .await
            .context("reading a region's figures")
        })
    })
    .await
}

/// A job that gave up.
#[derive(Debug, Clone, Serialize)]
pub struct FailedJob {
    pub id: i64,
    pub region: Option<String>,
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub failed_at: Option<OffsetDateTime>,
}

/// Failed jobs, the latest first, and how many in all.
pub async fn failed_jobs(pool: &PgPool, limit: i64, offset: i64) -> Result<(Vec<FailedJob>, i64), CoreError> {
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM platform.jobs WHERE failed_at IS NOT NULL"#)
        .fetch_one(pool)
        .await
        .context("counting failed jobs")?;
    let rows = sqlx::query_as!(
        FailedJob,
        "SELECT j.id, t.slug AS \"region?\", j.kind, j.attempts, j.last_error, j.created_at, j.failed_at
           FROM platform.jobs j LEFT JOIN platform.tenants t ON t.id = j.tenant_id
          WHERE j.failed_at IS NOT NULL
          ORDER BY j.failed_at DESC, j.id DESC LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(pool)
    .await
    .context("listing failed jobs")?;
    Ok((rows, total))
}

/// Gives a failed job another round of attempts, now. `false` when it is not failed (or gone).
pub async fn retry(pool: &PgPool, id: i64) -> Result<bool, CoreError> {
    let done = sqlx::query!(
        "UPDATE platform.jobs SET failed_at = NULL, attempts = 0, run_at = now(), last_error = NULL
          WHERE id = $1 AND failed_at IS NOT NULL",
        id
    )
    .execute(pool)
    .await
    .context("retrying a job")?;
    Ok(done.rows_affected() == 1)
}

/// The queue by kind: waiting, failed, and the age of the oldest waiting job.
#[derive(Debug, Clone, Serialize)]
pub struct QueueLine {
    pub kind: String,
    pub waiting: i64,
    pub failed: i64,
    pub oldest_secs: Option<f64>,
}

pub async fn queue(pool: &PgPool) -> Result<Vec<QueueLine>, CoreError> {
    sqlx::query_as!(
        QueueLine,
        r#"SELECT kind,
                  count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL) AS "waiting!",
                  count(*) FILTER (WHERE failed_at IS NOT NULL) AS "failed!",
                  extract(epoch FROM now() - min(created_at) FILTER (WHERE done_at IS NULL AND failed_at IS NULL))::float8
                      AS oldest_secs
             FROM platform.jobs WHERE done_at IS NULL GROUP BY kind ORDER BY kind"#
    )
    .fetch_all(pool)
    .await
    .context("reading the queue")
}

/// A region's place in the migration ledger.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    pub slug: String,
    pub schema_version: i64,
    /// The PostgreSQL cluster that holds it.
    pub database: String,
    pub moving: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_applied_at: Option<OffsetDateTime>,
    pub versions: Vec<i64>,
}

/// Every region's migrations, those behind first.
pub async fn ledger(pool: &PgPool) -> Result<Vec<LedgerLine>, CoreError> {
    sqlx::query_as!(
        LedgerLine,
        r#"SELECT t.slug, t.schema_version, t.database, t.moving_since IS NOT NULL AS "moving!",
                  (SELECT max(applied_at) FROM platform.schema_ledger l WHERE l.schema_name = t.schema_name) AS last_applied_at,
                  coalesce(ARRAY(SELECT version FROM platform.schema_ledger l WHERE l.schema_name = t.schema_name
                                  ORDER BY version), '{}') AS "versions!"
             FROM platform.tenants t ORDER BY t.schema_version, t.slug"#
    )
    .fetch_all(pool)
    .await
    .context("reading the migration ledger")
}
