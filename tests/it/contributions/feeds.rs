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
