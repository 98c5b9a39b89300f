//! A region's members as its admins see them: a list with search and filters, roles (never
//! leaving the region without an admin), suspensions and bans (the member is told why; a ban
//! ends their sessions here), and the export. Every change is in the audit log.

use echos_domain::member::{MemberKind, Role};
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::accounts::Member;
use crate::admin::audit;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::notifications;

/// A member in the console's list.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub email: String,
    pub kind: MemberKind,
    pub audience: Option<String>,
    pub role: Role,
    pub confirmed: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub suspended_until: Option<OffsetDateTime>,
    pub banned: bool,
    pub sanction_reason: Option<String>,
    pub contributions: i64,
}

/// The list's filters, each optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// This one member.
    pub id: Option<i64>,
    /// In the name, the handle or the e-mail address.
    pub text: Option<String>,
    pub kind: Option<MemberKind>,
    pub role: Option<Role>,
    pub confirmed: Option<bool>,
    pub joined_since: Option<Date>,
    pub active_since: Option<Date>,
}

/// One page of members matching `f`, the newest first, and how many match in all.
pub async fn list(tx: &mut TenantTx<'_>, f: &Filter, limit: i64, offset: i64) -> Result<(Vec<Row>, i64), CoreError> {
    let pattern =
        f.text.as_deref().map(|t| format!("%{}%", t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    // The filters pick ids from `members` alone (the shared accounts table is only asked about
    // the member at hand); only the page's rows are joined and counted.
    let rows = sqlx::query!(
        r#"WITH hits AS (
             SELECT m.id, m.joined_at FROM members m
              WHERE ($1::text IS NULL OR m.display_name ILIKE $1 OR m.handle ILIKE $1
                     OR EXISTS (SELECT 1 FROM platform.accounts a WHERE a.id = m.account_id AND a.email ILIKE $1))
                AND ($2::text IS NULL OR m.kind = $2)
                AND ($3::text IS NULL OR m.role = $3)
                AND ($4::bool IS NULL OR coalesce((SELECT a.confirmed_at IS NOT NULL FROM platform.accounts a
                                                   WHERE a.id = m.account_id), false) = $4)
                AND ($5::date IS NULL OR m.joined_at >= $5)
                AND ($6::date IS NULL OR m.last_seen_at >= $6)
                AND ($9::bigint IS NULL OR m.id = $9)),
           page AS (SELECT id FROM hits ORDER BY joined_at DESC, id DESC LIMIT $7 OFFSET $8)
           SELECT m.id, m.handle, m.display_name, a.email AS "email?", m.kind, m.audience, m.role,
                  a.confirmed_at IS NOT NULL AS "confirmed!", m.joined_at, m.last_seen_at, m.suspended_until,
                  m.banned_at IS NOT NULL AS "banned!", m.sanction_reason,
                  (SELECT count(*) FROM contributions c WHERE c.author_id = m.id AND c.status = 'published') AS "contributions!",
                  (SELECT count(*) FROM hits) AS "total!"
             FROM page JOIN members m ON m.id = page.id
             LEFT JOIN platform.accounts a ON a.id = m.account_id
            ORDER BY m.joined_at DESC, m.id DESC"#,
        pattern,
        f.kind.map(MemberKind::as_str),
        f.role.map(Role::code),
        f.confirmed,
        f.joined_since,
        f.active_since,
        limit,
        offset,
        f.id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing members")?;
    let total = rows.first().map_or(0, |r| r.total);
    let rows = rows
        .into_iter()
        .map(|r| Row {
            kind: MemberKind::parse(&r.kind).unwrap_or(MemberKind::Person),
            role: Role::parse(&r.role).unwrap_or(Role::Member),
            id: r.id,
            handle: r.handle,
            display_name: r.display_name,
            email: r.email.unwrap_or_default(),
            audience: r.audience,
            confirmed: r.confirmed,
            joined_at: r.joined_at,
            last_seen_at: r.last_seen_at,
            suspended_until: r.suspended_until,
            banned: r.banned,
            sanction_reason: r.sanction_reason,
            contributions: r.contributions,
        })
        .collect();
    Ok((rows, total))
}

/// One member of this region, by id (`NotFound` for another region's or none).
pub async fn get(tx: &mut TenantTx<'_>, id: i64) -> Result<Row, CoreError> {
    let (found, _) = list(tx, &Filter { id: Some(id), ..Filter::default() }, 1, 0).await?;
    found.into_iter().next().ok_or(CoreError::NotFound)
}

/// Why a role change is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum RoleRefusal {
    /// The region would be left without an admin.
    LastAdmin,
}

/// Gives a member a role. The admins are counted under a lock, so two admins demoting each other
/// at once cannot both succeed.
pub async fn set_role(
    tx: &mut TenantTx<'_>,
    by: &Member,
    id: i64,
    role: Role,
) -> Result<Result<(), RoleRefusal>, CoreError> {
    let admins: Vec<i64> = sqlx::query_scalar!("SELECT id FROM members WHERE role = 'admin' ORDER BY id FOR UPDATE")
        .fetch_all(&mut **tx)
        .await
        .context("counting admins")?;
    let target = sqlx::query!("SELECT handle, role FROM members WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut **tx)
        .await
        .context("reading a member's role")?
        .ok_or(CoreError::NotFound)?;
    if role != Role::Admin && admins == [id] {
        return Ok(Err(RoleRefusal::LastAdmin));
    }
    sqlx::query!("UPDATE members SET role = $2 WHERE id = $1", id, role.code())
        .execute(&mut **tx)
        .await
        .context("changing a member's role")?;
    audit::record(
        tx,
        by,
        "member.role",
        &target.handle,
        Some(serde_json::json!(target.role)),
        Some(serde_json::json!(role.code())),
    )
    .await?;
    Ok(Ok(()))
}

/// What an admin does to a member who broke the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sanction {
    /// Reads, but may not write, until then.
    Suspend { until: OffsetDateTime, reason: String },
    /// Out of the region: signed out here and kept out.
    Ban { reason: String },
    /// Back to normal.
    Lift,
}

/// Applies a sanction, tells the member why (`message`, in the region's language: a
/// notification, by e-mail if they chose so), and records it. A ban ends the member's sessions in
/// this region. One cannot sanction oneself.
pub async fn sanction(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Member,
    id: i64,
    s: &Sanction,
    message: &str,
) -> Result<(), CoreError> {
    if id == by.id {
        return Err(CoreError::Forbidden);
    }
    let target = sqlx::query!(
        "SELECT handle, account_id, suspended_until, banned_at, sanction_reason FROM members WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a member to sanction")?
    .ok_or(CoreError::NotFound)?;
    let (until, banned, reason, action) = match s {
        Sanction::Suspend { until, reason } => (Some(*until), false, Some(reason.as_str()), "member.suspend"),
        Sanction::Ban { reason } => (None, true, Some(reason.as_str()), "member.ban"),
        Sanction::Lift => (None, false, None, "member.lift"),
    };
    sqlx::query!(
        "UPDATE members SET suspended_until = $2, banned_at = CASE WHEN $3 THEN now() END, sanction_reason = $4
          WHERE id = $1",
        id,
        until,
        banned,
        reason
    )
    .execute(&mut **tx)
    .await
    .context("sanctioning a member")?;
    if banned {
        sqlx::query!(
            "DELETE FROM platform.sessions WHERE account_id = $1 AND tenant_id = $2",
            target.account_id,
            tenant_id
        )
        .execute(&mut **tx)
        .await
        .context("ending a banned member's sessions")?;
    }
    notifications::notify(tx, tenant_id, id, "moderation", message, None).await?;
    let before = serde_json::json!({
        "suspended_until": target.suspended_until.map(|d| d.date().to_string()),
        "banned": target.banned_at.is_some(),
        "reason": target.sanction_reason,
    });
    let after = serde_json::json!({ "suspended_until": until.map(|d| d.date().to_string()), "banned": banned, "reason": reason });
    audit::record(tx, by, action, &target.handle, Some(before), Some(after)).await
}

/// Records that a member was seen now, at most once an hour (a write per request would cost
/// every page a round trip).
pub async fn seen(tx: &mut TenantTx<'_>, id: i64) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE members SET last_seen_at = now()
          WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < now() - interval '1 hour')",
        id
    )
    .execute(&mut **tx)
    .await
    .context("recording a visit")?;
    Ok(())
}

/// Makes the member of this region with this e-mail address its admin (`echos tenant admin`):
/// their handle, or `None` when the address is not a member here.
pub async fn make_admin_by_email(tx: &mut TenantTx<'_>, email: &str) -> Result<Option<String>, CoreError> {
    let row = sqlx::query!(
        "UPDATE members m SET role = 'admin' FROM platform.accounts a
          WHERE a.id = m.account_id AND a.email = $1 AND a.deleted_at IS NULL
      RETURNING m.handle",
        email
    )
    .fetch_optional(&mut **tx)
    .await
    .context("making a member admin")?;
    if let Some(r) = &row {
        sqlx::query!(
            "INSERT INTO audit_log (actor_name, action, target, after) VALUES ('echos tenant admin', 'member.role', $1, '\"admin\"')",
            r.handle
        )
        .execute(&mut **tx)
        .await
        .context("writing the audit log")?;
    }
    Ok(row.map(|r| r.handle))
}

/// The accounts of the region's admins (for what the platform tells them: billing, archives).
pub async fn admin_accounts(tx: &mut TenantTx<'_>) -> Result<Vec<Uuid>, CoreError> {
    sqlx::query_scalar!("SELECT account_id FROM members WHERE role = 'admin' AND banned_at IS NULL ORDER BY id")
        .fetch_all(&mut **tx)
        .await
        .context("listing the region's admins")
}
