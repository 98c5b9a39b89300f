//! Atom feeds: the region's (`/flux.atom`), each kind's (`/articles.atom`, …), each tag's
//! (`?tag=` on both) and, through `feed`, each member's.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use echos_core::Tenant;
use echos_core::contributions::{self, Filter};
use echos_domain::contribution::Kind;

use super::list::{Filters, ListQuery};
use crate::error::WebError;
use crate::gate::Region;
use crate::i18n::t;
use crate::links::region_url;
use crate::state::AppState;

pub(super) async fn kind_feed(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    Region(tenant): Region,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filters = Filters::parse(&q)?;
    let query = filters.feed_query();
    let title = match &filters.tag {
        Some(t) => format!("{} — {} — #{t}", tenant.name, kind_title(&tenant, kind)),
        None => format!("{} — {}", tenant.name, kind_title(&tenant, kind)),
    };
    let base = format!("/{}", kind.segment());
    feed(
        &app,
        &tenant,
        filters.to_filter(Some(kind)),
        &title,
        &format!("{base}{query}"),
        &format!("{base}.atom{query}"),
    )
    .await
}

/// Everything the region publishes (or one tag of it), all kinds together.
pub(super) async fn region_feed(
    State(app): State<AppState>,
    Region(tenant): Region,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filters = Filters::parse(&q)?;
    let title = match &filters.tag {
        Some(t) => format!("{} — #{t}", tenant.name),
        None => tenant.name.clone(),
    };
    let self_path = format!("/flux.atom{}", filters.feed_query());
    feed(&app, &tenant, filters.to_filter(None), &title, "/", &self_path).await
}

fn kind_title(tenant: &Tenant, kind: Kind) -> String {
    t(tenant.default_locale, &format!("kinds.{}.title", kind.code()), &[])
}

/// An Atom feed of the 30 latest contributions matching `filter`.
pub async fn feed(
    app: &AppState,
    tenant: &Tenant,
    filter: Filter,
    title: &str,
    html_path: &str,
    self_path: &str,
) -> Result<Response, WebError> {
    use atom_syndication::{Category, Content, Entry, Feed, Link, Person, Text};
    let filter = Filter { with_body: true, ..filter };
    let list = app
        .db
        .with_tenant(tenant, |tx| {
            let filter = filter.clone();
            Box::pin(async move { contributions::published(tx, &filter, 30, 0).await })
        })
        .await?;
    let at = |t: time::OffsetDateTime| {
        chrono::DateTime::from_timestamp(t.unix_timestamp(), 0).unwrap_or_default().fixed_offset()
    };
    let link = |href: String, rel: &str, mime: &str| Link {
        href,
        rel: rel.into(),
        mime_type: Some(mime.into()),
        ..Link::default()
    };
    let html_url = region_url(&app.config, tenant, html_path);
    let self_url = region_url(&app.config, tenant, self_path);
    let entries: Vec<Entry> = list
        .into_iter()
        .map(|c| {
            let url = region_url(&app.config, tenant, &c.url());
            let mut links = vec![link(url.clone(), "alternate", "text/html")];
            if let Some(shared) = &c.link_url {
                links.push(link(shared.clone(), "related", "text/html"));
            }
            Entry {
                // A `tag:` URI (RFC 4151) of the region and the contribution: the same when the
                // title (so the address) changes or the region moves to a domain of its own.
                id: format!("tag:{},2012:region/{}/contribution/{}", app.platform_domain, tenant.id, c.id),
                title: Text::plain(c.title),
                updated: at(c.updated_at),
                published: c.published_at.map(at),
                authors: vec![Person {
                    name: c.author_name,
                    uri: Some(region_url(&app.config, tenant, &format!("/membres/{}", c.author_handle))),
                    ..Person::default()
                }],
                links,
                summary: (!c.summary.is_empty()).then(|| Text::plain(c.summary)),
                // The sanitised HTML, as pages show it; its relative addresses (images in
                // /media/) resolve against the feed's `xml:base`.
                content: Some(Content {
                    value: Some(c.body_html),
                    content_type: Some("html".into()),
                    ..Content::default()
                }),
                categories: c.tags.into_iter().map(|t| Category { term: t, ..Category::default() }).collect(),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        id: self_url.clone(),
        title: Text::plain(title),
        updated: entries.first().map_or_else(|| at(time::OffsetDateTime::now_utc()), |e| e.updated),
        links: vec![link(html_url, "alternate", "text/html"), link(self_url, "self", "application/atom+xml")],
        lang: Some(tenant.default_locale.code().into()),
        base: Some(region_url(&app.config, tenant, "/")),
        entries,
        ..Feed::default()
    };
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], feed.to_string()).into_response())
}
