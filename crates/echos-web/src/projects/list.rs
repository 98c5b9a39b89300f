//! `/projets`: projects by period (open, finished), by call, by votes or by date, 12 a page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use echos_core::Tenant;
use echos_core::accounts::Member;
use echos_core::projects::{self, Period};
use serde::{Deserialize, Serialize};

use crate::contributions::ContributionView;
use crate::error::WebError;
use crate::format::urlencode;
use crate::site::Page;
use crate::state::AppState;

const PER_PAGE: i64 = 12;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProjectsQuery {
    /// `ouverts`, `termines`; empty: all.
    periode: String,
    /// A call's slug.
    appel: String,
    /// `votes` or `date` (the default).
    tri: String,
    page: Option<i64>,
}

#[derive(Serialize)]
struct ProjectsPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    items: Vec<ContributionView>,
    periode: String,
    tri: String,
    appel: String,
    /// (slug, title) of every call, for the filter.
    calls: Vec<(String, String)>,
    call_title: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    page_number: i64,
    filtered: bool,
    feed_url: &'static str,
}

pub(crate) async fn list(
    app: &AppState,
    tenant: &Tenant,
    page: &Page,
    me: Option<&Member>,
    raw: Option<&str>,
) -> Result<Response, WebError> {
    let q: ProjectsQuery = serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|_| WebError::BadRequest)?;
    let period = match q.periode.as_str() {
        "" => Period::All,
        "ouverts" => Period::Open,
        "termines" => Period::Finished,
        _ => return Err(WebError::BadRequest),
    };
    let by_votes = match q.tri.as_str() {
        "" | "date" => false,
        "votes" => true,
        _ => return Err(WebError::BadRequest),
    };
    let number = q.page.unwrap_or(1);
    if !(1..=1000).contains(&number) {
        return Err(WebError::BadRequest);
    }
    let slug = q.appel.trim().to_owned();
    let found = app
        .db
        .with_tenant(tenant, |tx| {
            let slug = slug.clone();
            Box::pin(async move {
                let calls = projects::calls(tx).await?;
                let call = match slug.as_str() {
                    "" => None,
                    s => match calls.iter().find(|c| c.slug == s) {
                        Some(c) => Some((c.id, c.title.clone())),
                        None => return Ok(None),
                    },
                };
                let ids =
                    projects::list(tx, period, call.as_ref().map(|c| c.0), by_votes, PER_PAGE, (number - 1) * PER_PAGE)
                        .await?;
                let items = echos_core::contributions::by_ids(tx, &ids).await?;
                Ok(Some((calls, call, ids, items)))
            })
        })
        .await?;
    let Some((calls, call, ids, items)) = found else { return Err(WebError::NotFound) };
    let has_next = ids.len() as i64 > PER_PAGE;
    // In the list's order (each card carries its count).
    let views: Vec<ContributionView> = ids
        .iter()
        .take(PER_PAGE as usize)
        .filter_map(|id| items.iter().find(|c| c.id == *id).cloned())
        .map(|c| ContributionView::of(c, page, me))
        .collect();
    let mut base = String::new();
    for (k, v) in [("periode", &q.periode), ("appel", &slug), ("tri", &q.tri)] {
        if !v.is_empty() {
            base.push_str(&format!("&{k}={}", urlencode(v)));
        }
    }
    let link = |n: i64| format!("/projets?page={n}{base}");
    let ctx = ProjectsPage {
        page,
        section: "projets",
        items: views,
        periode: q.periode.clone(),
        tri: q.tri.clone(),
        appel: slug.clone(),
        calls: calls.into_iter().map(|c| (c.slug, c.title)).collect(),
        call_title: call.map(|c| c.1),
        prev_url: (number > 1).then(|| link(number - 1)),
        next_url: has_next.then(|| link(number + 1)),
        page_number: number,
        filtered: !base.is_empty(),
        feed_url: "/projets.atom",
    };
    Ok((StatusCode::OK, Html(app.templates.render("projects/list.html", ctx)?)).into_response())
}
