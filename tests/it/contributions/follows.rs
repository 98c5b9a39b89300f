//! Following members, structures and tags; "Mon fil"; the notifications of a publication.

use super::*;

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
