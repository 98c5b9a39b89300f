//! Comments on contributions: Markdown-lite (emphasis, links, code, lists), threaded one level,
//! deleted by their author (or a region admin). Commenting notifies the contribution's author,
//! and a reply the comment's author.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::notifications;

/// Markdown-lite → HTML: paragraphs, emphasis, links, inline code, lists, quotes; nothing else.
pub fn render(md: &str) -> String {
    use pulldown_cmark::{Parser, html};
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new(md));
    ammonia::Builder::default()
        .tags(["p", "br", "em", "strong", "a", "code", "ul", "ol", "li", "blockquote"].into_iter().collect())
        .link_rel(Some("noopener nofollow ugc"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

/// A comment's text: 1–5 000 characters.
pub fn parse_body(input: &str) -> Option<String> {
    let s = input.replace("\r\n", "\n").trim().to_owned();
    (1..=5000).contains(&s.chars().count()).then_some(s)
}

#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub author_name: String,
    pub author_handle: String,
    pub author_avatar: Option<String>,
    pub body_html: String,
    pub deleted: bool,
    /// Hidden by reports, pending review: its text is not given.
    pub hidden: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A visible comment, for its author: who wrote it, where it is, and its Markdown.
#[derive(Debug, Clone)]
pub struct OwnComment {
    pub author_id: i64,
    pub contribution_url: String,
    pub body_md: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    /// The parent is not a top-level comment of this contribution.
    BadParent,
}

/// Adds a comment to a published contribution; notifies whom it concerns.
pub async fn add(
    tx: &mut TenantTx<'_>,
    tenant_id: Uuid,
    contribution_id: i64,
    author_id: i64,
    parent_id: Option<i64>,
    body_md: &str,
    link: &str,
) -> Result<Result<i64, AddError>, CoreError> {
    let target = sqlx::query!(
        "SELECT c.author_id, c.title FROM contributions c WHERE c.id = $1 AND c.status = 'published'",
        contribution_id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("finding what is commented")?
    .ok_or(CoreError::NotFound)?;
    let parent_author = match parent_id {
        None => None,
        Some(p) => {
            let row = sqlx::query_scalar!(
                "SELECT author_id FROM comments WHERE id = $1 AND contribution_id = $2 AND parent_id IS NULL AND status = 'visible'",
                p,
                contribution_id
            )
            .fetch_optional(&mut **tx)
            .await
            .context("finding the comment answered")?;
            match row {
                Some(a) => Some(a),
                None => return Ok(Err(AddError::BadParent)),
            }
        }
    };
    let id = sqlx::query_scalar!(
        "INSERT INTO comments (contribution_id, author_id, parent_id, body_md, body_html) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        contribution_id,
        author_id,
        parent_id,
        body_md,
        render(body_md)
    )
    .fetch_one(&mut **tx)
    .await
    .context("adding a comment")?;
    let commenter: String = sqlx::query_scalar!("SELECT display_name FROM members WHERE id = $1", author_id)
        .fetch_one(&mut **tx)
        .await
        .context("reading the commenter")?;
    let anchor = format!("{link}#commentaire-{id}");
    let about = notifications::About { contribution: Some(contribution_id), comment: Some(id) };
    if target.author_id != author_id {
        let message = format!("{commenter} a commenté « {} »", target.title);
        notifications::notify_about(tx, tenant_id, target.author_id, "comment_on_mine", &message, Some(&anchor), about)
            .await?;
    }
    if let Some(pa) = parent_author.filter(|pa| *pa != author_id && *pa != target.author_id) {
        let message = format!("{commenter} vous a répondu sur « {} »", target.title);
        notifications::notify_about(tx, tenant_id, pa, "reply_to_me", &message, Some(&anchor), about).await?;
    }
    Ok(Ok(id))
}

/// A contribution's comments: each top-level one followed by its replies, oldest first.
pub async fn list(tx: &mut TenantTx<'_>, contribution_id: i64) -> Result<Vec<Comment>, CoreError> {
    let rows = sqlx::query_as!(
        Comment,
        r#"SELECT k.id, k.parent_id, k.author_id, m.display_name AS author_name, m.handle AS author_handle,
                  m.avatar_key AS author_avatar,
                  CASE WHEN k.status = 'visible' THEN k.body_html ELSE '' END AS "body_html!",
                  k.status = 'deleted' AS "deleted!", k.status = 'hidden' AS "hidden!", k.created_at, k.updated_at
             FROM comments k JOIN members m ON m.id = k.author_id
            WHERE k.contribution_id = $1
            ORDER BY coalesce(k.parent_id, k.id), k.parent_id NULLS FIRST, k.created_at, k.id"#,
        contribution_id
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing comments")?;
    Ok(rows)
}

/// A visible comment: its author, its contribution's address and its text, to check who may
/// change it.
pub async fn get(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<OwnComment>, CoreError> {
    let row = sqlx::query!(
        "SELECT k.author_id, k.body_md, c.kind, c.id AS contribution_id, c.slug FROM comments k
           JOIN contributions c ON c.id = k.contribution_id
          WHERE k.id = $1 AND k.status = 'visible' AND c.status = 'published'",
        id
    )
    .fetch_optional(&mut **tx)
    .await
    .context("reading a comment")?;
    Ok(row.map(|r| OwnComment {
        author_id: r.author_id,
        contribution_url: echos_domain::contribution::Kind::from_code(&r.kind)
            .unwrap_or(echos_domain::contribution::Kind::Article)
            .url(r.contribution_id, &r.slug),
        body_md: r.body_md,
    }))
}

/// Rewrites a comment's text (its author only; checked by the caller).
pub async fn edit(tx: &mut TenantTx<'_>, id: i64, body_md: &str) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE comments SET body_md = $2, body_html = $3, updated_at = now() WHERE id = $1 AND status = 'visible'",
        id,
        body_md,
        render(body_md)
    )
    .execute(&mut **tx)
    .await
    .context("editing a comment")?;
    Ok(())
}

/// Deletes a comment's text; the place stays so that replies keep their thread.
pub async fn delete(tx: &mut TenantTx<'_>, id: i64) -> Result<(), CoreError> {
    sqlx::query!(
        "UPDATE comments SET status = 'deleted', body_md = '', body_html = '', updated_at = now() WHERE id = $1",
        id
    )
    .execute(&mut **tx)
    .await
    .context("deleting a comment")?;
    Ok(())
}
