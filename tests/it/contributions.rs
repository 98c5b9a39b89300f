//! Every kind of contribution beyond the article: curated links and their previews (fetched from
//! a real local server, and refused for private addresses), debates, announcements, dossiers;
//! follows and "Mon fil"; the feeds; comment editing; the confirmation rule; cover images;
//! escaping; tag suggestions. A fresh region per test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use echos_core::{Config, TenantTx, notifications, settings};
use echos_tests::{Browser, TestApp, TestResponse, TestTenant};
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::accounts::{link_in_mail, sign_up, unique_email};
use crate::articles::parse_feed;

const PREVIEW_PENDING: &str = "L’aperçu de la page est en cours de préparation.";
const NO_PREVIEW: &str = "Pas d’aperçu pour cette page.";
const CONFIRM_FIRST: &str = "Ce réseau demande de confirmer votre adresse e-mail avant de publier";

// ---------------------------------------------------------------------------------------------
// Helpers

struct Member {
    browser: Browser,
    email: String,
    handle: String,
    name: String,
}

/// Signs up through the form; the member's handle is read back from the region.
async fn member(app: &TestApp, t: &TestTenant, name: &str) -> Member {
    let mut browser = Browser::new();
    let email = unique_email();
    sign_up(app, &t.host, name, &email, &mut browser).await;
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let handle: String = sqlx::query_scalar(
        "SELECT m.handle FROM members m JOIN platform.accounts a ON a.id = m.account_id WHERE a.email = $1",
    )
    .bind(&email)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Member { browser, email, handle, name: name.to_owned() }
}

/// POSTs the form of `segment` (`veille`, `debats`, …) as `m`.
async fn post(app: &TestApp, t: &TestTenant, m: &mut Member, segment: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.post_form(&t.host, &format!("/{segment}"), fields, &mut m.browser).await
}

/// Publishes and returns the new page's path; panics unless it was accepted.
async fn publish(app: &TestApp, t: &TestTenant, m: &mut Member, segment: &str, fields: &[(&str, &str)]) -> String {
    let mut all = fields.to_vec();
    if !fields.iter().any(|(k, _)| *k == "status") {
        all.push(("status", "published"));
    }
    if !fields.iter().any(|(k, _)| *k == "body") {
        all.push(("body", "texte"));
    }
    let r = post(app, t, m, segment, &all).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "publishing to /{segment}: {}", r.body);
    location(&r)
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
fn local_previews() -> Config {
    let mut c = echos_tests::config();
    c.links.preview_allow = vec!["127.0.0.2/32".parse().unwrap()];
    c.links.preview_connect_timeout_ms = 2_000;
    c.links.preview_total_timeout_ms = 4_000;
    c
}

/// A tiny HTTP/1.1 server on a real socket: answers each request with `respond(path)` and counts
/// the connections it accepted. It lives as long as the test's runtime.
struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

impl Server {
    async fn start(addr: &str, respond: impl Fn(&str) -> String + Send + Sync + 'static) -> std::io::Result<Self> {
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
                    let _ = socket.write_all(respond(&path).as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(Self { addr, hits })
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn html_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
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

// ---------------------------------------------------------------------------------------------
// Curated links

#[tokio::test]
async fn a_curated_link_shows_its_preview_once_the_job_has_fetched_it() {
    let site = Server::start("127.0.0.2:0", |_| {
        html_response(&og_page("Les anneaux de Saturne", "Une vue inédite prise par la sonde."))
    })
    .await
    .expect("127.0.0.2 is on the loopback interface");
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Veilleuse").await;
    let url = site.url("/saturne");
    let page = publish(
        &app,
        &a,
        &mut m,
        "veille",
        &[("title", "Une belle ressource"), ("url", &url), ("body", "À lire **absolument**.")],
    )
    .await;
    assert!(page.starts_with("/veille/") && page.ends_with("-une-belle-ressource"), "{page}");

    let before = app.get(&a.host, &page).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains(PREVIEW_PENDING), "the preview is announced as pending");
    assert!(!before.body.contains("Les anneaux de Saturne"));
    assert!(before.body.contains(&format!("href=\"{}\"", html(&url))), "the link itself is there at once");
    assert_eq!(site.hits(), 0, "nothing is fetched while the member waits");

    app.run_jobs(&[&a]).await;
    assert_eq!(site.hits(), 1);
    let after = app.get(&a.host, &page).await;
    assert!(!after.body.contains(PREVIEW_PENDING));
    assert!(after.body.contains("Les anneaux de Saturne"));
    assert!(after.body.contains("Une vue inédite prise par la sonde."));
    assert!(after.body.contains("Observatoire local"), "the site's name");
    assert!(after.body.contains("<strong>absolument</strong>"), "the member's own words");
    let list = app.get(&a.host, "/veille").await;
    assert!(list.body.contains("Une belle ressource") && list.body.contains("Une vue inédite prise par la sonde."));
    let found = app.get(&a.host, "/recherche?q=sonde+saturne").await;
    assert!(found.body.contains(&html(&page)), "the fetched page's words find the link");
}

#[tokio::test]
async fn links_to_private_addresses_are_published_bare_and_never_fetched() {
    let guarded =
        Server::start("127.0.0.1:0", |_| html_response(&og_page("Secret interne", "Ne pas lire"))).await.unwrap();
    let port = guarded.addr.port();
    // The same port on IPv6 loopback, where this machine has one.
    let guarded_v6 = Server::start(&format!("[::1]:{port}"), |_| html_response(&og_page("Secret v6", "x"))).await.ok();
    let target = format!("http://127.0.0.1:{port}/");
    let exempt = Server::start("127.0.0.2:0", move |_| redirect_response(&target)).await.unwrap();
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Curieuse").await;

    let urls = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://localhost:{port}/"),
        exempt.url("/vers-interne"),
    ];
    let mut pages = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let title = format!("Lien numéro {i}");
        pages.push((url, publish(&app, &a, &mut m, "veille", &[("title", &title), ("url", url)]).await));
    }
    app.run_jobs(&[&a]).await;

    assert_eq!(guarded.hits(), 0, "no connection ever reached 127.0.0.1");
    if let Some(v6) = &guarded_v6 {
        assert_eq!(v6.hits(), 0, "no connection ever reached ::1");
    }
    assert_eq!(exempt.hits(), 1, "the exempted server was asked, its redirect was not followed");
    for (url, page) in &pages {
        let r = app.get(&a.host, page).await;
        assert_eq!(r.status, StatusCode::OK, "{url} is published");
        assert!(r.body.contains(NO_PREVIEW), "{url} has no preview");
        assert!(!r.body.contains(PREVIEW_PENDING), "{url}: the job ran");
        assert!(!r.body.contains("Secret"), "{url}");
        assert!(r.body.contains(&format!("href=\"{}\"", html(url))), "{url} is still linked");
    }
}

#[tokio::test]
async fn file_and_javascript_urls_bring_the_form_back() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Astucieux").await;
    for url in ["file:///etc/passwd", "javascript:alert(1)", "JavaScript://%0aalert(1)", "ftp://example.org/x"] {
        let r = post(&app, &a, &mut m, "veille", &[("title", "Mon lien"), ("url", url), ("body", "À voir")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.body.contains("id=\"url-error\""), "{url}: the field is marked");
        assert!(r.body.contains(&format!("value=\"{}\"", html(url))), "{url}: what was typed comes back");
        assert!(r.body.contains("value=\"Mon lien\""), "the title too");
    }
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM contributions").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 0, "nothing written");
}

#[tokio::test]
async fn a_preview_title_with_markup_is_printed_as_text() {
    let site = Server::start("127.0.0.2:0", |_| {
        html_response(&og_page(
            "&lt;script&gt;alert(4)&lt;/script&gt;Titre piégé",
            "&lt;img src=x onerror=alert(5)&gt; description",
        ))
    })
    .await
    .unwrap();
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Naïf").await;
    let page = publish(&app, &a, &mut m, "veille", &[("title", "Un lien"), ("url", &site.url("/"))]).await;
    app.run_jobs(&[&a]).await;
    let r = app.get(&a.host, &page).await;
    assert!(r.body.contains(&html("<script>alert(4)</script>Titre piégé")), "printed, escaped");
    for body in [r.body, app.get(&a.host, "/veille").await.body] {
        let lower = body.to_lowercase();
        assert!(!lower.contains("<script>alert"));
        assert!(!lower.contains("<img src=x onerror"));
    }
}

// ---------------------------------------------------------------------------------------------
// Debates

#[tokio::test]
async fn a_debate_is_a_discussion_whose_comments_are_its_answers() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Questionneuse").await;
    let mut other = member(&app, &a, "Répondant").await;
    let page = publish(
        &app,
        &a,
        &mut m,
        "debats",
        &[("title", "Faut-il éteindre l’éclairage public la nuit"), ("body", "Pour le ciel, et pour la faune.")],
    )
    .await;
    assert!(page.starts_with("/debats/"), "{page}");
    let r = app.get(&a.host, &page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("\"@type\":\"DiscussionForumPosting\""));
    assert!(r.body.contains("Réponses (0)"));
    let id = id_of(&page);
    for body in ["Oui, sans hésiter.", "Pas partout."] {
        let c =
            app.post_form(&a.host, &format!("/debats/{id}/commentaires"), &[("body", body)], &mut other.browser).await;
        assert_eq!(c.status, StatusCode::SEE_OTHER);
    }
    let r = app.get(&a.host, &page).await;
    assert!(r.body.contains("Réponses (2)"), "the comments are titled as the debate's answers");
    assert!(r.body.contains("\"commentCount\":2"));
    assert!(app.get(&a.host, "/debats").await.body.contains("Faut-il éteindre"));
    assert!(!app.get(&a.host, "/articles").await.body.contains("Faut-il éteindre"), "each kind in its own list");
}

// ---------------------------------------------------------------------------------------------
// Announcements

#[tokio::test]
async fn an_announcement_closing_in_the_past_or_on_a_malformed_date_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Recruteuse").await;
    let yesterday = (today() - time::Duration::days(1)).to_string();
    for (date, message) in [
        (yesterday.as_str(), "La date de clôture ne peut pas être passée."),
        ("31/12/2030", "Indiquez la date de clôture au format AAAA-MM-JJ."),
        ("demain", "Indiquez la date de clôture au format AAAA-MM-JJ."),
    ] {
        let r = post(
            &app,
            &a,
            &mut m,
            "annonces",
            &[("title", "Stage d’été"), ("body", "texte"), ("announcement_kind", "job"), ("closes_on", date)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(r.body.contains(message), "{date}: {message}");
        assert!(r.body.contains("id=\"closes_on-error\""));
        assert!(r.body.contains(&format!("value=\"{}\"", html(date))), "what was typed comes back");
    }
}

#[tokio::test]
async fn a_job_offer_carries_job_posting_structured_data() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "La Casemate").await;
    let closes = (today() + time::Duration::days(30)).to_string();
    let page = publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Médiatrice scientifique (CDD)"), ("announcement_kind", "job"), ("closes_on", &closes)],
    )
    .await;
    let r = app.get(&a.host, &page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("\"@type\":\"JobPosting\""));
    assert!(r.body.contains(&format!("\"validThrough\":\"{closes}T23:59:59Z\"")), "{}", r.body);
    assert!(r.body.contains("Offre d’emploi"));
    assert!(!r.body.contains("kind-label__closed"), "open");
}

#[tokio::test]
async fn a_closed_announcement_leaves_the_list_but_not_the_closed_filter() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Organisatrice").await;
    let closes = (today() + time::Duration::days(10)).to_string();
    let open = &[("title", "Concours photo ouvert"), ("announcement_kind", "competition"), ("closes_on", &closes)];
    publish(&app, &a, &mut m, "annonces", open).await;
    let page = publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Concours de l’an passé"), ("announcement_kind", "competition"), ("closes_on", &closes)],
    )
    .await;
    assert!(app.get(&a.host, "/annonces").await.body.contains("Concours de l’an passé"), "open at first");
    sql(&app, &a, "UPDATE contributions SET closes_on = current_date - 3 WHERE id = $1", id_of(&page)).await;

    let r = app.get(&a.host, &page).await;
    assert_eq!(r.status, StatusCode::OK, "still reachable");
    assert!(r.body.contains("Close depuis le"));
    let list = app.get(&a.host, "/annonces").await;
    assert!(!list.body.contains("Concours de l’an passé"));
    assert!(list.body.contains("Concours photo ouvert"));
    let with_closed = app.get(&a.host, "/annonces?closes=1").await;
    assert!(with_closed.body.contains("Concours de l’an passé") && with_closed.body.contains("Concours photo ouvert"));
    assert!(with_closed.body.contains("· Close"), "marked as closed in the list");
}

#[tokio::test]
async fn announcements_filter_by_type_and_refuse_unknown_types() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Annonceur").await;
    let closes = (today() + time::Duration::days(10)).to_string();
    publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Poste d’animateur"), ("announcement_kind", "job"), ("closes_on", &closes)],
    )
    .await;
    publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Concours de maquettes"), ("announcement_kind", "competition"), ("closes_on", &closes)],
    )
    .await;
    let jobs = app.get(&a.host, "/annonces?type_annonce=job").await;
    assert_eq!(jobs.status, StatusCode::OK);
    assert!(jobs.body.contains("Poste d’animateur") && !jobs.body.contains("Concours de maquettes"));
    assert_eq!(app.get(&a.host, "/annonces?type_annonce=nope").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&a.host, "/annonces?closes=oui").await.status, StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------------
// Dossiers

#[tokio::test]
async fn a_dossier_cannot_include_itself_a_draft_or_a_deleted_contribution() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Compositrice").await;
    let kept = id_of(&publish(&app, &a, &mut m, "articles", &[("title", "Gardé")]).await);
    let draft = id_of(&publish(&app, &a, &mut m, "articles", &[("title", "Pas prêt"), ("status", "draft")]).await);
    let deleted = id_of(&publish(&app, &a, &mut m, "articles", &[("title", "Retiré")]).await);
    let gone = app.post_form(&a.host, &format!("/articles/{deleted}/supprimer"), &[], &mut m.browser).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let page = publish(&app, &a, &mut m, "dossiers", &[("title", "Le ciel"), ("items", &kept.to_string())]).await;
    let id = id_of(&page);

    for bad in [id, draft, deleted] {
        let items = format!("{kept}\n/articles/{bad}");
        let r = app
            .post_form(
                &a.host,
                &format!("/dossiers/{id}/modifier"),
                &[("title", "Le ciel, révisé"), ("body", "texte"), ("items", &items), ("status", "published")],
                &mut m.browser,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "item {bad}");
        assert!(r.body.contains(&format!("La contribution n° {bad} ne peut pas figurer")), "item {bad} is named");
        assert!(r.body.contains("id=\"items-error\""));
        assert!(r.body.contains("value=\"Le ciel, révisé\""), "what was typed comes back");
    }
    let shown = app.get(&a.host, &page).await;
    assert!(shown.body.contains("Le ciel") && !shown.body.contains("Le ciel, révisé"), "nothing half-written");
    assert!(after(&shown.body, "id=\"dossier-items-title\"").contains("Gardé"), "the items are the ones saved");
}

#[tokio::test]
async fn a_dossier_cannot_include_a_contribution_of_another_region() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut there = member(&app, &b, "Ailleurs").await;
    let mut theirs = Vec::new();
    for title in ["Un", "Deux", "Trois", "Quatre"] {
        theirs.push(publish(&app, &b, &mut there, "articles", &[("title", title)]).await);
    }
    let mut m = member(&app, &a, "Compositeur").await;
    let last = theirs.last().unwrap();
    assert_eq!(app.get(&a.host, last).await.status, StatusCode::NOT_FOUND, "no such number here");
    let r = post(&app, &a, &mut m, "dossiers", &[("title", "Emprunts"), ("body", "texte"), ("items", last)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(&format!("La contribution n° {} ne peut pas figurer", id_of(last))));
}

#[tokio::test]
async fn a_dossier_refuses_the_address_of_another_regions_contribution_sharing_a_number() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut here = member(&app, &a, "Ici").await;
    let mut there = member(&app, &b, "Là-bas").await;
    let ours = publish(&app, &a, &mut here, "articles", &[("title", "Article d’ici")]).await;
    let theirs = publish(&app, &b, &mut there, "articles", &[("title", "Article de là-bas")]).await;
    assert_eq!(id_of(&ours), id_of(&theirs), "each region numbers its own contributions");
    // The full address of B's article, pasted into A's dossier: it is not A's article of that number.
    let address = format!("http://{}{theirs}", b.host);
    let r =
        post(&app, &a, &mut here, "dossiers", &[("title", "Mélange"), ("body", "texte"), ("items", &address)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"items-error\""));
    // This region's own address is fine.
    let own = format!("http://{}{ours}", a.host);
    let page = publish(&app, &a, &mut here, "dossiers", &[("title", "Chez nous"), ("items", &own)]).await;
    assert!(after(&app.get(&a.host, &page).await.body, "id=\"dossier-items-title\"").contains("Article d’ici"));
}

#[tokio::test]
async fn a_dossier_shows_its_items_in_the_order_given() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Ordonnée").await;
    let first = publish(&app, &a, &mut m, "articles", &[("title", "Alpha du Centaure")]).await;
    let second = publish(&app, &a, &mut m, "debats", &[("title", "Bételgeuse va-t-elle exploser")]).await;
    let third = publish(&app, &a, &mut m, "articles", &[("title", "Cassiopée en hiver")]).await;
    let items = format!("http://{}{third}\n{}\n/debats/{}\n", a.host, id_of(&first), id_of(&second));
    let page = publish(&app, &a, &mut m, "dossiers", &[("title", "Trois étoiles"), ("items", &items)]).await;
    let r = app.get(&a.host, &page).await;
    let section = after(&r.body, "id=\"dossier-items-title\"");
    let at = |t: &str| section.find(t).unwrap_or_else(|| panic!("{t} is in the dossier"));
    assert!(at("Cassiopée en hiver") < at("Alpha du Centaure"));
    assert!(at("Alpha du Centaure") < at("Bételgeuse va-t-elle exploser"));
}

#[tokio::test]
async fn co_authors_edit_a_dossier_and_other_members_may_not() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = member(&app, &a, "Autrice Principale").await;
    let mut coauthor = member(&app, &a, "Colette Coautrice").await;
    let mut outsider = member(&app, &a, "Passant").await;
    let with = format!("@{}", coauthor.handle.to_uppercase());
    let page = publish(&app, &a, &mut author, "dossiers", &[("title", "À quatre mains"), ("coauthors", &with)]).await;
    let id = id_of(&page);
    let shown = app.get(&a.host, &page).await;
    assert!(shown.body.contains(&coauthor.name), "the co-author is credited");
    let found = app.get(&a.host, "/recherche?q=coautrice&type=dossier").await;
    assert!(found.body.contains(&html(&page)), "a co-author's name finds the dossier");

    let form = app.get_as(&a.host, &format!("/dossiers/{id}/modifier"), &mut coauthor.browser).await;
    assert_eq!(form.status, StatusCode::OK);
    let edit = app
        .post_form(
            &a.host,
            &format!("/dossiers/{id}/modifier"),
            &[("title", "À quatre mains, revu"), ("body", "texte"), ("coauthors", &coauthor.handle)],
            &mut coauthor.browser,
        )
        .await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER, "{}", edit.body);
    assert!(app.get(&a.host, &location(&edit)).await.body.contains("À quatre mains, revu"));

    let refused = app
        .post_form(
            &a.host,
            &format!("/dossiers/{id}/modifier"),
            &[("title", "Volé"), ("body", "texte")],
            &mut outsider.browser,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_as(&a.host, &format!("/dossiers/{id}/modifier"), &mut outsider.browser).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!app.get(&a.host, &location(&edit)).await.body.contains("Volé"));
}

#[tokio::test]
async fn an_unknown_co_author_brings_the_form_back() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let elsewhere = member(&app, &b, "Membre Lointaine").await;
    let mut m = member(&app, &a, "Solitaire").await;
    for handle in ["personne-inconnue", elsewhere.handle.as_str()] {
        let r =
            post(&app, &a, &mut m, "dossiers", &[("title", "Dossier"), ("body", "texte"), ("coauthors", handle)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{handle}");
        assert!(r.body.contains(&format!("l’identifiant « {} »", html(handle))), "{handle} is named");
        assert!(r.body.contains("id=\"coauthors-error\""));
    }
}

// ---------------------------------------------------------------------------------------------
// Follows and "Mon fil"

#[tokio::test]
async fn followers_are_told_once_of_a_publication_and_find_it_in_their_feed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = member(&app, &a, "Autrice").await;
    let mut fan = member(&app, &a, "Admiratrice").await;
    let mut tag_only = member(&app, &a, "Amateur").await;
    // The tag exists once something carries it; that first publication has no follower yet.
    publish(&app, &a, &mut author, "articles", &[("title", "Premier pas"), ("tags", "astronomie")]).await;
    app.run_jobs(&[&a]).await;

    let follow = format!("/membres/{}/suivre", author.handle);
    assert_eq!(app.post_form(&a.host, &follow, &[], &mut fan.browser).await.status, StatusCode::SEE_OTHER);
    for m in [&mut fan, &mut tag_only, &mut author] {
        let r =
            app.post_form(&a.host, "/mots-cles/astronomie/suivre", &[("retour", "/articles")], &mut m.browser).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    assert!(app.get(&a.host, &format!("/membres/{}", author.handle)).await.body.contains("1 abonné·e"));

    // A draft, then published by an edit, then edited again: one publication.
    let draft = publish(
        &app,
        &a,
        &mut author,
        "articles",
        &[("title", "Les anneaux"), ("tags", "astronomie"), ("status", "draft")],
    )
    .await;
    app.run_jobs(&[&a]).await;
    assert!(notifications_of(&app, &a, &fan).await.is_empty(), "a draft tells nobody");
    let edit = format!("/articles/{}/modifier", id_of(&draft));
    for body in ["texte", "texte corrigé"] {
        let r = app
            .post_form(
                &a.host,
                &edit,
                &[("title", "Les anneaux"), ("body", body), ("tags", "astronomie"), ("status", "published")],
                &mut author.browser,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    app.run_jobs(&[&a]).await;
    app.run_jobs(&[&a]).await;

    let told = notifications_of(&app, &a, &fan).await;
    assert_eq!(told.len(), 1, "once, though following both the author and the tag");
    assert_eq!(told[0].message, "Autrice a publié « Les anneaux »");
    assert_eq!(notifications_of(&app, &a, &tag_only).await.len(), 1, "a tag's followers are told too");
    assert!(notifications_of(&app, &a, &author).await.is_empty(), "never of one's own publication");

    let page = app.get_as(&a.host, "/mon-espace/notifications", &mut fan.browser).await;
    assert!(page.body.contains("Autrice a publié « Les anneaux »"));
    let space = app.get_as(&a.host, "/mon-espace", &mut fan.browser).await;
    let feed = after(&space.body, "id=\"mon-fil\"");
    assert!(feed.contains("Les anneaux") && feed.contains("Premier pas"), "Mon fil holds the followed publications");
}

#[tokio::test]
async fn following_oneself_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Narcisse").await;
    let r = app.post_form(&a.host, &format!("/membres/{}/suivre", m.handle), &[], &mut m.browser).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(app.get(&a.host, &format!("/membres/{}", m.handle)).await.body.contains("0 abonné·es"));
}

#[tokio::test]
async fn the_follow_buttons_refuse_a_forged_token() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = member(&app, &a, "Suivie").await;
    let mut fan = member(&app, &a, "Suiveuse").await;
    publish(&app, &a, &mut author, "articles", &[("title", "Étiqueté"), ("tags", "volcans")]).await;
    let forged = [("csrf_token", "forged")];
    let r = app.post_form(&a.host, &format!("/membres/{}/suivre", author.handle), &forged, &mut fan.browser).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post_form(&a.host, "/mots-cles/volcans/suivre", &forged, &mut fan.browser).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let space = app.get_as(&a.host, "/mon-espace", &mut fan.browser).await;
    assert!(!after(&space.body, "id=\"mon-fil\"").contains("Étiqueté"), "nothing followed");
    assert!(app.get(&a.host, &format!("/membres/{}", author.handle)).await.body.contains("0 abonné·es"));
}

#[tokio::test]
async fn a_member_of_another_region_cannot_be_followed_here() {
    let app = TestApp::new().await;
    let (x, y) = (app.tenant().await, app.tenant().await);
    let only_in_x = member(&app, &x, "Seulement Ici").await;
    let mut in_y = member(&app, &y, "Voisine").await;
    let r = app.post_form(&y.host, &format!("/membres/{}/suivre", only_in_x.handle), &[], &mut in_y.browser).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&y.host, &format!("/membres/{}", only_in_x.handle)).await.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// Feeds

#[tokio::test]
async fn the_feeds_of_each_kind_of_the_region_and_of_a_member_parse_and_hold_the_right_entries() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut m = member(&app, &a, "Flux Continu").await;
    let mut other = member(&app, &a, "Autre Plume").await;
    let mut there = member(&app, &b, "Ailleurs").await;
    publish(&app, &a, &mut m, "veille", &[("title", "Veille & <trouvailles>"), ("url", "https://example.org/a")]).await;
    publish(&app, &a, &mut m, "debats", &[("title", "Débat publié")]).await;
    publish(&app, &a, &mut m, "debats", &[("title", "Débat en brouillon"), ("status", "draft")]).await;
    publish(&app, &a, &mut other, "articles", &[("title", "Article d’une autre")]).await;
    publish(&app, &b, &mut there, "veille", &[("title", "Veille d’ailleurs"), ("url", "https://example.org/b")]).await;
    publish(&app, &b, &mut there, "debats", &[("title", "Débat d’ailleurs")]).await;

    let veille = app.get(&a.host, "/veille.atom").await;
    assert_eq!(veille.status, StatusCode::OK);
    assert_eq!(veille.header("content-type"), Some("application/atom+xml; charset=utf-8"));
    assert_eq!(parse_feed(&veille.body), ["Veille & <trouvailles>"]);
    assert_eq!(parse_feed(&app.get(&a.host, "/debats.atom").await.body), ["Débat publié"]);
    assert_eq!(
        parse_feed(&app.get(&a.host, "/flux.atom").await.body),
        ["Article d’une autre", "Débat publié", "Veille & <trouvailles>"]
    );
    let mine = app.get(&a.host, &format!("/membres/{}/flux.atom", m.handle)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(parse_feed(&mine.body), ["Débat publié", "Veille & <trouvailles>"]);
    assert!(mine.body.contains(&format!("http://{}/veille/", a.host)), "absolute links on the region's host");
    assert_eq!(
        app.get(&b.host, &format!("/membres/{}/flux.atom", m.handle)).await.status,
        StatusCode::NOT_FOUND,
        "a member of another region has no feed here"
    );
}

// ---------------------------------------------------------------------------------------------
// Comments

/// An article by a new member, commented by `commenter`; returns (article path, comment id).
async fn commented(app: &TestApp, t: &TestTenant, commenter: &mut Member, body: &str) -> (String, String) {
    let mut author = member(app, t, "Autrice").await;
    let page = publish(app, t, &mut author, "articles", &[("title", "Sujet")]).await;
    let r = app
        .post_form(
            &t.host,
            &format!("/articles/{}/commentaires", id_of(&page)),
            &[("body", body)],
            &mut commenter.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = location(&r).rsplit("#commentaire-").next().unwrap().to_owned();
    (page, id)
}

#[tokio::test]
async fn the_author_of_a_comment_edits_it_and_the_page_says_so() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Commentatrice").await;
    let (page, id) = commented(&app, &a, &mut m, "Première version").await;
    assert!(!app.get(&a.host, &page).await.body.contains("· modifié"), "not edited yet");
    let form = app.get_as(&a.host, &format!("/commentaires/{id}/modifier"), &mut m.browser).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Première version"), "the form holds the text");
    // Written two minutes ago: a later edit is marked.
    sql(&app, &a, "UPDATE comments SET created_at = now() - interval '2 minutes' WHERE id = $1", id.parse().unwrap())
        .await;
    let r = app
        .post_form(
            &a.host,
            &format!("/commentaires/{id}/modifier"),
            &[("body", "Version **corrigée**")],
            &mut m.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{page}#commentaire-{id}"));
    let shown = app.get(&a.host, &page).await;
    assert!(shown.body.contains("Version <strong>corrigée</strong>"));
    assert!(!shown.body.contains("Première version"));
    assert!(shown.body.contains("· modifié"), "the edit is marked");
}

#[tokio::test]
async fn another_member_cannot_edit_a_comment() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Commentateur").await;
    let mut other = member(&app, &a, "Usurpatrice").await;
    let (page, id) = commented(&app, &a, &mut m, "Mon avis").await;
    let path = format!("/commentaires/{id}/modifier");
    assert_eq!(app.get_as(&a.host, &path, &mut other.browser).await.status, StatusCode::FORBIDDEN);
    let r = app.post_form(&a.host, &path, &[("body", "Avis détourné")], &mut other.browser).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let shown = app.get(&a.host, &page).await.body;
    assert!(shown.contains("Mon avis") && !shown.contains("Avis détourné"));
    // Nor from another region.
    let b = app.tenant().await;
    let mut there = member(&app, &b, "Lointain").await;
    assert_eq!(app.post_form(&b.host, &path, &[("body", "x")], &mut there.browser).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_empty_edit_of_a_comment_brings_the_form_back() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Hésitante").await;
    let (page, id) = commented(&app, &a, &mut m, "Texte d’origine").await;
    let r = app.post_form(&a.host, &format!("/commentaires/{id}/modifier"), &[("body", "   ")], &mut m.browser).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"body-error\""));
    assert!(r.body.contains("Le commentaire doit contenir entre 1 et 5\u{202f}000 caractères."));
    assert!(r.body.contains(&format!("action=\"{}\"", html(&format!("/commentaires/{id}/modifier")))));
    assert!(app.get(&a.host, &page).await.body.contains("Texte d’origine"), "unchanged");
}

// ---------------------------------------------------------------------------------------------
// Confirmation before publishing

#[tokio::test]
async fn a_region_requiring_confirmation_lets_members_publish_once_confirmed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    set_setting(&app, &a, "registration.requires_confirmation", serde_json::json!(true)).await;
    let mut m = member(&app, &a, "Nouvelle").await;
    let fields = [("title", "Mon premier article"), ("body", "texte"), ("status", "published")];
    let refused = post(&app, &a, &mut m, "articles", &fields).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains(CONFIRM_FIRST));
    assert!(refused.body.contains("value=\"Mon premier article\""), "the form comes back as typed");
    let draft = post(&app, &a, &mut m, "articles", &[("title", "Brouillon"), ("body", "x"), ("status", "draft")]).await;
    assert_eq!(draft.status, StatusCode::FORBIDDEN, "not even a draft");

    app.run_jobs(&[&a]).await;
    let link = link_in_mail(&app, &m.email, &format!("http://{}/confirmer/", a.host));
    let path = link.trim_start_matches(&format!("http://{}", a.host)).to_owned();
    assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK);
    let accepted = post(&app, &a, &mut m, "articles", &fields).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);

    // Commenting follows the same rule.
    let mut newcomer = member(&app, &a, "Pas Confirmé").await;
    let comment = app
        .post_form(
            &a.host,
            &format!("/articles/{}/commentaires", id_of(&location(&accepted))),
            &[("body", "Bravo")],
            &mut newcomer.browser,
        )
        .await;
    assert_eq!(comment.status, StatusCode::FORBIDDEN);
    assert!(comment.body.contains(CONFIRM_FIRST));
    assert!(!app.get(&a.host, &location(&accepted)).await.body.contains("Bravo"));
}

#[tokio::test]
async fn a_draft_written_before_the_rule_is_not_published_by_an_unconfirmed_member() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Prévoyant").await;
    let draft = publish(&app, &a, &mut m, "articles", &[("title", "Écrit avant"), ("status", "draft")]).await;
    set_setting(&app, &a, "registration.requires_confirmation", serde_json::json!(true)).await;
    let r = app
        .post_form(
            &a.host,
            &format!("/articles/{}/modifier", id_of(&draft)),
            &[("title", "Écrit avant"), ("body", "texte"), ("status", "published")],
            &mut m.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains(CONFIRM_FIRST));
    assert_eq!(app.get(&a.host, &draft).await.status, StatusCode::NOT_FOUND, "still a draft");
}

// ---------------------------------------------------------------------------------------------
// Cover images

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 40) as u8, (y * 40) as u8, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Sends the article form as multipart, with `cover` as the file field.
async fn post_article_with_cover(
    app: &TestApp,
    t: &TestTenant,
    m: &Member,
    fields: &[(&str, &str)],
    filename: &str,
    content_type: &str,
    cover: &[u8],
) -> TestResponse {
    post_multipart(app, t, m, "/articles", fields, ("cover", filename, content_type, cover)).await
}

/// Posts a multipart form with one file: (field, file name, content type, bytes).
async fn post_multipart(
    app: &TestApp,
    t: &TestTenant,
    m: &Member,
    path: &str,
    fields: &[(&str, &str)],
    (field, filename, content_type, cover): (&str, &str, &str, &[u8]),
) -> TestResponse {
    let boundary = "----echoscover1b2c3d4e5f";
    let mut body = Vec::new();
    let csrf = m.browser.csrf.clone();
    for (name, value) in fields.iter().copied().chain([("csrf_token", csrf.as_str())]) {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(cover);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = http::Request::post(path)
        .header("host", &t.host)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("cookie", m.browser.cookie_header())
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn an_article_gets_a_cover_image_sent_with_the_form() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = member(&app, &a, "Photographe").await;
    let fields = [("title", "Nébuleuse"), ("body", "Une image vaut mieux"), ("status", "published")];
    let r = post_article_with_cover(&app, &a, &m, &fields, "ciel.png", "image/png", &png(3, 2)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&a.host, &location(&r)).await;
    let media = html(&format!("/media/tenants/{}/images/", a.tenant.id));
    assert!(page.body.contains(&format!("<img class=\"article-cover__image\" src=\"{media}")), "{}", page.body);
    assert!(
        page.body.contains(&format!("<meta property=\"og:image\" content=\"{}", html(&format!("http://{}", a.host))))
    );
    let start = page.body.find(&media).unwrap();
    let src = page.body[start..].split('"').next().unwrap().replace("&#x2f;", "/");
    let image = app.get(&a.host, &src).await;
    assert_eq!(image.status, StatusCode::OK);
    assert!(image.header("content-type").is_some_and(|c| c.starts_with("image/")));
    assert!(app.get(&a.host, "/articles").await.body.contains(&format!("src=\"{media}")), "the card shows it");
}

#[tokio::test]
async fn an_image_sent_for_the_text_comes_back_as_markdown_that_shows_it() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = member(&app, &a, "Illustratrice").await;
    let r = post_multipart(&app, &a, &m, "/medias/images", &[], ("image", "carte.png", "image/png", &png(4, 3))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let markdown = json["markdown"].as_str().unwrap().to_owned();
    let prefix = format!("![](/media/tenants/{}/images/", a.tenant.id);
    assert!(markdown.starts_with(&prefix), "{markdown}");
    let url = json["url"].as_str().unwrap();
    assert_eq!(app.get(&a.host, url).await.status, StatusCode::OK, "stored and served");

    let mut m = m;
    let body = format!("Voici la carte :\n\n{markdown}");
    let article = publish(&app, &a, &mut m, "articles", &[("title", "Une carte"), ("body", &body)]).await;
    let page = app.get(&a.host, &article).await;
    assert!(page.body.contains(&format!("<img src=\"{url}\"")), "the text shows the image");

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    let refused = post_multipart(&app, &a, &m, "/medias/images", &[], ("image", "x.svg", "image/svg+xml", svg)).await;
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(refused.body.contains("\"error\""));
    let mut forger =
        Member { browser: m.browser.clone(), email: m.email.clone(), handle: m.handle.clone(), name: m.name.clone() };
    forger.browser.csrf = "forged".into();
    let forged =
        post_multipart(&app, &a, &forger, "/medias/images", &[], ("image", "c.png", "image/png", &png(2, 2))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_svg_cover_is_refused_and_the_form_comes_back() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = member(&app, &a, "Vectorielle").await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>"#;
    let fields = [("title", "Avec un SVG"), ("body", "texte"), ("status", "published")];
    let r = post_article_with_cover(&app, &a, &m, &fields, "x.svg", "image/svg+xml", svg).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.body.contains("id=\"cover-error\""));
    assert!(r.body.contains("value=\"Avec un SVG\""), "the form comes back as typed");
    assert!(!app.get(&a.host, "/articles").await.body.contains("Avec un SVG"), "nothing published");
}

// ---------------------------------------------------------------------------------------------
// Escaping in the new places

#[tokio::test]
async fn script_in_a_link_a_comment_and_a_dossier_is_inert_on_pages_lists_and_feeds() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Mallory").await;
    let evil = "<script>alert(1)</script>\n\n[clic](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n\
                <a href=\"JaVaScRiPt:alert(1)\">x</a> <svg onload=alert(1)></svg>";
    let link = publish(
        &app,
        &a,
        &mut m,
        "veille",
        &[("title", "<script>alert(2)</script>Lien"), ("url", "https://example.org/"), ("body", evil)],
    )
    .await;
    let c = app
        .post_form(&a.host, &format!("/veille/{}/commentaires", id_of(&link)), &[("body", evil)], &mut m.browser)
        .await;
    assert_eq!(c.status, StatusCode::SEE_OTHER);
    let dossier = publish(
        &app,
        &a,
        &mut m,
        "dossiers",
        &[
            ("title", "<img src=x onerror=alert(3)>Dossier"),
            ("summary", "<script>alert(4)</script> résumé"),
            ("body", evil),
            ("items", &link),
        ],
    )
    .await;
    let mut pages = vec![link.clone(), dossier.clone(), "/veille".into(), "/dossiers".into(), "/".into()];
    pages.push(format!("/membres/{}", m.handle));
    for path in pages {
        let r = app.get(&a.host, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let lower = r.body.to_lowercase();
        for bad in
            ["<script>alert", "<img src=x onerror", "onerror=\"", "onload=", "href=\"javascript", "src=\"javascript"]
        {
            assert!(!lower.contains(bad), "{bad} survived on {path}");
        }
    }
    let shown = app.get(&a.host, &dossier).await;
    assert!(shown.body.contains(&html("<img src=x onerror=alert(3)>Dossier")), "the title is printed as text");
    for feed in ["/veille.atom", "/dossiers.atom", "/flux.atom"] {
        let r = app.get(&a.host, feed).await;
        assert!(!r.body.to_lowercase().contains("<script"), "{feed}");
        assert!(!r.body.to_lowercase().contains("<img"), "{feed}");
        let titles = parse_feed(&r.body);
        assert!(titles.iter().all(|t| t.contains("Lien") || t.contains("Dossier")), "{feed}: {titles:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tag suggestions

#[tokio::test]
async fn tag_suggestions_come_from_this_regions_published_tags() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut m = member(&app, &a, "Taxinomiste").await;
    let mut there = member(&app, &b, "Voisine").await;
    publish(&app, &a, &mut m, "articles", &[("title", "Un"), ("tags", "astronomie, biologie")]).await;
    publish(&app, &a, &mut m, "debats", &[("title", "Deux"), ("tags", "astronomie, astrophysique")]).await;
    publish(&app, &a, &mut m, "articles", &[("title", "Secret"), ("tags", "astroturfing"), ("status", "draft")]).await;
    publish(&app, &b, &mut there, "articles", &[("title", "Ailleurs"), ("tags", "astrologie")]).await;

    let r = app.get(&a.host, "/mots-cles/suggestions?q=astr").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/json")));
    let tags: Vec<String> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(tags, ["astronomie", "astrophysique"], "the most used first; not another region's, not a draft's");
    let typed: Vec<String> =
        serde_json::from_str(&app.get(&a.host, "/mots-cles/suggestions?q=biologie,%20%23Astro").await.body).unwrap();
    assert_eq!(typed, ["astronomie", "astrophysique"], "the tag being typed, after the others");
    let none: Vec<String> = serde_json::from_str(&app.get(&a.host, "/mots-cles/suggestions?q=").await.body).unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn je_contribue_offers_every_kind_to_members_and_sends_visitors_to_sign_in() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let visitor = app.get(&a.host, "/contribuer").await;
    assert_eq!(visitor.status, StatusCode::SEE_OTHER);
    assert!(visitor.header("location").unwrap_or_default().starts_with("/connexion"));
    let mut b = Browser::new();
    crate::accounts::sign_up(&app, &a.host, "Camille Contributrice", &crate::accounts::unique_email(), &mut b).await;
    let page = app.get_as(&a.host, "/contribuer", &mut b).await;
    assert_eq!(page.status, StatusCode::OK);
    for form in ["/articles/nouveau", "/veille/nouveau", "/debats/nouveau", "/annonces/nouveau", "/dossiers/nouveau"] {
        assert!(page.body.contains(&format!("href=\"{form}\"")), "{form}");
    }
    assert!(app.get(&a.host, "/").await.body.contains("Je contribue"), "in the header of every page");
}

#[tokio::test]
async fn an_account_that_writes_too_fast_is_slowed_down_and_keeps_its_text() {
    let mut config = echos_tests::config();
    config.accounts.rate_limit_scale = 0.05; // 3 writes an hour per account
    let app = TestApp::with_config(config).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Pressée").await;
    for i in 0..3 {
        let r = app
            .post_form(&a.host, "/debats", &[("title", &format!("Question {i}")), ("body", "texte")], &mut m.browser)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "write {i}");
    }
    let r = app
        .post_form(&a.host, "/debats", &[("title", "Une de trop"), ("body", "gardée telle quelle")], &mut m.browser)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
    assert!(r.body.contains("value=\"Une de trop\"") && r.body.contains("gardée telle quelle"), "the text comes back");
    assert!(!app.get(&a.host, "/debats").await.body.contains("Une de trop"), "nothing written");
}
