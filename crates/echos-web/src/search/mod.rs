//! `/recherche`: full-text search over the region's published contributions, filtered by kind
//! and tag, ten results a page. Filters are checked before any SQL: an unknown kind, a malformed
//! tag or page is a 400. The query itself is only ever a bound value (`echos_core::search`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use echos_core::search::{self, Hit, MAX_QUERY_CHARS, Results};
use echos_domain::contribution::{self as parse, Kind};
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::format::long_date;
use crate::format::urlencode;
use crate::gate::Region;
use crate::routes::Routes;
use crate::site::Page;
use crate::state::AppState;

const PER_PAGE: i64 = 10;

pub fn routes() -> Routes {
    Routes::new().route("/recherche", get(search_contributions))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchParams {
    q: Option<String>,
    /// A kind's code: `article`, `link`, `debate`, `announcement` or `dossier`.
    #[serde(rename = "type")]
    kind: Option<String>,
    tag: Option<String>,
    page: Option<String>,
}

/// The request, checked: unknown values are refused (400), never guessed at.
#[derive(Clone)]
struct Criteria {
    q: String,
    kind: Option<Kind>,
    tag: Option<String>,
    page: i64,
}

impl Criteria {
    fn parse(p: &SearchParams) -> Result<Self, WebError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let kind = given(&p.kind).map(|k| Kind::from_code(k).ok_or(WebError::BadRequest)).transpose()?;
        let tag = given(&p.tag).map(|t| parse::tag(t).ok_or(WebError::BadRequest)).transpose()?;
        let page = match given(&p.page) {
            None => 1,
            Some(n) => n.parse().ok().filter(|n| (1..=1_000).contains(n)).ok_or(WebError::BadRequest)?,
        };
        // Control characters (a NUL cannot even reach PostgreSQL) separate words like spaces.
        let q = p.q.as_deref().unwrap_or_default().replace(char::is_control, " ");
        let q = q.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Self { q, kind, tag, page })
    }

    /// `/recherche?…` for these criteria on page `n`.
    fn url(&self, n: i64) -> String {
        let mut parts = vec![format!("q={}", urlencode(&self.q))];
        if let Some(k) = self.kind {
            parts.push(format!("type={}", k.code()));
        }
        if let Some(t) = &self.tag {
            parts.push(format!("tag={}", urlencode(t)));
        }
        if n > 1 {
            parts.push(format!("page={n}"));
        }
        format!("/recherche?{}", parts.join("&"))
    }
}

#[derive(Serialize)]
struct SearchPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    q: String,
    kind: Option<&'static str>,
    kinds: Vec<&'static str>,
    tag: Option<String>,
    /// The URL of the same search without its tag.
    without_tag_url: String,
    /// A query was given and searched.
    searched: bool,
    too_long: bool,
    max_chars: usize,
    total: i64,
    /// No contribution has every word; these have at least one.
    any_word: bool,
    results: Vec<HitView>,
    /// The position of the first result shown, for the list's numbering.
    first_number: i64,
    page_number: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// A result as the page shows it. `title_html` and `excerpt_html` are escaped text with `<mark>`
/// around the matches (`search::marked_html`): the only strings the template prints unescaped.
#[derive(Serialize)]
struct HitView {
    kind: &'static str,
    segment: &'static str,
    url: String,
    title: String,
    title_html: String,
    excerpt_html: String,
    author: AuthorView,
    published: Option<String>,
    updated: Option<String>,
    tags: Vec<String>,
    announcement_kind: Option<String>,
    closed: bool,
    votes: Option<i64>,
}

#[derive(Serialize)]
struct AuthorView {
    display_name: String,
    handle: String,
    avatar_url: Option<String>,
}

impl HitView {
    fn of(h: Hit, page: &Page, today: time::Date) -> Self {
        let kind = h.kind();
        Self {
            url: h.url(),
            kind: kind.code(),
            segment: kind.segment(),
            title: h.title,
            title_html: h.title_html,
            excerpt_html: h.excerpt_html,
            author: AuthorView {
                display_name: h.author_name,
                handle: h.author_handle,
                avatar_url: h.author_avatar.map(|k| format!("/media/{k}")),
            },
            published: h.published_at.map(|d| long_date(d.date(), page.locale)),
            updated: None,
            tags: h.tags,
            announcement_kind: h.announcement_kind,
            closed: h.closes_on.is_some_and(|d| d < today),
            votes: h.votes,
        }
    }
}

async fn search_contributions(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Query(params): Query<SearchParams>,
) -> Result<Response, WebError> {
    let criteria = Criteria::parse(&params)?;
    let too_long = criteria.q.chars().count() > MAX_QUERY_CHARS;
    let searched = !criteria.q.is_empty() && !too_long;
    let results = if searched {
        let query = search::Query { text: criteria.q.clone(), kind: criteria.kind, tag: criteria.tag.clone() };
        let offset = (criteria.page - 1) * PER_PAGE;
        app.db
            .with_tenant(&tenant, |tx| {
                let query = query.clone();
                Box::pin(async move { search::search(tx, &query, PER_PAGE, offset).await })
            })
            .await?
    } else {
        Results::default()
    };
    let today = time::OffsetDateTime::now_utc().date();
    let number = criteria.page;
    let shown = (number - 1) * PER_PAGE + results.hits.len() as i64;
    let ctx = SearchPage {
        page: &page,
        section: "recherche",
        kind: criteria.kind.map(Kind::code),
        kinds: Kind::ALL.iter().map(|k| k.code()).collect(),
        without_tag_url: Criteria { tag: None, ..criteria.clone() }.url(1),
        searched,
        too_long,
        max_chars: MAX_QUERY_CHARS,
        total: results.total,
        any_word: results.any_word,
        prev_url: (searched && number > 1).then(|| criteria.url(number - 1)),
        next_url: (shown < results.total).then(|| criteria.url(number + 1)),
        results: results.hits.into_iter().map(|h| HitView::of(h, &page, today)).collect(),
        first_number: (number - 1) * PER_PAGE + 1,
        page_number: number,
        tag: criteria.tag,
        q: criteria.q,
    };
    let status = if too_long { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, Html(app.templates.render("search/results.html", ctx)?)).into_response())
}
