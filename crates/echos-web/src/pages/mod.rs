//! The pages of this stage: the platform's home (the list of regions), a region's home, the
//! language switch, and the health probes.

mod crawlers;

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Router, routing::get};
use axum_extra::extract::CookieJar;
use echos_core::settings;
use echos_domain::Locale;
use echos_domain::contribution::Kind;
use serde::{Deserialize, Serialize};

use crate::admin::home::{Banner, Composition};
use crate::contributions::ContributionView;
use crate::error::WebError;
use crate::gate::is_local_path;
use crate::routes::Routes;
use crate::site::{Page, Site};
use crate::state::AppState;

pub fn routes() -> Routes {
    let mut routes = Routes::new()
        .route("/", get(home))
        .route("/langue/{code}", get(set_language))
        .route("/robots.txt", get(crawlers::robots))
        .route("/sitemap.xml", get(crawlers::sitemap))
        .route("/lettres/desinscription/{token}", get(crate::admin::unsubscribe_form).post(crate::admin::unsubscribe));
    for slug in echos_core::admin::pages::SLUGS {
        routes = routes.route(&format!("/{slug}"), get(legal));
    }
    routes
}

/// A region's own page (about, terms…); on the platform's domain, the platform's terms for the
/// science centres that open a region.
async fn legal(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    page: Page,
    uri: axum::http::Uri,
) -> Result<Response, WebError> {
    match site {
        Site::Platform if uri.path() == "/conditions" => {
            #[derive(Serialize)]
            struct Terms<'a> {
                #[serde(flatten)]
                page: &'a Page,
            }
            Ok(Html(app.templates.render("platform/terms.html", Terms { page: &page })?).into_response())
        }
        Site::Platform => Err(WebError::NotFound),
        Site::Region(tenant) => crate::admin::legal_page(State(app), crate::gate::Region(tenant), page, uri).await,
    }
}

/// `/healthz` and `/readyz` answer on every host, before any region is resolved.
pub fn probes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

async fn home(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    headers: HeaderMap,
    page: Page,
) -> Result<Response, WebError> {
    match site {
        Site::Platform => crate::platform::home(&app, &headers, page).await,
        Site::Region(tenant) => {
            // One transaction, one query for everything the page lists; kept while the region's
            // content has not changed (`AppState::homes`).
            let (key, kept) = app.home_of(&tenant);
            let home = match kept {
                Some(home) => home,
                None => {
                    let home = app
                        .db
                        .with_tenant(&tenant, |tx| {
                            Box::pin(async move {
                                let settings = settings::all(tx).await?;
                                let (latest, featured) = echos_core::contributions::home_lists(tx, 4, 4).await?.split();
                                Ok(crate::state::HomeData { settings, latest, featured })
                            })
                        })
                        .await?;
                    let home = std::sync::Arc::new(home);
                    app.homes.insert(key, home.clone());
                    home
                }
            };
            let (settings, latest, featured) = (&home.settings, home.latest.clone(), home.featured.clone());
            let composition = Composition::from_settings(settings, &tenant);
            let mut latest_by_kind: BTreeMap<&'static str, Vec<ContributionView>> = BTreeMap::new();
            for c in latest.into_iter().filter(|c| tenant.offers(c.kind)) {
                latest_by_kind.entry(c.kind.code()).or_default().push(ContributionView::of(c, &page, None));
            }
            let mut featured = Some(featured);
            let sections = composition
                .sections
                .iter()
                .filter_map(|code| match code.as_str() {
                    "featured" => Some(HomeSection {
                        code: "featured",
                        segment: None,
                        items: featured.take()?.into_iter().map(|c| ContributionView::of(c, &page, None)).collect(),
                    }),
                    code => {
                        let kind = Kind::from_code(code).filter(|k| tenant.offers(*k))?;
                        Some(HomeSection {
                            code: kind.code(),
                            segment: Some(kind.segment()),
                            items: latest_by_kind.remove(kind.code()).unwrap_or_default(),
                        })
                    }
                })
                .collect();
            let today = time::OffsetDateTime::now_utc().date();
            let banner = composition.banner.filter(|b| b.ends_on.is_none_or(|d| d >= today));
            let welcome = Some(composition.welcome).filter(|w| !w.is_empty());
            let ctx = RegionHome {
                page: &page,
                region: RegionView { name: &tenant.name, tagline: &tenant.tagline, slug: &tenant.slug, welcome },
                sections,
                banner,
                cover_url: tenant.cover_key.as_ref().map(|k| format!("/media/{k}")),
            };
            Ok(Html(app.templates.render("region/home.html", ctx)?).into_response())
        }
    }
}

#[derive(Serialize)]
struct RegionHome<'a> {
    #[serde(flatten)]
    page: &'a Page,
    region: RegionView<'a>,
    /// The sections the region chose, in its order.
    sections: Vec<HomeSection>,
    banner: Option<Banner>,
    cover_url: Option<String>,
}

#[derive(Serialize)]
struct HomeSection {
    /// `featured`, or a kind's code.
    code: &'static str,
    /// The kind's list, for "all of them".
    segment: Option<&'static str>,
    items: Vec<ContributionView>,
}

#[derive(Serialize)]
struct RegionView<'a> {
    name: &'a str,
    tagline: &'a str,
    slug: &'a str,
    welcome: Option<String>,
}

#[derive(Deserialize)]
struct Back {
    retour: Option<String>,
}

/// Remembers the visitor's language in a host-only cookie and goes back where they were.
async fn set_language(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(back): Query<Back>,
    jar: CookieJar,
) -> Result<(CookieJar, Redirect), WebError> {
    let locale = Locale::parse(&code).filter(|l| l.code() == code).ok_or(WebError::NotFound)?;
    let target = back.retour.filter(|p| is_local_path(p)).unwrap_or_else(|| "/".into());
    let scheme = &app.config.platform.public_scheme;
    let name = crate::session::cookie_names(scheme).lang;
    let cookie = crate::session::cookie(name, locale.code().to_owned(), scheme == "https", time::Duration::days(365));
    Ok((jar.add(cookie), Redirect::to(&target)))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    if app.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    let probe = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(app.db.platform());
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
