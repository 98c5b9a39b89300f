//! For `echos demo` on a fresh machine: make sure a PostgreSQL answers and the database exists.
//! When nothing answers at the configured URL and the local PostgreSQL binaries are installed,
//! start a private cluster under `<data_dir>/postgres` (port 5433) and say so.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context as _, bail};
use echos_core::Config;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

const PRIVATE_PORT: u16 = 5433;

/// Returns the URL to use: the configured one, or the private cluster's.
pub async fn ensure_database(config: &Config) -> anyhow::Result<String> {
    let url = config.database.url.clone();
    let opts = PgConnectOptions::from_str(&url).context("reading the database URL")?;
    match create_if_missing(&opts).await {
        Ok(()) => return Ok(url),
        Err(e) if !is_unreachable(&e) => {
            return Err(e).context(format!("PostgreSQL at {}", echos_core::config::redact_url(&url)));
        }
        Err(_) => {}
    }
    let Some(bin) = find_pg_bin() else {
        bail!(
            "no PostgreSQL answers at {} and no PostgreSQL binaries are installed here: install PostgreSQL (for example `apt-get install postgresql`) or set DATABASE_URL to a running server",
            echos_core::config::redact_url(&url)
        );
    };
    let dir = std::path::absolute(config.paths.data_dir.join("postgres"))?;
    start_private_cluster(&bin, &dir)?;
    let private = opts.clone().host("127.0.0.1").port(PRIVATE_PORT).username("postgres").password("");
    create_if_missing(&private).await.context("preparing the private PostgreSQL")?;
    let db = opts.get_database().unwrap_or("echosciences");
    Ok(format!("postgres://postgres@127.0.0.1:{PRIVATE_PORT}/{db}"))
}

fn is_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| matches!(c.downcast_ref::<sqlx::Error>(), Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)))
}

/// Connects to the database, creating it first if the server says it does not exist.
async fn create_if_missing(opts: &PgConnectOptions) -> anyhow::Result<()> {
    match opts.connect().await {
        Ok(c) => {
            c.close().await.ok();
            Ok(())
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
            let name = opts.get_database().unwrap_or("echosciences").to_owned();
            if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                bail!("refusing to create a database named {name:?}");
            }
            let mut admin = opts.clone().database("postgres").connect().await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
            admin.close().await.ok();
            println!("created the database {name}");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn find_pg_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    candidates.sort();
    candidates.pop().or_else(|| {
        std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).find(|p| p.join("initdb").exists()))
    })
}

fn start_private_cluster(bin: &Path, dir: &Path) -> anyhow::Result<()> {
    let as_root =
        std::process::Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let run = |program: &str, args: &[&str]| -> anyhow::Result<()> {
        let exe = bin.join(program);
        let mut cmd = if as_root {
            // PostgreSQL refuses to run as root: run it as the `postgres` system user.
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let status = cmd.args(args).status().with_context(|| format!("running {}", exe.display()))?;
        if !status.success() {
            bail!("{} failed ({status})", exe.display());
        }
        Ok(())
    };
    let d = dir.to_string_lossy().to_string();
    if !dir.join("PG_VERSION").exists() {
        std::fs::create_dir_all(dir)?;
        if as_root {
            std::process::Command::new("chown").args(["-R", "postgres:postgres", &d]).status()?;
        }
        run("initdb", &["-D", &d, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])?;
    }
    let log = format!("{d}/server.log");
    let opts = format!(
        "-p {PRIVATE_PORT} -k {d} -c listen_addresses=127.0.0.1 -c max_connections=200 -c max_locks_per_transaction=256"
    );
    run("pg_ctl", &["-D", &d, "-l", &log, "-o", &opts, "-w", "start"])?;
    println!("started a private PostgreSQL under {d} on 127.0.0.1:{PRIVATE_PORT} (stop it with: pg_ctl -D {d} stop)");
    Ok(())
}
