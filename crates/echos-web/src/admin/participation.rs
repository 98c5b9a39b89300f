//! Participation figures (`/admin/participation`): members joining (people and structures),
//! contributions by kind, comments and likes, active members — by month —, page views by day,
//! the most read and most liked, communities opened and joined, the most active communities. A period picker; each chart drawn on the server with its numbers
//! in a table beside it, and a CSV of each (`/admin/participation/<name>.csv`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use echos_core::admin::stats::{self, Period, Point, Ranked};
use echos_core::communities;
use echos_core::{CoreError, Tenant, TenantTx};
use echos_domain::Locale;
use echos_domain::contribution::Kind;
use serde::{Deserialize, Serialize};
use time::Date;

use super::render;
use crate::charts;
use crate::csv;
use crate::error::WebError;
use crate::format::short_month;
use crate::gate::RegionAdmin;
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct PeriodQuery {
    du: String,
    au: String,
}

impl PeriodQuery {
    /// The period asked for; by default the last twelve months (from the first of the month) up
    /// to `today`, the region's date.
    fn period(&self, today: Date) -> Result<Period, WebError> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let date = |s: &str| Date::parse(s.trim(), fmt).map_err(|_| WebError::BadRequest);
        let to = if self.au.trim().is_empty() { today } else { date(&self.au)? };
        let from = if self.du.trim().is_empty() {
            let back = to.replace_day(1).map_err(|_| WebError::BadRequest)? - time::Duration::days(335);
            back.replace_day(1).map_err(|_| WebError::BadRequest)?
        } else {
            date(&self.du)?
        };
        if from > to || (to - from).whole_days() > 3660 {
            return Err(WebError::BadRequest);
        }
        Ok(Period { from, to })
    }
}

/// The first day of each month of the period.
fn months(p: Period) -> Vec<Date> {
    let mut out = Vec::new();
    let Ok(mut m) = p.from.replace_day(1) else { return out };
    while m <= p.to {
        out.push(m);
        m = m.checked_add(time::Duration::days(32)).and_then(|d| d.replace_day(1).ok()).unwrap_or(Date::MAX);
    }
    out
}

/// Points made into one row of counts per month, a column per series (in `series` order).
fn by_month(points: &[Point], p: Period, series: &[String]) -> Vec<(Date, Vec<i64>)> {
    let mut grid: BTreeMap<Date, Vec<i64>> = months(p).into_iter().map(|m| (m, vec![0; series.len()])).collect();
    for pt in points {
        if let (Some(row), Some(col)) = (grid.get_mut(&pt.at), series.iter().position(|s| *s == pt.series)) {
            row[col] += pt.count;
        }
    }
    grid.into_iter().collect()
}

/// One chart of the page: its SVG, its table (header, rows), its CSV's name.
#[derive(Serialize)]
pub struct Chart {
    name: &'static str,
    title: String,
    svg: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<i64>)>,
}

struct Figures {
    members: (Vec<String>, Vec<(Date, Vec<i64>)>),
    contributions: (Vec<String>, Vec<(Date, Vec<i64>)>),
    interactions: (Vec<String>, Vec<(Date, Vec<i64>)>),
    active: Vec<(Date, Vec<i64>)>,
    views: Vec<Point>,
    most_read: Vec<Ranked>,
    most_liked: Vec<Ranked>,
    communities: (Vec<String>, Vec<(Date, Vec<i64>)>),
    /// Name, slug, contributions published in it over the period.
    most_active: Vec<(String, String, i64)>,
    /// Dates of events by month: by kind, and by public.
    event_kinds: (Vec<String>, Vec<(Date, Vec<i64>)>),
    audiences: (Vec<String>, Vec<(Date, Vec<i64>)>),
    /// Id, slug, title, members going.
    most_attended: Vec<(i64, String, String, i64)>,
    /// Votes for projects by month, and the most supported projects of the period.
    votes: Vec<(Date, Vec<i64>)>,
    most_voted: Vec<(i64, String, String, i64)>,
}

/// The period asked for, read against the region's own date (its time zone's: past midnight in
/// Paris, UTC is still on the day before), and its figures.
async fn figures_asked(app: &AppState, tenant: &Arc<Tenant>, q: PeriodQuery) -> Result<(Period, Figures), WebError> {
    let found = app
        .db
        .with_tenant(tenant, |tx| {
            let (tenant, q) = (tenant.clone(), q.clone());
            Box::pin(async move {
                let today = echos_core::events::local_now(tx, &tenant.time_zone).await?.date();
                let Ok(p) = q.period(today) else { return Ok(None) };
                Ok(Some((p, figures(tx, &tenant, p).await?)))
            })
        })
        .await?;
    found.ok_or(WebError::BadRequest)
}

async fn figures(tx: &mut TenantTx<'_>, tenant: &Tenant, p: Period) -> Result<Figures, CoreError> {
    let tz = tenant.time_zone.as_str();
    let kinds: Vec<String> = ["person", "structure"].map(str::to_owned).to_vec();
    let monthly = stats::monthly(tx, p, tz, time::OffsetDateTime::now_utc().date()).await?;
    let members = by_month(&monthly.members, p, &kinds);
    let codes: Vec<String> = Kind::ALL.iter().map(|k| k.code().to_owned()).collect();
    let contributions = by_month(&monthly.contributions, p, &codes);
    let inter: Vec<String> = ["comments", "likes"].map(str::to_owned).to_vec();
    let interactions = by_month(&monthly.interactions, p, &inter);
    let active = by_month(&monthly.active, p, &["active".to_owned()]);
    let groups: Vec<String> = ["opened", "joined"].map(str::to_owned).to_vec();
    let growth: Vec<Point> = communities::growth(tx, p.from, p.to, tz)
        .await?
        .into_iter()
        .flat_map(|(at, opened, joined)| {
            [Point { at, series: "opened".into(), count: opened }, Point { at, series: "joined".into(), count: joined }]
        })
        .collect();
    let since = p.from.midnight().assume_utc();
    let dated = echos_core::events::monthly(tx, p.from, p.to, tz).await?;
    let ekinds: Vec<String> = echos_domain::event::EVENT_KINDS.map(str::to_owned).to_vec();
    let publics: Vec<String> = echos_domain::event::AUDIENCES.map(str::to_owned).to_vec();
    let by_kind: Vec<Point> =
        dated.iter().map(|(at, k, _, n)| Point { at: *at, series: k.clone(), count: *n }).collect();
    let by_public: Vec<Point> =
        dated.iter().map(|(at, _, a, n)| Point { at: *at, series: a.clone(), count: *n }).collect();
    Ok(Figures {
        event_kinds: (ekinds.clone(), by_month(&by_kind, p, &ekinds)),
        audiences: (publics.clone(), by_month(&by_public, p, &publics)),
        most_attended: echos_core::events::most_attended(tx, since, 10).await?,
        votes: by_month(
            &echos_core::projects::votes_by_month(tx, p.from, p.to, tz)
                .await?
                .into_iter()
                .map(|(at, count)| Point { at, series: "votes".into(), count })
                .collect::<Vec<_>>(),
            p,
            &["votes".to_owned()],
        ),
        most_voted: echos_core::projects::most_voted(tx, since, 10).await?,
        members: (kinds, members),
        contributions: (codes, contributions),
        interactions: (inter, interactions),
        active,
        views: stats::views(tx, p).await?,
        most_read: stats::most_read(tx, 10).await?,
        most_liked: stats::most_liked(tx, 10).await?,
        communities: (groups.clone(), by_month(&growth, p, &groups)),
        most_active: communities::most_active(tx, since, 10).await?,
    })
}

fn chart(
    name: &'static str,
    title: String,
    l: Locale,
    series: &[String],
    labels_key: &str,
    grid: &[(Date, Vec<i64>)],
) -> Chart {
    let labels: Vec<String> = grid.iter().map(|(d, _)| short_month(*d, l)).collect();
    let columns: Vec<String> = series.iter().map(|s| t(l, &format!("{labels_key}.{s}"), &[])).collect();
    let values: Vec<(String, Vec<i64>)> = series
        .iter()
        .enumerate()
        .map(|(i, _)| (columns[i].clone(), grid.iter().map(|(_, row)| row[i]).collect()))
        .collect();
    Chart {
        name,
        svg: charts::stacked_bars(&title, &labels, &values),
        title,
        columns,
        rows: grid.iter().map(|(d, row)| (short_month(*d, l), row.clone())).collect(),
    }
}

/// The four monthly charts of a region's page, for figures summed over every region (the
/// operator's network-wide view).
pub fn network_charts(m: &stats::Monthly, p: Period, l: Locale) -> Vec<Chart> {
    let title = |k: &str| t(l, &format!("admin.participation.{k}.title"), &[]);
    let kinds: Vec<String> = ["person", "structure"].map(str::to_owned).to_vec();
    let codes: Vec<String> = Kind::ALL.iter().map(|k| k.code().to_owned()).collect();
    let inter: Vec<String> = ["comments", "likes"].map(str::to_owned).to_vec();
    let active = ["active".to_owned()];
    vec![
        chart(
            "membres",
            title("members"),
            l,
            &kinds,
            "admin.participation.members.series",
            &by_month(&m.members, p, &kinds),
        ),
        chart(
            "contributions",
            title("contributions"),
            l,
            &codes,
            "admin.participation.kinds",
            &by_month(&m.contributions, p, &codes),
        ),
        chart(
            "interactions",
            title("interactions"),
            l,
            &inter,
            "admin.participation.interactions.series",
            &by_month(&m.interactions, p, &inter),
        ),
        chart(
            "actifs",
            title("active"),
            l,
            &active,
            "admin.participation.active.series",
            &by_month(&m.active, p, &active),
        ),
    ]
}

#[derive(Serialize)]
struct ParticipationPage {
    from: String,
    to: String,
    query: String,
    charts: Vec<Chart>,
    views: Chart,
    most_read: Vec<RankedView>,
    most_liked: Vec<RankedView>,
    most_active: Vec<RankedView>,
    most_attended: Vec<RankedView>,
    most_voted: Vec<RankedView>,
}

#[derive(Serialize)]
struct RankedView {
    title: String,
    url: String,
    count: i64,
}

fn ranked(list: Vec<Ranked>) -> Vec<RankedView> {
    list.into_iter()
        .map(|r| RankedView {
            url: Kind::from_code(&r.kind).unwrap_or(Kind::Article).url(r.id, &r.slug),
            title: r.title,
            count: r.count,
        })
        .collect()
}

pub(super) async fn page(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let (p, f) = figures_asked(&app, &me.tenant, q).await?;
    let l = page.locale;
    let title = |k: &str| t(l, &format!("admin.participation.{k}.title"), &[]);
    let charts = vec![
        chart("membres", title("members"), l, &f.members.0, "admin.participation.members.series", &f.members.1),
        chart(
            "contributions",
            title("contributions"),
            l,
            &f.contributions.0,
            "admin.participation.kinds",
            &f.contributions.1,
        ),
        chart(
            "interactions",
            title("interactions"),
            l,
            &f.interactions.0,
            "admin.participation.interactions.series",
            &f.interactions.1,
        ),
        chart("actifs", title("active"), l, &["active".to_owned()], "admin.participation.active.series", &f.active),
        chart(
            "communautes",
            title("communities"),
            l,
            &f.communities.0,
            "admin.participation.communities.series",
            &f.communities.1,
        ),
        chart("evenements", title("events"), l, &f.event_kinds.0, "events.kinds", &f.event_kinds.1),
        chart("publics", title("audiences"), l, &f.audiences.0, "events.audiences", &f.audiences.1),
        chart("votes", title("votes"), l, &["votes".to_owned()], "admin.participation.votes.series", &f.votes),
    ];
    let day_labels: Vec<String> = f.views.iter().map(|pt| pt.at.to_string()).collect();
    let day_values: Vec<i64> = f.views.iter().map(|pt| pt.count).collect();
    let views = Chart {
        name: "vues",
        svg: charts::line(&title("views"), &day_labels, &day_values),
        title: title("views"),
        columns: vec![t(l, "admin.participation.views.series", &[])],
        rows: f.views.iter().map(|pt| (pt.at.to_string(), vec![pt.count])).collect(),
    };
    let query = format!("?du={}&au={}", p.from, p.to);
    let ctx = ParticipationPage {
        from: p.from.to_string(),
        to: p.to.to_string(),
        query,
        charts,
        views,
        most_read: ranked(f.most_read),
        most_liked: ranked(f.most_liked),
        most_active: f
            .most_active
            .into_iter()
            .map(|(title, slug, count)| RankedView { title, url: format!("/communautes/{slug}"), count })
            .collect(),
        most_attended: f
            .most_attended
            .into_iter()
            .map(|(id, slug, title, count)| RankedView { title, url: Kind::Event.url(id, &slug), count })
            .collect(),
        most_voted: f
            .most_voted
            .into_iter()
            .map(|(id, slug, title, count)| RankedView { title, url: Kind::Project.url(id, &slug), count })
            .collect(),
    };
    render(&app, "admin/participation.html", StatusCode::OK, &page, "participation", ctx)
}

/// One chart's numbers as CSV.
pub(super) async fn csv(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    Path(name): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let name = name.strip_suffix(".csv").ok_or(WebError::NotFound)?.to_owned();
    let (p, f) = figures_asked(&app, &me.tenant, q).await?;
    let month_rows = |series: &[String], grid: &[(Date, Vec<i64>)]| {
        let header: Vec<String> = std::iter::once("mois".to_owned()).chain(series.iter().cloned()).collect();
        let rows: Vec<Vec<String>> = grid
            .iter()
            .map(|(d, row)| {
                std::iter::once(d.to_string()[..7].to_owned()).chain(row.iter().map(i64::to_string)).collect()
            })
            .collect();
        (header, rows)
    };
    let ranked_rows = |list: &[Ranked]| {
        let header = vec!["titre".to_owned(), "adresse".to_owned(), "nombre".to_owned()];
        let rows = list
            .iter()
            .map(|r| {
                vec![
                    r.title.clone(),
                    Kind::from_code(&r.kind).unwrap_or(Kind::Article).url(r.id, &r.slug),
                    r.count.to_string(),
                ]
            })
            .collect();
        (header, rows)
    };
    let (header, rows) = match name.as_str() {
        "membres" => month_rows(&f.members.0, &f.members.1),
        "contributions" => month_rows(&f.contributions.0, &f.contributions.1),
        "interactions" => month_rows(&f.interactions.0, &f.interactions.1),
        "actifs" => month_rows(&["actifs".to_owned()], &f.active),
        "vues" => (
            vec!["jour".to_owned(), "vues".to_owned()],
            f.views.iter().map(|pt| vec![pt.at.to_string(), pt.count.to_string()]).collect(),
        ),
        "plus-lus" => ranked_rows(&f.most_read),
        "plus-aimes" => ranked_rows(&f.most_liked),
        "communautes" => month_rows(&f.communities.0, &f.communities.1),
        "evenements" => month_rows(&f.event_kinds.0, &f.event_kinds.1),
        "publics" => month_rows(&f.audiences.0, &f.audiences.1),
        "votes" => month_rows(&["votes".to_owned()], &f.votes),
        "projets-soutenus" => (
            vec!["projet".to_owned(), "adresse".to_owned(), "votes".to_owned()],
            f.most_voted
                .iter()
                .map(|(id, slug, title, n)| vec![title.clone(), Kind::Project.url(*id, slug), n.to_string()])
                .collect(),
        ),
        "evenements-frequentes" => (
            vec!["événement".to_owned(), "adresse".to_owned(), "participants".to_owned()],
            f.most_attended
                .iter()
                .map(|(id, slug, title, n)| vec![title.clone(), Kind::Event.url(*id, slug), n.to_string()])
                .collect(),
        ),
        "communautes-actives" => (
            vec!["communauté".to_owned(), "adresse".to_owned(), "contributions".to_owned()],
            f.most_active
                .iter()
                .map(|(name, slug, n)| vec![name.clone(), format!("/communautes/{slug}"), n.to_string()])
                .collect(),
        ),
        _ => return Err(WebError::NotFound),
    };
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let body = csv::document(&header, rows);
    Ok(csv::attachment(&format!("{}-{name}-{}-{}.csv", me.tenant.slug, p.from, p.to), body))
}
