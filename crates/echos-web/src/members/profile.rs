//! A member's public profile (`/membres/<handle>`) and its Atom feed.

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use echos_core::accounts::{self, Member};
use echos_core::contributions::{self, Filter};
use echos_core::follows;
use echos_domain::Locale;
use echos_domain::member::MemberKind;
use serde::Serialize;

use crate::contributions::ContributionView;
use crate::error::WebError;
use crate::format::long_date;
use crate::gate::Region;
use crate::session::Viewer;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
pub(super) struct MemberView<'a> {
    display_name: &'a str,
    handle: &'a str,
    kind: MemberKind,
    audience: Option<&'a str>,
    bio: &'a str,
    website: Option<&'a str>,
    location: Option<&'a str>,
    joined: String,
    is_me: bool,
    avatar_url: Option<String>,
}

impl<'a> MemberView<'a> {
    pub(super) fn of(m: &'a Member, locale: Locale, viewer_account: Option<uuid::Uuid>) -> Self {
        Self {
            display_name: &m.display_name,
            handle: &m.handle,
            kind: m.kind,
            audience: m.audience.as_deref(),
            bio: &m.bio,
            website: m.website.as_deref().filter(|w| w.starts_with("https://") || w.starts_with("http://")),
            location: m.location.as_deref(),
            joined: long_date(m.joined_at.date(), locale),
            is_me: viewer_account == Some(m.account_id),
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
    /// Where a signed-in visitor reports this profile.
    report_url: String,
}

pub(super) async fn show_member(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    viewer: Option<Extension<Viewer>>,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    if handle.len() > 48 {
        return Err(WebError::NotFound);
    }
    let me = viewer.as_ref().and_then(|v| v.member.as_ref());
    let me_id = me.map(|m| m.id);
    let admin = me.is_some_and(|m| m.role.is_admin());
    let (member, publications, followers, followed) = app
        .db
        .with_tenant(&tenant, |tx| {
            let handle = handle.clone();
            Box::pin(async move {
                let Some(member) = accounts::member_by_handle(tx, &handle).await? else { return Ok(None) };
                // A profile hidden by reports is out of sight but for its owner and the admins.
                let hidden = sqlx::query_scalar!(
                    r#"SELECT hidden_at IS NOT NULL AS "h!" FROM members WHERE id = $1"#,
                    member.id
                )
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| echos_core::CoreError::Unexpected(e.into()))?;
                if hidden && me_id != Some(member.id) && !admin {
                    return Ok(None);
                }
                let filter = Filter::by_author(member.id);
                let publications = contributions::published(tx, &filter, 12, 0).await?;
                let followers = follows::follower_count(tx, member.id).await?;
                let followed = match me_id {
                    Some(me) => follows::follows_member(tx, me, member.id).await?,
                    None => false,
                };
                Ok(Some((member, publications, followers, followed)))
            })
        })
        .await?
        .ok_or(WebError::NotFound)?;
    let ctx = MemberPage {
        page: &page,
        member: MemberView::of(&member, page.locale, viewer.as_ref().map(|v| v.account_id)),
        publications: publications.into_iter().map(|c| ContributionView::of(c, &page, me)).collect(),
        followers,
        followed,
        follow_action: format!("/membres/{}/suivre", member.handle),
        report_url: format!(
            "/signaler?type=member&id={}&retour={}",
            member.id,
            crate::format::urlencode(&format!("/membres/{}", member.handle))
        ),
    };
    Ok(Html(app.templates.render("members/profile.html", ctx)?).into_response())
}

/// The member of this region with this handle; 404 when there is none.
pub(super) async fn member_here(app: &AppState, tenant: &echos_core::Tenant, handle: &str) -> Result<Member, WebError> {
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
pub(super) async fn member_feed(
    State(app): State<AppState>,
    Region(tenant): Region,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let member = member_here(&app, &tenant, &handle).await?;
    let filter = Filter::by_author(member.id);
    let title = format!("{} — {}", tenant.name, member.display_name);
    let html = format!("/membres/{}", member.handle);
    crate::contributions::feed(&app, &tenant, filter, &title, &html, &format!("{html}/flux.atom")).await
}
