//! What search engines are told, per host: `/robots.txt` (the private parts kept out, the
//! sitemap named) and `/sitemap.xml` (this site's own public pages only: a region's sitemap never
//! names another region's address).

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use echos_core::contributions;

use crate::error::WebError;
use crate::site::{PublicOrigin, Site};
use crate::state::AppState;

/// Paths no crawler needs, on a region's host.
const REGION_PRIVATE: &[&str] = &[
    "/admin",
    "/mon-espace",
    "/connexion",
    "/inscription",
    "/rejoindre",
    "/reinitialiser",
    "/confirmer",
    "/lettres/desinscription",
    "/recherche",
];
/// On the platform's host.
const PLATFORM_PRIVATE: &[&str] = &["/platform", "/ouvrir/merci", "/ouvrir/annule", "/ouvrir/disponible"];

pub(super) async fn robots(Extension(site): Extension<Site>, Extension(origin): Extension<PublicOrigin>) -> Response {
    let private = if matches!(site, Site::Platform) { PLATFORM_PRIVATE } else { REGION_PRIVATE };
    let mut out = String::from("User-agent: *\n");
    for p in private {
        out.push_str(&format!("Disallow: {p}\n"));
    }
    out.push_str(&format!("\nSitemap: {}/sitemap.xml\n", origin.0));
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], out).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub(super) async fn sitemap(
    State(app): State<AppState>,
    Extension(site): Extension<Site>,
    Extension(origin): Extension<PublicOrigin>,
) -> Result<Response, WebError> {
    let mut urls: Vec<(String, Option<String>)> = Vec::new();
    match &site {
        Site::Platform => {
            for p in ["/", "/ouvrir", "/conditions"] {
                urls.push((p.to_owned(), None));
            }
        }
        Site::Region(t) => {
            urls.push(("/".to_owned(), None));
            urls.extend(t.kinds.iter().map(|k| (format!("/{}", k.segment()), None)));
            for slug in echos_core::admin::pages::SLUGS {
                urls.push((format!("/{slug}"), None));
            }
            let mapped = app.db.with_tenant(t, |tx| Box::pin(contributions::for_sitemap(tx, 49_000))).await?;
            let fmt = time::format_description::well_known::Rfc3339;
            urls.extend(
                mapped
                    .into_iter()
                    .filter(|c| t.offers(c.kind))
                    .map(|c| (c.kind.url(c.id, &c.slug), c.updated_at.format(&fmt).ok())),
            );
        }
    }
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, modified) in urls {
        out.push_str(&format!("  <url><loc>{}</loc>", escape(&format!("{}{path}", origin.0))));
        if let Some(m) = modified {
            out.push_str(&format!("<lastmod>{m}</lastmod>"));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], out).into_response())
}
