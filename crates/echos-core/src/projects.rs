//! Projects members support: a project's own fields (funding, goal, team, its voting period or its
//! call's), the calls a regional admin opens, and votes — one per member and project, withdrawable
//! while the period is open, within a call's allowance when it gives N votes. The count shown is
//! always `count(*)` of the votes: nothing to drift.

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::accounts::Member;
use crate::admin::audit;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// Who may submit projects to a call.
pub const SUBMITTERS: [&str; 3] = ["members", "people", "structures"];
/// The longest voting period a project may give itself, in days.
pub const MAX_VOTING_DAYS: i64 = 365;

/// What a project adds to a contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectDraft {
    pub funding_url: Option<String>,
    pub goal: String,
    /// Its own period's last day (local), when not in a call.
    pub closes_on: Option<Date>,
    /// The region's time zone, in which `closes_on` ends.
    pub time_zone: String,
    pub call_id: Option<i64>,
    /// Its team beside its author (member ids).
    pub team: Vec<i64>,
}

/// Why a project's write is refused by what is in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectRefusal {
    /// Votes were cast: its period (or call) no longer changes.
    PeriodLocked,
    /// A call that is not open, or not open to this member.
    CallClosed,
}

/// Writes a project's fields and team; refuses to move a period that already has votes.
pub async fn write_project(
    tx: &mut TenantTx<'_>,
    id: i64,
    p: &ProjectDraft,
) -> Result<Result<(), ProjectRefusal>, CoreError> {
    let before = sqlx::query!(
        r#"SELECT c.vote_closes_at, c.call_id, (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) AS "votes!"
             FROM contributions c WHERE c.id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a project")?;
    if let Some(call) = p.call_id
        && before.call_id != Some(call)
    {
        let open = sqlx::query_scalar!(
            r#"SELECT (now() >= k.opens_at AND now() < k.closes_at
                       AND (k.submitters = 'members' OR (k.submitters = 'people') = (m.kind = 'person'))) AS "open!"
                 FROM calls k, contributions c JOIN members m ON m.id = c.author_id
                WHERE k.id = $1 AND c.id = $2"#,
            call,
            id
        )
        .fetch_optional(&mut **tx)
        .await
        .context("checking a call")?;
        if open != Some(true) {
            return Ok(Err(ProjectRefusal::CallClosed));
        }
    }
    let closes_at = match (p.call_id, p.closes_on) {
        (None, Some(d)) => Some(
            sqlx::query_scalar!(r#"SELECT (($1::date + 1)::timestamp AT TIME ZONE $2) AS "t!""#, d, p.time_zone)
                .fetch_one(&mut **tx)
                .await
                .context("dating a vote's end")?,
        ),
        _ => None,
    };
    if before.votes > 0 && (before.call_id != p.call_id || before.vote_closes_at != closes_at) {
        return Ok(Err(ProjectRefusal::PeriodLocked));
    }
    sqlx::query!(
        "UPDATE contributions SET funding_url = $2, goal = $3, vote_closes_at = $4, call_id = $5 WHERE id = $1",
        id,
        p.funding_url,
        p.goal,
        closes_at,
        p.call_id
    )
    .execute(&mut **tx)
    .await
    .context("writing a project")?;
    sqlx::query!("DELETE FROM project_team WHERE contribution_id = $1", id)
        .execute(&mut **tx)
        .await
        .context("clearing a team")?;
    sqlx::query!(
        "INSERT INTO project_team (contribution_id, member_id)
         SELECT $1, m FROM unnest($2::bigint[]) AS m WHERE m <> (SELECT author_id FROM contributions WHERE id = $1)
         ON CONFLICT DO NOTHING",
        id,
        &p.team
    )
    .execute(&mut **tx)
    .await
    .context("writing a team")?;
    Ok(Ok(()))
}

/// A project as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub funding_url: Option<String>,
    pub goal: String,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
    pub call: Option<(String, String)>,
    pub votes: i64,
    /// Its team: (handle, name).
    pub team: Vec<(String, String)>,
}

impl Project {
    /// Votes are taken now.
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        self.opens_at.is_none_or(|o| now >= o) && self.closes_at.is_some_and(|c| now < c)
    }

    pub fn is_finished(&self, now: OffsetDateTime) -> bool {
        self.closes_at.is_some_and(|c| now >= c)
    }
}

/// A project's fields, its count and its team.
pub async fn project(tx: &mut TenantTx<'_>, id: i64) -> Result<Project, CoreError> {
    let r = sqlx::query!(
        r#"SELECT c.funding_url, coalesce(c.goal, '') AS "goal!", coalesce(k.opens_at, c.published_at) AS opens_at,
                  coalesce(k.closes_at, c.vote_closes_at) AS closes_at, k.slug AS "call_slug?", k.title AS "call_title?",
                  (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) AS "votes!"
             FROM contributions c LEFT JOIN calls k ON k.id = c.call_id WHERE c.id = $1"#,
        id
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a project")?;
    let team = sqlx::query!(
        "SELECT m.handle, m.display_name FROM project_team t JOIN members m ON m.id = t.member_id
          WHERE t.contribution_id = $1 ORDER BY m.display_name",
        id
    )
    .fetch_all(&mut **tx)
    .await
    .context("reading a team")?;
    Ok(Project {
        funding_url: r.funding_url,
        goal: r.goal,
        opens_at: r.opens_at,
        closes_at: r.closes_at,
        call: r.call_slug.zip(r.call_title),
        votes: r.votes,
        team: team.into_iter().map(|t| (t.handle, t.display_name)).collect(),
    })
}

/// Whether this member voted for this project.
pub async fn voted(tx: &mut TenantTx<'_>, id: i64, member: i64) -> Result<bool, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM votes WHERE contribution_id = $1 AND member_id = $2) AS "v!""#,
        id,
        member
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a vote")
}

/// What became of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voted {
    Counted,
    /// This member had already voted for it: nothing changes.
    Already,
    /// Not a published project of this region.
    NoSuchProject,
    /// Before its period opens, or after it closes.
    Closed,
    /// The call's allowance is used up.
    NoVotesLeft,
}

/// One vote. Under a call with an allowance, the member's ballot is raised under its row lock in
/// the same transaction, so concurrent votes never exceed it (the caller rolls back on
/// `NoVotesLeft`).
pub async fn vote(tx: &mut TenantTx<'_>, id: i64, member: i64) -> Result<Voted, CoreError> {
    let cast = sqlx::query!(
        r#"WITH p AS (
               SELECT c.id, c.call_id, k.votes_per_member,
                      now() >= coalesce(k.opens_at, c.published_at) AND now() < coalesce(k.closes_at, c.vote_closes_at) AS open
                 FROM contributions c LEFT JOIN calls k ON k.id = c.call_id
                WHERE c.id = $1 AND c.kind = 'project' AND c.status = 'published'),
           ins AS (
               INSERT INTO votes (contribution_id, member_id, call_id)
               SELECT p.id, $2, p.call_id FROM p WHERE p.open
               ON CONFLICT (contribution_id, member_id) DO NOTHING
               RETURNING call_id)
           SELECT (SELECT count(*) FROM p) AS "found!", (SELECT bool_or(open) FROM p) AS open,
                  (SELECT count(*) FROM ins) AS "inserted!", (SELECT votes_per_member FROM p) AS allowance,
                  (SELECT call_id FROM p) AS call_id"#,
        id,
        member
    )
    .fetch_one(&mut **tx)
    .await
    .context("voting")?;
    if cast.found == 0 {
        return Ok(Voted::NoSuchProject);
    }
    if cast.open != Some(true) {
        return Ok(Voted::Closed);
    }
    if cast.inserted == 0 {
        return Ok(Voted::Already);
    }
    if let (Some(call), Some(allowance)) = (cast.call_id, cast.allowance) {
        let used = sqlx::query_scalar!(
            "INSERT INTO call_ballots (call_id, member_id, used) VALUES ($1, $2, 1)
             ON CONFLICT (call_id, member_id) DO UPDATE SET used = call_ballots.used + 1
              WHERE call_ballots.used < $3
             RETURNING used",
            call,
            member,
            allowance
        )
        .fetch_optional(&mut **tx)
        .await
        .context("counting a ballot")?;
        if used.is_none() {
            return Ok(Voted::NoVotesLeft);
        }
    }
    Ok(Voted::Counted)
}

/// Withdraws a vote while the period is open; `false` when there was none to withdraw (or the
/// period is over).
pub async fn withdraw(tx: &mut TenantTx<'_>, id: i64, member: i64) -> Result<bool, CoreError> {
    let gone = sqlx::query!(
        r#"DELETE FROM votes v USING contributions c LEFT JOIN calls k ON k.id = c.call_id
            WHERE v.contribution_id = $1 AND v.member_id = $2 AND c.id = v.contribution_id
              AND now() < coalesce(k.closes_at, c.vote_closes_at)
            RETURNING v.call_id"#,
        id,
        member
    )
    .fetch_optional(&mut **tx)
    .await
    .context("withdrawing a vote")?;
    let Some(gone) = gone else { return Ok(false) };
    if let Some(call) = gone.call_id {
        sqlx::query!(
            "UPDATE call_ballots SET used = used - 1 WHERE call_id = $1 AND member_id = $2 AND used > 0",
            call,
            member
        )
        .execute(&mut **tx)
        .await
        .context("giving a ballot back")?;
    }
    Ok(true)
}

/// A call.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    pub opens_at: OffsetDateTime,
    pub closes_at: OffsetDateTime,
    pub submitters: String,
    pub votes_per_member: Option<i16>,
    pub projects: i64,
}

impl Call {
    pub fn url(&self) -> String {
        format!("/appels/{}", self.slug)
    }
}

macro_rules! read_calls {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Call,
            r#"SELECT k.id, k.slug, k.title, k.body_md, k.body_html, k.opens_at, k.closes_at, k.submitters,
                      k.votes_per_member,
                      (SELECT count(*) FROM contributions c WHERE c.call_id = k.id AND c.status = 'published') AS "projects!"
                 FROM calls k "# + $rest
            $(, $arg)*
        )
    };
}

/// Every call, the latest first.
pub async fn calls(tx: &mut TenantTx<'_>) -> Result<Vec<Call>, CoreError> {
    read_calls!("ORDER BY k.opens_at DESC, k.id DESC LIMIT 200").fetch_all(&mut **tx).await.context("listing calls")
}

/// The calls open now.
pub async fn open_calls(tx: &mut TenantTx<'_>) -> Result<Vec<Call>, CoreError> {
    read_calls!("WHERE now() >= k.opens_at AND now() < k.closes_at ORDER BY k.closes_at")
        .fetch_all(&mut **tx)
        .await
        .context("listing open calls")
}

pub async fn call_by_slug(tx: &mut TenantTx<'_>, slug: &str) -> Result<Option<Call>, CoreError> {
    read_calls!("WHERE k.slug = $1", slug).fetch_optional(&mut **tx).await.context("reading a call")
}

pub async fn call(tx: &mut TenantTx<'_>, id: i64) -> Result<Option<Call>, CoreError> {
    read_calls!("WHERE k.id = $1", id).fetch_optional(&mut **tx).await.context("reading a call")
}

/// A call as typed in the console.
#[derive(Debug, Clone)]
pub struct CallDraft {
    pub title: String,
    pub body_md: String,
    pub opens_on: Date,
    /// Its last day.
    pub closes_on: Date,
    pub submitters: &'static str,
    pub votes_per_member: Option<i16>,
    pub time_zone: String,
}

/// Opens (or, with `id`, edits) a call; its dates are whole local days. Logged.
pub async fn save_call(tx: &mut TenantTx<'_>, by: &Member, id: Option<i64>, d: &CallDraft) -> Result<i64, CoreError> {
    let html = crate::markdown::render(&d.body_md);
    let slug = echos_domain::contribution::slug(&d.title);
    let id = match id {
        None => sqlx::query_scalar!(
            "INSERT INTO calls (slug, title, body_md, body_html, opens_at, closes_at, submitters, votes_per_member, created_by)
             VALUES ($1 || CASE WHEN EXISTS (SELECT 1 FROM calls WHERE slug = $1) THEN '-' || (SELECT count(*) + 1 FROM calls) ELSE '' END,
                     $2, $3, $4, $5::date::timestamp AT TIME ZONE $9, ($6::date + 1)::timestamp AT TIME ZONE $9, $7, $8, $10)
             RETURNING id",
            slug,
            d.title,
            d.body_md,
            html,
            d.opens_on,
            d.closes_on,
            d.submitters,
            d.votes_per_member,
            d.time_zone,
            by.id
        )
        .fetch_one(&mut **tx)
        .await
        .context("opening a call")?,
        Some(id) => {
            sqlx::query!(
                "UPDATE calls SET title = $2, body_md = $3, body_html = $4, opens_at = $5::date::timestamp AT TIME ZONE $9,
                        closes_at = ($6::date + 1)::timestamp AT TIME ZONE $9, submitters = $7, votes_per_member = $8
                  WHERE id = $1",
                id,
                d.title,
                d.body_md,
                html,
                d.opens_on,
                d.closes_on,
                d.submitters,
                d.votes_per_member,
                d.time_zone
            )
            .execute(&mut **tx)
            .await
            .context("editing a call")?;
            id
        }
    };
    audit::record(
        tx,
        by,
        "call.save",
        &d.title,
        None,
        Some(serde_json::json!({
            "opens": d.opens_on.to_string(), "closes": d.closes_on.to_string(),
            "submitters": d.submitters, "votes_per_member": d.votes_per_member,
        })),
    )
    .await?;
    Ok(id)
}

/// A call's projects with their counts, the most voted first: (id, slug, title, author, votes).
pub async fn results(tx: &mut TenantTx<'_>, call: i64) -> Result<Vec<(i64, String, String, String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.slug, c.title, m.display_name, (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) AS "n!"
             FROM contributions c JOIN members m ON m.id = c.author_id
            WHERE c.call_id = $1 AND c.status = 'published' ORDER BY 5 DESC, c.title"#,
        call
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting a call's votes")?;
    Ok(rows.into_iter().map(|r| (r.id, r.slug, r.title, r.display_name, r.n)).collect())
}

/// Which projects a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    All,
    Open,
    Finished,
}

/// Published projects, by votes or by date, `limit + 1` from `offset`.
pub async fn list(
    tx: &mut TenantTx<'_>,
    period: Period,
    call: Option<i64>,
    by_votes: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>, CoreError> {
    let (open, finished) = (period == Period::Open, period == Period::Finished);
    sqlx::query_scalar!(
        r#"SELECT c.id FROM contributions c LEFT JOIN calls k ON k.id = c.call_id
            WHERE c.kind = 'project' AND c.status = 'published'
              AND ($1::bigint IS NULL OR c.call_id = $1)
              AND (NOT $2 OR now() < coalesce(k.closes_at, c.vote_closes_at))
              AND (NOT $3 OR now() >= coalesce(k.closes_at, c.vote_closes_at))
            ORDER BY CASE WHEN $4 THEN (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) END DESC NULLS LAST,
                     c.published_at DESC, c.id DESC
            LIMIT $5 OFFSET $6"#,
        call,
        open,
        finished,
        by_votes,
        limit + 1,
        offset
    )
    .fetch_all(&mut **tx)
    .await
    .context("listing projects")
}

/// Votes cast by month in a period: (month, votes).
pub async fn votes_by_month(
    tx: &mut TenantTx<'_>,
    from: Date,
    to: Date,
    tz: &str,
) -> Result<Vec<(Date, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT date_trunc('month', created_at AT TIME ZONE $3)::date AS "m!", count(*) AS "n!" FROM votes
            WHERE created_at >= ($1::date::timestamp AT TIME ZONE $3) AND created_at < (($2::date + 1)::timestamp AT TIME ZONE $3)
            GROUP BY 1 ORDER BY 1"#,
        from,
        to,
        tz
    )
    .fetch_all(&mut **tx)
    .await
    .context("counting votes by month")?;
    Ok(rows.into_iter().map(|r| (r.m, r.n)).collect())
}

/// The most voted projects in a period: (id, slug, title, votes cast in it).
pub async fn most_voted(
    tx: &mut TenantTx<'_>,
    since: OffsetDateTime,
    limit: i64,
) -> Result<Vec<(i64, String, String, i64)>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.slug, c.title, count(*) AS "n!" FROM votes v JOIN contributions c ON c.id = v.contribution_id
            WHERE v.created_at >= $1 AND c.status = 'published' GROUP BY c.id ORDER BY 4 DESC, c.title LIMIT $2"#,
        since,
        limit
    )
    .fetch_all(&mut **tx)
    .await
    .context("ranking projects")?;
    Ok(rows.into_iter().map(|r| (r.id, r.slug, r.title, r.n)).collect())
}

/// Projects whose vote has closed and whose supporters were not told yet: tells them (and the
/// author) once, with the final count.
pub async fn tell_closures(tx: &mut TenantTx<'_>, tenant_id: uuid::Uuid) -> Result<usize, CoreError> {
    let closed = sqlx::query!(
        r#"UPDATE contributions c SET closure_told_at = now()
             FROM (SELECT c2.id FROM contributions c2 LEFT JOIN calls k ON k.id = c2.call_id
                    WHERE c2.kind = 'project' AND c2.status = 'published' AND c2.closure_told_at IS NULL
                      AND now() >= coalesce(k.closes_at, c2.vote_closes_at)
                    FOR UPDATE OF c2 SKIP LOCKED) due
            WHERE c.id = due.id
            RETURNING c.id, c.slug, c.title, c.author_id,
                      (SELECT count(*) FROM votes v WHERE v.contribution_id = c.id) AS "votes!""#
    )
    .fetch_all(&mut **tx)
    .await
    .context("closing votes")?;
    let mut told = 0;
    for p in &closed {
        let url = format!("/projets/{}-{}", p.id, p.slug);
        let message = format!("Le vote pour « {} » est terminé : {} vote(s)", p.title, p.votes);
        let supporters = sqlx::query_scalar!("SELECT member_id FROM votes WHERE contribution_id = $1", p.id)
            .fetch_all(&mut **tx)
            .await
            .context("reading supporters")?;
        let told_ones: std::collections::BTreeSet<i64> = supporters.into_iter().chain([p.author_id]).collect();
        for m in told_ones {
            let about = crate::notifications::About { contribution: Some(p.id), comment: None };
            crate::notifications::notify_about(tx, tenant_id, m, "project", &message, Some(&url), about).await?;
            told += 1;
        }
    }
    Ok(told)
}

/// A project's fields as its edit form shows them: (funding link, goal, last day of its own vote
/// in the zone `tz`, call, team handles).
pub async fn form_values(
    tx: &mut TenantTx<'_>,
    id: i64,
    tz: &str,
) -> Result<(String, String, Option<Date>, Option<i64>, Vec<String>), CoreError> {
    let r = sqlx::query!(
        r#"SELECT coalesce(funding_url, '') AS "funding_url!", coalesce(goal, '') AS "goal!", call_id,
                  ((vote_closes_at AT TIME ZONE $2) - interval '1 day')::date AS closes_on,
                  ARRAY(SELECT m.handle FROM project_team t JOIN members m ON m.id = t.member_id
                         WHERE t.contribution_id = $1 ORDER BY m.handle) AS "team!"
             FROM contributions WHERE id = $1"#,
        id,
        tz
    )
    .fetch_one(&mut **tx)
    .await
    .context("reading a project's form")?;
    Ok((r.funding_url, r.goal, r.closes_on, r.call_id, r.team))
}
