//! A kind's list (`/articles`, …): filters by tag, kind of announcement, author and period,
//! checked (an unknown value is a 400, never a guess), and pages of `PER_PAGE`. Also the tag
//! suggestions of the forms.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use echos_core::contributions::{self, Filter};
use echos_domain::contribution::{self as parse, Kind};
use echos_domain::member::MemberKind;
use serde::{Deserialize, Serialize};

use super::{ContributionView, PER_PAGE};
use crate::error::WebError;
use crate::format::urlencode;
use crate::gate::Region;
use crate::session::Viewer;
use crate::site::Page;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ListQuery {
    tag: Option<String>,
    page: Option<String>,
    /// Announcements: `competition`, `job`, `call` or `other`.
    type_annonce: Option<String>,
    /// `person` or `structure`.
    auteur: Option<String>,
    /// `semaine`, `mois` or `annee`.
    periode: Option<String>,
    /// `1`: closed announcements too.
    closes: Option<String>,
    /// `1`: back from deleting one.
    supprime: Option<String>,
}

/// The list's filters, checked: unknown values are refused (400), never guessed at.
#[derive(Default, Serialize, Clone)]
pub(super) struct Filters {
    pub(super) tag: Option<String>,
    type_annonce: Option<String>,
    auteur: Option<MemberKind>,
    periode: Option<String>,
    closes: bool,
    page: i64,
}

impl Filters {
    pub(super) fn parse(q: &ListQuery) -> Result<Self, WebError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let tag = given(&q.tag).map(|t| parse::tag(t).ok_or(WebError::BadRequest)).transpose()?;
        let type_annonce = given(&q.type_annonce)
            .map(|t| parse::announcement_kind(t).map(str::to_owned).ok_or(WebError::BadRequest))
            .transpose()?;
        let auteur = given(&q.auteur).map(|a| MemberKind::parse(a).ok_or(WebError::BadRequest)).transpose()?;
        let periode = given(&q.periode)
            .map(|p| ["semaine", "mois", "annee"].contains(&p).then(|| p.to_owned()).ok_or(WebError::BadRequest))
            .transpose()?;
        let closes = match given(&q.closes) {
            None => false,
            Some("1") => true,
            Some(_) => return Err(WebError::BadRequest),
        };
        let page = match given(&q.page) {
            None => 1,
            Some(p) => p.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or(WebError::BadRequest)?,
        };
        Ok(Self { tag, type_annonce, auteur, periode, closes, page })
    }

    pub(super) fn to_filter(&self, kind: Option<Kind>) -> Filter {
        let today = time::OffsetDateTime::now_utc().date();
        Filter {
            kind,
            tag: self.tag.clone(),
            announcement_kind: self.type_annonce.clone(),
            author_kind: self.auteur,
            since: self.periode.as_deref().map(|p| {
                today
                    - time::Duration::days(match p {
                        "semaine" => 7,
                        "mois" => 31,
                        _ => 366,
                    })
            }),
            include_closed: self.closes,
            author_id: None,
            community_id: None,
            with_body: false,
        }
    }

    /// The query string of these filters on page `n`.
    fn query(&self, n: i64) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        };
        push("tag", self.tag.as_deref());
        push("type_annonce", self.type_annonce.as_deref());
        push("auteur", self.auteur.map(MemberKind::as_str));
        push("periode", self.periode.as_deref());
        if self.closes {
            parts.push("closes=1".into());
        }
        if n > 1 {
            parts.push(format!("page={n}"));
        }
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }

    fn any(&self) -> bool {
        self.tag.is_some() || self.type_annonce.is_some() || self.auteur.is_some() || self.periode.is_some()
    }

    /// `?tag=…` when the list is one tag's: its feed follows the tag.
    pub(super) fn feed_query(&self) -> String {
        self.tag.as_ref().map(|t| format!("?tag={}", urlencode(t))).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct ListPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    kind: &'static str,
    segment: &'static str,
    items: Vec<ContributionView>,
    filters: Filters,
    filtered: bool,
    tag_followed: bool,
    just_deleted: bool,
    page_number: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    feed_url: String,
}

pub(super) async fn list(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    Region(tenant): Region,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Query(q): Query<ListQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, WebError> {
    // Projects are listed by their vote's period, call and count.
    if kind == Kind::Project {
        let me = viewer.as_ref().and_then(|v| v.member.as_ref());
        return crate::projects::list(&app, &tenant, &page, me, raw.as_deref()).await;
    }
    let filters = Filters::parse(&q)?;
    // Events are read by their dates, in the agenda.
    if kind == Kind::Event {
        let tag = filters.tag.as_ref().map(|t| format!("?tag={}", crate::format::urlencode(t))).unwrap_or_default();
        return Ok(axum::response::Redirect::to(&format!("/agenda{tag}")).into_response());
    }
    let offset = (filters.page - 1) * PER_PAGE;
    let filter = filters.to_filter(Some(kind));
    let me = viewer.as_ref().and_then(|v| v.member.as_ref());
    let me_id = me.map(|m| m.id);
    let tag = filters.tag.clone();
    let (mut list, tag_followed) = app
        .db
        .with_tenant(&tenant, |tx| {
            let filter = filter.clone();
            let tag = tag.clone();
            Box::pin(async move {
                let list = contributions::published(tx, &filter, PER_PAGE + 1, offset).await?;
                let followed = match (me_id, tag) {
                    (Some(me), Some(tag)) => echos_core::follows::follows_tag(tx, me, &tag).await?,
                    _ => false,
                };
                Ok((list, followed))
            })
        })
        .await?;
    let has_next = list.len() as i64 > PER_PAGE;
    list.truncate(PER_PAGE as usize);
    let base = format!("/{}", kind.segment());
    let number = filters.page;
    let ctx = ListPage {
        page: &page,
        section: kind.segment(),
        kind: kind.code(),
        segment: kind.segment(),
        items: list.into_iter().map(|c| ContributionView::of(c, &page, me)).collect(),
        prev_url: (number > 1).then(|| format!("{base}{}", filters.query(number - 1))),
        next_url: has_next.then(|| format!("{base}{}", filters.query(number + 1))),
        page_number: number,
        filtered: filters.any(),
        tag_followed,
        just_deleted: q.supprime.as_deref() == Some("1"),
        feed_url: format!("{base}.atom{}", filters.feed_query()),
        filters,
    };
    Ok(Html(app.templates.render("contributions/list.html", ctx)?).into_response())
}

#[derive(Deserialize)]
pub(super) struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// Tags in use starting with what is typed, as JSON, for the tag field's suggestions.
pub(super) async fn suggest_tags(
    State(app): State<AppState>,
    Region(tenant): Region,
    Query(q): Query<SuggestQuery>,
) -> Result<Response, WebError> {
    let prefix = q.q.rsplit(',').next().unwrap_or_default().trim().trim_start_matches('#').to_lowercase();
    if prefix.is_empty() || prefix.chars().count() > 40 {
        return Ok(Json(Vec::<String>::new()).into_response());
    }
    let tags = app
        .db
        .with_tenant(&tenant, |tx| {
            let prefix = prefix.clone();
            Box::pin(async move { contributions::suggest_tags(tx, &prefix, 8).await })
        })
        .await?;
    Ok(Json(tags).into_response())
}
