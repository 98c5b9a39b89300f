//! Backups: every open region's archive on a schedule (the archive of "download my data", a row
//! of `platform.exports` requested by `backup`, made by the export job and kept beside the
//! region's media — in S3 in production), a dump of the platform schema (each table in `COPY`
//! format, in one snapshot), the removal of those past their retention, and the check that the
//! latest archive of a region restores (`archive::verify`). The worker runs the schedule; any
//! number of workers may: one transaction-scoped advisory lock makes the others skip.

use std::io::Write;

use echos_domain::job::JobKind;
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::archive::{self, Verified};
use crate::config::BackupsConfig;
use crate::db::Db;
use crate::error::{Context, CoreError};
use crate::exports::ExportJob;
use crate::jobs;
use crate::media::MediaStore;

/// Who asks for a scheduled region backup in `platform.exports`.
pub const REQUESTED_BY: &str = "backup";

/// Key of the lock that keeps two workers from running the same pass.
const SCHEDULE_LOCK: i64 = 0x6563_686f_735f_6261;

/// What one pass of the schedule did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// Regions whose archive was queued.
    pub queued: usize,
    /// A dump of the platform schema made (its key).
    pub platform_dump: Option<String>,
    /// Archives and dumps removed past their retention.
    pub removed: usize,
}

/// Queues the archive of every open region whose last backup is older than the interval (or that
/// has none), makes a platform dump when the last is as old, and removes what is past retention.
/// Another worker doing the same at the same moment makes this one skip. `only`: these regions
/// alone (an operator's command, a test), else every open region.
pub async fn run(db: &Db, media: &MediaStore, cfg: &BackupsConfig, only: Option<&[Uuid]>) -> Result<Pass, CoreError> {
    if cfg.interval_hours == 0 {
        return Ok(Pass::default());
    }
    let pool = db.platform();
    // One pass at a time over every worker: the lock is held on a connection of its own for the
    // whole pass (the platform dump included).
    let mut lock = pool.acquire().await.context("waiting for a connection")?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SCHEDULE_LOCK)
        .fetch_one(&mut *lock)
        .await
        .context("taking the backups lock")?;
    if !got {
        return Ok(Pass::default());
    }
    let pass = run_locked(db, media, cfg, only).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(SCHEDULE_LOCK)
        .execute(&mut *lock)
        .await
        .context("releasing the backups lock")?;
    pass
}

async fn run_locked(
    db: &Db,
    media: &MediaStore,
    cfg: &BackupsConfig,
    only: Option<&[Uuid]>,
) -> Result<Pass, CoreError> {
    let pool = db.platform();
    let hours = i32::try_from(cfg.interval_hours).unwrap_or(i32::MAX);
    // A backup whose job never finished (it gave up) counts as failed: the region is due again.
    sqlx::query!(
        "UPDATE platform.exports SET status = 'failed'
          WHERE requested_by = $1 AND status = 'pending' AND created_at < now() - make_interval(hours => $2 * 2)",
        REQUESTED_BY,
        hours
    )
    .execute(pool)
    .await
    .context("closing backups that never finished")?;
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let due = sqlx::query_scalar!(
        r#"SELECT t.id FROM platform.tenants t
            WHERE t.status IN ('trial', 'active', 'past_due', 'suspended')
              AND ($3::uuid[] IS NULL OR t.id = ANY($3))
              AND NOT EXISTS (SELECT 1 FROM platform.exports e
                               WHERE e.tenant_id = t.id AND e.requested_by = $1 AND e.status <> 'failed'
                                 AND e.created_at > now() - make_interval(hours => $2))
            ORDER BY t.created_at"#,
        REQUESTED_BY,
        hours,
        only
    )
    .fetch_all(&mut *tx)
    .await
    .context("finding the regions due for a backup")?;
    // Spread over the first half of the interval, so that a region's admin asking for an archive,
    // or a member's erasure, never waits behind every region's backup (they share a lane).
    let spread = f64::from(hours) * 3600.0 / 2.0 / due.len().max(1) as f64;
    for (i, tenant_id) in due.iter().enumerate() {
        let id = Uuid::new_v4();
        sqlx::query!(
            "INSERT INTO platform.exports (id, tenant_id, requested_by) VALUES ($1, $2, $3)",
            id,
            tenant_id,
            REQUESTED_BY
        )
        .execute(&mut *tx)
        .await
        .context("recording a backup")?;
        let job = ExportJob { export_id: id, notify: None, for_operator: false };
        let job_id = jobs::enqueue(&mut tx, Some(*tenant_id), JobKind::RegionExport, &job).await?;
        if i > 0 {
            jobs::postpone(&mut tx, job_id, spread * i as f64).await?;
        }
    }
    let dump_due = sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM platform.platform_dumps
                               WHERE created_at > now() - make_interval(hours => $1)) AS "due!""#,
        hours
    )
    .fetch_one(&mut *tx)
    .await
    .context("reading the last platform dump")?;
    tx.commit().await.context("committing the backups")?;
    let platform_dump = if dump_due { Some(dump_platform(db, media).await?.key) } else { None };
    let removed = prune(pool, media, cfg.retention_days).await?;
    Ok(Pass { queued: due.len(), platform_dump, removed })
}

/// Removes the region backups and platform dumps older than `days`, files first; the newest of
/// each region, and the newest dump, are kept whatever their age.
pub async fn prune(pool: &PgPool, media: &MediaStore, days: u64) -> Result<usize, CoreError> {
    let days = i32::try_from(days).unwrap_or(i32::MAX);
    let old = sqlx::query!(
        r#"SELECT e.id, e.tenant_id FROM platform.exports e
            WHERE e.requested_by = $1 AND e.created_at < now() - make_interval(days => $2)
              AND e.id IS DISTINCT FROM (SELECT l.id FROM platform.exports l
                            WHERE l.tenant_id = e.tenant_id AND l.requested_by = $1 AND l.status = 'ready'
                            ORDER BY l.created_at DESC LIMIT 1)"#,
        REQUESTED_BY,
        days
    )
    .fetch_all(pool)
    .await
    .context("finding old backups")?;
    let mut removed = 0;
    for e in old {
        media.delete_export(e.tenant_id, e.id).await?;
        sqlx::query!("DELETE FROM platform.exports WHERE id = $1", e.id)
            .execute(pool)
            .await
            .context("removing an old backup")?;
        removed += 1;
    }
    let dumps = sqlx::query!(
        r#"SELECT id, media_key FROM platform.platform_dumps
            WHERE created_at < now() - make_interval(days => $1)
              AND id IS DISTINCT FROM (SELECT id FROM platform.platform_dumps ORDER BY created_at DESC LIMIT 1)"#,
        days
    )
    .fetch_all(pool)
    .await
    .context("finding old platform dumps")?;
    for d in dumps {
        media.delete_platform_dump(&d.media_key).await?;
        sqlx::query!("DELETE FROM platform.platform_dumps WHERE id = $1", d.id)
            .execute(pool)
            .await
            .context("removing an old platform dump")?;
        removed += 1;
    }
    Ok(removed)
}

/// The manifest of a platform dump.
#[derive(Debug, Clone, Serialize)]
pub struct DumpManifest {
    pub format: &'static str,
    /// The platform migrations applied when it was made.
    pub schema_version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
    pub tables: Vec<archive::TableEntry>,
}

/// A platform dump made.
#[derive(Debug, Clone)]
pub struct Dump {
    pub key: String,
    pub bytes: i64,
    pub tables: usize,
    pub rows: u64,
}

/// Dumps the platform schema (regions, hosts, accounts, sessions, jobs, billing…): every table in
/// `COPY` text format, read in one repeatable-read snapshot, in a gzipped tar with a manifest;
/// stored beside the media and listed in `platform.platform_dumps`. Restoring it is
/// `echos migrate` on an empty database, then `COPY … FROM` each file (docs/operations.md).
pub async fn dump_platform(db: &Db, media: &MediaStore) -> Result<Dump, CoreError> {
    let pool = db.platform();
    let mut tx =
        pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.context("starting a snapshot")?;
    let schema_version: i64 =
        sqlx::query_scalar!(r#"SELECT coalesce(max(version), 0) AS "v!" FROM platform.schema_migrations"#)
            .fetch_one(&mut *tx)
            .await
            .context("reading the platform's version")?;
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut out = tar::Builder::new(gz);
    let (tables, data) = archive::copy_out(&mut tx, "platform").await?;
    tx.commit().await.context("ending the snapshot")?;
    let manifest =
        DumpManifest { format: "echosciences-platform", schema_version, made_at: OffsetDateTime::now_utc(), tables };
    let json = serde_json::to_vec_pretty(&manifest).context("writing the manifest")?;
    archive::tar_file(&mut out, "manifest.json", &json)?;
    for (name, bytes) in &data {
        archive::tar_file(&mut out, &format!("tables/{name}.copy"), bytes)?;
    }
    let gz = out.into_inner().context("finishing the dump")?;
    let mut gz = gz;
    gz.flush().context("finishing the dump")?;
    let bytes = gz.finish().context("finishing the dump")?;
    let id = Uuid::new_v4();
    let size = bytes.len() as i64;
    let key = media.put_platform_dump(id, bytes).await?;
    let rows = manifest.tables.iter().map(|t| t.rows).sum::<u64>();
    sqlx::query!(
        "INSERT INTO platform.platform_dumps (id, media_key, bytes, tables, rows) VALUES ($1, $2, $3, $4, $5)",
        id,
        key,
        size,
        manifest.tables.len() as i32,
        rows as i64
    )
    .execute(pool)
    .await
    .context("recording the platform dump")?;
    Ok(Dump { key, bytes: size, tables: manifest.tables.len(), rows })
}

/// The latest archive of a region that is ready (a backup or one asked for), with its time.
pub async fn latest_archive(pool: &PgPool, tenant_id: Uuid) -> Result<Option<(Uuid, OffsetDateTime)>, CoreError> {
    let row = sqlx::query!(
        "SELECT id, created_at FROM platform.exports
          WHERE tenant_id = $1 AND status = 'ready' ORDER BY created_at DESC LIMIT 1",
        tenant_id
    )
    .fetch_optional(pool)
    .await
    .context("finding the latest archive")?;
    Ok(row.map(|r| (r.id, r.created_at)))
}

/// Restores the region's latest archive into a scratch schema and rolls it back
/// (`archive::verify`): `Ok(None)` when the region has no archive yet.
pub async fn verify_latest(db: &Db, media: &MediaStore, tenant_id: Uuid) -> Result<Option<Verified>, CoreError> {
    let Some((export_id, _)) = latest_archive(db.platform(), tenant_id).await? else { return Ok(None) };
    let bytes = media
        .get_export(tenant_id, export_id)
        .await?
        .ok_or_else(|| CoreError::invalid(format!("the archive {export_id} is listed but its file is missing")))?;
    archive::verify(db, &bytes).await.map(Some)
}
