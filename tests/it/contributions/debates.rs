//! Debates: a question whose comments are its answers.

use super::*;

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
