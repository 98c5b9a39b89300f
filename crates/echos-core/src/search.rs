//! Full-text search over a region's published contributions: PostgreSQL text search in the
//! configuration of the region's language (`public.echos_fr|en|ca`, each through `unaccent`),
//! ranked, with highlighted excerpts. See `docs/search.md` for how it works and how it scales.
//!
//! Policy:
//! - The vector (`contributions.search`: A title, B tags and author, C summary and body) is
//!   recomputed by [`refresh`] in the transaction of every write, so a search never sees a
//!   contribution half-indexed; [`reindex`] redoes a whole region when its language changes.
//! - The configuration is read from the region's own row (`platform.tenants`, by the schema the
//!   `TenantTx` selected) inside each statement, never passed in: the vectors and the queries
//!   cannot disagree on it, and no caller can get it wrong. Unlike a suggestion to strip the
//!   HTML in Rust, the body's text is derived in SQL (`public.echos_html_text`) so that one
//!   statement serves a write, a whole region and the migration that filled existing rows.
//! - What a member typed goes to `websearch_to_tsquery` as a bound value: quotes, `or`, `-` have
//!   their web-search meaning and nothing else can be syntax. Excerpts come back from
//!   `ts_headline` with private-use markers around the matches; [`marked_html`] escapes all of
//!   the text and only then turns the markers into `<mark>`, so nothing typed becomes markup.

use echos_domain::contribution::Kind;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// How much of a body `ts_headline` reads for an excerpt: its cost grows with the text, and a
/// match further in still ranks the result (the excerpt then shows the beginning).
pub const HEADLINE_INPUT_CHARS: i32 = 20_000;

/// Opens a highlighted match in what `ts_headline` returns (a private-use character, removed
/// from every text before it is indexed, so that no member can type one in).
const START: char = '\u{E000}';
const STOP: char = '\u{E001}';

/// What is searched for. `text` is what the member typed; the filters are already checked.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub text: String,
    pub kind: Option<Kind>,
    pub tag: Option<String>,
}

/// One result. `title_html` and `excerpt_html` are escaped text with `<mark>` around the matches
/// and nothing else: they may be printed as HTML.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub title_html: String,
    pub excerpt_html: String,
    pub author_name: String,
    pub author_handle: String,
    pub author_avatar: Option<String>,
    pub tags: Vec<String>,
    pub announcement_kind: Option<String>,
    pub closes_on: Option<Date>,
    pub published_at: Option<OffsetDateTime>,
    /// A project's votes.
    pub votes: Option<i64>,
    pub rank: f32,
}

impl Hit {
    pub fn kind(&self) -> Kind {
        Kind::from_code(&self.kind).unwrap_or(Kind::Article)
    }

    pub fn url(&self) -> String {
        self.kind().url(self.id, &self.slug)
    }
}

/// A page of results and how many there are in all.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub total: i64,
    pub hits: Vec<Hit>,
    /// No contribution has every word: these have at least one.
    pub any_word: bool,
}

/// Recomputes one contribution's text and vector (with its tags and its author's name). Called
/// at the end of `contributions::create` and `update`, in their transaction.
pub async fn refresh(tx: &mut TenantTx<'_>, id: i64) -> Result<(), CoreError> {
    update_vectors(tx, Some(id), None).await.map(|_| ())
}

/// Recomputes a member's contributions, after their name changed (it is searchable).
pub async fn refresh_author(tx: &mut TenantTx<'_>, member_id: i64) -> Result<u64, CoreError> {
    update_vectors(tx, None, Some(member_id)).await
}

/// Recomputes every contribution of the region, in the configuration of its language as it is
/// now; returns how many were indexed. Run when the region's language changes
/// (`provision::update`).
pub async fn reindex(tx: &mut TenantTx<'_>) -> Result<u64, CoreError> {
    update_vectors(tx, None, None).await
}

async fn update_vectors(tx: &mut TenantTx<'_>, id: Option<i64>, author: Option<i64>) -> Result<u64, CoreError> {
    let done = sqlx::query!(
        "UPDATE contributions c
            SET body_text = x.body_text,
                search = public.echos_search_vector(x.cfg, c.title, x.tags, m.display_name || ' ' || x.coauthors,
                                                    c.summary || ' ' || x.preview, x.body_text)
           FROM (SELECT c2.id,
                        public.echos_html_text(c2.body_html) AS body_text,
                        (SELECT string_agg(t.name, ' ' ORDER BY t.name)
                           FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                          WHERE ct.contribution_id = c2.id) AS tags,
                        coalesce((SELECT string_agg(cm.display_name, ' ')
                                    FROM contribution_coauthors ca JOIN members cm ON cm.id = ca.member_id
                                   WHERE ca.contribution_id = c2.id), '') AS coauthors,
                        coalesce((SELECT concat_ws(' ', p.title, p.description, p.site_name)
                                    FROM link_previews p WHERE p.contribution_id = c2.id AND p.status = 'ready'), '') AS preview,
                        r.cfg
                   FROM contributions c2,
                        (SELECT public.echos_search_config(default_locale) AS cfg
                           FROM platform.tenants WHERE schema_name = current_schema()) r
                  WHERE ($1::bigint IS NULL OR c2.id = $1) AND ($2::bigint IS NULL OR c2.author_id = $2)) x,
                members m
          WHERE c.id = x.id AND m.id = c.author_id",
        id,
        author
    )
    .execute(&mut **tx)
    .await
    .context("indexing contributions for search")?;
    Ok(done.rows_affected())
}

/// The published contributions matching `q`, best first (then the most recent), `limit` from
/// `offset`. An empty query finds nothing; one longer than [`MAX_QUERY_CHARS`] is refused.
pub async fn search(tx: &mut TenantTx<'_>, q: &Query, limit: i64, offset: i64) -> Result<Results, CoreError> {
    let all = run(tx, q, limit, offset, false).await?;
    // Nothing has every word: what has at least one of them, said so (not for a query with a
    // phrase or an excluded word, whose meaning "any word" would change).
    let plain = !q.text.contains(['"', '-']) && q.text.split_whitespace().count() > 1;
    if !all.hits.is_empty() || !plain {
        return Ok(all);
    }
    if offset > 0 && !run(tx, q, 1, 0, false).await?.hits.is_empty() {
        return Ok(all); // a page past the end of the all-words results
    }
    let mut any = run(tx, q, limit, offset, true).await?;
    any.any_word = true;
    Ok(any)
}

async fn run(tx: &mut TenantTx<'_>, q: &Query, limit: i64, offset: i64, any_word: bool) -> Result<Results, CoreError> {
    // PostgreSQL refuses a NUL in text; every control character is a word separator here.
    let text = q.text.replace(char::is_control, " ");
    let text = text.trim();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(CoreError::invalid("the search is too long"));
    }
    if text.is_empty() {
        return Ok(Results::default());
    }
    let markers = format!("{START}{STOP}");
    let fragments = format!(
        "StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=20, MaxFragments=2, FragmentDelimiter=\" … \""
    );
    let whole = format!("StartSel={START}, StopSel={STOP}, HighlightAll=true");
    let rows = sqlx::query!(
        r#"WITH q AS (SELECT r.cfg,
                             CASE WHEN $10 THEN replace(websearch_to_tsquery(r.cfg, translate($1, $2, ''))::text, ' & ', ' | ')::tsquery
                                  ELSE websearch_to_tsquery(r.cfg, translate($1, $2, '')) END AS query
                        FROM (SELECT public.echos_search_config(default_locale) AS cfg
                                FROM platform.tenants WHERE schema_name = current_schema()) r),
                found AS (
                    SELECT c.id,
                           ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', c.search, q.query, 1) AS rank,
                           count(*) OVER () AS total
                      FROM contributions c, q
                     WHERE c.status = 'published' AND c.search @@ q.query
                       AND ($3::text IS NULL OR c.kind = $3)
                       AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                                         WHERE ct.contribution_id = c.id AND t.name = $4))
                     ORDER BY rank DESC, c.published_at DESC, c.id DESC
                     LIMIT $5 OFFSET $6)
           SELECT c.id, c.kind, c.slug, c.title,
                  ts_headline(q.cfg, translate(c.title, $2, ''), q.query, $7) AS "title_marked!",
                  ts_headline(q.cfg, left(c.summary || E'\n' || c.body_text, $9), q.query, $8) AS "excerpt_marked!",
                  m.display_name AS author_name, m.handle AS author_handle, m.avatar_key AS author_avatar,
                  coalesce(ARRAY(SELECT t.name FROM contribution_tags ct JOIN tags t ON t.id = ct.tag_id
                                  WHERE ct.contribution_id = c.id ORDER BY t.name), '{}') AS "tags!",
                  c.announcement_kind, c.closes_on, c.published_at,
                  CASE WHEN c.kind = 'project' THEN (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) END AS votes,
                  f.rank AS "rank!", f.total AS "total!"
             FROM found f
             JOIN contributions c ON c.id = f.id
             JOIN members m ON m.id = c.author_id
            CROSS JOIN q
            ORDER BY f.rank DESC, c.published_at DESC, c.id DESC"#,
        text,
        markers,
        q.kind.map(Kind::code),
        q.tag.as_deref(),
        limit,
        offset,
        whole,
        fragments,
        HEADLINE_INPUT_CHARS,
        any_word,
    )
    .fetch_all(&mut **tx)
    .await
    .context("searching contributions")?;
    let total = rows.first().map_or(0, |r| r.total);
    let hits = rows
        .into_iter()
        .map(|r| Hit {
            id: r.id,
            kind: r.kind,
            slug: r.slug,
            title: r.title,
            title_html: marked_html(&r.title_marked),
            excerpt_html: marked_html(&r.excerpt_marked),
            author_name: r.author_name,
            author_handle: r.author_handle,
            author_avatar: r.author_avatar,
            tags: r.tags,
            announcement_kind: r.announcement_kind,
            votes: r.votes,
            closes_on: r.closes_on,
            published_at: r.published_at,
            rank: r.rank,
        })
        .collect();
    Ok(Results { total, hits, any_word: false })
}

/// Text from `ts_headline` → HTML: every character escaped, then the markers made `<mark>`
/// elements — balanced whatever the input (a stray stop is dropped, an open mark is closed).
pub fn marked_html(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 32);
    let mut open = false;
    for c in marked.chars() {
        match c {
            START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            STOP if open => {
                out.push_str("</mark>");
                open = false;
            }
            START | STOP => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_typed_is_escaped_and_only_markers_become_marks() {
        let s = format!("<script>alert(1)</script> {START}écologie{STOP} & \"x\" 'y' <img src=x onerror=alert(1)>");
        let html = marked_html(&s);
        assert_eq!(
            html,
            "&lt;script&gt;alert(1)&lt;&#x2f;script&gt; <mark>écologie</mark> &amp; &quot;x&quot; &#x27;y&#x27; \
             &lt;img src=x onerror=alert(1)&gt;"
        );
    }

    #[test]
    fn marks_are_always_balanced() {
        assert_eq!(marked_html(&format!("a{STOP}b{START}c")), "ab<mark>c</mark>");
        assert_eq!(marked_html(&format!("{START}{START}a{STOP}{STOP}")), "<mark>a</mark>");
        assert_eq!(marked_html(""), "");
    }
}
