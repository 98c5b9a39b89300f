//! One-time sign-in links: into a region (its first admin, handed the region by e-mail) or into
//! the operator's console (`tenant` none). The link holds a random token; the database keeps its
//! hash, the place it opens, where it leads, and when it was used — once.

use sqlx::{PgExecutor, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::{Context, CoreError};
use crate::secrets::{new_token, token_hash};

/// Issues a link for `account_id` into `tenant_id` (or the operator's console), leading to
/// `next` (a path of that site). Returns the token for the link.
pub async fn issue(
    conn: impl PgExecutor<'_>,
    account_id: Uuid,
    tenant_id: Option<Uuid>,
    next: &str,
    valid: Duration,
) -> Result<String, CoreError> {
    let token = new_token();
    sqlx::query!(
        "INSERT INTO platform.signin_links (token_hash, account_id, tenant_id, next, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        token_hash(&token),
        account_id,
        tenant_id,
        next,
        OffsetDateTime::now_utc() + valid
    )
    .execute(conn)
    .await
    .context("issuing a sign-in link")?;
    Ok(token)
}

/// Whether a link is alive (not used, not expired) for this place, without using it.
pub async fn is_live(pool: &PgPool, token: &str, tenant_id: Option<Uuid>) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM platform.signin_links
                         WHERE token_hash = $1 AND tenant_id IS NOT DISTINCT FROM $2
                           AND used_at IS NULL AND expires_at > now()) AS \"live!\"",
        token_hash(token),
        tenant_id
    )
    .fetch_one(pool)
    .await
    .context("reading a sign-in link")
}

/// Uses a link: once, before it expires, only for the place it was issued for. Returns the
/// account and where to go; the account's address counts as confirmed (the link came to it).
pub async fn redeem(pool: &PgPool, token: &str, tenant_id: Option<Uuid>) -> Result<Option<(Uuid, String)>, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let used = sqlx::query!(
        "UPDATE platform.signin_links SET used_at = now()
          WHERE token_hash = $1 AND tenant_id IS NOT DISTINCT FROM $2 AND used_at IS NULL AND expires_at > now()
        RETURNING account_id, next",
        token_hash(token),
        tenant_id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("using a sign-in link")?;
    let Some(used) = used else { return Ok(None) };
    sqlx::query!(
        "UPDATE platform.accounts SET confirmed_at = coalesce(confirmed_at, now()) WHERE id = $1 AND disabled_at IS NULL",
        used.account_id
    )
    .execute(&mut *tx)
    .await
    .context("confirming an address")?;
    tx.commit().await.context("committing a sign-in link")?;
    Ok(Some((used.account_id, used.next)))
}
