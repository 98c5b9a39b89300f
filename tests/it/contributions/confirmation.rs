//! Regions that ask for a confirmed address before publishing.

use super::*;

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
