//! A region's life: trial → active → past due → suspended → archived, then deleted. Every change
//! goes through [`transition`], which records it in `platform.tenant_events` (kept after the
//! region is gone); [`sweep`] is the clock that moves regions on (trials that ran out, payments
//! late past the grace period, deletions that are due, sign-ups never paid).

use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::BillingConfig;
use crate::db::Db;
use crate::error::{Context, CoreError};
use crate::media::MediaStore;
use crate::tenants::TenantStatus;

/// Moves a region to `to` (a no-op when it is there already) and records who did it and why.
/// Returns the state it was in. The timestamps that go with a state are set or cleared here:
/// `past_due_since` (kept while suspended for a late payment), `suspended_at`, `archived_at`.
pub async fn transition(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    to: TenantStatus,
    by: &str,
    note: &str,
) -> Result<TenantStatus, CoreError> {
    let row = sqlx::query!("SELECT slug, status FROM platform.tenants WHERE id = $1 FOR UPDATE", tenant_id)
        .fetch_optional(&mut *conn)
        .await
        .context("locking a region")?
        .ok_or(CoreError::NotFound)?;
    let from = TenantStatus::parse(&row.status).unwrap_or(TenantStatus::Archived);
    if from == to {
        return Ok(from);
    }
    sqlx::query!(
        "UPDATE platform.tenants
            SET status = $2, updated_at = now(),
                past_due_since = CASE WHEN $2 = 'past_due' THEN coalesce(past_due_since, now())
                                      WHEN $2 = 'suspended' THEN past_due_since END,
                suspended_at = CASE WHEN $2 = 'suspended' THEN now() END,
                archived_at = CASE WHEN $2 = 'archived' THEN now() END
          WHERE id = $1",
        tenant_id,
        to.as_str()
    )
    .execute(&mut *conn)
    .await
    .context("changing a region's state")?;
    sqlx::query!(
        "INSERT INTO platform.tenant_events (tenant_id, slug, from_status, to_status, by, note)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant_id,
        row.slug,
        from.as_str(),
        to.as_str(),
        by,
        note
    )
    .execute(&mut *conn)
    .await
    .context("recording a region's change of state")?;
    Ok(from)
}

/// Records a region's first state (it was just opened).
pub async fn opened(conn: &mut PgConnection, tenant_id: Uuid, by: &str, note: &str) -> Result<(), CoreError> {
    sqlx::query!(
        "INSERT INTO platform.tenant_events (tenant_id, slug, to_status, by, note)
         SELECT id, slug, status, $2, $3 FROM platform.tenants WHERE id = $1",
        tenant_id,
        by,
        note
    )
    .execute(conn)
    .await
    .context("recording a region's opening")?;
    Ok(())
}

/// One change of a region's state, as the operator's console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub from_status: Option<String>,
    pub to_status: String,
    pub by: String,
    pub note: String,
}

/// A region's changes of state, the latest first.
pub async fn history(pool: &PgPool, tenant_id: Uuid, limit: i64) -> Result<Vec<Event>, CoreError> {
    sqlx::query_as!(
        Event,
        "SELECT at, from_status, to_status, by, note FROM platform.tenant_events
          WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        tenant_id,
        limit
    )
    .fetch_all(pool)
    .await
    .context("reading a region's history")
}

/// Approves a region in trial: it becomes active, for good.
pub async fn approve(pool: &PgPool, tenant_id: Uuid, by: &str) -> Result<(), CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let from = transition(&mut tx, tenant_id, TenantStatus::Active, by, "trial approved").await?;
    if from != TenantStatus::Trial && from != TenantStatus::Active {
        return Err(CoreError::conflict("only a region in trial can be approved"));
    }
    sqlx::query!("UPDATE platform.tenants SET approved_at = now(), trial_ends_at = NULL WHERE id = $1", tenant_id)
        .execute(&mut *tx)
        .await
        .context("approving a region")?;
    tx.commit().await.context("committing an approval")
}

/// Suspends a region now (read-only with a notice, closed after `billing.read_only_days`).
pub async fn suspend(pool: &PgPool, tenant_id: Uuid, by: &str, note: &str) -> Result<(), CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    transition(&mut tx, tenant_id, TenantStatus::Suspended, by, note).await?;
    tx.commit().await.context("committing a suspension")
}

/// Opens a suspended or archived region again.
pub async fn resume(pool: &PgPool, tenant_id: Uuid, by: &str, note: &str) -> Result<(), CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    transition(&mut tx, tenant_id, TenantStatus::Active, by, note).await?;
    tx.commit().await.context("committing a resumption")
}

/// Why a deletion cannot be scheduled.
#[derive(Debug, PartialEq, Eq)]
pub enum DeletionRefusal {
    /// No archive of the region exists: make one first.
    NoExport,
    /// The slug typed to confirm is not the region's.
    NotConfirmed,
}

/// Schedules a region's deletion in `billing.deletion_delay_days`: only once an export of it
/// exists, and confirmed by typing its slug. The region is archived meanwhile (closed), and the
/// deletion can be undone until then ([`cancel_deletion`]).
pub async fn schedule_deletion(
    pool: &PgPool,
    cfg: &BillingConfig,
    tenant_id: Uuid,
    confirm_slug: &str,
    by: &str,
) -> Result<Result<OffsetDateTime, DeletionRefusal>, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let row = sqlx::query!(
        "SELECT slug, EXISTS (SELECT 1 FROM platform.exports e WHERE e.tenant_id = t.id AND e.status = 'ready') AS \"exported!\"
           FROM platform.tenants t WHERE id = $1 FOR UPDATE",
        tenant_id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("reading a region")?
    .ok_or(CoreError::NotFound)?;
    if !row.exported {
        return Ok(Err(DeletionRefusal::NoExport));
    }
    if confirm_slug.trim() != row.slug {
        return Ok(Err(DeletionRefusal::NotConfirmed));
    }
    let when = OffsetDateTime::now_utc() + time::Duration::days(cfg.deletion_delay_days);
    transition(&mut tx, tenant_id, TenantStatus::Archived, by, "deletion scheduled").await?;
    sqlx::query!("UPDATE platform.tenants SET delete_after = $2 WHERE id = $1", tenant_id, when)
        .execute(&mut *tx)
        .await
        .context("scheduling a deletion")?;
    sqlx::query!(
        "INSERT INTO platform.tenant_events (tenant_id, slug, from_status, to_status, by, note)
         VALUES ($1, $2, 'archived', 'archived', $3, $4)",
        tenant_id,
        row.slug,
        by,
        format!("deletion on {}", when.date())
    )
    .execute(&mut *tx)
    .await
    .context("recording a scheduled deletion")?;
    tx.commit().await.context("committing a scheduled deletion")?;
    Ok(Ok(when))
}

/// Undoes a scheduled deletion; the region stays archived until resumed.
pub async fn cancel_deletion(pool: &PgPool, tenant_id: Uuid, by: &str) -> Result<(), CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let slug = sqlx::query_scalar!(
        "UPDATE platform.tenants SET delete_after = NULL WHERE id = $1 AND delete_after IS NOT NULL RETURNING slug",
        tenant_id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("cancelling a deletion")?
    .ok_or_else(|| CoreError::conflict("no deletion is scheduled for this region"))?;
    sqlx::query!(
        "INSERT INTO platform.tenant_events (tenant_id, slug, from_status, to_status, by, note)
         VALUES ($1, $2, 'archived', 'archived', $3, 'deletion cancelled')",
        tenant_id,
        slug,
        by
    )
    .execute(&mut *tx)
    .await
    .context("recording a cancelled deletion")?;
    tx.commit().await.context("committing a cancelled deletion")
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub trials_ended: usize,
    pub suspended_for_payment: usize,
    pub deleted: usize,
    pub signups_expired: usize,
}

/// The lifecycle's clock, run every minute by the worker (any number of workers: each change is
/// made under a row lock and happens once).
pub async fn sweep(db: &Db, media: &MediaStore, cfg: &BillingConfig, now: OffsetDateTime) -> Result<Swept, CoreError> {
    let pool = db.platform();
    let mut swept = Swept::default();
    let trials = sqlx::query_scalar!(
        "SELECT id FROM platform.tenants WHERE status = 'trial' AND trial_ends_at < $1 AND approved_at IS NULL",
        now
    )
    .fetch_all(pool)
    .await
    .context("finding trials that ran out")?;
    for id in trials {
        suspend(pool, id, "sweep", "the trial ended without approval").await?;
        swept.trials_ended += 1;
    }
    let late = sqlx::query_scalar!(
        "SELECT id FROM platform.tenants WHERE status = 'past_due' AND past_due_since < $1",
        now - time::Duration::days(cfg.grace_days)
    )
    .fetch_all(pool)
    .await
    .context("finding late payments")?;
    for id in late {
        suspend(pool, id, "sweep", "payment late past the grace period").await?;
        swept.suspended_for_payment += 1;
    }
    let due =
        sqlx::query!("SELECT id, slug FROM platform.tenants WHERE delete_after < $1 AND status = 'archived'", now)
            .fetch_all(pool)
            .await
            .context("finding deletions that are due")?;
    for r in due {
        delete_now(db, media, r.id, "sweep").await?;
        tracing::info!(slug = %r.slug, "region deleted as scheduled");
        swept.deleted += 1;
    }
    swept.signups_expired = sqlx::query!(
        "UPDATE platform.signups SET status = 'expired' WHERE status = 'pending' AND created_at < $1",
        now - time::Duration::hours(25)
    )
    .execute(pool)
    .await
    .context("expiring sign-ups never paid")?
    .rows_affected() as usize;
    Ok(swept)
}

/// Deletes a region: its schema, its row (its domains, sessions and jobs with it) and its media;
/// its history stays in `tenant_events`.
pub async fn delete_now(db: &Db, media: &MediaStore, tenant_id: Uuid, by: &str) -> Result<(), CoreError> {
    let cluster = sqlx::query_scalar!("SELECT database FROM platform.tenants WHERE id = $1", tenant_id)
        .fetch_optional(db.platform())
        .await
        .context("finding the region's cluster")?
        .ok_or(CoreError::NotFound)?;
    // On the region's cluster: its schema there, the control plane's rows through it.
    let mut tx = db.cluster(&cluster)?.begin().await.context("starting a transaction")?;
    sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await.context("setting the lock timeout")?;
    // Still on that cluster, and not being moved: else it is deleted by the next sweep.
    let row = sqlx::query!(
        "DELETE FROM platform.tenants WHERE id = $1 AND database = $2 AND moving_since IS NULL
         RETURNING slug, schema_name, status",
        tenant_id,
        cluster
    )
    .fetch_optional(&mut *tx)
    .await
    .context("removing a region")?
    .ok_or_else(|| CoreError::conflict("the region is being moved to another cluster: delete it once moved"))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {} CASCADE", row.schema_name)))
        .execute(&mut *tx)
        .await
        .context("dropping the region's schema")?;
    sqlx::query!("DELETE FROM platform.schema_ledger WHERE schema_name = $1", row.schema_name)
        .execute(&mut *tx)
        .await
        .context("clearing the ledger")?;
    sqlx::query!(
        "INSERT INTO platform.tenant_events (tenant_id, slug, from_status, to_status, by, note)
         VALUES ($1, $2, $3, 'deleted', $4, 'schema, media and domains removed')",
        tenant_id,
        row.slug,
        row.status,
        by
    )
    .execute(&mut *tx)
    .await
    .context("recording a deletion")?;
    tx.commit().await.context("committing a deletion")?;
    media.delete_all_for(tenant_id).await
}
