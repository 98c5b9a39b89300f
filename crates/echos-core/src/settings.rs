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
