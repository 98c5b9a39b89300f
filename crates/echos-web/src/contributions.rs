//! Contributions of every kind under their own path (`/articles`, `/veille`, `/debats`,
//! `/annonces`, `/dossiers`): the list with its filters and pages, the page (OpenGraph, JSON-LD),
//! writing, editing and deleting, comments and likes, and Atom feeds. Authors edit their own
//! (dossiers: their co-authors too); the region's admins edit any. Another region's contribution
//! is simply not there (404).

use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use echos_core::contributions::{self, Contribution, Draft, Filter, Refusal};
use echos_core::structures::{self, Named};
use echos_core::{Tenant, TenantTx, comments};
use echos_domain::contribution::{self as parse, Kind};
use serde::{Deserialize, Serialize};

use crate::account::member_or_redirect;
use crate::auth::too_many;
use crate::error::WebError;
use crate::forms::{CsrfOnly, FormState};
use crate::i18n::t;
use crate::limits::Action;
use crate::links::region_url;
use crate::members::long_date;
use crate::session::{ClientAddress, CsrfToken, Viewer, csrf_ok};
use crate::site::{CurrentTenant, Page};
use crate::state::AppState;
use crate::uploads::{Upload, image_refusal, read_capped};

const PER_PAGE: i64 = 12;
/// A contribution form with its cover image; the image itself is checked against
/// `media.max_upload_bytes`.
const FORM_BODY_LIMIT: usize = 12 * 1024 * 1024;
/// Cover images are stored at most this wide and high.
const COVER_SIDE: u32 = 1600;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new()
        .route("/commentaires/{id}/supprimer", post(delete_comment))
        .route("/commentaires/{id}/modifier", get(edit_comment_form).post(update_comment))
        .route("/mots-cles/suggestions", get(suggest_tags))
        .route("/flux.atom", get(region_feed))
        .route("/contribuer", get(choose))
        .route("/medias/images", post(upload_image).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)));
    for kind in Kind::ALL {
        let s = kind.segment();
        router = router.merge(
            Router::new()
                .route(&format!("/{s}"), get(list).post(create).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)))
                .route(&format!("/{s}/nouveau"), get(new_form))
                .route(&format!("/{s}.atom"), get(kind_feed))
                .route(&format!("/{s}/{{id_slug}}"), get(show))
                .route(
                    &format!("/{s}/{{id}}/modifier"),
                    get(edit_form).post(update).layer(DefaultBodyLimit::max(FORM_BODY_LIMIT)),
                )
                .route(&format!("/{s}/{{id}}/supprimer"), get(delete_form).post(delete))
                .route(&format!("/{s}/{{id}}/commentaires"), post(add_comment))
                .route(&format!("/{s}/{{id}}/jaime"), post(toggle_like))
                .layer(Extension(kind)),
        );
    }
    router.layer(DefaultBodyLimit::max(256 * 1024))
}

/// A contribution as pages show it.
#[derive(Serialize)]
pub struct ContributionView {
    id: i64,
    kind: &'static str,
    segment: &'static str,
    url: String,
    url_edit: String,
    url_delete: String,
    title: String,
    summary: String,
    body_html: String,
    tags: Vec<String>,
    author: AuthorView,
    published: Option<String>,
    updated: Option<String>,
    status: String,
    can_edit: bool,
    /// Co-authors edit but do not delete.
    can_delete: bool,
    cover_url: Option<String>,
    link: Option<LinkView>,
    announcement_kind: Option<String>,
    closes_on: Option<String>,
    closed: bool,
    comment_count: i64,
    like_count: i64,
}

#[derive(Serialize)]
struct LinkView {
    url: String,
    host: String,
    /// `pending`, `ready` or `none`.
    preview: String,
    title: Option<String>,
    description: Option<String>,
    image: Option<String>,
    site_name: Option<String>,
}

#[derive(Serialize)]
pub struct AuthorView {
    display_name: String,
    handle: String,
    avatar_url: Option<String>,
    kind: String,
}

impl ContributionView {
    pub fn of(c: Contribution, page: &Page, viewer: Option<&Viewer>) -> Self {
        let kind = c.kind();
        let today = time::OffsetDateTime::now_utc().date();
        let can_edit = viewer.and_then(|v| v.member.as_ref()).is_some_and(|m| m.id == c.author_id || m.role == "admin");
        let closed = c.is_closed(today);
        let link = c.link_url.as_ref().map(|url| LinkView {
            host: url.split("://").nth(1).and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or(url).to_owned(),
            url: url.clone(),
            preview: c.preview_status.clone().unwrap_or_else(|| "none".into()),
            title: c.preview_title.clone(),
            description: c.preview_description.clone(),
            image: c.preview_image.clone(),
            site_name: c.preview_site.clone(),
        });
        Self {
            url: c.url(),
            url_edit: format!("/{}/{}/modifier", kind.segment(), c.id),
            url_delete: format!("/{}/{}/supprimer", kind.segment(), c.id),
            id: c.id,
            kind: kind.code(),
            segment: kind.segment(),
            title: c.title,
            summary: c.summary,
            body_html: c.body_html,
            tags: c.tags,
            author: AuthorView {
                display_name: c.author_name,
                handle: c.author_handle,
                avatar_url: c.author_avatar.map(|k| format!("/media/{k}")),
                kind: c.author_kind,
            },
            published: c.published_at.map(|d| long_date(d.date(), page.locale)),
            updated: c
                .published_at
                .filter(|p| c.updated_at - *p > time::Duration::minutes(5))
                .map(|_| long_date(c.updated_at.date(), page.locale)),
            status: c.status,
            can_edit,
            can_delete: can_edit,
            cover_url: c.cover_key.map(|k| format!("/media/{k}")),
            link,
            announcement_kind: c.announcement_kind,
            closes_on: c.closes_on.map(|d| long_date(d, page.locale)),
            closed,
            comment_count: c.comment_count,
            like_count: c.like_count,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
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
struct Filters {
    tag: Option<String>,
    type_annonce: Option<String>,
    auteur: Option<String>,
    periode: Option<String>,
    closes: bool,
    page: i64,
}

impl Filters {
    fn parse(q: &ListQuery) -> Result<Self, WebError> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let tag = given(&q.tag).map(|t| parse::tag(t).ok_or(WebError::BadRequest)).transpose()?;
        let type_annonce = given(&q.type_annonce)
            .map(|t| parse::announcement_kind(t).map(str::to_owned).ok_or(WebError::BadRequest))
            .transpose()?;
        let auteur = given(&q.auteur)
            .map(|a| ["person", "structure"].contains(&a).then(|| a.to_owned()).ok_or(WebError::BadRequest))
            .transpose()?;
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

    fn to_filter(&self, kind: Option<Kind>) -> Filter {
        let today = time::OffsetDateTime::now_utc().date();
        Filter {
            kind,
            tag: self.tag.clone(),
            announcement_kind: self.type_annonce.clone(),
            author_kind: self.auteur.clone(),
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
            with_body: false,
        }
    }

    /// The query string of these filters on page `n`.
    fn query(&self, n: i64) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        };
        push("tag", &self.tag);
        push("type_annonce", &self.type_annonce);
        push("auteur", &self.auteur);
        push("periode", &self.periode);
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

async fn list(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filters = Filters::parse(&q)?;
    let offset = (filters.page - 1) * PER_PAGE;
    let filter = filters.to_filter(Some(kind));
    let viewer = viewer.as_ref().map(|v| &v.0);
    let me_id = viewer.and_then(|v| v.member.as_ref()).map(|m| m.id);
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
    let feed_query = filters.tag.as_ref().map(|t| format!("?tag={}", urlencode(t))).unwrap_or_default();
    let ctx = ListPage {
        page: &page,
        section: kind.segment(),
        kind: kind.code(),
        segment: kind.segment(),
        items: list.into_iter().map(|c| ContributionView::of(c, &page, viewer)).collect(),
        prev_url: (number > 1).then(|| format!("{base}{}", filters.query(number - 1))),
        next_url: has_next.then(|| format!("{base}{}", filters.query(number + 1))),
        page_number: number,
        filtered: filters.any(),
        tag_followed,
        just_deleted: q.supprime.as_deref() == Some("1"),
        feed_url: format!("{base}.atom{feed_query}"),
        filters,
    };
    Ok(Html(app.templates.render("contributions/list.html", ctx)?).into_response())
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

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
    can_delete: bool,
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

/// `/articles/12-le-titre`: the id decides; a wrong or missing slug — or another kind's path —
/// redirects to the right address.
async fn show(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id_slug): Path<String>,
) -> Result<Response, WebError> {
    let (id_part, slug) = id_slug.split_once('-').unwrap_or((id_slug.as_str(), ""));
    let id: i64 = id_part.parse().map_err(|_| WebError::NotFound)?;
    let viewer = viewer.as_ref().map(|v| &v.0);
    let me = viewer.and_then(|v| v.member.as_ref()).map(|m| m.id);
    let (item, coauthor) = app
        .db
        .with_tenant(&tenant, |tx| {
            Box::pin(async move {
                let Some(item) = contributions::get(tx, id).await? else { return Ok((None, false)) };
                let coauthor = match me {
                    Some(me) if item.status != "published" => {
                        contributions::is_coauthor(tx, id, me).await?
                            || structures::acts_for(tx, me, item.author_id).await?
                    }
                    _ => false,
                };
                Ok((Some(item), coauthor))
            })
        })
        .await?;
    let item = item.ok_or(WebError::NotFound)?;
    let is_author = me == Some(item.author_id) || coauthor;
    if item.status != "published" && !is_author {
        return Err(WebError::NotFound);
    }
    if slug != item.slug || item.kind() != kind {
        return Ok(Redirect::permanent(&item.url()).into_response());
    }
    render_show(&app, &tenant, &page, viewer, item, &FormState::default(), StatusCode::OK).await
}

/// The contribution's page, with its comments and the comment form (as typed, after a refusal).
async fn render_show(
    app: &AppState,
    tenant: &Tenant,
    page: &Page,
    viewer: Option<&Viewer>,
    item: Contribution,
    comment_form: &FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let id = item.id;
    let kind = item.kind();
    let me = viewer.and_then(|v| v.member.as_ref());
    let me_id = me.map(|m| m.id);
    let author_id = item.author_id;
    let like_count = item.like_count;
    let (list, liked, items, coauthors, for_author) = app
        .db
        .with_tenant(tenant, |tx| {
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
                Ok((list, liked, items, coauthors, for_author))
            })
        })
        .await?;
    let comment_count = list.iter().filter(|c| !c.deleted).count();
    let comments = list
        .into_iter()
        .map(|c| {
            let mine = me.is_some_and(|m| m.id == c.author_id);
            CommentView {
                can_delete: !c.deleted && (mine || me.is_some_and(|m| m.role == "admin")),
                can_edit: !c.deleted && mine,
                delete_url: format!("/commentaires/{}/supprimer", c.id),
                edit_url: format!("/commentaires/{}/modifier", c.id),
                when: long_date(c.created_at.date(), page.locale),
                edited: c.updated_at - c.created_at > time::Duration::minutes(1),
                author: AuthorView {
                    display_name: c.author_name,
                    handle: c.author_handle,
                    avatar_url: c.author_avatar.map(|k| format!("/media/{k}")),
                    kind: String::new(),
                },
                id: c.id,
                parent_id: c.parent_id,
                body_html: c.body_html,
                deleted: c.deleted,
            }
        })
        .collect();
    let absolute = region_url(&app.config, tenant, &item.url());
    let description = if item.summary.is_empty() { item.title.clone() } else { item.summary.clone() };
    let json_ld = script_safe_json(&json_ld(app, tenant, &item, &absolute, &description, comment_count));
    let og = OpenGraph {
        title: item.title.clone(),
        description,
        image: item.cover_key.as_ref().map(|k| region_url(&app.config, tenant, &format!("/media/{k}"))),
        url: absolute,
        kind: "article",
    };
    let comment_action = format!("/{}/{id}/commentaires", kind.segment());
    let can_edit_as_coauthor = me.is_some_and(|m| coauthors.iter().any(|(cid, _, _)| *cid == m.id));
    let mut view = ContributionView::of(item, page, viewer);
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
        dossier_items: items.into_iter().map(|c| ContributionView::of(c, page, viewer)).collect(),
        coauthors: coauthors
            .into_iter()
            .map(|(_, handle, display_name)| CoauthorView { handle, display_name })
            .collect(),
    };
    Ok((status, Html(app.templates.render("contributions/show.html", ctx)?)).into_response())
}

/// schema.org: `Article` (articles, links, dossiers), `DiscussionForumPosting` (debates),
/// `JobPosting` (job offers), `Event`-less `Article` for other announcements.
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
    let author_type = if item.author_kind == "structure" { "Organization" } else { "Person" };
    let author = serde_json::json!({ "@type": author_type, "name": item.author_name, "url": author_url });
    let published = item.published_at.and_then(rfc3339);
    match (item.kind(), item.announcement_kind.as_deref()) {
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
fn script_safe_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CommentForm {
    body: String,
    parent_id: String,
    csrf_token: String,
}

async fn add_comment(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(address): Extension<ClientAddress>,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/{id}", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let item = app
        .db
        .with_tenant(&tenant, |tx| Box::pin(contributions::get(tx, id)))
        .await?
        .filter(|a| a.status == "published")
        .ok_or(WebError::NotFound)?;
    let mut form = FormState::default().value("body", &f.body).value("parent_id", &f.parent_id);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_show(&app, &tenant, &page, Some(&viewer), item, &form, StatusCode::FORBIDDEN).await;
    }
    if must_confirm(&app, &tenant, &viewer).await? {
        form.error = Some(t(page.locale, "contributions.errors.confirm_first", &[]));
        return render_show(&app, &tenant, &page, Some(&viewer), item, &form, StatusCode::FORBIDDEN).await;
    }
    if let Err(wait) = app.limiter.check(Action::Write, &tenant.slug, &address.0, Some(&viewer.account_id.to_string()))
    {
        form.error = Some(t(page.locale, "contributions.errors.rate_limited", &[]));
        let shown = render_show(&app, &tenant, &page, Some(&viewer), item, &form, StatusCode::TOO_MANY_REQUESTS).await;
        return too_many(shown, wait);
    }
    let parent = match f.parent_id.as_str() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| WebError::BadRequest)?),
    };
    let Some(body) = comments::parse_body(&f.body) else {
        form.field_error("body", t(page.locale, "comments.errors.body", &[]));
        return render_show(&app, &tenant, &page, Some(&viewer), item, &form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let author = viewer.member.as_ref().map_or(0, |m| m.id);
    let link = item.url();
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    match comments::add(&mut tx, tenant.id, id, author, parent, &body, &link).await? {
        Ok(comment) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("{link}#commentaire-{comment}")).into_response())
        }
        Err(comments::AddError::BadParent) => {
            tx.rollback().await?;
            form.field_error("parent_id", t(page.locale, "comments.errors.parent", &[]));
            render_show(&app, &tenant, &page, Some(&viewer), item, &form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The comment, if it is this viewer's own (404 when it is not there, 403 when it is someone
/// else's): its contribution's address and its Markdown.
async fn own_comment(app: &AppState, tenant: &Tenant, viewer: &Viewer, id: i64) -> Result<(String, String), WebError> {
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let row = app.db.with_tenant(tenant, |tx| Box::pin(comments::get(tx, id))).await?.ok_or(WebError::NotFound)?;
    if row.author_id != me.id {
        return Err(WebError::Forbidden);
    }
    Ok((row.contribution_url, row.body_md))
}

#[derive(Serialize)]
struct CommentEditPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    form: &'a FormState,
    action: String,
    back: String,
}

async fn edit_comment_form(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/commentaires/{id}/modifier")) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let (back, body) = own_comment(&app, &tenant, &viewer, id).await?;
    let form = FormState::default().value("body", &body);
    let ctx = CommentEditPage {
        page: &page,
        section: "",
        form: &form,
        action: format!("/commentaires/{id}/modifier"),
        back: format!("{back}#commentaire-{id}"),
    };
    Ok(Html(app.templates.render("contributions/comment_edit.html", ctx)?).into_response())
}

async fn update_comment(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/commentaires/{id}/modifier")) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let (back, _) = own_comment(&app, &tenant, &viewer, id).await?;
    let mut form = FormState::default().value("body", &f.body);
    let status = if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        StatusCode::FORBIDDEN
    } else if let Some(body) = comments::parse_body(&f.body) {
        let mut tx = TenantTx::begin(&app.db, &tenant).await?;
        comments::edit(&mut tx, id, &body).await?;
        tx.commit().await?;
        return Ok(Redirect::to(&format!("{back}#commentaire-{id}")).into_response());
    } else {
        form.field_error("body", t(page.locale, "comments.errors.body", &[]));
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let ctx = CommentEditPage {
        page: &page,
        section: "",
        form: &form,
        action: format!("/commentaires/{id}/modifier"),
        back: format!("{back}#commentaire-{id}"),
    };
    Ok((status, Html(app.templates.render("contributions/comment_edit.html", ctx)?)).into_response())
}

async fn delete_comment(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let comment = app.db.with_tenant(&tenant, |tx| Box::pin(comments::get(tx, id))).await?.ok_or(WebError::NotFound)?;
    if comment.author_id != me.id && me.role != "admin" {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    comments::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}#commentaires", comment.contribution_url)).into_response())
}

/// Whether the region asks members to confirm their address before publishing, and this one
/// has not.
async fn must_confirm(app: &AppState, tenant: &Tenant, viewer: &Viewer) -> Result<bool, WebError> {
    let account = viewer.account_id;
    let required = app
        .db
        .with_tenant(tenant, |tx| {
            Box::pin(async move {
                let s = echos_core::settings::all(tx).await?;
                Ok(s.get("registration.requires_confirmation").and_then(|v| v.as_bool()).unwrap_or(false))
            })
        })
        .await?;
    Ok(required && !echos_core::accounts::is_confirmed(app.db.platform(), account).await?)
}

#[derive(Serialize)]
struct FormCtx<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    kind: &'static str,
    segment: &'static str,
    form: &'a FormState,
    action: String,
    editing: bool,
    cover_url: Option<String>,
    announcement_kinds: &'static [&'static str],
    min_date: String,
    /// The structures the member may sign for (new contributions only).
    structures: &'a [Named],
}

struct FormTarget<'a> {
    kind: Kind,
    action: String,
    editing: bool,
    cover_url: Option<&'a str>,
    structures: Vec<Named>,
}

impl<'a> FormTarget<'a> {
    /// The form of a new contribution, offering the structures this member acts for.
    async fn new(app: &AppState, tenant: &Tenant, viewer: &Viewer, kind: Kind) -> Result<Self, WebError> {
        let me = viewer.member.as_ref().map_or(0, |m| m.id);
        let structures =
            app.db.with_tenant(tenant, |tx| Box::pin(async move { structures::managed_by(tx, me).await })).await?;
        Ok(Self { kind, action: format!("/{}", kind.segment()), editing: false, cover_url: None, structures })
    }
}

fn render_form(
    app: &AppState,
    status: StatusCode,
    page: &Page,
    form: &FormState,
    target: &FormTarget<'_>,
) -> Result<Response, WebError> {
    let ctx = FormCtx {
        page,
        section: target.kind.segment(),
        kind: target.kind.code(),
        segment: target.kind.segment(),
        form,
        action: target.action.clone(),
        editing: target.editing,
        cover_url: target.cover_url.map(|k| format!("/media/{k}")),
        announcement_kinds: &parse::ANNOUNCEMENT_KINDS,
        min_date: time::OffsetDateTime::now_utc().date().to_string(),
        structures: &target.structures,
    };
    Ok((status, Html(app.templates.render("contributions/form.html", ctx)?)).into_response())
}

async fn new_form(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/nouveau", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let target = FormTarget::new(&app, &tenant, &viewer, kind).await?;
    render_form(&app, StatusCode::OK, &page, &FormState::default(), &target)
}

#[derive(Serialize)]
struct ChoosePage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
}

/// "Je contribue": which kind to write.
async fn choose(
    State(app): State<AppState>,
    _t: CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    if let Err(r) = member_or_redirect(viewer, "/contribuer") {
        return Ok(r.into_response());
    }
    let html = app.templates.render("contributions/choose.html", ChoosePage { page: &page, section: "contribuer" })?;
    Ok(Html(html).into_response())
}

/// The form as submitted, urlencoded or multipart (with a cover image).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ContributionForm {
    title: String,
    summary: String,
    body: String,
    tags: String,
    status: String,
    csrf_token: String,
    url: String,
    announcement_kind: String,
    closes_on: String,
    items: String,
    coauthors: String,
    /// The id of a structure the member signs for; empty: the member.
    au_nom_de: String,
    #[serde(skip)]
    cover: Option<Upload>,
}

impl FromRequest<AppState> for ContributionForm {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(f) = Form::<ContributionForm>::from_request(req, state).await.map_err(|_| WebError::BadRequest)?;
            return Ok(f);
        }
        let max = state.config.media.max_upload_bytes;
        let mut mp = axum::extract::Multipart::from_request(req, state).await.map_err(|_| WebError::BadRequest)?;
        let mut f = ContributionForm::default();
        while let Some(mut field) = mp.next_field().await.map_err(|_| WebError::BadRequest)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "cover" {
                f.cover = read_capped(&mut field, max).await.map_err(|_| WebError::BadRequest)?;
                continue;
            }
            let text = field.text().await.map_err(|_| WebError::BadRequest)?;
            let slot = match name.as_str() {
                "title" => &mut f.title,
                "summary" => &mut f.summary,
                "body" => &mut f.body,
                "tags" => &mut f.tags,
                "status" => &mut f.status,
                "csrf_token" => &mut f.csrf_token,
                "url" => &mut f.url,
                "announcement_kind" => &mut f.announcement_kind,
                "closes_on" => &mut f.closes_on,
                "items" => &mut f.items,
                "coauthors" => &mut f.coauthors,
                "au_nom_de" => &mut f.au_nom_de,
                _ => continue,
            };
            *slot = text;
        }
        Ok(f)
    }
}

impl ContributionForm {
    fn keep(&self) -> FormState {
        FormState::default()
            .value("title", &self.title)
            .value("summary", &self.summary)
            .value("body", &self.body)
            .value("tags", &self.tags)
            .value("url", &self.url)
            .value("announcement_kind", &self.announcement_kind)
            .value("closes_on", &self.closes_on)
            .value("items", &self.items)
            .value("coauthors", &self.coauthors)
            .value("au_nom_de", &self.au_nom_de)
    }

    /// The draft, or `None` with the reasons in `form`. Co-authors are checked against the
    /// region's members afterwards (`resolve_coauthors`).
    fn parse(&self, kind: Kind, page: &Page, form: &mut FormState) -> Option<Draft> {
        let l = page.locale;
        let title = parse::title(&self.title);
        if title.is_none() {
            form.field_error("title", t(l, &format!("kinds.{}.errors.title", kind.code()), &[]));
        }
        let summary = parse::summary(&self.summary);
        if summary.is_none() {
            form.field_error("summary", t(l, "articles.errors.summary", &[]));
        }
        let body = parse::body(&self.body);
        if body.is_none() {
            form.field_error("body", t(l, &format!("kinds.{}.errors.body", kind.code()), &[]));
        }
        let tags = parse::tags(&self.tags);
        if tags.is_none() {
            form.field_error("tags", t(l, "articles.errors.tags", &[]));
        }
        let mut draft = Draft::new(kind, title?, summary?, body?, tags?, self.status != "draft");
        match kind {
            Kind::Link => match parse::web_url(&self.url) {
                Some(u) => draft.link_url = Some(u),
                None => form.field_error("url", t(l, "kinds.link.errors.url", &[])),
            },
            Kind::Announcement => {
                match parse::announcement_kind(&self.announcement_kind) {
                    Some(k) => draft.announcement_kind = Some(k.to_owned()),
                    None => form.field_error("announcement_kind", t(l, "kinds.announcement.errors.kind", &[])),
                }
                let today = time::OffsetDateTime::now_utc().date();
                match parse::closing_date(&self.closes_on, today) {
                    Ok(d) => draft.closes_on = Some(d),
                    Err(e) => {
                        let key = match e {
                            parse::DateError::Malformed => "kinds.announcement.errors.date",
                            parse::DateError::Past => "kinds.announcement.errors.past",
                            parse::DateError::TooFar => "kinds.announcement.errors.far",
                        };
                        form.field_error("closes_on", t(l, key, &[]));
                    }
                }
            }
            Kind::Dossier => match parse::dossier_items(&self.items) {
                Some(items) => draft.items = items,
                None => form.field_error("items", t(l, "kinds.dossier.errors.items", &[])),
            },
            Kind::Article | Kind::Debate => {}
        }
        form.errors.is_empty().then_some(draft)
    }

    fn coauthor_handles(&self) -> Vec<String> {
        self.coauthors
            .split(',')
            .map(|h| h.trim().trim_start_matches('@').to_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    }
}

/// Everything a create or update needs checked beyond the form itself: co-authors that are
/// members here, and the cover image (stored once everything else is fine). `Err` carries the
/// status for the re-shown form.
async fn complete_draft(
    app: &AppState,
    tenant: &Tenant,
    page: &Page,
    f: &mut ContributionForm,
    draft: &mut Draft,
    form: &mut FormState,
) -> Result<Result<(), StatusCode>, WebError> {
    let l = page.locale;
    if draft.kind == Kind::Dossier {
        if let Some(id) = foreign_item(app, tenant, &f.items).await? {
            form.field_error("items", t(l, "kinds.dossier.errors.bad_item", &[("id", id.to_string())]));
            return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
        }
        let handles = f.coauthor_handles();
        if handles.len() > 10 {
            form.field_error("coauthors", t(l, "kinds.dossier.errors.coauthors", &[]));
            return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
        }
        let wanted = handles.clone();
        let found = app
            .db
            .with_tenant(tenant, |tx| {
                let wanted = wanted.clone();
                Box::pin(async move { contributions::members_by_handle(tx, &wanted).await })
            })
            .await?;
        if let Some(unknown) = handles.iter().find(|h| !found.iter().any(|(fh, _)| fh == *h)) {
            form.field_error("coauthors", t(l, "kinds.dossier.errors.unknown_member", &[("handle", unknown.clone())]));
            return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
        }
        draft.coauthors = found.into_iter().map(|(_, id)| id).collect();
    }
    match f.cover.take() {
        None => {}
        Some(_) if draft.kind != Kind::Article => {}
        Some(Upload::TooLarge) => {
            form.field_error("cover", t(l, "avatar.too_large", &[]));
            return Ok(Err(StatusCode::PAYLOAD_TOO_LARGE));
        }
        Some(Upload::Bytes(bytes)) => match store_image(app, tenant, bytes).await? {
            Ok(key) => draft.cover_key = Some(key),
            Err((status, key)) => {
                form.field_error("cover", t(l, key, &[]));
                return Ok(Err(status));
            }
        },
    }
    Ok(Ok(()))
}

/// Checks an uploaded image by its content, scales it down, re-encodes it without metadata and
/// stores it under the region's id; the key, or the status and message key of the refusal.
async fn store_image(
    app: &AppState,
    tenant: &Tenant,
    bytes: Vec<u8>,
) -> Result<Result<String, (StatusCode, &'static str)>, WebError> {
    use echos_core::images::process_image;
    let max = app.config.media.max_upload_bytes;
    let processed = tokio::task::spawn_blocking(move || process_image(&bytes, COVER_SIDE, max))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    Ok(match processed {
        Ok(image) => Ok(app.media.put(tenant.id, "images", image.bytes, image.ext, image.content_type).await?),
        Err(e) => Err(image_refusal(&e)),
    })
}

/// An image for a contribution's text, sent by the form's "insert an image" button: stored like a
/// cover and answered as JSON with the Markdown that shows it (`{"markdown": …}`), or the
/// refusal (`{"error": …}`) with the status that fits.
async fn upload_image(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(address): Extension<ClientAddress>,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let refuse = |status: StatusCode, key: &str| {
        (status, Json(serde_json::json!({ "error": t(page.locale, key, &[]) }))).into_response()
    };
    let Some(Extension(viewer)) = viewer.filter(|v| v.member.is_some()) else {
        return Ok(refuse(StatusCode::UNAUTHORIZED, "contributions.errors.sign_in"));
    };
    let max = app.config.media.max_upload_bytes;
    let (mut token, mut file) = (String::new(), None);
    while let Ok(Some(mut field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf_token") => token = field.text().await.unwrap_or_default(),
            Some("image") => file = read_capped(&mut field, max).await.ok().flatten(),
            _ => {}
        }
    }
    if !csrf_ok(&headers, &csrf, &token) {
        return Ok(refuse(StatusCode::FORBIDDEN, "auth.errors.csrf"));
    }
    if must_confirm(&app, &tenant, &viewer).await? {
        return Ok(refuse(StatusCode::FORBIDDEN, "contributions.errors.confirm_first"));
    }
    if let Err(wait) = app.limiter.check(Action::Write, &tenant.slug, &address.0, Some(&viewer.account_id.to_string()))
    {
        return too_many(Ok(refuse(StatusCode::TOO_MANY_REQUESTS, "contributions.errors.rate_limited")), wait);
    }
    let bytes = match file {
        Some(Upload::Bytes(bytes)) => bytes,
        Some(Upload::TooLarge) => return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "avatar.too_large")),
        None => return Ok(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "avatar.format")),
    };
    match store_image(&app, &tenant, bytes).await? {
        Ok(key) => {
            Ok(Json(serde_json::json!({ "url": format!("/media/{key}"), "markdown": format!("![](/media/{key})") }))
                .into_response())
        }
        Err((status, key)) => Ok(refuse(status, key)),
    }
}

/// The number of the first dossier item given by the address of another site. Each region
/// numbers its own contributions, so `https://<other region>/articles/3` names another region's
/// page, not this region's number 3.
async fn foreign_item(app: &AppState, tenant: &Tenant, items: &str) -> Result<Option<i64>, WebError> {
    for line in items.lines().map(str::trim) {
        let Some((_, rest)) = line.split_once("://") else { continue };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let here = match echos_domain::HostName::parse(authority) {
            Ok(host) => app.directory.resolve(&host).await?.is_some_and(|t| t.id == tenant.id),
            Err(_) => false,
        };
        if !here {
            return Ok(parse::dossier_items(line).and_then(|ids| ids.first().copied()));
        }
    }
    Ok(None)
}

async fn create(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(address): Extension<ClientAddress>,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    mut f: ContributionForm,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/nouveau", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let target = FormTarget::new(&app, &tenant, &viewer, kind).await?;
    let mut form = f.keep();
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, StatusCode::FORBIDDEN, &page, &form, &target);
    }
    if must_confirm(&app, &tenant, &viewer).await? {
        form.error = Some(t(page.locale, "contributions.errors.confirm_first", &[]));
        return render_form(&app, StatusCode::FORBIDDEN, &page, &form, &target);
    }
    if let Err(wait) = app.limiter.check(Action::Write, &tenant.slug, &address.0, Some(&viewer.account_id.to_string()))
    {
        form.error = Some(t(page.locale, "contributions.errors.rate_limited", &[]));
        return too_many(render_form(&app, StatusCode::TOO_MANY_REQUESTS, &page, &form, &target), wait);
    }
    let Some(mut draft) = f.parse(kind, &page, &mut form) else {
        return render_form(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form, &target);
    };
    if let Err(status) = complete_draft(&app, &tenant, &page, &mut f, &mut draft, &mut form).await? {
        return render_form(&app, status, &page, &form, &target);
    }
    // Signed by the member, or by a structure they act for (and only then).
    let author = match f.au_nom_de.trim() {
        "" => viewer.member.as_ref().map_or(0, |m| m.id),
        id => {
            let id: i64 = id.parse().map_err(|_| WebError::BadRequest)?;
            if !target.structures.iter().any(|s| s.id == id) {
                discard_cover(&app, &tenant, &draft).await;
                return Err(WebError::Forbidden);
            }
            id
        }
    };
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    match contributions::create(&mut tx, tenant.id, author, &draft).await? {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&kind.url(id, &parse::slug(&draft.title))).into_response())
        }
        Err(refusal) => {
            tx.rollback().await?;
            discard_cover(&app, &tenant, &draft).await;
            refuse(&page, &mut form, &refusal);
            render_form(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form, &target)
        }
    }
}

fn refuse(page: &Page, form: &mut FormState, refusal: &Refusal) {
    match refusal {
        Refusal::BadItem(id) => {
            form.field_error("items", t(page.locale, "kinds.dossier.errors.bad_item", &[("id", id.to_string())]))
        }
    }
}

/// A cover stored for a draft that was then refused: nothing points at it.
async fn discard_cover(app: &AppState, tenant: &Tenant, draft: &Draft) {
    if let Some(key) = &draft.cover_key
        && let Err(e) = app.media.delete_for(tenant.id, key).await
    {
        tracing::warn!(error = ?e, "deleting an unused cover failed");
    }
}

/// The contribution, if this viewer may change it: 404 when it is not there (or of another
/// kind), 403 when it is someone else's (and the viewer neither a co-author nor an admin).
async fn editable(app: &AppState, tenant: &Tenant, viewer: &Viewer, kind: Kind, id: i64) -> Result<Editable, WebError> {
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let me_id = me.id;
    let (item, coauthor, for_author) = app
        .db
        .with_tenant(tenant, |tx| {
            Box::pin(async move {
                let Some(item) = contributions::get(tx, id).await? else { return Ok((None, false, false)) };
                let coauthor = contributions::is_coauthor(tx, id, me_id).await?;
                let for_author = structures::acts_for(tx, me_id, item.author_id).await?;
                Ok((Some(item), coauthor, for_author))
            })
        })
        .await?;
    let item = item.filter(|c| c.kind() == kind).ok_or(WebError::NotFound)?;
    let as_author = me.id == item.author_id || for_author || me.role == "admin";
    if !as_author && !coauthor {
        return Err(if item.status == "published" { WebError::Forbidden } else { WebError::NotFound });
    }
    Ok(Editable { item, as_author })
}

/// A contribution this viewer may edit; `as_author` when they may also delete it (its author,
/// someone acting for the structure that signed it, or an admin — not a co-author).
struct Editable {
    item: Contribution,
    as_author: bool,
}

async fn edit_form(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/{id}/modifier", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let c = editable(&app, &tenant, &viewer, kind, id).await?.item;
    let (items, coauthors) = if kind == Kind::Dossier {
        app.db
            .with_tenant(&tenant, |tx| {
                Box::pin(async move {
                    Ok((contributions::dossier_items(tx, id).await?, contributions::coauthors(tx, id).await?))
                })
            })
            .await?
    } else {
        (Vec::new(), Vec::new())
    };
    let form = FormState::default()
        .value("title", &c.title)
        .value("summary", &c.summary)
        .value("body", &c.body_md)
        .value("tags", &c.tags.join(", "))
        .value("url", c.link_url.as_deref().unwrap_or_default())
        .value("announcement_kind", c.announcement_kind.as_deref().unwrap_or_default())
        .value("closes_on", &c.closes_on.map(|d| d.to_string()).unwrap_or_default())
        .value("items", &items.iter().map(Contribution::url).collect::<Vec<_>>().join("\n"))
        .value("coauthors", &coauthors.iter().map(|(_, h, _)| h.as_str()).collect::<Vec<_>>().join(", "));
    let target = FormTarget {
        kind,
        action: format!("/{}/{id}/modifier", kind.segment()),
        editing: true,
        cover_url: c.cover_key.as_deref(),
        structures: Vec::new(),
    };
    render_form(&app, StatusCode::OK, &page, &form, &target)
}

async fn update(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    mut f: ContributionForm,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/{id}/modifier", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let action = format!("/{}/{id}/modifier", kind.segment());
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        let mut form = f.keep();
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        let target = FormTarget { kind, action, editing: true, cover_url: None, structures: Vec::new() };
        return render_form(&app, StatusCode::FORBIDDEN, &page, &form, &target);
    }
    let current = editable(&app, &tenant, &viewer, kind, id).await?.item;
    let target =
        FormTarget { kind, action, editing: true, cover_url: current.cover_key.as_deref(), structures: Vec::new() };
    let mut form = f.keep();
    if must_confirm(&app, &tenant, &viewer).await? {
        form.error = Some(t(page.locale, "contributions.errors.confirm_first", &[]));
        return render_form(&app, StatusCode::FORBIDDEN, &page, &form, &target);
    }
    let Some(mut draft) = f.parse(kind, &page, &mut form) else {
        return render_form(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form, &target);
    };
    if let Err(status) = complete_draft(&app, &tenant, &page, &mut f, &mut draft, &mut form).await? {
        return render_form(&app, status, &page, &form, &target);
    }
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    match contributions::update(&mut tx, tenant.id, id, &draft).await? {
        Ok(()) => {
            tx.commit().await?;
            // The cover replaced is no longer shown anywhere.
            if draft.cover_key.is_some()
                && let Some(old) = &current.cover_key
                && let Err(e) = app.media.delete_for(tenant.id, old).await
            {
                tracing::warn!(error = ?e, "deleting the previous cover failed");
            }
            Ok(Redirect::to(&kind.url(id, &parse::slug(&draft.title))).into_response())
        }
        Err(refusal) => {
            tx.rollback().await?;
            discard_cover(&app, &tenant, &draft).await;
            refuse(&page, &mut form, &refusal);
            render_form(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form, &target)
        }
    }
}

#[derive(Serialize)]
struct DeletePage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    item: ContributionView,
}

/// "Delete « … »? This cannot be undone." — the confirmation step.
async fn delete_form(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/{id}/supprimer", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let editable = editable(&app, &tenant, &viewer, kind, id).await?;
    if !editable.as_author {
        return Err(WebError::Forbidden);
    }
    let ctx = DeletePage {
        section: kind.segment(),
        item: ContributionView::of(editable.item, &page, Some(&viewer)),
        page: &page,
    };
    Ok(Html(app.templates.render("contributions/delete.html", ctx)?).into_response())
}

async fn delete(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    // Co-authors edit a dossier; deleting it stays with its author (and the region's admins).
    if !editable(&app, &tenant, &viewer, kind, id).await?.as_author {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    contributions::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/{}?supprime=1", kind.segment())).into_response())
}

/// "J'aime", or taking it back.
async fn toggle_like(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/{}/{id}", kind.segment())) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().map_or(0, |m| m.id);
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    if let Err(e) = contributions::toggle_like(&mut tx, id, me).await {
        tx.rollback().await?;
        return Err(e.into());
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/{}/{id}#jaime", kind.segment())).into_response())
}

#[derive(Deserialize)]
struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// Tags in use starting with what is typed, as JSON, for the tag field's suggestions.
async fn suggest_tags(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
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

async fn kind_feed(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    CurrentTenant(tenant): CurrentTenant,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filters = Filters::parse(&q)?;
    let query = filters.tag.as_ref().map(|t| format!("?tag={}", urlencode(t))).unwrap_or_default();
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
async fn region_feed(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let filters = Filters::parse(&q)?;
    let query = filters.tag.as_ref().map(|t| format!("?tag={}", urlencode(t))).unwrap_or_default();
    let title = match &filters.tag {
        Some(t) => format!("{} — #{t}", tenant.name),
        None => tenant.name.clone(),
    };
    feed(&app, &tenant, filters.to_filter(None), &title, "/", &format!("/flux.atom{query}")).await
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
                id: url,
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
