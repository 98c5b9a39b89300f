//! Contributions of every kind — articles, curated links, debates, announcements, dossiers — in
//! one table: write, edit, delete, read and list, with tags, likes, dossier items and co-authors.
//! Markdown is rendered and sanitised (ammonia) once, on write; pages print the stored HTML.
//! Publishing for the first time queues the "X published" notifications to followers.

use echos_domain::contribution::{Kind, Status};
use echos_domain::job::JobKind;
use echos_domain::member::MemberKind;
use serde::Serialize;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::jobs;

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct ContributionJob {
    pub contribution_id: i64,
}

/// Markdown → sanitised HTML (see `crate::markdown`).
pub fn render_markdown(md: &str) -> String {
    crate::markdown::render(md)
}

/// What a member submits, already parsed. Fields that do not belong to the kind are ignored.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub tags: Vec<String>,
    pub publish: bool,
    /// A new cover image (already stored); `None` keeps the current one.
    pub cover_key: Option<String>,
    /// What the cover shows, in words (its alternative text).
    pub cover_alt: String,
    /// The community it is published into (the author must belong to it).
    pub community_id: Option<i64>,
    pub link_url: Option<String>,
    pub announcement_kind: Option<String>,
    pub closes_on: Option<Date>,
    /// A dossier's items, in order.
    pub items: Vec<i64>,
    /// A dossier's co-authors (member ids).
    pub coauthors: Vec<i64>,
    /// An event's dates, place and public.
    pub event: Option<crate::events::EventDraft>,
    /// A place's address, kind and opening hours.
    pub place: Option<crate::events::PlaceDraft>,
    /// A project's funding, team and voting period.
    pub project: Option<crate::projects::ProjectDraft>,
}

impl Draft {
    /// A draft of this kind with nothing but the common fields.
    pub fn new(kind: Kind, title: String, summary: String, body_md: String, tags: Vec<String>, publish: bool) -> Self {
        Self {
            kind,
            title,
            summary,
            body_md,
            tags,
            publish,
            cover_key: None,
            cover_alt: String::new(),
            community_id: None,
            link_url: None,
            announcement_kind: None,
            closes_on: None,
            items: Vec::new(),
            coauthors: Vec::new(),
            event: None,
            place: None,
            project: None,
        }
    }
}

/// Why a draft was refused by what is in the database (the form's own checks come first).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A dossier item that is the dossier itself, or not a published contribution of this region.
    BadItem(i64),
    /// Hidden by reports (or removed) since the form was opened: it waits for a moderator.
    Hidden,
    /// A community the author does not belong to (or not an active one).
    NotInCommunity,
    /// A project's period (or call) once votes were cast.
    PeriodLocked,
    /// A call that is closed, or not open to this author.
    CallClosed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contribution {
    pub id: i64,
    pub kind: Kind,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub body_html: String,
    pub status: Status,
    pub author_id: i64,
    pub author_name: String,
    pub author_handle: String,
    pub author_avatar: Option<String>,
    pub author_kind: MemberKind,
    pub tags: Vec<String>,
    pub cover_key: Option<String>,
    pub cover_alt: String,
    pub community_id: Option<i64>,
    pub link_url: Option<String>,
    pub announcement_kind: Option<String>,
    pub closes_on: Option<Date>,
    pub preview_status: Option<String>,
    pub preview_title: Option<String>,
    pub preview_description: Option<String>,
    pub preview_image: Option<String>,
    pub preview_site: Option<String>,
    pub comment_count: i64,
    pub like_count: i64,
    /// Chosen by the region's editors for the home page.
    pub featured: bool,
    pub published_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    /// A project's votes, counted from their rows, and when its vote ends (its call's or its own).
    pub votes: Option<i64>,
    pub vote_closes_at: Option<OffsetDateTime>,
}

impl Contribution {
    pub fn url(&self) -> String {
        self.kind.url(self.id, &self.slug)
    }

    pub fn is_published(&self) -> bool {
        self.status == Status::Published
    }

    /// An announcement whose closing date has passed.
    pub fn is_closed(&self, today: Date) -> bool {
        self.closes_on.is_some_and(|d| d < today)
    }
}

/// A compile-checked read of contributions: the columns every read returns, then `$rest` (joins,
/// `WHERE`, order), each row made a `Contribution`. `$body` is the Markdown and HTML
/// (`c.body_md, c.body_html`), or empty strings in lists. Closed sets are held by the table's
/// `CHECK`s; the fallbacks for what they exclude are the least visible.
macro_rules! read {
    ($body:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            "SELECT c.id, c.kind, c.slug, c.title, c.summary, " + $body + ", c.status, c.author_id,
                    m.display_name AS author_name, m.handle AS author_handle, m.avatar_key AS author_avatar,
                    m.kind AS author_kind,
                    coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                    WHERE ct.contribution_id = c.id ORDER BY t.name), '{}') AS \"tags!\",
                    c.cover_key, c.cover_alt, c.community_id, c.link_url, c.announcement_kind, c.closes_on,
                    p.status AS \"preview_status?\", p.title AS preview_title, p.description AS preview_description,
                    p.image_url AS preview_image, p.site_name AS preview_site,
                    (SELECT count(*) FROM comments k WHERE k.contribution_id = c.id AND k.status = 'visible') AS \"comment_count!\",
                    c.like_count,
                    c.featured_at IS NOT NULL AS \"featured!\", c.published_at, c.updated_at,
                    CASE WHEN c.kind = 'project' THEN (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) END AS votes,
                    CASE WHEN c.kind = 'project'
                         THEN coalesce((SELECT k.closes_at FROM calls k WHERE k.id = c.call_id), c.vote_closes_at) END AS vote_closes_at
               FROM contributions c
               JOIN members m ON m.id = c.author_id
               LEFT JOIN link_previews p ON p.contribution_id = c.id " + $rest
            $(, $arg)*
        )
        .map(|r| Contribution {
            kind: Kind::from_code(&r.kind).unwrap_or(Kind::Article),
            status: Status::parse(&r.status).unwrap_or(Status::Hidden),
            author_kind: MemberKind::parse(&r.author_kind).unwrap_or(MemberKind::Person),
            id: r.id,
            slug: r.slug,
            title: r.title,
            summary: r.summary,
            body_md: r.body_md,
            body_html: r.body_html,
            author_id: r.author_id,
            author_name: r.author_name,
            author_handle: r.author_handle,
            author_avatar: r.author_avatar,
            tags: r.tags,
            cover_key: r.cover_key,
            cover_alt: r.cover_alt,
            community_id: r.community_id,
            link_url: r.link_url,
            announcement_kind: r.announcement_kind,
            closes_on: r.closes_on,
            preview_status: r.preview_status,
            preview_title: r.preview_title,
            preview_description: r.preview_description,
            preview_image: r.preview_image,
            preview_site: r.preview_site,
            comment_count: r.comment_count,
            like_count: r.like_count,
            featured: r.featured,
            published_at: r.published_at,
            updated_at: r.updated_at,
            votes: r.votes,
            vote_closes_at: r.vote_closes_at,
        })
    };
}

/// Writes a new contribution; returns its id, or why the database refuses it.
pub async fn create(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    author_id: i64,
    d: &Draft,
) -> Result<Result<i64, Refusal>, CoreError> {
    let status = if d.publish { Status::Published } else { Status::Draft }.code();
    if let Some(c) = d.community_id
        && !crate::communities::may_publish_in(tx, c, author_id).await?
    {
        return Ok(Err(Refusal::NotInCommunity));
    }
    let id = sqlx::query_scalar!(
        "INSERT INTO contributions (kind, author_id, status, title, slug, summary, body_md, body_html, published_at,
                                    cover_key, link_url, announcement_kind, closes_on, cover_alt, community_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $3 = 'published' THEN now() END, $9, $10, $11, $12, $13, $14)
         RETURNING id",
        d.kind.code(),
        author_id,
        status,
        d.title,
        echos_domain::contribution::slug(&d.title),
        d.summary,
        d.body_md,
        render_markdown(&d.body_md),
        d.cover_key,
        d.link_url,
        d.announcement_kind,
        d.closes_on,
        d.cover_alt,
        d.community_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("writing a contribution")?;
    if let Err(r) = write_parts(tx, tenant_id, id, d, None).await? {
        return Ok(Err(r));
    }
    crate::search::refresh(tx, id).await?;
    if d.publish {
        jobs::enqueue(tx, Some(tenant_id), JobKind::Published, &ContributionJob { contribution_id: id }).await?;
    }
    Ok(Ok(id))
}

/// Rewrites a contribution (its kind stays); publishing a draft dates it now, the first time,
/// and tells followers.
pub async fn update(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    id: i64,
    d: &Draft,
) -> Result<Result<(), Refusal>, CoreError> {
    let status = if d.publish { Status::Published } else { Status::Draft }.code();
    let before = sqlx::query!(
        "SELECT published_at IS NULL AS \"never_published!\", link_url, status, author_id, community_id
           FROM contributions WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a contribution to rewrite")?
    .ok_or(CoreError::NotFound)?;
    // Into a community its author belongs to (one it is in already may stay).
    if let Some(c) = d.community_id
        && before.community_id != Some(c)
        && !crate::communities::may_publish_in(tx, c, before.author_id).await?
    {
        return Ok(Err(Refusal::NotInCommunity));
    }
    sqlx::query!(
        "UPDATE contributions
            SET status = $2, title = $3, slug = $4, summary = $5, body_md = $6, body_html = $7, updated_at = now(),
                published_at = CASE WHEN $2 = 'published' THEN coalesce(published_at, now()) ELSE published_at END,
                cover_key = coalesce($8, cover_key), link_url = $9, announcement_kind = $10, closes_on = $11,
                cover_alt = $12, community_id = $13
          WHERE id = $1 AND status IN ('draft', 'published')",
        id,
        status,
        d.title,
        echos_domain::contribution::slug(&d.title),
        d.summary,
        d.body_md,
        render_markdown(&d.body_md),
        d.cover_key,
        d.link_url,
        d.announcement_kind,
        d.closes_on,
        d.cover_alt,
        d.community_id
    )
    .execute(&mut **tx)
    .await
    .context("rewriting a contribution")?;
    // Hidden (or removed) meanwhile: the row was locked above, so this is the state it is in.
    if before.status != "draft" && before.status != "published" {
        return Ok(Err(Refusal::Hidden));
    }
    if let Err(r) = write_parts(tx, tenant_id, id, d, before.link_url.as_deref()).await? {
        return Ok(Err(r));
    }
    crate::search::refresh(tx, id).await?;
    if d.publish && before.never_published {
        jobs::enqueue(tx, Some(tenant_id), JobKind::Published, &ContributionJob { contribution_id: id }).await?;
    }
    Ok(Ok(()))
}

/// Tags, dossier items and co-authors, and a new preview when a link's address changed.
async fn write_parts(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    id: i64,
    d: &Draft,
    previous_url: Option<&str>,
) -> Result<Result<(), Refusal>, CoreError> {
    set_tags(tx, id, &d.tags).await?;
    if let Some(e) = &d.event {
        crate::events::write_event(tx, id, e).await?;
    }
    if let Some(p) = &d.place {
        crate::events::write_place(tx, id, p).await?;
    }
    if let Some(p) = &d.project {
        match crate::projects::write_project(tx, id, p).await? {
            Ok(()) => {}
            Err(crate::projects::ProjectRefusal::PeriodLocked) => return Ok(Err(Refusal::PeriodLocked)),
            Err(crate::projects::ProjectRefusal::CallClosed) => return Ok(Err(Refusal::CallClosed)),
        }
    }
    match d.kind {
        Kind::Dossier => {
            if let Err(r) = set_items(tx, id, &d.items).await? {
                return Ok(Err(r));
            }
            sqlx::query!("DELETE FROM contribution_coauthors WHERE contribution_id = $1", id)
                .execute(&mut **tx)
                .await
                .context("clearing co-authors")?;
            sqlx::query!(
                "INSERT INTO contribution_coauthors (contribution_id, member_id)
                 SELECT $1, m FROM unnest($2::bigint[]) AS m WHERE m <> (SELECT author_id FROM contributions WHERE id = $1)
                 ON CONFLICT DO NOTHING",
                id,
                &d.coauthors
            )
            .execute(&mut **tx)
            .await
            .context("adding co-authors")?;
        }
        Kind::Link if d.link_url.as_deref() != previous_url => {
            sqlx::query!(
                "INSERT INTO link_previews (contribution_id) VALUES ($1)
                 ON CONFLICT (contribution_id) DO UPDATE
                    SET status = 'pending', url = NULL, title = NULL, description = NULL, image_url = NULL,
                        site_name = NULL, fetched_at = NULL",
                id
            )
            .execute(&mut **tx)
            .await
            .context("asking for a link preview")?;
            jobs::enqueue(tx, Some(tenant_id), JobKind::LinkPreview, &ContributionJob { contribution_id: id }).await?;
        }
        _ => {}
    }
    Ok(Ok(()))
}

/// A dossier's items: each must be another published contribution of the region.
async fn set_items(tx: &mut TenantTx<'_>, id: i64, items: &[i64]) -> Result<Result<(), Refusal>, CoreError> {
    if let Some(own) = items.iter().find(|i| **i == id) {
        return Ok(Err(Refusal::BadItem(*own)));
    }
    let found: Vec<i64> =
        sqlx::query_scalar!("SELECT id FROM contributions WHERE id = ANY($1) AND status = 'published'", items)
            .fetch_all(&mut **tx)
            .await
            .context("checking dossier items")?;
    if let Some(missing) = items.iter().find(|i| !found.contains(i)) {
        return Ok(Err(Refusal::BadItem(*missing)));
    }
    sqlx::query!("DELETE FROM dossier_items WHERE dossier_id = $1", id)
        .execute(&mut **tx)
        .await
        .context("clearing dossier items")?;
    let positions: Vec<i32> = (0..items.len() as i32).collect();
    sqlx::query!(
        "INSERT INTO dossier_items (dossier_id, item_id, position) SELECT $1, i, p FROM unnest($2::bigint[], $3::int[]) AS u(i, p)",
        id,
        items,
        &positions
    )
    .execute(&mut **tx)
    .await
    .context("writing dossier items")?;
    Ok(Ok(()))
}

/// Deletes a contribution (kept as `deleted`, out of every page and every dossier).
pub async fn delete(tx: &mut TenantTx<'_>, id: i64) -> Result<(), CoreError> {
    sqlx::query!("UPDATE contributions SET status = 'deleted', updated_at = now() WHERE id = $1", id)
        .execute(&mut **tx)
        .await
        .context("deleting a contribution")?;
    Ok(())
}

async fn set_tags(tx: &mut TenantTx<'_>, id: i64, tags: &[String]) -> Result<(), CoreError> {
    sqlx::query!("DELETE FROM contribution_tags WHERE contribution_id = $1", id)
        .execute(&mut **tx)
        .await
        .context("clearing tags")?;
    if tags.is_empty() {
        return Ok(());
    }
    sqlx::query!("INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING", tags)
        .execute(&mut **tx)
        .await
        .context("adding tags")?;
    sqlx::query!(
        "INSERT INTO contribution_tags (contribution_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2)",
        id,
        tags
    )
    .execute(&mut **tx)
    .await
    .context("tagging")?;
    Ok(())
}

/// One contribution that is a draft or published (never a deleted or hidden one), of any kind.
pub async fn get(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<Contribution>, CoreError> {
    read!("c.body_md, c.body_html", "WHERE c.id = $1 AND c.status IN ('draft', 'published')", id)
        .fetch_optional(&mut **tx)
        .await
        .context("reading a contribution")
}

/// `get`, hidden ones too (for their author and the moderators).
pub async fn get_even_hidden(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<Contribution>, CoreError> {
    read!("c.body_md, c.body_html", "WHERE c.id = $1 AND c.status IN ('draft', 'published', 'hidden')", id)
        .fetch_optional(&mut **tx)
        .await
        .context("reading a contribution")
}

/// What a list shows: every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    pub tag: Option<String>,
    pub announcement_kind: Option<String>,
    pub author_kind: Option<MemberKind>,
    /// Published on or after this day.
    pub since: Option<Date>,
    /// Closed announcements too (the default lists leave them out).
    pub include_closed: bool,
    pub author_id: Option<i64>,
    /// Published into this community.
    pub community_id: Option<i64>,
    /// Read each one's HTML too (feeds).
    pub with_body: bool,
}

impl Filter {
    /// Everything a member published (closed announcements too), for their profile and feed.
    pub fn by_author(member_id: i64) -> Self {
        Self { author_id: Some(member_id), include_closed: true, ..Self::default() }
    }
}

/// Published contributions, newest first; `limit + 1` are read so the caller knows whether there
/// is a next page.
pub async fn published(
    tx: &mut TenantTx<'_>,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Contribution>, CoreError> {
    let query = read!(
        "'' AS \"body_md!\", CASE WHEN $10 THEN c.body_html ELSE '' END AS \"body_html!\"",
        "WHERE c.status = 'published'
           AND ($1::text IS NULL OR c.kind = $1)
           AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                             WHERE ct.contribution_id = c.id AND t.name = $2))
           AND ($3::text IS NULL OR c.announcement_kind = $3)
           AND ($4::text IS NULL OR m.kind = $4)
           AND ($5::date IS NULL OR c.published_at >= $5::date)
           AND ($6 OR c.closes_on IS NULL OR c.closes_on >= current_date)
           AND ($7::bigint IS NULL OR c.author_id = $7)
           AND ($11::bigint IS NULL OR c.community_id = $11)
         ORDER BY c.published_at DESC, c.id DESC
         LIMIT $8 OFFSET $9",
        f.kind.map(Kind::code),
        f.tag.as_deref(),
        f.announcement_kind.as_deref(),
        f.author_kind.map(MemberKind::as_str),
        f.since,
        f.include_closed,
        f.author_id,
        limit,
        offset,
        f.with_body,
        f.community_id
    );
    query.fetch_all(&mut **tx).await.context("listing contributions")
}

/// What a region's home page lists, in one query: the latest `per_kind` of each kind (one index
/// range per kind, announcements still open) and the `featured` most recently featured. The featured
/// come first, most recently featured first, then the others newest first; `HomeLists::split`
/// parts them.
pub async fn home_lists(tx: &mut TenantTx<'_>, per_kind: i64, featured: i64) -> Result<HomeLists, CoreError> {
    let query = read!(
        "'' AS \"body_md!\", '' AS \"body_html!\"",
        "WHERE c.id IN (SELECT x.id FROM unnest($2::text[]) AS k(kind),
                               LATERAL (SELECT id FROM contributions
                                         WHERE kind = k.kind AND status = 'published'
                                           AND (closes_on IS NULL OR closes_on >= current_date)
                                         ORDER BY published_at DESC, id DESC LIMIT $1) x
                        UNION ALL
                        SELECT f.id FROM (SELECT id FROM contributions
                                           WHERE status = 'published' AND featured_at IS NOT NULL
                                           ORDER BY featured_at DESC LIMIT $3) f)
         ORDER BY c.featured_at DESC NULLS LAST, c.published_at DESC, c.id DESC",
        per_kind,
        &Kind::ALL.map(|k| k.code().to_owned())[..],
        featured
    );
    let rows = query.fetch_all(&mut **tx).await.context("listing the home page's contributions")?;
    Ok(HomeLists {
        rows,
        per_kind: usize::try_from(per_kind).unwrap_or(0),
        featured: usize::try_from(featured).unwrap_or(0),
    })
}

/// The rows of `home_lists`, before they are parted.
#[derive(Debug)]
pub struct HomeLists {
    rows: Vec<Contribution>,
    per_kind: usize,
    featured: usize,
}

impl HomeLists {
    /// `(latest of each kind, newest first; featured, most recently featured first)`.
    pub fn split(self) -> (Vec<Contribution>, Vec<Contribution>) {
        let featured: Vec<Contribution> =
            self.rows.iter().filter(|c| c.featured).take(self.featured).cloned().collect();
        let today = OffsetDateTime::now_utc().date();
        let mut latest = self.rows;
        // A featured announcement may be closed: it is featured still, but not among the latest.
        latest.retain(|c| c.closes_on.is_none_or(|d| d >= today));
        latest.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
        let mut seen: std::collections::HashMap<Kind, usize> = std::collections::HashMap::new();
        latest.retain(|c| {
            let n = seen.entry(c.kind).or_insert(0);
            *n += 1;
            *n <= self.per_kind
        });
        (latest, featured)
    }
}

/// The latest published contributions of every kind (announcements still open), newest first:
/// what the platform's home page shows of a region that chose to show it.
pub async fn latest_published(tx: &mut TenantTx<'_>, limit: i64) -> Result<Vec<Contribution>, CoreError> {
    read!(
        "'' AS \"body_md!\", '' AS \"body_html!\"",
        "WHERE c.id IN (SELECT id FROM contributions
                         WHERE status = 'published' AND (closes_on IS NULL OR closes_on >= current_date)
                         ORDER BY published_at DESC, id DESC LIMIT $1)
         ORDER BY c.published_at DESC, c.id DESC",
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing the latest published")
}

/// A published contribution for the sitemap: its kind, id, slug and last change.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub kind: Kind,
    pub id: i64,
    pub slug: String,
    pub updated_at: OffsetDateTime,
}

/// The region's published contributions (announcements still open), newest change first, at
/// most `limit` (a sitemap holds 50 000 addresses).
pub async fn for_sitemap(tx: &mut TenantTx<'_>, limit: i64) -> Result<Vec<Mapped>, CoreError> {
    let rows = sqlx::query!(
        "SELECT kind, id, slug, updated_at FROM contributions
          WHERE status = 'published' AND (closes_on IS NULL OR closes_on >= current_date)
          ORDER BY updated_at DESC, id DESC LIMIT $1",
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing the sitemap")?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Mapped { kind: Kind::from_code(&r.kind)?, id: r.id, slug: r.slug, updated_at: r.updated_at })
        })
        .collect())
}

/// How many contributions a member (or a structure through them) wrote in the last `within`.
pub async fn created_since(tx: &mut TenantTx<'_>, author_id: i64, within: time::Duration) -> Result<i64, CoreError> {
    let since = OffsetDateTime::now_utc() - within;
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM contributions WHERE author_id = $1 AND created_at > $2"#,
        author_id,
        since
    )
    .fetch_one(&mut **tx)
    .await
    .context("counting recent contributions")
}

/// Puts a published contribution on the home page, or takes it off; returns whether it is now
/// featured. Recorded in the audit log.
pub async fn toggle_featured(tx: &mut TenantTx<'_>, by: &crate::accounts::Member, id: i64) -> Result<bool, CoreError> {
    let row = sqlx::query!(
        "UPDATE contributions SET featured_at = CASE WHEN featured_at IS NULL THEN now() END
          WHERE id = $1 AND status = 'published' RETURNING title, featured_at IS NOT NULL AS \"featured!\"",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("featuring a contribution")?
    .ok_or(CoreError::NotFound)?;
    let action = if row.featured { "contribution.feature" } else { "contribution.unfeature" };
    crate::admin::audit::record(tx, by, action, &row.title, None, None).await?;
    Ok(row.featured)
}

/// A member's own contributions (and those they co-author) with this status, newest first.
pub async fn by_author(
    tx: &mut TenantTx<'_>,
    author_id: i64,
    status: Status,
    limit: i64,
) -> Result<Vec<Contribution>, CoreError> {
    let query = read!(
        "'' AS \"body_md!\", '' AS \"body_html!\"",
        "WHERE (c.author_id = $1 OR EXISTS (SELECT 1 FROM contribution_coauthors a
                                             WHERE a.contribution_id = c.id AND a.member_id = $1))
           AND c.status = $2
         ORDER BY c.updated_at DESC, c.id DESC
         LIMIT $3",
        author_id,
        status.code(),
        limit
    );
    query.fetch_all(&mut **tx).await.context("listing a member's contributions")
}

/// Published contributions by id, in the order of `ids`.
pub async fn by_ids(tx: &mut TenantTx<'_>, ids: &[i64]) -> Result<Vec<Contribution>, CoreError> {
    let query =
        read!("'' AS \"body_md!\", '' AS \"body_html!\"", "WHERE c.id = ANY($1) AND c.status = 'published'", ids);
    let mut found = query.fetch_all(&mut **tx).await.context("reading contributions")?;
    found.sort_by_key(|c| ids.iter().position(|i| *i == c.id));
    Ok(found)
}

/// A dossier's items that are still published, in the dossier's order.
pub async fn dossier_items(tx: &mut TenantTx<'_>, dossier_id: i64) -> Result<Vec<Contribution>, CoreError> {
    let query = read!(
        "'' AS \"body_md!\", '' AS \"body_html!\"",
        "JOIN dossier_items d ON d.item_id = c.id
         WHERE d.dossier_id = $1 AND c.status = 'published'
         ORDER BY d.position",
        dossier_id
    );
    query.fetch_all(&mut **tx).await.context("listing a dossier's items")
}

/// A dossier's co-authors: (id, handle, display name).
pub async fn coauthors(tx: &mut TenantTx<'_>, id: i64) -> Result<Vec<(i64, String, String)>, CoreError> {
    let rows = sqlx::query!(
        "SELECT m.id, m.handle, m.display_name FROM contribution_coauthors a JOIN members m ON m.id = a.member_id
          WHERE a.contribution_id = $1 ORDER BY m.display_name",
        id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing co-authors")?;
    Ok(rows.into_iter().map(|r| (r.id, r.handle, r.display_name)).collect())
}

/// Members of this region by handle, for co-authors: the ids found, in the order given.
pub async fn members_by_handle(tx: &mut TenantTx<'_>, handles: &[String]) -> Result<Vec<(String, i64)>, CoreError> {
    let rows = sqlx::query!("SELECT handle, id FROM members WHERE handle = ANY($1)", handles)
        .fetch_all(&mut **tx)
        .await
        .context("finding members by handle")?;
    Ok(rows.into_iter().map(|r| (r.handle, r.id)).collect())
}

/// Tags of published contributions that start with `prefix`, the most used first (suggestions
/// as one types: a draft's tags are its author's alone).
pub async fn suggest_tags(tx: &mut TenantTx<'_>, prefix: &str, limit: i64) -> Result<Vec<String>, CoreError> {
    let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    sqlx::query_scalar!(
        r#"SELECT t.name AS "name!" FROM tags t JOIN contribution_tags ct ON ct.tag_id = t.id
             JOIN contributions c ON c.id = ct.contribution_id AND c.status = 'published'
            WHERE t.name LIKE $1
            GROUP BY t.name ORDER BY count(*) DESC, t.name LIMIT $2"#,
        pattern,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("suggesting tags")
}

/// Whether this member may edit: the author, a co-author, or an admin of the region.
pub async fn is_coauthor(tx: &mut TenantTx<'_>, id: i64, member_id: i64) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM contribution_coauthors WHERE contribution_id = $1 AND member_id = $2) AS "x!""#,
        id,
        member_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("checking co-authors")
}

/// Whether this member likes the contribution (its count comes with the contribution).
pub async fn liked_by(tx: &mut TenantTx<'_>, id: i64, member_id: i64) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM likes WHERE contribution_id = $1 AND member_id = $2) AS "x!""#,
        id,
        member_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a like")
}

/// Likes a published contribution, or takes the like back; one per member. Returns whether it
/// is now liked.
pub async fn toggle_like(tx: &mut TenantTx<'_>, id: i64, member_id: i64) -> Result<bool, CoreError> {
    let published: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM contributions WHERE id = $1 AND status = 'published') AS "p!""#,
        id
    )
    .fetch_one(&mut **tx)
    .await
    .context("finding what is liked")?;
    if !published {
        return Err(CoreError::NotFound);
    }
    let removed = sqlx::query!("DELETE FROM likes WHERE contribution_id = $1 AND member_id = $2", id, member_id)
        .execute(&mut **tx)
        .await
        .context("taking a like back")?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO likes (contribution_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        id,
        member_id
    )
    .execute(&mut **tx)
    .await
    .context("liking")?;
    Ok(true)
}

/// The address of a curated link whose preview is still to fetch.
pub async fn pending_preview(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<String>, CoreError> {
    sqlx::query_scalar!(
        "SELECT c.link_url AS \"url!\" FROM contributions c JOIN link_previews p ON p.contribution_id = c.id
          WHERE c.id = $1 AND c.link_url IS NOT NULL AND p.status = 'pending'",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a link to preview")
}

/// A fetched preview, plain text (printed escaped).
#[derive(Debug, Clone, Default)]
pub struct PreviewFields {
    pub url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub site_name: Option<String>,
}

/// Stores a link's preview — `None` when it was refused or failed — if the address is still the
/// one that was fetched.
pub async fn set_preview(
    tx: &mut TenantTx<'_>,
    id: i64,
    fetched: &str,
    preview: Option<&PreviewFields>,
) -> Result<(), CoreError> {
    let p = preview.cloned().unwrap_or_default();
    sqlx::query!(
        "UPDATE link_previews p
            SET status = CASE WHEN $3 THEN 'ready' ELSE 'none' END, url = $4, title = $5, description = $6,
                image_url = $7, site_name = $8, fetched_at = now()
           FROM contributions c
          WHERE p.contribution_id = $1 AND c.id = p.contribution_id AND c.link_url = $2",
        id,
        fetched,
        preview.is_some(),
        preview.map(|_| p.url.as_str()),
        p.title,
        p.description,
        p.image_url,
        p.site_name
    )
    .execute(&mut **tx)
    .await
    .context("storing a link preview")?;
    // The page's title and description are searchable with the link.
    crate::search::refresh(tx, id).await
}
