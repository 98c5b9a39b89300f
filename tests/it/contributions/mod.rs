//! Contributions of every kind, one file per subject: articles, curated links and their
//! previews (fetched from a real local server, refused for private addresses), debates,
//! announcements, dossiers; comments; follows and "Mon fil"; the feeds; the confirmation rule;
//! images; escaping; writing. The helpers below serve them all. A fresh region per test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use echos_core::{Config, TenantTx, notifications, settings};
use echos_tests::{Browser, TestApp, TestResponse, TestTenant};
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::accounts::link_in_mail;

mod announcements;
mod articles;
mod comment_edits;
mod comments;
mod confirmation;
mod debates;
mod dossiers;
mod escaping;
mod feeds;
mod follows;
mod images;
mod links;
mod writing;

use articles::parse_feed;

const PREVIEW_PENDING: &str = "L’aperçu de la page est en cours de préparation.";
const NO_PREVIEW: &str = "Pas d’aperçu pour cette page.";
const CONFIRM_FIRST: &str = "Ce réseau demande de confirmer votre adresse e-mail avant de publier";

use echos_tests::Member;

/// A new member of `t`, signed in.
async fn member(app: &TestApp, t: &TestTenant, name: &str) -> Member {
    app.member(t, name).await
}

/// POSTs the form of `segment` (`veille`, `debats`, …) as `m`.
async fn post(app: &TestApp, t: &TestTenant, m: &mut Member, segment: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.post_form(&t.host, &format!("/{segment}"), fields, &mut m.browser).await
}

/// Publishes and returns the new page's path; fails the test unless it was accepted.
async fn publish(app: &TestApp, t: &TestTenant, m: &mut Member, segment: &str, fields: &[(&str, &str)]) -> String {
    app.publish(t, m, segment, fields).await
}

fn location(r: &TestResponse) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

/// `/veille/12-le-titre` → 12.
fn id_of(path: &str) -> i64 {
    path.split('/').nth(2).and_then(|s| s.split('-').next()).and_then(|s| s.parse().ok()).unwrap()
}

/// A value as the templates print it (minijinja's HTML escaping).
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// Runs one statement binding `id` in the region's schema.
async fn sql(app: &TestApp, t: &TestTenant, statement: &'static str, id: i64) {
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    sqlx::query(statement).bind(id).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn set_setting(app: &TestApp, t: &TestTenant, key: &str, value: serde_json::Value) {
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    settings::set(&mut tx, key, &value).await.unwrap();
    tx.commit().await.unwrap();
}

async fn notifications_of(app: &TestApp, t: &TestTenant, m: &Member) -> Vec<notifications::Notification> {
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM members WHERE handle = $1")
        .bind(&m.handle)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let list = notifications::latest(&mut tx, id, 50).await.unwrap();
    tx.commit().await.unwrap();
    list.into_iter().filter(|n| n.kind == "published_by_followed").collect()
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The part of a page after `marker` (a section's id), to look only there.
fn after<'a>(body: &'a str, marker: &str) -> &'a str {
    &body[body.find(marker).unwrap_or_else(|| panic!("no {marker} on the page"))..]
}

/// A configuration whose link previews may reach the test servers on 127.0.0.2 (and nothing
/// else private), with short timeouts.
pub(crate) fn local_previews() -> Config {
    let mut c = echos_tests::config();
    c.links.preview_allow = vec!["127.0.0.2/32".parse().unwrap()];
    c.links.preview_connect_timeout_ms = 2_000;
    c.links.preview_total_timeout_ms = 4_000;
    c
}

/// A tiny HTTP/1.1 server on a real socket: answers each request with `respond(path)` and counts
/// the connections it accepted. It lives as long as the test's runtime.
pub(crate) struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Server {
    pub(crate) async fn start<R: Into<Vec<u8>>>(
        addr: &str,
        respond: impl Fn(&str) -> R + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let respond = Arc::new(respond);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let respond = respond.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut read = 0;
                    while read < buf.len() {
                        match socket.read(&mut buf[read..]).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => read += n,
                        }
                        if buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let head = String::from_utf8_lossy(&buf[..read]).into_owned();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let _ = socket.write_all(&respond(&path).into()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(Self { addr, hits })
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn html_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A PNG picture, as a response.
fn png_response(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let body = png.into_inner();
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend(body);
    out
}

fn redirect_response(to: &str) -> String {
    format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

fn og_page(title: &str, description: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Titre de repli</title>\
         <meta property=\"og:title\" content=\"{title}\">\
         <meta property=\"og:description\" content=\"{description}\">\
         <meta property=\"og:site_name\" content=\"Observatoire local\">\
         </head><body><p>Bonjour</p></body></html>"
    )
}
