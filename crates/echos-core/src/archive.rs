//! A region in one file, and back: `echos tenant export SLUG FILE` / `echos tenant import FILE
//! --slug NEW`, the console's and the operator's exports.
//!
//! The archive is a gzipped tar of:
//!
//! - `manifest.json` (first): the format, the region's slug and id, its migration version, and
//!   every table with its columns and row count;
//! - `tenant.json`: the region's look and settings from the directory;
//! - `accounts.json`: the accounts of its members — address, language, dates; never a password;
//! - `tables/<table>.copy`: each table of the region's schema in PostgreSQL's `COPY` text
//!   format, read in one repeatable-read snapshot, in primary-key order;
//! - `media/<purpose>/<file>`: every media file of the region.
//!
//! Restoring executes no SQL from the archive: it creates a schema from our own migrations (up
//! to the archive's version), `COPY`s each known table's rows into the columns named, then
//! migrates to the latest version. An archive holding anything else — another entry, a table
//! the schema does not have, a link, a path that climbs out, a newer version — is refused before
//! anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use echos_domain::{HostName, Slug};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sqlx::{Acquire, PgConnection};
use uuid::Uuid;

use crate::db::{Db, is_plain_identifier, set_search_path};
use crate::error::{Context, CoreError};
use crate::media::{MediaKey, MediaStore, PURPOSES};
use crate::migrate;
use crate::tenants::{self, Tenant};

const FORMAT: &str = "echosciences-region";
const FORMAT_VERSION: u32 = 1;
/// An archive larger than this once uncompressed is refused (a region's media included).
const MAX_TOTAL_BYTES: u64 = 8 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub slug: String,
    pub tenant_id: Uuid,
    pub schema_version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: time::OffsetDateTime,
    pub tables: Vec<TableEntry>,
    pub media: usize,
    pub accounts: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

/// What the directory holds of a region beyond its schema: its look and settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TenantRow {
    name: String,
    default_locale: String,
    locales: Vec<String>,
    tagline: String,
    color_primary: String,
    color_accent: String,
    logo_url: Option<String>,
    logo_key: Option<String>,
    favicon_key: Option<String>,
    cover_key: Option<String>,
    footer_links: serde_json::Value,
    enabled_kinds: Vec<String>,
    time_zone: String,
    map_lat: f64,
    map_lng: f64,
    map_zoom: i16,
    map_bbox: Option<Vec<f64>>,
    map_tile_url: String,
    map_attribution: String,
}

/// An account of a member, as archived.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccountRow {
    id: Uuid,
    email: String,
    locale: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    confirmed_at: Option<time::OffsetDateTime>,
}

/// The tables of a schema and their columns (generated ones aside), by name.
pub(crate) async fn tables_of(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<BTreeMap<String, Vec<String>>, CoreError> {
    let rows = sqlx::query!(
        r#"SELECT c.relname AS "table!", a.attname AS "column!"
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
            ORDER BY c.relname, a.attnum"#,
        schema
    )
    .fetch_all(&mut *conn)
    .await
    .context("listing a schema's tables")?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.table).or_default().push(r.column);
    }
    Ok(out)
}

/// A table's primary-key columns, for a stable order.
pub(crate) async fn key_of(conn: &mut PgConnection, schema: &str, table: &str) -> Result<Vec<String>, CoreError> {
    sqlx::query_scalar!(
        r#"SELECT a.attname AS "name!" FROM pg_index i
             JOIN pg_class c ON c.oid = i.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
            WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
            ORDER BY array_position(i.indkey, a.attnum)"#,
        schema,
        table
    )
    .fetch_all(conn)
    .await
    .context("reading a table's key")
}

pub(crate) fn quoted(cols: &[String]) -> Result<String, CoreError> {
    if let Some(bad) = cols.iter().find(|c| !is_plain_identifier(c)) {
        return Err(CoreError::invalid(format!("the archive names a column “{bad}” that is not a plain name")));
    }
    Ok(cols.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", "))
}

pub(crate) fn tar_file(out: &mut tar::Builder<impl Write>, path: &str, bytes: &[u8]) -> Result<(), CoreError> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mtime(time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64);
    out.append_data(&mut h, path, bytes).context("writing the archive")
}

/// Every table of `schema` in `COPY` text format, in primary-key order: the manifest's entries
/// and each table's bytes. Run inside the caller's snapshot.
pub(crate) async fn copy_out(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<(Vec<TableEntry>, Vec<(String, Vec<u8>)>), CoreError> {
    let mut tables = Vec::new();
    let mut data = Vec::new();
    for (name, columns) in tables_of(conn, schema).await? {
        let key = key_of(conn, schema, &name).await?;
        let order = if key.is_empty() { String::new() } else { format!(" ORDER BY {}", quoted(&key)?) };
        let statement = format!("COPY (SELECT {} FROM \"{schema}\".\"{name}\"{order}) TO STDOUT", quoted(&columns)?);
        let mut bytes = Vec::new();
        let mut stream = conn.copy_out_raw(&statement).await.context("reading a table")?;
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.context("reading a table")?);
        }
        drop(stream);
        let rows = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        tables.push(TableEntry { name: name.clone(), columns, rows });
        data.push((name, bytes));
    }
    Ok((tables, data))
}

/// Writes a region's archive (gzipped tar) and returns its bytes.
pub async fn export(db: &Db, media: &MediaStore, t: &Tenant) -> Result<Vec<u8>, CoreError> {
    let pool = db.pool_for(t)?;
    let mut tx =
        pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await.context("starting a snapshot")?;
    set_search_path(&mut tx, &t.schema).await?;

    let (tables, data) = copy_out(&mut tx, &t.schema).await?;
    let accounts: Vec<AccountRow> = sqlx::query_as!(
        AccountRow,
        "SELECT a.id, a.email, a.locale, a.created_at, a.confirmed_at FROM platform.accounts a
          WHERE a.id IN (SELECT account_id FROM members) ORDER BY a.id"
    )
    .fetch_all(&mut *tx)
    .await
    .context("reading the members' accounts")?;
    let row = sqlx::query_as!(
        TenantRow,
        "SELECT name, default_locale, locales, tagline, color_primary, color_accent, logo_url, logo_key, favicon_key,
                cover_key, footer_links, enabled_kinds, time_zone, map_lat, map_lng, map_zoom, map_bbox, map_tile_url,
                map_attribution
           FROM platform.tenants WHERE id = $1",
        t.id
    )
    .fetch_one(&mut *tx)
    .await
    .context("reading the region's row")?;
    tx.commit().await.context("ending the snapshot")?;

    let keys = media.list_for(t.id).await?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        slug: t.slug.clone(),
        tenant_id: t.id,
        schema_version: t.schema_version,
        exported_at: time::OffsetDateTime::now_utc(),
        tables,
        media: keys.len(),
        accounts: accounts.len(),
    };
    let json = |v: &dyn erased::Json| v.bytes();
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut out = tar::Builder::new(gz);
    tar_file(&mut out, "manifest.json", &json(&manifest)?)?;
    tar_file(&mut out, "tenant.json", &json(&row)?)?;
    tar_file(&mut out, "accounts.json", &json(&accounts)?)?;
    for (name, bytes) in &data {
        tar_file(&mut out, &format!("tables/{name}.copy"), bytes)?;
    }
    for key in keys {
        let Some((bytes, _)) = media.get(&key.to_string()).await? else { continue };
        tar_file(&mut out, &format!("media/{}/{}.{}", key.purpose, key.id, key.ext), &bytes)?;
    }
    let gz = out.into_inner().context("finishing the archive")?;
    gz.finish().context("compressing the archive")
}

mod erased {
    use crate::error::{Context, CoreError};

    /// Anything serialisable, as pretty JSON bytes (for a list of differently typed parts).
    pub trait Json {
        fn bytes(&self) -> Result<Vec<u8>, CoreError>;
    }

    impl<T: serde::Serialize> Json for T {
        fn bytes(&self) -> Result<Vec<u8>, CoreError> {
            serde_json::to_vec_pretty(self).context("writing JSON")
        }
    }
}

/// An archive read and checked, nothing written yet.
struct Unpacked {
    manifest: Manifest,
    tenant: TenantRow,
    accounts: Vec<AccountRow>,
    tables: BTreeMap<String, Vec<u8>>,
    media: Vec<(&'static str, Uuid, &'static str, Vec<u8>)>,
}

/// Reads an archive and the migrations it needs, refusing one made by a newer platform.
fn unpack_known(bytes: &[u8]) -> Result<(Unpacked, Vec<migrate::Migration>), CoreError> {
    let u = unpack(bytes)?;
    let set = migrate::tenant_set();
    let latest = migrate::latest(&set);
    if u.manifest.schema_version > latest {
        return Err(refused(format!(
            "it was made at migration {} and this platform knows only up to {latest}: upgrade first",
            u.manifest.schema_version
        )));
    }
    Ok((u, set))
}

fn refused(why: impl std::fmt::Display) -> CoreError {
    CoreError::invalid(format!("this archive is refused: {why}"))
}

/// Reads an archive, refusing any entry but the ones described at the top of this module.
fn unpack(bytes: &[u8]) -> Result<Unpacked, CoreError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let (mut manifest, mut tenant, mut accounts) = (None, None, None);
    let (mut tables, mut media) = (BTreeMap::new(), Vec::new());
    let mut total = 0u64;
    let entries = archive.entries().map_err(|_| refused("it is not a gzipped tar file"))?;
    for entry in entries {
        let mut entry = entry.map_err(|_| refused("it is damaged"))?;
        let kind = entry.header().entry_type();
        let raw = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw).map_err(|_| refused("an entry's name is not UTF-8"))?;
        if kind != tar::EntryType::Regular {
            return Err(refused(format!("“{path}” is not a plain file (a link or a folder)")));
        }
        total += entry.size();
        if total > MAX_TOTAL_BYTES {
            return Err(refused("it is larger than 8 GiB"));
        }
        let mut body = Vec::with_capacity(entry.size().min(64 << 20) as usize);
        entry.read_to_end(&mut body).map_err(|_| refused("it is damaged"))?;
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["manifest.json"] => {
                manifest =
                    Some(serde_json::from_slice::<Manifest>(&body).map_err(|e| refused(format!("manifest: {e}")))?);
            }
            ["tenant.json"] => {
                tenant =
                    Some(serde_json::from_slice::<TenantRow>(&body).map_err(|e| refused(format!("tenant.json: {e}")))?);
            }
            ["accounts.json"] => {
                accounts = Some(
                    serde_json::from_slice::<Vec<AccountRow>>(&body).map_err(|e| refused(format!("accounts: {e}")))?,
                );
            }
            ["tables", file] => {
                let name = file.strip_suffix(".copy").filter(|n| is_plain_identifier(n));
                let Some(name) = name else { return Err(refused(format!("unexpected entry “{path}”"))) };
                tables.insert(name.to_owned(), body);
            }
            ["media", purpose, file] => {
                // Checked as a key of a region would be: `<uuid>.<ext>` of a known purpose.
                let key = format!("tenants/{}/{purpose}/{file}", Uuid::nil());
                let Some(k) = MediaKey::parse(&key) else {
                    return Err(refused(format!("unexpected entry “{path}”")));
                };
                debug_assert!(PURPOSES.contains(&k.purpose));
                media.push((k.purpose, k.id, k.ext, body));
            }
            _ => return Err(refused(format!("unexpected entry “{path}”"))),
        }
    }
    let manifest = manifest.ok_or_else(|| refused("it has no manifest"))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(refused("it is not a region's archive of this format"));
    }
    let listed: BTreeSet<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    let present: BTreeSet<&str> = tables.keys().map(String::as_str).collect();
    if listed != present {
        return Err(refused("its tables do not match its manifest"));
    }
    Ok(Unpacked {
        manifest,
        tenant: tenant.ok_or_else(|| refused("it has no tenant.json"))?,
        accounts: accounts.ok_or_else(|| refused("it has no accounts.json"))?,
        tables,
        media,
    })
}

/// Tables in an order that satisfies their foreign keys (referenced ones first).
async fn fk_order(conn: &mut PgConnection, schema: &str, names: &[String]) -> Result<Vec<String>, CoreError> {
    let edges = sqlx::query!(
        r#"SELECT c.relname AS "from!", r.relname AS "to!"
             FROM pg_constraint k
             JOIN pg_class c ON c.oid = k.conrelid
             JOIN pg_class r ON r.oid = k.confrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE k.contype = 'f' AND n.nspname = $1 AND r.relnamespace = n.oid"#,
        schema
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading foreign keys")?;
    let mut left: Vec<String> = names.to_vec();
    let mut out = Vec::new();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| edges.iter().filter(|e| &e.from == *t && e.to != **t).all(|e| !left.contains(&e.to)))
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(CoreError::Unexpected(anyhow::anyhow!("the tables' foreign keys form a cycle")));
        }
        left.retain(|t| !ready.contains(t));
        out.extend(ready);
    }
    Ok(out)
}

/// Restores an archive as a new region with the slug `slug`: all or nothing.
pub async fn import(
    db: &Db,
    media: &MediaStore,
    platform_domain: &HostName,
    bytes: &[u8],
    slug: &Slug,
) -> Result<Tenant, CoreError> {
    let (u, set) = unpack_known(bytes)?;
    let old_id = u.manifest.tenant_id;
    let id = Uuid::new_v4();
    let schema = slug.schema_name();
    let host = platform_domain
        .subdomain(slug.as_str())
        .map_err(|_| CoreError::invalid("the region's default host name would not be valid"))?;

    // Files first, under the new region's id; removed again if the database part fails.
    for (purpose, file, ext, body) in &u.media {
        let key = MediaKey::parse(&format!("tenants/{id}/{purpose}/{file}.{ext}"))
            .ok_or_else(|| refused("a media file's name"))?;
        media.put_key(id, &key, body.clone()).await?;
    }
    match restore(db, &u, &set, id, old_id, &schema, slug, &host).await {
        Ok(()) => tenants::get(db.platform(), slug).await,
        Err(e) => {
            if let Err(cleanup) = media.delete_all_for(id).await {
                tracing::warn!(error = ?cleanup, "removing the files of a failed restore");
            }
            Err(e)
        }
    }
}

/// What [`verify`] found in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub slug: String,
    pub schema_version: i64,
    pub exported_at: time::OffsetDateTime,
    pub tables: usize,
    pub rows: u64,
    pub media: usize,
    pub accounts: usize,
}

/// Restores an archive into a scratch schema as [`import`] would — our migrations up to its
/// version, every table's rows through `COPY` with each count checked against the manifest and
/// every constraint enforced, then the migrations to the latest version — and rolls it all back:
/// no schema, region, account or file is left. `echos backup verify`.
pub async fn verify(db: &Db, bytes: &[u8]) -> Result<Verified, CoreError> {
    let (u, set) = unpack_known(bytes)?;
    let schema = format!("backup_check_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let mut conn = db.platform().acquire().await.context("waiting for a connection")?;
    let mut tx = conn.begin().await.context("starting a transaction")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut *tx)
        .await
        .context("creating a scratch schema")?;
    load_tables(&mut tx, &u, &set, &schema).await?;
    migrate::apply(&mut tx, &schema, &set, u.manifest.schema_version).await?;
    tx.rollback().await.context("dropping the scratch schema")?;
    Ok(Verified {
        slug: u.manifest.slug.clone(),
        schema_version: u.manifest.schema_version,
        exported_at: u.manifest.exported_at,
        tables: u.manifest.tables.len(),
        rows: u.manifest.tables.iter().map(|t| t.rows).sum(),
        media: u.media.len(),
        accounts: u.accounts.len(),
    })
}

/// Creates the archive's tables in `schema` (just created, empty) from our own migrations up to
/// the archive's version, checks that they are the archive's, and `COPY`s each table's rows in,
/// checking each count against the manifest. Leaves `search_path` on `schema`.
async fn load_tables(
    tx: &mut PgConnection,
    u: &Unpacked,
    set: &[migrate::Migration],
    schema: &str,
) -> Result<(), CoreError> {
    let upto: Vec<migrate::Migration> =
        set.iter().filter(|m| m.version <= u.manifest.schema_version).cloned().collect();
    migrate::apply(tx, schema, &upto, 0).await?;

    // The archive's tables must be exactly this version's, each column one the table has.
    let known = tables_of(tx, schema).await?;
    let archived: BTreeSet<&String> = u.manifest.tables.iter().map(|t| &t.name).collect();
    if archived != known.keys().collect() {
        return Err(refused("its tables are not those of a region at its migration version"));
    }
    for t in &u.manifest.tables {
        let have = &known[&t.name];
        if let Some(c) = t.columns.iter().find(|c| !have.contains(c)) {
            return Err(refused(format!("the table {} has no column “{c}”", t.name)));
        }
    }
    let data: BTreeMap<&str, &[u8]> = u.tables.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
    copy_in(tx, schema, &u.manifest.tables, &data).await.map_err(|e| match e {
        CoreError::Unexpected(e) => refused(format!("{e:#}")),
        e => e,
    })?;
    Ok(())
}

/// `COPY`s each table's rows into `schema` (its tables made, empty) with the triggers paused (the
/// rows come with their counters and search vectors), in foreign-key order, each count checked
/// against its entry; then moves identity sequences past the rows. Leaves `search_path` on
/// `schema`. Returns the rows written.
pub(crate) async fn copy_in(
    tx: &mut PgConnection,
    schema: &str,
    entries: &[TableEntry],
    data: &BTreeMap<&str, &[u8]>,
) -> Result<u64, CoreError> {
    set_search_path(tx, schema).await?;
    let names: Vec<String> = tables_of(tx, schema).await?.into_keys().collect();
    for name in &names {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER TABLE \"{name}\" DISABLE TRIGGER USER")))
            .execute(&mut *tx)
            .await
            .context("pausing triggers")?;
    }
    let mut total = 0;
    for name in fk_order(tx, schema, &names).await? {
        let (Some(entry), Some(bytes)) = (entries.iter().find(|t| t.name == name), data.get(name.as_str())) else {
            return Err(CoreError::Unexpected(anyhow::anyhow!("no rows given for the table {name}")));
        };
        let statement = format!("COPY \"{name}\" ({}) FROM STDIN", quoted(&entry.columns)?);
        let mut copy = tx.copy_in_raw(&statement).await.context("writing a table")?;
        copy.send(*bytes).await.map_err(|e| anyhow::anyhow!("the table {name}: {e}"))?;
        let rows = copy.finish().await.map_err(|e| anyhow::anyhow!("the table {name}: {e}"))?;
        if rows != entry.rows {
            return Err(CoreError::Unexpected(anyhow::anyhow!(
                "the table {name} holds {rows} rows, {} were expected",
                entry.rows
            )));
        }
        total += rows;
    }
    for name in &names {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER TABLE \"{name}\" ENABLE TRIGGER USER")))
            .execute(&mut *tx)
            .await
            .context("resuming triggers")?;
    }
    continue_identities(tx, schema).await?;
    Ok(total)
}

/// Identity columns continue after the rows written.
async fn continue_identities(tx: &mut PgConnection, schema: &str) -> Result<(), CoreError> {
    let identities = sqlx::query!(
        r#"SELECT c.relname AS "table!", a.attname AS "column!"
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND a.attidentity <> '' AND NOT a.attisdropped"#,
        schema
    )
    .fetch_all(&mut *tx)
    .await
    .context("finding identity columns")?;
    for i in identities {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{schema}.\"{t}\"', '{c}'), coalesce(max(\"{c}\"), 0) + 1, false) FROM \"{t}\"",
            t = i.table,
            c = i.column
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.context("moving a sequence on")?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn restore(
    db: &Db,
    u: &Unpacked,
    set: &[migrate::Migration],
    id: Uuid,
    old_id: Uuid,
    schema: &str,
    slug: &Slug,
    host: &HostName,
) -> Result<(), CoreError> {
    let mut conn = db.platform().acquire().await.context("waiting for a connection")?;
    let mut tx = conn.begin().await.context("starting a transaction")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut *tx)
        .await
        .map_err(|_| CoreError::conflict(format!("a region with the slug “{slug}” already exists")))?;
    load_tables(&mut tx, u, set, schema).await?;
    // Media keys written in rows (covers, avatars, images in bodies) name the old region's id.
    let (from, to) = (format!("tenants/{old_id}/"), format!("tenants/{id}/"));
    let texts = sqlx::query!(
        r#"SELECT c.relname AS "table!", a.attname AS "column!", format_type(a.atttypid, NULL) AS "type!"
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
              AND format_type(a.atttypid, NULL) IN ('text', 'jsonb')"#,
        schema
    )
    .fetch_all(&mut *tx)
    .await
    .context("finding text columns")?;
    for c in texts {
        let (t, col) = (&c.table, &c.column);
        let sql = if c.r#type == "jsonb" {
            format!(
                "UPDATE \"{t}\" SET \"{col}\" = replace(\"{col}\"::text, $1, $2)::jsonb WHERE strpos(\"{col}\"::text, $1) > 0"
            )
        } else {
            format!("UPDATE \"{t}\" SET \"{col}\" = replace(\"{col}\", $1, $2) WHERE strpos(\"{col}\", $1) > 0")
        };
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&from)
            .bind(&to)
            .execute(&mut *tx)
            .await
            .context("moving media keys")?;
    }
    // The members' accounts: the same account when it is here, by id or by address; else one
    // made for them (no password: they set one with "forgotten password").
    for a in &u.accounts {
        let existing = sqlx::query_scalar!(
            "SELECT id FROM platform.accounts WHERE id = $1 OR email = $2 ORDER BY (id = $1) DESC LIMIT 1",
            a.id,
            a.email
        )
        .fetch_optional(&mut *tx)
        .await
        .context("finding a member's account")?;
        let account = match existing {
            Some(found) => found,
            None => {
                sqlx::query!(
                    "INSERT INTO platform.accounts (id, email, password_hash, locale, created_at, confirmed_at, home_tenant_id)
                     VALUES ($1, $2, '!', $3, $4, $5, NULL)",
                    a.id,
                    a.email,
                    a.locale,
                    a.created_at,
                    a.confirmed_at
                )
                .execute(&mut *tx)
                .await
                .context("restoring a member's account")?;
                a.id
            }
        };
        if account != a.id {
            sqlx::query!("UPDATE members SET account_id = $2 WHERE account_id = $1", a.id, account)
                .execute(&mut *tx)
                .await
                .context("linking a member to their account")?;
        }
    }
    migrate::apply(&mut tx, schema, set, u.manifest.schema_version).await?;

    let r = &u.tenant;
    let key = |k: &Option<String>| k.as_ref().map(|k| k.replace(&from, &to));
    sqlx::query!(
        "INSERT INTO platform.tenants (id, slug, schema_name, name, default_locale, locales, tagline, color_primary,
                color_accent, logo_url, logo_key, favicon_key, cover_key, footer_links, enabled_kinds, time_zone,
                map_lat, map_lng, map_zoom, map_bbox, map_tile_url, map_attribution, schema_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        id,
        slug.as_str(),
        schema,
        r.name,
        r.default_locale,
        &r.locales,
        r.tagline,
        r.color_primary,
        r.color_accent,
        r.logo_url,
        key(&r.logo_key),
        key(&r.favicon_key),
        key(&r.cover_key),
        r.footer_links,
        &r.enabled_kinds,
        r.time_zone,
        r.map_lat,
        r.map_lng,
        r.map_zoom,
        r.map_bbox.as_deref(),
        r.map_tile_url,
        r.map_attribution,
        migrate::latest(set)
    )
    .execute(&mut *tx)
    .await
    .map_err(|_| CoreError::conflict(format!("a region with the slug “{slug}” already exists")))?;
    sqlx::query!(
        "INSERT INTO platform.tenant_domains (host, tenant_id, is_primary, verified_at) VALUES ($1, $2, true, now())",
        host.as_str(),
        id
    )
    .execute(&mut *tx)
    .await
    .map_err(|_| CoreError::conflict(format!("the host “{host}” is already used by another region")))?;
    sqlx::query!(
        "INSERT INTO platform.memberships (account_id, tenant_id)
         SELECT DISTINCT account_id, $1::uuid FROM members ON CONFLICT DO NOTHING",
        id
    )
    .execute(&mut *tx)
    .await
    .context("recording the memberships")?;
    crate::lifecycle::opened(&mut tx, id, "cli", &format!("restored from an archive of {}", u.manifest.slug)).await?;
    tx.commit().await.context("committing the restored region")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut out = tar::Builder::new(gz);
        for (path, body) in entries {
            tar_file(&mut out, path, body).unwrap_or_else(|e| panic!("{e:?}"));
        }
        out.into_inner().and_then(|g| g.finish()).unwrap_or_default()
    }

    fn message(r: Result<Unpacked, CoreError>) -> String {
        match r {
            Err(CoreError::Invalid(m)) => m,
            Err(e) => format!("{e:?}"),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn entries_outside_the_format_are_refused() {
        assert!(message(unpack(&archive(&[("schema.sql", b"DROP SCHEMA platform CASCADE;")]))).contains("schema.sql"));
        assert!(message(unpack(&archive(&[("media/secrets/a.png", b"")]))).contains("unexpected entry"));
        assert!(message(unpack(&archive(&[("tables/Platform.copy", b"")]))).contains("unexpected entry"));
        assert!(message(unpack(b"not an archive")).contains("refused"));
        assert!(message(unpack(&archive(&[]))).contains("no manifest"));
    }

    #[test]
    fn a_link_is_refused() {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut out = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        out.append_link(&mut h, format!("media/images/{}.png", Uuid::new_v4()), "/etc/passwd").unwrap_or(());
        let bytes = out.into_inner().and_then(|g| g.finish()).unwrap_or_default();
        assert!(message(unpack(&bytes)).contains("not a plain file"), "{}", message(unpack(&bytes)));
    }
}
