//! A contribution's page: `/articles/12-le-titre` (the id decides; a wrong slug or another
//! kind's path redirects), with its comments, likes, a dossier's items, OpenGraph and JSON-LD.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::accounts::Member;
use echos_core::contributions::{self, Contribution};
use echos_core::{Tenant, comments, structures};
use echos_domain::contribution::Kind;
use serde::Serialize;

use super::ContributionView;
use super::view::AuthorView;
use crate::error::WebError;
use crate::format::long_date;
use crate::forms::FormState;
use crate::gate::Region;
use crate::links::region_url;
use crate::session::Viewer;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct ShowPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    item: ContributionView,
    og: OpenGraph,
    json_ld: String,
    comments: Vec<CommentView>,
    comment_count: usize,
    comment_form: &'a FormState,
    comment_action: String,
    likes: Likes,
    dossier_items: Vec<ContributionView>,
    coauthors: Vec<CoauthorView>,
    /// The community it was published in: (name, address).
    community: Option<(String, String)>,
    /// Hidden by reports, shown to its author (who may ask for a review) and the moderators.
    hidden: bool,
    review_action: String,
    review_requested: bool,
    /// Where a signed-in visitor reports it.
    report_url: String,
    /// An event's or a place's dates, place and public.
    located: Option<crate::events::view::LocatedView>,
    /// A project's count, period and vote.
    project: Option<crate::projects::view::ProjectView>,
}

#[derive(Serialize)]
struct CoauthorView {
    handle: String,
    display_name: String,
}

#[derive(Serialize)]
struct Likes {
    count: i64,
    mine: bool,
    action: String,
}

#[derive(Serialize)]
struct CommentView {
    id: i64,
    parent_id: Option<i64>,
    body_html: String,
    author: AuthorView,
    when: String,
    edited: bool,
    deleted: bool,
    hidden: bool,
    can_delete: bool,
    /// A signed-in visitor reports someone else's comment.
    report_url: Option<String>,
    can_edit: bool,
    delete_url: String,
    edit_url: String,
}

#[derive(Serialize)]
struct OpenGraph {
    title: String,
    description: String,
    url: String,
    image: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
}

pub(super) async fn show(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    Region(tenant): Region,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id_slug): Path<String>,
) -> Result<Response, WebError> {
    let (id_part, slug) = id_slug.split_once('-').unwrap_or((id_slug.as_str(), ""));
    let id: i64 = id_part.parse().map_err(|_| WebError::NotFound)?;
    let me = viewer.as_ref().and_then(|v| v.member.as_ref());
    let me_id = me.map(|m| m.id);
    let admin = me.is_some_and(|m| m.role.is_admin());
    let (item, coauthor, moderates) = app
        .db
        .with_tenant(&tenant, |tx| {
            Box::pin(async move {
                // A hidden one, only for its author, its community's moderators and the admins.
                let found = if me_id.is_some() {
                    contributions::get_even_hidden(tx, id).await?
                } else {
                    contributions::get(tx, id).await?
                };
                let Some(item) = found else { return Ok((None, false, false)) };
                let moderates = match (me_id, item.community_id) {
                    (Some(me), Some(c)) if item.status == echos_domain::contribution::Status::Hidden => {
                        echos_core::communities::moderates(tx, c, me).await?
                    }
                    _ => false,
                };
                let coauthor = match me_id {
                    Some(me) if !item.is_published() => {
                        contributions::is_coauthor(tx, id, me).await?
                            || structures::acts_for(tx, me, item.author_id).await?
                    }
                    _ => false,
                };
                Ok((Some(item), coauthor, moderates))
            })
        })
        .await?;
    let item = item.ok_or(WebError::NotFound)?;
    let is_author = me_id == Some(item.author_id) || coauthor;
    let hidden = item.status == echos_domain::contribution::Status::Hidden;
    if !item.is_published() && !is_author && !(hidden && (admin || moderates)) {
        return Err(WebError::NotFound);
    }
    if slug != item.slug || item.kind != kind {
        return Ok(Redirect::permanent(&item.url()).into_response());
    }
    render_show(&app, &tenant, &page, me, item, &FormState::default(), StatusCode::OK).await
}

/// The contribution's page, with its comments and the comment form (as typed, after a refusal).
pub(super) async fn render_show(
    app: &AppState,
    tenant: &Tenant,
    page: &Page,
    me: Option<&Member>,
    item: Contribution,
    comment_form: &FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let id = item.id;
    let kind = item.kind;
    let me_id = me.map(|m| m.id);
    let author_id = item.author_id;
    let like_count = item.like_count;
    let community_id = item.community_id;
    let tz = tenant.time_zone.clone();
    let is_author = me_id == Some(author_id);
    let (list, liked, items, coauthors, for_author, community, review_requested, located, project) = app
        .db
        .with_tenant(tenant, |tx| {
            let tz = tz.clone();
            Box::pin(async move {
                let list = comments::list(tx, id).await?;
                let liked = match me_id {
                    Some(me) => contributions::liked_by(tx, id, me).await?,
                    None => false,
                };
                let (items, coauthors) = if kind == Kind::Dossier {
                    (contributions::dossier_items(tx, id).await?, contributions::coauthors(tx, id).await?)
                } else {
                    (Vec::new(), Vec::new())
                };
                let for_author = match me_id {
                    Some(me) => structures::acts_for(tx, me, author_id).await?,
                    None => false,
                };
                let community = match community_id {
                    Some(c) => echos_core::communities::get(tx, c).await?.map(|c| (c.name.clone(), c.url())),
                    None => None,
                };
                let review_requested = sqlx::query_scalar!(
                    r#"SELECT review_requested_at IS NOT NULL AS "r!" FROM contributions WHERE id = $1"#,
                    id
                )
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| echos_core::CoreError::Unexpected(e.into()))?;
                let located = if kind.is_located() {
                    let details = echos_core::events::details(tx, id, &tz).await?;
                    let (counts, mine) = echos_core::events::attendance(tx, id, me_id).await?;
                    let going = if is_author || for_author {
                        echos_core::events::going_names(tx, id).await?
                    } else {
                        Vec::new()
                    };
                    Some((details, counts, mine, going))
                } else {
                    None
                };
                let project = if kind == Kind::Project {
                    let voted = match me_id {
                        Some(me) => echos_core::projects::voted(tx, id, me).await?,
                        None => false,
                    };
                    Some((echos_core::projects::project(tx, id).await?, voted))
                } else {
                    None
                };
                Ok((list, liked, items, coauthors, for_author, community, review_requested, located, project))
            })
        })
        .await?;
    let comment_count = list.iter().filter(|c| !c.deleted && !c.hidden).count();
    let comment_back = item.url();
    let comments = list
        .into_iter()
        .map(|c| {
            let mine = me.is_some_and(|m| m.id == c.author_id);
            CommentView {
                can_delete: !c.deleted && (mine || me.is_some_and(|m| m.role.is_admin())),
                can_edit: !c.deleted && !c.hidden && mine,
                delete_url: format!("/commentaires/{}/supprimer", c.id),
                edit_url: format!("/commentaires/{}/modifier", c.id),
                when: long_date(c.created_at.date(), page.locale),
                edited: c.updated_at - c.created_at > time::Duration::minutes(1),
                author: AuthorView::new(c.author_name, c.author_handle, c.author_avatar, None),
                id: c.id,
                parent_id: c.parent_id,
                // A hidden comment's text never leaves the server.
                body_html: if c.hidden { String::new() } else { c.body_html },
                report_url: (me.is_some() && !mine && !c.deleted && !c.hidden).then(|| {
                    format!("/signaler?type=comment&id={}&retour={}", c.id, crate::format::urlencode(&comment_back))
                }),
                deleted: c.deleted,
                hidden: c.hidden,
            }
        })
        .collect();
    let absolute = region_url(&app.config, tenant, &item.url());
    let description = if item.summary.is_empty() { item.title.clone() } else { item.summary.clone() };
    let json_ld = match &located {
        Some((d, ..)) => {
            let author_type =
                if item.author_kind == echos_domain::member::MemberKind::Structure { "Organization" } else { "Person" };
            let organiser = serde_json::json!({
                "@type": author_type,
                "name": item.author_name,
                "url": region_url(&app.config, tenant, &format!("/membres/{}", item.author_handle)),
            });
            let image = item.cover_key.as_ref().map(|k| region_url(&app.config, tenant, &format!("/media/{k}")));
            crate::events::view::json_ld(tenant, kind, &item.title, &description, &absolute, image, organiser, d)
        }
        None => json_ld(app, tenant, &item, &absolute, &description, comment_count),
    };
    let json_ld = script_safe_json(&json_ld);
    let territory = tenant.map.bbox.and_then(|b| echos_domain::geo::BBox::from_slice(&b));
    let located = located.map(|(d, counts, mine, going)| {
        crate::events::view::LocatedView::of(kind, id, d, counts, mine, going, territory, page.locale)
    });
    let og = OpenGraph {
        title: item.title.clone(),
        description,
        image: item.cover_key.as_ref().map(|k| region_url(&app.config, tenant, &format!("/media/{k}"))),
        url: absolute,
        kind: "article",
    };
    let comment_action = format!("/{}/{id}/commentaires", kind.segment());
    let hidden = item.status == echos_domain::contribution::Status::Hidden;
    let report_url = format!("/signaler?type=contribution&id={id}&retour={}", crate::format::urlencode(&item.url()));
    let can_edit_as_coauthor = me.is_some_and(|m| coauthors.iter().any(|(cid, _, _)| *cid == m.id));
    let mut view = ContributionView::of(item, page, me);
    view.can_edit |= can_edit_as_coauthor || for_author;
    view.can_delete |= for_author;
    let ctx = ShowPage {
        page,
        section: kind.segment(),
        item: view,
        og,
        json_ld,
        comments,
        comment_count,
        comment_form,
        comment_action,
        likes: Likes { count: like_count, mine: liked, action: format!("/{}/{id}/jaime", kind.segment()) },
        dossier_items: items.into_iter().map(|c| ContributionView::of(c, page, me)).collect(),
        coauthors: coauthors
            .into_iter()
            .map(|(_, handle, display_name)| CoauthorView { handle, display_name })
            .collect(),
        community,
        hidden,
        review_action: format!("/{}/{id}/revue", kind.segment()),
        review_requested,
        report_url,
        located,
        project: project.map(|(p, voted)| {
            // What the vote just did, from `?vote=` (the vote's redirect).
            let outcome = page
                .url
                .split_once('?')
                .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("vote=")))
                .map(|v| v.split('#').next().unwrap_or_default().to_owned());
            crate::projects::view::ProjectView::of(id, p, voted, outcome, page.locale)
        }),
    };
    let mut resp = (status, Html(app.templates.render("contributions/show.html", ctx)?)).into_response();
    resp.extensions_mut().insert(crate::router::Viewed(id));
    Ok(resp)
}

/// schema.org: `Article` (articles, links, dossiers, announcements), `DiscussionForumPosting`
/// (debates), `JobPosting` (job offers).
fn json_ld(
    app: &AppState,
    tenant: &Tenant,
    item: &Contribution,
    url: &str,
    description: &str,
    comment_count: usize,
) -> serde_json::Value {
    let rfc3339 = |d: time::OffsetDateTime| d.format(&time::format_description::well_known::Rfc3339).ok();
    let author_url = region_url(&app.config, tenant, &format!("/membres/{}", item.author_handle));
    let author_type =
        if item.author_kind == echos_domain::member::MemberKind::Structure { "Organization" } else { "Person" };
    let author = serde_json::json!({ "@type": author_type, "name": item.author_name, "url": author_url });
    let published = item.published_at.and_then(rfc3339);
    match (item.kind, item.announcement_kind.as_deref()) {
        (Kind::Debate, _) => serde_json::json!({
            "@context": "https://schema.org",
            "@type": "DiscussionForumPosting",
            "headline": item.title,
            "text": description,
            "url": url,
            "author": author,
            "datePublished": published,
            "commentCount": comment_count,
            "keywords": item.tags.join(", "),
        }),
        (Kind::Announcement, Some("job")) => serde_json::json!({
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": item.title,
            "description": description,
            "url": url,
            "datePosted": published,
            "validThrough": item.closes_on.map(|d| format!("{d}T23:59:59Z")),
            "hiringOrganization": { "@type": "Organization", "name": item.author_name, "sameAs": author_url },
        }),
        _ => serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": item.title,
            "description": description,
            "url": url,
            "author": author,
            "datePublished": published,
            "dateModified": rfc3339(item.updated_at),
            "keywords": item.tags.join(", "),
            "commentCount": comment_count,
            "image": item.cover_key.as_ref().map(|k| region_url(&app.config, tenant, &format!("/media/{k}"))),
            "publisher": { "@type": "Organization", "name": tenant.name },
        }),
    }
}

/// JSON that cannot close the `<script>` it sits in.
pub fn script_safe_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}
