//! Server-side sessions, each bound to one region: the cookie holds a random token, the database
//! its hash. A cookie replayed on another region's host is not a session there.

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::{Context, CoreError};
use crate::secrets::{new_token, token_hash};

/// Opens a session; returns the token for the cookie. On the platform's pool, or inside the
/// transaction that creates the account (a sign-up is one transaction).
pub async fn open(
    conn: impl sqlx::PgExecutor<'_>,
    account_id: Uuid,
    tenant_id: Uuid,
    days: i64,
) -> Result<String, CoreError> {
    let token = new_token();
    let expires = OffsetDateTime::now_utc() + Duration::days(days);
    sqlx::query!(
        "INSERT INTO platform.sessions (token_hash, account_id, tenant_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash(&token),
        account_id,
        tenant_id,
        expires
    )
    .execute(conn)
    .await
    .context("opening a session")?;
    Ok(token)
}

/// The account signed in with this token on this region, if the session is alive.
pub async fn account(pool: &PgPool, token: &str, tenant_id: Uuid) -> Result<Option<Uuid>, CoreError> {
    sqlx::query_scalar!(
        "SELECT s.account_id FROM platform.sessions s
           JOIN platform.accounts a ON a.id = s.account_id
          WHERE s.token_hash = $1 AND s.tenant_id = $2 AND s.expires_at > now() AND a.disabled_at IS NULL",
        token_hash(token),
        tenant_id
    )
    .fetch_optional(pool)
    .await
    .context("reading a session")
}

pub async fn close(pool: &PgPool, token: &str) -> Result<(), CoreError> {
    sqlx::query!("DELETE FROM platform.sessions WHERE token_hash = $1", token_hash(token))
        .execute(pool)
        .await
        .context("closing a session")?;
    Ok(())
}
