//! A region's own settings (`settings` in its schema): what its admins saved, over the defaults.

use std::collections::BTreeMap;

use crate::db::TenantTx;
use crate::error::{Context, CoreError};

/// Every setting of the region, by key.
pub async fn all(tx: &mut TenantTx<'_>) -> Result<BTreeMap<String, serde_json::Value>, CoreError> {
    let rows = sqlx::query!("SELECT key, value FROM settings ORDER BY key")
        .fetch_all(&mut **tx)
        .await
        .context("reading the region's settings")?;
    Ok(rows.into_iter().map(|r| (r.key, r.value)).collect())
}

/// Saves one setting.
pub async fn set(tx: &mut TenantTx<'_>, key: &str, value: &serde_json::Value) -> Result<(), CoreError> {
    sqlx::query!(
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        key,
        value
    )
    .execute(&mut **tx)
    .await
    .context("saving a setting")?;
    Ok(())
}

/// A region's settings, typed, with their defaults: what its admins configure beyond its row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionSettings {
    /// Publishing and commenting wait for a confirmed e-mail address.
    pub requires_confirmation: bool,
    /// An account is "new" for this many hours after joining…
    pub new_account_hours: i64,
    /// …and may publish at most this many contributions an hour meanwhile.
    pub new_account_per_hour: i64,
    /// Communities open as soon as they are proposed (otherwise an admin approves them).
    pub communities_open_without_approval: bool,
    /// Reports that hide an item, by default…
    pub report_threshold: i64,
    /// …and the range a community may choose for itself.
    pub threshold_min: i64,
    pub threshold_max: i64,
    /// A report from an account younger than a day, or unconfirmed, counts for half.
    pub fresh_reports_weigh_half: bool,
    /// Votes for projects need a confirmed e-mail address.
    pub votes_need_confirmation: bool,
}

impl Default for RegionSettings {
    fn default() -> Self {
        Self {
            requires_confirmation: false,
            new_account_hours: 24,
            new_account_per_hour: 5,
            communities_open_without_approval: false,
            report_threshold: 3,
            threshold_min: 2,
            threshold_max: 10,
            fresh_reports_weigh_half: true,
            votes_need_confirmation: true,
        }
    }
}

/// The keys of `RegionSettings` in the `settings` table.
const KEYS: [&str; 9] = [
    "registration.requires_confirmation",
    "publishing.new_account_hours",
    "publishing.new_account_per_hour",
    "communities.open_without_approval",
    "moderation.report_threshold",
    "moderation.threshold_min",
    "moderation.threshold_max",
    "moderation.fresh_reports_weigh_half",
    "projects.votes_need_confirmation",
];

impl RegionSettings {
    /// From the stored values; a key missing or of the wrong type keeps its default.
    pub fn from_map(map: &BTreeMap<String, serde_json::Value>) -> Self {
        let d = Self::default();
        let b = |k: &str, v: bool| map.get(k).and_then(serde_json::Value::as_bool).unwrap_or(v);
        let i = |k: &str, v: i64| map.get(k).and_then(serde_json::Value::as_i64).unwrap_or(v);
        Self {
            requires_confirmation: b(KEYS[0], d.requires_confirmation),
            new_account_hours: i(KEYS[1], d.new_account_hours),
            new_account_per_hour: i(KEYS[2], d.new_account_per_hour),
            communities_open_without_approval: b(KEYS[3], d.communities_open_without_approval),
            report_threshold: i(KEYS[4], d.report_threshold),
            threshold_min: i(KEYS[5], d.threshold_min),
            threshold_max: i(KEYS[6], d.threshold_max),
            fresh_reports_weigh_half: b(KEYS[7], d.fresh_reports_weigh_half),
            votes_need_confirmation: b(KEYS[8], d.votes_need_confirmation),
        }
    }

    fn values(&self) -> [serde_json::Value; 9] {
        use serde_json::json;
        [
            json!(self.requires_confirmation),
            json!(self.new_account_hours),
            json!(self.new_account_per_hour),
            json!(self.communities_open_without_approval),
            json!(self.report_threshold),
            json!(self.threshold_min),
            json!(self.threshold_max),
            json!(self.fresh_reports_weigh_half),
            json!(self.votes_need_confirmation),
        ]
    }
}

/// The region's typed settings.
pub async fn region(tx: &mut TenantTx<'_>) -> Result<RegionSettings, CoreError> {
    Ok(RegionSettings::from_map(&all(tx).await?))
}

/// Saves every typed setting and records the change (before, after).
pub async fn save_region(
    tx: &mut TenantTx<'_>,
    by: &crate::accounts::Member,
    new: &RegionSettings,
) -> Result<(), CoreError> {
    let before = region(tx).await?;
    for (key, value) in KEYS.iter().zip(new.values()) {
        set(tx, key, &value).await?;
    }
    crate::admin::audit::record(
        tx,
        by,
        "settings.region",
        "",
        serde_json::to_value(&before).ok(),
        serde_json::to_value(new).ok(),
    )
    .await
}
