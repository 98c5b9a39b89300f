//! The personal space (`/mon-espace`): my publications and drafts, "Mon fil" (what the members
//! and tags I follow publish), what I follow, and a structure's managers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use echos_core::{contributions, follows, structures};
use echos_domain::contribution::Status;
use echos_domain::member::MemberKind;
use serde::Serialize;

use super::profile::MemberView;
use crate::contributions::ContributionView;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::SignedIn;
use crate::site::Page;
use crate::state::AppState;

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
    /// Their contributions hidden by reports, pending review.
    hidden: Vec<ContributionView>,
    /// The communities they belong to, with their role there.
    communities: Vec<MyCommunity>,
}

#[derive(Serialize)]
struct MyCommunity {
    name: String,
    url: String,
    status: String,
    role: echos_core::communities::Role,
}

#[derive(Serialize)]
struct FollowedMember {
    handle: String,
    display_name: String,
}

pub(super) async fn my_space(State(app): State<AppState>, me: SignedIn, page: Page) -> Result<Response, WebError> {
    render_space(&app, &page, &me, &FormState::default(), StatusCode::OK).await
}

/// The personal space; `managers_form` is the structure's "who publishes for us" form as typed.
pub(super) async fn render_space(
    app: &AppState,
    page: &Page,
    me: &SignedIn,
    managers_form: &FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let member = &me.member;
    let member_id = member.id;
    let is_structure = member.kind == MemberKind::Structure;
    let (published, drafts, feed, (followed_members, followed_tags), (managers, acts_for), (hidden, communities)) = app
        .db
        .with_tenant(&me.tenant, |tx| {
            Box::pin(async move {
                let published = contributions::by_author(tx, member_id, Status::Published, 20).await?;
                let drafts = contributions::by_author(tx, member_id, Status::Draft, 20).await?;
                let feed = follows::feed(tx, member_id, 20, 0).await?;
                let followed = follows::followed(tx, member_id).await?;
                let managers = if is_structure { structures::managers(tx, member_id).await? } else { Vec::new() };
                let acts_for = structures::managed_by(tx, member_id).await?;
                let hidden = contributions::by_author(tx, member_id, Status::Hidden, 20).await?;
                let communities = echos_core::communities::of_member(tx, member_id).await?;
                Ok((published, drafts, feed, followed, (managers, acts_for), (hidden, communities)))
            })
        })
        .await?;
    let views = |list: Vec<contributions::Contribution>| {
        list.into_iter().map(|c| ContributionView::of(c, page, Some(member))).collect()
    };
    let ctx = SpacePage {
        page,
        member: MemberView::of(member, page.locale, Some(me.account_id)),
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
        hidden: views(hidden),
        communities: communities
            .into_iter()
            .map(|(c, role)| MyCommunity { url: c.url(), name: c.name, status: c.status, role })
            .collect(),
    };
    Ok((status, Html(app.templates.render("members/my_space.html", ctx)?)).into_response())
}
