//! Members' pages: a public profile per member (`/membres/<handle>`) and the personal space.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use echos_core::accounts::{self, Member};
use echos_core::contributions::Filter;
use echos_core::{TenantTx, contributions, follows, notifications, structures};
use echos_domain::Locale;
use serde::Serialize;

use crate::contributions::{ContributionView, urlencode};
use crate::error::WebError;
use crate::forms::{CsrfOnly, FormState};
use crate::i18n::t;
use crate::session::{CsrfToken, Viewer, csrf_ok};
use crate::site::{CurrentTenant, Page};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/membres/{handle}", get(show_member))
        .route("/membres/{handle}/flux.atom", get(member_feed))
        .route("/membres/{handle}/suivre", axum::routing::post(follow_member))
        .route("/mots-cles/{tag}/suivre", axum::routing::post(follow_tag))
        .route("/mon-espace", get(my_space))
        .route("/mon-espace/structure/gestionnaires", axum::routing::post(add_manager))
        .route("/mon-espace/structure/gestionnaires/{id}/retirer", axum::routing::post(remove_manager))
        .route("/mon-espace/structures/{id}/quitter", axum::routing::post(leave_structure))
        .route("/mon-espace/notifications", get(list_notifications))
        .route("/mon-espace/notifications/lues", axum::routing::post(mark_read))
        .route("/media/{*key}", get(show_media))
}

#[derive(Serialize)]
struct MemberView<'a> {
    display_name: &'a str,
    handle: &'a str,
    kind: &'a str,
    audience: Option<&'a str>,
    bio: &'a str,
    website: Option<&'a str>,
    location: Option<&'a str>,
    joined: String,
    is_me: bool,
    avatar_url: Option<String>,
}

impl<'a> MemberView<'a> {
    fn of(m: &'a Member, locale: Locale, viewer: Option<&Viewer>) -> Self {
        Self {
            display_name: &m.display_name,
            handle: &m.handle,
            kind: &m.kind,
            audience: m.audience.as_deref(),
            bio: &m.bio,
            website: m.website.as_deref().filter(|w| w.starts_with("https://") || w.starts_with("http://")),
            location: m.location.as_deref(),
            joined: long_date(m.joined_at.date(), locale),
            is_me: viewer.is_some_and(|v| v.account_id == m.account_id),
            avatar_url: m.avatar_key.as_ref().map(|k| format!("/media/{k}")),
        }
    }
}

#[derive(Serialize)]
struct MemberPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    member: MemberView<'a>,
    publications: Vec<ContributionView>,
    followers: i64,
    followed: bool,
    follow_action: String,
}

async fn show_member(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    if handle.len() > 48 {
        return Err(WebError::NotFound);
    }
    let me = viewer.as_ref().and_then(|v| v.member.as_ref()).map(|m| m.id);
    let (member, publications, followers, followed) = app
        .db
        .with_tenant(&tenant, |tx| {
            let handle = handle.clone();
            Box::pin(async move {
                let Some(member) = accounts::member_by_handle(tx, &handle).await? else { return Ok(None) };
                let filter = Filter::by_author(member.id);
                let publications = contributions::published(tx, &filter, 12, 0).await?;
                let followers = follows::follower_count(tx, member.id).await?;
                let followed = match me {
                    Some(me) => follows::follows_member(tx, me, member.id).await?,
                    None => false,
                };
                Ok(Some((member, publications, followers, followed)))
            })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let viewer = viewer.as_ref().map(|v| &v.0);
    let ctx = MemberPage {
        page: &page,
        member: MemberView::of(&member, page.locale, viewer),
        publications: publications.into_iter().map(|c| ContributionView::of(c, &page, viewer)).collect(),
        followers,
        followed,
        follow_action: format!("/membres/{}/suivre", member.handle),
    };
    Ok(Html(app.templates.render("members/profile.html", ctx)?).into_response())
}

/// The member of this region with this handle; 404 when there is none.
async fn member_here(app: &AppState, tenant: &echos_core::Tenant, handle: &str) -> Result<Member, WebError> {
    if handle.len() > 48 {
        return Err(WebError::NotFound);
    }
    let handle = handle.to_owned();
    app.db
        .with_tenant(tenant, |tx| {
            let handle = handle.clone();
            Box::pin(async move { accounts::member_by_handle(tx, &handle).await })
        })
        .await?
        .ok_or(WebError::NotFound)
}

/// A member's publications as an Atom feed.
async fn member_feed(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let member = member_here(&app, &tenant, &handle).await?;
    let filter = Filter::by_author(member.id);
    let title = format!("{} — {}", tenant.name, member.display_name);
    let html = format!("/membres/{}", member.handle);
    crate::contributions::feed(&app, &tenant, filter, &title, &html, &format!("{html}/flux.atom")).await
}

/// Follows a member (a person or a structure), or stops.
async fn follow_member(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(handle): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let back = format!("/membres/{}", urlencode(&handle));
    let viewer = match crate::account::member_or_redirect(viewer, &back) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().map_or(0, |m| m.id);
    let followed = member_here(&app, &tenant, &handle).await?;
    if followed.id == me {
        return Err(WebError::BadRequest);
    }
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    follows::toggle_member(&mut tx, me, followed.id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{back}#suivre")).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FollowTagForm {
    csrf_token: String,
    /// Where to go back to: a local path.
    retour: String,
}

/// Follows a tag, or stops.
async fn follow_tag(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(tag): Path<String>,
    Form(f): Form<FollowTagForm>,
) -> Result<Response, WebError> {
    let back = if f.retour.starts_with('/') && !f.retour.starts_with("//") && !f.retour.contains('\\') {
        f.retour.clone()
    } else {
        format!("/articles?tag={}", urlencode(&tag))
    };
    let viewer = match crate::account::member_or_redirect(viewer, &back) {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let tag = echos_domain::contribution::tag(&tag).ok_or(WebError::BadRequest)?;
    let me = viewer.member.as_ref().map_or(0, |m| m.id);
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    if let Err(e) = follows::toggle_tag(&mut tx, me, &tag).await {
        tx.rollback().await?;
        return Err(e.into());
    }
    tx.commit().await?;
    Ok(Redirect::to(&back).into_response())
}

#[derive(Serialize)]
struct SpacePage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    member: MemberView<'a>,
    publications: Vec<ContributionView>,
    drafts: Vec<ContributionView>,
    feed: Vec<ContributionView>,
    followed_members: Vec<FollowedMember>,
    followed_tags: Vec<String>,
    is_structure: bool,
    /// A structure's: who publishes on its behalf.
    managers: Vec<structures::Named>,
    /// The structures this member publishes for.
    acts_for: Vec<structures::Named>,
    managers_form: &'a FormState,
}

#[derive(Serialize)]
struct FollowedMember {
    handle: String,
    display_name: String,
}

async fn my_space(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let Some(Extension(viewer)) = viewer else {
        return Ok(Redirect::to("/connexion?next=/mon-espace").into_response());
    };
    if viewer.member.is_none() {
        return Ok(Redirect::to("/rejoindre").into_response());
    }
    render_space(&app, &tenant, &page, &viewer, &FormState::default(), StatusCode::OK).await
}

/// The personal space; `managers_form` is the structure's "who publishes for us" form as typed.
async fn render_space(
    app: &AppState,
    tenant: &echos_core::Tenant,
    page: &Page,
    viewer: &Viewer,
    managers_form: &FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let member = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let member_id = member.id;
    let is_structure = member.kind == "structure";
    let (published, drafts, feed, (followed_members, followed_tags), (managers, acts_for)) = app
        .db
        .with_tenant(tenant, |tx| {
            Box::pin(async move {
                let published = contributions::by_author(tx, member_id, "published", 20).await?;
                let drafts = contributions::by_author(tx, member_id, "draft", 20).await?;
                let feed = follows::feed(tx, member_id, 20, 0).await?;
                let followed = follows::followed(tx, member_id).await?;
                let managers = if is_structure { structures::managers(tx, member_id).await? } else { Vec::new() };
                let acts_for = structures::managed_by(tx, member_id).await?;
                Ok((published, drafts, feed, followed, (managers, acts_for)))
            })
        })
        .await?;
    let view = MemberView::of(member, page.locale, Some(viewer));
    let views = |list: Vec<contributions::Contribution>| {
        list.into_iter().map(|c| ContributionView::of(c, page, Some(viewer))).collect()
    };
    let ctx = SpacePage {
        page,
        member: view,
        publications: views(published),
        drafts: views(drafts),
        feed: views(feed),
        followed_members: followed_members
            .into_iter()
            .map(|(handle, display_name)| FollowedMember { handle, display_name })
            .collect(),
        followed_tags,
        is_structure,
        managers,
        acts_for,
        managers_form,
    };
    Ok((status, Html(app.templates.render("members/my_space.html", ctx)?)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ManagerForm {
    csrf_token: String,
    handle: String,
}

/// A structure names a person who publishes on its behalf.
async fn add_manager(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Form(f): Form<ManagerForm>,
) -> Result<Response, WebError> {
    let viewer = match crate::account::member_or_redirect(viewer, "/mon-espace") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let mut form = FormState::default().value("handle", &f.handle);
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        form.error = Some(t(page.locale, "auth.errors.csrf", &[]));
        return render_space(&app, &tenant, &page, &viewer, &form, StatusCode::FORBIDDEN).await;
    }
    if me.kind != "structure" {
        return Err(WebError::Forbidden);
    }
    let handle = f.handle.trim().trim_start_matches('@').to_lowercase();
    let structure = me.id;
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    match structures::add_manager(&mut tx, tenant.id, structure, &handle).await? {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/mon-espace#au-nom-de").into_response())
        }
        Err(refusal) => {
            tx.rollback().await?;
            let key = match refusal {
                structures::AddRefusal::Unknown => "structures.errors.unknown",
                structures::AddRefusal::NotAPerson => "structures.errors.not_a_person",
            };
            form.field_error("handle", t(page.locale, key, &[("handle", handle)]));
            render_space(&app, &tenant, &page, &viewer, &form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A person stops publishing on behalf of a structure.
async fn leave_structure(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(structure_id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match crate::account::member_or_redirect(viewer, "/mon-espace") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    structures::remove_manager(&mut tx, structure_id, me.id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace#au-nom-de").into_response())
}

/// A structure stops someone publishing on its behalf.
async fn remove_manager(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    Path(member_id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let viewer = match crate::account::member_or_redirect(viewer, "/mon-espace") {
        Ok(v) => v,
        Err(r) => return Ok(r.into_response()),
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let me = viewer.member.as_ref().ok_or(WebError::NotFound)?;
    if me.kind != "structure" {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    structures::remove_manager(&mut tx, me.id, member_id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace#au-nom-de").into_response())
}

/// `28 novembre 2026`, `28 November 2026`, `28 de novembre de 2026`.
pub fn long_date(d: time::Date, locale: Locale) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const CA: [&str; 12] = [
        "gener", "febrer", "març", "abril", "maig", "juny", "juliol", "agost", "setembre", "octubre", "novembre",
        "desembre",
    ];
    let i = usize::from(u8::from(d.month())) - 1;
    match locale {
        Locale::Fr => format!("{} {} {}", d.day(), FR[i], d.year()),
        Locale::En => format!("{} {} {}", d.day(), EN[i], d.year()),
        Locale::Ca => {
            let de = if matches!(CA[i].chars().next(), Some('a' | 'o')) { "d'" } else { "de " };
            format!("{} {de}{} de {}", d.day(), CA[i], d.year())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_naturally_in_each_language() {
        let d = time::macros::date!(2026 - 04 - 03);
        assert_eq!(long_date(d, Locale::Fr), "3 avril 2026");
        assert_eq!(long_date(d, Locale::En), "3 April 2026");
        assert_eq!(long_date(d, Locale::Ca), "3 d'abril de 2026");
        assert_eq!(long_date(time::macros::date!(2026 - 11 - 28), Locale::Ca), "28 de novembre de 2026");
    }
}

#[derive(Serialize)]
struct NotificationsPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    notifications: Vec<NotificationView>,
}

#[derive(Serialize)]
struct NotificationView {
    kind: String,
    message: String,
    link: Option<String>,
    when: String,
    read: bool,
}

/// The member's notifications, newest first (the latest 100).
async fn list_notifications(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, WebError> {
    let Some(Extension(viewer)) = viewer else {
        return Ok(Redirect::to("/connexion?next=/mon-espace/notifications").into_response());
    };
    let Some(member) = viewer.member.as_ref() else { return Ok(Redirect::to("/rejoindre").into_response()) };
    let member_id = member.id;
    let list = app.db.with_tenant(&tenant, |tx| Box::pin(notifications::latest(tx, member_id, 100))).await?;
    let notifications = list
        .into_iter()
        .map(|n| NotificationView {
            when: long_date(n.created_at.date(), page.locale),
            kind: n.kind,
            message: n.message,
            link: n.link,
            read: n.read,
        })
        .collect();
    Ok(Html(app.templates.render("members/notifications.html", NotificationsPage { page: &page, notifications })?)
        .into_response())
}

async fn mark_read(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    headers: axum::http::HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
    viewer: Option<Extension<Viewer>>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let Some(member_id) = viewer.as_ref().and_then(|v| v.member.as_ref()).map(|m| m.id) else {
        return Ok(Redirect::to("/connexion").into_response());
    };
    if !csrf_ok(&headers, &csrf, &f.csrf_token) {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &tenant).await?;
    notifications::mark_all_read(&mut tx, member_id).await?;
    tx.commit().await?;
    Ok(Redirect::to("/mon-espace/notifications").into_response())
}

/// A region's media (avatars, images): only keys under this region's id are served here.
async fn show_media(
    State(app): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let (bytes, content_type) =
        app.media.get_for(tenant.id, &key).await.map_err(|_| WebError::NotFound)?.ok_or(WebError::NotFound)?;
    let content_type = axum::http::HeaderValue::from_str(&content_type).map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, axum::http::HeaderValue::from_static("nosniff")),
            // A key never changes content: a new upload gets a new key.
            (
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (axum::http::header::CONTENT_SECURITY_POLICY, axum::http::HeaderValue::from_static("default-src 'none'")),
        ],
        bytes,
    )
        .into_response())
}
