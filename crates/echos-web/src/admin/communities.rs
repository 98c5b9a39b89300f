//! The console's communities (`/admin/communautes`: proposals to approve or refuse, every
//! community to archive, reopen, delete or hand over) and moderation (`/admin/moderation`: the
//! region's review queue, and who reports — often, and overturned).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::communities::{self, Community};
use echos_core::{TenantTx, moderation};
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::gate::{CsrfForm, RegionAdmin};
use crate::site::Page;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    erreur: String,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    slug: String,
    name: String,
    kind: String,
    status: String,
    members: i64,
    description_html: String,
    url: String,
}

impl Row {
    fn of(c: Community) -> Self {
        Self {
            url: c.url(),
            id: c.id,
            slug: c.slug,
            name: c.name,
            kind: c.kind,
            status: c.status,
            members: c.members,
            description_html: c.description_html,
        }
    }
}

#[derive(Serialize)]
struct CommunitiesPage {
    pending: Vec<Row>,
    active: Vec<Row>,
    archived: Vec<Row>,
    hidden: Vec<Row>,
    ok: String,
    error: String,
}

pub(super) async fn list(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let (pending, active, archived, hidden) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                Ok((
                    communities::list(tx, "pending", 200, 0).await?.0,
                    communities::list(tx, "active", 500, 0).await?.0,
                    communities::list(tx, "archived", 200, 0).await?.0,
                    communities::list(tx, "hidden", 200, 0).await?.0,
                ))
            })
        })
        .await?;
    let rows = |v: Vec<Community>| v.into_iter().map(Row::of).collect();
    let x = CommunitiesPage {
        pending: rows(pending),
        active: rows(active),
        archived: rows(archived),
        hidden: rows(hidden),
        ok: done.ok,
        error: done.erreur,
    };
    render(&app, "admin/communities.html", StatusCode::OK, &page, "communities", x)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ActForm {
    reason: String,
    handle: String,
}

/// Approve, refuse (with a reason), archive, reopen, delete, hand over.
pub(super) async fn act(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Path((id, action)): Path<(i64, String)>,
    CsrfForm(f): CsrfForm<ActForm>,
) -> Result<Response, WebError> {
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    let c = communities::get(&mut tx, id).await?.ok_or(WebError::NotFound)?;
    let q = match action.as_str() {
        "approuver" => {
            communities::approve(&mut tx, me.tenant.id, &me.member, &c).await?;
            "ok=approved"
        }
        "refuser" => {
            let reason = f.reason.trim();
            if reason.is_empty() || reason.chars().count() > 1000 {
                tx.rollback().await?;
                return Ok(Redirect::to("/admin/communautes?erreur=reason").into_response());
            }
            communities::refuse(&mut tx, me.tenant.id, &me.member, &c, reason).await?;
            "ok=refused"
        }
        "archiver" => {
            communities::archive(&mut tx, &me.member, &c, true).await?;
            "ok=archived"
        }
        "rouvrir" => {
            communities::archive(&mut tx, &me.member, &c, false).await?;
            "ok=reopened"
        }
        "supprimer" => {
            communities::delete(&mut tx, &me.member, &c).await?;
            "ok=deleted"
        }
        "transmettre" => {
            let handle = f.handle.trim().trim_start_matches('@').to_lowercase();
            if !communities::transfer(&mut tx, &me.member, &c, &handle).await? {
                tx.rollback().await?;
                return Ok(Redirect::to("/admin/communautes?erreur=handle").into_response());
            }
            "ok=transferred"
        }
        _ => return Err(WebError::NotFound),
    };
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/communautes?{q}")).into_response())
}

#[derive(Serialize)]
struct ModerationPage {
    cases: Vec<moderation::Case>,
    reporters: Vec<moderation::ReporterLine>,
    may_sanction: bool,
    ok: String,
}

/// The region's review queue and who reports.
pub(super) async fn moderation(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let (cases, reporters) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move { Ok((moderation::queue(tx, None, 200).await?, moderation::reporters(tx, 30).await?)) })
        })
        .await?;
    let x = ModerationPage { cases, reporters, may_sanction: true, ok: done.ok };
    render(&app, "admin/moderation.html", StatusCode::OK, &page, "moderation", x)
}
