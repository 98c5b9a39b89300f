//! How pages show a project: its count ("302 votes"), its period, finished or not, and the vote
//! button for a member while it is open.

use echos_core::projects::Project;
use echos_domain::Locale;
use serde::Serialize;
use time::OffsetDateTime;

use crate::format::long_date;

/// The last day of a period that ends at `closes` (exclusive), in words.
fn last_day(closes: OffsetDateTime, l: Locale) -> String {
    long_date((closes - time::Duration::seconds(1)).date(), l)
}

#[derive(Serialize)]
pub(crate) struct ProjectView {
    pub(crate) votes: i64,
    pub(crate) open: bool,
    pub(crate) finished: bool,
    /// Not open yet (a call that opens later).
    pub(crate) upcoming: bool,
    /// "jusqu'au 12 mars 2027"
    pub(crate) closes_on: Option<String>,
    pub(crate) opens_on: Option<String>,
    pub(crate) funding_url: Option<String>,
    pub(crate) goal: String,
    /// (slug, title)
    pub(crate) call: Option<(String, String)>,
    pub(crate) team: Vec<(String, String)>,
    pub(crate) voted: bool,
    pub(crate) vote_action: String,
    /// What the last vote did (`compte`, `retire`, `ferme`, `epuise`, `confirmer`).
    pub(crate) outcome: Option<String>,
}

impl ProjectView {
    pub(crate) fn of(id: i64, p: Project, voted: bool, outcome: Option<String>, l: Locale) -> Self {
        let now = OffsetDateTime::now_utc();
        // The vote's dates are shown in the region's usual offset well enough by their UTC day.
        Self {
            votes: p.votes,
            open: p.is_open(now),
            finished: p.is_finished(now),
            upcoming: p.opens_at.is_some_and(|o| now < o),
            closes_on: p.closes_at.map(|c| last_day(c, l)),
            opens_on: p.opens_at.map(|o| long_date(o.date(), l)),
            funding_url: p.funding_url,
            goal: p.goal,
            call: p.call,
            team: p.team,
            voted,
            vote_action: format!("/projets/{id}/voter"),
            outcome: outcome.filter(|o| ["compte", "retire", "ferme", "epuise", "confirmer"].contains(&o.as_str())),
        }
    }
}
