//! Articles: the list (by tag, paginated), the page (OpenGraph, JSON-LD), writing, editing and
//! deleting. Authors edit their own; the region's admins edit any. Another region's article is
//! simply not there (404).

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use echos_core::comments;
use echos_core::contributions::{self, Article, Draft};
use echos_core::{Tenant, TenantTx};
use echos_domain::contribution as parse;
use serde::{Deserialize, Serialize};

use crate::account::member_or_redirect;
use crate::error::WebError;
use crate::forms::{CsrfOnly, FormState};
use crate::i18n::t;
use crate::links::region_url;
use crate::members::long_date;
use crate::session::{CsrfToken, Viewer, csrf_ok};
use crate::site::{CurrentTenant, Page};
use crate::state::AppState;

const PER_PAGE: i64 = 12;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles).post(create_article))
        .route("/articles/nouveau", get(new_article_form))
        .route("/articles.atom", get(articles_feed))
        .route("/articles/{id_slug}", get(show_article))
        .route("/articles/{id}/modifier", get(edit_article_form).post(update_article))
        .route("/articles/{id}/supprimer", post(delete_article))
        .route("/articles/{id}/commentaires", post(add_comment))
        .route("/articles/{id}/jaime", post(toggle_like))
        .route("/commentaires/{id}/supprimer", post(delete_comment))
        .layer(DefaultBodyLimit::max(256 * 1024))
}

/// An article as pages show it.
#[derive(Serialize)]
pub struct ArticleView {
    id: i64,
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
}

#[derive(Serialize)]
struct AuthorView {
    display_name: String,
    handle: String,
    avatar_url: Option<String>,
}

impl ArticleView {
    pub fn of(a: Article, page: &Page, viewer: Option<&Viewer>) -> Self {
        let url = format!("/articles/{}-{}", a.id, a.slug);
        let can_edit = viewer.and_then(|v| v.member.as_ref()).is_some_and(|m| m.id == a.author_id || m.role == "admin");
        Self {
            url_edit: format!("/articles/{}/modifier", a.id),
            url_delete: format!("/articles/{}/supprimer", a.id),
            url,
            id: a.id,
            title: a.title,
            summary: a.summary,
            body_html: a.body_html,
            tags: a.tags,
            author: AuthorView {
                display_name: a.author_name,
                handle: a.author_handle,
                avatar_url: a.author_avatar.map(|k| format!("/media/{k}")),
            },
            published: a.published_at.map(|d| long_date(d.date(), page.locale)),
            updated: a
                .published_at
                .filter(|p| a.updated_at - *p > time::Duration::minutes(5))
                .map(|_| long_date(a.updated_at.date(), page.locale)),
            status: a.status,
            can_edit,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    tag: Option<String>,
    page: Option<String>,
}

#[derive(Serialize)]
struct ListPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    articles: Vec<ArticleView>,
    tag: Option<String>,
    page_number: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

async fn list_articles(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    // Unknown or malformed filters are refused, never guessed at.
    let tag = match q.tag.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(parse::tag(raw).ok_or(WebError::BadRequest)?),
    };
    let number: i64 = match q.page.as_deref() {
        None | Some("") => 1,
        Some(p) => p.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or(WebError::BadRequest)?,
    };
    let offset = (number - 1) * PER_PAGE;
    let tag_for_query = tag.clone();
    let mut list = app
        .db
        .with_tenant(&tenant, |tx| {
            let tag = tag_for_query.clone();
            Box::pin(async move { contributions::published(tx, tag.as_deref(), PER_PAGE + 1, offset).await })
        })
        .await?;
    let has_next = list.len() as i64 > PER_PAGE;
    list.truncate(PER_PAGE as usize);
    let viewer = viewer.as_ref().map(|v| &v.0);
    let query = |n: i64| {
        let mut q = format!("/articles?page={n}");
        if let Some(t) = &tag {
            q.push_str(&format!("&tag={}", urlencode(t)));
        }
        q
    };
    let ctx = ListPage {
        page: &page,
        section: "articles",
        articles: list.into_iter().map(|a| ArticleView::of(a, &page, viewer)).collect(),
        prev_url: (number > 1).then(|| query(number - 1)),
        next_url: has_next.then(|| query(number + 1)),
        page_number: number,
        tag,
    };
    Ok(Html(app.templates.render("articles/list.html", ctx)?).into_response())
}

fn urlencode(s: &str) -> String {
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
    article: ArticleView,
    og: OpenGraph,
    json_ld: String,
    comments: Vec<CommentView>,
    comment_count: usize,
    comment_form: &'a FormState,
    comment_action: String,
    likes: Likes,
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
    deleted: bool,
    can_delete: bool,
    delete_url: String,
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

/// `/articles/12-le-titre`: the id decides; a wrong or missing slug redirects to the right one.
async fn show_article(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id_slug): Path<String>,
) -> Result<Response, WebError> {
    let (id_part, slug) = id_slug.split_once('-').unwrap_or((id_slug.as_str(), ""));
    let id: i64 = id_part.parse().map_err(|_| WebError::NotFound)?;
    let viewer = viewer.as_ref().map(|v| &v.0);
    let Some(article) = app.db.with_tenant(&tenant, |tx| Box::pin(contributions::get(tx, id))).await? else {
        return Err(WebError::NotFound);
    };
    let is_author = viewer.and_then(|v| v.member.as_ref()).is_some_and(|m| m.id == article.author_id);
    if article.status != "published" && !is_author {
        return Err(WebError::NotFound);
    }
    if slug != article.slug {
        return Ok(Redirect::permanent(&format!("/articles/{}-{}", article.id, article.slug)).into_response());
    }
    render_article(&app, &tenant, &page, viewer, article, &FormState::default(), StatusCode::OK).await
}

/// The article page, with its comments and the comment form (as typed, after a refusal).
async fn render_article(
    app: &AppState,
    tenant: &Tenant,
    page: &Page,
    viewer: Option<&Viewer>,
    article: Article,
    comment_form: &FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let id = article.id;
    let me = viewer.and_then(|v| v.member.as_ref());
    let me_id = me.map(|m| m.id);
    let (list, (like_count, liked)) = app
        .db
        .with_tenant(tenant, |tx| {
            Box::pin(async move {
                let list = comments::list(tx, id).await?;
                let likes = contributions::likes(tx, id, me_id).await?;
                Ok((list, likes))
            })
        })
        .await?;
    let comment_count = list.iter().filter(|c| !c.deleted).count();
    let comments = list
        .into_iter()
        .map(|c| CommentView {
            can_delete: !c.deleted && me.is_some_and(|m| m.id == c.author_id || m.role == "admin"),
            delete_url: format!("/commentaires/{}/supprimer", c.id),
            when: long_date(c.created_at.date(), page.locale),
            author: AuthorView {
                display_name: c.author_name,
                handle: c.author_handle,
                avatar_url: c.author_avatar.map(|k| format!("/media/{k}")),
            },
            id: c.id,
            parent_id: c.parent_id,
            body_html: c.body_html,
            deleted: c.deleted,
        })
        .collect();
    let absolute = region_url(&app.config, tenant, &format!("/articles/{}-{}", article.id, article.slug));
    let description = if article.summary.is_empty() { article.title.clone() } else { article.summary.clone() };
    let json_ld = script_safe_json(&serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": article.title,
        "description": description,
        "url": absolute,
        "author": { "@type": "Person", "name": article.author_name,
                    "url": region_url(&app.config, tenant, &format!("/membres/{}", article.author_handle)) },
        "datePublished": article.published_at.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
        "keywords": article.tags.join(", "),
        "commentCount": comment_count,
        "publisher": { "@type": "Organization", "name": tenant.name },
    }));
    let og = OpenGraph { title: article.title.clone(), description, url: absolute, image: None, kind: "article" };
    let comment_action = format!("/articles/{}/commentaires", article.id);
    let view = ArticleView::of(article, page, viewer);
    let ctx = ShowPage {
        page,
        section: "articles",
        article: view,
        og,
        json_ld,
        comments,
        comment_count,
        comment_form,
        comment_action,
        likes: Likes { count: like_count, mine: liked, action: format!("/articles/{id}/jaime") },
    };
    Ok((status, Html(app.templates.render("articles/show.html", ctx)?)).into_response())
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
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/articles/{id}")) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let article = app
        .db
        .with_tenant(&tenant, |tx| Box::pin(contributions::get(tx, id)))
        .await?
        .filter(|a| a.status == "published")
        .ok_or(WebError::NotFound)?;
    let mut form = FormState::default().value("body", &f.body).value("parent_id", &f.parent_id);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_article(&app, &tenant, &page, Some(&viewer), article, &form, StatusCode::FORBIDDEN).await;
    }
    let parent = match f.parent_id.as_str() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| WebError::BadRequest)?),
    };
    let Some(body) = comments::parse_body(&f.body) else {
        form.field_error("body", t(page.locale, "comments.errors.body", &[]));
        return render_article(&app, &tenant, &page, Some(&viewer), article, &form, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let author = viewer.member.as_ref().map_or(0, |m| m.id);
    let link = format!("/articles/{}-{}", article.id, article.slug);
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    match comments::add(&mut tx, tenant.id, id, author, parent, &body, &link).await? {
        Ok(comment) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("{link}#commentaire-{comment}")).into_response())
        }
        Err(comments::AddError::BadParent) => {
            tx.rollback().await?;
            form.field_error("parent_id", t(page.locale, "comments.errors.parent", &[]));
            render_article(&app, &tenant, &page, Some(&viewer), article, &form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
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
    let viewer = match member_or_redirect(viewer, "/articles") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    let (article, author) = comments::owner(&mut tx, id).await?.ok_or(WebError::NotFound)?;
    if author != me.id && me.role != "admin" {
        return Err(WebError::Forbidden);
    }
    comments::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{article}")).into_response())
}

/// JSON that cannot close the `<script>` it sits in.
fn script_safe_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[derive(Serialize)]
struct FormCtx<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    form: &'a FormState,
    action: String,
    editing: bool,
}

fn render_form(
    app: &AppState,
    status: StatusCode,
    page: &Page,
    form: &FormState,
    action: String,
    editing: bool,
) -> Result<Response, WebError> {
    let html =
        app.templates.render("articles/form.html", FormCtx { page, section: "articles", form, action, editing })?;
    Ok((status, Html(html)).into_response())
}

async fn new_article_form(
    State(app): State<AppState>,
    _t: CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    if let Err(r) = member_or_redirect(viewer, "/articles/nouveau") {
        return Ok(r.into_response());
    }
    render_form(&app, StatusCode::OK, &page, &FormState::default(), "/articles".into(), false)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ArticleForm {
    title: String,
    summary: String,
    body: String,
    tags: String,
    status: String,
    csrf_token: String,
}

impl ArticleForm {
    fn keep(&self) -> FormState {
        FormState::default()
            .value("title", &self.title)
            .value("summary", &self.summary)
            .value("body", &self.body)
            .value("tags", &self.tags)
    }

    fn parse(&self, page: &Page, form: &mut FormState) -> Option<Draft> {
        let title = parse::title(&self.title);
        if title.is_none() {
            form.field_error("title", t(page.locale, "articles.errors.title", &[]));
        }
        let summary = parse::summary(&self.summary);
        if summary.is_none() {
            form.field_error("summary", t(page.locale, "articles.errors.summary", &[]));
        }
        let body = parse::body(&self.body);
        if body.is_none() {
            form.field_error("body", t(page.locale, "articles.errors.body", &[]));
        }
        let tags = parse::tags(&self.tags);
        if tags.is_none() {
            form.field_error("tags", t(page.locale, "articles.errors.tags", &[]));
        }
        Some(Draft { title: title?, summary: summary?, body_md: body?, tags: tags?, publish: self.status != "draft" })
    }
}

async fn create_article(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Form(f): Form<ArticleForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/articles/nouveau") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let mut form = f.keep();
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, StatusCode::FORBIDDEN, &page, &form, "/articles".into(), false);
    }
    let Some(draft) = f.parse(&page, &mut form) else {
        return render_form(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form, "/articles".into(), false);
    };
    let author = viewer.member.as_ref().map_or(0, |m| m.id);
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    let id = contributions::create(&mut tx, author, &draft).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{id}-{}", parse::slug(&draft.title))).into_response())
}

/// The article, if this viewer may change it: 404 when it is not there, 403 when it is someone
/// else's (and the viewer not an admin of the region).
async fn editable(app: &AppState, tenant: &Tenant, viewer: &Viewer, id: i64) -> Result<Article, WebError> {
    let article =
        app.db.with_tenant(tenant, |tx| Box::pin(contributions::get(tx, id))).await?.ok_or(WebError::NotFound)?;
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    if me.id != article.author_id && me.role != "admin" {
        return Err(if article.status == "published" { WebError::Forbidden } else { WebError::NotFound });
    }
    Ok(article)
}

async fn edit_article_form(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/articles/{id}/modifier")) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let a = editable(&app, &tenant, &viewer, id).await?;
    let form = FormState::default()
        .value("title", &a.title)
        .value("summary", &a.summary)
        .value("body", &a.body_md)
        .value("tags", &a.tags.join(", "));
    render_form(&app, StatusCode::OK, &page, &form, format!("/articles/{id}/modifier"), true)
}

async fn update_article(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<ArticleForm>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/articles/{id}/modifier")) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        let mut form = f.keep();
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_form(&app, StatusCode::FORBIDDEN, &page, &form, format!("/articles/{id}/modifier"), true);
    }
    editable(&app, &tenant, &viewer, id).await?;
    let mut form = f.keep();
    let Some(draft) = f.parse(&page, &mut form) else {
        return render_form(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &page,
            &form,
            format!("/articles/{id}/modifier"),
            true,
        );
    };
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    contributions::update(&mut tx, id, &draft).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{id}-{}", parse::slug(&draft.title))).into_response())
}

async fn delete_article(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, "/articles") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    editable(&app, &tenant, &viewer, id).await?;
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    contributions::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/articles").into_response())
}

/// "J'aime", or taking it back.
async fn toggle_like(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match member_or_redirect(viewer, &format!("/articles/{id}")) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().map_or(0, |m| m.id);
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    contributions::toggle_like(&mut tx, id, me).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{id}#jaime")).into_response())
}

/// The region's articles (or one tag's) as an Atom feed: the 30 latest.
async fn articles_feed(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    use atom_syndication::{Category, Entry, Feed, Link, Person, Text};
    let tag = match q.tag.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(parse::tag(raw).ok_or(WebError::BadRequest)?),
    };
    let tag_for_query = tag.clone();
    let list = app
        .db
        .with_tenant(&tenant, |tx| {
            let tag = tag_for_query.clone();
            Box::pin(async move { contributions::published(tx, tag.as_deref(), 30, 0).await })
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
    let query = tag.as_ref().map(|t| format!("?tag={}", urlencode(t))).unwrap_or_default();
    let html_url = region_url(&app.config, &tenant, &format!("/articles{query}"));
    let self_url = region_url(&app.config, &tenant, &format!("/articles.atom{query}"));
    let entries: Vec<Entry> = list
        .into_iter()
        .map(|a| {
            let url = region_url(&app.config, &tenant, &format!("/articles/{}-{}", a.id, a.slug));
            Entry {
                id: url.clone(),
                title: Text::plain(a.title),
                updated: at(a.updated_at),
                published: a.published_at.map(at),
                authors: vec![Person {
                    name: a.author_name,
                    uri: Some(region_url(&app.config, &tenant, &format!("/membres/{}", a.author_handle))),
                    ..Person::default()
                }],
                links: vec![link(url, "alternate", "text/html")],
                summary: (!a.summary.is_empty()).then(|| Text::plain(a.summary)),
                categories: a.tags.into_iter().map(|t| Category { term: t, ..Category::default() }).collect(),
                ..Entry::default()
            }
        })
        .collect();
    let title = match &tag {
        Some(t) => format!("{} — #{t}", tenant.name),
        None => format!("{} — Articles", tenant.name),
    };
    let feed = Feed {
        id: self_url.clone(),
        title: Text::plain(title),
        updated: entries.first().map_or_else(|| at(time::OffsetDateTime::now_utc()), |e| e.updated),
        links: vec![link(html_url, "alternate", "text/html"), link(self_url, "self", "application/atom+xml")],
        lang: Some(tenant.default_locale.code().into()),
        entries,
        ..Feed::default()
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], feed.to_string()).into_response())
}
