//! Page views, counted privately: in memory, per region and day (and per contribution for "most
//! read"), then added to the region's tables in one transaction every few seconds — never a
//! write per view, and nothing about the visitor (no address, no cookie, no identifier).
//!
//! Each flush writes at most a given number of regions, those that waited longest: the database
//! work it costs is bounded whatever the number of regions read (at 5 000 regions read within ten
//! seconds, a transaction per region would be 500 a second, as much as the database serves pages),
//! and a region's counts wait a few flushes more instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use time::Date;
use uuid::Uuid;

use crate::db::{Db, TenantTx};
use crate::error::{Context, CoreError};
use crate::tenants::Tenant;

#[derive(Default)]
struct Pending {
    tenant: Option<Arc<Tenant>>,
    /// When the oldest count not yet written was made.
    since: Option<Instant>,
    days: HashMap<Date, i64>,
    contributions: HashMap<i64, i64>,
}

/// The counts not yet written. One per process; cheap to clone.
#[derive(Clone, Default)]
pub struct ViewCounter {
    pending: Arc<Mutex<HashMap<Uuid, Pending>>>,
}

impl ViewCounter {
    /// Counts one page view of the region (of a contribution's page, when `contribution` is
    /// given) on `day` (the region's date).
    pub fn record(&self, tenant: &Arc<Tenant>, day: Date, contribution: Option<i64>) {
        let Ok(mut pending) = self.pending.lock() else { return };
        let p = pending.entry(tenant.id).or_default();
        p.tenant.get_or_insert_with(|| tenant.clone());
        p.since.get_or_insert_with(Instant::now);
        *p.days.entry(day).or_default() += 1;
        if let Some(id) = contribution {
            *p.contributions.entry(id).or_default() += 1;
        }
    }

    /// Writes what was counted for at most `regions` regions, those that waited longest, a
    /// transaction per region; returns how many views were written. What fails to be written is
    /// put back for the next flush.
    pub async fn flush(&self, db: &Db, regions: usize) -> Result<i64, CoreError> {
        let taken: Vec<Pending> = match self.pending.lock() {
            Ok(mut pending) => {
                let mut waiting: Vec<(Option<Instant>, Uuid)> = pending.iter().map(|(id, p)| (p.since, *id)).collect();
                if waiting.len() > regions {
                    waiting.select_nth_unstable(regions);
                    waiting.truncate(regions);
                }
                waiting.into_iter().filter_map(|(_, id)| pending.remove(&id)).collect()
            }
            Err(_) => return Ok(0),
        };
        let mut written = 0;
        let mut first_error = None;
        for mut p in taken {
            let Some(mut tenant) = p.tenant.clone() else { continue };
            let mut result = write(db, &tenant, &p).await;
            if result.is_err() {
                // Counted before the region moved to another cluster: write them where it is now.
                if let Ok(now) = crate::tenants::get_by_id(db.platform(), tenant.id).await
                    && now.database != tenant.database
                {
                    tenant = std::sync::Arc::new(now);
                    p.tenant = Some(tenant.clone());
                    result = write(db, &tenant, &p).await;
                }
            }
            match result {
                Ok(n) => written += n,
                Err(e) => {
                    self.put_back(p);
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(written),
        }
    }

    fn put_back(&self, p: Pending) {
        let (Some(tenant), Ok(mut pending)) = (p.tenant.clone(), self.pending.lock()) else { return };
        let slot = pending.entry(tenant.id).or_default();
        slot.tenant.get_or_insert(tenant);
        slot.since = match (slot.since, p.since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (d, n) in p.days {
            *slot.days.entry(d).or_default() += n;
        }
        for (c, n) in p.contributions {
            *slot.contributions.entry(c).or_default() += n;
        }
    }
}

async fn write(db: &Db, tenant: &Tenant, p: &Pending) -> Result<i64, CoreError> {
    let (days, counts): (Vec<Date>, Vec<i64>) = p.days.iter().map(|(d, n)| (*d, *n)).unzip();
    let (ids, views): (Vec<i64>, Vec<i64>) = p.contributions.iter().map(|(c, n)| (*c, *n)).unzip();
    let mut tx = TenantTx::begin(db, tenant).await?;
    sqlx::query!(
        "INSERT INTO page_views (day, views) SELECT * FROM unnest($1::date[], $2::bigint[])
         ON CONFLICT (day) DO UPDATE SET views = page_views.views + EXCLUDED.views",
        &days,
        &counts
    )
    .execute(&mut *tx)
    .await
    .context("adding page views")?;
    sqlx::query!(
        "UPDATE contributions c SET view_count = c.view_count + v.n
           FROM unnest($1::bigint[], $2::bigint[]) AS v(id, n) WHERE c.id = v.id",
        &ids,
        &views
    )
    .execute(&mut *tx)
    .await
    .context("adding contribution views")?;
    tx.commit().await?;
    Ok(counts.iter().sum())
}
