//! The list of communities, proposing one, a community's page and feed, joining and leaving.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::communities::{self, Community, Joined, Membership, Proposal, Refusal};
use echos_core::contributions::{self, Filter};
use echos_core::{TenantTx, settings};
use serde::{Deserialize, Serialize};

use super::{FEED_PAGE, PER_PAGE};
use crate::contributions::ContributionView;
use crate::error::WebError;
use crate::forms::{Empty, FormState, render_form};
use crate::gate::{CsrfForm, Region, SignedIn};
use crate::i18n::t;
use crate::session::Viewer;
use crate::site::Page;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    ok: String,
}

/// A community as cards and pages show it.
#[derive(Serialize)]
pub(crate) struct CommunityView {
    pub(crate) slug: String,
    pub(crate) url: String,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) description_html: String,
    pub(crate) cover_url: Option<String>,
    pub(crate) access: String,
    pub(crate) status: String,
    pub(crate) members: i64,
    pub(crate) tags: Vec<String>,
}

impl CommunityView {
    pub(crate) fn of(c: Community) -> Self {
        Self {
            url: c.url(),
            cover_url: c.cover_key.map(|k| format!("/media/{k}")),
            slug: c.slug,
            name: c.name,
            kind: c.kind,
            description_html: c.description_html,
            access: c.access,
            status: c.status,
            members: c.members,
            tags: c.tags,
        }
    }
}

#[derive(Serialize)]
struct ListPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    communities: Vec<CommunityView>,
    total: i64,
    page_number: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    proposed: bool,
}

pub(super) async fn list(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let n = q.page.unwrap_or(1).clamp(1, 1000);
    let (rows, total) = app
        .db
        .with_tenant(&tenant, |tx| {
            Box::pin(async move { communities::list(tx, "active", PER_PAGE, (n - 1) * PER_PAGE).await })
        })
        .await?;
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    let ctx = ListPage {
        page: &page,
        section: "communautes",
        communities: rows.into_iter().map(CommunityView::of).collect(),
        total,
        page_number: n,
        prev_url: (n > 1).then(|| format!("/communautes?page={}", n - 1)),
        next_url: (n < pages).then(|| format!("/communautes?page={}", n + 1)),
        proposed: q.ok == "proposed",
    };
    Ok(Html(app.templates.render("communities/list.html", ctx)?).into_response())
}

#[derive(Serialize)]
struct ProposeExtra {
    section: &'static str,
    kinds: &'static [&'static str],
    /// The region opens communities at once (no admin's approval).
    open_at_once: bool,
}

async fn open_at_once(app: &AppState, me: &SignedIn) -> Result<bool, WebError> {
    let s = app.db.with_tenant(&me.tenant, |tx| Box::pin(settings::region(tx))).await?;
    Ok(s.communities_open_without_approval)
}

pub(super) async fn propose_form(State(app): State<AppState>, me: SignedIn, page: Page) -> Result<Response, WebError> {
    let form = FormState::default().value("kind", "theme").value("access", "open");
    let x = ProposeExtra {
        section: "communautes",
        kinds: communities::KINDS,
        open_at_once: open_at_once(&app, &me).await?,
    };
    render_form(&app, "communities/propose.html", StatusCode::OK, &page, &form, x)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ProposeForm {
    name: String,
    kind: String,
    description: String,
    access: String,
    tags: String,
}

/// Parses what a community's form says (proposal or edit); refusals go to `form`.
pub(crate) fn parse_common(
    page: &Page,
    form: &mut FormState,
    name: &str,
    description: &str,
    access: &str,
    tags: &str,
) -> Option<(String, String, &'static str, Vec<String>)> {
    let l = page.locale;
    let name = name.trim().to_owned();
    if !(2..=80).contains(&name.chars().count()) {
        form.field_error("name", t(l, "communities.errors.name", &[]));
    }
    let description = description.trim().to_owned();
    if description.chars().count() > 5000 {
        form.field_error("description", t(l, "communities.errors.description", &[]));
    }
    let access = match access {
        "open" => Some("open"),
        "request" => Some("request"),
        _ => None,
    };
    if access.is_none() {
        form.field_error("access", t(l, "communities.errors.access", &[]));
    }
    let tags = echos_domain::contribution::tags(tags);
    if tags.is_none() {
        form.field_error("tags", t(l, "articles.errors.tags", &[]));
    }
    if !form.is_ok() {
        return None;
    }
    Some((name, description, access?, tags?))
}

pub(super) async fn propose(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Extension(address): Extension<crate::session::ClientAddress>,
    CsrfForm(f): CsrfForm<ProposeForm>,
) -> Result<Response, WebError> {
    let mut form = FormState::default()
        .value("name", &f.name)
        .value("kind", &f.kind)
        .value("description", &f.description)
        .value("access", &f.access)
        .value("tags", &f.tags);
    let at_once = open_at_once(&app, &me).await?;
    let x = || ProposeExtra { section: "communautes", kinds: communities::KINDS, open_at_once: at_once };
    if let Some(hold) = crate::limits::may_write(&app, &me, crate::limits::Writing::Other, Some(&address)).await? {
        form.error = Some(hold.message(page.locale));
        return hold.answer(render_form(&app, "communities/propose.html", hold.status(), &page, &form, x()));
    }
    let kind = communities::KINDS.iter().copied().find(|k| *k == f.kind);
    if kind.is_none() {
        form.field_error("kind", t(page.locale, "communities.errors.kind", &[]));
    }
    let parsed = parse_common(&page, &mut form, &f.name, &f.description, &f.access, &f.tags);
    let (Some(kind), Some((name, description_md, access, tags))) = (kind, parsed) else {
        return render_form(&app, "communities/propose.html", StatusCode::UNPROCESSABLE_ENTITY, &page, &form, x());
    };
    let p = Proposal { name, kind, description_md, access, tags, cover_key: None };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let c = communities::propose(&mut tx, me.tenant.id, &me.member, &p, at_once).await?;
    tx.commit().await?;
    Ok(Redirect::to(&if at_once { c.url() } else { "/communautes?ok=proposed".to_owned() }).into_response())
}

#[derive(Serialize)]
struct ShowPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    community: CommunityView,
    /// For the report form.
    community_id: i64,
    pinned: Vec<ContributionView>,
    items: Vec<ContributionView>,
    people: Vec<communities::Person>,
    membership: Option<Membership>,
    /// A moderator or owner of it (or a regional admin): the way to manage it.
    manages: bool,
    signed_in: bool,
    page_number: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
    feed_url: String,
    ok: String,
}

/// Whom a community's page is for: active (and archived) ones for everyone; a pending, refused or
/// hidden one only for its own members and the region's admins.
fn visible_to(c: &Community, membership: Option<Membership>, admin: bool) -> bool {
    matches!(c.status.as_str(), "active" | "archived") || admin || membership.is_some_and(|m| !m.pending)
}

pub(super) async fn show(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let me = viewer.as_ref().and_then(|v| v.member.clone());
    let me_id = me.as_ref().map(|m| m.id);
    let n = q.page.unwrap_or(1).clamp(1, 1000);
    let found = app
        .db
        .with_tenant(&tenant, |tx| {
            let slug = slug.clone();
            Box::pin(async move {
                let Some(c) = communities::by_slug(tx, &slug).await? else { return Ok(None) };
                let membership = match me_id {
                    Some(id) => communities::membership(tx, c.id, id).await?,
                    None => None,
                };
                let pinned_ids = communities::pinned(tx, c.id).await?;
                let pinned = contributions::by_ids(tx, &pinned_ids).await?;
                let (ids, total) = communities::feed(tx, c.id, FEED_PAGE, (n - 1) * FEED_PAGE).await?;
                let items = contributions::by_ids(tx, &ids).await?;
                let people = communities::people(tx, c.id).await?;
                Ok(Some((c, membership, pinned, items, total, people)))
            })
        })
        .await?;
    let (c, membership, pinned, items, total, people) = found.ok_or(WebError::NotFound)?;
    let admin = me.as_ref().is_some_and(|m| m.role.is_admin());
    if !visible_to(&c, membership, admin) {
        return Err(WebError::NotFound);
    }
    let manages = admin || membership.is_some_and(|m| !m.pending && m.role >= communities::Role::Moderator);
    let pages = (total + FEED_PAGE - 1) / FEED_PAGE;
    let base = c.url();
    let pinned_ids: Vec<i64> = pinned.iter().map(|p| p.id).collect();
    let ctx = ShowPage {
        page: &page,
        section: "communautes",
        pinned: pinned.into_iter().map(|x| ContributionView::of(x, &page, me.as_ref())).collect(),
        items: items
            .into_iter()
            .filter(|i| n > 1 || !pinned_ids.contains(&i.id))
            .map(|x| ContributionView::of(x, &page, me.as_ref()))
            .collect(),
        people: people.into_iter().filter(|p| manages || !p.pending).collect(),
        membership,
        manages,
        signed_in: me.is_some(),
        page_number: n,
        prev_url: (n > 1).then(|| format!("{base}?page={}", n - 1)),
        next_url: (n < pages).then(|| format!("{base}?page={}", n + 1)),
        feed_url: format!("{base}/flux.atom"),
        ok: q.ok,
        community_id: c.id,
        community: CommunityView::of(c),
    };
    Ok(Html(app.templates.render("communities/show.html", ctx)?).into_response())
}

/// A community's Atom feed (its published contributions).
pub(super) async fn feed(
    State(app): State<AppState>,
    Region(tenant): Region,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let c = app
        .db
        .with_tenant(&tenant, |tx| {
            let slug = slug.clone();
            Box::pin(async move { communities::by_slug(tx, &slug).await })
        })
        .await?
        .filter(|c| matches!(c.status.as_str(), "active" | "archived"))
        .ok_or(WebError::NotFound)?;
    let filter = Filter { community_id: Some(c.id), include_closed: true, ..Filter::default() };
    let title = format!("{} — {}", tenant.name, c.name);
    crate::contributions::feed(&app, &tenant, filter, &title, &c.url(), &format!("{}/flux.atom", c.url())).await
}

async fn community(app: &AppState, me: &SignedIn, slug: &str) -> Result<Community, WebError> {
    let slug = slug.to_owned();
    app.db
        .with_tenant(&me.tenant, |tx| {
            let slug = slug.clone();
            Box::pin(async move { communities::by_slug(tx, &slug).await })
        })
        .await?
        .ok_or(WebError::NotFound)
}

pub(super) async fn join(
    State(app): State<AppState>,
    me: SignedIn,
    Path(slug): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let c = community(&app, &me, &slug).await?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let joined = communities::join(&mut tx, me.tenant.id, &c, &me.member).await?;
    tx.commit().await?;
    let ok = match joined {
        Joined::Member | Joined::Already => "joined",
        Joined::Requested => "requested",
    };
    Ok(Redirect::to(&format!("{}?ok={ok}", c.url())).into_response())
}

pub(super) async fn leave(
    State(app): State<AppState>,
    me: SignedIn,
    Path(slug): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let c = community(&app, &me, &slug).await?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let left = communities::leave(&mut tx, &c, &me.member).await?;
    tx.commit().await?;
    let ok = match left {
        Ok(()) | Err(Refusal::NotThere) => "left",
        Err(Refusal::LastOwner) => "last_owner",
        Err(Refusal::NotAllowed) => return Err(WebError::Forbidden),
    };
    Ok(Redirect::to(&format!("{}?ok={ok}", c.url())).into_response())
}
