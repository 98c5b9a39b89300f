//! A contribution as pages show it: its addresses, author, dates in the page's language, and what
//! the viewer may do with it.

use echos_core::accounts::Member;
use echos_core::contributions::Contribution;
use echos_domain::member::MemberKind;
use serde::Serialize;

use crate::format::long_date;
use crate::site::Page;

#[derive(Serialize)]
pub struct ContributionView {
    pub id: i64,
    pub kind: &'static str,
    pub segment: &'static str,
    pub url: String,
    pub url_edit: String,
    pub url_delete: String,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub tags: Vec<String>,
    pub author: AuthorView,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub status: &'static str,
    pub can_edit: bool,
    /// Co-authors and editors edit but do not delete.
    pub can_delete: bool,
    pub cover_url: Option<String>,
    /// The cover's alternative text (empty: decorative).
    pub cover_alt: String,
    pub link: Option<LinkView>,
    pub announcement_kind: Option<String>,
    pub closes_on: Option<String>,
    pub closed: bool,
    /// A project's count and whether its vote is over (set by the lists that read them).
    pub votes: Option<i64>,
    pub vote_finished: bool,
    pub comment_count: i64,
    pub like_count: i64,
    pub featured: bool,
    /// The viewer is an editor or an admin: the "À la une" button.
    pub can_feature: bool,
}

#[derive(Serialize)]
pub struct LinkView {
    url: String,
    host: String,
    /// `pending`, `ready` or `none`.
    preview: String,
    title: Option<String>,
    description: Option<String>,
    image: Option<String>,
    site_name: Option<String>,
}

#[derive(Serialize)]
pub struct AuthorView {
    pub display_name: String,
    pub handle: String,
    pub avatar_url: Option<String>,
    pub kind: Option<MemberKind>,
}

impl AuthorView {
    pub fn new(display_name: String, handle: String, avatar_key: Option<String>, kind: Option<MemberKind>) -> Self {
        Self { display_name, handle, avatar_url: avatar_key.map(|k| format!("/media/{k}")), kind }
    }
}

impl ContributionView {
    /// `me`: the signed-in member looking at it, if any.
    pub fn of(c: Contribution, page: &Page, me: Option<&Member>) -> Self {
        let kind = c.kind;
        let today = time::OffsetDateTime::now_utc().date();
        let mine = me.is_some_and(|m| m.id == c.author_id);
        let closed = c.is_closed(today);
        let link = c.link_url.as_ref().map(|url| LinkView {
            host: url.split("://").nth(1).and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or(url).to_owned(),
            url: url.clone(),
            preview: c.preview_status.clone().unwrap_or_else(|| "none".into()),
            title: c.preview_title.clone(),
            description: c.preview_description.clone(),
            // Only a copy on the platform: a reader's browser never calls the linked site.
            image: c.preview_image.clone().filter(|i| i.starts_with("/media/")),
            site_name: c.preview_site.clone(),
        });
        Self {
            url: c.url(),
            url_edit: format!("/{}/{}/modifier", kind.segment(), c.id),
            url_delete: format!("/{}/{}/supprimer", kind.segment(), c.id),
            id: c.id,
            kind: kind.code(),
            segment: kind.segment(),
            title: c.title,
            summary: c.summary,
            body_html: c.body_html,
            tags: c.tags,
            author: AuthorView::new(c.author_name, c.author_handle, c.author_avatar, Some(c.author_kind)),
            published: c.published_at.map(|d| long_date(d.date(), page.locale)),
            updated: c
                .published_at
                .filter(|p| c.updated_at - *p > time::Duration::minutes(5))
                .map(|_| long_date(c.updated_at.date(), page.locale)),
            status: c.status.code(),
            can_edit: mine || me.is_some_and(|m| m.role.edits_any()),
            can_delete: mine || me.is_some_and(|m| m.role.is_admin()),
            cover_url: c.cover_key.map(|k| format!("/media/{k}")),
            cover_alt: c.cover_alt,
            link,
            announcement_kind: c.announcement_kind,
            closes_on: c.closes_on.map(|d| long_date(d, page.locale)),
            closed,
            votes: c.votes,
            vote_finished: c.vote_closes_at.is_some_and(|t| time::OffsetDateTime::now_utc() >= t),
            comment_count: c.comment_count,
            like_count: c.like_count,
            featured: c.featured,
            can_feature: c.status == echos_domain::contribution::Status::Published
                && me.is_some_and(|m| m.role.edits_any()),
        }
    }
}
