//! Communities: smaller spaces of a region on a theme, a research group, an event's attendees.
//! Any member proposes one (a regional admin approves it, unless the region opens them at once);
//! then it runs itself — owners and moderators appoint each other (never without an owner),
//! accept join requests, remove members, edit its page, pin contributions and set its report
//! threshold within the region's bounds. Members publish into the communities they belong to.

use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::accounts::Member;
use crate::admin::audit;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::notifications;

/// What a community gathers.
pub const KINDS: &[&str] = &["theme", "research_group", "event"];

/// A member's place in a community, each able to do what the ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Moderator,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "moderator" => Some(Self::Moderator),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Moderator => "moderator",
            Self::Owner => "owner",
        }
    }
}

/// A community, as its pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Community {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub description_md: String,
    pub description_html: String,
    pub cover_key: Option<String>,
    /// `open` or `request`.
    pub access: String,
    /// `pending`, `refused`, `active`, `hidden`, `archived`.
    pub status: String,
    pub refusal_reason: Option<String>,
    /// Its own report threshold; `None`: the region's.
    pub report_threshold: Option<i16>,
    pub proposed_by: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub members: i64,
    pub tags: Vec<String>,
}

impl Community {
    pub fn url(&self) -> String {
        format!("/communautes/{}", self.slug)
    }
}

/// The columns of a `Community`, from `communities co`.
macro_rules! read {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Community,
            r#"SELECT co.id, co.slug, co.name, co.kind, co.description_md, co.description_html, co.cover_key, co.access,
                      co.status, co.refusal_reason, co.report_threshold, co.proposed_by, co.created_at,
                      (SELECT count(*) FROM community_members cm WHERE cm.community_id = co.id AND cm.status = 'active') AS "members!",
                      coalesce(ARRAY(SELECT t.name FROM community_tags ct JOIN tags t ON t.id = ct.tag_id
                                      WHERE ct.community_id = co.id ORDER BY t.name), '{}') AS "tags!"
                 FROM communities co "# + $rest
            $(, $arg)*
        )
    };
}

/// What a member proposes.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub name: String,
    pub kind: &'static str,
    pub description_md: String,
    pub access: &'static str,
    pub tags: Vec<String>,
    pub cover_key: Option<String>,
}

/// Proposes a community; its proposer is its first owner. Open at once when the region says so,
/// else waiting for a regional admin (who are told).
pub async fn propose(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Member,
    p: &Proposal,
    open_at_once: bool,
) -> Result<Community, CoreError> {
    let base = echos_domain::member::slugify(&p.name, 60).unwrap_or_else(|| "communaute".into());
    let status = if open_at_once { "active" } else { "pending" };
    let mut id = None;
    for n in 1..50 {
        let slug = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let inserted = sqlx::query_scalar!(
            "INSERT INTO communities (slug, name, kind, description_md, description_html, cover_key, access, status,
                                      proposed_by, approved_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $8 = 'active' THEN now() END)
             ON CONFLICT (slug) DO NOTHING RETURNING id",
            slug,
            p.name,
            p.kind,
            p.description_md,
            crate::markdown::render(&p.description_md),
            p.cover_key,
            p.access,
            status,
            by.id
        )
        .fetch_optional(&mut **tx)
        .await
        .context("proposing a community")?;
        if inserted.is_some() {
            id = inserted;
            break;
        }
    }
    let id = id.ok_or_else(|| CoreError::conflict("no free address for this community"))?;
    set_tags(tx, id, &p.tags).await?;
    sqlx::query!(
        "INSERT INTO community_members (community_id, member_id, role, status) VALUES ($1, $2, 'owner', 'active')",
        id,
        by.id
    )
    .execute(&mut **tx)
    .await
    .context("making the proposer its owner")?;
    let c = get(tx, id).await?.ok_or(CoreError::NotFound)?;
    if open_at_once {
        audit::record(tx, by, "community.open", &c.name, None, None).await?;
    } else {
        let admins: Vec<i64> = sqlx::query_scalar!("SELECT id FROM members WHERE role = 'admin' AND id <> $1", by.id)
            .fetch_all(&mut **tx)
            .await
            .context("finding the region's admins")?;
        let message = format!("{} propose la communauté « {} »", by.display_name, c.name);
        for admin in admins {
            notifications::notify(tx, tenant_id, admin, "community", &message, Some("/admin/communautes")).await?;
        }
    }
    Ok(c)
}

async fn set_tags(tx: &mut PgConnection, id: i64, tags: &[String]) -> Result<(), CoreError> {
    sqlx::query!("DELETE FROM community_tags WHERE community_id = $1", id)
        .execute(&mut *tx)
        .await
        .context("clearing a community's tags")?;
    for tag in tags {
        sqlx::query!(
            "WITH t AS (INSERT INTO tags (name) VALUES ($2) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id)
             INSERT INTO community_tags (community_id, tag_id) SELECT $1, id FROM t ON CONFLICT DO NOTHING",
            id,
            tag
        )
        .execute(&mut *tx)
        .await
        .context("tagging a community")?;
    }
    Ok(())
}

pub async fn get(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<Community>, CoreError> {
    read!("WHERE co.id = $1", id).fetch_optional(&mut **tx).await.context("reading a community")
}

pub async fn by_slug(tx: &mut TenantTx<'_>, slug: &str) -> Result<Option<Community>, CoreError> {
    read!("WHERE co.slug = $1", slug).fetch_optional(&mut **tx).await.context("reading a community")
}

/// The region's active communities (or those in `status`), by name, a page of them, and how many.
pub async fn list(
    tx: &mut TenantTx<'_>,
    status: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Community>, i64), CoreError> {
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM communities WHERE status = $1"#, status)
        .fetch_one(&mut **tx)
        .await
        .context("counting communities")?;
    let rows = read!("WHERE co.status = $1 ORDER BY co.name, co.id LIMIT $2 OFFSET $3", status, limit, offset)
        .fetch_all(&mut **tx)
        .await
        .context("listing communities")?;
    Ok((rows, total))
}

/// The communities a member belongs to (active membership, community not refused), by name.
pub async fn of_member(tx: &mut TenantTx<'_>, member_id: i64) -> Result<Vec<(Community, Role)>, CoreError> {
    let rows = read!(
        "JOIN community_members cm ON cm.community_id = co.id
         WHERE cm.member_id = $1 AND cm.status = 'active' AND co.status IN ('active', 'pending', 'hidden')
         ORDER BY co.name",
        member_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing a member's communities")?;
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        let role = membership(tx, c.id, member_id).await?.map_or(Role::Member, |m| m.role);
        out.push((c, role));
    }
    Ok(out)
}

/// A member's place in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub role: Role,
    /// Asked to join, not accepted yet.
    pub pending: bool,
}

pub async fn membership(
    tx: &mut TenantTx<'_>,
    community_id: i64,
    member_id: i64,
) -> Result<Option<Membership>, CoreError> {
    let row = sqlx::query!(
        "SELECT role, status FROM community_members WHERE community_id = $1 AND member_id = $2",
        community_id,
        member_id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a membership")?;
    Ok(row.map(|r| Membership { role: Role::parse(&r.role).unwrap_or(Role::Member), pending: r.status == "pending" }))
}

/// Whether a member may moderate a community (a moderator or owner of it, accepted).
pub async fn moderates(tx: &mut TenantTx<'_>, community_id: i64, member_id: i64) -> Result<bool, CoreError> {
    Ok(membership(tx, community_id, member_id).await?.is_some_and(|m| !m.pending && m.role >= Role::Moderator))
}

/// A member of a community, for its page and its management.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub member_id: i64,
    pub handle: String,
    pub display_name: String,
    pub avatar_key: Option<String>,
    pub role: Role,
    pub pending: bool,
}

/// A community's members (owners, then moderators, then members), and those asking to join.
pub async fn people(tx: &mut TenantTx<'_>, community_id: i64) -> Result<Vec<Person>, CoreError> {
    let rows = sqlx::query!(
        "SELECT m.id, m.handle, m.display_name, m.avatar_key, cm.role, cm.status
           FROM community_members cm JOIN members m ON m.id = cm.member_id
          WHERE cm.community_id = $1 AND m.hidden_at IS NULL
          ORDER BY CASE cm.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, m.display_name",
        community_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing a community's members")?;
    Ok(rows
        .into_iter()
        .map(|r| Person {
            member_id: r.id,
            handle: r.handle,
            display_name: r.display_name,
            avatar_key: r.avatar_key,
            role: Role::parse(&r.role).unwrap_or(Role::Member),
            pending: r.status == "pending",
        })
        .collect())
}

/// What joining did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Member,
    /// The community is on request: its moderators are asked.
    Requested,
    Already,
}

/// Joins an active community (or asks to, when it is on request).
pub async fn join(tx: &mut TenantTx<'_>, tenant_id: Uuid, c: &Community, who: &Member) -> Result<Joined, CoreError> {
    if c.status != "active" {
        return Err(CoreError::NotFound);
    }
    let status = if c.access == "open" { "active" } else { "pending" };
    let added = sqlx::query!(
        "INSERT INTO community_members (community_id, member_id, status) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        c.id,
        who.id,
        status
    )
    .execute(&mut **tx)
    .await
    .context("joining a community")?
    .rows_affected();
    if added == 0 {
        return Ok(Joined::Already);
    }
    if status == "active" {
        return Ok(Joined::Member);
    }
    let moderators: Vec<i64> = sqlx::query_scalar!(
        "SELECT member_id FROM community_members WHERE community_id = $1 AND role IN ('moderator', 'owner') AND status = 'active'",
        c.id
    )
    .fetch_all(&mut **tx)
    .await
    .context("finding a community's moderators")?;
    let message = format!("{} demande à rejoindre « {} »", who.display_name, c.name);
    let link = format!("{}/gerer", c.url());
    for m in moderators {
        notifications::notify(tx, tenant_id, m, "community", &message, Some(&link)).await?;
    }
    Ok(Joined::Requested)
}

/// Why a change of membership is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The community would be left without an owner.
    LastOwner,
    /// Beyond what the actor's own role allows (a moderator naming an owner, removing one…).
    NotAllowed,
    /// No such member in this community.
    NotThere,
}

/// Leaves a community (its last owner cannot).
pub async fn leave(tx: &mut TenantTx<'_>, c: &Community, who: &Member) -> Result<Result<(), Refusal>, CoreError> {
    let owners = lock_owners(tx, c.id).await?;
    if owners == [who.id] {
        return Ok(Err(Refusal::LastOwner));
    }
    let gone = sqlx::query!("DELETE FROM community_members WHERE community_id = $1 AND member_id = $2", c.id, who.id)
        .execute(&mut **tx)
        .await
        .context("leaving a community")?
        .rows_affected();
    Ok(if gone == 0 { Err(Refusal::NotThere) } else { Ok(()) })
}

/// The owners of a community, locked (two owners stepping down at once cannot both succeed).
async fn lock_owners(tx: &mut TenantTx<'_>, community_id: i64) -> Result<Vec<i64>, CoreError> {
    sqlx::query_scalar!(
        "SELECT member_id FROM community_members WHERE community_id = $1 AND role = 'owner' AND status = 'active'
          ORDER BY member_id FOR UPDATE",
        community_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting a community's owners")
}

/// The actor's role here, checked to be at least `needed`; regional admins act as owners.
async fn acting_role(
    tx: &mut TenantTx<'_>,
    c: &Community,
    by: &Member,
    needed: Role,
) -> Result<Option<Role>, CoreError> {
    if by.role.is_admin() {
        return Ok(Some(Role::Owner));
    }
    Ok(membership(tx, c.id, by.id).await?.filter(|m| !m.pending && m.role >= needed).map(|m| m.role))
}

/// Accepts or declines a request to join (a moderator or owner).
pub async fn answer_request(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    c: &Community,
    by: &Member,
    member_id: i64,
    accept: bool,
) -> Result<Result<(), Refusal>, CoreError> {
    if acting_role(tx, c, by, Role::Moderator).await?.is_none() {
        return Ok(Err(Refusal::NotAllowed));
    }
    let done = if accept {
        sqlx::query!(
            "UPDATE community_members SET status = 'active', joined_at = now()
              WHERE community_id = $1 AND member_id = $2 AND status = 'pending'",
            c.id,
            member_id
        )
        .execute(&mut **tx)
        .await
    } else {
        sqlx::query!(
            "DELETE FROM community_members WHERE community_id = $1 AND member_id = $2 AND status = 'pending'",
            c.id,
            member_id
        )
        .execute(&mut **tx)
        .await
    }
    .context("answering a request to join")?
    .rows_affected();
    if done == 0 {
        return Ok(Err(Refusal::NotThere));
    }
    let message = if accept {
        format!("Vous avez rejoint la communauté « {} »", c.name)
    } else {
        format!("Votre demande pour rejoindre « {} » n’a pas été retenue", c.name)
    };
    notifications::notify(tx, tenant_id, member_id, "community", &message, Some(&c.url())).await?;
    audit::record(tx, by, if accept { "community.accept" } else { "community.decline" }, &c.name, None, None).await?;
    Ok(Ok(()))
}

/// Gives a member of the community a role, or removes them (`None`). Moderators name and remove
/// members and moderators; only owners (and regional admins) name or remove owners; a community
/// never loses its last owner; nobody raises themselves.
pub async fn set_role(
    tx: &mut TenantTx<'_>,
    c: &Community,
    by: &Member,
    member_id: i64,
    role: Option<Role>,
) -> Result<Result<(), Refusal>, CoreError> {
    let Some(mine) = acting_role(tx, c, by, Role::Moderator).await? else { return Ok(Err(Refusal::NotAllowed)) };
    let owners = lock_owners(tx, c.id).await?;
    let Some(theirs) = membership(tx, c.id, member_id).await?.filter(|m| !m.pending) else {
        return Ok(Err(Refusal::NotThere));
    };
    let raising_self = member_id == by.id && role.is_some_and(|r| r > theirs.role);
    let touches_owner = theirs.role == Role::Owner || role == Some(Role::Owner);
    if raising_self || (touches_owner && mine < Role::Owner) {
        return Ok(Err(Refusal::NotAllowed));
    }
    if theirs.role == Role::Owner && role != Some(Role::Owner) && owners == [member_id] {
        return Ok(Err(Refusal::LastOwner));
    }
    match role {
        Some(r) => {
            sqlx::query!(
                "UPDATE community_members SET role = $3 WHERE community_id = $1 AND member_id = $2",
                c.id,
                member_id,
                r.code()
            )
            .execute(&mut **tx)
            .await
        }
        None => {
            sqlx::query!("DELETE FROM community_members WHERE community_id = $1 AND member_id = $2", c.id, member_id)
                .execute(&mut **tx)
                .await
        }
    }
    .context("changing a member's place in a community")?;
    let handle: String = sqlx::query_scalar!("SELECT handle FROM members WHERE id = $1", member_id)
        .fetch_one(&mut **tx)
        .await
        .context("reading a member")?;
    audit::record(
        tx,
        by,
        if role.is_some() { "community.role" } else { "community.remove_member" },
        &format!("{} · @{handle}", c.name),
        Some(serde_json::json!(theirs.role.code())),
        role.map(|r| serde_json::json!(r.code())),
    )
    .await?;
    Ok(Ok(()))
}

/// What a community's moderators may change of it.
#[derive(Debug, Clone)]
pub struct Edit {
    pub name: String,
    pub description_md: String,
    pub access: &'static str,
    pub tags: Vec<String>,
    pub report_threshold: Option<i16>,
    /// A new cover (already stored); `None` keeps the current one.
    pub cover_key: Option<String>,
}

/// Edits a community's page (a moderator or owner); the threshold is the caller's to check
/// against the region's bounds.
pub async fn edit(
    tx: &mut TenantTx<'_>,
    c: &Community,
    by: &Member,
    e: &Edit,
) -> Result<Result<(), Refusal>, CoreError> {
    if acting_role(tx, c, by, Role::Moderator).await?.is_none() {
        return Ok(Err(Refusal::NotAllowed));
    }
    sqlx::query!(
        "UPDATE communities SET name = $2, description_md = $3, description_html = $4, access = $5,
                report_threshold = $6, cover_key = coalesce($7, cover_key)
          WHERE id = $1",
        c.id,
        e.name,
        e.description_md,
        crate::markdown::render(&e.description_md),
        e.access,
        e.report_threshold,
        e.cover_key
    )
    .execute(&mut **tx)
    .await
    .context("editing a community")?;
    set_tags(tx, c.id, &e.tags).await?;
    audit::record(
        tx,
        by,
        "community.edit",
        &c.name,
        Some(serde_json::json!({"name": c.name, "access": c.access, "report_threshold": c.report_threshold})),
        Some(serde_json::json!({"name": e.name, "access": e.access, "report_threshold": e.report_threshold})),
    )
    .await?;
    Ok(Ok(()))
}

/// Pins (or unpins) a contribution published in the community, at the top of its feed.
pub async fn pin(
    tx: &mut TenantTx<'_>,
    c: &Community,
    by: &Member,
    contribution_id: i64,
    pinned: bool,
) -> Result<Result<(), Refusal>, CoreError> {
    if acting_role(tx, c, by, Role::Moderator).await?.is_none() {
        return Ok(Err(Refusal::NotAllowed));
    }
    if pinned {
        let done = sqlx::query!(
            "INSERT INTO community_pins (community_id, contribution_id)
             SELECT $1, id FROM contributions WHERE id = $2 AND community_id = $1 AND status = 'published'
             ON CONFLICT DO NOTHING",
            c.id,
            contribution_id
        )
        .execute(&mut **tx)
        .await
        .context("pinning a contribution")?;
        let there: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM community_pins WHERE community_id = $1 AND contribution_id = $2) AS "x!""#,
            c.id,
            contribution_id
        )
        .fetch_one(&mut **tx)
        .await
        .context("reading a pin")?;
        if done.rows_affected() == 0 && !there {
            return Ok(Err(Refusal::NotThere));
        }
    } else {
        sqlx::query!(
            "DELETE FROM community_pins WHERE community_id = $1 AND contribution_id = $2",
            c.id,
            contribution_id
        )
        .execute(&mut **tx)
        .await
        .context("unpinning a contribution")?;
    }
    audit::record(tx, by, if pinned { "community.pin" } else { "community.unpin" }, &c.name, None, None).await?;
    Ok(Ok(()))
}

/// The ids of a community's pinned contributions, latest pin first.
pub async fn pinned(tx: &mut TenantTx<'_>, community_id: i64) -> Result<Vec<i64>, CoreError> {
    sqlx::query_scalar!(
        "SELECT p.contribution_id FROM community_pins p JOIN contributions c ON c.id = p.contribution_id
          WHERE p.community_id = $1 AND c.status = 'published' ORDER BY p.pinned_at DESC",
        community_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading a community's pins")
}

/// The ids of a community's published contributions, newest first, a page of them.
pub async fn feed(
    tx: &mut TenantTx<'_>,
    community_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<i64>, i64), CoreError> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM contributions WHERE community_id = $1 AND status = 'published'"#,
        community_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("counting a community's contributions")?;
    let ids = sqlx::query_scalar!(
        "SELECT id FROM contributions WHERE community_id = $1 AND status = 'published'
          ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3",
        community_id,
        limit,
        offset
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading a community's feed")?;
    Ok((ids, total))
}

/// Whether a member may publish into a community (an accepted member of an active one).
pub async fn may_publish_in(tx: &mut TenantTx<'_>, community_id: i64, member_id: i64) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM community_members cm JOIN communities co ON co.id = cm.community_id
                           WHERE cm.community_id = $1 AND cm.member_id = $2 AND cm.status = 'active'
                             AND co.status = 'active') AS "ok!""#,
        community_id,
        member_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("checking a community's membership")
}

/// Approves a proposed community (a regional admin); its proposer is told.
pub async fn approve(tx: &mut TenantTx<'_>, tenant_id: Uuid, by: &Member, c: &Community) -> Result<(), CoreError> {
    if c.status != "pending" {
        return Err(CoreError::conflict("this community does not wait for approval"));
    }
    sqlx::query!("UPDATE communities SET status = 'active', approved_at = now() WHERE id = $1", c.id)
        .execute(&mut **tx)
        .await
        .context("approving a community")?;
    if let Some(p) = c.proposed_by {
        let message = format!("Votre communauté « {} » est ouverte", c.name);
        notifications::notify(tx, tenant_id, p, "community", &message, Some(&c.url())).await?;
    }
    audit::record(tx, by, "community.approve", &c.name, None, None).await
}

/// Refuses a proposed community, saying why (its proposer is told).
pub async fn refuse(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    by: &Member,
    c: &Community,
    reason: &str,
) -> Result<(), CoreError> {
    if c.status != "pending" {
        return Err(CoreError::conflict("this community does not wait for approval"));
    }
    sqlx::query!("UPDATE communities SET status = 'refused', refusal_reason = $2 WHERE id = $1", c.id, reason)
        .execute(&mut **tx)
        .await
        .context("refusing a community")?;
    if let Some(p) = c.proposed_by {
        let message = format!("Votre communauté « {} » n’a pas été retenue : {reason}", c.name);
        notifications::notify(tx, tenant_id, p, "community", &message, None).await?;
    }
    audit::record(tx, by, "community.refuse", &c.name, None, Some(serde_json::json!(reason))).await
}

/// Archives a community (read-only, out of the lists) or opens it again.
pub async fn archive(tx: &mut TenantTx<'_>, by: &Member, c: &Community, archived: bool) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE communities SET status = CASE WHEN $2 THEN 'archived' ELSE 'active' END,
                archived_at = CASE WHEN $2 THEN now() END
          WHERE id = $1 AND status IN ('active', 'archived')",
        c.id,
        archived
    )
    .execute(&mut **tx)
    .await
    .context("archiving a community")?;
    audit::record(tx, by, if archived { "community.archive" } else { "community.reopen" }, &c.name, None, None).await
}

/// Deletes a community: its contributions stay, detached from it.
pub async fn delete(tx: &mut TenantTx<'_>, by: &Member, c: &Community) -> Result<(), CoreError> {
    sqlx::query!("DELETE FROM communities WHERE id = $1", c.id)
        .execute(&mut **tx)
        .await
        .context("deleting a community")?;
    audit::record(tx, by, "community.delete", &c.name, None, None).await
}

/// Hands a community to a member of the region (a regional admin): they become an owner (and a
/// member if they were not).
pub async fn transfer(tx: &mut TenantTx<'_>, by: &Member, c: &Community, handle: &str) -> Result<bool, CoreError> {
    let Some(to) = sqlx::query_scalar!("SELECT id FROM members WHERE handle = $1 AND banned_at IS NULL", handle)
        .fetch_optional(&mut **tx)
        .await
        .context("finding a member")?
    else {
        return Ok(false);
    };
    sqlx::query!(
        "INSERT INTO community_members (community_id, member_id, role, status) VALUES ($1, $2, 'owner', 'active')
         ON CONFLICT (community_id, member_id) DO UPDATE SET role = 'owner', status = 'active'",
        c.id,
        to
    )
    .execute(&mut **tx)
    .await
    .context("handing a community over")?;
    audit::record(tx, by, "community.transfer", &c.name, None, Some(serde_json::json!(handle))).await?;
    Ok(true)
}

/// Growth of communities for the participation page: per month, communities opened and members
/// who joined one.
pub async fn growth(
    tx: &mut TenantTx<'_>,
    from: time::Date,
    to: time::Date,
    tz: &str,
) -> Result<Vec<(time::Date, i64, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"WITH span AS (SELECT ($1::date::timestamp AT TIME ZONE $3) AS lo, (($2::date + 1)::timestamp AT TIME ZONE $3) AS hi),
                opened AS (SELECT date_trunc('month', approved_at AT TIME ZONE $3)::date AS m, count(*) AS n
                             FROM communities, span WHERE approved_at >= lo AND approved_at < hi GROUP BY 1),
                joined AS (SELECT date_trunc('month', joined_at AT TIME ZONE $3)::date AS m, count(*) AS n
                             FROM community_members, span WHERE status = 'active' AND joined_at >= lo AND joined_at < hi GROUP BY 1)
           SELECT coalesce(o.m, j.m) AS "month!", coalesce(o.n, 0) AS "opened!", coalesce(j.n, 0) AS "joined!"
             FROM opened o FULL JOIN joined j ON j.m = o.m ORDER BY 1"#,
        from,
        to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting communities' growth")?;
    Ok(rows.into_iter().map(|r| (r.month, r.opened, r.joined)).collect())
}

/// The most active communities of a period: contributions published in each.
pub async fn most_active(
    tx: &mut TenantTx<'_>,
    since: OffsetDateTime,
    limit: i64,
) -> Result<Vec<(String, String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT co.name, co.slug, count(c.id) AS "n!"
             FROM communities co JOIN contributions c ON c.community_id = co.id AND c.status = 'published' AND c.published_at >= $1
            WHERE co.status = 'active' GROUP BY co.id ORDER BY 3 DESC, co.name LIMIT $2"#,
        since,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("ranking communities")?;
    Ok(rows.into_iter().map(|r| (r.name, r.slug, r.n)).collect())
}
