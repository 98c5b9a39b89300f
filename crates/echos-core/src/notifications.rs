//! In-app notifications, and the e-mail copy of those kinds a member chose. The plumbing later
//! features call: `notify` inside the transaction of the change that causes it.

use echos_domain::job::JobKind;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::jobs;

/// The kinds of notification, in the order the preferences page lists them.
pub const KINDS: &[&str] = &[
    "published_by_followed",
    "comment_on_mine",
    "reply_to_me",
    "acting_for",
    "community",
    "moderation",
    "event",
    "project",
    "newsletter",
];

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct NotificationJob {
    pub notification_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub message: String,
    pub link: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub read: bool,
}

/// Notifies a member (in this region's transaction) and, if they want this kind by e-mail,
/// queues the message. `message` is plain text; `link` a path on the region's site.
pub async fn notify(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    member_id: i64,
    kind: &str,
    message: &str,
    link: Option<&str>,
) -> Result<i64, CoreError> {
    notify_about(tx, tenant_id, member_id, kind, message, link, About::default()).await
}

/// What a notification is about: hidden later (reported, removed), it leaves every list of
/// notifications and no e-mail about it goes out.
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    pub contribution: Option<i64>,
    pub comment: Option<i64>,
}

/// `notify`, naming what the notification is about.
pub async fn notify_about(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    member_id: i64,
    kind: &str,
    message: &str,
    link: Option<&str>,
    about: About,
) -> Result<i64, CoreError> {
    if !KINDS.contains(&kind) {
        return Err(CoreError::invalid(format_args!("unknown notification kind {kind}")));
    }
    let row = sqlx::query!(
        "INSERT INTO notifications (member_id, kind, message, link, contribution_id, comment_id) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, (SELECT $2 = ANY(email_notifications) FROM members WHERE id = $1) AS \"by_email!\"",
        member_id,
        kind,
        message,
        link,
        about.contribution,
        about.comment
    )
    .fetch_one(&mut **tx)
    .await
    .context("notifying a member")?;
    if row.by_email {
        jobs::enqueue(tx, Some(tenant_id), JobKind::MailNotification, &NotificationJob { notification_id: row.id })
            .await?;
    }
    Ok(row.id)
}

/// A member's latest notifications, newest first.
pub async fn latest(tx: &mut TenantTx<'_>, member_id: i64, limit: i64) -> Result<Vec<Notification>, CoreError> {
    sqlx::query_as!(
        Notification,
        r#"SELECT n.id, n.kind, n.message, n.link, n.created_at, n.read_at IS NOT NULL AS "read!"
             FROM notifications n WHERE n.member_id = $1
              -- Only while what it is about is visible (a hidden item leaves every list).
              AND (n.contribution_id IS NULL OR EXISTS (SELECT 1 FROM contributions c WHERE c.id = n.contribution_id AND c.status = 'published'))
               AND (n.comment_id IS NULL OR EXISTS (SELECT 1 FROM comments k WHERE k.id = n.comment_id AND k.status = 'visible'))
            ORDER BY n.created_at DESC, n.id DESC LIMIT $2"#,
        member_id,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing notifications")
}

pub async fn unread_count(tx: &mut TenantTx<'_>, member_id: i64) -> Result<i64, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM notifications n WHERE n.member_id = $1 AND n.read_at IS NULL
              AND (n.contribution_id IS NULL OR EXISTS (SELECT 1 FROM contributions c WHERE c.id = n.contribution_id AND c.status = 'published'))
               AND (n.comment_id IS NULL OR EXISTS (SELECT 1 FROM comments k WHERE k.id = n.comment_id AND k.status = 'visible'))"#,
        member_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("counting unread notifications")
}

pub async fn mark_all_read(tx: &mut TenantTx<'_>, member_id: i64) -> Result<(), CoreError> {
    sqlx::query!("UPDATE notifications SET read_at = now() WHERE member_id = $1 AND read_at IS NULL", member_id)
        .execute(&mut **tx)
        .await
        .context("marking notifications read")?;
    Ok(())
}

/// One notification with its member's account, for the e-mail job.
pub async fn for_mail(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<(Notification, Uuid, String)>, CoreError> {
    let row = sqlx::query!(
        r#"SELECT n.id, n.kind, n.message, n.link, n.created_at, n.read_at IS NOT NULL AS "read!",
                  m.account_id, m.display_name
             FROM notifications n JOIN members m ON m.id = n.member_id WHERE n.id = $1
              AND (n.contribution_id IS NULL OR EXISTS (SELECT 1 FROM contributions c WHERE c.id = n.contribution_id AND c.status = 'published'))
               AND (n.comment_id IS NULL OR EXISTS (SELECT 1 FROM comments k WHERE k.id = n.comment_id AND k.status = 'visible'))"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a notification")?;
    Ok(row.map(|r| {
        let n = Notification {
            id: r.id,
            kind: r.kind,
            message: r.message,
            link: r.link,
            created_at: r.created_at,
            read: r.read,
        };
        (n, r.account_id, r.display_name)
    }))
}

/// Which kinds a member wants by e-mail (unknown kinds are dropped).
pub async fn set_email_preferences(tx: &mut TenantTx<'_>, member_id: i64, kinds: &[String]) -> Result<(), CoreError> {
    let kinds: Vec<String> = kinds.iter().filter(|k| KINDS.contains(&k.as_str())).cloned().collect();
    sqlx::query!("UPDATE members SET email_notifications = $2 WHERE id = $1", member_id, &kinds)
        .execute(&mut **tx)
        .await
        .context("saving notification preferences")?;
    Ok(())
}

pub async fn email_preferences(tx: &mut TenantTx<'_>, member_id: i64) -> Result<Vec<String>, CoreError> {
    sqlx::query_scalar!("SELECT email_notifications FROM members WHERE id = $1", member_id)
        .fetch_one(&mut **tx)
        .await
        .context("reading notification preferences")
}
