//! The command line. Every refusal is one sentence on stderr and a non-zero exit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use echos_core::definitions::{self, Outcome};
use echos_core::migrate::{self, Options};
use echos_core::provision::{self, Branding, NewTenant};
use echos_core::{Config, CoreError, Db, lifecycle, tenants};
use echos_domain::member::Email;
use echos_domain::{HostName, Locale, Slug};

#[derive(Parser)]
#[command(name = "echos", version, about = "Echosciences: every regional science-culture network from one deployment")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every region over HTTP.
    Serve {
        /// Address to listen on.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Run the job worker (e-mails); `--once` runs what is due and exits.
    Worker {
        #[arg(long)]
        once: bool,
    },
    /// Apply the platform migrations, then the tenant migrations to every region.
    Migrate,
    /// Administer one region.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Regions defined as files.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// The platform's operators.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The job queue.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Backups: check that they restore, make them now.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Set everything up on this machine and serve the demo regions on *.localhost.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Restore each region's latest archive into a scratch schema, check every table and row
    /// count, migrate it to this version, and roll it all back; exits 1 if one fails.
    Verify {
        /// Only this region.
        #[arg(long)]
        region: Option<String>,
    },
    /// Queue the backups that are due and dump the platform schema if due (the worker does it
    /// every hour), and remove those past their retention.
    Run,
    /// Dump the platform schema now, beside the media.
    Platform,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Open a new region (milliseconds when a spare schema is ready).
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        /// Another host for the region, besides <slug>.<platform domain>; repeatable.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// fr, en or ca.
        #[arg(long, default_value = "fr")]
        locale: String,
        #[arg(long, default_value = "")]
        tagline: String,
        /// The PostgreSQL cluster that holds it (`main` or a name under `database.clusters`);
        /// by default the one with the fewest regions.
        #[arg(long)]
        cluster: Option<String>,
    },
    /// List every region.
    List,
    /// Move a region's schema to another PostgreSQL cluster: read-only during the copy (writes
    /// answer 503 with a notice), row counts checked, then switched; media stay where they are.
    Move {
        slug: String,
        #[arg(long)]
        cluster: String,
        /// Start again a move that was cut short (the region stayed read-only where it was).
        #[arg(long)]
        resume: bool,
    },
    /// How many regions each PostgreSQL cluster holds.
    Clusters,
    /// Show one region.
    Show { slug: String },
    /// Suspend a region: its site reads but takes no writes, then closes after
    /// `billing.read_only_days`; nothing is deleted.
    Suspend { slug: String },
    /// Approve a region opened in trial: it becomes active for good.
    Approve { slug: String },
    /// Write a region's archive (its schema's rows, media, manifest) to FILE.
    Export { slug: String, file: PathBuf },
    /// Restore an archive as a new region.
    Import {
        file: PathBuf,
        /// The new region's slug.
        #[arg(long)]
        slug: String,
    },
    /// Make a member of the region (by their e-mail) its regional admin.
    Admin { slug: String, email: String },
    /// Reopen a suspended or archived region.
    Resume { slug: String },
    /// Rebuild a region's search index (after a release that changes what is indexed).
    Reindex { slug: String },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Jobs that gave up after their attempts, with their last error.
    Failed,
    /// Give a failed job another round of attempts, now.
    Retry { id: i64 },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Make the account with this address a platform operator (creating it if needed) and
    /// e-mail it a sign-in link to the operator's console.
    Create { email: String },
}

#[derive(Subcommand)]
enum TenantsCommand {
    /// Create or update the regions defined in tenants/*.toml.
    Sync {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

async fn backup(db: &Db, config: &Config, cmd: BackupCommand) -> anyhow::Result<ExitCode> {
    let media = media_store(config)?;
    match cmd {
        BackupCommand::Verify { region } => {
            let regions = match region {
                Some(s) => vec![echos_core::tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?],
                None => echos_core::tenants::list(db.platform(), None).await.map_err(sentence)?,
            };
            let (mut failed, mut missing) = (0, 0);
            for t in &regions {
                match echos_core::backups::verify_latest(db, &media, t.id).await {
                    Ok(Some(v)) => println!(
                        "ok       {:<24} archive of {} (migration {}): {} tables, {} rows, {} files, {} accounts",
                        t.slug,
                        v.exported_at.date(),
                        v.schema_version,
                        v.tables,
                        v.rows,
                        v.media,
                        v.accounts
                    ),
                    Ok(None) => {
                        missing += 1;
                        println!("none     {:<24} no archive yet", t.slug);
                    }
                    Err(e) => {
                        failed += 1;
                        println!("FAILED   {:<24} {}", t.slug, sentence(e));
                    }
                }
            }
            println!(
                "{} region(s): {} restore, {failed} failed, {missing} without an archive",
                regions.len(),
                regions.len() - failed - missing
            );
            return Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS });
        }
        BackupCommand::Run => {
            let pass = echos_core::backups::run(db, &media, &config.backups, None).await.map_err(sentence)?;
            println!(
                "{} region backup(s) queued for the worker; platform dump: {}; {} old backup(s) removed",
                pass.queued,
                pass.platform_dump.as_deref().unwrap_or("not due"),
                pass.removed
            );
        }
        BackupCommand::Platform => {
            let d = echos_core::backups::dump_platform(db, &media).await.map_err(sentence)?;
            println!("{}: {} tables, {} rows, {} bytes", d.key, d.tables, d.rows, d.bytes);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn slug(s: &str) -> anyhow::Result<Slug> {
    Slug::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

fn sentence(e: CoreError) -> anyhow::Error {
    match e {
        CoreError::NotFound => anyhow::anyhow!("no such region"),
        CoreError::Unexpected(e) => e,
        e => anyhow::anyhow!("{e}"),
    }
}

pub async fn run(args: Args, mut config: Config) -> anyhow::Result<ExitCode> {
    if let Command::Demo { bind } = &args.command {
        let url = crate::local_pg::ensure_database(&config).await?;
        config.database.url = url;
        config.dev.reload_templates = cfg!(debug_assertions);
        if config.platform.public_port.is_none() {
            config.platform.public_port = bind.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).filter(|p| *p != 80);
        }
    }
    let _telemetry = echos_telemetry::init(&echos_telemetry::Settings {
        filter: config.telemetry.log.clone(),
        json: config.telemetry.log_format == "json",
        otlp_endpoint: config.telemetry.otlp_endpoint.clone(),
        otlp_headers: config.telemetry.otlp_headers.clone().into_iter().collect(),
        service_name: config.telemetry.service_name.clone(),
    })?;
    let db = Db::connect(&config.database).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot reach PostgreSQL at {}: {}",
            echos_core::config::redact_url(&config.database.url),
            sentence(e)
        )
    })?;
    let domain = config.platform_domain();
    match args.command {
        Command::Serve { bind } => {
            let bind = bind.unwrap_or_else(|| config.http.bind.clone());
            crate::serve::serve(db, config, &bind).await?;
        }
        Command::Migrate => return migrate_all(&db, &config).await,
        Command::Worker { once } => {
            let media = media_store(&config)?;
            let payments = echos_billing::from_config(&config.billing).map_err(sentence)?;
            let state = echos_web::AppState::new(db, config, media, payments)?;
            if once {
                let ran = echos_web::worker::run_due(&state, None).await.map_err(sentence)?;
                println!("{ran} job(s) run");
            } else {
                tracing::info!("worker started");
                let metrics = crate::serve::metrics_listener(&state.db, &state.config).await?;
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let worker = tokio::spawn(echos_web::worker::run_forever(state, stopped, None));
                echos_web::server::shutdown_signal().await;
                // No new job is taken; those under way finish.
                let _ = stop.send(true);
                let _ = worker.await;
                if let Some(m) = metrics {
                    m.abort();
                }
            }
        }
        Command::Tenant(cmd) => tenant(&db, &config, &domain, cmd).await?,
        Command::Backup(cmd) => return backup(&db, &config, cmd).await,
        Command::Jobs(JobsCommand::Failed) => {
            let (jobs, total) = echos_core::operations::failed_jobs(db.platform(), 200, 0).await.map_err(sentence)?;
            println!("{total} failed job(s)");
            for j in jobs {
                println!(
                    "{:>8}  {:<24} {:<16} {} attempts  {}",
                    j.id,
                    j.kind,
                    j.region.as_deref().unwrap_or("-"),
                    j.attempts,
                    j.last_error.unwrap_or_default().lines().next().unwrap_or_default()
                );
            }
        }
        Command::Jobs(JobsCommand::Retry { id }) => {
            if !echos_core::operations::retry(db.platform(), id).await.map_err(sentence)? {
                anyhow::bail!("job {id} is not a failed job");
            }
            println!("job {id} queued again");
        }
        Command::Operator(OperatorCommand::Create { email }) => {
            let email = Email::parse(&email).ok_or_else(|| anyhow::anyhow!("“{email}” is not an e-mail address"))?;
            let created = echos_core::operators::create(db.platform(), &email).await.map_err(sentence)?;
            let port = config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
            println!(
                "{email} is a platform operator{}; a sign-in link to {}://{domain}{port}/platform is on its way (the worker sends it)",
                if created { " (account created)" } else { "" },
                config.platform.public_scheme
            );
        }
        Command::Tenants(TenantsCommand::Sync { dir }) => {
            let dir = dir.unwrap_or_else(|| config.paths.tenants_dir.clone());
            sync(&db, &config, &domain, &dir).await?;
        }
        Command::Demo { bind } => {
            if migrate_all(&db, &config).await? != ExitCode::SUCCESS {
                anyhow::bail!("the migrations did not all apply; see above");
            }
            provision::refill_spares(&db, config.tenancy.spares).await.map_err(sentence)?;
            sync(&db, &config, &domain, &config.paths.tenants_dir.clone()).await?;
            for t in tenants::list(db.platform(), None).await.map_err(sentence)? {
                if let Some(seed) = echos_core::seed::read(&config.paths.tenants_dir, &t.slug).map_err(sentence)? {
                    let n = echos_core::seed::apply(&db, &t, &seed).await.map_err(sentence)?;
                    if n > 0 {
                        println!("{}: {n} demo contribution(s) published", t.slug);
                    }
                }
                let admin = Email::parse(&format!("admin@{}", t.primary_host))
                    .ok_or_else(|| anyhow::anyhow!("no admin address for {}", t.primary_host))?;
                echos_core::seed::demo_admin(&db, &t, &admin, DEMO_PASSWORD).await.map_err(sentence)?;
            }
            let port = config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
            println!("\nThe demo is ready:");
            println!("  platform  http://{domain}{port}/");
            for t in tenants::list(db.platform(), None).await.map_err(sentence)? {
                println!(
                    "  {:<9} http://{}{port}/   console: admin@{} / {DEMO_PASSWORD}",
                    t.slug, t.primary_host, t.primary_host
                );
            }
            println!("Stop with Ctrl-C.\n");
            crate::serve::serve(db, config, &bind).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo admins' password (`admin@<region host>`): a laptop demo, never a deployment.
const DEMO_PASSWORD: &str = "echosciences-demo";

async fn migrate_all(db: &Db, config: &Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let report = migrate::run(db, Options::All, &migrate::tenant_set(), &config.tenancy).await.map_err(sentence)?;
    println!(
        "migrations: platform +{}, {} schema(s) migrated, {} already up to date, {} failed ({} ms)",
        report.platform_applied,
        report.migrated.len(),
        report.up_to_date,
        report.failed.len(),
        started.elapsed().as_millis()
    );
    for (name, error) in &report.failed {
        eprintln!("error: migrating {name} failed: {error}");
    }
    for (name, cluster) in &report.elsewhere {
        eprintln!(
            "error: {name} was not migrated: it lives on the cluster “{cluster}”, which database.clusters does not name"
        );
    }
    Ok(if report.failed.is_empty() && report.elsewhere.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn sync(db: &Db, config: &Config, domain: &HostName, dir: &std::path::Path) -> anyhow::Result<()> {
    let defs = definitions::read_dir(dir).map_err(sentence)?;
    if defs.is_empty() {
        println!("no region definitions in {}", dir.display());
    }
    for def in defs {
        let slug = def.slug.clone();
        let outcome =
            definitions::apply(db, domain, def).await.map_err(|e| sentence(e).context(format!("region {slug}")))?;
        println!("{slug}: {}", if outcome == Outcome::Created { "created" } else { "updated" });
    }
    provision::refill_spares(db, config.tenancy.spares).await.map_err(sentence)?;
    Ok(())
}

async fn tenant(db: &Db, config: &Config, domain: &HostName, cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create { slug: s, name, domains, locale, tagline, cluster } => {
            let slug = slug(&s)?;
            let domains = domains
                .iter()
                .map(|d| HostName::parse(d).map_err(|e| anyhow::anyhow!("the domain “{d}” is not valid: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let locale =
                Locale::parse(&locale).with_context(|| format!("unknown locale “{locale}”: use fr, en or ca"))?;
            let branding = Branding { locale, tagline, ..Branding::default() };
            let started = Instant::now();
            let t = provision::create_on(db, domain, NewTenant { slug, name, domains, branding }, cluster.as_deref())
                .await
                .map_err(sentence)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let port = config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
            println!(
                "region {} opened in {ms:.1} ms on the cluster {}: {}://{}{port}/",
                t.slug, t.database, config.platform.public_scheme, t.primary_host
            );
            // Keep the next opening fast too.
            provision::refill_spares(db, config.tenancy.spares).await.map_err(sentence)?;
        }
        TenantCommand::List => {
            let all = tenants::list(db.platform(), None).await.map_err(sentence)?;
            println!("{:<20} {:<10} {:>7}  {:<12} {:<30} name", "slug", "status", "version", "cluster", "host");
            for t in &all {
                println!(
                    "{:<20} {:<10} {:>7}  {:<12} {:<30} {}",
                    t.slug,
                    t.status.as_str(),
                    t.schema_version,
                    t.database,
                    t.primary_host,
                    t.name
                );
            }
            println!("{} region(s)", all.len());
        }
        TenantCommand::Move { slug: s, cluster, resume } => {
            let started = Instant::now();
            let moved = echos_core::clusters::move_region(db, &slug(&s)?, &cluster, resume).await.map_err(sentence)?;
            println!(
                "region {s} moved from {} to {} in {:.1} s: {} tables, {} rows checked",
                moved.from,
                moved.to,
                started.elapsed().as_secs_f64(),
                moved.tables,
                moved.rows
            );
            if moved.old_schema_left {
                eprintln!(
                    "warning: its old schema ({}, or renamed {0}_m…) is still on the cluster {}: drop it by hand (DROP SCHEMA … CASCADE)",
                    slug(&s)?.schema_name(),
                    moved.from
                );
            }
        }
        TenantCommand::Clusters => {
            for (name, n) in echos_core::clusters::usage(db).await.map_err(sentence)? {
                println!("{name:<16} {n} region(s)");
            }
        }
        TenantCommand::Show { slug: s } => {
            let t = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            let hosts = tenants::domains(db.platform(), t.id).await.map_err(sentence)?;
            println!(
                "slug:     {}\nname:     {}\nstatus:   {}\nid:       {}\nschema:   {} (version {}, database {})\nlocale:   {}\ntagline:  {}\ncolours:  {} / {}\nmap:      {}, {} (zoom {})\nhosts:    {}",
                t.slug,
                t.name,
                t.status.as_str(),
                t.id,
                t.schema,
                t.schema_version,
                t.database,
                t.default_locale,
                t.tagline,
                t.color_primary,
                t.color_accent,
                t.map.lat,
                t.map.lng,
                t.map.zoom,
                hosts.join(", ")
            );
        }
        TenantCommand::Admin { slug: s, email } => {
            let tenant = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            let email = Email::parse(&email).ok_or_else(|| anyhow::anyhow!("“{email}” is not an e-mail address"))?;
            let mut tx = echos_core::TenantTx::begin(db, &tenant).await.map_err(sentence)?;
            let promoted =
                echos_core::admin::members::make_admin_by_email(&mut tx, email.as_str()).await.map_err(sentence)?;
            tx.commit().await.map_err(sentence)?;
            match promoted {
                Some(handle) => println!("{handle} ({email}) is now an admin of {s}"),
                None => anyhow::bail!("{email} is not a member of {s}: they must sign up (or join) there first"),
            }
        }
        TenantCommand::Suspend { slug: s } => {
            let t = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            lifecycle::suspend(db.platform(), t.id, "cli", "suspended from the command line")
                .await
                .map_err(sentence)?;
            println!(
                "region {s} suspended: its site reads but takes no writes, and closes in {} days",
                config.billing.read_only_days
            );
        }
        TenantCommand::Resume { slug: s } => {
            let t = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            lifecycle::resume(db.platform(), t.id, "cli", "resumed from the command line").await.map_err(sentence)?;
            println!("region {s} resumed");
        }
        TenantCommand::Approve { slug: s } => {
            let t = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            lifecycle::approve(db.platform(), t.id, "cli").await.map_err(sentence)?;
            println!("region {s} approved: it is active");
        }
        TenantCommand::Export { slug: s, file } => {
            let t = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            let media = media_store(config)?;
            let started = Instant::now();
            let bytes = echos_core::archive::export(db, &media, &t).await.map_err(sentence)?;
            std::fs::write(&file, &bytes).with_context(|| format!("writing {}", file.display()))?;
            // The archive counts as the export a deletion needs, kept beside the region's media.
            let id = uuid::Uuid::new_v4();
            let key = media.put_export(t.id, id, bytes.clone()).await.map_err(sentence)?;
            echos_core::exports::record_ready(db.platform(), t.id, "cli", &key, bytes.len() as i64)
                .await
                .map_err(sentence)?;
            println!(
                "region {s} written to {} ({} bytes, {} ms)",
                file.display(),
                bytes.len(),
                started.elapsed().as_millis()
            );
        }
        TenantCommand::Import { file, slug: s } => {
            let new = slug(&s)?;
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let media = media_store(config)?;
            let started = Instant::now();
            let t = echos_core::archive::import(db, &media, domain, &bytes, &new).await.map_err(sentence)?;
            let port = config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
            println!(
                "region {} restored in {} ms: {}://{}{port}/",
                t.slug,
                started.elapsed().as_millis(),
                config.platform.public_scheme,
                t.primary_host
            );
        }
        TenantCommand::Reindex { slug: s } => {
            let t = tenants::get(db.platform(), &slug(&s)?).await.map_err(sentence)?;
            let started = std::time::Instant::now();
            let mut tx = echos_core::TenantTx::begin(db, &t).await.map_err(sentence)?;
            let n = echos_core::search::reindex(&mut tx).await.map_err(sentence)?;
            tx.commit().await.map_err(sentence)?;
            println!("region {s}: {n} contribution(s) indexed for search in {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

/// The media store the configuration names: a local directory, or S3 through `echos-s3`.
pub fn media_store(config: &Config) -> anyhow::Result<echos_core::MediaStore> {
    echos_core::MediaStore::from_config(&config.media, echos_s3::store_from_config).map_err(|e| anyhow::anyhow!("{e}"))
}
