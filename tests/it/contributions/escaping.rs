//! Markup in links, comments and dossiers is inert on pages, lists and feeds.

use super::*;

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
