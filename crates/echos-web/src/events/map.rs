//! The territory's map (`/carte`): events (upcoming by default, or a period), places to visit and
//! structures, as layers of clustered markers over the region's tiles, with a list beside it that
//! follows the view. Without JavaScript the list is the page. The points come from
//! `/carte.geojson` (RFC 7946: a FeatureCollection of Points, `[longitude, latitude]`), which
//! takes `bbox=minlon,minlat,maxlon,maxlat`, the agenda's period (`du`, `au`, `periode`) and
//! `couches=evenements,lieux,structures`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use echos_core::Tenant;
use echos_core::events::{self, MapPoint};
use echos_domain::geo::BBox;
use serde::Serialize;

use super::agenda::{AgendaQuery, period};
use crate::error::WebError;
use crate::format::long_date;
use crate::gate::Region;
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

/// The layers, by their name in addresses.
const LAYERS: [(&str, &str); 3] = [("evenements", "event"), ("lieux", "place"), ("structures", "structure")];

#[derive(Debug, Default)]
pub(super) struct MapQuery {
    bbox: String,
    /// `couches=evenements,lieux`, or the form's `couche=…` checkboxes.
    couches: String,
    period: AgendaQuery,
    /// Centre the map here (from an event's page).
    lat: String,
    lon: String,
}

impl MapQuery {
    fn from_raw(raw: Option<&str>) -> Result<Self, WebError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|_| WebError::BadRequest)?;
        let mut q = Self::default();
        let mut couches: Vec<String> = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "bbox" => q.bbox = v,
                "couches" => couches.extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned)),
                "couche" => couches.push(v),
                "lat" => q.lat = v,
                "lon" => q.lon = v,
                "periode" => q.period.periode = v,
                "du" => q.period.du = v,
                "au" => q.period.au = v,
                _ => {}
            }
        }
        q.couches = couches.join(",");
        Ok(q)
    }
}

/// The layers asked for (all when none is named); unknown names are refused.
fn layers(q: &str) -> Option<Vec<&'static str>> {
    if q.trim().is_empty() {
        return Some(LAYERS.iter().map(|(_, l)| *l).collect());
    }
    q.split(',').map(|n| LAYERS.iter().find(|(name, _)| *name == n.trim()).map(|(_, l)| *l)).collect()
}

/// The points in a box, for a period: `None` answers 400.
async fn points(app: &AppState, tenant: &Tenant, q: &MapQuery, limit: i64) -> Result<Option<Vec<MapPoint>>, WebError> {
    let bbox = if q.bbox.trim().is_empty() {
        BBox::WORLD
    } else {
        match BBox::parse(&q.bbox) {
            Some(b) => b,
            None => return Ok(None),
        }
    };
    let Some(layers) = layers(&q.couches) else { return Ok(None) };
    let tz = tenant.time_zone.clone();
    let p = q.period.clone();
    let found = app
        .db
        .with_tenant(tenant, |tx| {
            let (tz, p, layers) = (tz.clone(), p.clone(), layers.clone());
            Box::pin(async move {
                let now = events::local_now(tx, &tz).await?;
                let Ok((_, period)) = period(&p, now.date()) else { return Ok(None) };
                // By default, everything still to come.
                let (from, until) = match period {
                    Some(p) => (Some(p.from.midnight()), Some(p.until.midnight())),
                    None => (None, None),
                };
                Ok(Some(events::map_points(tx, &tz, bbox, from, until, &layers, limit).await?))
            })
        })
        .await?;
    Ok(found)
}

#[derive(Serialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<Feature<'a>>,
}

#[derive(Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    geometry: Geometry,
    properties: Properties<'a>,
}

#[derive(Serialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Properties<'a> {
    layer: &'a str,
    title: &'a str,
    url: &'a str,
    kind: Option<&'a str>,
    /// A place's name or address.
    place: &'a str,
    /// An event's next date, in words.
    when: Option<String>,
}

pub(super) async fn geojson(
    State(app): State<AppState>,
    Region(tenant): Region,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = MapQuery::from_raw(raw.as_deref())?;
    let Some(list) = points(&app, &tenant, &q, events::MAX_POINTS).await? else {
        let body = serde_json::json!({ "error": t(tenant.default_locale, "map.errors.query", &[]) });
        return Ok((StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/geo+json")], body.to_string())
            .into_response());
    };
    let l = tenant.default_locale;
    let offset = time::UtcOffset::UTC;
    let features: Vec<Feature> = list
        .iter()
        .map(|p| Feature {
            kind: "Feature",
            id: format!("{}-{}", p.layer, p.id),
            geometry: Geometry { kind: "Point", coordinates: [round(p.lon), round(p.lat)] },
            properties: Properties {
                layer: &p.layer,
                title: &p.title,
                url: &p.url,
                kind: p.kind.as_deref(),
                place: &p.place_name,
                when: p.starts_at.map(|s| long_date(s.to_offset(offset).date(), l)),
            },
        })
        .collect();
    let body = serde_json::to_string(&Collection { kind: "FeatureCollection", features })
        .map_err(|e| WebError::Internal(e.into()))?;
    // Shared like any anonymous page (`session::load`), kept by the page cache, with an ETag.
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// Six decimals: ten centimetres, and a lighter answer.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[derive(Serialize)]
struct MapPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    section: &'static str,
    points: Vec<MapPoint>,
    geojson_url: String,
    tile_url: &'a str,
    attribution: &'a str,
    lat: f64,
    lon: f64,
    zoom: i16,
    layers: Vec<(&'static str, bool)>,
    periode: String,
    error: Option<String>,
}

pub(super) async fn page(
    State(app): State<AppState>,
    Region(tenant): Region,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q = MapQuery::from_raw(raw.as_deref())?;
    // The list that stands without JavaScript: the first 100 (the script reads the GeoJSON).
    let found = points(&app, &tenant, &q, 100).await?;
    let (status, list, error) = match found {
        Some(l) => (StatusCode::OK, l, None),
        None => (StatusCode::BAD_REQUEST, vec![], Some(t(page.locale, "map.errors.query", &[]))),
    };
    let focus = echos_domain::geo::Point::parse(&q.lat, &q.lon).ok().flatten();
    let chosen = layers(&q.couches).unwrap_or_default();
    let mut query = String::new();
    for (k, v) in [("couches", &q.couches), ("periode", &q.period.periode), ("du", &q.period.du), ("au", &q.period.au)]
    {
        if !v.trim().is_empty() {
            query.push_str(if query.is_empty() { "?" } else { "&" });
            query.push_str(&format!("{k}={}", crate::format::urlencode(v.trim())));
        }
    }
    let ctx = MapPage {
        page: &page,
        section: "carte",
        geojson_url: format!("/carte.geojson{query}"),
        tile_url: &tenant.map.tile_url,
        attribution: &tenant.map.attribution,
        lat: focus.map_or(tenant.map.lat, |p| p.lat),
        lon: focus.map_or(tenant.map.lng, |p| p.lon),
        zoom: if focus.is_some() { 15 } else { tenant.map.zoom },
        layers: LAYERS.iter().map(|(name, l)| (*name, chosen.contains(l))).collect(),
        periode: q.period.periode.clone(),
        points: list,
        error,
    };
    let mut resp = (status, Html(app.templates.render("events/map.html", ctx)?)).into_response();
    if let Some(csp) = map_csp(&tenant.map.tile_url) {
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(resp)
}

/// The pages' policy, with the tile server's origin allowed for images (`{s}` subdomains as `*`).
pub(crate) fn map_csp(tile_url: &str) -> Option<HeaderValue> {
    let (scheme, rest) = tile_url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split('/').next()?.replace("{s}", "*");
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | ':')) {
        return None;
    }
    let policy = crate::router::CSP.replace("img-src 'self' data:", &format!("img-src 'self' data: {scheme}://{host}"));
    HeaderValue::from_str(&policy).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_servers_origin_and_nothing_else() {
        let csp = map_csp("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").unwrap();
        assert!(csp.to_str().unwrap().contains("img-src 'self' data: https://*.tile.openstreetmap.org;"));
        assert!(map_csp("https://tiles.example.org; script-src *").is_none());
        assert!(map_csp("javascript:alert(1)").is_none());
    }

    #[test]
    fn layers_by_name() {
        assert_eq!(layers(""), Some(vec!["event", "place", "structure"]));
        assert_eq!(layers("lieux,evenements"), Some(vec!["place", "event"]));
        assert_eq!(layers("lieux,bars"), None);
    }
}
