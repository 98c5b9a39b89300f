//! The operator's console at `/platform` on the platform's domain, for the platform's operators
//! only (`echos operator create EMAIL` mails a sign-in link; an operator may also sign in with a
//! password): the regions with their state, plan and figures, and what can be done to each
//! (approve a trial, suspend, resume, export, schedule or cancel a deletion); network-wide
//! participation; failed jobs and their retry; the migration ledger; the operators' log. Every
//! action is in that log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use echos_core::admin::stats::{self, Period};
use echos_core::lifecycle::{self, DeletionRefusal};
use echos_core::operators::{self, Operator};
use echos_core::{accounts, exports, jobs, operations, signin, tenants};
use echos_domain::Slug;
use echos_domain::job::JobKind;
use echos_domain::member::Email;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{OnPlatform, SignedOperator};
use crate::error::WebError;
use crate::forms::{Empty, FormState, render_form, too_many};
use crate::gate::{CsrfForm, CsrfRefused, is_local_path};
use crate::i18n::t;
use crate::limits::Action;
use crate::routes::Routes;
use crate::session::{ClientAddress, cookie, cookie_names};
use crate::site::Page;
use crate::state::AppState;

const PER_PAGE: i64 = 50;

pub fn routes() -> Routes {
    Routes::new()
        .route("/platform", get(regions))
        .route("/platform/connexion", get(sign_in_form).post(sign_in))
        .route("/platform/lien", post(send_link))
        .route("/platform/lien/{token}", get(link_form).post(link_use))
        .route("/platform/deconnexion", post(sign_out))
        .route("/platform/regions/{slug}", get(region))
        .route("/platform/regions/{slug}/{action}", post(act))
        .route("/platform/participation", get(participation))
        .route("/platform/taches", get(failed_jobs))
        .route("/platform/taches/{id}/relancer", post(retry))
        .route("/platform/migrations", get(migrations))
        .route("/platform/journal", get(journal))
        .route("/platform/archives/{id}", get(download))
}

/// The console's menu: (path, key of its name).
const SECTIONS: [(&str, &str); 5] = [
    ("/platform", "regions"),
    ("/platform/participation", "participation"),
    ("/platform/taches", "jobs"),
    ("/platform/migrations", "migrations"),
    ("/platform/journal", "journal"),
];

/// Every console page: the layout's context, the menu, the operator, and the page's own.
#[derive(Serialize)]
struct Console<'a, X: Serialize> {
    #[serde(flatten)]
    page: &'a Page,
    operator: &'a Operator,
    nav: Vec<NavItem>,
    #[serde(flatten)]
    extra: X,
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    key: &'static str,
    current: bool,
}

fn render<X: Serialize>(
    app: &AppState,
    name: &str,
    page: &Page,
    op: &Operator,
    current: &str,
    extra: X,
) -> Result<Response, WebError> {
    let nav = SECTIONS.iter().map(|(href, key)| NavItem { href, key, current: *href == current }).collect();
    let html = app.templates.render(name, Console { page, operator: op, nav, extra })?;
    let mut resp = Html(html).into_response();
    resp.headers_mut()
        .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

// ---- Signing in ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Serialize)]
struct SignInExtra<'a> {
    next: &'a str,
    /// "A link is on its way" after asking for one.
    link_sent: bool,
}

fn safe_next(next: &str) -> &str {
    if is_local_path(next) && next.starts_with("/platform") { next } else { "/platform" }
}

async fn sign_in_form(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let x = SignInExtra { next: safe_next(&q.next), link_sent: false };
    render_form(&app, "platform/console/sign_in.html", StatusCode::OK, &page, &FormState::default(), x)
}

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    axum::Extension(address): axum::Extension<ClientAddress>,
    jar: CookieJar,
    form: Result<CsrfForm<SignInForm>, CsrfRefused<SignInForm>>,
) -> Result<Response, WebError> {
    let l = page.locale;
    let f = match form {
        Ok(CsrfForm(f)) => f,
        Err(CsrfRefused { form: Some(f), .. }) => {
            let mut form = FormState::default().value("email", &f.email);
            form.error = Some(t(l, "auth.errors.csrf", &[]));
            let x = SignInExtra { next: safe_next(&f.next), link_sent: false };
            return render_form(&app, "platform/console/sign_in.html", StatusCode::FORBIDDEN, &page, &form, x);
        }
        Err(refused) => return Ok(refused.into_response()),
    };
    let next = safe_next(&f.next).to_owned();
    let mut form = FormState::default().value("email", &f.email);
    let x = || SignInExtra { next: &next, link_sent: false };
    if let Err(wait) = app.limiter.check(Action::SignIn, "platform", &address.0, Some(f.email.trim())) {
        form.error = Some(t(l, "auth.errors.rate_limited", &[]));
        return too_many(
            render_form(&app, "platform/console/sign_in.html", StatusCode::TOO_MANY_REQUESTS, &page, &form, x()),
            wait,
        );
    }
    let account = match Email::parse(&f.email) {
        Some(email) if f.password.chars().count() <= 1000 => accounts::credentials(app.db.platform(), &email).await?,
        _ => None,
    };
    let ok = crate::account::verify(&app, &f.password, account.as_ref().map(|(_, h)| h.clone())).await?;
    let Some((account_id, _)) = account.filter(|_| ok) else {
        form.error = Some(t(l, "auth.errors.credentials", &[]));
        return render_form(&app, "platform/console/sign_in.html", StatusCode::UNAUTHORIZED, &page, &form, x());
    };
    // The right password of an account that is no operator's (a region's admin, say).
    if operators::get(app.db.platform(), account_id).await?.is_none() {
        form.error = Some(t(l, "operator.errors.not_operator", &[]));
        return render_form(&app, "platform/console/sign_in.html", StatusCode::FORBIDDEN, &page, &form, x());
    }
    open_session(&app, jar, account_id, &next).await
}

async fn open_session(app: &AppState, jar: CookieJar, account_id: Uuid, next: &str) -> Result<Response, WebError> {
    let names = cookie_names(&app.config.platform.public_scheme);
    if let Some(old) = jar.get(names.session) {
        operators::close_session(app.db.platform(), old.value()).await?;
    }
    let token = operators::open_session(app.db.platform(), account_id, 12).await?;
    let secure = app.config.platform.public_scheme == "https";
    let jar = jar.add(cookie(names.session, token, secure, time::Duration::hours(12)));
    Ok((jar, Redirect::to(next)).into_response())
}

#[derive(Deserialize, Default)]
pub struct LinkRequest {
    #[serde(default)]
    email: String,
}

/// Mails a sign-in link to an operator's address; the same answer for any address.
async fn send_link(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    axum::Extension(address): axum::Extension<ClientAddress>,
    CsrfForm(f): CsrfForm<LinkRequest>,
) -> Result<Response, WebError> {
    let x = SignInExtra { next: "/platform", link_sent: true };
    if let Err(wait) = app.limiter.check(Action::Reset, "platform", &address.0, Some(f.email.trim())) {
        let form = FormState { error: Some(t(page.locale, "auth.errors.rate_limited", &[])), ..FormState::default() };
        return too_many(
            render_form(&app, "platform/console/sign_in.html", StatusCode::TOO_MANY_REQUESTS, &page, &form, x),
            wait,
        );
    }
    if let Some(email) = Email::parse(&f.email)
        && let Some((account_id, _)) = accounts::credentials(app.db.platform(), &email).await?
        && operators::get(app.db.platform(), account_id).await?.is_some()
    {
        let mut conn = app.db.platform().acquire().await.map_err(|e| WebError::Internal(e.into()))?;
        jobs::enqueue(&mut conn, None, JobKind::MailOperatorLink, &operators::OperatorJob { account_id }).await?;
    }
    render_form(&app, "platform/console/sign_in.html", StatusCode::OK, &page, &FormState::default(), x)
}

#[derive(Serialize)]
struct LinkPage<'a> {
    #[serde(flatten)]
    page: &'a Page,
    live: bool,
    action: String,
}

/// A sign-in link's page: a button that uses it (a mail scanner following links uses nothing).
async fn link_form(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let live = signin::is_live(app.db.platform(), &token, None).await?;
    let ctx = LinkPage { page: &page, live, action: format!("/platform/lien/{token}") };
    let status = if live { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, Html(app.templates.render("auth/signin_link.html", ctx)?)).into_response())
}

async fn link_use(
    _: OnPlatform,
    State(app): State<AppState>,
    page: Page,
    jar: CookieJar,
    Path(token): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    match signin::redeem(app.db.platform(), &token, None).await? {
        Some((account_id, next)) if operators::get(app.db.platform(), account_id).await?.is_some() => {
            open_session(&app, jar, account_id, safe_next(&next)).await
        }
        _ => {
            let ctx = LinkPage { page: &page, live: false, action: String::new() };
            Ok((StatusCode::GONE, Html(app.templates.render("auth/signin_link.html", ctx)?)).into_response())
        }
    }
}

async fn sign_out(
    _: OnPlatform,
    State(app): State<AppState>,
    jar: CookieJar,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let names = cookie_names(&app.config.platform.public_scheme);
    if let Some(c) = jar.get(names.session) {
        operators::close_session(app.db.platform(), c.value()).await?;
    }
    let secure = app.config.platform.public_scheme == "https";
    let gone = cookie(names.session, String::new(), secure, time::Duration::ZERO);
    Ok((jar.add(gone), Redirect::to("/platform/connexion")).into_response())
}

// ---- Regions ---------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct RegionFilter {
    #[serde(default)]
    etat: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Serialize)]
struct RegionsPage {
    regions: Vec<operations::RegionRow>,
    total: i64,
    page: i64,
    pages: i64,
    etat: String,
    q: String,
    states: Vec<&'static str>,
    latest_version: i64,
}

async fn regions(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    page: Page,
    Query(f): Query<RegionFilter>,
) -> Result<Response, WebError> {
    let status = tenants::TenantStatus::parse(&f.etat).map(tenants::TenantStatus::as_str);
    let text = Some(f.q.trim()).filter(|s| !s.is_empty());
    let n = f.page.unwrap_or(1).max(1);
    let (rows, total) = operations::regions(&app.db, status, text, PER_PAGE, (n - 1) * PER_PAGE).await?;
    let x = RegionsPage {
        regions: rows,
        total,
        page: n,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        etat: status.unwrap_or_default().to_owned(),
        q: f.q.trim().to_owned(),
        states: tenants::TenantStatus::ALL.iter().map(|s| s.as_str()).collect(),
        latest_version: echos_core::migrate::latest(&echos_core::migrate::tenant_set()),
    };
    render(&app, "platform/console/regions.html", &page, &op, "/platform", x)
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    erreur: String,
}

#[derive(Serialize)]
struct RegionPage {
    region: operations::RegionRow,
    url: String,
    domains: Vec<String>,
    billing: echos_core::billing::Billing,
    history: Vec<lifecycle::Event>,
    exports: Vec<exports::Export>,
    storage: Storage,
    latest_version: i64,
    ok: String,
    error: String,
}

#[derive(Serialize, Default)]
struct Storage {
    files: usize,
}

async fn region(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
    page: Page,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let slug = Slug::parse(&slug).map_err(|_| WebError::NotFound)?;
    let t = tenants::get(app.db.platform(), &slug).await?;
    let (rows, _) = operations::regions(&app.db, None, Some(slug.as_str()), 50, 0).await?;
    let row = rows.into_iter().find(|r| r.id == t.id).ok_or(WebError::NotFound)?;
    let files = app.media.list_for(t.id).await.map(|k| k.len()).unwrap_or_default();
    let x = RegionPage {
        url: format!("{}/", super::home::region_base(&app, &headers, &t)),
        domains: tenants::domains(app.db.platform(), t.id).await?,
        billing: echos_core::billing::of(app.db.platform(), t.id).await?,
        history: lifecycle::history(app.db.platform(), t.id, 50).await?,
        exports: exports::list(app.db.platform(), t.id).await?,
        storage: Storage { files },
        latest_version: echos_core::migrate::latest(&echos_core::migrate::tenant_set()),
        region: row,
        ok: done.ok,
        error: done.erreur,
    };
    render(&app, "platform/console/region.html", &page, &op, "/platform", x)
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    /// The slug typed again to confirm a deletion.
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    note: String,
}

/// What an operator does to a region: each action audited, then back to the region's page.
async fn act(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    Path((slug, action)): Path<(String, String)>,
    CsrfForm(f): CsrfForm<ActForm>,
) -> Result<Response, WebError> {
    let slug = Slug::parse(&slug).map_err(|_| WebError::NotFound)?;
    let t = tenants::get(app.db.platform(), &slug).await?;
    let pool = app.db.platform();
    let by = format!("operator:{}", op.email);
    let note = Some(f.note.trim()).filter(|n| !n.is_empty()).unwrap_or("by an operator");
    let back = |q: &str| Redirect::to(&format!("/platform/regions/{slug}?{q}")).into_response();
    let done = match action.as_str() {
        "approuver" => match lifecycle::approve(pool, t.id, &by).await {
            Ok(()) => "approved",
            Err(echos_core::CoreError::Conflict(_)) => return Ok(back("erreur=not_trial")),
            Err(e) => return Err(e.into()),
        },
        "suspendre" => {
            lifecycle::suspend(pool, t.id, &by, note).await?;
            "suspended"
        }
        "reprendre" => {
            lifecycle::resume(pool, t.id, &by, note).await?;
            "resumed"
        }
        "exporter" => {
            exports::request(pool, t.id, &by, Some(op.account_id), true).await?;
            "export"
        }
        "supprimer" => match lifecycle::schedule_deletion(pool, &app.config.billing, t.id, &f.confirm, &by).await? {
            Ok(_) => "deletion",
            Err(DeletionRefusal::NoExport) => return Ok(back("erreur=no_export")),
            Err(DeletionRefusal::NotConfirmed) => return Ok(back("erreur=not_confirmed")),
        },
        "annuler-suppression" => match lifecycle::cancel_deletion(pool, t.id, &by).await {
            Ok(()) => "deletion_cancelled",
            Err(echos_core::CoreError::Conflict(_)) => return Ok(back("erreur=no_deletion")),
            Err(e) => return Err(e.into()),
        },
        _ => return Err(WebError::NotFound),
    };
    operators::audit(pool, &op, &format!("region.{}", done), slug.as_str(), Some(serde_json::json!({ "note": note })))
        .await?;
    Ok(back(&format!("ok={done}")))
}

/// An archive, downloaded by an operator.
async fn download(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = Uuid::try_parse(&id).map_err(|_| WebError::NotFound)?;
    let tenant_id = exports::region_of(app.db.platform(), id).await?.ok_or(WebError::NotFound)?;
    let t = tenants::get_by_id(app.db.platform(), tenant_id).await?;
    operators::audit(app.db.platform(), &op, "region.download", &t.slug, Some(serde_json::json!({ "archive": id })))
        .await?;
    crate::admin::archive_response(&app, &t, id).await
}

// ---- Participation across regions ------------------------------------------------------------

#[derive(Serialize)]
struct NetworkPage {
    charts: Vec<crate::admin::ChartView>,
    regions: Vec<RegionFigures>,
    from: String,
    to: String,
}

#[derive(Serialize, Clone)]
struct RegionFigures {
    slug: String,
    name: String,
    joined: i64,
    published: i64,
    interactions: i64,
}

/// The national coordination's view: the last twelve months across every region, the same
/// charts as a region's console, and each region's share.
async fn participation(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    page: Page,
) -> Result<Response, WebError> {
    let today = time::OffsetDateTime::now_utc().date();
    let from = today.replace_day(1).unwrap_or(today) - time::Duration::days(335);
    let p = Period { from: from.replace_day(1).unwrap_or(from), to: today };
    let mut total = stats::Monthly::default();
    let mut per_region = Vec::new();
    for t in tenants::list(app.db.platform(), None).await? {
        let tz = t.time_zone.clone();
        let m = app
            .db
            .with_tenant(&t, |tx| {
                let tz = tz.clone();
                Box::pin(async move { stats::monthly(tx, p, &tz, today).await })
            })
            .await;
        let Ok(m) = m else { continue };
        let sum = |v: &[stats::Point]| v.iter().map(|x| x.count).sum::<i64>();
        per_region.push(RegionFigures {
            slug: t.slug.clone(),
            name: t.name.clone(),
            joined: sum(&m.members),
            published: sum(&m.contributions),
            interactions: sum(&m.interactions),
        });
        total.members.extend(m.members);
        total.contributions.extend(m.contributions);
        total.interactions.extend(m.interactions);
        total.active.extend(m.active);
    }
    per_region.sort_by_key(|r| std::cmp::Reverse(r.published + r.joined));
    let charts = crate::admin::network_charts(&total, p, page.locale);
    let x = NetworkPage {
        charts,
        regions: per_region,
        from: crate::format::long_date(p.from, page.locale),
        to: crate::format::long_date(p.to, page.locale),
    };
    render(&app, "platform/console/participation.html", &page, &op, "/platform/participation", x)
}

// ---- Jobs, migrations, log -------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    ok: String,
}

#[derive(Serialize)]
struct JobsPage {
    jobs: Vec<operations::FailedJob>,
    queue: Vec<operations::QueueLine>,
    total: i64,
    page: i64,
    pages: i64,
    ok: String,
}

async fn failed_jobs(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    page: Page,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let n = q.page.unwrap_or(1).max(1);
    let (jobs, total) = operations::failed_jobs(app.db.platform(), PER_PAGE, (n - 1) * PER_PAGE).await?;
    let x = JobsPage {
        jobs,
        queue: operations::queue(app.db.platform()).await?,
        total,
        page: n,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        ok: q.ok,
    };
    render(&app, "platform/console/jobs.html", &page, &op, "/platform/taches", x)
}

async fn retry(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    if !operations::retry(app.db.platform(), id).await? {
        return Err(WebError::NotFound);
    }
    operators::audit(app.db.platform(), &op, "job.retry", &id.to_string(), None).await?;
    Ok(Redirect::to("/platform/taches?ok=retried").into_response())
}

#[derive(Serialize)]
struct MigrationsPage {
    regions: Vec<operations::LedgerLine>,
    /// Each cluster with its number of regions (the control plane's first).
    clusters: Vec<(String, i64)>,
    latest_version: i64,
    behind: usize,
}

async fn migrations(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    page: Page,
) -> Result<Response, WebError> {
    let latest = echos_core::migrate::latest(&echos_core::migrate::tenant_set());
    let regions = operations::ledger(app.db.platform()).await?;
    let behind = regions.iter().filter(|r| r.schema_version < latest).count();
    let usage = echos_core::clusters::usage(&app.db).await?;
    let clusters =
        app.db.cluster_names().into_iter().map(|n| (n.clone(), usage.get(&n).copied().unwrap_or(0))).collect();
    let x = MigrationsPage { regions, clusters, latest_version: latest, behind };
    render(&app, "platform/console/migrations.html", &page, &op, "/platform/migrations", x)
}

#[derive(Serialize)]
struct JournalPage {
    entries: Vec<operators::AuditEntry>,
    page: i64,
    more: bool,
}

async fn journal(
    SignedOperator(op): SignedOperator,
    State(app): State<AppState>,
    page: Page,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let n = q.page.unwrap_or(1).max(1);
    let mut entries = operators::audit_log(app.db.platform(), PER_PAGE + 1, (n - 1) * PER_PAGE).await?;
    let more = entries.len() as i64 > PER_PAGE;
    entries.truncate(PER_PAGE as usize);
    render(
        &app,
        "platform/console/journal.html",
        &page,
        &op,
        "/platform/journal",
        JournalPage { entries, page: n, more },
    )
}
