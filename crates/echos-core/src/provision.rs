//! Opening regions: claim a migrated spare schema and rename it, register the region and its
//! domains, seed its defaults — all in one transaction, so a failure leaves no schema and no row.
//! Creating a schema costs ~0.3 s (fsync-bound); claiming a spare costs milliseconds, so a few
//! spares are kept ready and refilled in the background.

use echos_domain::{HostName, Locale, Slug};
use sqlx::{Acquire, PgConnection, PgPool};
use uuid::Uuid;

use crate::db::{Db, TenantTx, set_search_path};
use crate::error::{Context, CoreError, DUPLICATE_SCHEMA, UNIQUE_VIOLATION, db_violation};
use crate::migrate::{self, Migration};
use crate::tenants::{self, Tenant};

/// A region's look and defaults, from `tenants/<slug>.toml`, the CLI or the admin pages.
#[derive(Debug, Clone)]
pub struct Branding {
    pub locale: Locale,
    pub tagline: String,
    pub color_primary: String,
    pub color_accent: String,
    pub logo_url: Option<String>,
    pub map_lat: f64,
    pub map_lng: f64,
    pub map_zoom: i16,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            locale: Locale::Fr,
            tagline: String::new(),
            color_primary: "#1b5e7a".into(),
            color_accent: "#c2410c".into(),
            logo_url: None,
            map_lat: 46.6,
            map_lng: 2.4,
            map_zoom: 6,
        }
    }
}

impl Branding {
    /// Checks colours (`#rrggbb`), map bounds and lengths; the error is one sentence.
    pub fn check(&self) -> Result<(), CoreError> {
        for (what, c) in [("primary colour", &self.color_primary), ("accent colour", &self.color_accent)] {
            let ok = c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
            if !ok {
                return Err(CoreError::invalid(format_args!(
                    "the {what} must be written #rrggbb in lowercase, not “{c}”"
                )));
            }
        }
        if !(-90.0..=90.0).contains(&self.map_lat) || !(-180.0..=180.0).contains(&self.map_lng) {
            return Err(CoreError::invalid(
                "the map centre must be a latitude between -90 and 90 and a longitude between -180 and 180",
            ));
        }
        if !(1..=18).contains(&self.map_zoom) {
            return Err(CoreError::invalid("the map zoom must be between 1 and 18"));
        }
        if self.tagline.chars().count() > 200 {
            return Err(CoreError::invalid("the tagline must be at most 200 characters long"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: Slug,
    pub name: String,
    /// Extra hosts; `<slug>.<platform domain>` is always registered, as the primary one.
    pub domains: Vec<HostName>,
    pub branding: Branding,
}

/// The defaults a new region starts with, in its own `settings` table.
const DEFAULT_SETTINGS: &[(&str, &str)] = &[
    ("registration.requires_confirmation", "false"),
    ("moderation.report_threshold", "3"),
    ("communities.open_without_approval", "false"),
];

fn check_name(name: &str) -> Result<String, CoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(CoreError::invalid("the region's name must be between 1 and 120 characters long"));
    }
    Ok(name.to_owned())
}

/// Opens a region on the cluster the placement policy picks. All or nothing: on any error no
/// schema, row or domain is left behind.
pub async fn create(db: &Db, platform_domain: &HostName, new: NewTenant) -> Result<Tenant, CoreError> {
    create_on(db, platform_domain, new, None).await
}

/// Opens a region on the cluster named, or the one the placement policy picks.
pub async fn create_on(
    db: &Db,
    platform_domain: &HostName,
    new: NewTenant,
    cluster: Option<&str>,
) -> Result<Tenant, CoreError> {
    let slug = new.slug.clone();
    let cluster = crate::clusters::place(db, cluster).await?;
    // The whole opening runs on that cluster: the control plane's rows through its foreign tables.
    crate::db::retrying_serialization(|| async {
        let mut conn = db.cluster(&cluster)?.acquire().await.context("waiting for a connection")?;
        let mut tx = conn.begin().await.context("starting a transaction")?;
        create_in(&mut tx, platform_domain, new.clone(), &cluster).await?;
        tx.commit().await.context("committing the new region")
    })
    .await?;
    tenants::get(db.platform(), &slug).await
}

/// Opens a region inside the caller's transaction on the pool of `cluster` (a sign-up opens the
/// region and makes its first admin in one). Returns the region's id; the transaction's
/// `search_path` is left on the new schema.
pub async fn create_in(
    tx: &mut PgConnection,
    platform_domain: &HostName,
    new: NewTenant,
    cluster: &str,
) -> Result<Uuid, CoreError> {
    let name = check_name(&new.name)?;
    new.branding.check()?;
    let primary = platform_domain
        .subdomain(new.slug.as_str())
        .map_err(|_| CoreError::invalid("the region's default host name would not be valid"))?;
    let mut hosts = vec![primary];
    for d in new.domains {
        if d.is_ip() {
            return Err(CoreError::invalid(format_args!("“{d}” is an IP address, not a domain name")));
        }
        if d == *platform_domain {
            return Err(CoreError::invalid(format_args!("“{d}” is the platform's own domain")));
        }
        if !hosts.contains(&d) {
            hosts.push(d);
        }
    }

    let schema = new.slug.schema_name();
    let set = migrate::tenant_set();
    let latest = migrate::latest(&set);

    let spare: Option<String> = sqlx::query_scalar!(
        "DELETE FROM platform.spare_schemas
          WHERE schema_name = (SELECT schema_name FROM platform.spare_schemas
                                WHERE schema_version = $1 AND database = $2
                                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING schema_name",
        latest,
        cluster
    )
    .fetch_optional(&mut *tx)
    .await
    .context("claiming a spare schema")?;

    let ddl = match &spare {
        Some(spare) => format!("ALTER SCHEMA {spare} RENAME TO {schema}"),
        None => format!("CREATE SCHEMA {schema}"),
    };
    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut *tx).await {
        return Err(match db_violation(&e) {
            // Two openings of one slug at once: the loser's rename or creation meets the winner's
            // schema (as a duplicate, or on the catalogue's unique index).
            Some((code, _)) if code == DUPLICATE_SCHEMA || code == UNIQUE_VIOLATION => {
                CoreError::conflict(format_args!("a region with the slug “{}” already exists", new.slug))
            }
            _ => CoreError::Unexpected(anyhow::Error::from(e).context("creating the region's schema")),
        });
    }
    match &spare {
        Some(spare) => {
            sqlx::query!("UPDATE platform.schema_ledger SET schema_name = $2 WHERE schema_name = $1", spare, schema)
                .execute(&mut *tx)
                .await
                .context("moving the spare's ledger")?;
        }
        None => {
            tracing::info!(slug = %new.slug, "no spare schema ready; creating one in place (slow path)");
            migrate::apply(&mut *tx, &schema, &set, 0).await?;
        }
    }

    let id = Uuid::new_v4();
    let b = &new.branding;
    let inserted = sqlx::query!(
        "INSERT INTO platform.tenants (id, slug, schema_name, name, default_locale, tagline,
                color_primary, color_accent, logo_url, map_lat, map_lng, map_zoom, schema_version, database)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        id,
        new.slug.as_str(),
        schema,
        name,
        b.locale.code(),
        b.tagline,
        b.color_primary,
        b.color_accent,
        b.logo_url,
        b.map_lat,
        b.map_lng,
        b.map_zoom,
        latest,
        cluster
    )
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(match db_violation(&e) {
            Some((code, _)) if code == UNIQUE_VIOLATION => {
                CoreError::conflict(format_args!("a region with the slug “{}” already exists", new.slug))
            }
            _ => CoreError::Unexpected(anyhow::Error::from(e).context("registering the region")),
        });
    }
    add_domains(&mut *tx, id, &hosts, true).await?;
    seed_defaults(&mut *tx, &schema).await?;
    Ok(id)
}

/// Registers hosts for a region; the first is primary when `first_is_primary`.
async fn add_domains(
    conn: &mut PgConnection,
    id: Uuid,
    hosts: &[HostName],
    first_is_primary: bool,
) -> Result<(), CoreError> {
    for (i, host) in hosts.iter().enumerate() {
        let r = sqlx::query!(
            // The operator's own hosts: verified by being given here.
            "INSERT INTO platform.tenant_domains (host, tenant_id, is_primary, verified_at) VALUES ($1, $2, $3, now())",
            host.as_str(),
            id,
            first_is_primary && i == 0
        )
        .execute(&mut *conn)
        .await;
        if let Err(e) = r {
            return Err(match db_violation(&e) {
                Some((code, _)) if code == UNIQUE_VIOLATION => {
                    CoreError::conflict(format_args!("the domain “{host}” is already used by another region"))
                }
                _ => CoreError::Unexpected(anyhow::Error::from(e).context("registering a domain")),
            });
        }
    }
    Ok(())
}

async fn seed_defaults(conn: &mut PgConnection, schema: &str) -> Result<(), CoreError> {
    set_search_path(conn, schema).await?;
    for (key, value) in DEFAULT_SETTINGS {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&mut *conn)
            .await
            .context("seeding the region's settings")?;
    }
    Ok(())
}

/// Updates a region's name, look and extra domains (the default host is kept). A new language
/// re-indexes the region's search in it.
pub async fn update(
    db: &Db,
    platform_domain: &HostName,
    slug: &Slug,
    name: &str,
    domains: &[HostName],
    b: &Branding,
) -> Result<Tenant, CoreError> {
    let name = check_name(name)?;
    b.check()?;
    let previous_locale = tenants::get(db.platform(), slug).await?.default_locale;
    let mut tx = db.platform().begin().await.context("starting a transaction")?;
    let id: Uuid = sqlx::query_scalar!(
        "UPDATE platform.tenants SET name = $2, default_locale = $3, tagline = $4, color_primary = $5,
                color_accent = $6, logo_url = $7, map_lat = $8, map_lng = $9, map_zoom = $10,
                updated_at = now()
          WHERE slug = $1 RETURNING id",
        slug.as_str(),
        name,
        b.locale.code(),
        b.tagline,
        b.color_primary,
        b.color_accent,
        b.logo_url,
        b.map_lat,
        b.map_lng,
        b.map_zoom
    )
    .fetch_optional(&mut *tx)
    .await
    .context("updating a region")?
    .ok_or(CoreError::NotFound)?;
    let primary = platform_domain.subdomain(slug.as_str()).map_err(|_| CoreError::invalid("invalid default host"))?;
    let extra: Vec<String> = domains.iter().filter(|d| **d != primary).map(|d| d.as_str().to_owned()).collect();
    sqlx::query!(
        "DELETE FROM platform.tenant_domains WHERE tenant_id = $1 AND NOT is_primary AND host <> ALL($2)",
        id,
        &extra
    )
    .execute(&mut *tx)
    .await
    .context("removing old domains")?;
    let existing: Vec<String> =
        sqlx::query_scalar!("SELECT host FROM platform.tenant_domains WHERE tenant_id = $1", id)
            .fetch_all(&mut *tx)
            .await
            .context("reading domains")?;
    let missing: Vec<HostName> =
        domains.iter().filter(|d| !existing.iter().any(|e| e == d.as_str()) && **d != primary).cloned().collect();
    add_domains(&mut tx, id, &missing, false).await?;
    tx.commit().await.context("committing the region's update")?;
    let tenant = tenants::get(db.platform(), slug).await?;
    if tenant.default_locale != previous_locale {
        // Search stems words in the region's language: index everything again in the new one.
        let mut tx = TenantTx::begin(db, &tenant).await?;
        crate::search::reindex(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(tenant)
}

/// Removes a region and everything in it. Used by tests and by operators through the CLI.
pub async fn destroy(db: &Db, slug: &Slug) -> Result<(), CoreError> {
    let t = tenants::get(db.platform(), slug).await?;
    // On the region's cluster: its schema there, the control plane's rows through it.
    let mut tx = db.cluster(&t.database)?.begin().await.context("starting a transaction")?;
    // A region busy with a long transaction makes this fail rather than wait for ever.
    sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await.context("setting the lock timeout")?;
    let schema: Option<String> = sqlx::query_scalar!(
        "DELETE FROM platform.tenants WHERE slug = $1 AND database = $2 RETURNING schema_name",
        slug.as_str(),
        t.database
    )
    .fetch_optional(&mut *tx)
    .await
    .context("removing a region")?;
    let schema = schema.ok_or(CoreError::NotFound)?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
        .execute(&mut *tx)
        .await
        .context("dropping the region's schema")?;
    sqlx::query!("DELETE FROM platform.schema_ledger WHERE schema_name = $1", schema)
        .execute(&mut *tx)
        .await
        .context("clearing the ledger")?;
    tx.commit().await.context("committing the removal")
}

/// Key of the advisory lock that keeps two processes from refilling spares at once.
const SPARES_LOCK: i64 = 0x6563_686f_735f_7370;

/// Tops each cluster's migrated spare schemas up to `target`. Returns how many were created.
/// Skips quietly when another process is already refilling.
pub async fn refill_spares(db: &Db, target: usize) -> Result<usize, CoreError> {
    let set = migrate::tenant_set();
    let latest = migrate::latest(&set);
    let mut lock = db.platform().acquire().await.context("waiting for a connection")?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SPARES_LOCK)
        .fetch_one(&mut *lock)
        .await
        .context("taking the spares lock")?;
    if !got {
        return Ok(0);
    }
    let mut result = Ok(0);
    for cluster in db.cluster_names() {
        result = match (result, db.cluster(&cluster)) {
            (Ok(n), Ok(pool)) => refill_locked(pool, &cluster, &set, latest, target).await.map(|m| n + m),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(SPARES_LOCK)
        .execute(&mut *lock)
        .await
        .context("releasing the spares lock")?;
    result
}

async fn refill_locked(
    pool: &PgPool,
    cluster: &str,
    set: &[Migration],
    latest: i64,
    target: usize,
) -> Result<usize, CoreError> {
    let ready: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM platform.spare_schemas WHERE schema_version = $1 AND database = $2"#,
        latest,
        cluster
    )
    .fetch_one(pool)
    .await
    .context("counting spare schemas")?;
    let missing = target.saturating_sub(usize::try_from(ready).unwrap_or(0));
    for _ in 0..missing {
        let name = format!("spare_{}", Uuid::new_v4().simple());
        let mut tx = pool.begin().await.context("starting a transaction")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut *tx)
            .await
            .context("creating a spare schema")?;
        let version = migrate::apply(&mut tx, &name, set, 0).await?;
        sqlx::query!(
            "INSERT INTO platform.spare_schemas (schema_name, schema_version, database) VALUES ($1, $2, $3)",
            name,
            version,
            cluster
        )
        .execute(&mut *tx)
        .await
        .context("registering a spare schema")?;
        tx.commit().await.context("committing a spare schema")?;
    }
    Ok(missing)
}
