//! Demo content for `echos demo`: `tenants/seed/<slug>.toml` holds the people of a demo region
//! (its editorial team and a few members), what they publish — articles, curated links, debates,
//! announcements, dossiers — and the comments, likes and follows between them. It is written
//! once, in one transaction, into a region that has no contribution yet.
//!
//! Policy: seeded accounts cannot sign in (their password is a random secret nobody knows) and
//! receive no e-mail; a link's preview is written as already fetched, so the demo needs no
//! network; dates are relative to today (`days_ago`, `closes_in_days`) so the demo always looks
//! current. A file is checked as a whole (`SeedFile::check`) when it is read, before anything is
//! written. The few statements only the seed needs (back-dating what it wrote, muting e-mail)
//! are plain `sqlx::query`, checked when `echos demo` runs rather than carried in `.sqlx/`.
//!
//! ```toml
//! team = "Équipe Echosciences Grenoble"      # the region's editorial team (a structure), key "team"
//! team_bio = "…"
//!
//! [[members]]                                 # more authors
//! key = "lea"                                 # how the rest of the file names them
//! name = "Léa Marchand"
//! kind = "person"                             # or "structure"
//! audience = "researcher"                     # a person's audience (echos_domain::member::AUDIENCES)
//! bio = "…"
//! location = "Grenoble"
//! website = "https://…"
//! joined_days_ago = 120                       # default 60
//! follows = ["team", "tom"]                   # members they follow
//! follows_tags = ["climat"]                   # tags they follow (tags used below)
//!
//! [[articles]]                                # also [[links]], [[debates]], [[announcements]], [[dossiers]]
//! by = "lea"                                  # the author (default: the team)
//! days_ago = 3                                # published that many days ago
//! title = "…"
//! summary = "…"                               # articles, announcements and dossiers
//! body = """Markdown"""                       # for a link: the member's comment on it
//! tags = ["climat"]
//! likes = ["tom", "team"]
//! [[articles.comments]]
//! by = "tom"
//! body = "…"
//! reply = true                                # answers the top-level comment above it
//!
//! [[links]]
//! url = "https://…"
//! [links.preview]                             # without it, the page shows the bare link
//! site = "…"
//! title = "…"
//! description = "…"
//!
//! [[announcements]]
//! type = "job"                                # competition, job, call or other
//! closes_in_days = 30                         # negative: already closed
//!
//! [[dossiers]]
//! items = ["a title seeded above", "…"]       # in order
//! coauthors = ["lea"]
//!
//! [[communities]]                             # open and approved, written before the items
//! name = "Astronomie en Isère"
//! kind = "theme"                              # theme, research_group or event
//! access = "open"                             # or "request"
//! description = """Markdown"""
//! tags = ["astronomie"]
//! owner = "lea"                               # default: the team
//! moderators = ["tom"]
//! members = ["zoe"]
//!
//! [[articles]]
//! community = "Astronomie en Isère"           # published in it (its author belongs to it)
//! ```

use std::collections::HashMap;
use std::path::Path;

use echos_domain::contribution::{self as parse, Kind};
use echos_domain::member::{AUDIENCES, DisplayName, Email, MemberKind};
use serde::Deserialize;
use time::Duration;
use uuid::Uuid;

use crate::accounts::{self, Member, Profile, ProfileEdit};
use crate::comments;
use crate::communities;
use crate::contributions::{self, Draft, PreviewFields};
use crate::db::{Db, TenantTx};
use crate::error::{Context, CoreError};
use crate::follows;
use crate::secrets;
use crate::tenants::Tenant;

/// The key by which a seed file names the region's team.
const TEAM: &str = "team";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    pub team: String,
    #[serde(default)]
    pub team_bio: String,
    #[serde(default)]
    pub members: Vec<SeedMember>,
    #[serde(default)]
    pub articles: Vec<SeedItem>,
    #[serde(default)]
    pub links: Vec<SeedItem>,
    #[serde(default)]
    pub debates: Vec<SeedItem>,
    #[serde(default)]
    pub announcements: Vec<SeedItem>,
    #[serde(default)]
    pub dossiers: Vec<SeedItem>,
    #[serde(default)]
    pub events: Vec<SeedItem>,
    #[serde(default)]
    pub places: Vec<SeedItem>,
    #[serde(default)]
    pub projects: Vec<SeedItem>,
    #[serde(default)]
    pub calls: Vec<SeedCall>,
    #[serde(default)]
    pub communities: Vec<SeedCommunity>,
}

/// A call for projects: opened `opened_days_ago`, closing in `closes_in_days` (negative: closed).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCall {
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub opened_days_ago: i64,
    pub closes_in_days: i64,
    pub votes_per_member: Option<i16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedCommunity {
    pub name: String,
    pub kind: String,
    #[serde(default = "open")]
    pub access: String,
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub owner: Option<String>,
    #[serde(default)]
    pub moderators: Vec<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

fn open() -> String {
    "open".into()
}

impl SeedCommunity {
    fn owner(&self) -> &str {
        self.owner.as_deref().unwrap_or(TEAM)
    }

    /// Everyone in it: its owner, its moderators, its members.
    fn belongs(&self, key: &str) -> bool {
        self.owner() == key || self.moderators.iter().chain(&self.members).any(|k| k == key)
    }

    fn proposal(&self) -> Result<communities::Proposal, CoreError> {
        let bad = |what: &str| CoreError::invalid(format_args!("the community “{}”: {what}", self.name));
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(bad("a name of 1 to 80 characters"));
        }
        Ok(communities::Proposal {
            name: name.to_owned(),
            kind: communities::KINDS.iter().copied().find(|k| *k == self.kind).ok_or_else(|| bad("an unknown kind"))?,
            description_md: self.description.trim().to_owned(),
            access: ["open", "request"]
                .into_iter()
                .find(|a| *a == self.access)
                .ok_or_else(|| bad("`access` is open or request"))?,
            tags: parse::tags(&self.tags.join(",")).ok_or_else(|| bad("at most 10 valid tags"))?,
            cover_key: None,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    pub key: String,
    pub name: String,
    #[serde(default = "person")]
    pub kind: String,
    pub audience: Option<String>,
    #[serde(default)]
    pub bio: String,
    pub location: Option<String>,
    pub website: Option<String>,
    #[serde(default = "sixty")]
    pub joined_days_ago: i64,
    #[serde(default)]
    pub follows: Vec<String>,
    #[serde(default)]
    pub follows_tags: Vec<String>,
}

fn person() -> String {
    "person".into()
}

fn sixty() -> i64 {
    60
}

/// One contribution of any kind; the fields that do not belong to its kind must be left out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedItem {
    pub by: Option<String>,
    #[serde(default)]
    pub days_ago: i64,
    pub title: String,
    pub summary: Option<String>,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub likes: Vec<String>,
    #[serde(default)]
    pub comments: Vec<SeedComment>,
    pub url: Option<String>,
    pub preview: Option<SeedPreview>,
    #[serde(rename = "type")]
    pub announcement_kind: Option<String>,
    pub closes_in_days: Option<i64>,
    pub items: Option<Vec<String>>,
    pub coauthors: Option<Vec<String>>,
    /// The name of a seeded community it is published in.
    pub community: Option<String>,
    /// An event's: its kind, its public, its first day (in days from the seeding), its hours
    /// (`"18:30"`; none: whole days), how many days it lasts, how many weekly dates follow, its
    /// price (none: free) and registration link.
    pub event_kind: Option<String>,
    pub audience: Option<String>,
    pub in_days: Option<i64>,
    pub starts: Option<String>,
    pub ends: Option<String>,
    pub days: Option<i64>,
    pub weekly: Option<i64>,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    pub online_url: Option<String>,
    /// An event's or a place's whereabouts.
    pub place_name: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// A project's: its funding link and goal, its vote's end in days from the seeding (negative:
    /// over), the title of a seeded call it belongs to, and the member keys who voted for it.
    pub funding_url: Option<String>,
    pub goal: Option<String>,
    pub vote_days: Option<i64>,
    pub call: Option<String>,
    #[serde(default)]
    pub votes: Vec<String>,
    /// A place's.
    pub place_kind: Option<String>,
    pub opening_hours: Option<String>,
    pub accessibility: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedComment {
    pub by: String,
    pub body: String,
    /// Answers the closest top-level comment above it.
    #[serde(default)]
    pub reply: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPreview {
    pub site: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

impl SeedFile {
    /// The region's team, as the first member.
    fn team(&self) -> SeedMember {
        SeedMember {
            key: TEAM.into(),
            name: self.team.clone(),
            kind: "structure".into(),
            audience: None,
            bio: self.team_bio.clone(),
            location: None,
            website: None,
            joined_days_ago: 365,
            follows: Vec::new(),
            follows_tags: Vec::new(),
        }
    }

    /// Whether the file holds together without a database: every member is a valid profile named
    /// once, every name used is a member, every item parses as its form would, every dossier item
    /// is a title published before the dossier, every followed tag is used.
    pub fn check(&self) -> Result<(), CoreError> {
        let team = self.team();
        let mut keys: Vec<&str> = Vec::new();
        for m in std::iter::once(&team).chain(&self.members) {
            if keys.contains(&m.key.as_str()) {
                return Err(CoreError::invalid(format_args!("the member “{}” is named twice", m.key)));
            }
            profile(m)?;
            keys.push(&m.key);
        }
        let known = |key: &str| {
            if keys.contains(&key) {
                Ok(())
            } else {
                Err(CoreError::invalid(format_args!("no member is named “{key}”")))
            }
        };
        let mut names: Vec<&str> = Vec::new();
        for c in &self.communities {
            c.proposal()?;
            if names.contains(&c.name.as_str()) {
                return Err(CoreError::invalid(format_args!("the community “{}” is named twice", c.name)));
            }
            names.push(&c.name);
            known(c.owner())?;
            c.moderators.iter().chain(&c.members).try_for_each(|k| known(k))?;
        }
        let mut titles: Vec<&str> = Vec::new();
        let mut tags: Vec<String> = Vec::new();
        for (kind, item) in self.items() {
            let d = draft(kind, item)?;
            let author = item.by.as_deref().unwrap_or(TEAM);
            known(author)?;
            if let Some(name) = &item.community
                && !self.communities.iter().any(|c| &c.name == name && c.belongs(author))
            {
                return Err(CoreError::invalid(format_args!(
                    "“{}” is published in “{name}”, a community its author is not in",
                    item.title
                )));
            }
            item.likes.iter().chain(item.coauthors.iter().flatten()).chain(&item.votes).try_for_each(|k| known(k))?;
            if let Some(call) = &item.call
                && !self.calls.iter().any(|c| &c.title == call)
            {
                return Err(CoreError::invalid(format_args!(
                    "“{}” is in the call “{call}”, which the seed does not open",
                    item.title
                )));
            }
            for (n, c) in item.comments.iter().enumerate() {
                known(&c.by)?;
                if comments::parse_body(&c.body).is_none() || (c.reply && n == 0) {
                    return Err(CoreError::invalid(format_args!(
                        "a comment on “{}” is empty, too long or answers nothing",
                        item.title
                    )));
                }
            }
            if let Some(t) = item.items.iter().flatten().find(|t| !titles.contains(&t.as_str())) {
                return Err(CoreError::invalid(format_args!(
                    "the dossier “{}” lists “{t}”, which is not published before it",
                    item.title
                )));
            }
            if titles.contains(&item.title.as_str()) {
                return Err(CoreError::invalid(format_args!("“{}” is published twice", item.title)));
            }
            titles.push(&item.title);
            tags.extend(d.tags);
        }
        for m in &self.members {
            m.follows.iter().try_for_each(|k| known(k))?;
            for tag in &m.follows_tags {
                if !parse::tag(tag).is_some_and(|t| tags.contains(&t)) {
                    return Err(CoreError::invalid(format_args!("“{}” follows “{tag}”, a tag no item uses", m.name)));
                }
            }
        }
        Ok(())
    }

    /// The contributions in the order they are written: a dossier's items exist before it.
    fn items(&self) -> impl Iterator<Item = (Kind, &SeedItem)> {
        fn of(kind: Kind, items: &[SeedItem]) -> impl Iterator<Item = (Kind, &SeedItem)> {
            items.iter().map(move |i| (kind, i))
        }
        of(Kind::Article, &self.articles)
            .chain(of(Kind::Link, &self.links))
            .chain(of(Kind::Debate, &self.debates))
            .chain(of(Kind::Announcement, &self.announcements))
            .chain(of(Kind::Dossier, &self.dossiers))
            .chain(of(Kind::Event, &self.events))
            .chain(of(Kind::Place, &self.places))
            .chain(of(Kind::Project, &self.projects))
    }
}

/// Reads `<dir>/seed/<slug>.toml`, if there is one.
pub fn read(dir: &Path, slug: &str) -> Result<Option<SeedFile>, CoreError> {
    let path = dir.join("seed").join(format!("{slug}.toml"));
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
    let seed: SeedFile =
        toml::from_str(&text).map_err(|e| CoreError::invalid(format_args!("{}: {}", path.display(), e.message())))?;
    seed.check().map_err(|e| CoreError::invalid(format_args!("{}: {e}", path.display())))?;
    Ok(Some(seed))
}

/// Writes the seed into an empty region; returns how many contributions were published (0 when
/// the region already has content). A seed that does not hold together (an unknown member key,
/// a dossier item that names no seeded title…) is `Invalid` and nothing is written.
pub async fn apply(db: &Db, tenant: &Tenant, seed: &SeedFile) -> Result<usize, CoreError> {
    seed.check()?;
    let mut tx = TenantTx::begin(db, tenant).await?;
    let existing: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM contributions"#)
        .fetch_one(&mut *tx)
        .await
        .context("counting contributions")?;
    if existing > 0 {
        return Ok(0);
    }

    // One hash of a random secret for every seeded account: nobody knows it, nobody signs in.
    let hash = secrets::hash_password(&secrets::new_token())?;
    let mut people: HashMap<&str, Member> = HashMap::new();
    let team = seed.team();
    for m in std::iter::once(&team).chain(&seed.members) {
        let member = add_member(&mut tx, tenant, m, &hash).await?;
        people.insert(m.key.as_str(), member);
    }
    let member =
        |key: &str| people.get(key).ok_or_else(|| CoreError::invalid(format_args!("the seed names no member “{key}”")));
    let who = |key: &str| member(key).map(|m| m.id);

    let mut groups: HashMap<&str, i64> = HashMap::new();
    for c in &seed.communities {
        let made = communities::propose(&mut tx, tenant.id, member(c.owner())?, &c.proposal()?, true).await?;
        for (keys, role) in [(&c.moderators, "moderator"), (&c.members, "member")] {
            for key in keys {
                sqlx::query(
                    "INSERT INTO community_members (community_id, member_id, role, status) VALUES ($1, $2, $3, 'active')
                     ON CONFLICT DO NOTHING",
                )
                .bind(made.id)
                .bind(who(key)?)
                .bind(role)
                .execute(&mut *tx)
                .await
                .context("seeding a community's members")?;
            }
        }
        // Opened some weeks ago, joined over the weeks since.
        sqlx::query(
            "UPDATE communities SET created_at = now() - interval '45 days', approved_at = now() - interval '45 days' WHERE id = $1;",
        )
        .bind(made.id)
        .execute(&mut *tx)
        .await
        .context("dating a seeded community")?;
        sqlx::query(
            "UPDATE community_members SET joined_at = now() - make_interval(days => CASE WHEN role = 'owner' THEN 45 ELSE (member_id * 7 % 40)::int END)
              WHERE community_id = $1",
        )
        .bind(made.id)
        .execute(&mut *tx)
        .await
        .context("dating a seeded community's members")?;
        groups.insert(c.name.as_str(), made.id);
    }

    let mut calls: HashMap<&str, i64> = HashMap::new();
    for c in &seed.calls {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (slug, title, body_md, body_html, opens_at, closes_at, votes_per_member)
             VALUES ($1, $2, $3, $4, date_trunc('day', now()) - make_interval(days => $5),
                     date_trunc('day', now()) + make_interval(days => $6), $7)
             RETURNING id",
        )
        .bind(parse::slug(&c.title))
        .bind(&c.title)
        .bind(&c.body)
        .bind(crate::markdown::render(&c.body))
        .bind(c.opened_days_ago as i32)
        .bind(c.closes_in_days as i32)
        .bind(c.votes_per_member)
        .fetch_one(&mut *tx)
        .await
        .context("seeding a call")?;
        calls.insert(c.title.as_str(), id);
    }

    let today = time::OffsetDateTime::now_utc().date();
    let mut by_title: HashMap<&str, i64> = HashMap::new();
    let mut written = 0;
    for (n, (kind, item)) in seed.items().enumerate() {
        let author = who(item.by.as_deref().unwrap_or(TEAM))?;
        let mut draft = draft(kind, item)?;
        if let Some(e) = &mut draft.event {
            e.time_zone = tenant.time_zone.clone();
        }
        if let Some(days) = item.closes_in_days {
            draft.closes_on = Some(today + Duration::days(days));
        }
        if let Some(titles) = &item.items {
            draft.items = titles
                .iter()
                .map(|t| {
                    by_title.get(t.as_str()).copied().ok_or_else(|| {
                        CoreError::invalid(format_args!(
                            "the dossier “{}” lists “{t}”, which the seed does not publish before it",
                            item.title
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(keys) = &item.coauthors {
            draft.coauthors = keys.iter().map(|k| who(k)).collect::<Result<_, _>>()?;
        }
        draft.community_id = item.community.as_deref().and_then(|name| groups.get(name).copied());
        let id = contributions::create(&mut tx, tenant.id, author, &draft)
            .await?
            .map_err(|r| CoreError::invalid(format_args!("the seed’s “{}” was refused: {r:?}", item.title)))?;
        by_title.insert(item.title.as_str(), id);
        written += 1;

        if kind == Kind::Link
            && let Some(url) = &draft.link_url
        {
            let preview = item.preview.as_ref().map(|p| PreviewFields {
                url: url.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                image_url: None,
                site_name: p.site.clone(),
            });
            contributions::set_preview(&mut tx, id, url, preview.as_ref()).await?;
        }

        // Back-dated: a few days ago, at a different time of day for each, never in the future.
        let minutes = (n as i32 * 97) % 540;
        sqlx::query(
            "UPDATE contributions
                SET published_at = now() - make_interval(days => $2, mins => $3), updated_at = now() - make_interval(days => $2, mins => $3)
              WHERE id = $1",
        )
        .bind(id)
        .bind(item.days_ago.clamp(0, 3650) as i32)
        .bind(minutes)
        .execute(&mut *tx)
        .await
        .context("dating a seeded contribution")?;

        for key in &item.likes {
            contributions::toggle_like(&mut tx, id, who(key)?).await?;
        }
        if let Some(call) = &item.call {
            sqlx::query("UPDATE contributions SET call_id = $2, vote_closes_at = NULL WHERE id = $1")
                .bind(id)
                .bind(calls.get(call.as_str()).copied())
                .execute(&mut *tx)
                .await
                .context("attaching a seeded project to its call")?;
        }
        // Votes as cast during the period, whatever it is now.
        for key in &item.votes {
            sqlx::query("INSERT INTO votes (contribution_id, member_id, call_id) SELECT $1, $2, call_id FROM contributions WHERE id = $1")
                .bind(id)
                .bind(who(key)?)
                .execute(&mut *tx)
                .await
                .context("seeding a vote")?;
        }
        if item.call.is_some() && !item.votes.is_empty() {
            sqlx::query(
                "INSERT INTO call_ballots (call_id, member_id, used)
                 SELECT call_id, member_id, count(*) FROM votes
                  WHERE call_id = (SELECT call_id FROM contributions WHERE id = $1) GROUP BY 1, 2
                 ON CONFLICT (call_id, member_id) DO UPDATE SET used = EXCLUDED.used",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("counting seeded ballots")?;
        }
        let link = kind.url(id, &parse::slug(&draft.title));
        let mut thread: Option<i64> = None;
        for (k, c) in item.comments.iter().enumerate() {
            let body = comments::parse_body(&c.body)
                .ok_or_else(|| CoreError::invalid(format_args!("an empty or too long comment on “{}”", item.title)))?;
            let parent = if c.reply {
                Some(thread.ok_or_else(|| {
                    CoreError::invalid(format_args!("a reply without a comment above it on “{}”", item.title))
                })?)
            } else {
                None
            };
            let comment = comments::add(&mut tx, tenant.id, id, who(&c.by)?, parent, &body, &link)
                .await?
                .map_err(|e| CoreError::invalid(format_args!("a seeded comment was refused: {e:?}")))?;
            if !c.reply {
                thread = Some(comment);
            }
            sqlx::query(
                "UPDATE comments k
                    SET created_at = least(now(), c.published_at + make_interval(mins => $2)),
                        updated_at = least(now(), c.published_at + make_interval(mins => $2))
                   FROM contributions c
                  WHERE k.id = $1 AND c.id = k.contribution_id",
            )
            .bind(comment)
            .bind(150 + k as i32 * 215)
            .execute(&mut *tx)
            .await
            .context("dating a seeded comment")?;
        }
    }

    for m in &seed.members {
        let follower = who(&m.key)?;
        for key in &m.follows {
            let followed = who(key)?;
            if !follows::follows_member(&mut tx, follower, followed).await? {
                follows::toggle_member(&mut tx, follower, followed).await?;
            }
        }
        for tag in &m.follows_tags {
            let tag = parse::tag(tag)
                .ok_or_else(|| CoreError::invalid(format_args!("the seed follows a bad tag “{tag}”")))?;
            if !follows::follows_tag(&mut tx, follower, &tag).await? {
                follows::toggle_tag(&mut tx, follower, &tag).await.map_err(|e| match e {
                    CoreError::NotFound => {
                        CoreError::invalid(format_args!("the seed follows “{tag}”, a tag it never uses"))
                    }
                    e => e,
                })?;
            }
        }
    }
    tx.commit().await?;
    Ok(written)
}

/// An account that cannot sign in and gets no e-mail, a member of this region with its profile.
async fn add_member(tx: &mut TenantTx<'_>, tenant: &Tenant, m: &SeedMember, hash: &str) -> Result<Member, CoreError> {
    let account_id = Uuid::new_v4();
    let email = format!("demo-{}@{}", &account_id.simple().to_string()[..12], tenant.primary_host);
    sqlx::query!(
        "INSERT INTO platform.accounts (id, email, password_hash, home_tenant_id, confirmed_at) VALUES ($1, $2, $3, $4, now())",
        account_id,
        email,
        hash,
        tenant.id
    )
    .execute(&mut **tx)
    .await
    .context("creating a demo account")?;
    let profile = profile(m)?;
    let member = accounts::join(tx, tenant.id, account_id, &profile).await?;
    let edit =
        ProfileEdit { profile, bio: m.bio.trim().to_owned(), website: m.website.clone(), location: m.location.clone() };
    accounts::update_profile(tx, account_id, &edit).await?;
    sqlx::query(
        "UPDATE members SET email_notifications = '{}', joined_at = now() - make_interval(days => $2) WHERE id = $1",
    )
    .bind(member.id)
    .bind(m.joined_days_ago.clamp(0, 3650) as i32)
    .execute(&mut **tx)
    .await
    .context("settling a demo member")?;
    Ok(member)
}

/// A seeded member's profile, checked like the sign-up form checks it.
fn profile(m: &SeedMember) -> Result<Profile, CoreError> {
    let name = DisplayName::parse(&m.name)
        .ok_or_else(|| CoreError::invalid(format_args!("“{}” is not a valid display name", m.name)))?;
    let kind = MemberKind::parse(&m.kind)
        .ok_or_else(|| CoreError::invalid(format_args!("“{}”: a member is a person or a structure", m.name)))?;
    let audience = match (&m.audience, kind) {
        (None, _) => None,
        (Some(a), MemberKind::Person) => Some(
            AUDIENCES
                .iter()
                .copied()
                .find(|x| x == a)
                .ok_or_else(|| CoreError::invalid(format_args!("“{}”: unknown audience “{a}”", m.name)))?,
        ),
        (Some(_), MemberKind::Structure) => {
            return Err(CoreError::invalid(format_args!("“{}”: a structure has no audience", m.name)));
        }
    };
    Ok(Profile { display_name: name, kind, audience })
}

/// The seed's item parsed like the form would parse it, with its kind's own fields and no other.
fn draft(kind: Kind, item: &SeedItem) -> Result<Draft, CoreError> {
    let bad = |what: &str| CoreError::invalid(format_args!("the seed’s “{}”: {what}", item.title));
    let only = |present: bool, field: &str, kinds: &[Kind]| {
        if present && !kinds.contains(&kind) {
            Err(bad(&format!("`{field}` does not belong to a {}", kind.code())))
        } else {
            Ok(())
        }
    };
    only(
        item.summary.is_some(),
        "summary",
        &[Kind::Article, Kind::Announcement, Kind::Dossier, Kind::Event, Kind::Place],
    )?;
    only(item.url.is_some() || item.preview.is_some(), "url", &[Kind::Link])?;
    only(item.announcement_kind.is_some() || item.closes_in_days.is_some(), "type", &[Kind::Announcement])?;
    only(item.items.is_some() || item.coauthors.is_some(), "items", &[Kind::Dossier])?;
    only(item.event_kind.is_some() || item.in_days.is_some() || item.audience.is_some(), "event_kind", &[Kind::Event])?;
    only(item.place_kind.is_some() || item.opening_hours.is_some(), "place_kind", &[Kind::Place])?;
    only(item.lat.is_some() || item.address.is_some(), "address", &[Kind::Event, Kind::Place])?;
    only(
        item.vote_days.is_some() || item.call.is_some() || !item.votes.is_empty() || item.goal.is_some(),
        "vote_days",
        &[Kind::Project],
    )?;

    let mut d = Draft::new(
        kind,
        parse::title(&item.title).ok_or_else(|| bad("a title of 1 to 200 characters"))?,
        parse::summary(item.summary.as_deref().unwrap_or_default())
            .ok_or_else(|| bad("a summary of 500 characters at most"))?,
        parse::body(&item.body).ok_or_else(|| bad("an empty body"))?,
        parse::tags(&item.tags.join(",")).ok_or_else(|| bad("at most 10 valid tags"))?,
        true,
    );
    match kind {
        Kind::Link => {
            let url = item.url.as_deref().ok_or_else(|| bad("a link needs its `url`"))?;
            d.link_url = Some(parse::web_url(url).ok_or_else(|| bad("an http(s) address"))?);
        }
        Kind::Announcement => {
            let k = item.announcement_kind.as_deref().ok_or_else(|| bad("an announcement needs its `type`"))?;
            d.announcement_kind = Some(
                parse::announcement_kind(k).ok_or_else(|| bad("`type` is competition, job, call or other"))?.to_owned(),
            );
            if item.closes_in_days.is_none() {
                return Err(bad("an announcement needs `closes_in_days`"));
            }
        }
        Kind::Event => d.event = Some(seed_event(item).map_err(&bad)?),
        Kind::Project => {
            if item.vote_days.is_none() == item.call.is_none() {
                return Err(bad("a project has `vote_days` or a `call`, not both"));
            }
            let today = time::OffsetDateTime::now_utc().date();
            d.project = Some(crate::projects::ProjectDraft {
                funding_url: item.funding_url.as_deref().and_then(parse::web_url),
                goal: item.goal.clone().unwrap_or_default(),
                // A project of a call takes its dates once it is attached to it.
                closes_on: Some(today + Duration::days(item.vote_days.unwrap_or(30))),
                time_zone: "UTC".into(),
                call_id: None,
                team: Vec::new(),
            });
        }
        Kind::Place => {
            let k = item.place_kind.as_deref().unwrap_or_default();
            d.place = Some(crate::events::PlaceDraft {
                place_kind: echos_domain::event::place_kind(k).ok_or_else(|| bad("an unknown `place_kind`"))?,
                location: seed_location(item).map_err(&bad)?,
                opening_hours: item.opening_hours.clone().unwrap_or_default(),
                accessibility: item.accessibility.clone().unwrap_or_default(),
                website: item.website.as_deref().and_then(parse::web_url),
            });
        }
        _ => {}
    }
    Ok(d)
}

fn seed_location(item: &SeedItem) -> Result<crate::events::Location, &'static str> {
    let point = match (item.lat, item.lon) {
        (Some(lat), Some(lon)) => Some(echos_domain::geo::Point::new(lat, lon).ok_or("coordinates out of range")?),
        (None, None) => None,
        _ => return Err("both `lat` and `lon`, or neither"),
    };
    Ok(crate::events::Location {
        place_name: item.place_name.clone().unwrap_or_default(),
        address: item.address.clone().unwrap_or_default(),
        point,
    })
}

/// An event's dates from the day of seeding: its first day, its hours, weekly repeats. The time
/// zone is the region's, set when it is written.
fn seed_event(item: &SeedItem) -> Result<crate::events::EventDraft, &'static str> {
    use echos_domain::event;
    let today = time::OffsetDateTime::now_utc().date();
    let first = today + Duration::days(item.in_days.ok_or("an event needs `in_days`")?);
    let last = first + Duration::days(item.days.unwrap_or(1).max(1) - 1);
    let others: Vec<String> =
        (1..=item.weekly.unwrap_or(0)).map(|w| (first + Duration::weeks(w)).to_string()).collect();
    let (start_date, end_date, others) = (first.to_string(), last.to_string(), others.join("\n"));
    let input = event::ScheduleInput {
        start_date: &start_date,
        start_time: item.starts.as_deref().unwrap_or_default(),
        end_date: &end_date,
        end_time: item.ends.as_deref().unwrap_or_default(),
        all_day: item.starts.is_none(),
        others: &others,
    };
    let schedule = event::schedule(&input).map_err(|_| "dates that do not hold together")?;
    Ok(crate::events::EventDraft {
        event_kind: event::event_kind(item.event_kind.as_deref().unwrap_or_default())
            .ok_or("an unknown `event_kind`")?,
        audience: event::audience(item.audience.as_deref().unwrap_or("everyone")).ok_or("an unknown `audience`")?,
        all_day: schedule.all_day,
        occurrences: schedule.occurrences,
        time_zone: "UTC".into(),
        location: seed_location(item)?,
        online_url: item.online_url.as_deref().and_then(parse::web_url),
        price: item.price.clone(),
        registration_url: item.registration_url.as_deref().and_then(parse::web_url),
    })
}

/// The demo's admin of a region: an account that signs in with `password`, confirmed, a member
/// of the region with the admin role. Made once; later runs leave it as it is.
pub async fn demo_admin(db: &Db, tenant: &Tenant, email: &Email, password: &str) -> Result<(), CoreError> {
    let hash = secrets::hash_password(password)?;
    let mut tx = TenantTx::begin(db, tenant).await?;
    let account_id = Uuid::new_v4();
    let created = sqlx::query_scalar!(
        "INSERT INTO platform.accounts (id, email, password_hash, home_tenant_id, confirmed_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT DO NOTHING RETURNING id",
        account_id,
        email.as_str(),
        hash,
        tenant.id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("creating the demo admin's account")?;
    if let Some(account_id) = created {
        let profile = Profile {
            display_name: DisplayName::parse("Équipe d’animation")
                .ok_or_else(|| CoreError::invalid("no display name"))?,
            kind: MemberKind::Person,
            audience: Some("mediator"),
        };
        accounts::join(&mut tx, tenant.id, account_id, &profile).await?;
        crate::admin::members::make_admin_by_email(&mut tx, email.as_str()).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(), CoreError> {
        toml::from_str::<SeedFile>(text).map_err(|e| CoreError::invalid(e.message()))?.check()
    }

    #[test]
    fn the_demo_regions_seeds_hold_together_with_every_kind() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenants");
        for slug in ["grenoble", "normandie", "catalunya"] {
            let seed = read(&dir, slug).unwrap().unwrap();
            for (name, items) in [
                ("articles", &seed.articles),
                ("links", &seed.links),
                ("debates", &seed.debates),
                ("announcements", &seed.announcements),
                ("dossiers", &seed.dossiers),
            ] {
                assert!((3..=5).contains(&items.len()), "{slug}: {} {name}", items.len());
            }
            assert!(seed.events.len() >= 6 && seed.places.len() >= 4, "{slug}: events and places");
            assert!(
                seed.events.iter().chain(&seed.places).filter(|i| i.lat.is_some()).count() >= 10,
                "{slug}: on the map"
            );
            assert!(!seed.calls.is_empty() && seed.projects.len() >= 4, "{slug}: a call and projects");
            assert!(seed.projects.iter().any(|p| p.vote_days.is_some_and(|d| d < 0)), "{slug}: a finished project");
            assert!(seed.members.len() >= 3, "{slug}: a few members besides the team");
            assert!(!seed.communities.is_empty(), "{slug}: a community or two");
            assert!(seed.items().any(|(_, i)| i.community.is_some()), "{slug}: something published in a community");
            assert!(
                seed.announcements.iter().any(|a| a.closes_in_days.is_some_and(|d| d >= 0)),
                "{slug}: some announcements are still open"
            );
        }
    }

    #[test]
    fn a_seed_that_does_not_hold_together_is_refused() {
        let team = "team = \"Équipe\"\n";
        assert!(parse(&format!("{team}[[articles]]\ntitle = \"A\"\nbody = \"x\"")).is_ok());
        // An author nobody declared.
        assert!(parse(&format!("{team}[[articles]]\nby = \"zoe\"\ntitle = \"A\"\nbody = \"x\"")).is_err());
        // A field of another kind.
        assert!(parse(&format!("{team}[[debates]]\ntitle = \"A\"\nbody = \"x\"\nurl = \"https://a.org\"")).is_err());
        // An event without its first day, or with a place's fields.
        assert!(parse(&format!("{team}[[events]]\nevent_kind = \"workshop\"\ntitle = \"A\"\nbody = \"x\"")).is_err());
        let event = "[[events]]\nevent_kind = \"workshop\"\nin_days = 3\ntitle = \"A\"\nbody = \"x\"";
        assert!(parse(&format!("{team}{event}")).is_ok());
        assert!(parse(&format!("{team}{event}\nplace_kind = \"museum\"")).is_err());
        assert!(parse(&format!("{team}{event}\nlat = 95.0\nlon = 5.0")).is_err());
        // An announcement without its closing date.
        assert!(parse(&format!("{team}[[announcements]]\ntype = \"job\"\ntitle = \"A\"\nbody = \"x\"")).is_err());
        // A dossier item that is not published before the dossier.
        assert!(parse(&format!("{team}[[dossiers]]\ntitle = \"D\"\nbody = \"x\"\nitems = [\"A\"]")).is_err());
        // A reply to nothing.
        assert!(
            parse(&format!(
                "{team}[[articles]]\ntitle = \"A\"\nbody = \"x\"\n[[articles.comments]]\nby = \"team\"\nbody = \"y\"\nreply = true"
            ))
            .is_err()
        );
        // Publishing in a community its author is not in.
        assert!(
            parse(&format!(
                "{team}[[communities]]\nname = \"C\"\nkind = \"theme\"\ndescription = \"d\"\nowner = \"team\"\n\
                 [[members]]\nkey = \"zoe\"\nname = \"Zoé\"\n[[articles]]\nby = \"zoe\"\ncommunity = \"C\"\ntitle = \"A\"\nbody = \"x\""
            ))
            .is_err()
        );
        // Following a tag nothing uses.
        assert!(
            parse(&format!(
                "{team}[[members]]\nkey = \"zoe\"\nname = \"Zoé\"\nfollows_tags = [\"ciel\"]\n[[articles]]\ntitle = \"A\"\nbody = \"x\""
            ))
            .is_err()
        );
    }
}
