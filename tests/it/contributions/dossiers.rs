//! Dossiers: ordered items of this region only, co-authors.

use super::*;

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
