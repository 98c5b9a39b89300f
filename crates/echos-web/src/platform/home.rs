//! The platform's home page: what a network is and who runs one, the live regions (a list and a
//! map drawn on the server), the latest public contributions of the regions that chose to show
//! them here, the prices (from the configuration) and "open your region".

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use echos_core::tenants::{self, Access, Tenant};
use echos_domain::colour::Rgb;
use serde::Serialize;

use crate::error::WebError;
use crate::format::long_date;
use crate::site::Page;
use crate::state::AppState;

/// How many regions' latest contributions the page shows, and how many of each.
const SHOWCASED_REGIONS: usize = 12;
const PER_REGION: i64 = 2;
const SHOWCASE_SIZE: usize = 8;

#[derive(Serialize)]
struct PlatformHome<'a> {
    #[serde(flatten)]
    page: &'a Page,
    regions: Vec<RegionCard>,
    map: MapView,
    /// The latest public contributions of the regions that opted in, newest first.
    showcase: Vec<Showcased>,
    pricing: Pricing,
}

#[derive(Serialize)]
struct RegionCard {
    name: String,
    tagline: String,
    url: String,
    color_primary: String,
    on_primary: String,
    logo_url: Option<String>,
    locale: &'static str,
    locale_name: &'static str,
}

/// The regions on a map of their territory: points placed in a 1000 × 800 box (equirectangular,
/// the box fitted to the regions with a margin), each labelled and linked; the same list is on
/// the page as text.
#[derive(Serialize)]
struct MapView {
    width: u32,
    height: u32,
    points: Vec<MapPoint>,
}

#[derive(Serialize)]
struct MapPoint {
    x: f64,
    y: f64,
    name: String,
    url: String,
    color: String,
    /// The label goes left of the point near the right edge.
    label_left: bool,
}

/// One contribution of a region, as the platform's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Showcased {
    region: String,
    region_url: String,
    title: String,
    summary: String,
    kind: &'static str,
    url: String,
    published: String,
    #[serde(skip)]
    at: time::OffsetDateTime,
}

#[derive(Serialize)]
struct Pricing {
    first_year_eur: u32,
    yearly_eur: u32,
    /// With billing off, a region opens in trial for this many days, then an operator approves it.
    trial_days: i64,
    billing: bool,
}

pub async fn home(app: &AppState, headers: &HeaderMap, page: Page) -> Result<Response, WebError> {
    let base = |t: &Tenant| region_base(app, headers, t);
    let live: Vec<Tenant> = tenants::list(app.db.platform(), None)
        .await?
        .into_iter()
        .filter(|t| t.access(app.config.billing.read_only_days, time::OffsetDateTime::now_utc()) == Access::Open)
        .collect();
    let regions = live
        .iter()
        .map(|t| {
            let colour = Rgb::parse(&t.color_primary).unwrap_or(Rgb::INK);
            RegionCard {
                url: format!("{}/", base(t)),
                name: t.name.clone(),
                tagline: t.tagline.clone(),
                color_primary: colour.hex(),
                on_primary: colour.text_on().hex(),
                logo_url: t.logo().filter(|l| l.starts_with("/assets/")),
                locale: t.default_locale.code(),
                locale_name: t.default_locale.native_name(),
            }
        })
        .collect();
    let map = map_of(&live, &base);
    let showcase = showcase(app, &live, &base, &page).await;
    let b = &app.config.billing;
    let pricing = Pricing {
        first_year_eur: b.first_year_price_eur,
        yearly_eur: b.yearly_price_eur,
        trial_days: b.trial_days,
        billing: b.stripe().is_some(),
    };
    let ctx = PlatformHome { page: &page, regions, map, showcase, pricing };
    Ok(Html(app.templates.render("platform/home.html", ctx)?).into_response())
}

/// `scheme://host[:port]` of a region, the port the visitor used when none is configured (so that
/// links work on `localhost:8080`).
pub fn region_base(app: &AppState, headers: &HeaderMap, t: &Tenant) -> String {
    let port = app.config.platform.public_port.or_else(|| request_port(headers));
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", app.config.platform.public_scheme, t.primary_host)
}

fn request_port(headers: &HeaderMap) -> Option<u16> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let (_, port) = host.rsplit_once(':')?;
    port.parse().ok().filter(|p| ![80, 443].contains(p))
}

fn map_of(regions: &[Tenant], base: &impl Fn(&Tenant) -> String) -> MapView {
    let (width, height) = (1000u32, 800u32);
    if regions.is_empty() {
        return MapView { width, height, points: Vec::new() };
    }
    let lats = regions.iter().map(|t| t.map.lat);
    let lngs = regions.iter().map(|t| t.map.lng);
    let (mut lat0, mut lat1) = lats.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let (mut lng0, mut lng1) = lngs.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    // At least four degrees each way, and a margin, so that one region sits in the middle.
    let (clat, clng) = ((lat0 + lat1) / 2.0, (lng0 + lng1) / 2.0);
    let half_lat = ((lat1 - lat0) / 2.0 * 1.25).max(2.0);
    let half_lng = ((lng1 - lng0) / 2.0 * 1.25).max(2.5);
    (lat0, lat1, lng0, lng1) = (clat - half_lat, clat + half_lat, clng - half_lng, clng + half_lng);
    let mut placed: Vec<(f64, f64)> = Vec::new();
    let points = regions
        .iter()
        .map(|t| {
            let mut x = (t.map.lng - lng0) / (lng1 - lng0) * f64::from(width);
            let mut y = (lat1 - t.map.lat) / (lat1 - lat0) * f64::from(height);
            // Regions centred on the same spot are set around it, so each point can be seen and
            // followed.
            let near = placed.iter().filter(|(px, py)| (px - x).abs() < 24.0 && (py - y).abs() < 24.0).count();
            placed.push((x, y));
            if near > 0 {
                let angle = near as f64 * 2.4;
                x += 40.0 * angle.cos();
                y += 40.0 * angle.sin();
            }
            MapPoint {
                x: (x * 10.0).round() / 10.0,
                y: (y * 10.0).round() / 10.0,
                name: t.name.clone(),
                url: format!("{}/", base(t)),
                color: Rgb::parse(&t.color_primary).unwrap_or(Rgb::INK).hex(),
                label_left: x > f64::from(width) * 0.6,
            }
        })
        .collect();
    MapView { width, height, points }
}

/// The latest public contributions of the regions that show theirs here: read once a minute
/// per process (a region's own pages are read live).
async fn showcase(app: &AppState, live: &[Tenant], base: &impl Fn(&Tenant) -> String, page: &Page) -> Vec<Showcased> {
    let chosen: Vec<&Tenant> = live.iter().filter(|t| t.showcase).take(SHOWCASED_REGIONS).collect();
    let key: Vec<uuid::Uuid> = chosen.iter().map(|t| t.id).collect();
    if let Some(hit) = app.showcase.get(&key).await {
        return relabel(&hit, page);
    }
    let mut all = Vec::new();
    for t in chosen {
        let latest =
            app.db.with_tenant(t, |tx| Box::pin(echos_core::contributions::latest_published(tx, PER_REGION))).await;
        match latest {
            Ok(items) => all.extend(items.into_iter().map(|c| Showcased {
                region: t.name.clone(),
                region_url: format!("{}/", base(t)),
                url: format!("{}/{}/{}-{}", base(t), c.kind.segment(), c.id, c.slug),
                title: c.title,
                summary: c.summary,
                kind: c.kind.code(),
                published: String::new(),
                at: c.published_at.unwrap_or(c.updated_at),
            })),
            Err(e) => tracing::warn!(error = ?e, region = %t.slug, "reading a region's latest for the platform failed"),
        }
    }
    all.sort_by_key(|s| std::cmp::Reverse(s.at));
    all.truncate(SHOWCASE_SIZE);
    let all = Arc::new(all);
    app.showcase.insert(key, all.clone()).await;
    relabel(&all, page)
}

fn relabel(items: &[Showcased], page: &Page) -> Vec<Showcased> {
    items.iter().map(|s| Showcased { published: long_date(s.at.date(), page.locale), ..s.clone() }).collect()
}
