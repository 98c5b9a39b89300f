//! The job worker: claims due jobs from `platform.jobs` and runs them — today, the account
//! e-mails, rendered in the region's branding and language with links to the region's own host.
//! Runs as `echos worker`, or inside `echos serve` (`accounts.worker_in_serve`).

use std::time::Duration;

use echos_core::accounts::{self, AccountJob, EmailChangeJob};
use echos_core::admin::domains;
use echos_core::admin::newsletters::{self, Newsletter, NewsletterMailJob};
use echos_core::billing::{BillingMail, EventJob};
use echos_core::contributions::{self, ContributionJob};
use echos_core::exports::{self, ExportJob};
use echos_core::follows;
use echos_core::jobs::{self, Job};
use echos_core::mail::{Mailer, Outgoing};
use echos_core::notifications::{self, NotificationJob};
use echos_core::operators::OperatorJob;
use echos_core::{CoreError, Tenant, archive, lifecycle, signin, tenants};
use echos_domain::job::{JobKind, Lane};
use futures::StreamExt;
use serde::Serialize;
use tracing::Instrument as _;

use crate::admin::VerifyJob;
use crate::i18n::t;
use crate::links::region_url;
use crate::site::SiteView;
use crate::state::AppState;

/// The kinds whose jobs run even while their region is suspended.
fn always() -> Vec<&'static str> {
    JobKind::ALL.into_iter().filter(|k| !k.waits_while_suspended()).map(JobKind::code).collect()
}

/// Runs every job that is due now, lane after lane (of one region only, when `only` is given);
/// returns how many ran (tests and `echos worker --once`).
pub async fn run_due(app: &AppState, only: Option<uuid::Uuid>) -> Result<usize, CoreError> {
    let mut ran = 0;
    for lane in Lane::ALL {
        ran += run_lane(app, lane, only, None).await?;
    }
    Ok(ran)
}

/// Runs the due jobs of one lane until there are none (or `stop` says so), its lane's number at a
/// time: a job is claimed only when it can start at once, so none waits out its lease unstarted.
async fn run_lane(
    app: &AppState,
    lane: Lane,
    only: Option<uuid::Uuid>,
    stop: Option<&tokio::sync::watch::Receiver<bool>>,
) -> Result<usize, CoreError> {
    let kinds = JobKind::codes_of(lane);
    let always = always();
    let mut ran = 0;
    loop {
        if stop.is_some_and(|s| *s.borrow()) {
            return Ok(ran);
        }
        let limit = lane.concurrency() as i64;
        let batch = jobs::claim(app.db.platform(), &kinds, &always, limit, lane.lease_secs(), only).await?;
        if batch.is_empty() {
            return Ok(ran);
        }
        ran += batch.len();
        futures::stream::iter(batch).for_each_concurrent(lane.concurrency(), |job| run_guarded(app, lane, job)).await;
    }
}

/// Runs one job in a task of its own: its lease renewed while it runs, a panic caught and
/// recorded as a failure (the worker goes on), the outcome written back.
async fn run_guarded(app: &AppState, lane: Lane, job: Job) {
    run_guarded_with(app, lane, job, |app, job| async move { run(&app, &app.mailer, &job).await }).await;
}

/// `run_guarded` with the work given (tests make a job panic with it).
pub async fn run_guarded_with<F, Fut>(app: &AppState, lane: Lane, job: Job, work: F)
where
    F: FnOnce(AppState, Job) -> Fut,
    Fut: std::future::Future<Output = Result<(), CoreError>> + Send + 'static,
{
    let pool = app.db.platform().clone();
    let lease = lane.lease_secs();
    app.running_jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(job.id);
    let heartbeat = tokio::spawn({
        let pool = pool.clone();
        let id = job.id;
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(lease / 3.0));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = jobs::renew(&pool, id, lease).await {
                    tracing::warn!(job = id, error = ?e, "renewing a job's lease failed");
                }
            }
        }
    });
    // The job's span joins the trace of the request that queued it.
    let span = tracing::info_span!(
        "job",
        otel.name = %format_args!("job {}", job.kind),
        kind = %job.kind,
        job = job.id,
        region = tracing::field::Empty,
        trace_id = tracing::field::Empty
    );
    if let Some(region) = job.tenant_id {
        span.record("region", tracing::field::display(region));
    }
    if let Some(trace_id) = echos_core::trace::adopt(&span, job.trace_parent.as_deref()) {
        span.record("trace_id", trace_id);
    }
    // Both stop with this future: a worker that stops cuts its jobs and hands them back.
    let _heartbeat = AbortOnDrop(heartbeat.abort_handle());
    let running = tokio::spawn(work(app.clone(), job.clone()).instrument(span));
    let _running = AbortOnDrop(running.abort_handle());
    let outcome = running.await;
    heartbeat.abort();
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{e:#}")),
        Err(e) if e.is_panic() => {
            let what = e.into_panic();
            let text = what
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| what.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            tracing::error!(job = job.id, kind = %job.kind, region = ?job.tenant_id, panic = %text, "a job panicked");
            Some(format!("panicked: {text}"))
        }
        Err(e) => Some(format!("cancelled: {e}")),
    };
    let kind = echos_core::metrics::KindLabels { kind: job.kind.clone() };
    echos_core::metrics::METRICS.job_runs.get_or_create(&kind).inc();
    let written = match error {
        None => jobs::complete(&pool, job.id).await,
        Some(error) => {
            echos_core::metrics::METRICS.job_failures.get_or_create(&kind).inc();
            tracing::warn!(job = job.id, kind = %job.kind, region = ?job.tenant_id, attempt = job.attempts, %error, "job failed");
            jobs::fail(&pool, &job, &error).await
        }
    };
    if let Err(e) = written {
        tracing::error!(job = job.id, error = ?e, "recording a job's outcome failed");
    }
    app.running_jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&job.id);
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the due jobs of one kind whose payload's `key` is `value` (tests; the platform's own
/// jobs have no region to pick them by).
pub async fn run_matching(app: &AppState, kind: JobKind, key: &str, value: &str) -> Result<usize, CoreError> {
    let batch = jobs::claim_matching(app.db.platform(), kind, key, value, kind.lane().lease_secs()).await?;
    let ran = batch.len();
    for job in batch {
        run_guarded(app, kind.lane(), job).await;
    }
    Ok(ran)
}

/// Works until `stop` says so: a loop per lane (each lane's jobs in its own workers, so a slow
/// preview never holds back a mail), and once a minute the lifecycle's sweep, every ten minutes
/// the pruning of old rows, every hour the reminders of tomorrow's events and the backups
/// (`echos_core::backups`). On stop, no new job is taken; those under way get
/// `accounts.worker_stop_grace_secs` to finish, then are handed back to the queue. `only`: the
/// jobs of this region alone, and none of the schedules (a test's worker).
pub async fn run_forever(app: AppState, stop: tokio::sync::watch::Receiver<bool>, only: Option<uuid::Uuid>) {
    let mut lanes = Vec::new();
    for lane in Lane::ALL {
        let (app, mut stop) = (app.clone(), stop.clone());
        lanes.push(tokio::spawn(async move {
            while !*stop.borrow() {
                if let Err(e) = run_lane(&app, lane, only, Some(&stop)).await {
                    tracing::warn!(lane = lane.name(), error = ?e, "the job queue is unreachable");
                }
                tokio::select! {
                    () = app.wake.lane(lane).notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = stop.changed() => {}
                }
            }
        }));
    }
    let mut stop = stop;
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut minutes = 0u64;
    if only.is_some() {
        let _ = stop.wait_for(|stopped| *stopped).await;
    }
    while !*stop.borrow() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        // Cut short by a stop: what it was doing is in transactions that roll back.
        tokio::select! {
            () = schedules(&app, minutes) => {}
            _ = stop.changed() => break,
        }
        minutes += 1;
    }
    let grace = Duration::from_secs(app.config.accounts.worker_stop_grace_secs);
    let handles: Vec<_> = lanes.iter().map(tokio::task::JoinHandle::abort_handle).collect();
    let mut all = futures::future::join_all(lanes);
    if tokio::time::timeout(grace, &mut all).await.is_err() {
        // Jobs still under way: cut them (each job's task with its lane's) and, once they are
        // stopped, hand them back, so that another worker takes them now rather than after their
        // lease (their attempt is not counted).
        for lane in handles {
            lane.abort();
        }
        all.await;
        let running: Vec<i64> =
            app.running_jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain().collect();
        for id in running {
            match jobs::release(app.db.platform(), id).await {
                Ok(()) => tracing::info!(job = id, "a job under way was handed back to the queue"),
                Err(e) => {
                    tracing::warn!(job = id, error = ?e, "handing a job back failed; it comes back after its lease")
                }
            }
        }
    }
    tracing::info!("the worker stopped");
}

/// What the worker does on the clock, once a minute: the lifecycle's sweep; every ten minutes the
/// pruning of old rows; every hour the reminders of tomorrow's events and the backups.
async fn schedules(app: &AppState, minutes: u64) {
    let now = time::OffsetDateTime::now_utc();
    match lifecycle::sweep(&app.db, &app.media, &app.config.billing, now).await {
        Ok(swept) if swept != lifecycle::Swept::default() => tracing::info!(?swept, "lifecycle sweep"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = ?e, "the lifecycle sweep failed"),
    }
    if minutes.is_multiple_of(60) {
        match echos_core::events::send_reminders(&app.db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminded = n, "event reminders"),
            Err(e) => tracing::warn!(error = ?e, "event reminders failed"),
        }
        match echos_core::backups::run(&app.db, &app.media, &app.config.backups, None).await {
            Ok(pass) if pass != echos_core::backups::Pass::default() => tracing::info!(?pass, "backups"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "backups failed"),
        }
    }
    if minutes.is_multiple_of(10) {
        match jobs::prune(app.db.platform()).await {
            Ok(p) if p != jobs::Pruned::default() => tracing::info!(?p, "old rows pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "pruning failed"),
        }
    }
}

async fn run(app: &AppState, mailer: &Mailer, job: &Job) -> Result<(), CoreError> {
    let payload = |e: serde_json::Error| CoreError::invalid(format_args!("bad payload: {e}"));
    let kind =
        JobKind::parse(&job.kind).ok_or_else(|| CoreError::invalid(format_args!("unknown job kind {}", job.kind)))?;
    // The platform's own jobs: no region (a Stripe event finds its own).
    match kind {
        JobKind::StripeEvent => {
            let EventJob { event_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            return crate::platform::apply_stripe_event(app, &event_id).await;
        }
        JobKind::MailOperatorLink => {
            let OperatorJob { account_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            return operator_link(app, mailer, account_id).await;
        }
        _ => {}
    }
    let tenant_id = job.tenant_id.ok_or_else(|| CoreError::invalid("this job needs a region"))?;
    let tenant = tenants::get_by_id(app.db.platform(), tenant_id).await?;
    let pool = app.db.platform();
    match kind {
        JobKind::StripeEvent | JobKind::MailOperatorLink => Ok(()),
        JobKind::MailRegionOpened => {
            let AccountJob { account_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let Some(to) = accounts::email_of(pool, account_id).await? else { return Ok(()) };
            let name = member_name(app, &tenant, account_id, &to).await?;
            let token = signin::issue(pool, account_id, Some(tenant.id), "/admin", time::Duration::days(7)).await?;
            let link = region_url(&app.config, &tenant, &format!("/connexion/lien/{token}"));
            let locale = mail_locale(app, &tenant, account_id).await?;
            mailer.send(&render_mail(app, &tenant, locale, "region_opened", &to, &name, &link, None)?).await
        }
        JobKind::RegionExport => {
            let ExportJob { export_id, notify, for_operator } =
                serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let bytes = archive::export(&app.db, &app.media, &tenant).await?;
            let size = bytes.len() as i64;
            let key = app.media.put_export(tenant.id, export_id, bytes).await?;
            if !exports::mark_ready(pool, export_id, &key, size).await? {
                // The region was deleted while its archive was made: nothing of it is kept.
                return app.media.delete_export(tenant.id, export_id).await;
            }
            let Some(account_id) = notify else { return Ok(()) };
            let Some(to) = accounts::email_of(pool, account_id).await? else { return Ok(()) };
            let (link, name, locale) = if for_operator {
                let link = format!("{}/platform/archives/{export_id}", platform_url(app));
                (link, to.split('@').next().unwrap_or_default().to_owned(), echos_domain::Locale::Fr)
            } else {
                let link = region_url(&app.config, &tenant, &format!("/admin/archives/{export_id}"));
                (link, member_name(app, &tenant, account_id, &to).await?, mail_locale(app, &tenant, account_id).await?)
            };
            mailer.send(&render_mail(app, &tenant, locale, "export_ready", &to, &name, &link, None)?).await
        }
        JobKind::MailBilling => {
            let BillingMail { status } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let template = match status.as_str() {
                "past_due" => "billing_past_due",
                "suspended" => "billing_suspended",
                "active" => "billing_resumed",
                "archived" => "billing_archived",
                _ => return Ok(()),
            };
            let admins =
                app.db.with_tenant(&tenant, |tx| Box::pin(echos_core::admin::members::admin_accounts(tx))).await?;
            let link = region_url(&app.config, &tenant, "/admin/abonnement");
            for account_id in admins {
                let Some(to) = accounts::email_of(pool, account_id).await? else { continue };
                let name = member_name(app, &tenant, account_id, &to).await?;
                let locale = mail_locale(app, &tenant, account_id).await?;
                mailer.send(&render_mail(app, &tenant, locale, template, &to, &name, &link, None)?).await?;
            }
            Ok(())
        }
        JobKind::MailConfirm | JobKind::MailAlreadyRegistered | JobKind::MailReset => {
            let AccountJob { account_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let Some(to) = accounts::email_of(pool, account_id).await? else { return Ok(()) };
            let name = member_name(app, &tenant, account_id, &to).await?;
            let (template, link) = match kind {
                JobKind::MailConfirm => {
                    let valid = time::Duration::hours(app.config.accounts.confirm_link_hours);
                    let token = accounts::issue_token(pool, account_id, tenant.id, "confirm", valid).await?;
                    ("confirm", region_url(&app.config, &tenant, &format!("/confirmer/{token}")))
                }
                JobKind::MailReset => {
                    let valid = time::Duration::minutes(app.config.accounts.reset_link_minutes);
                    let token = accounts::issue_token(pool, account_id, tenant.id, "reset", valid).await?;
                    ("reset", region_url(&app.config, &tenant, &format!("/reinitialiser/{token}")))
                }
                _ => ("already_registered", region_url(&app.config, &tenant, "/connexion")),
            };
            let locale = mail_locale(app, &tenant, account_id).await?;
            mailer.send(&render_mail(app, &tenant, locale, template, &to, &name, &link, None)?).await
        }
        JobKind::MailEmailChange => {
            let EmailChangeJob { account_id, email } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let Some(current) = accounts::email_of(pool, account_id).await? else { return Ok(()) };
            let name = member_name(app, &tenant, account_id, &current).await?;
            let valid = time::Duration::hours(app.config.accounts.confirm_link_hours);
            let token = accounts::issue_email_token(pool, account_id, tenant.id, &email, valid).await?;
            let link = region_url(&app.config, &tenant, &format!("/confirmer-email/{token}"));
            let locale = mail_locale(app, &tenant, account_id).await?;
            mailer.send(&render_mail(app, &tenant, locale, "email_change", &email, &name, &link, None)?).await
        }
        JobKind::MailEmailChanged => {
            // To the old address, which is no longer the account's: the job carries it.
            let EmailChangeJob { account_id, email } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let name = member_name(app, &tenant, account_id, &email).await?;
            let link = region_url(&app.config, &tenant, "/mot-de-passe-oublie");
            let locale = mail_locale(app, &tenant, account_id).await?;
            mailer.send(&render_mail(app, &tenant, locale, "email_changed", &email, &name, &link, None)?).await
        }
        JobKind::MailNotification => {
            let NotificationJob { notification_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let found =
                app.db.with_tenant(&tenant, |tx| Box::pin(notifications::for_mail(tx, notification_id))).await?;
            let Some((n, account_id, name)) = found else { return Ok(()) };
            let Some(to) = accounts::email_of(pool, account_id).await? else { return Ok(()) };
            let link = region_url(&app.config, &tenant, n.link.as_deref().unwrap_or("/mon-espace/notifications"));
            let locale = mail_locale(app, &tenant, account_id).await?;
            mailer.send(&render_mail(app, &tenant, locale, "notification", &to, &name, &link, Some(&n.message))?).await
        }
        JobKind::EraseMember => {
            let AccountJob { account_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let mut tx = echos_core::TenantTx::begin(&app.db, &tenant).await?;
            let avatar = accounts::erase_member(&mut tx, tenant.id, account_id).await?;
            tx.commit().await?;
            match avatar {
                Some(key) => app.media.delete_for(tenant.id, &key).await,
                None => Ok(()),
            }
        }
        JobKind::Published => {
            let ContributionJob { contribution_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            let mut tx = echos_core::TenantTx::begin(&app.db, &tenant).await?;
            follows::notify_published(&mut tx, tenant.id, contribution_id).await?;
            tx.commit().await
        }
        JobKind::LinkPreview => {
            let ContributionJob { contribution_id } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            link_preview(app, &tenant, contribution_id).await
        }
        JobKind::MailNewsletter => {
            let NewsletterMailJob { newsletter_id, member_id } =
                serde_json::from_value(job.payload.clone()).map_err(payload)?;
            newsletter(app, mailer, &tenant, newsletter_id, member_id).await
        }
        JobKind::VerifyDomain => {
            let VerifyJob { host } = serde_json::from_value(job.payload.clone()).map_err(payload)?;
            verify_domain(app, &tenant, &host).await
        }
    }
}

/// Fetches a curated link's preview (see `echos-fetch` for what is refused) and stores it; a
/// refusal or failure stores "no preview" and is not retried: the link is shown bare.
async fn link_preview(app: &AppState, tenant: &Tenant, id: i64) -> Result<(), CoreError> {
    let Some(url) = app.db.with_tenant(tenant, |tx| Box::pin(contributions::pending_preview(tx, id))).await? else {
        return Ok(());
    };
    let cfg = &app.config.links;
    let fetched = if cfg.previews {
        let policy = echos_fetch::Policy {
            allow: cfg.preview_allow.clone(),
            connect_timeout: Duration::from_millis(cfg.preview_connect_timeout_ms),
            total_timeout: Duration::from_millis(cfg.preview_total_timeout_ms),
            max_bytes: cfg.preview_max_bytes,
            resolve: resolve_overrides(&cfg.resolve),
            ..echos_fetch::Policy::default()
        };
        match echos_fetch::preview(&url, &policy).await {
            Ok(p) => Some(contributions::PreviewFields {
                url: p.url,
                title: p.title,
                description: p.description,
                image_url: match p.image {
                    Some(src) => preview_image(app, tenant, &src, &policy).await,
                    None => None,
                },
                site_name: p.site_name,
            }),
            Err(refused) => {
                tracing::info!(contribution = id, %refused, "no preview for a curated link");
                None
            }
        }
    } else {
        None
    };
    let mut tx = echos_core::TenantTx::begin(&app.db, tenant).await?;
    contributions::set_preview(&mut tx, id, &url, fetched.as_ref()).await?;
    tx.commit().await
}

/// One newsletter to one member, if they still want newsletters; counted as delivered.
async fn newsletter(
    app: &AppState,
    mailer: &Mailer,
    tenant: &Tenant,
    id: i64,
    member_id: i64,
) -> Result<(), CoreError> {
    let found = app
        .db
        .with_tenant(tenant, |tx| {
            Box::pin(async move {
                let Some(n) = newsletters::get(tx, id).await? else { return Ok(None) };
                Ok(newsletters::recipient(tx, member_id).await?.map(|r| (n, r)))
            })
        })
        .await?;
    let Some((n, (name, account_id, token))) = found else { return Ok(()) };
    let Some(to) = accounts::email_of(app.db.platform(), account_id).await? else { return Ok(()) };
    let unsubscribe = region_url(&app.config, tenant, &format!("/lettres/desinscription/{token}"));
    mailer.send(&newsletter_mail(app, tenant, &n, &to, &name, Some(&unsubscribe))?).await?;
    let mut tx = echos_core::TenantTx::begin(&app.db, tenant).await?;
    newsletters::count_delivery(&mut tx, id, true).await?;
    tx.commit().await
}

/// A newsletter as a member receives it (or its test copy, without an unsubscribe link).
pub fn newsletter_mail(
    app: &AppState,
    tenant: &Tenant,
    n: &Newsletter,
    to: &str,
    name: &str,
    unsubscribe: Option<&str>,
) -> Result<Outgoing, CoreError> {
    #[derive(Serialize)]
    struct Ctx<'a> {
        site: SiteView,
        locale: &'static str,
        name: &'a str,
        subject: &'a str,
        body_html: &'a str,
        body_md: &'a str,
        unsubscribe: Option<&'a str>,
    }
    let ctx = Ctx {
        site: SiteView::of_tenant(tenant),
        locale: tenant.default_locale.code(),
        name,
        subject: &n.subject,
        body_html: &n.body_html,
        body_md: &n.body_md,
        unsubscribe,
    };
    let render = |ext: &str| {
        app.templates
            .render(&format!("mail/newsletter.{ext}"), &ctx)
            .map_err(|e| CoreError::Unexpected(anyhow::Error::from(e).context("rendering a newsletter")))
    };
    Ok(Outgoing {
        to: to.to_owned(),
        from_name: tenant.name.clone(),
        subject: n.subject.clone(),
        html: render("html")?,
        text: render("txt")?,
        unsubscribe: unsubscribe.map(str::to_owned),
    })
}

/// Looks for a pending domain's token at `http://<domain>/.well-known/echosciences-domain`
/// (fetched with the same outbound safety as link previews): the domain must already point at
/// the platform. Records the outcome either way; a miss is not retried (the admin asks again once
/// their DNS is set).
async fn verify_domain(app: &AppState, tenant: &Tenant, host: &str) -> Result<(), CoreError> {
    let (name, token) = match domains::unverified(app.db.platform(), tenant.id, host).await {
        Ok(found) => found,
        Err(CoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    let cfg = &app.config.links;
    let policy = echos_fetch::Policy {
        allow: cfg.preview_allow.clone(),
        connect_timeout: Duration::from_millis(cfg.preview_connect_timeout_ms),
        total_timeout: Duration::from_millis(cfg.preview_total_timeout_ms),
        max_bytes: 4096,
        resolve: resolve_overrides(&cfg.resolve),
        ..echos_fetch::Policy::default()
    };
    let port = app.config.domains.http_check_port.map(|p| format!(":{p}")).unwrap_or_default();
    let url = format!("http://{}{port}{}", name.as_str(), domains::WELL_KNOWN);
    let outcome = match echos_fetch::text(&url, &policy).await {
        Ok(body) if body.trim() == token => Ok(()),
        Ok(_) => Err("the file answered with another token".to_owned()),
        Err(e) => Err(format!("the file could not be read: {e}")),
    };
    domains::record_check(app.db.platform(), tenant.id, host, outcome).await?;
    app.directory.invalidate_all();
    Ok(())
}

/// A copy of a preview's image on the platform (readers' browsers never call the linked site):
/// fetched under the same policy, checked and re-encoded like any upload, stored under the
/// region's id. `None` when it cannot be had — the preview shows without it.
async fn preview_image(app: &AppState, tenant: &Tenant, src: &str, policy: &echos_fetch::Policy) -> Option<String> {
    let max = app.config.media.max_upload_bytes;
    let policy = echos_fetch::Policy { max_bytes: max, ..policy.clone() };
    let bytes = echos_fetch::image(src, &policy).await.ok()?;
    let processed = crate::uploads::process(app, bytes, 800).await.ok()?.ok()?;
    let key = app.media.put(tenant.id, "images", processed.bytes, processed.ext, processed.content_type).await.ok()?;
    Some(format!("/media/{key}"))
}

/// `links.resolve`: `name=address` pairs (the malformed ones are ignored).
pub(crate) fn resolve_overrides(pairs: &[String]) -> Vec<(String, std::net::IpAddr)> {
    pairs
        .iter()
        .filter_map(|p| p.split_once('='))
        .filter_map(|(n, a)| Some((n.trim().to_lowercase(), a.trim().parse().ok()?)))
        .collect()
}

/// The language of a message to this account: its own choice, else the region's.
async fn mail_locale(
    app: &AppState,
    tenant: &Tenant,
    account_id: uuid::Uuid,
) -> Result<echos_domain::Locale, CoreError> {
    Ok(accounts::locale(app.db.platform(), account_id).await?.unwrap_or(tenant.default_locale))
}

/// How to greet the recipient: their name in this region, else the start of their address.
async fn member_name(
    app: &AppState,
    tenant: &Tenant,
    account_id: uuid::Uuid,
    email: &str,
) -> Result<String, CoreError> {
    let member = app.db.with_tenant(tenant, |tx| Box::pin(accounts::member_by_account(tx, account_id))).await?;
    Ok(member.map_or_else(|| email.split('@').next().unwrap_or_default().to_owned(), |m| m.display_name))
}

/// `scheme://platform-domain[:port]`, for links into the operator's console.
fn platform_url(app: &AppState) -> String {
    let port = app.config.platform.public_port.map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", app.config.platform.public_scheme, app.platform_domain)
}

/// A one-time sign-in link to the operator's console.
async fn operator_link(app: &AppState, mailer: &Mailer, account_id: uuid::Uuid) -> Result<(), CoreError> {
    let pool = app.db.platform();
    let Some(to) = accounts::email_of(pool, account_id).await? else { return Ok(()) };
    let token = signin::issue(pool, account_id, None, "/platform", time::Duration::hours(24)).await?;
    let link = format!("{}/platform/lien/{token}", platform_url(app));
    let name = to.split('@').next().unwrap_or_default().to_owned();
    let ctx =
        MailContext { site: SiteView::of(None, "Echosciences"), locale: "fr", name: &name, link: &link, message: None };
    let render = |ext: &str| {
        app.templates
            .render(&format!("mail/operator_link.{ext}"), &ctx)
            .map_err(|e| CoreError::Unexpected(anyhow::Error::from(e).context("rendering an e-mail")))
    };
    mailer
        .send(&Outgoing {
            to,
            from_name: "Echosciences".into(),
            subject: t(echos_domain::Locale::Fr, "mail.operator_link.subject", &[]),
            html: render("html")?,
            text: render("txt")?,
            unsubscribe: None,
        })
        .await
}

#[derive(Serialize)]
struct MailContext<'a> {
    site: SiteView,
    locale: &'static str,
    name: &'a str,
    link: &'a str,
    /// The notification's text, for `notification` mails.
    message: Option<&'a str>,
}

fn render_mail(
    app: &AppState,
    tenant: &Tenant,
    locale: echos_domain::Locale,
    template: &str,
    to: &str,
    name: &str,
    link: &str,
    message: Option<&str>,
) -> Result<Outgoing, CoreError> {
    let ctx = MailContext { site: SiteView::of_tenant(tenant), locale: locale.code(), name, link, message };
    let render = |ext: &str| {
        app.templates
            .render(&format!("mail/{template}.{ext}"), &ctx)
            .map_err(|e| CoreError::Unexpected(anyhow::Error::from(e).context("rendering an e-mail")))
    };
    Ok(Outgoing {
        to: to.to_owned(),
        from_name: tenant.name.clone(),
        subject: t(locale, &format!("mail.{template}.subject"), &[("site", tenant.name.clone())]),
        html: render("html")?,
        text: render("txt")?,
        unsubscribe: None,
    })
}
