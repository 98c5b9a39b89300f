//! The region's own pages — about, terms, privacy, contact — in Markdown, sanitised once when
//! saved like every member's text.

use serde::Serialize;
use time::OffsetDateTime;

use crate::accounts::Member;
use crate::admin::audit;
use crate::contributions::render_markdown;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// The pages, by their address (`/a-propos`, …).
pub const SLUGS: [&str; 4] = ["a-propos", "contact", "conditions", "confidentialite"];

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The page, if the region wrote it.
pub async fn get(tx: &mut TenantTx<'_>, slug: &str) -> Result<Option<Page>, CoreError> {
    sqlx::query_as!(Page, "SELECT slug, title, body_md, body_html, updated_at FROM pages WHERE slug = $1", slug)
        .fetch_optional(&mut **tx)
        .await
        .context("reading a page")
}

/// Saves a page (its slug one of `SLUGS`, its title and text already checked) and records it.
pub async fn save(tx: &mut TenantTx<'_>, by: &Member, slug: &str, title: &str, body_md: &str) -> Result<(), CoreError> {
    if !SLUGS.contains(&slug) {
        return Err(CoreError::NotFound);
    }
    let before = get(tx, slug).await?.map(|p| p.body_md);
    sqlx::query!(
        "INSERT INTO pages (slug, title, body_md, body_html) VALUES ($1, $2, $3, $4)
         ON CONFLICT (slug) DO UPDATE SET title = EXCLUDED.title, body_md = EXCLUDED.body_md,
                                          body_html = EXCLUDED.body_html, updated_at = now()",
        slug,
        title,
        body_md,
        render_markdown(body_md)
    )
    .execute(&mut **tx)
    .await
    .context("saving a page")?;
    audit::record(tx, by, "page.save", slug, before.map(serde_json::Value::from), Some(body_md.into())).await
}
