//! The directory of regions in the control plane: look-ups by host and slug, listing, status.

use echos_domain::contribution::Kind;
use echos_domain::{HostName, Locale, Slug};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Context, CoreError};

/// A region, as resolved from its host. Carries everything a page needs to brand itself and to
/// know what the region offers.
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    /// `tenant_<slug>`: checked by the database to be a plain identifier.
    pub schema: String,
    pub name: String,
    pub status: TenantStatus,
    pub database: String,
    pub default_locale: Locale,
    /// The languages the region offers (the default among them).
    pub locales: Vec<Locale>,
    pub tagline: String,
    pub color_primary: String,
    pub color_accent: String,
    /// The operator's asset (`tenants/assets/…`), when no logo was uploaded.
    pub logo_url: Option<String>,
    /// Uploaded images, media keys under the region's id.
    pub logo_key: Option<String>,
    pub favicon_key: Option<String>,
    pub cover_key: Option<String>,
    pub footer_links: Vec<FooterLink>,
    /// The kinds of contribution the region offers.
    pub kinds: Vec<Kind>,
    pub time_zone: String,
    pub map: MapSettings,
    pub schema_version: i64,
    /// The host its links use (never the request's host).
    pub primary_host: String,
    pub suspended_at: Option<OffsetDateTime>,
    pub past_due_since: Option<OffsetDateTime>,
    /// Being copied to another cluster: read-only until the switch (`clusters::move_region`).
    pub moving_since: Option<OffsetDateTime>,
    /// Shows its latest public contributions on the platform's site.
    pub showcase: bool,
}

impl Tenant {
    /// The logo to show: the uploaded one, else the operator's asset.
    pub fn logo(&self) -> Option<String> {
        self.logo_key.as_ref().map(|k| format!("/media/{k}")).or_else(|| self.logo_url.clone())
    }

    pub fn offers(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// A link in the region's footer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FooterLink {
    pub label: String,
    pub url: String,
}

/// Where the region's map opens and what it draws.
#[derive(Debug, Clone, Serialize)]
pub struct MapSettings {
    pub lat: f64,
    pub lng: f64,
    pub zoom: i16,
    /// [min longitude, min latitude, max longitude, max latitude]
    pub bbox: Option<[f64; 4]>,
    pub tile_url: String,
    pub attribution: String,
    /// A Nominatim-compatible search address that places an address typed without a point.
    pub geocoder_url: Option<String>,
}

/// Where a region is in its life (see `lifecycle`): trial → active → past due → suspended →
/// archived; deletion removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Opened without payment; runs until `trial_ends_at`, then needs an operator's approval.
    Trial,
    Active,
    /// A payment failed: everything works, the console shows a banner, e-mails go out.
    PastDue,
    /// Read-only with a notice, then closed once `billing.read_only_days` have passed.
    Suspended,
    /// Closed; nothing deleted.
    Archived,
}

impl TenantStatus {
    pub const ALL: [TenantStatus; 5] = [Self::Trial, Self::Active, Self::PastDue, Self::Suspended, Self::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trial => "trial",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Suspended => "suspended",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What a region's site lets visitors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Open,
    /// Pages read, nothing written; a notice says why.
    ReadOnly,
    /// A closed page that names no region.
    Closed,
    /// Being moved to another cluster for a few minutes: pages read, writes answer 503.
    Moving,
}

impl Tenant {
    /// What the site allows now, `read_only_days` after a suspension it closes.
    pub fn access(&self, read_only_days: i64, now: OffsetDateTime) -> Access {
        let access = match self.status {
            TenantStatus::Trial | TenantStatus::Active | TenantStatus::PastDue => Access::Open,
            TenantStatus::Suspended => match self.suspended_at {
                Some(at) if now - at >= time::Duration::days(read_only_days) => Access::Closed,
                _ => Access::ReadOnly,
            },
            TenantStatus::Archived => Access::Closed,
        };
        match access {
            Access::Open | Access::ReadOnly if self.moving_since.is_some() => Access::Moving,
            other => other,
        }
    }
}

/// A compile-checked read of regions: the columns, `FROM platform.tenants t`, then `$rest`;
/// each row made a `Tenant`. Closed sets are held by the table's `CHECK`s.
macro_rules! read {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            r#"SELECT t.id, t.slug, t.schema_name, t.name, t.status, t.database, t.default_locale,
                      t.locales, t.tagline, t.color_primary, t.color_accent, t.logo_url, t.logo_key,
                      t.favicon_key, t.cover_key, t.footer_links, t.enabled_kinds, t.time_zone,
                      t.map_lat, t.map_lng, t.map_zoom, t.map_bbox, t.map_tile_url, t.map_attribution, t.geocoder_url,
                      t.schema_version, t.suspended_at, t.past_due_since, t.moving_since, t.showcase,
                      (SELECT p.host FROM platform.tenant_domains p
                        WHERE p.tenant_id = t.id AND p.is_primary) AS primary_host
                 FROM platform.tenants t "# + $rest
            $(, $arg)*
        )
        .map(|r| Tenant {
            // Closed by the table's CHECK; the most closed state for anything else.
            status: TenantStatus::parse(&r.status).unwrap_or(TenantStatus::Archived),
            default_locale: Locale::parse(&r.default_locale).unwrap_or_default(),
            locales: r.locales.iter().filter_map(|l| Locale::parse(l)).collect(),
            primary_host: r.primary_host.unwrap_or_else(|| r.slug.clone()),
            footer_links: serde_json::from_value(r.footer_links).unwrap_or_default(),
            kinds: Kind::ALL.into_iter().filter(|k| r.enabled_kinds.iter().any(|c| c == k.code())).collect(),
            map: MapSettings {
                lat: r.map_lat,
                lng: r.map_lng,
                zoom: r.map_zoom,
                bbox: r.map_bbox.as_deref().and_then(|b| <[f64; 4]>::try_from(b).ok()),
                tile_url: r.map_tile_url,
                geocoder_url: r.geocoder_url,
                attribution: r.map_attribution,
            },
            id: r.id,
            slug: r.slug,
            schema: r.schema_name,
            name: r.name,
            database: r.database,
            tagline: r.tagline,
            color_primary: r.color_primary,
            color_accent: r.color_accent,
            logo_url: r.logo_url,
            logo_key: r.logo_key,
            favicon_key: r.favicon_key,
            cover_key: r.cover_key,
            time_zone: r.time_zone,
            schema_version: r.schema_version,
            suspended_at: r.suspended_at,
            past_due_since: r.past_due_since,
            moving_since: r.moving_since,
            showcase: r.showcase,
        })
    };
}

/// The region registered for this exact host, if any — and only once the host is verified.
pub async fn find_by_host(pool: &PgPool, host: &HostName) -> Result<Option<Tenant>, CoreError> {
    read!(
        "JOIN platform.tenant_domains d ON d.tenant_id = t.id WHERE d.host = $1 AND d.verified_at IS NOT NULL",
        host.as_str()
    )
    .fetch_optional(pool)
    .await
    .context("looking up a region by host")
}

/// Every region (or the one with this slug), by slug.
pub async fn list(pool: &PgPool, slug: Option<&str>) -> Result<Vec<Tenant>, CoreError> {
    read!("WHERE $1::text IS NULL OR t.slug = $1 ORDER BY t.slug", slug)
        .fetch_all(pool)
        .await
        .context("listing regions")
}

/// The region with this id (jobs carry it), or `NotFound`.
pub async fn get_by_id(pool: &PgPool, id: Uuid) -> Result<Tenant, CoreError> {
    read!("WHERE t.id = $1", id).fetch_optional(pool).await.context("reading a region")?.ok_or(CoreError::NotFound)
}

/// The region with this slug, or `NotFound`.
pub async fn get(pool: &PgPool, slug: &Slug) -> Result<Tenant, CoreError> {
    list(pool, Some(slug.as_str())).await?.into_iter().next().ok_or(CoreError::NotFound)
}

/// Every host registered for a region, the primary first.
pub async fn domains(pool: &PgPool, id: Uuid) -> Result<Vec<String>, CoreError> {
    sqlx::query_scalar!(
        "SELECT host FROM platform.tenant_domains WHERE tenant_id = $1 ORDER BY is_primary DESC, host",
        id
    )
    .fetch_all(pool)
    .await
    .context("listing a region's domains")
}
