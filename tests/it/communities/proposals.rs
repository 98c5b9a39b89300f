//! Proposing a community: an admin approves it (or the region opens them at once); the proposer
//! is told either way; a member cannot approve their own; admins archive, delete, hand over.

use http::StatusCode;

use super::{community_id, location, open_at_once, post, propose};
use echos_tests::TestApp;

#[tokio::test]
async fn a_proposal_waits_for_an_admin_who_approves_it_and_its_proposer_is_told() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Admine Régionale").await;
    let mut ana = app.member(&a, "Ana Neurone").await;

    let r = propose(&app, &a, &mut ana, "Neurosciences en Isère", "open").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), "/communautes?ok=proposed");
    let id = community_id(&app, &a, "neurosciences-en-isere").await;
    assert_eq!(
        app.get(&a.host, "/communautes/neurosciences-en-isere").await.status,
        StatusCode::NOT_FOUND,
        "not yet public"
    );
    assert!(!app.get(&a.host, "/communautes").await.body.contains("Neurosciences en Isère"));
    assert!(
        app.get_as(&a.host, "/admin/communautes", &mut admin.browser).await.body.contains("Neurosciences en Isère")
    );

    // The proposer cannot approve it; nor can any member.
    let r = post(&app, &a, &mut ana, &format!("/admin/communautes/{id}/approuver"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = post(&app, &a, &mut admin, &format!("/admin/communautes/{id}/approuver"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&a.host, "/communautes/neurosciences-en-isere").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Neurosciences en Isère"));
    let told = app.get_as(&a.host, "/mon-espace/notifications", &mut ana.browser).await;
    assert!(told.body.contains("est ouverte"), "the proposer is told");
    let log = crate::admin::audit_actions(&app, &a).await;
    assert!(log.contains(&"community.approve".to_owned()));
}

#[tokio::test]
async fn a_refusal_says_why_and_a_region_may_open_them_at_once() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Admine").await;
    let mut ben = app.member(&a, "Ben Robot").await;
    propose(&app, &a, &mut ben, "Robotique", "open").await;
    let id = community_id(&app, &a, "robotique").await;
    let r = post(&app, &a, &mut admin, &format!("/admin/communautes/{id}/refuser"), &[("reason", "")]).await;
    assert!(location(&r).contains("erreur=reason"), "a refusal needs its reason");
    let r = post(
        &app,
        &a,
        &mut admin,
        &format!("/admin/communautes/{id}/refuser"),
        &[("reason", "Une communauté existe déjà sur ce thème")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let told = app.get_as(&a.host, "/mon-espace/notifications", &mut ben.browser).await;
    assert!(told.body.contains("Une communauté existe déjà sur ce thème"), "with the reason");

    open_at_once(&app, &a).await;
    let r = propose(&app, &a, &mut ben, "Robotique éducative", "request").await;
    assert_eq!(location(&r), "/communautes/robotique-educative", "open at once");
    assert_eq!(app.get(&a.host, "/communautes/robotique-educative").await.status, StatusCode::OK);

    // Bad input comes back with what was typed.
    let r = post(
        &app,
        &a,
        &mut ben,
        "/communautes",
        &[("name", "x"), ("kind", "club"), ("access", "open"), ("description", "Texte gardé")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Texte gardé"));
}

#[tokio::test]
async fn admins_archive_delete_and_hand_over_a_community_whose_contributions_stay() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    let mut admin = app.admin(&a, "Admine").await;
    let mut cleo = app.member(&a, "Cléo Chimie").await;
    let heir = app.member(&a, "Héritière").await;
    propose(&app, &a, &mut cleo, "Chimie verte", "open").await;
    let id = community_id(&app, &a, "chimie-verte").await;
    let url =
        app.publish(&a, &mut cleo, "articles", &[("title", "Solvants doux"), ("community", &id.to_string())]).await;

    let r =
        post(&app, &a, &mut admin, &format!("/admin/communautes/{id}/transmettre"), &[("handle", &heir.handle)]).await;
    assert!(location(&r).contains("ok=transferred"));
    let role: String = app
        .in_region(
            &a,
            "SELECT cm.role FROM community_members cm JOIN members m ON m.id = cm.member_id WHERE m.handle = $1",
            &heir.handle,
        )
        .await;
    assert_eq!(role, "owner");

    post(&app, &a, &mut admin, &format!("/admin/communautes/{id}/archiver"), &[]).await;
    assert!(!app.get(&a.host, "/communautes").await.body.contains("Chimie verte"), "out of the list");
    assert_eq!(app.get(&a.host, "/communautes/chimie-verte").await.status, StatusCode::OK, "still readable");

    post(&app, &a, &mut admin, &format!("/admin/communautes/{id}/supprimer"), &[]).await;
    assert_eq!(app.get(&a.host, "/communautes/chimie-verte").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::OK, "its contributions stay");
    let detached: Option<i64> =
        app.in_region(&a, "SELECT community_id FROM contributions WHERE title = $1", "Solvants doux").await;
    assert_eq!(detached, None);
}
