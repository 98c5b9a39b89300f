//! Declarative regions: `tenants/<slug>.toml`, created or updated by `echos tenants sync`.

use std::path::{Path, PathBuf};

use echos_domain::{HostName, Locale, Slug};
use serde::Deserialize;

use crate::db::Db;
use crate::error::CoreError;
use crate::provision::{self, Branding, NewTenant};
use crate::tenants;

/// The file's shape. Unknown keys are refused, so a typo is an error, not a silent default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub name: String,
    #[serde(default)]
    pub tagline: String,
    #[serde(default)]
    pub locale: Option<String>,
    /// Hosts besides `<slug>.<platform domain>`.
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub colors: Colors,
    /// A file in `tenants/assets/`, served at `/static/tenants/<file>`.
    #[serde(default)]
    pub logo: Option<String>,
    #[serde(default)]
    pub map: Option<MapCentre>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub primary: Option<String>,
    pub accent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapCentre {
    pub lat: f64,
    pub lng: f64,
    pub zoom: i16,
}

/// A definition read and checked, ready to apply.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub slug: Slug,
    pub name: String,
    pub domains: Vec<HostName>,
    pub branding: Branding,
}

/// Is this a safe asset file name (no path, no hidden file)?
pub fn is_asset_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Reads `<dir>/<slug>.toml`; errors name the file.
pub fn read(path: &Path) -> Result<Parsed, CoreError> {
    let file = path.display();
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let slug = Slug::parse(stem).map_err(|e| CoreError::invalid(format_args!("{file}: {e}")))?;
    let text = std::fs::read_to_string(path).map_err(|e| CoreError::invalid(format_args!("{file}: {e}")))?;
    let def: Definition =
        toml::from_str(&text).map_err(|e| CoreError::invalid(format_args!("{file}: {}", e.message())))?;
    let defaults = Branding::default();
    let locale = match def.locale.as_deref() {
        None => Locale::Fr,
        Some(tag) => Locale::parse(tag)
            .ok_or_else(|| CoreError::invalid(format_args!("{file}: unknown locale “{tag}” (fr, en or ca)")))?,
    };
    let domains = def
        .domains
        .iter()
        .map(|d| HostName::parse(d).map_err(|e| CoreError::invalid(format_args!("{file}: domain “{d}”: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if def.logo.as_deref().is_some_and(|logo| !is_asset_name(logo)) {
        return Err(CoreError::invalid(format_args!("{file}: the logo must be a file name in tenants/assets/")));
    }
    let branding = Branding {
        locale,
        tagline: def.tagline,
        color_primary: def.colors.primary.unwrap_or(defaults.color_primary),
        color_accent: def.colors.accent.unwrap_or(defaults.color_accent),
        logo_url: def.logo.map(|l| format!("/static/tenants/{l}")),
        map_lat: def.map.as_ref().map_or(defaults.map_lat, |m| m.lat),
        map_lng: def.map.as_ref().map_or(defaults.map_lng, |m| m.lng),
        map_zoom: def.map.as_ref().map_or(defaults.map_zoom, |m| m.zoom),
    };
    branding.check().map_err(|e| CoreError::invalid(format_args!("{file}: {e}")))?;
    Ok(Parsed { slug, name: def.name, domains, branding })
}

/// Every `*.toml` in the directory, sorted by file name.
pub fn read_dir(dir: &Path) -> Result<Vec<Parsed>, CoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CoreError::invalid(format_args!("{}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read(p)).collect()
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
}

/// Creates the region if it does not exist, otherwise updates it to match the definition.
pub async fn apply(db: &Db, platform_domain: &HostName, def: Parsed) -> Result<Outcome, CoreError> {
    match tenants::get(db.platform(), &def.slug).await {
        Ok(_) => {
            provision::update(db, platform_domain, &def.slug, &def.name, &def.domains, &def.branding).await?;
            Ok(Outcome::Updated)
        }
        Err(CoreError::NotFound) => {
            let new = NewTenant { slug: def.slug, name: def.name, domains: def.domains, branding: def.branding };
            provision::create(db, platform_domain, new).await?;
            Ok(Outcome::Created)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_cannot_escape_the_folder() {
        assert!(is_asset_name("grenoble.svg"));
        for bad in ["../x.svg", "a/b.svg", ".hidden", "", "a b.svg"] {
            assert!(!is_asset_name(bad), "{bad}");
        }
    }
}
