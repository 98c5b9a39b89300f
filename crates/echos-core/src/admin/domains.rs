//! A region's own domains (`sciences-normandie.fr`): added by its admins, served only once
//! verified — a file at `http://<domain>/.well-known/echosciences-domain` holding the domain's
//! token, which the platform itself serves once the domain points at it — and then
//! made primary if they wish (every other host then answers 301 to it). A domain of another region,
//! the platform's own or an IP is refused. Changes reach every process through `NOTIFY`.

use echos_domain::HostName;
use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::Member;
use crate::admin::audit;
use crate::db::TenantTx;
use crate::error::{Context, CoreError, UNIQUE_VIOLATION, db_violation};
use crate::secrets::new_token;

/// The path a domain serves its token at, for the HTTP check.
pub const WELL_KNOWN: &str = "/.well-known/echosciences-domain";

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub host: String,
    pub is_primary: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    pub verify_token: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_at: Option<OffsetDateTime>,
    pub check_error: Option<String>,
}

/// Every host of the region, the primary first, then the verified ones.
pub async fn list(pool: &PgPool, tenant_id: Uuid) -> Result<Vec<Domain>, CoreError> {
    sqlx::query_as!(
        Domain,
        "SELECT host, is_primary, verified_at, verify_token, checked_at, check_error FROM platform.tenant_domains
          WHERE tenant_id = $1 ORDER BY is_primary DESC, verified_at IS NULL, host",
        tenant_id
    )
    .fetch_all(pool)
    .await
    .context("listing a region's domains")
}

/// Adds a domain (already checked to be a public name outside the platform's), waiting for its
/// verification. Taken by any region (this one included): `Conflict`.
pub async fn add(tx: &mut TenantTx<'_>, tenant_id: Uuid, by: &Member, host: &HostName) -> Result<String, CoreError> {
    let token = new_token();
    let inserted = sqlx::query!(
        "INSERT INTO platform.tenant_domains (host, tenant_id, is_primary, verify_token) VALUES ($1, $2, false, $3)",
        host.as_str(),
        tenant_id,
        token
    )
    .execute(&mut **tx)
    .await;
    if let Err(e) = inserted {
        return Err(match db_violation(&e) {
            Some((code, _)) if code == UNIQUE_VIOLATION => CoreError::conflict("this domain is already in use"),
            _ => CoreError::Unexpected(anyhow::Error::from(e).context("adding a domain")),
        });
    }
    audit::record(tx, by, "domain.add", host.as_str(), None, None).await?;
    Ok(token)
}

/// The token a domain waiting for verification serves at `WELL_KNOWN`.
pub async fn pending_token(pool: &PgPool, host: &HostName) -> Result<Option<String>, CoreError> {
    let token = sqlx::query_scalar!(
        "SELECT verify_token FROM platform.tenant_domains WHERE host = $1 AND verified_at IS NULL",
        host.as_str()
    )
    .fetch_optional(pool)
    .await
    .context("reading a domain's token")?;
    Ok(token.flatten())
}

/// Whether a certificate may be issued for this host: a verified domain of a region, or a
/// region's default host (for a TLS terminator's "ask" hook).
pub async fn is_served(pool: &PgPool, host: &HostName) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM platform.tenant_domains WHERE host = $1 AND verified_at IS NOT NULL) AS "x!""#,
        host.as_str()
    )
    .fetch_one(pool)
    .await
    .context("checking a domain")
}

/// One of this region's domains still to verify, with its token: `NotFound` for another's.
pub async fn unverified(pool: &PgPool, tenant_id: Uuid, host: &str) -> Result<(HostName, String), CoreError> {
    let row = sqlx::query!(
        "SELECT host, verify_token FROM platform.tenant_domains WHERE tenant_id = $1 AND host = $2 AND verified_at IS NULL",
        tenant_id,
        host
    )
    .fetch_optional(pool)
    .await
    .context("reading a domain")?
    .ok_or(CoreError::NotFound)?;
    let host = HostName::parse(&row.host).map_err(|_| CoreError::NotFound)?;
    Ok((host, row.verify_token.unwrap_or_default()))
}

/// The outcome of a check: verified, or why not (shown to the admin).
pub async fn record_check(
    pool: &PgPool,
    tenant_id: Uuid,
    host: &str,
    outcome: Result<(), String>,
) -> Result<(), CoreError> {
    let (verified, error) = match outcome {
        Ok(()) => (true, None),
        Err(e) => (false, Some(e)),
    };
    sqlx::query!(
        "UPDATE platform.tenant_domains
            SET checked_at = now(), check_error = $4,
                verified_at = CASE WHEN $3 THEN coalesce(verified_at, now()) ELSE verified_at END
          WHERE tenant_id = $1 AND host = $2",
        tenant_id,
        host,
        verified,
        error
    )
    .execute(pool)
    .await
    .context("recording a domain check")?;
    Ok(())
}

/// Makes a verified domain of this region its primary host (links and redirects use it).
pub async fn make_primary(tx: &mut TenantTx<'_>, tenant_id: Uuid, by: &Member, host: &str) -> Result<(), CoreError> {
    let ok: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM platform.tenant_domains
                           WHERE tenant_id = $1 AND host = $2 AND verified_at IS NOT NULL) AS "x!""#,
        tenant_id,
        host
    )
    .fetch_one(&mut **tx)
    .await
    .context("checking a domain")?;
    if !ok {
        return Err(CoreError::NotFound);
    }
    sqlx::query!(
        "UPDATE platform.tenant_domains SET is_primary = false WHERE tenant_id = $1 AND is_primary",
        tenant_id
    )
    .execute(&mut **tx)
    .await
    .context("changing the primary domain")?;
    sqlx::query!(
        "UPDATE platform.tenant_domains SET is_primary = true WHERE tenant_id = $1 AND host = $2",
        tenant_id,
        host
    )
    .execute(&mut **tx)
    .await
    .context("changing the primary domain")?;
    audit::record(tx, by, "domain.primary", host, None, None).await
}

/// Removes a domain of this region: never its primary one, nor the platform's own host of it.
pub async fn remove(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Member,
    host: &str,
    default_host: &str,
) -> Result<(), CoreError> {
    if host == default_host {
        return Err(CoreError::Forbidden);
    }
    let done = sqlx::query!(
        "DELETE FROM platform.tenant_domains WHERE tenant_id = $1 AND host = $2 AND NOT is_primary",
        tenant_id,
        host
    )
    .execute(&mut **tx)
    .await
    .context("removing a domain")?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound);
    }
    audit::record(tx, by, "domain.remove", host, None, None).await
}
