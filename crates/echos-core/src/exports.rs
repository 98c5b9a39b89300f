//! A region's archives, asked for in its console, by an operator or on the command line: a row
//! per archive (made by a job, then mailed as a link to whoever asked), the file beside the
//! region's media. An archive is always looked up with its region: another region's is not there.

use echos_domain::job::JobKind;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Context, CoreError};
use crate::jobs;

/// The payload of the job that makes an archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportJob {
    pub export_id: Uuid,
    /// Who gets the link: a region's admin (into the console) or an operator.
    pub notify: Option<Uuid>,
    pub for_operator: bool,
}

/// One archive of a region.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub requested_by: String,
    /// `pending`, `ready`, `failed`.
    pub status: String,
    pub bytes: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ready_at: Option<OffsetDateTime>,
}

/// Asks for an archive of a region; the job makes it and mails `notify` a link.
pub async fn request(
    pool: &PgPool,
    tenant_id: Uuid,
    requested_by: &str,
    notify: Option<Uuid>,
    for_operator: bool,
) -> Result<Uuid, CoreError> {
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await.context("starting a transaction")?;
    sqlx::query!(
        "INSERT INTO platform.exports (id, tenant_id, requested_by) VALUES ($1, $2, $3)",
        id,
        tenant_id,
        requested_by
    )
    .execute(&mut *tx)
    .await
    .context("recording an export")?;
    jobs::enqueue(&mut tx, Some(tenant_id), JobKind::RegionExport, &ExportJob { export_id: id, notify, for_operator })
        .await?;
    tx.commit().await.context("committing an export")?;
    Ok(id)
}

/// Records an archive made outside the queue (`echos tenant export`), already stored.
pub async fn record_ready(pool: &PgPool, tenant_id: Uuid, by: &str, key: &str, bytes: i64) -> Result<Uuid, CoreError> {
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO platform.exports (id, tenant_id, requested_by, status, media_key, bytes, ready_at)
         VALUES ($1, $2, $3, 'ready', $4, $5, now())",
        id,
        tenant_id,
        by,
        key,
        bytes
    )
    .execute(pool)
    .await
    .context("recording an export")?;
    Ok(id)
}

/// Records an archive made; false when its row is gone (the region was deleted meanwhile: the
/// caller removes the file).
pub async fn mark_ready(pool: &PgPool, id: Uuid, key: &str, bytes: i64) -> Result<bool, CoreError> {
    let done = sqlx::query!(
        "UPDATE platform.exports SET status = 'ready', media_key = $2, bytes = $3, ready_at = now() WHERE id = $1",
        id,
        key,
        bytes
    )
    .execute(pool)
    .await
    .context("marking an export ready")?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_failed(pool: &PgPool, id: Uuid) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.exports SET status = 'failed' WHERE id = $1", id)
        .execute(pool)
        .await
        .context("marking an export failed")?;
    Ok(())
}

/// A region's archives, newest first.
pub async fn list(pool: &PgPool, tenant_id: Uuid) -> Result<Vec<Export>, CoreError> {
    sqlx::query_as!(
        Export,
        "SELECT id, tenant_id, requested_by, status, bytes, created_at, ready_at FROM platform.exports
          WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 50",
        tenant_id
    )
    .fetch_all(pool)
    .await
    .context("listing a region's archives")
}

/// One archive of this region (another region's is `None`).
pub async fn get(pool: &PgPool, tenant_id: Uuid, id: Uuid) -> Result<Option<Export>, CoreError> {
    sqlx::query_as!(
        Export,
        "SELECT id, tenant_id, requested_by, status, bytes, created_at, ready_at FROM platform.exports
          WHERE id = $1 AND tenant_id = $2",
        id,
        tenant_id
    )
    .fetch_optional(pool)
    .await
    .context("reading an archive")
}

/// The region an archive belongs to (an operator's download names only the archive).
pub async fn region_of(pool: &PgPool, id: Uuid) -> Result<Option<Uuid>, CoreError> {
    sqlx::query_scalar!("SELECT tenant_id FROM platform.exports WHERE id = $1", id)
        .fetch_optional(pool)
        .await
        .context("reading an archive")
}
