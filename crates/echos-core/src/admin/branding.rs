//! A region's look and what it offers, saved by its admins on the region's row (cached by every
//! process and refreshed through `NOTIFY`): name, tagline, colours, images, footer links, the
//! kinds of contribution it offers, its languages, time zone and map. One statement, in the
//! transaction that writes the audit line: two admins saving at once each save a whole look, the
//! last one wins.

use echos_domain::Locale;
use echos_domain::contribution::Kind;
use serde::Serialize;

use crate::accounts::Member;
use crate::admin::audit;
use crate::db::TenantTx;
use crate::error::{Context, CoreError};
use crate::tenants::{FooterLink, Tenant};

/// The look: everything on the appearance page, parsed.
#[derive(Debug, Clone, Serialize)]
pub struct Look {
    pub name: String,
    pub tagline: String,
    /// `#rrggbb`, lower case.
    pub color_primary: String,
    pub color_accent: String,
    pub footer_links: Vec<FooterLink>,
}

impl Look {
    pub fn of(t: &Tenant) -> Self {
        Self {
            name: t.name.clone(),
            tagline: t.tagline.clone(),
            color_primary: t.color_primary.clone(),
            color_accent: t.color_accent.clone(),
            footer_links: t.footer_links.clone(),
        }
    }
}

/// What the region offers: everything on the configuration page that lives on its row.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub kinds: Vec<Kind>,
    pub locales: Vec<Locale>,
    pub default_locale: Locale,
    pub time_zone: String,
    pub map_lat: f64,
    pub map_lng: f64,
    pub map_zoom: i16,
    pub map_bbox: Option<[f64; 4]>,
    pub map_tile_url: String,
    pub map_attribution: String,
    pub geocoder_url: Option<String>,
}

impl Offer {
    pub fn of(t: &Tenant) -> Self {
        Self {
            kinds: t.kinds.clone(),
            locales: t.locales.clone(),
            default_locale: t.default_locale,
            time_zone: t.time_zone.clone(),
            map_lat: t.map.lat,
            map_lng: t.map.lng,
            map_zoom: t.map.zoom,
            map_bbox: t.map.bbox,
            map_tile_url: t.map.tile_url.clone(),
            map_attribution: t.map.attribution.clone(),
            geocoder_url: t.map.geocoder_url.clone(),
        }
    }
}

fn json(v: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Saves the look and records it (before, after).
pub async fn save_look(tx: &mut TenantTx<'_>, tenant: &Tenant, by: &Member, look: &Look) -> Result<(), CoreError> {
    let links = serde_json::to_value(&look.footer_links).context("encoding footer links")?;
    sqlx::query!(
        "UPDATE platform.tenants
            SET name = $2, tagline = $3, color_primary = $4, color_accent = $5, footer_links = $6, updated_at = now()
          WHERE id = $1",
        tenant.id,
        look.name,
        look.tagline,
        look.color_primary,
        look.color_accent,
        links
    )
    .execute(&mut **tx)
    .await
    .context("saving the region's look")?;
    audit::record(tx, by, "branding.look", &look.name, json(&Look::of(tenant)), json(look)).await
}

/// Which image of the look an upload replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Logo,
    Favicon,
    Cover,
}

impl Image {
    pub fn code(self) -> &'static str {
        match self {
            Self::Logo => "logo",
            Self::Favicon => "favicon",
            Self::Cover => "cover",
        }
    }
}

/// Sets (or, with `None`, removes) one of the look's images; returns the key it replaces, for
/// the caller to delete once this commits.
pub async fn set_image(
    tx: &mut TenantTx<'_>,
    tenant: &Tenant,
    by: &Member,
    image: Image,
    key: Option<&str>,
) -> Result<Option<String>, CoreError> {
    let old = match image {
        Image::Logo => tenant.logo_key.clone(),
        Image::Favicon => tenant.favicon_key.clone(),
        Image::Cover => tenant.cover_key.clone(),
    };
    sqlx::query!(
        "UPDATE platform.tenants
            SET logo_key = CASE WHEN $2 = 'logo' THEN $3 ELSE logo_key END,
                favicon_key = CASE WHEN $2 = 'favicon' THEN $3 ELSE favicon_key END,
                cover_key = CASE WHEN $2 = 'cover' THEN $3 ELSE cover_key END,
                updated_at = now()
          WHERE id = $1",
        tenant.id,
        image.code(),
        key
    )
    .execute(&mut **tx)
    .await
    .context("saving an image of the region's look")?;
    let action = format!("branding.{}", image.code());
    audit::record(tx, by, &action, image.code(), json(&old), json(&key)).await?;
    Ok(old)
}

/// Saves what the region offers and records it (before, after).
pub async fn save_offer(tx: &mut TenantTx<'_>, tenant: &Tenant, by: &Member, offer: &Offer) -> Result<(), CoreError> {
    let kinds: Vec<String> = offer.kinds.iter().map(|k| k.code().to_owned()).collect();
    let locales: Vec<String> = offer.locales.iter().map(|l| l.code().to_owned()).collect();
    let bbox = offer.map_bbox.map(|b| b.to_vec());
    sqlx::query!(
        "UPDATE platform.tenants
            SET enabled_kinds = $2, locales = $3, default_locale = $4, time_zone = $5, map_lat = $6, map_lng = $7,
                map_zoom = $8, map_bbox = $9, map_tile_url = $10, map_attribution = $11, geocoder_url = $12, updated_at = now()
          WHERE id = $1",
        tenant.id,
        &kinds,
        &locales,
        offer.default_locale.code(),
        offer.time_zone,
        offer.map_lat,
        offer.map_lng,
        offer.map_zoom,
        bbox.as_deref(),
        offer.map_tile_url,
        offer.map_attribution,
        offer.geocoder_url
    )
    .execute(&mut **tx)
    .await
    .context("saving what the region offers")?;
    if offer.default_locale != tenant.default_locale {
        // Search follows the region's language.
        crate::search::reindex(tx).await?;
    }
    audit::record(tx, by, "settings.offer", "", json(&Offer::of(tenant)), json(offer)).await
}
