//! Tag suggestions, "Je contribue", and the writing allowance.

use super::*;

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
