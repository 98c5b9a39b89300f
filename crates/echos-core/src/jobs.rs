//! The job queue (`platform.jobs`): side effects written in the same transaction as the change
//! that causes them, run later by a worker with retries and exponential backoff. Workers claim
//! due jobs with `FOR UPDATE SKIP LOCKED`, so any number can run side by side.

use echos_domain::job::JobKind;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::{Context, CoreError};

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
    /// The `traceparent` of the request that queued it (tracing on).
    pub trace_parent: Option<String>,
}

/// Adds a job inside the caller's transaction: it exists only if the change commits.
pub async fn enqueue(
    conn: &mut PgConnection,
    tenant_id: Option<Uuid>,
    kind: JobKind,
    payload: &impl Serialize,
) -> Result<i64, CoreError> {
    let payload = serde_json::to_value(payload).context("encoding a job")?;
    sqlx::query_scalar!(
        "INSERT INTO platform.jobs (tenant_id, kind, payload, trace_parent) VALUES ($1, $2, $3, $4) RETURNING id",
        tenant_id,
        kind.code(),
        payload,
        crate::trace::current_traceparent()
    )
    .fetch_one(conn)
    .await
    .context("queueing a job")
}

/// Makes a job just queued (in the caller's transaction) due `secs` from now rather than at once.
pub async fn postpone(conn: &mut PgConnection, id: i64, secs: f64) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.jobs SET run_at = now() + make_interval(secs => $2) WHERE id = $1", id, secs)
        .execute(conn)
        .await
        .context("postponing a job")?;
    Ok(())
}

/// Takes up to `limit` due jobs of `kinds` (of one region only, when `only` is given) and leases
/// them for `lease_secs` (a crashed worker's jobs come back after the lease). Fair between
/// regions: at most three of a region per batch, each region's oldest first, so one region's ten
/// thousand newsletters do not hold back another's sign-up mail. A suspended or closed region's
/// jobs wait, except the kinds listed in `always` (its admins' billing mail, its archive…); a
/// region being moved to another cluster has all of its jobs wait.
pub async fn claim(
    pool: &PgPool,
    kinds: &[&str],
    always: &[&str],
    limit: i64,
    lease_secs: f64,
    only: Option<Uuid>,
) -> Result<Vec<Job>, CoreError> {
    let rows = sqlx::query!(
        r#"UPDATE platform.jobs j
              SET attempts = j.attempts + 1, run_at = now() + make_interval(secs => $2)
            WHERE j.id IN (
                  SELECT id FROM platform.jobs
                   WHERE id IN (SELECT id FROM (
                                  SELECT id, run_at,
                                         row_number() OVER (PARTITION BY tenant_id ORDER BY run_at, id) AS turn
                                    FROM platform.jobs q
                                   WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()
                                     AND kind = ANY($4)
                                     AND ($3::uuid IS NULL OR tenant_id = $3)
                                     AND (tenant_id IS NULL
                                          OR EXISTS (SELECT 1 FROM platform.tenants t
                                                      WHERE t.id = q.tenant_id AND t.moving_since IS NULL
                                                        AND (kind = ANY($5) OR t.status IN ('trial', 'active', 'past_due'))))
                                ) firsts
                                WHERE turn <= 3 ORDER BY turn, run_at LIMIT $1)
                     AND done_at IS NULL AND failed_at IS NULL AND run_at <= now()
                   FOR UPDATE SKIP LOCKED)
        RETURNING j.id, j.tenant_id, j.kind, j.payload, j.attempts, j.max_attempts, j.trace_parent"#,
        limit,
        lease_secs,
        only,
        kinds as &[&str],
        always as &[&str]
    )
    .fetch_all(pool)
    .await
    .context("claiming jobs")?;
    Ok(rows
        .into_iter()
        .map(|r| Job {
            id: r.id,
            tenant_id: r.tenant_id,
            kind: r.kind,
            payload: r.payload,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            trace_parent: r.trace_parent,
        })
        .collect())
}

/// Extends a running job's lease (its worker is alive and busy with it).
pub async fn renew(pool: &PgPool, id: i64, lease_secs: f64) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE platform.jobs SET run_at = now() + make_interval(secs => $2) WHERE id = $1 AND done_at IS NULL",
        id,
        lease_secs
    )
    .execute(pool)
    .await
    .context("renewing a job's lease")?;
    Ok(())
}

/// Hands a claimed job back, due now and its attempt not counted (a worker stopping before it
/// could finish it). Only a job still under its lease: one whose outcome was written is left.
pub async fn release(pool: &PgPool, id: i64) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE platform.jobs SET run_at = now(), attempts = greatest(attempts - 1, 0)
          WHERE id = $1 AND done_at IS NULL AND failed_at IS NULL AND run_at > now()",
        id
    )
    .execute(pool)
    .await
    .context("releasing a job")?;
    Ok(())
}

/// What one pruning removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub links: u64,
    pub jobs: u64,
}

/// Removes what has served: expired sessions (the regions' and the operators'), links used or
/// expired a day ago, jobs done a week ago. Run on a schedule by the worker.
pub async fn prune(pool: &PgPool) -> Result<Pruned, CoreError> {
    let mut p = Pruned::default();
    p.sessions += sqlx::query!("DELETE FROM platform.sessions WHERE expires_at < now()")
        .execute(pool)
        .await
        .context("pruning sessions")?
        .rows_affected();
    p.sessions += sqlx::query!("DELETE FROM platform.operator_sessions WHERE expires_at < now()")
        .execute(pool)
        .await
        .context("pruning operators' sessions")?
        .rows_affected();
    p.links += sqlx::query!(
        "DELETE FROM platform.account_tokens WHERE expires_at < now() - interval '1 day' OR used_at < now() - interval '1 day'"
    )
    .execute(pool)
    .await
    .context("pruning links")?
    .rows_affected();
    p.links += sqlx::query!(
        "DELETE FROM platform.signin_links WHERE expires_at < now() - interval '1 day' OR used_at < now() - interval '1 day'"
    )
    .execute(pool)
    .await
    .context("pruning sign-in links")?
    .rows_affected();
    p.jobs += sqlx::query!("DELETE FROM platform.jobs WHERE done_at < now() - interval '7 days'")
        .execute(pool)
        .await
        .context("pruning finished jobs")?
        .rows_affected();
    Ok(p)
}

/// Takes the due jobs of one kind whose payload's `key` is `value` (a test, or an operator
/// running one job now).
pub async fn claim_matching(
    pool: &PgPool,
    kind: JobKind,
    key: &str,
    value: &str,
    lease_secs: f64,
) -> Result<Vec<Job>, CoreError> {
    let rows = sqlx::query!(
        "UPDATE platform.jobs j
            SET attempts = j.attempts + 1, run_at = now() + make_interval(secs => $4)
          WHERE j.id IN (SELECT id FROM platform.jobs
                          WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= now()
                            AND kind = $1 AND payload ->> $2 = $3
                          ORDER BY run_at FOR UPDATE SKIP LOCKED)
        RETURNING j.id, j.tenant_id, j.kind, j.payload, j.attempts, j.max_attempts, j.trace_parent",
        kind.code(),
        key,
        value,
        lease_secs
    )
    .fetch_all(pool)
    .await
    .context("claiming jobs")?;
    Ok(rows
        .into_iter()
        .map(|r| Job {
            id: r.id,
            tenant_id: r.tenant_id,
            kind: r.kind,
            payload: r.payload,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            trace_parent: r.trace_parent,
        })
        .collect())
}

pub async fn complete(pool: &PgPool, id: i64) -> Result<(), CoreError> {
    sqlx::query!("UPDATE platform.jobs SET done_at = now(), last_error = NULL WHERE id = $1", id)
        .execute(pool)
        .await
        .context("completing a job")?;
    Ok(())
}

/// Records a failure: retried after 2^attempts × 10 s (capped at an hour), or given up.
pub async fn fail(pool: &PgPool, job: &Job, error: &str) -> Result<(), CoreError> {
    let backoff = (10.0 * 2f64.powi(job.attempts.min(12))).min(3600.0);
    sqlx::query!(
        "UPDATE platform.jobs
            SET last_error = $2,
                run_at = now() + make_interval(secs => $3),
                failed_at = CASE WHEN attempts >= max_attempts THEN now() END
          WHERE id = $1",
        job.id,
        error,
        backoff
    )
    .execute(pool)
    .await
    .context("recording a job failure")?;
    Ok(())
}
