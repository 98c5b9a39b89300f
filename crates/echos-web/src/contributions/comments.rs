//! Comments under a contribution: adding one (or a reply), editing and deleting one's own (the
//! region's admins delete any).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use echos_core::{Tenant, TenantTx, comments, contributions};
use serde::{Deserialize, Serialize};

use super::show::render_show;
use crate::error::WebError;
use crate::forms::{Empty, FormState};
use crate::gate::{CsrfForm, SignedIn};
use crate::i18n::t;
use crate::limits::{Writing, may_write};
use crate::session::ClientAddress;
use crate::site::Page;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CommentForm {
    body: String,
    parent_id: String,
}

pub(super) async fn add_comment(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Extension(address): Extension<ClientAddress>,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<CommentForm>,
) -> Result<Response, WebError> {
    let tenant = &me.tenant;
    let item = app
        .db
        .with_tenant(tenant, |tx| Box::pin(contributions::get(tx, id)))
        .await?
        .filter(|c| c.is_published())
        .ok_or(WebError::NotFound)?;
    let mut form = FormState::default().value("body", &f.body).value("parent_id", &f.parent_id);
    let member = Some(&me.member);
    if let Some(hold) = may_write(&app, &me, Writing::Other, Some(&address)).await? {
        form.error = Some(hold.message(page.locale));
        return hold.answer(render_show(&app, tenant, &page, member, item, &form, hold.status()).await);
    }
    let parent = match f.parent_id.as_str() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| WebError::BadRequest)?),
    };
    let Some(body) = comments::parse_body(&f.body) else {
        form.field_error("body", t(page.locale, "comments.errors.body", &[]));
        return render_show(&app, tenant, &page, member, item, &form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let link = item.url();
    let mut tx = TenantTx::begin(&app.db, tenant).await?;
    match comments::add(&mut tx, tenant.id, id, me.member.id, parent, &body, &link).await? {
        Ok(comment) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("{link}#commentaire-{comment}")).into_response())
        }
        Err(comments::AddError::BadParent) => {
            tx.rollback().await?;
            form.field_error("parent_id", t(page.locale, "comments.errors.parent", &[]));
            render_show(&app, tenant, &page, member, item, &form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The comment, if it is this member's own (404 when it is not there, 403 when it is someone
/// else's): its contribution's address and its Markdown.
async fn own_comment(app: &AppState, tenant: &Tenant, me: &SignedIn, id: i64) -> Result<(String, String), WebError> {
    let row = app.db.with_tenant(tenant, |tx| Box::pin(comments::get(tx, id))).await?.ok_or(WebError::NotFound)?;
    if row.author_id != me.member.id {
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

fn render_edit(
    app: &AppState,
    page: &Page,
    form: &FormState,
    id: i64,
    back: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let ctx = CommentEditPage {
        page,
        section: "",
        form,
        action: format!("/commentaires/{id}/modifier"),
        back: format!("{back}#commentaire-{id}"),
    };
    Ok((status, Html(app.templates.render("contributions/comment_edit.html", ctx)?)).into_response())
}

pub(super) async fn edit_comment_form(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (back, body) = own_comment(&app, &me.tenant, &me, id).await?;
    render_edit(&app, &page, &FormState::default().value("body", &body), id, &back, StatusCode::OK)
}

pub(super) async fn update_comment(
    State(app): State<AppState>,
    me: SignedIn,
    page: Page,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<CommentForm>,
) -> Result<Response, WebError> {
    let (back, _) = own_comment(&app, &me.tenant, &me, id).await?;
    let Some(body) = comments::parse_body(&f.body) else {
        let mut form = FormState::default().value("body", &f.body);
        form.field_error("body", t(page.locale, "comments.errors.body", &[]));
        return render_edit(&app, &page, &form, id, &back, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    comments::edit(&mut tx, id, &body).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{back}#commentaire-{id}")).into_response())
}

pub(super) async fn delete_comment(
    State(app): State<AppState>,
    me: SignedIn,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let comment =
        app.db.with_tenant(&me.tenant, |tx| Box::pin(comments::get(tx, id))).await?.ok_or(WebError::NotFound)?;
    if comment.author_id != me.member.id && !me.member.role.is_admin() {
        return Err(WebError::Forbidden);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    comments::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}#commentaires", comment.contribution_url)).into_response())
}
