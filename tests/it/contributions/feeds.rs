//! The Atom feeds of each kind, of the region and of a member.

use super::*;

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

/// An entry keeps its id when its title (and so its address) changes; the home page advertises
/// the region's feed.
#[tokio::test]
async fn an_entry_keeps_its_id_when_its_title_changes_and_the_home_page_links_the_feed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Plume Stable").await;
    let url = app.publish(&a, &mut m, "articles", &[("title", "Premier titre")]).await;
    let id_of = |body: &str| -> String {
        let entry = &body[body.find("<entry>").unwrap()..];
        entry[entry.find("<id>").unwrap() + 4..entry.find("</id>").unwrap()].to_owned()
    };
    let before = id_of(&app.get(&a.host, "/flux.atom").await.body);
    assert!(before.starts_with("tag:"), "{before}");
    let n = url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned();
    let r = app
        .post_form(
            &a.host,
            &format!("/articles/{n}/modifier"),
            &[("title", "Un tout autre titre"), ("body", "x"), ("status", "published")],
            &mut m.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let feed = app.get(&a.host, "/flux.atom").await.body;
    assert!(feed.contains("Un tout autre titre"));
    assert_eq!(id_of(&feed), before);
    let home = app.get(&a.host, "/").await.body;
    assert!(home.contains(r#"<link rel="alternate" type="application/atom+xml" href="/flux.atom""#));
}
