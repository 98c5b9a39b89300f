use echos_tests::{Browser, TestApp, TestTenant};
use http::StatusCode;

use crate::accounts::{sign_up, unique_email};

async fn writer(app: &TestApp, t: &TestTenant, name: &str) -> Browser {
    let mut b = Browser::new();
    sign_up(app, &t.host, name, &unique_email(), &mut b).await;
    b
}

async fn write(app: &TestApp, t: &TestTenant, b: &mut Browser, fields: &[(&str, &str)]) -> echos_tests::TestResponse {
    app.post_form(&t.host, "/articles", fields, b).await
}

fn location(r: &echos_tests::TestResponse) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_member_writes_an_article_that_everyone_reads() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Hubert Reeves").await;
    let r = write(
        &app,
        &a,
        &mut b,
        &[
            ("title", "La Lune, enfin !"),
            ("summary", "Une nuit d'observation au col de Porte."),
            ("body", "Nous avons **enfin** vu la Lune.\n\n- un télescope\n- du chocolat"),
            ("tags", "Astronomie, #ciel"),
            ("status", "published"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let url = location(&r);
    assert!(url.starts_with("/articles/") && url.ends_with("-la-lune-enfin"), "{url}");
    let page = app.get(&a.host, &url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<strong>enfin</strong>"));
    assert!(
        page.body.contains("og:title")
            && page.body.contains("application/ld+json")
            && page.body.contains("\"@type\":\"Article\"")
    );
    let list = app.get(&a.host, "/articles?tag=astronomie").await;
    assert!(list.body.contains("La Lune, enfin !"));
    assert!(!app.get(&a.host, "/articles?tag=biologie").await.body.contains("La Lune, enfin !"));
    assert!(app.get(&a.host, "/").await.body.contains("La Lune, enfin !"), "the home page shows the latest");
    // A wrong or missing slug leads to the canonical address.
    let id = url.trim_start_matches("/articles/").split('-').next().unwrap().to_owned();
    let moved = app.get(&a.host, &format!("/articles/{id}-autre-chose")).await;
    assert_eq!(moved.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&moved), url);
}

#[tokio::test]
async fn script_in_markdown_or_html_is_inert_on_the_page() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Mallory").await;
    let body = "<script>alert(1)</script>\n\n[clic](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n<svg onload=alert(1)></svg>\n\n\
                <noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>\n\n<a href=\"JaVaScRiPt:alert(1)\">x</a>";
    let r = write(&app, &a, &mut b, &[("title", "Piège"), ("body", body), ("status", "published")]).await;
    let page = app.get(&a.host, &location(&r)).await;
    assert_eq!(page.status, StatusCode::OK);
    let lower = page.body.to_lowercase();
    for bad in ["<script>alert", "onerror=", "onload=", "javascript:"] {
        assert!(!lower.contains(bad), "{bad} survived");
    }
}

#[tokio::test]
async fn template_syntax_and_markup_in_a_title_are_printed_literally() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Curieux").await;
    let r = write(&app, &a, &mut b, &[("title", "{{ 7*7 }} <b>gras</b>"), ("body", "texte"), ("status", "published")])
        .await;
    let page = app.get(&a.host, &location(&r)).await;
    assert!(page.body.contains("{{ 7*7 }} &lt;b&gt;gras&lt;&#x2f;b&gt;"));
    assert!(!page.body.contains("<b>gras</b>"));
}

#[tokio::test]
async fn bad_titles_bodies_and_tags_bring_the_form_back_with_what_was_typed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Pressé").await;
    let long = "x".repeat(201);
    for (title, body, tags, field) in [
        ("", "texte", "", "title"),
        ("    ", "texte", "", "title"),
        (long.as_str(), "texte", "", "title"),
        ("Titre", "   ", "", "body"),
        ("Titre", "texte", "a,b,c,d,e,f,g,h,i,j,k", "tags"),
    ] {
        let r =
            write(&app, &a, &mut b, &[("title", title), ("body", body), ("tags", tags), ("status", "published")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.body.contains(&format!("id=\"{field}-error\"")), "{field} is marked");
    }
    let count: i64 = {
        let mut tx = echos_core::TenantTx::begin(&app.db, &a.tenant).await.unwrap();
        let n = sqlx::query_scalar("SELECT count(*) FROM contributions").fetch_one(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        n
    };
    assert_eq!(count, 0, "nothing half-written");
}

#[tokio::test]
async fn someone_elses_article_can_be_neither_edited_nor_deleted() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = writer(&app, &a, "Autrice").await;
    let url = location(
        &write(&app, &a, &mut author, &[("title", "À moi"), ("body", "texte"), ("status", "published")]).await,
    );
    let id = url.trim_start_matches("/articles/").split('-').next().unwrap().to_owned();
    let mut other = writer(&app, &a, "Autre").await;
    let edit = app
        .post_form(&a.host, &format!("/articles/{id}/modifier"), &[("title", "Volé"), ("body", "x")], &mut other)
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    let delete = app.post_form(&a.host, &format!("/articles/{id}/supprimer"), &[], &mut other).await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    assert!(app.get(&a.host, &url).await.body.contains("À moi"));
    let confirm = app.get_as(&a.host, &format!("/articles/{id}/supprimer"), &mut other).await;
    assert_eq!(confirm.status, StatusCode::FORBIDDEN, "no confirmation page for someone else");
    // The author can, after a confirmation page.
    let confirm = app.get_as(&a.host, &format!("/articles/{id}/supprimer"), &mut author).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Supprimer cette contribution\u{a0}?") && confirm.body.contains("« À moi »"));
    assert!(confirm.body.contains("Oui, supprimer définitivement"));
    let gone = app.post_form(&a.host, &format!("/articles/{id}/supprimer"), &[], &mut author).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_article_of_another_region_is_not_found_here() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut w = writer(&app, &a, "Régionale").await;
    let url =
        location(&write(&app, &a, &mut w, &[("title", "Chez A"), ("body", "texte"), ("status", "published")]).await);
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::OK);
    assert_eq!(app.get(&b.host, &url).await.status, StatusCode::NOT_FOUND);
    assert!(!app.get(&b.host, "/articles").await.body.contains("Chez A"));
}

#[tokio::test]
async fn drafts_are_seen_by_their_author_only() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut w = writer(&app, &a, "Prudente").await;
    let url =
        location(&write(&app, &a, &mut w, &[("title", "Pas encore"), ("body", "texte"), ("status", "draft")]).await);
    assert_eq!(app.get_as(&a.host, &url, &mut w).await.status, StatusCode::OK);
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::NOT_FOUND);
    assert!(!app.get(&a.host, "/articles").await.body.contains("Pas encore"));
    let space = app.get_as(&a.host, "/mon-espace", &mut w).await;
    assert!(space.body.contains("Pas encore"), "my drafts list it");
}

#[tokio::test]
async fn unknown_filter_values_are_refused_not_guessed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for q in [
        "/articles?page=abc",
        "/articles?page=0",
        "/articles?page=-1",
        "/articles?tag=%3Cscript%3E",
        "/articles?page=1%27%20OR%201=1",
    ] {
        assert_eq!(app.get(&a.host, q).await.status, StatusCode::BAD_REQUEST, "{q}");
    }
    assert_eq!(app.get(&a.host, "/articles?page=2").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_member_likes_once_and_can_take_it_back() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut author = writer(&app, &a, "Autrice").await;
    let url = location(
        &write(&app, &a, &mut author, &[("title", "Aimable"), ("body", "texte"), ("status", "published")]).await,
    );
    let id = url.trim_start_matches("/articles/").split('-').next().unwrap().to_owned();
    let mut fan = writer(&app, &a, "Fan").await;
    let liked = app.post_form(&a.host, &format!("/articles/{id}/jaime"), &[], &mut fan).await;
    assert_eq!(liked.status, StatusCode::SEE_OTHER);
    let page = app.get_as(&a.host, &url, &mut fan).await;
    assert!(page.body.contains("Aimé par 1 personne"));
    assert!(page.body.contains("aria-pressed=\"true\""));
    app.post_form(&a.host, &format!("/articles/{id}/jaime"), &[], &mut fan).await;
    assert!(app.get(&a.host, &url).await.body.contains("Aimé par 0 personnes"), "taken back");
    let forged = app.post_form(&a.host, &format!("/articles/{id}/jaime"), &[("csrf_token", "forged")], &mut fan).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut elsewhere = writer(&app, &b, "Ailleurs").await;
    let other_region = app.post_form(&b.host, &format!("/articles/{id}/jaime"), &[], &mut elsewhere).await;
    assert_eq!(other_region.status, StatusCode::NOT_FOUND);
}

/// Parses a feed with Python's `feedparser` (a real, strict-enough parser); returns the titles.
pub(crate) fn parse_feed(xml: &str) -> Vec<String> {
    let path = std::env::temp_dir().join(format!("echos-feed-{}.xml", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, xml).unwrap();
    let script = r#"
import sys, feedparser
d = feedparser.parse(sys.argv[1])
assert not d.bozo, d.bozo_exception
assert d.version == 'atom10', d.version
for e in d.entries:
    print(e.title)
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 with feedparser (pip install feedparser)");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "feedparser refused the feed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn the_atom_feeds_parse_and_follow_the_tag() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut w = writer(&app, &a, "Flux").await;
    write(
        &app,
        &a,
        &mut w,
        &[("title", "Étoiles & <comètes>"), ("body", "texte"), ("tags", "ciel"), ("status", "published")],
    )
    .await;
    write(&app, &a, &mut w, &[("title", "Volcans"), ("body", "texte"), ("tags", "terre"), ("status", "published")])
        .await;
    write(&app, &a, &mut w, &[("title", "Brouillon secret"), ("body", "texte"), ("status", "draft")]).await;
    let feed = app.get(&a.host, "/articles.atom").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(feed.header("content-type"), Some("application/atom+xml; charset=utf-8"));
    let titles = parse_feed(&feed.body);
    assert_eq!(titles, ["Volcans", "Étoiles & <comètes>"]);
    assert!(feed.body.contains(&format!("http://{}/articles/", a.host)), "absolute links on the region's host");
    assert_eq!(parse_feed(&app.get(&a.host, "/articles.atom?tag=ciel").await.body), ["Étoiles & <comètes>"]);
    assert_eq!(app.get(&a.host, "/articles.atom?tag=%3Cx%3E").await.status, StatusCode::BAD_REQUEST);
}

/// The HTML content of each entry, as Python's `feedparser` reads it (relative addresses
/// resolved against the feed's `xml:base`).
fn feed_contents(xml: &str) -> Vec<String> {
    let path = std::env::temp_dir().join(format!("echos-feed-{}.xml", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, xml).unwrap();
    let script = r#"
import sys, json, feedparser
d = feedparser.parse(sys.argv[1])
assert not d.bozo, d.bozo_exception
print(json.dumps([e.content[0].value for e in d.entries]))
"#;
    let out = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "feedparser: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn feeds_carry_the_sanitised_text_with_absolute_addresses() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut w = writer(&app, &a, "Plume").await;
    let body = "Un **grand** pas.\n\n![carte](/media/tenants/x/images/y.png)\n\n<script>alert(1)</script>";
    let r = write(&app, &a, &mut w, &[("title", "Texte entier"), ("body", body), ("status", "published")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let xml = app.get(&a.host, "/flux.atom").await.body;
    let contents = feed_contents(&xml);
    assert_eq!(contents.len(), 1);
    assert!(contents[0].contains("<strong>grand</strong>"), "{}", contents[0]);
    assert!(contents[0].contains(&format!("http://{}/media/tenants/x/images/y.png", a.host)), "{}", contents[0]);
    assert!(!contents[0].contains("<script"), "{}", contents[0]);
}
