//! The region's configuration (`/admin/reglages`): the kinds of contribution it offers, its
//! languages and time zone, confirmation before publishing, limits for new accounts, communities
//! and moderation, projects, and the map. Each setting has a default and a line of help.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use echos_core::admin::branding::{self, Offer};
use echos_core::settings::{self, RegionSettings};
use echos_core::{Tenant, TenantTx};
use echos_domain::Locale;
use echos_domain::contribution::Kind;
use echos_domain::region::{self, TIME_ZONES};
use serde::{Deserialize, Serialize};

use super::render;
use crate::error::WebError;
use crate::forms::FormState;
use crate::gate::{CsrfForm, RegionAdmin};
use crate::i18n::t;
use crate::site::Page;
use crate::state::AppState;

#[derive(Serialize)]
struct SettingsPage<'a> {
    form: &'a FormState,
    kinds: Vec<(&'static str, bool)>,
    offered_locales: Vec<(&'static str, &'static str, bool)>,
    time_zones: &'static [&'static str],
    checks: Vec<(&'static str, bool)>,
    saved: bool,
}

/// The values of every field, as stored or as typed.
fn values(offer: &Offer, s: &RegionSettings) -> FormState {
    let bbox = offer.map_bbox.map(|b| b.map(|v| v.to_string()).join(", ")).unwrap_or_default();
    FormState::default()
        .value("default_locale", offer.default_locale.code())
        .value("time_zone", &offer.time_zone)
        .value("new_account_hours", &s.new_account_hours.to_string())
        .value("new_account_per_hour", &s.new_account_per_hour.to_string())
        .value("report_threshold", &s.report_threshold.to_string())
        .value("threshold_min", &s.threshold_min.to_string())
        .value("threshold_max", &s.threshold_max.to_string())
        .value("map_lat", &offer.map_lat.to_string())
        .value("map_lng", &offer.map_lng.to_string())
        .value("map_zoom", &offer.map_zoom.to_string())
        .value("map_bbox", &bbox)
        .value("map_tile_url", &offer.map_tile_url)
        .value("map_attribution", &offer.map_attribution)
        .value("geocoder_url", offer.geocoder_url.as_deref().unwrap_or_default())
}

fn show(
    app: &AppState,
    page: &Page,
    status: StatusCode,
    form: &FormState,
    offer: &Offer,
    s: &RegionSettings,
    saved: bool,
) -> Result<Response, WebError> {
    let ctx = SettingsPage {
        form,
        kinds: Kind::ALL.iter().map(|k| (k.code(), offer.kinds.contains(k))).collect(),
        offered_locales: Locale::ALL.iter().map(|l| (l.code(), l.native_name(), offer.locales.contains(l))).collect(),
        time_zones: TIME_ZONES,
        checks: vec![
            ("requires_confirmation", s.requires_confirmation),
            ("communities_open_without_approval", s.communities_open_without_approval),
            ("fresh_reports_weigh_half", s.fresh_reports_weigh_half),
            ("votes_need_confirmation", s.votes_need_confirmation),
        ],
        saved,
    };
    render(app, "admin/settings.html", status, page, "settings", ctx)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Saved {
    ok: String,
}

pub(super) async fn form(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    Query(q): Query<Saved>,
) -> Result<Response, WebError> {
    let s = app.db.with_tenant(&me.tenant, |tx| Box::pin(settings::region(tx))).await?;
    let offer = Offer::of(&me.tenant);
    show(&app, &page, StatusCode::OK, &values(&offer, &s), &offer, &s, q.ok == "1")
}

/// Parses the whole page; the refusals go to `form`.
fn parse(pairs: &[(String, String)], tenant: &Tenant, page: &Page, form: &mut FormState) -> (Offer, RegionSettings) {
    let l = page.locale;
    let field =
        |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let all = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let checked = |name: &str| field(name) == "on";
    let error = |form: &mut FormState, name: &'static str, key: &str| form.field_error(name, t(l, key, &[]));

    let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| all("kinds").iter().any(|c| c == k.code())).collect();
    if kinds.is_empty() {
        error(form, "kinds", "admin.settings.errors.kinds");
    }
    let locales: Vec<Locale> =
        Locale::ALL.into_iter().filter(|x| all("locales").iter().any(|c| c == x.code())).collect();
    let default_locale = Locale::parse(&field("default_locale")).filter(|d| locales.contains(d));
    if locales.is_empty() || default_locale.is_none() {
        error(form, "locales", "admin.settings.errors.locales");
    }
    let time_zone = region::time_zone(&field("time_zone"));
    if time_zone.is_none() {
        error(form, "time_zone", "admin.settings.errors.time_zone");
    }
    let int = |form: &mut FormState, name: &'static str, range: std::ops::RangeInclusive<i64>| {
        let v = field(name).parse::<i64>().ok().filter(|v| range.contains(v));
        if v.is_none() {
            form.field_error(
                name,
                t(
                    l,
                    "admin.settings.errors.number",
                    &[("min", range.start().to_string()), ("max", range.end().to_string())],
                ),
            );
        }
        v.unwrap_or(*range.start())
    };
    let new_account_hours = int(form, "new_account_hours", 0..=720);
    let new_account_per_hour = int(form, "new_account_per_hour", 1..=100);
    let report_threshold = int(form, "report_threshold", 1..=50);
    let threshold_min = int(form, "threshold_min", 1..=50);
    let threshold_max = int(form, "threshold_max", 1..=50);
    if !(threshold_min <= report_threshold && report_threshold <= threshold_max) {
        error(form, "report_threshold", "admin.settings.errors.threshold");
    }
    let coord = |name: &str, limit: f64| field(name).parse::<f64>().ok().filter(|v| v.is_finite() && v.abs() <= limit);
    let (map_lat, map_lng) = (coord("map_lat", 90.0), coord("map_lng", 180.0));
    if map_lat.is_none() || map_lng.is_none() {
        error(form, "map_lat", "admin.settings.errors.centre");
    }
    let map_zoom = int(form, "map_zoom", 1..=18);
    let map_bbox = match field("map_bbox").as_str() {
        "" => None,
        b => {
            let parsed = region::bbox(b);
            if parsed.is_none() {
                error(form, "map_bbox", "admin.settings.errors.bbox");
            }
            parsed
        }
    };
    let map_tile_url = region::tile_url(&field("map_tile_url"));
    if map_tile_url.is_none() {
        error(form, "map_tile_url", "admin.settings.errors.tiles");
    }
    let geocoder_url = match field("geocoder_url").as_str() {
        "" => None,
        u if (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() <= 300
            && !u.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')) =>
        {
            Some(u.to_owned())
        }
        _ => {
            error(form, "geocoder_url", "admin.settings.errors.geocoder");
            None
        }
    };
    let map_attribution = field("map_attribution");
    if map_attribution.is_empty() || map_attribution.chars().count() > 200 {
        error(form, "map_attribution", "admin.settings.errors.attribution");
    }
    let offer = Offer {
        kinds,
        locales,
        default_locale: default_locale.unwrap_or(tenant.default_locale),
        time_zone: time_zone.unwrap_or("Europe/Paris").to_owned(),
        map_lat: map_lat.unwrap_or(tenant.map.lat),
        map_lng: map_lng.unwrap_or(tenant.map.lng),
        map_zoom: map_zoom as i16,
        map_bbox,
        map_tile_url: map_tile_url.unwrap_or_else(|| field("map_tile_url")),
        map_attribution,
        geocoder_url,
    };
    let s = RegionSettings {
        requires_confirmation: checked("requires_confirmation"),
        new_account_hours,
        new_account_per_hour,
        communities_open_without_approval: checked("communities_open_without_approval"),
        report_threshold,
        threshold_min,
        threshold_max,
        fresh_reports_weigh_half: checked("fresh_reports_weigh_half"),
        votes_need_confirmation: checked("votes_need_confirmation"),
    };
    (offer, s)
}

pub(super) async fn save(
    State(app): State<AppState>,
    RegionAdmin(me): RegionAdmin,
    page: Page,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let mut form = FormState::default();
    let (offer, s) = parse(&pairs, &me.tenant, &page, &mut form);
    if !form.is_ok() {
        // What was typed comes back as typed, numbers included.
        let mut typed = values(&offer, &s);
        for name in [
            "new_account_hours",
            "new_account_per_hour",
            "report_threshold",
            "threshold_min",
            "threshold_max",
            "map_lat",
            "map_lng",
            "map_zoom",
            "map_bbox",
            "map_tile_url",
            "geocoder_url",
        ] {
            let v = pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
            typed = typed.value(name, v);
        }
        typed.errors = form.errors;
        return show(&app, &page, StatusCode::UNPROCESSABLE_ENTITY, &typed, &offer, &s, false);
    }
    let mut tx = TenantTx::begin(&app.db, &me.tenant).await?;
    branding::save_offer(&mut tx, &me.tenant, &me.member, &offer).await?;
    settings::save_region(&mut tx, &me.member, &s).await?;
    tx.commit().await?;
    app.directory.invalidate_all();
    Ok(Redirect::to("/admin/reglages?ok=1").into_response())
}
