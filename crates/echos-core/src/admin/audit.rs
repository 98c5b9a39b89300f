//! The audit log of a region (`audit_log`): every action of its admins and moderators — who,
//! what, when, the values before and after. Written in the transaction of the action itself, so
//! an action is never without its line; kept a year (`prune`).

use serde::Serialize;
use time::OffsetDateTime;

use crate::accounts::Member;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// Records an action of `actor` on `target` (a short, human-readable name of what was touched).
pub async fn record(
    tx: &mut TenantTx<'_>,
    actor: &Member,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), CoreError> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor_name, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6)",
        actor.id,
        actor.display_name,
        action,
        target,
        before,
        after
    )
    .execute(&mut **tx)
    .await
    .context("writing the audit log")?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// One page of the log, newest first; `action` keeps the actions starting with it
/// (`member.` for every action on members).
pub async fn list(
    tx: &mut TenantTx<'_>,
    action: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Entry>, CoreError> {
    sqlx::query_as!(
        Entry,
        "SELECT id, at, actor_name, action, target, before, after FROM audit_log
          WHERE $1::text IS NULL OR action LIKE $1 || '%'
          ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
        action,
        limit,
        offset
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading the audit log")
}

/// The distinct actions in the log, for its filter.
pub async fn actions(tx: &mut TenantTx<'_>) -> Result<Vec<String>, CoreError> {
    sqlx::query_scalar!(r#"SELECT DISTINCT action AS "action!" FROM audit_log ORDER BY 1"#)
        .fetch_all(&mut **tx)
        .await
        .context("listing the audit log's actions")
}

/// Forgets what is older than a year.
pub async fn prune(tx: &mut TenantTx<'_>) -> Result<u64, CoreError> {
    let done = sqlx::query!("DELETE FROM audit_log WHERE at < now() - interval '1 year'")
        .execute(&mut **tx)
        .await
        .context("pruning the audit log")?;
    Ok(done.rows_affected())
}
