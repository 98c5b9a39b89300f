//! Contributions (articles today): write, edit, delete, read and list, with tags. Markdown is
//! rendered and sanitised (ammonia) once, on write; pages print the stored HTML.

use serde::Serialize;
use time::OffsetDateTime;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// Markdown → HTML with nothing executable left: no script, no event handler, no `javascript:`
/// URL, no style; links get `rel="noopener nofollow ugc"`.
pub fn render_markdown(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::with_capacity(md.len() * 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(md, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener nofollow ugc"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&unsafe_html)
        .to_string()
}

#[derive(Debug, Clone)]
pub struct Draft {
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub tags: Vec<String>,
    pub publish: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub body_html: String,
    pub status: String,
    pub author_id: i64,
    pub author_name: String,
    pub author_handle: String,
    pub author_avatar: Option<String>,
    pub tags: Vec<String>,
    pub published_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

/// Writes a new article; returns its id.
pub async fn create(tx: &mut TenantTx<'_>, author_id: i64, d: &Draft) -> Result<i64, CoreError> {
    let status = if d.publish { "published" } else { "draft" };
    let id = sqlx::query_scalar!(
        "INSERT INTO contributions (kind, author_id, status, title, slug, summary, body_md, body_html, published_at)
         VALUES ('article', $1, $2, $3, $4, $5, $6, $7, CASE WHEN $2 = 'published' THEN now() END)
         RETURNING id",
        author_id,
        status,
        d.title,
        echos_domain::contribution::slug(&d.title),
        d.summary,
        d.body_md,
        render_markdown(&d.body_md)
    )
    .fetch_one(&mut **tx)
    .await
    .context("writing an article")?;
    set_tags(tx, id, &d.tags).await?;
    Ok(id)
}

/// Rewrites an article; publishing a draft dates it now, the first time.
pub async fn update(tx: &mut TenantTx<'_>, id: i64, d: &Draft) -> Result<(), CoreError> {
    let status = if d.publish { "published" } else { "draft" };
    sqlx::query!(
        "UPDATE contributions
            SET status = $2, title = $3, slug = $4, summary = $5, body_md = $6, body_html = $7, updated_at = now(),
                published_at = CASE WHEN $2 = 'published' THEN coalesce(published_at, now()) ELSE published_at END
          WHERE id = $1 AND kind = 'article' AND status IN ('draft', 'published')",
        id,
        status,
        d.title,
        echos_domain::contribution::slug(&d.title),
        d.summary,
        d.body_md,
        render_markdown(&d.body_md)
    )
    .execute(&mut **tx)
    .await
    .context("rewriting an article")?;
    set_tags(tx, id, &d.tags).await
}

/// Deletes an article (kept as `deleted`, out of every page).
pub async fn delete(tx: &mut TenantTx<'_>, id: i64) -> Result<(), CoreError> {
    sqlx::query!("UPDATE contributions SET status = 'deleted', updated_at = now() WHERE id = $1", id)
        .execute(&mut **tx)
        .await
        .context("deleting an article")?;
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

/// One article that is a draft or published (never a deleted or hidden one).
pub async fn get(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<Article>, CoreError> {
    sqlx::query_as!(
        Article,
        r#"SELECT c.id, c.slug, c.title, c.summary, c.body_md, c.body_html, c.status, c.author_id,
                  m.display_name AS author_name, m.handle AS author_handle, m.avatar_key AS author_avatar,
                  coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                  WHERE ct.contribution_id = c.id ORDER BY t.name), '{}') AS "tags!",
                  c.published_at, c.updated_at
             FROM contributions c JOIN members m ON m.id = c.author_id
            WHERE c.id = $1 AND c.kind = 'article' AND c.status IN ('draft', 'published')"#,
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading an article")
}

/// Published articles, newest first, optionally with a tag; `limit + 1` are read so the caller
/// knows whether there is a next page.
pub async fn published(
    tx: &mut TenantTx<'_>,
    tag: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Article>, CoreError> {
    sqlx::query_as!(
        Article,
        r#"SELECT c.id, c.slug, c.title, c.summary, '' AS "body_md!", '' AS "body_html!", c.status, c.author_id,
                  m.display_name AS author_name, m.handle AS author_handle, m.avatar_key AS author_avatar,
                  coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                  WHERE ct.contribution_id = c.id ORDER BY t.name), '{}') AS "tags!",
                  c.published_at, c.updated_at
             FROM contributions c JOIN members m ON m.id = c.author_id
            WHERE c.kind = 'article' AND c.status = 'published'
              AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                                WHERE ct.contribution_id = c.id AND t.name = $1))
            ORDER BY c.published_at DESC, c.id DESC
            LIMIT $2 OFFSET $3"#,
        tag,
        limit,
        offset
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing articles")
}

/// A member's own articles with this status (`published` or `draft`), newest first.
pub async fn by_author(
    tx: &mut TenantTx<'_>,
    author_id: i64,
    status: &str,
    limit: i64,
) -> Result<Vec<Article>, CoreError> {
    sqlx::query_as!(
        Article,
        r#"SELECT c.id, c.slug, c.title, c.summary, '' AS "body_md!", '' AS "body_html!", c.status, c.author_id,
                  m.display_name AS author_name, m.handle AS author_handle, m.avatar_key AS author_avatar,
                  coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                  WHERE ct.contribution_id = c.id ORDER BY t.name), '{}') AS "tags!",
                  c.published_at, c.updated_at
             FROM contributions c JOIN members m ON m.id = c.author_id
            WHERE c.author_id = $1 AND c.kind = 'article' AND c.status = $2
            ORDER BY c.updated_at DESC, c.id DESC
            LIMIT $3"#,
        author_id,
        status,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing a member's articles")
}

/// How many members like a contribution, and whether this one does.
pub async fn likes(tx: &mut TenantTx<'_>, id: i64, member_id: Option<i64>) -> Result<(i64, bool), CoreError> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "count!", coalesce(bool_or(member_id = $2), false) AS "mine!"
             FROM likes WHERE contribution_id = $1"#,
        id,
        member_id
    )
    .fetch_one(&mut **tx)
    .await
    .context("counting likes")?;
    Ok((row.count, row.mine))
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
