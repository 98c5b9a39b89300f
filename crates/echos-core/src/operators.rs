//! The platform's operators: accounts allowed into the operator's console at `/platform` on the
//! platform's domain, their sessions there (apart from any region's), and the audit log of what
//! they do.

use echos_domain::job::JobKind;
use echos_domain::member::Email;
use serde::Serialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::{Context, CoreError};
use crate::jobs;
use crate::secrets::{new_token, token_hash};

/// The operator signed in on the platform's domain.
#[derive(Debug, Clone, Serialize)]
pub struct Operator {
    pub account_id: Uuid,
    pub email: String,
}

/// The payload of the jobs that mail an operator.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OperatorJob {
    pub account_id: Uuid,
}

/// Makes the account with this address an operator (creating the account when there is none:
/// it signs in by link until it chooses a password) and mails it a sign-in link. Returns whether
/// the account was created.
pub async fn create(pool: &PgPool, email: &Email) -> Result<bool, CoreError> {
    let mut tx = pool.begin().await.context("starting a transaction")?;
    let created = sqlx::query_scalar!(
        "INSERT INTO platform.accounts (id, email, password_hash) VALUES ($1, $2, '!')
         ON CONFLICT (email) DO NOTHING RETURNING id",
        Uuid::new_v4(),
        email.as_str()
    )
    .fetch_optional(&mut *tx)
    .await
    .context("creating an operator's account")?;
    let account_id = sqlx::query_scalar!("SELECT id FROM platform.accounts WHERE email = $1", email.as_str())
        .fetch_one(&mut *tx)
        .await
        .context("finding an operator's account")?;
    sqlx::query!("INSERT INTO platform.operators (account_id) VALUES ($1) ON CONFLICT DO NOTHING", account_id)
        .execute(&mut *tx)
        .await
        .context("making an operator")?;
    jobs::enqueue(&mut tx, None, JobKind::MailOperatorLink, &OperatorJob { account_id }).await?;
    tx.commit().await.context("committing an operator")?;
    Ok(created.is_some())
}

/// The operator with this account, if it is one.
pub async fn get(pool: &PgPool, account_id: Uuid) -> Result<Option<Operator>, CoreError> {
    sqlx::query_as!(
        Operator,
        "SELECT o.account_id, a.email FROM platform.operators o JOIN platform.accounts a ON a.id = o.account_id
          WHERE o.account_id = $1 AND a.disabled_at IS NULL",
        account_id
    )
    .fetch_optional(pool)
    .await
    .context("reading an operator")
}

/// Opens an operator's session on the platform's domain; returns the cookie's token.
pub async fn open_session(pool: &PgPool, account_id: Uuid, hours: i64) -> Result<String, CoreError> {
    let token = new_token();
    sqlx::query!(
        "INSERT INTO platform.operator_sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
        token_hash(&token),
        account_id,
        OffsetDateTime::now_utc() + Duration::hours(hours)
    )
    .execute(pool)
    .await
    .context("opening an operator's session")?;
    Ok(token)
}

/// The operator signed in with this token, if the session is alive.
pub async fn by_session(pool: &PgPool, token: &str) -> Result<Option<Operator>, CoreError> {
    sqlx::query_as!(
        Operator,
        "SELECT o.account_id, a.email FROM platform.operator_sessions s
           JOIN platform.operators o ON o.account_id = s.account_id
           JOIN platform.accounts a ON a.id = o.account_id
          WHERE s.token_hash = $1 AND s.expires_at > now() AND a.disabled_at IS NULL",
        token_hash(token)
    )
    .fetch_optional(pool)
    .await
    .context("reading an operator's session")
}

pub async fn close_session(pool: &PgPool, token: &str) -> Result<(), CoreError> {
    sqlx::query!("DELETE FROM platform.operator_sessions WHERE token_hash = $1", token_hash(token))
        .execute(pool)
        .await
        .context("closing an operator's session")?;
    Ok(())
}

/// Records what an operator did.
pub async fn audit(
    pool: &PgPool,
    by: &Operator,
    action: &str,
    target: &str,
    detail: Option<serde_json::Value>,
) -> Result<(), CoreError> {
    sqlx::query!(
        "INSERT INTO platform.operator_audit (operator, action, target, detail) VALUES ($1, $2, $3, $4)",
        by.email,
        action,
        target,
        detail
    )
    .execute(pool)
    .await
    .context("recording an operator's action")?;
    Ok(())
}

/// One line of the operators' audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub operator: String,
    pub action: String,
    pub target: String,
    pub detail: Option<serde_json::Value>,
}

/// The operators' latest actions, newest first.
pub async fn audit_log(pool: &PgPool, limit: i64, offset: i64) -> Result<Vec<AuditEntry>, CoreError> {
    sqlx::query_as!(
        AuditEntry,
        "SELECT at, operator, action, target, detail FROM platform.operator_audit
          ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(pool)
    .await
    .context("reading the operators' log")
}
