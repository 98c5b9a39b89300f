//! Writing: "Je contribue" (which kind), the form of a new contribution, editing, deleting after a
//! confirmation page. A structure's managers sign for it; co-authors edit a dossier; the region's
//! editors edit anything and its admins delete anything.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::contributions::{self, Contribution};
use echos_core::{TenantTx, structures};
use echos_domain::contribution::{self as parse, Kind, Status};
use serde::Serialize;

use super::ContributionView;
use super::form::{ContributionForm, FormTarget, complete_draft, discard_cover, refuse};
use crate::error::WebError;
use crate::forms::{Empty, FormState};
use crate::gate::{CsrfForm, CsrfMultipart, SignedIn};
use crate::limits::{Writing, may_write};
use crate::session::ClientAddress;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct ChoosePage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    /// The kinds the region offers: (code, path segment).
    kinds: Vec<(&'static str, &'static str)>,
}

/// "Je contribue": which kind to write (of those the region offers).
pub(super) async fn choose(State(app): State<AppState>, me: SignedIn, page: Page) -> Result<Response, WebError> {
    let kinds = me.tenant.kinds.iter().map(|k| (k.code(), k.segment())).collect();
    let html =
        app.templates.render("contributions/choose.html", ChoosePage { page: &page, section: "contribuer", kinds })?;
    Ok(Html(html).into_response())
}

pub(super) async fn new_form(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    page: Page,
) -> Result<Response, WebError> {
    let target = FormTarget::new(&app, &me, kind).await?;
    target.render(&app, StatusCode::OK, &page, &FormState::default())
}

pub(super) async fn create(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    CsrfMultipart { form: f, mut files }: CsrfMultipart<ContributionForm>,
) -> Result<Response, WebError> {
    let tenant = me.tenant.clone();
    let target = FormTarget::new(&app, &me, kind).await?;
    let mut form = f.keep();
    if let Some(hold) = may_write(&app, &me, Writing::Contribution, Some(&address)).await? {
        form.error = Some(hold.message(page.locale));
        return hold.answer(target.render(&app, hold.status(), &page, &form));
    }
    let Some(mut draft) = f.parse(kind, &page, &tenant.time_zone, &mut form) else {
        return target.render(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form);
    };
    if let Err(status) = complete_draft(&app, &tenant, &page, &f, &mut files, &mut draft, &mut form).await? {
        return target.render(&app, status, &page, &form);
    }
    // Signed by the member, or by a structure they act for (and only then).
    let author = match f.au_nom_de.trim() {
        "" => me.member.id,
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
            target.render(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form)
        }
    }
}

/// A contribution this member may edit; `as_author` when they may also delete it (its author,
/// someone acting for the structure that signed it, or an admin — not a co-author or an editor).
struct Editable {
    item: Contribution,
    as_author: bool,
}

/// The contribution, if this member may change it: 404 when it is not there (or of another
/// kind), 403 when it is someone else's (and the member neither a co-author nor an editor). A
/// contribution hidden by reports is still its author's: the form opens, and saving it says why
/// it waits (nothing typed is lost); for anyone else it is not there.
async fn editable(app: &AppState, me: &SignedIn, kind: Kind, id: i64) -> Result<Editable, WebError> {
    let me_id = me.member.id;
    let (item, coauthor, for_author) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let Some(item) = contributions::get_even_hidden(tx, id).await? else { return Ok((None, false, false)) };
                let coauthor = contributions::is_coauthor(tx, id, me_id).await?;
                let for_author = structures::acts_for(tx, me_id, item.author_id).await?;
                Ok((Some(item), coauthor, for_author))
            })
        })
        .await?;
    let item = item.filter(|c| c.kind == kind).ok_or(WebError::NotFound)?;
    let as_author = me_id == item.author_id || for_author || me.member.role.is_admin();
    let published = item.status == Status::Published;
    let may_edit = as_author || coauthor || (published && me.member.role.edits_any());
    if !may_edit {
        return Err(if published { WebError::Forbidden } else { WebError::NotFound });
    }
    Ok(Editable { item, as_author })
}

pub(super) async fn edit_form(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let c = editable(&app, &me, kind, id).await?.item;
    let (items, coauthors) = if kind == Kind::Dossier {
        app.db
            .with_tenant(&me.tenant, |tx| {
                Box::pin(async move {
                    Ok((contributions::dossier_items(tx, id).await?, contributions::coauthors(tx, id).await?))
                })
            })
            .await?
    } else {
        (Vec::new(), Vec::new())
    };
    let located = if kind.is_located() {
        let tz = me.tenant.time_zone.clone();
        let d = app
            .db
            .with_tenant(&me.tenant, |tx| {
                let tz = tz.clone();
                Box::pin(async move { echos_core::events::details(tx, id, &tz).await })
            })
            .await?;
        super::located::values_of(&d)
    } else {
        Vec::new()
    };
    let project = if kind == Kind::Project {
        let tz = me.tenant.time_zone.clone();
        let (funding, goal, closes, call, team) = app
            .db
            .with_tenant(&me.tenant, |tx| {
                let tz = tz.clone();
                Box::pin(async move { echos_core::projects::form_values(tx, id, &tz).await })
            })
            .await?;
        vec![
            ("funding_url", funding),
            ("goal", goal),
            ("vote_closes_on", closes.map(|d| d.to_string()).unwrap_or_default()),
            ("call", call.map(|c| c.to_string()).unwrap_or_default()),
            ("team", team.join(", ")),
        ]
    } else {
        Vec::new()
    };
    let form = FormState::default()
        .values(project.iter().map(|(k, v)| (*k, v.as_str())))
        .value("title", &c.title)
        .value("summary", &c.summary)
        .value("body", &c.body_md)
        .value("tags", &c.tags.join(", "))
        .value("url", c.link_url.as_deref().unwrap_or_default())
        .value("announcement_kind", c.announcement_kind.as_deref().unwrap_or_default())
        .value("closes_on", &c.closes_on.map(|d| d.to_string()).unwrap_or_default())
        .value("items", &items.iter().map(Contribution::url).collect::<Vec<_>>().join("\n"))
        .value("coauthors", &coauthors.iter().map(|(_, h, _)| h.as_str()).collect::<Vec<_>>().join(", "))
        .value("cover_alt", &c.cover_alt)
        .value("community", &c.community_id.map(|i| i.to_string()).unwrap_or_default())
        .values(located.iter().map(|(k, v)| (*k, v.as_str())));
    FormTarget::edit(&app, &me, kind, id, c.cover_key).await?.render(&app, StatusCode::OK, &page, &form)
}

pub(super) async fn update(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    page: Page,
    Path(id): Path<i64>,
    CsrfMultipart { form: f, mut files }: CsrfMultipart<ContributionForm>,
) -> Result<Response, WebError> {
    let tenant = me.tenant.clone();
    let current = editable(&app, &me, kind, id).await?.item;
    let target = FormTarget::edit(&app, &me, kind, id, current.cover_key.clone()).await?;
    let mut form = f.keep();
    if let Some(hold) = may_write(&app, &me, Writing::Other, None).await? {
        form.error = Some(hold.message(page.locale));
        return hold.answer(target.render(&app, hold.status(), &page, &form));
    }
    let Some(mut draft) = f.parse(kind, &page, &tenant.time_zone, &mut form) else {
        return target.render(&app, StatusCode::UNPROCESSABLE_ENTITY, &page, &form);
    };
    if let Err(status) = complete_draft(&app, &tenant, &page, &f, &mut files, &mut draft, &mut form).await? {
        return target.render(&app, status, &page, &form);
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
            let status = if refusal == contributions::Refusal::Hidden {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            target.render(&app, status, &page, &form)
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
pub(super) async fn delete_form(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let editable = editable(&app, &me, kind, id).await?;
    if !editable.as_author {
        return Err(WebError::Forbidden);
    }
    let ctx = DeletePage {
        section: kind.segment(),
        item: ContributionView::of(editable.item, &page, Some(&me.member)),
        page: &page,
    };
    Ok(Html(app.templates.render("contributions/delete.html", ctx)?).into_response())
}

pub(super) async fn delete(
    State(app): State<AppState>,
    Extension(kind): Extension<Kind>,
    me: SignedIn,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    // Co-authors and editors edit; deleting stays with the author (and the region's admins).
    if !editable(&app, &me, kind, id).await?.as_author {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    contributions::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/{}?supprime=1", kind.segment())).into_response())
}
