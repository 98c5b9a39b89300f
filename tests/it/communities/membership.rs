//! Joining, requests, roles, pins and publishing into a community: each rule of who may do what,
//! and the attempts to get around them.

use http::StatusCode;

use super::{community_id, location, member_id, open_at_once, post, propose};
use echos_tests::TestApp;

#[tokio::test]
async fn members_join_or_ask_and_publish_only_into_their_communities() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    let mut owner = app.member(&a, "Olga Owner").await;
    let mut ana = app.member(&a, "Ana Membre").await;
    let mut bob = app.member(&a, "Bob Demande").await;
    propose(&app, &a, &mut owner, "Astronomie amateur", "open").await;
    propose(&app, &a, &mut owner, "Club fermé", "request").await;
    let open = community_id(&app, &a, "astronomie-amateur").await;
    let closed = community_id(&app, &a, "club-ferme").await;

    // Not a member: publishing into it is refused with the form kept.
    let r = post(
        &app,
        &a,
        &mut ana,
        "/articles",
        &[("title", "Saturne"), ("body", "x"), ("status", "published"), ("community", &open.to_string())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Saturne"));

    let r = post(&app, &a, &mut ana, "/communautes/astronomie-amateur/rejoindre", &[]).await;
    assert!(location(&r).ends_with("ok=joined"));
    let url =
        app.publish(&a, &mut ana, "articles", &[("title", "Jupiter ce soir"), ("community", &open.to_string())]).await;
    let page = app.get(&a.host, "/communautes/astronomie-amateur").await;
    assert!(page.body.contains("Jupiter ce soir"), "its feed");
    assert!(app.get(&a.host, &url).await.body.contains("Astronomie amateur"), "the contribution says where");
    let feed = app.get(&a.host, "/communautes/astronomie-amateur/flux.atom").await;
    assert!(feed.body.contains("Jupiter ce soir"));
    // The owner is told of the new post (community notifications).
    assert!(app.run_jobs(&[&a]).await >= 1);
    let told = app.get_as(&a.host, "/mon-espace/notifications", &mut owner.browser).await;
    assert!(told.body.contains("Jupiter ce soir"), "{}", told.body);

    // On request: asked, then accepted by a moderator; meanwhile no publishing there.
    let r = post(&app, &a, &mut bob, "/communautes/club-ferme/rejoindre", &[]).await;
    assert!(location(&r).ends_with("ok=requested"));
    let r = post(
        &app,
        &a,
        &mut bob,
        "/articles",
        &[("title", "Trop tôt"), ("body", "x"), ("status", "published"), ("community", &closed.to_string())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bob_id = member_id(&app, &a, &bob.handle).await;
    let r =
        post(&app, &a, &mut ana, &format!("/communautes/club-ferme/demandes/{bob_id}"), &[("answer", "accept")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "not a moderator of it");
    let r = post(&app, &a, &mut owner, &format!("/communautes/club-ferme/demandes/{bob_id}"), &[("answer", "accept")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.publish(&a, &mut bob, "articles", &[("title", "Enfin admis"), ("community", &closed.to_string())]).await;

    // The member's space lists their communities.
    let space = app.get_as(&a.host, "/mon-espace", &mut ana.browser).await;
    assert!(space.body.contains("Astronomie amateur"));
}

#[tokio::test]
async fn nobody_raises_themselves_a_moderator_acts_only_in_their_community_and_an_owner_stays() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    let mut owner = app.member(&a, "Odile Owner").await;
    let mut mod_a = app.member(&a, "Marc Modérateur").await;
    let mut member = app.member(&a, "Mia Membre").await;
    propose(&app, &a, &mut owner, "Communauté A", "open").await;
    propose(&app, &a, &mut owner, "Communauté B", "open").await;
    for m in [&mut mod_a, &mut member] {
        post(&app, &a, m, "/communautes/communaute-a/rejoindre", &[]).await;
        post(&app, &a, m, "/communautes/communaute-b/rejoindre", &[]).await;
    }
    let (mod_id, member_id_, owner_id) = (
        member_id(&app, &a, &mod_a.handle).await,
        member_id(&app, &a, &member.handle).await,
        member_id(&app, &a, &owner.handle).await,
    );
    // A member making themself a moderator, or owner: refused.
    for role in ["moderator", "owner"] {
        let r =
            post(&app, &a, &mut member, &format!("/communautes/communaute-a/membres/{member_id_}"), &[("role", role)])
                .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
    }
    // The owner names a moderator of A.
    let r =
        post(&app, &a, &mut owner, &format!("/communautes/communaute-a/membres/{mod_id}"), &[("role", "moderator")])
            .await;
    assert!(location(&r).contains("ok=member"));
    // That moderator cannot make themself owner, nor name an owner, nor act in B.
    let r =
        post(&app, &a, &mut mod_a, &format!("/communautes/communaute-a/membres/{mod_id}"), &[("role", "owner")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        post(&app, &a, &mut mod_a, &format!("/communautes/communaute-a/membres/{member_id_}"), &[("role", "owner")])
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        post(&app, &a, &mut mod_a, &format!("/communautes/communaute-b/membres/{member_id_}"), &[("role", "remove")])
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a moderator of A in B");
    assert_eq!(
        app.get_as(&a.host, "/communautes/communaute-b/gerer", &mut mod_a.browser).await.status,
        StatusCode::FORBIDDEN
    );
    // But may name moderators and remove members in A.
    let r =
        post(&app, &a, &mut mod_a, &format!("/communautes/communaute-a/membres/{member_id_}"), &[("role", "remove")])
            .await;
    assert!(location(&r).contains("ok=member"));
    // The last owner can neither step down nor leave.
    let r = post(&app, &a, &mut owner, &format!("/communautes/communaute-a/membres/{owner_id}"), &[("role", "member")])
        .await;
    assert!(location(&r).contains("erreur=last_owner"));
    let r = post(&app, &a, &mut owner, "/communautes/communaute-a/quitter", &[]).await;
    assert!(location(&r).ends_with("ok=last_owner"));
    let owners: i64 = app
        .in_region(&a, "SELECT count(*) FROM community_members cm JOIN communities c ON c.id = cm.community_id WHERE c.slug = $1 AND role = 'owner'", "communaute-a")
        .await;
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn moderators_edit_the_page_pin_and_set_a_threshold_within_the_regions_bounds() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    let mut owner = app.member(&a, "Pia Pin").await;
    propose(&app, &a, &mut owner, "Géologie", "open").await;
    let id = community_id(&app, &a, "geologie").await;
    let url = app.publish(&a, &mut owner, "articles", &[("title", "Le granite"), ("community", &id.to_string())]).await;
    let n = url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned();
    let fields = |threshold: &'static str| {
        vec![
            ("name", "Géologie alpine"),
            ("description", "Roches et glaciers"),
            ("access", "open"),
            ("tags", "roches"),
            ("report_threshold", threshold),
        ]
    };
    let r = post(&app, &a, &mut owner, "/communautes/geologie/gerer", &fields("50")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "beyond the region's bounds");
    let r = post(&app, &a, &mut owner, "/communautes/geologie/gerer", &fields("5")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r =
        post(&app, &a, &mut owner, "/communautes/geologie/epingles", &[("contribution", &n), ("action", "pin")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&a.host, "/communautes/geologie").await;
    assert!(page.body.contains("Géologie alpine") && page.body.contains("Le granite"));
    let pinned: i64 =
        app.in_region(&a, "SELECT count(*) FROM community_pins WHERE community_id = $1::bigint", &id.to_string()).await;
    assert_eq!(pinned, 1);
}

#[tokio::test]
async fn an_archived_community_is_read_only_for_its_moderators() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    let mut owner = app.member(&a, "Ancienne Responsable").await;
    propose(&app, &a, &mut owner, "Club fermé", "open").await;
    let cid = community_id(&app, &a, "club-ferme").await;
    let mut admin = app.admin(&a, "Admin").await;
    let r = post(&app, &a, &mut admin, &format!("/admin/communautes/{cid}/archiver"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let edit = [("name", "Club rouvert en douce"), ("description", "x"), ("access", "open"), ("report_threshold", "")];
    let r = post(&app, &a, &mut owner, "/communautes/club-ferme/gerer", &edit).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let name: String = app.in_region(&a, "SELECT name FROM communities WHERE id = $1::bigint", &cid.to_string()).await;
    assert_eq!(name, "Club fermé");
}
