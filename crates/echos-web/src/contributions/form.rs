//! The contribution form: what is typed, parsed into a `Draft` (every refusal named on its field),
//! completed against the database (co-authors, a dossier's items, the cover), and re-shown as
//! typed after a refusal.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use echos_core::Tenant;
use echos_core::contributions::{Draft, Refusal};
use echos_core::structures::{self, Named};
use echos_domain::contribution::{self as parse, Kind};
use serde::{Deserialize, Serialize};

use super::images::store_image;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::{Files, SignedIn};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;
use crate::uploads::Upload;
use echos_core::communities;

/// The form as submitted (urlencoded, or multipart with a cover image).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ContributionForm {
    title: String,
    summary: String,
    body: String,
    tags: String,
    status: String,
    url: String,
    announcement_kind: String,
    closes_on: String,
    items: String,
    coauthors: String,
    /// What the cover shows, in words.
    cover_alt: String,
    /// The id of the community it is published into; empty: none.
    community: String,
    /// The id of a structure the member signs for; empty: the member.
    pub(super) au_nom_de: String,
    /// An event's and a place's own fields.
    #[serde(flatten)]
    pub(super) located: super::located::LocatedForm,
    /// A project's: funding link, goal, the last day of its vote (or its call), its team.
    funding_url: String,
    goal: String,
    vote_closes_on: String,
    call: String,
    team: String,
}

impl ContributionForm {
    pub(super) fn keep(&self) -> FormState {
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
            .value("cover_alt", &self.cover_alt)
            .value("community", &self.community)
            .value("au_nom_de", &self.au_nom_de)
            .values(self.located.values())
            .value("funding_url", &self.funding_url)
            .value("goal", &self.goal)
            .value("vote_closes_on", &self.vote_closes_on)
            .value("call", &self.call)
            .value("team", &self.team)
    }

    /// The draft, or `None` with the reasons in `form`. Co-authors are checked against the
    /// region's members afterwards (`complete_draft`).
    pub(super) fn parse(&self, kind: Kind, page: &Page, time_zone: &str, form: &mut FormState) -> Option<Draft> {
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
        let cover_alt = self.cover_alt.trim().to_owned();
        if cover_alt.chars().count() > 300 {
            form.field_error("cover_alt", t(l, "articles.errors.cover_alt", &[]));
            return None;
        }
        let community = match self.community.trim() {
            "" => None,
            id => match id.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    form.field_error("community", t(l, "communities.errors.not_member", &[]));
                    return None;
                }
            },
        };
        let event = (kind == Kind::Event).then(|| self.located.event(l, time_zone, form)).flatten();
        let place = (kind == Kind::Place).then(|| self.located.place(l, form)).flatten();
        let mut draft = Draft::new(kind, title?, summary?, body?, tags?, self.status != "draft");
        draft.event = event;
        draft.place = place;
        if kind == Kind::Project {
            draft.project = self.project(l, time_zone, form);
        }
        draft.cover_alt = cover_alt;
        draft.community_id = community;
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
            Kind::Article | Kind::Debate | Kind::Event | Kind::Place | Kind::Project => {}
        }
        form.errors.is_empty().then_some(draft)
    }

    /// A project's fields; its team is resolved against the region's members in `complete_draft`.
    fn project(
        &self,
        l: echos_domain::Locale,
        time_zone: &str,
        form: &mut FormState,
    ) -> Option<echos_core::projects::ProjectDraft> {
        let funding_url = match self.funding_url.trim() {
            "" => None,
            u => match parse::web_url(u) {
                Some(u) => Some(u),
                None => {
                    form.field_error("funding_url", t(l, "events.errors.url", &[]));
                    None
                }
            },
        };
        let goal = self.goal.split_whitespace().collect::<Vec<_>>().join(" ");
        if goal.chars().count() > 300 {
            form.field_error("goal", t(l, "projects.errors.goal", &[]));
        }
        let call_id = match self.call.trim() {
            "" => None,
            c => match c.parse::<i64>() {
                Ok(c) => Some(c),
                Err(_) => {
                    form.field_error("call", t(l, "projects.errors.call", &[]));
                    None
                }
            },
        };
        let today = time::OffsetDateTime::now_utc().date();
        let closes_on = match (call_id, self.vote_closes_on.trim()) {
            (Some(_), _) => None,
            (None, "") => {
                form.field_error("vote_closes_on", t(l, "projects.errors.closes_missing", &[]));
                None
            }
            (None, d) => match echos_domain::event::date(d) {
                Some(d) if d >= today && (d - today).whole_days() <= echos_core::projects::MAX_VOTING_DAYS => Some(d),
                Some(_) => {
                    form.field_error(
                        "vote_closes_on",
                        t(
                            l,
                            "projects.errors.closes_range",
                            &[("n", echos_core::projects::MAX_VOTING_DAYS.to_string())],
                        ),
                    );
                    None
                }
                None => {
                    form.field_error("vote_closes_on", t(l, "events.errors.date", &[]));
                    None
                }
            },
        };
        if self.team_handles().len() > 10 {
            form.field_error("team", t(l, "projects.errors.team", &[]));
        }
        form.errors.is_empty().then(|| echos_core::projects::ProjectDraft {
            funding_url,
            goal,
            closes_on,
            time_zone: time_zone.to_owned(),
            call_id,
            team: Vec::new(),
        })
    }

    fn team_handles(&self) -> Vec<String> {
        self.team
            .split(',')
            .map(|h| h.trim().trim_start_matches('@').to_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    }

    fn coauthor_handles(&self) -> Vec<String> {
        self.coauthors
            .split(',')
            .map(|h| h.trim().trim_start_matches('@').to_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    }
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
    /// The communities the member may publish into: (id, name).
    communities: &'a [(i64, String)],
    event_kinds: &'static [&'static str],
    audiences: &'static [&'static str],
    place_kinds: &'static [&'static str],
    /// Where the map picker opens, and its tiles.
    map: &'a echos_core::tenants::MapSettings,
    /// The calls open now (a project may be submitted to one): (id, title).
    calls: &'a [(i64, String)],
}

/// Where the form is sent and what it offers.
pub(super) struct FormTarget {
    pub(super) kind: Kind,
    pub(super) action: String,
    pub(super) editing: bool,
    pub(super) cover_key: Option<String>,
    pub(super) structures: Vec<Named>,
    pub(super) communities: Vec<(i64, String)>,
    pub(super) map: echos_core::tenants::MapSettings,
    pub(super) calls: Vec<(i64, String)>,
}

/// The calls open now, for a project's form.
async fn open_calls(app: &AppState, me: &SignedIn, kind: Kind) -> Result<Vec<(i64, String)>, WebError> {
    if kind != Kind::Project {
        return Ok(Vec::new());
    }
    let all = app
        .db
        .with_tenant(&me.tenant, |tx| Box::pin(async move { echos_core::projects::open_calls(tx).await }))
        .await?;
    Ok(all.into_iter().map(|c| (c.id, c.title)).collect())
}

/// The active communities a member belongs to, for the form's choice.
async fn communities_of(app: &AppState, me: &SignedIn) -> Result<Vec<(i64, String)>, WebError> {
    let id = me.member.id;
    let all =
        app.db.with_tenant(&me.tenant, |tx| Box::pin(async move { communities::of_member(tx, id).await })).await?;
    Ok(all.into_iter().filter(|(c, _)| c.status == "active").map(|(c, _)| (c.id, c.name)).collect())
}

impl FormTarget {
    /// The form of a new contribution, offering the structures this member acts for.
    pub(super) async fn new(app: &AppState, me: &SignedIn, kind: Kind) -> Result<Self, WebError> {
        let id = me.member.id;
        let structures =
            app.db.with_tenant(&me.tenant, |tx| Box::pin(async move { structures::managed_by(tx, id).await })).await?;
        let communities = communities_of(app, me).await?;
        Ok(Self {
            kind,
            action: format!("/{}", kind.segment()),
            editing: false,
            cover_key: None,
            structures,
            communities,
            map: me.tenant.map.clone(),
            calls: open_calls(app, me, kind).await?,
        })
    }

    /// The form that edits contribution `id`.
    pub(super) async fn edit(
        app: &AppState,
        me: &SignedIn,
        kind: Kind,
        id: i64,
        cover_key: Option<String>,
    ) -> Result<Self, WebError> {
        Ok(Self {
            kind,
            action: format!("/{}/{id}/modifier", kind.segment()),
            editing: true,
            cover_key,
            structures: vec![],
            communities: communities_of(app, me).await?,
            map: me.tenant.map.clone(),
            calls: open_calls(app, me, kind).await?,
        })
    }

    pub(super) fn render(
        &self,
        app: &AppState,
        status: StatusCode,
        page: &Page,
        form: &FormState,
    ) -> Result<Response, WebError> {
        let ctx = FormCtx {
            page,
            section: self.kind.segment(),
            kind: self.kind.code(),
            segment: self.kind.segment(),
            form,
            action: self.action.clone(),
            editing: self.editing,
            cover_url: self.cover_key.as_ref().map(|k| format!("/media/{k}")),
            announcement_kinds: &parse::ANNOUNCEMENT_KINDS,
            min_date: time::OffsetDateTime::now_utc().date().to_string(),
            structures: &self.structures,
            communities: &self.communities,
            event_kinds: &echos_domain::event::EVENT_KINDS,
            audiences: &echos_domain::event::AUDIENCES,
            place_kinds: &echos_domain::event::PLACE_KINDS,
            map: &self.map,
            calls: &self.calls,
        };
        let mut resp = (status, Html(app.templates.render("contributions/form.html", ctx)?)).into_response();
        // The map picker draws the region's tiles.
        if self.kind.is_located()
            && let Some(csp) = crate::events::map_csp(&self.map.tile_url)
        {
            resp.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, csp);
        }
        Ok(resp)
    }
}

/// Everything a create or update needs checked beyond the form itself: co-authors that are
/// members here, a dossier's items of this region, and the cover image (stored once everything
/// else is fine). `Err` carries the status for the re-shown form.
pub(super) async fn complete_draft(
    app: &AppState,
    tenant: &Tenant,
    page: &Page,
    f: &ContributionForm,
    files: &mut Files,
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
                Box::pin(async move { echos_core::contributions::members_by_handle(tx, &wanted).await })
            })
            .await?;
        if let Some(unknown) = handles.iter().find(|h| !found.iter().any(|(fh, _)| fh == *h)) {
            form.field_error("coauthors", t(l, "kinds.dossier.errors.unknown_member", &[("handle", unknown.clone())]));
            return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
        }
        draft.coauthors = found.into_iter().map(|(_, id)| id).collect();
    }
    if let Some(base) = tenant.map.geocoder_url.as_deref() {
        let location = match (&mut draft.event, &mut draft.place) {
            (Some(e), _) => Some(&mut e.location),
            (_, Some(p)) => Some(&mut p.location),
            _ => None,
        };
        if let Some(loc) = location
            && loc.point.is_none()
            && !loc.address.is_empty()
        {
            match crate::events::geocode(app, base, &loc.address).await {
                Some(point) => loc.point = Some(point),
                None => {
                    form.field_error("address", t(l, "events.errors.not_found", &[]));
                    return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
                }
            }
        }
    }
    if draft.kind == Kind::Project {
        let wanted = f.team_handles();
        let found = app
            .db
            .with_tenant(tenant, |tx| {
                let wanted = wanted.clone();
                Box::pin(async move { echos_core::contributions::members_by_handle(tx, &wanted).await })
            })
            .await?;
        if let Some(unknown) = wanted.iter().find(|h| !found.iter().any(|(fh, _)| fh == *h)) {
            form.field_error("team", t(l, "kinds.dossier.errors.unknown_member", &[("handle", unknown.clone())]));
            return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
        }
        if let Some(p) = &mut draft.project {
            p.team = found.into_iter().map(|(_, id)| id).collect();
        }
    }
    match files.take("cover") {
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

/// The message of a refusal by what is in the database.
pub(super) fn refuse(page: &Page, form: &mut FormState, refusal: &Refusal) {
    match refusal {
        Refusal::BadItem(id) => {
            form.field_error("items", t(page.locale, "kinds.dossier.errors.bad_item", &[("id", id.to_string())]))
        }
        Refusal::Hidden => form.error = Some(t(page.locale, "moderation.errors.hidden_meanwhile", &[])),
        Refusal::NotInCommunity => form.field_error("community", t(page.locale, "communities.errors.not_member", &[])),
        Refusal::PeriodLocked => form.field_error("vote_closes_on", t(page.locale, "projects.errors.locked", &[])),
        Refusal::CallClosed => form.field_error("call", t(page.locale, "projects.errors.call", &[])),
    }
}

/// A cover stored for a draft that was then refused: nothing points at it.
pub(super) async fn discard_cover(app: &AppState, tenant: &Tenant, draft: &Draft) {
    if let Some(key) = &draft.cover_key
        && let Err(e) = app.media.delete_for(tenant.id, key).await
    {
        tracing::warn!(error = ?e, "deleting an unused cover failed");
    }
}
