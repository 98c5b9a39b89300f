//! Running a community (`/communautes/{slug}/gerer`), for its moderators and owners (and the
//! region's admins): its page, access and report threshold (within the region's bounds), pinned
//! contributions, members and roles, requests to join; and its review queue. A member of another
//! community, or nobody's moderator, gets 403.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::communities::{self, Community, Edit, Refusal, Role};
use echos_core::{TenantTx, moderation, settings};
use serde::{Deserialize, Serialize};

use super::pages::{CommunityView, parse_common};
use crate::error::WebError;
use crate::forms::{FormState, render_form};
use crate::gate::{CsrfForm, SignedIn};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

/// The community, if `me` runs it (a moderator or owner, or a regional admin); 403 otherwise.
async fn managed(app: &AppState, me: &SignedIn, slug: &str) -> Result<Community, WebError> {
    let (slug, id) = (slug.to_owned(), me.member.id);
    let admin = me.member.role.is_admin();
    let found = app
        .db
        .with_tenant(&me.tenant, |tx| {
            let slug = slug.clone();
            Box::pin(async move {
                let Some(c) = communities::by_slug(tx, &slug).await? else { return Ok(None) };
                let runs = admin || communities::moderates(tx, c.id, id).await?;
                Ok(Some((c, runs)))
            })
        })
        .await?;
    match found {
        None => Err(WebError::NotFound),
        Some((_, false)) => Err(WebError::Forbidden),
        Some((c, true)) => Ok(c),
    }
}

/// The community, if `me` may change it now: an archived or refused community is read-only but for
/// the region's admins (403).
async fn changeable(app: &AppState, me: &SignedIn, slug: &str) -> Result<Community, WebError> {
    let c = managed(app, me, slug).await?;
    if matches!(c.status.as_str(), "archived" | "refused") && !me.member.role.is_admin() {
        return Err(WebError::Forbidden);
    }
    Ok(c)
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    erreur: String,
}

#[derive(Serialize)]
struct ManageExtra {
    section: &'static str,
    community: CommunityView,
    people: Vec<communities::Person>,
    /// The actor is an owner (or a regional admin): may name and remove owners.
    owner: bool,
    me_id: i64,
    pinned: Vec<(i64, String, String)>,
    /// Its published contributions that may be pinned: (id, title, url).
    pinnable: Vec<(i64, String, String)>,
    threshold_min: i64,
    threshold_max: i64,
    region_threshold: i64,
    ok: String,
    error: String,
}

async fn show(
    app: &AppState,
    me: &SignedIn,
    page: &Page,
    c: Community,
    form: &FormState,
    status: StatusCode,
    done: Done,
) -> Result<Response, WebError> {
    let (cid, me_id) = (c.id, me.member.id);
    let admin = me.member.role.is_admin();
    let (people, mine, pinned, pinnable, s) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let people = communities::people(tx, cid).await?;
                let mine = communities::membership(tx, cid, me_id).await?;
                let pinned_ids = communities::pinned(tx, cid).await?;
                let pinned = echos_core::contributions::by_ids(tx, &pinned_ids).await?;
                let (ids, _) = communities::feed(tx, cid, 30, 0).await?;
                let recent = echos_core::contributions::by_ids(tx, &ids).await?;
                Ok((people, mine, pinned, recent, settings::region(tx).await?))
            })
        })
        .await?;
    let row = |x: echos_core::contributions::Contribution| (x.id, x.title.clone(), x.url());
    let pinned_ids: Vec<i64> = pinned.iter().map(|p| p.id).collect();
    let x = ManageExtra {
        section: "communautes",
        people,
        owner: admin || mine.is_some_and(|m| m.role == Role::Owner),
        me_id,
        pinned: pinned.into_iter().map(row).collect(),
        pinnable: pinnable.into_iter().filter(|p| !pinned_ids.contains(&p.id)).map(row).collect(),
        threshold_min: s.threshold_min,
        threshold_max: s.threshold_max,
        region_threshold: s.report_threshold,
        ok: done.ok,
        error: done.erreur,
        community: CommunityView::of(c),
    };
    render_form(app, "communities/manage.html", status, page, form, x)
}

fn values(c: &Community) -> FormState {
    FormState::default()
        .value("name", &c.name)
        .value("description", &c.description_md)
        .value("access", &c.access)
        .value("tags", &c.tags.join(", "))
        .value("report_threshold", &c.report_threshold.map(|t| t.to_string()).unwrap_or_default())
}

pub(super) async fn form(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let c = managed(&app, &me, &slug).await?;
    let form = values(&c);
    show(&app, &me, &page, c, &form, StatusCode::OK, done).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct EditForm {
    name: String,
    description: String,
    access: String,
    tags: String,
    report_threshold: String,
}

pub(super) async fn edit(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Path(slug): Path<String>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> Result<Response, WebError> {
    let c = changeable(&app, &me, &slug).await?;
    let mut form = FormState::default()
        .value("name", &f.name)
        .value("description", &f.description)
        .value("access", &f.access)
        .value("tags", &f.tags)
        .value("report_threshold", &f.report_threshold);
    let s = app.db.with_tenant(&me.tenant, |tx| Box::pin(settings::region(tx))).await?;
    let threshold = match f.report_threshold.trim() {
        "" => Some(None),
        v => v.parse::<i64>().ok().filter(|t| (s.threshold_min..=s.threshold_max).contains(t)).map(|t| Some(t as i16)),
    };
    if threshold.is_none() {
        let bounds = [("min", s.threshold_min.to_string()), ("max", s.threshold_max.to_string())];
        form.field_error("report_threshold", t(page.locale, "communities.errors.threshold", &bounds));
    }
    let parsed = parse_common(&page, &mut form, &f.name, &f.description, &f.access, &f.tags);
    let (Some(report_threshold), Some((name, description_md, access, tags))) = (threshold, parsed) else {
        return show(&app, &me, &page, c, &form, StatusCode::UNPROCESSABLE_ENTITY, Done::default()).await;
    };
    let e = Edit { name, description_md, access, tags, report_threshold, cover_key: None };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let done = communities::edit(&mut tx, &c, &me.member, &e).await?;
    tx.commit().await?;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{}/gerer?ok=saved", c.url())).into_response()),
        Err(_) => Err(WebError::Forbidden),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MemberForm {
    /// `member`, `moderator`, `owner`, or `remove`.
    role: String,
}

/// Names a member moderator or owner, back to member, or removes them.
pub(super) async fn member(
    State(app): State<AppState>,
    me: SignedIn,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<MemberForm>,
) -> Result<Response, WebError> {
    let c = changeable(&app, &me, &slug).await?;
    let role = match f.role.as_str() {
        "remove" => None,
        r => Some(Role::parse(r).ok_or(WebError::BadRequest)?),
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let done = communities::set_role(&mut tx, &c, &me.member, id, role).await?;
    tx.commit().await?;
    let q = match done {
        Ok(()) => "ok=member",
        Err(Refusal::LastOwner) => "erreur=last_owner",
        Err(Refusal::NotAllowed) => return Err(WebError::Forbidden),
        Err(Refusal::NotThere) => return Err(WebError::NotFound),
    };
    Ok(Redirect::to(&format!("{}/gerer?{q}#membres", c.url())).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RequestForm {
    /// `accept` or `decline`.
    answer: String,
}

pub(super) async fn request(
    State(app): State<AppState>,
    me: SignedIn,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(f): CsrfForm<RequestForm>,
) -> Result<Response, WebError> {
    let c = changeable(&app, &me, &slug).await?;
    let accept = match f.answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(WebError::BadRequest),
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let done = communities::answer_request(&mut tx, me.tenant.id, &c, &me.member, id, accept).await?;
    tx.commit().await?;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{}/gerer?ok=request#demandes", c.url())).into_response()),
        Err(Refusal::NotAllowed) => Err(WebError::Forbidden),
        Err(_) => Err(WebError::NotFound),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PinForm {
    contribution: i64,
    /// `pin` or `unpin`.
    action: String,
}

pub(super) async fn pin(
    State(app): State<AppState>,
    me: SignedIn,
    Path(slug): Path<String>,
    CsrfForm(f): CsrfForm<PinForm>,
) -> Result<Response, WebError> {
    let c = changeable(&app, &me, &slug).await?;
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let done = communities::pin(&mut tx, &c, &me.member, f.contribution, f.action != "unpin").await?;
    tx.commit().await?;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{}/gerer?ok=pins#epingles", c.url())).into_response()),
        Err(Refusal::NotAllowed) => Err(WebError::Forbidden),
        Err(_) => Err(WebError::NotFound),
    }
}

#[derive(Serialize)]
struct QueuePage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    community: CommunityView,
    cases: Vec<moderation::Case>,
    /// Suspensions and bans are the regional admins'.
    may_sanction: bool,
    ok: String,
}

/// The community's review queue: its items with pending reports, hidden ones first.
pub(super) async fn queue(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let c = managed(&app, &me, &slug).await?;
    let cid = c.id;
    let cases = app.db.with_tenant(&me.tenant, |tx| Box::pin(moderation::queue(tx, Some(cid), 100))).await?;
    let ctx = QueuePage {
        page: &page,
        section: "communautes",
        community: CommunityView::of(c),
        cases,
        may_sanction: me.member.role.is_admin(),
        ok: done.ok,
    };
    Ok(Html(app.templates.render("moderation/queue.html", ctx)?).into_response())
}
