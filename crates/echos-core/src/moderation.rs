//! Moderation after the fact, by the community: anyone signed in reports a contribution, a
//! comment, a community or a profile; when an item's reports weigh as much as its threshold (the
//! region's, or its community's within the region's bounds) it is hidden at once, in the same
//! transaction, pending review. A community's moderators review their community's items, the
//! region's admins everything: restore, or remove (and warn, suspend or ban the author). The
//! reporters and the author are told; every decision is in the audit log.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::Member;
use crate::admin::audit;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::notifications;
use crate::settings::RegionSettings;

/// What can be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    Contribution(i64),
    Comment(i64),
    Community(i64),
    Member(i64),
}

impl Target {
    pub fn parse(kind: &str, id: i64) -> Option<Self> {
        match kind {
            "contribution" => Some(Self::Contribution(id)),
            "comment" => Some(Self::Comment(id)),
            "community" => Some(Self::Community(id)),
            "member" => Some(Self::Member(id)),
            _ => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Self::Contribution(_) => "contribution",
            Self::Comment(_) => "comment",
            Self::Community(_) => "community",
            Self::Member(_) => "member",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Self::Contribution(id) | Self::Comment(id) | Self::Community(id) | Self::Member(id) => id,
        }
    }
}

/// Why something is reported.
pub const REASONS: &[&str] = &["spam", "offensive", "off_topic", "illegal", "other"];

/// A reported item as moderation sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub target: Target,
    /// The member it belongs to (its author; the profile itself; a community's proposer).
    pub author_id: Option<i64>,
    pub author_name: String,
    /// Its community, when it lives in one.
    pub community_id: Option<i64>,
    pub title: String,
    /// Where it is shown.
    pub link: String,
    /// Currently out of sight, pending review.
    pub hidden: bool,
    /// Still there at all (not removed, not deleted).
    pub live: bool,
}

/// Reads (and locks) what a report names, if it is in this region.
async fn item(tx: &mut TenantTx<'_>, target: Target, lock: bool) -> Result<Option<Item>, CoreError> {
    let id = target.id();
    // Each kind's row, locked when the caller will change it (a report crossing the threshold,
    // a decision): an edit and a hiding never interleave.
    let found = match target {
        Target::Contribution(_) => {
            if lock {
                sqlx::query_scalar!("SELECT id FROM contributions WHERE id = $1 FOR UPDATE", id)
                    .fetch_optional(&mut **tx)
                    .await
                    .context("locking a contribution")?;
            }
            sqlx::query!(
                "SELECT c.author_id, m.display_name, c.community_id, c.title, c.kind, c.slug, c.status
                   FROM contributions c JOIN members m ON m.id = c.author_id WHERE c.id = $1",
                id
            )
            .fetch_optional(&mut **tx)
            .await
            .context("reading a reported contribution")?
            .map(|r| Item {
                target,
                author_id: Some(r.author_id),
                author_name: r.display_name,
                community_id: r.community_id,
                title: r.title,
                link: echos_domain::contribution::Kind::from_code(&r.kind)
                    .unwrap_or(echos_domain::contribution::Kind::Article)
                    .url(id, &r.slug),
                hidden: r.status == "hidden",
                live: r.status == "published" || r.status == "hidden",
            })
        }
        Target::Comment(_) => {
            if lock {
                sqlx::query!("SELECT id FROM comments WHERE id = $1 FOR UPDATE", id)
                    .fetch_optional(&mut **tx)
                    .await
                    .context("locking a comment")?;
            }
            sqlx::query!(
                "SELECT k.author_id, m.display_name, c.community_id, c.title, c.kind, c.slug, k.status, k.body_md, c.id AS cid
                   FROM comments k JOIN contributions c ON c.id = k.contribution_id JOIN members m ON m.id = k.author_id
                  WHERE k.id = $1",
                id
            )
            .fetch_optional(&mut **tx)
            .await
            .context("reading a reported comment")?
            .map(|r| Item {
                target,
                author_id: Some(r.author_id),
                author_name: r.display_name,
                community_id: r.community_id,
                title: format!("« {} » — {}", r.body_md.chars().take(80).collect::<String>(), r.title),
                link: format!(
                    "{}#commentaire-{id}",
                    echos_domain::contribution::Kind::from_code(&r.kind)
                        .unwrap_or(echos_domain::contribution::Kind::Article)
                        .url(r.cid, &r.slug)
                ),
                hidden: r.status == "hidden",
                live: r.status == "visible" || r.status == "hidden",
            })
        }
        Target::Community(_) => {
            if lock {
                sqlx::query!("SELECT id FROM communities WHERE id = $1 FOR UPDATE", id)
                    .fetch_optional(&mut **tx)
                    .await
                    .context("locking a community")?;
            }
            sqlx::query!(
                r#"SELECT co.proposed_by, coalesce(m.display_name, '') AS "display_name!", co.name, co.slug, co.status
                     FROM communities co LEFT JOIN members m ON m.id = co.proposed_by WHERE co.id = $1"#,
                id
            )
            .fetch_optional(&mut **tx)
            .await
            .context("reading a reported community")?
            .map(|r| Item {
                target,
                author_id: r.proposed_by,
                author_name: r.display_name,
                community_id: None,
                title: r.name,
                link: format!("/communautes/{}", r.slug),
                hidden: r.status == "hidden",
                live: r.status == "active" || r.status == "hidden",
            })
        }
        Target::Member(_) => {
            if lock {
                sqlx::query!("SELECT id FROM members WHERE id = $1 FOR UPDATE", id)
                    .fetch_optional(&mut **tx)
                    .await
                    .context("locking a member")?;
            }
            sqlx::query!("SELECT display_name, handle, hidden_at FROM members WHERE id = $1", id)
                .fetch_optional(&mut **tx)
                .await
                .context("reading a reported profile")?
                .map(|r| Item {
                    target,
                    author_id: Some(id),
                    author_name: r.display_name.clone(),
                    community_id: None,
                    title: r.display_name,
                    link: format!("/membres/{}", r.handle),
                    hidden: r.hidden_at.is_some(),
                    live: true,
                })
        }
    };
    Ok(found)
}

/// The weight of reports that hides an item: its community's threshold (kept within the region's
/// bounds), else the region's.
async fn threshold(tx: &mut TenantTx<'_>, it: &Item, s: &RegionSettings) -> Result<f64, CoreError> {
    let own = match it.community_id {
        Some(c) => sqlx::query_scalar!("SELECT report_threshold FROM communities WHERE id = $1", c)
            .fetch_optional(&mut **tx)
            .await
            .context("reading a community's threshold")?
            .flatten(),
        None => None,
    };
    let t = own.map_or(s.report_threshold, |t| i64::from(t).clamp(s.threshold_min, s.threshold_max));
    Ok(t.max(1) as f64)
}

/// Why a report is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// One's own contribution, comment, community or profile.
    Own,
    /// This member already reported it.
    Twice,
    /// Nothing (visible) of that name in this region.
    NotFound,
}

/// What a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Recorded,
    /// Its reports reached the threshold: hidden now, pending review.
    Hidden,
}

/// Who reports: their weight depends on the age of their account and its confirmed address.
#[derive(Debug, Clone)]
pub struct Reporter<'a> {
    pub member: &'a Member,
    pub confirmed: bool,
}

/// Reports an item; hides it in the same transaction when its reports reach its threshold (its
/// author is told why). A report from an account younger than a day or unconfirmed weighs half
/// when the region says so.
pub async fn report(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Reporter<'_>,
    target: Target,
    reason: &str,
    details: &str,
    s: &RegionSettings,
) -> Result<Result<Reported, Refusal>, CoreError> {
    if !REASONS.contains(&reason) {
        return Err(CoreError::invalid("unknown reason"));
    }
    let Some(it) = item(tx, target, true).await?.filter(|i| i.live && !i.hidden) else {
        return Ok(Err(Refusal::NotFound));
    };
    if it.author_id == Some(by.member.id) {
        return Ok(Err(Refusal::Own));
    }
    let fresh = OffsetDateTime::now_utc() - by.member.joined_at < time::Duration::days(1) || !by.confirmed;
    let weight: f32 = if fresh && s.fresh_reports_weigh_half { 0.5 } else { 1.0 };
    let added = sqlx::query!(
        "INSERT INTO reports (target_kind, target_id, reporter_id, reason, details, weight) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (target_kind, target_id, reporter_id) DO NOTHING",
        target.kind(),
        target.id(),
        by.member.id,
        reason,
        details,
        weight
    )
    .execute(&mut **tx)
    .await
    .context("recording a report")?
    .rows_affected();
    if added == 0 {
        return Ok(Err(Refusal::Twice));
    }
    let weighed: f64 = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(weight), 0)::float8 AS "w!" FROM reports
            WHERE target_kind = $1 AND target_id = $2 AND resolution IS NULL"#,
        target.kind(),
        target.id()
    )
    .fetch_one(&mut **tx)
    .await
    .context("weighing reports")?;
    if weighed + 1e-9 < threshold(tx, &it, s).await? {
        return Ok(Ok(Reported::Recorded));
    }
    set_hidden(tx, target, true).await?;
    if let Some(author) = it.author_id {
        let message =
            format!("« {} » a été masqué après des signalements, en attendant l’avis d’un modérateur", it.title);
        notifications::notify(tx, tenant_id, author, "moderation", &message, Some(&it.link)).await?;
    }
    Ok(Ok(Reported::Hidden))
}

/// Hides (or shows again) an item, whatever its kind.
async fn set_hidden(tx: &mut TenantTx<'_>, target: Target, hidden: bool) -> Result<(), CoreError> {
    let id = target.id();
    match (target, hidden) {
        (Target::Contribution(_), true) => {
            sqlx::query!(
                "UPDATE contributions SET status = 'hidden', hidden_at = now() WHERE id = $1 AND status = 'published'",
                id
            )
            .execute(&mut **tx)
            .await
        }
        (Target::Contribution(_), false) => {
            sqlx::query!(
                "UPDATE contributions SET status = 'published', hidden_at = NULL, review_requested_at = NULL
                  WHERE id = $1 AND status = 'hidden'",
                id
            )
            .execute(&mut **tx)
            .await
        }
        (Target::Comment(_), true) => {
            sqlx::query!(
                "UPDATE comments SET status = 'hidden', hidden_at = now() WHERE id = $1 AND status = 'visible'",
                id
            )
            .execute(&mut **tx)
            .await
        }
        (Target::Comment(_), false) => {
            sqlx::query!(
                "UPDATE comments SET status = 'visible', hidden_at = NULL WHERE id = $1 AND status = 'hidden'",
                id
            )
            .execute(&mut **tx)
            .await
        }
        (Target::Community(_), true) => {
            sqlx::query!(
                "UPDATE communities SET status = 'hidden', hidden_at = now() WHERE id = $1 AND status = 'active'",
                id
            )
            .execute(&mut **tx)
            .await
        }
        (Target::Community(_), false) => {
            sqlx::query!(
                "UPDATE communities SET status = 'active', hidden_at = NULL WHERE id = $1 AND status = 'hidden'",
                id
            )
            .execute(&mut **tx)
            .await
        }
        (Target::Member(_), true) => {
            sqlx::query!("UPDATE members SET hidden_at = now() WHERE id = $1 AND hidden_at IS NULL", id)
                .execute(&mut **tx)
                .await
        }
        (Target::Member(_), false) => {
            sqlx::query!("UPDATE members SET hidden_at = NULL WHERE id = $1", id).execute(&mut **tx).await
        }
    }
    .context("hiding or showing an item")?;
    Ok(())
}

/// Removes an item for good (a moderator's decision).
async fn remove(tx: &mut TenantTx<'_>, target: Target) -> Result<(), CoreError> {
    let id = target.id();
    match target {
        Target::Contribution(_) => {
            sqlx::query!("UPDATE contributions SET status = 'deleted' WHERE id = $1", id).execute(&mut **tx).await
        }
        Target::Comment(_) => {
            sqlx::query!("UPDATE comments SET status = 'deleted' WHERE id = $1", id).execute(&mut **tx).await
        }
        Target::Community(_) => {
            sqlx::query!("UPDATE communities SET status = 'archived', archived_at = now() WHERE id = $1", id)
                .execute(&mut **tx)
                .await
        }
        // A profile stays hidden; its owner is dealt with by the sanction.
        Target::Member(_) => {
            sqlx::query!("UPDATE members SET hidden_at = coalesce(hidden_at, now()) WHERE id = $1", id)
                .execute(&mut **tx)
                .await
        }
    }
    .context("removing an item")?;
    Ok(())
}

/// Who may review an item: a regional admin anything; a community's moderators what is
/// published in their community — never their own.
async fn may_review(tx: &mut TenantTx<'_>, by: &Member, it: &Item) -> Result<bool, CoreError> {
    if by.role.is_admin() {
        return Ok(true);
    }
    if it.author_id == Some(by.id) {
        return Ok(false);
    }
    match it.community_id {
        Some(c) => crate::communities::moderates(tx, c, by.id).await,
        None => Ok(false),
    }
}

/// A decision on a reported item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The reports were wrong: shown again.
    Restore,
    /// They were right: removed; and its author, perhaps, warned, suspended for some days or
    /// banned (suspensions and bans are the regional admins').
    Remove { sanction: Sanction },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sanction {
    None,
    Warn,
    SuspendDays(i64),
    Ban,
}

/// Why a decision is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRefusal {
    /// Not this moderator's (another community's, or the region's), or a sanction beyond them.
    NotYours,
    /// Nothing to decide: not reported, or decided already.
    NothingPending,
}

/// Decides on a reported item: restores or removes it (perhaps sanctioning its author), tells
/// its reporters and its author, and records it all in the audit log.
pub async fn decide(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Member,
    target: Target,
    decision: &Decision,
    note: &str,
) -> Result<Result<(), DecisionRefusal>, CoreError> {
    let Some(it) = item(tx, target, true).await? else { return Err(CoreError::NotFound) };
    if !may_review(tx, by, &it).await? {
        return Ok(Err(DecisionRefusal::NotYours));
    }
    if let Decision::Remove { sanction: Sanction::SuspendDays(_) | Sanction::Ban } = decision
        && !by.role.is_admin()
    {
        return Ok(Err(DecisionRefusal::NotYours));
    }
    let reporters: Vec<i64> = sqlx::query_scalar!(
        "SELECT reporter_id FROM reports WHERE target_kind = $1 AND target_id = $2 AND resolution IS NULL",
        target.kind(),
        target.id()
    )
    .fetch_all(&mut **tx)
    .await
    .context("finding the reporters")?;
    if reporters.is_empty() && !it.hidden {
        return Ok(Err(DecisionRefusal::NothingPending));
    }
    let resolution = match decision {
        Decision::Restore => "restored",
        Decision::Remove { .. } => "removed",
    };
    sqlx::query!(
        "UPDATE reports SET resolution = $3, resolved_at = now() WHERE target_kind = $1 AND target_id = $2 AND resolution IS NULL",
        target.kind(),
        target.id(),
        resolution
    )
    .execute(&mut **tx)
    .await
    .context("closing the reports")?;
    let note = note.trim();
    let why = if note.is_empty() { String::new() } else { format!(" : {note}") };
    match decision {
        Decision::Restore => {
            set_hidden(tx, target, false).await?;
            if let Some(a) = it.author_id {
                let message =
                    format!("« {} » est de nouveau visible : les signalements n’ont pas été retenus", it.title);
                notifications::notify(tx, tenant_id, a, "moderation", &message, Some(&it.link)).await?;
            }
            for r in &reporters {
                let message = format!("Votre signalement de « {} » n’a pas été retenu{why}", it.title);
                notifications::notify(tx, tenant_id, *r, "moderation", &message, None).await?;
            }
        }
        Decision::Remove { sanction } => {
            remove(tx, target).await?;
            if let Some(a) = it.author_id {
                let message = format!("« {} » a été retiré par la modération{why}", it.title);
                notifications::notify(tx, tenant_id, a, "moderation", &message, None).await?;
                sanction_author(tx, tenant_id, by, a, sanction, &it.title, note).await?;
            }
            for r in &reporters {
                let message = format!("Merci : « {} » a été retiré après votre signalement", it.title);
                notifications::notify(tx, tenant_id, *r, "moderation", &message, None).await?;
            }
        }
    }
    audit::record(
        tx,
        by,
        &format!("moderation.{resolution}"),
        &format!("{} · {}", it.title, target.kind()),
        Some(serde_json::json!({"reports": reporters.len()})),
        Some(serde_json::json!({"decision": resolution, "sanction": format!("{decision:?}"), "note": note})),
    )
    .await?;
    Ok(Ok(()))
}

async fn sanction_author(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Member,
    author: i64,
    sanction: &Sanction,
    title: &str,
    note: &str,
) -> Result<(), CoreError> {
    let reason = if note.is_empty() { format!("« {title} » retiré par la modération") } else { note.to_owned() };
    let s = match sanction {
        Sanction::None => return Ok(()),
        Sanction::Warn => {
            let message = format!("Avertissement de la modération : {reason}");
            notifications::notify(tx, tenant_id, author, "moderation", &message, None).await?;
            return Ok(());
        }
        Sanction::SuspendDays(d) => crate::admin::members::Sanction::Suspend {
            until: OffsetDateTime::now_utc() + time::Duration::days(*d),
            reason: reason.clone(),
        },
        Sanction::Ban => crate::admin::members::Sanction::Ban { reason: reason.clone() },
    };
    let message = match &s {
        crate::admin::members::Sanction::Suspend { until, .. } => {
            format!("Votre compte est suspendu jusqu’au {} : {reason}", until.date())
        }
        _ => format!("Votre compte est exclu de ce réseau : {reason}"),
    };
    crate::admin::members::sanction(tx, tenant_id, by, author, &s, &message).await
}

/// The author of a hidden item asks for a review (once).
pub async fn request_review(tx: &mut TenantTx<'_>, author: &Member, contribution_id: i64) -> Result<bool, CoreError> {
    let done = sqlx::query!(
        "UPDATE contributions SET review_requested_at = now()
          WHERE id = $1 AND author_id = $2 AND status = 'hidden' AND review_requested_at IS NULL",
        contribution_id,
        author.id
    )
    .execute(&mut **tx)
    .await
    .context("asking for a review")?
    .rows_affected();
    Ok(done == 1)
}

/// An item in a review queue.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub item: Item,
    pub reports: i64,
    pub weight: f64,
    pub reasons: Vec<String>,
    pub details: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_report: OffsetDateTime,
    pub review_requested: bool,
}

/// The items with pending reports — the region's, or one community's — hidden ones first.
pub async fn queue(tx: &mut TenantTx<'_>, community: Option<i64>, limit: i64) -> Result<Vec<Case>, CoreError> {
    // The community and the hidden state are read here, so that the limit keeps what matters:
    // this community's cases (or the region's), hidden ones first, then the oldest.
    let rows = sqlx::query!(
        r#"WITH pending AS (
               SELECT target_kind, target_id, count(*) AS n, sum(weight)::float8 AS w,
                      array_agg(DISTINCT reason) AS reasons, array_remove(array_agg(details), '') AS details,
                      min(created_at) AS first
                 FROM reports WHERE resolution IS NULL GROUP BY target_kind, target_id)
           SELECT p.target_kind, p.target_id, p.n AS "n!", p.w AS "w!", p.reasons AS "reasons!",
                  p.details AS "details!", p.first AS "first!"
             FROM pending p
             LEFT JOIN contributions c ON p.target_kind = 'contribution' AND c.id = p.target_id
             LEFT JOIN comments k ON p.target_kind = 'comment' AND k.id = p.target_id
             LEFT JOIN contributions kc ON kc.id = k.contribution_id
             LEFT JOIN communities co ON p.target_kind = 'community' AND co.id = p.target_id
             LEFT JOIN members mm ON p.target_kind = 'member' AND mm.id = p.target_id
            WHERE $1::bigint IS NULL OR coalesce(c.community_id, kc.community_id, co.id) = $1
            ORDER BY coalesce(c.status = 'hidden', k.status = 'hidden', co.status = 'hidden', mm.hidden_at IS NOT NULL, false) DESC,
                     p.first
            LIMIT $2"#,
        community,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading the review queue")?;
    let mut out = Vec::new();
    for r in rows {
        let Some(target) = Target::parse(&r.target_kind, r.target_id) else { continue };
        let Some(it) = item(tx, target, false).await? else { continue };
        if community.is_some() && it.community_id != community {
            continue;
        }
        let review_requested = match target {
            Target::Contribution(id) => sqlx::query_scalar!(
                r#"SELECT review_requested_at IS NOT NULL AS "r!" FROM contributions WHERE id = $1"#,
                id
            )
            .fetch_one(&mut **tx)
            .await
            .context("reading a review request")?,
            _ => false,
        };
        out.push(Case {
            item: it,
            reports: r.n,
            weight: r.w,
            reasons: r.reasons,
            details: r.details,
            first_report: r.first,
            review_requested,
        });
    }
    out.sort_by_key(|c| (!c.item.hidden, c.first_report));
    out.truncate(limit as usize);
    Ok(out)
}

/// How a member reports: how often, and how often their reports were overturned.
#[derive(Debug, Clone, Serialize)]
pub struct ReporterLine {
    pub handle: String,
    pub display_name: String,
    pub reports: i64,
    pub upheld: i64,
    pub overturned: i64,
}

/// Who reports most, and whose reports are overturned (a regional admin's view).
pub async fn reporters(tx: &mut TenantTx<'_>, limit: i64) -> Result<Vec<ReporterLine>, CoreError> {
    sqlx::query_as!(
        ReporterLine,
        r#"SELECT m.handle, m.display_name, count(*) AS "reports!",
                  count(*) FILTER (WHERE r.resolution = 'removed') AS "upheld!",
                  count(*) FILTER (WHERE r.resolution = 'restored') AS "overturned!"
             FROM reports r JOIN members m ON m.id = r.reporter_id
            GROUP BY m.id ORDER BY 3 DESC, 5 DESC LIMIT $1"#,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading who reports")
}
