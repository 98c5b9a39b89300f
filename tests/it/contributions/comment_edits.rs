//! Editing a comment: its author only, and never empty.

use super::*;

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
