//! Newsletters: the admins write to the members who chose to receive them (the `newsletter`
//! e-mail preference), all of them or one audience, or the followers of a tag. Sending writes one
//! mail job per recipient in the same transaction; each message carries a one-click
//! unsubscribe link (RFC 8058), and deliveries and failures are counted on the newsletter.

use echos_domain::job::JobKind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::Member;
use crate::admin::audit;
use crate::contributions::render_markdown;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// The e-mail preference that opts a member in.
pub const PREFERENCE: &str = "newsletter";

#[derive(Debug, Clone, Serialize)]
pub struct Newsletter {
    pub id: i64,
    pub subject: String,
    pub body_md: String,
    pub body_html: String,
    pub audience: Option<String>,
    pub tag: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    pub recipients: i32,
    pub delivered: i32,
    pub failed: i32,
}

/// A newsletter to write: subject and Markdown already checked; the audience one of
/// `AUDIENCES` or `structure`, the tag normalised.
#[derive(Debug, Clone)]
pub struct Draft {
    pub subject: String,
    pub body_md: String,
    pub audience: Option<String>,
    pub tag: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NewsletterMailJob {
    pub newsletter_id: i64,
    pub member_id: i64,
}

pub async fn create(tx: &mut TenantTx<'_>, by: &Member, d: &Draft) -> Result<i64, CoreError> {
    let id = sqlx::query_scalar!(
        "INSERT INTO newsletters (subject, body_md, body_html, audience, tag, author_id) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
        d.subject,
        d.body_md,
        render_markdown(&d.body_md),
        d.audience,
        d.tag,
        by.id
    )
    .fetch_one(&mut **tx)
    .await
    .context("writing a newsletter")?;
    audit::record(tx, by, "newsletter.write", &d.subject, None, None).await?;
    Ok(id)
}

/// Rewrites a newsletter not sent yet.
pub async fn update(tx: &mut TenantTx<'_>, by: &Member, id: i64, d: &Draft) -> Result<(), CoreError> {
    let done = sqlx::query!(
        "UPDATE newsletters SET subject = $2, body_md = $3, body_html = $4, audience = $5, tag = $6
          WHERE id = $1 AND sent_at IS NULL",
        id,
        d.subject,
        d.body_md,
        render_markdown(&d.body_md),
        d.audience,
        d.tag
    )
    .execute(&mut **tx)
    .await
    .context("rewriting a newsletter")?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound);
    }
    audit::record(tx, by, "newsletter.write", &d.subject, None, None).await
}

pub async fn get(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<Newsletter>, CoreError> {
    sqlx::query_as!(
        Newsletter,
        "SELECT id, subject, body_md, body_html, audience, tag, created_at, sent_at, recipients, delivered, failed
           FROM newsletters WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a newsletter")
}

/// The newsletters, newest first.
pub async fn list(tx: &mut TenantTx<'_>, limit: i64, offset: i64) -> Result<Vec<Newsletter>, CoreError> {
    sqlx::query_as!(
        Newsletter,
        "SELECT id, subject, body_md, body_html, audience, tag, created_at, sent_at, recipients, delivered, failed
           FROM newsletters ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing newsletters")
}

/// How many members a newsletter would reach now.
pub async fn audience_size(tx: &mut TenantTx<'_>, audience: Option<&str>, tag: Option<&str>) -> Result<i64, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM members m
            WHERE $1 = ANY(m.email_notifications) AND m.banned_at IS NULL
              AND ($2::text IS NULL OR m.audience = $2 OR ($2 = 'structure' AND m.kind = 'structure'))
              AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM tag_follows f JOIN tags t ON t.id = f.tag_id
                                                WHERE f.follower_id = m.id AND t.name = $3))"#,
        PREFERENCE,
        audience,
        tag
    )
    .fetch_one(&mut **tx)
    .await
    .context("counting a newsletter's audience")
}

/// Sends a newsletter once: one mail job per member who opted in (within its audience or tag),
/// each member given an unsubscribe token if they have none. Returns the number of recipients.
pub async fn send(tx: &mut TenantTx<'_>, tenant_id: Uuid, by: &Member, id: i64) -> Result<i64, CoreError> {
    let n =
        sqlx::query!("SELECT subject, audience, tag FROM newsletters WHERE id = $1 AND sent_at IS NULL FOR UPDATE", id)
            .fetch_optional(&mut **tx)
            .await
            .context("reading a newsletter to send")?
            .ok_or(CoreError::NotFound)?;
    let recipients: Vec<i64> = sqlx::query_scalar!(
        r#"UPDATE members m SET unsubscribe_token = coalesce(m.unsubscribe_token, md5(random()::text || m.id || clock_timestamp()::text) || md5(random()::text))
            WHERE $1 = ANY(m.email_notifications) AND m.banned_at IS NULL
              AND ($2::text IS NULL OR m.audience = $2 OR ($2 = 'structure' AND m.kind = 'structure'))
              AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM tag_follows f JOIN tags t ON t.id = f.tag_id
                                                WHERE f.follower_id = m.id AND t.name = $3))
           RETURNING m.id"#,
        PREFERENCE,
        n.audience,
        n.tag
    )
    .fetch_all(&mut **tx)
    .await
    .context("choosing a newsletter's recipients")?;
    let payloads: Vec<serde_json::Value> =
        recipients.iter().map(|m| serde_json::json!(NewsletterMailJob { newsletter_id: id, member_id: *m })).collect();
    sqlx::query!(
        "INSERT INTO platform.jobs (tenant_id, kind, payload, trace_parent)
         SELECT $1, $2, p, $4 FROM unnest($3::jsonb[]) AS p",
        tenant_id,
        JobKind::MailNewsletter.code(),
        &payloads,
        crate::trace::current_traceparent()
    )
    .execute(&mut **tx)
    .await
    .context("queueing a newsletter")?;
    sqlx::query!("UPDATE newsletters SET sent_at = now(), recipients = $2 WHERE id = $1", id, recipients.len() as i32)
        .execute(&mut **tx)
        .await
        .context("marking a newsletter sent")?;
    audit::record(
        tx,
        by,
        "newsletter.send",
        &n.subject,
        None,
        Some(serde_json::json!({ "recipients": recipients.len() })),
    )
    .await?;
    Ok(recipients.len() as i64)
}

/// Counts a delivery (or a failure given up on).
pub async fn count_delivery(tx: &mut TenantTx<'_>, id: i64, delivered: bool) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE newsletters SET delivered = delivered + CASE WHEN $2 THEN 1 ELSE 0 END,
                                failed = failed + CASE WHEN $2 THEN 0 ELSE 1 END WHERE id = $1",
        id,
        delivered
    )
    .execute(&mut **tx)
    .await
    .context("counting a newsletter's delivery")?;
    Ok(())
}

/// A recipient of a newsletter: (display name, account, unsubscribe token), if still opted in.
pub async fn recipient(tx: &mut TenantTx<'_>, member_id: i64) -> Result<Option<(String, Uuid, String)>, CoreError> {
    let row = sqlx::query!(
        "SELECT display_name, account_id, unsubscribe_token FROM members
          WHERE id = $1 AND $2 = ANY(email_notifications) AND banned_at IS NULL",
        member_id,
        PREFERENCE
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a newsletter's recipient")?;
    Ok(row.map(|r| (r.display_name, r.account_id, r.unsubscribe_token.unwrap_or_default())))
}

/// Stops newsletters for the member holding this token; `false` when no member holds it.
pub async fn unsubscribe(tx: &mut TenantTx<'_>, token: &str) -> Result<bool, CoreError> {
    if token.len() < 32 || token.len() > 100 {
        return Ok(false);
    }
    let done = sqlx::query!(
        "UPDATE members SET email_notifications = array_remove(email_notifications, $2) WHERE unsubscribe_token = $1",
        token,
        PREFERENCE
    )
    .execute(&mut **tx)
    .await
    .context("unsubscribing")?;
    Ok(done.rows_affected() > 0)
}
