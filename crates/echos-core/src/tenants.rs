//! The directory of regions in the control plane: look-ups by host and slug, listing, status.

use echos_domain::{HostName, Locale, Slug};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{Context, CoreError};

/// A region, as resolved from its host. Carries everything a page needs to brand itself.
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
    pub tagline: String,
    pub color_primary: String,
    pub color_accent: String,
    pub logo_url: Option<String>,
    pub map_lat: f64,
    pub map_lng: f64,
    pub map_zoom: i16,
    pub schema_version: i64,
    /// The host its links use (never the request's host).
    pub primary_host: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
}

struct TenantRow {
    id: Uuid,
    slug: String,
    schema_name: String,
    name: String,
    status: String,
    database: String,
    default_locale: String,
    tagline: String,
    color_primary: String,
    color_accent: String,
    logo_url: Option<String>,
    map_lat: f64,
    map_lng: f64,
    map_zoom: i16,
    schema_version: i64,
    primary_host: Option<String>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Self {
            status: if r.status == "suspended" { TenantStatus::Suspended } else { TenantStatus::Active },
            default_locale: Locale::parse(&r.default_locale).unwrap_or_default(),
            primary_host: r.primary_host.unwrap_or_else(|| r.slug.clone()),
            id: r.id,
            slug: r.slug,
            schema: r.schema_name,
            name: r.name,
            database: r.database,
            tagline: r.tagline,
            color_primary: r.color_primary,
            color_accent: r.color_accent,
            logo_url: r.logo_url,
            map_lat: r.map_lat,
            map_lng: r.map_lng,
            map_zoom: r.map_zoom,
            schema_version: r.schema_version,
        }
    }
}

/// The region registered for this exact host, if any.
pub async fn find_by_host(pool: &PgPool, host: &HostName) -> Result<Option<Tenant>, CoreError> {
    let row = sqlx::query_as!(
        TenantRow,
        r#"SELECT t.id, t.slug, t.schema_name, t.name, t.status, t.database, t.default_locale,
                  t.tagline, t.color_primary, t.color_accent, t.logo_url, t.map_lat, t.map_lng,
                  t.map_zoom, t.schema_version,
                  (SELECT p.host FROM platform.tenant_domains p
                    WHERE p.tenant_id = t.id AND p.is_primary) AS primary_host
             FROM platform.tenant_domains d
             JOIN platform.tenants t ON t.id = d.tenant_id
            WHERE d.host = $1"#,
        host.as_str()
    )
    .fetch_optional(pool)
    .await
    .context("looking up a region by host")?;
    Ok(row.map(Tenant::from))
}

/// Every region (or the one with this slug), by slug.
pub async fn list(pool: &PgPool, slug: Option<&str>) -> Result<Vec<Tenant>, CoreError> {
    let rows = sqlx::query_as!(
        TenantRow,
        r#"SELECT t.id, t.slug, t.schema_name, t.name, t.status, t.database, t.default_locale,
                  t.tagline, t.color_primary, t.color_accent, t.logo_url, t.map_lat, t.map_lng,
                  t.map_zoom, t.schema_version,
                  (SELECT p.host FROM platform.tenant_domains p
                    WHERE p.tenant_id = t.id AND p.is_primary) AS primary_host
             FROM platform.tenants t
            WHERE $1::text IS NULL OR t.slug = $1
            ORDER BY t.slug"#,
        slug
    )
    .fetch_all(pool)
    .await
    .context("listing regions")?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

/// The region with this id (jobs carry it), or `NotFound`.
pub async fn get_by_id(pool: &PgPool, id: Uuid) -> Result<Tenant, CoreError> {
    let row = sqlx::query_as!(
        TenantRow,
        r#"SELECT t.id, t.slug, t.schema_name, t.name, t.status, t.database, t.default_locale,
                  t.tagline, t.color_primary, t.color_accent, t.logo_url, t.map_lat, t.map_lng,
                  t.map_zoom, t.schema_version,
                  (SELECT p.host FROM platform.tenant_domains p
                    WHERE p.tenant_id = t.id AND p.is_primary) AS primary_host
             FROM platform.tenants t
            WHERE t.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await
    .context("reading a region")?;
    row.map(Tenant::from).ok_or(CoreError::NotFound)
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

/// Suspends or resumes a region; every process hears of it through `NOTIFY`.
pub async fn set_status(pool: &PgPool, slug: &Slug, status: TenantStatus) -> Result<(), CoreError> {
    let done = sqlx::query!(
        "UPDATE platform.tenants SET status = $2, updated_at = now() WHERE slug = $1",
        slug.as_str(),
        status.as_str()
    )
    .execute(pool)
    .await
    .context("changing a region's status")?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound);
    }
    Ok(())
}
