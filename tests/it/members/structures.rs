//! Acting for a structure: a structure names the people who publish on its behalf; they sign
//! contributions with its name and edit what it signed; nobody else can.

use axum::http::StatusCode;
use echos_core::TenantTx;
use echos_tests::{Browser, TestApp, TestTenant};

use crate::accounts::{PASSWORD, unique_email};

async fn join(app: &TestApp, t: &TestTenant, name: &str, kind: &str) -> Browser {
    let mut b = Browser::new();
    let fields = [("display_name", name), ("email", &unique_email()), ("password", PASSWORD), ("kind", kind)];
    let r = app.post_form(&t.host, "/inscription", &fields, &mut b).await;
    assert_eq!(r.status, StatusCode::OK, "{name} signs up: {}", r.body);
    b
}

/// The id of a member, read from the region's own schema.
async fn member_id(app: &TestApp, t: &TestTenant, handle: &str) -> i64 {
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM members WHERE handle = $1").bind(handle).fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    id
}

#[tokio::test]
async fn a_person_named_by_a_structure_publishes_in_its_name_and_edits_what_it_signed() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut museum = join(&app, &a, "Muséum des Cimes", "structure").await;
    let mut alice = join(&app, &a, "Alice Médiatrice", "person").await;
    let mut bob = join(&app, &a, "Bob Curieux", "person").await;

    let named = app
        .post_form(&a.host, "/mon-espace/structure/gestionnaires", &[("handle", "alice-mediatrice")], &mut museum)
        .await;
    assert_eq!(named.status, StatusCode::SEE_OTHER);
    let space = app.get_as(&a.host, "/mon-espace", &mut museum).await;
    assert!(space.body.contains("Alice Médiatrice"), "the structure sees who publishes for it");
    let told = app.get_as(&a.host, "/mon-espace/notifications", &mut alice).await;
    assert!(told.body.contains("Muséum des Cimes vous a nommé·e pour publier en son nom"), "the person is told");

    let form = app.get_as(&a.host, "/articles/nouveau", &mut alice).await;
    assert!(form.body.contains("Publier au nom de") && form.body.contains("Muséum des Cimes"));
    let museum_id = member_id(&app, &a, "museum-des-cimes").await.to_string();
    let written = app
        .post_form(
            &a.host,
            "/articles",
            &[
                ("title", "Nocturne au muséum"),
                ("body", "Ouvert jusqu’à minuit."),
                ("status", "published"),
                ("au_nom_de", &museum_id),
            ],
            &mut alice,
        )
        .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER);
    let url = written.header("location").unwrap().to_owned();
    let page = app.get(&a.host, &url).await;
    assert!(page.body.contains("href=\"/membres/museum-des-cimes\""), "signed by the structure");
    assert!(!page.body.contains("/membres/alice-mediatrice"), "not by the person who wrote it");
    assert!(
        page.body.contains("\"@type\":\"Organization\",\"name\":\"Muséum des Cimes\""),
        "JSON-LD names an organisation"
    );

    let id = url.trim_start_matches("/articles/").split('-').next().unwrap().to_owned();
    let edit = [("title", "Nocturne au muséum (complet)"), ("body", "Complet."), ("status", "published")];
    let edited = app.post_form(&a.host, &format!("/articles/{id}/modifier"), &edit, &mut alice).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "the person edits what the structure signed");
    let refused = app.post_form(&a.host, &format!("/articles/{id}/modifier"), &edit, &mut bob).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "someone else may not");

    // Once removed, the person no longer acts for the structure.
    let alice_id = member_id(&app, &a, "alice-mediatrice").await;
    let removed = app
        .post_form(&a.host, &format!("/mon-espace/structure/gestionnaires/{alice_id}/retirer"), &[], &mut museum)
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let after = app.post_form(&a.host, &format!("/articles/{id}/modifier"), &edit, &mut alice).await;
    assert_eq!(after.status, StatusCode::FORBIDDEN);
    let again = app
        .post_form(&a.host, "/articles", &[("title", "Encore"), ("body", "x"), ("au_nom_de", &museum_id)], &mut alice)
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn nobody_signs_for_a_structure_that_did_not_name_them() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    join(&app, &a, "Observatoire du Col", "structure").await;
    let mut mallory = join(&app, &a, "Mallory Intruse", "person").await;
    let structure = member_id(&app, &a, "observatoire-du-col").await.to_string();
    let forged = app
        .post_form(
            &a.host,
            "/articles",
            &[
                ("title", "Faux communiqué"),
                ("body", "Signé d’un autre."),
                ("status", "published"),
                ("au_nom_de", &structure),
            ],
            &mut mallory,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM contributions").fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(n, 0, "nothing was written");
    let bad =
        app.post_form(&a.host, "/articles", &[("title", "T"), ("body", "x"), ("au_nom_de", "abc")], &mut mallory).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_a_structure_names_people_and_only_people_are_named() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut lab = join(&app, &a, "Labo Ouvert", "structure").await;
    join(&app, &a, "Autre Structure", "structure").await;
    let mut person = join(&app, &a, "Paul Personne", "person").await;
    join(&app, &b, "Ailleurs Seulement", "person").await;

    let by_person =
        app.post_form(&a.host, "/mon-espace/structure/gestionnaires", &[("handle", "labo-ouvert")], &mut person).await;
    assert_eq!(by_person.status, StatusCode::FORBIDDEN, "a person has no one to name");

    let structure =
        app.post_form(&a.host, "/mon-espace/structure/gestionnaires", &[("handle", "autre-structure")], &mut lab).await;
    assert_eq!(structure.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(structure.body.contains("n’est pas une personne"));
    assert!(structure.body.contains("value=\"autre-structure\""), "what was typed comes back");

    let elsewhere = app
        .post_form(&a.host, "/mon-espace/structure/gestionnaires", &[("handle", "ailleurs-seulement")], &mut lab)
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY, "a member of another region is unknown here");
    assert!(elsewhere.body.contains("Aucun membre de ce réseau"));

    let forged = app
        .post_form(
            &a.host,
            "/mon-espace/structure/gestionnaires",
            &[("handle", "paul-personne"), ("csrf_token", "forged")],
            &mut lab,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM structure_managers").fetch_one(&mut *tx).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(n, 0, "nobody was named");
}

#[tokio::test]
async fn a_person_can_stop_publishing_for_a_structure() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut lab = join(&app, &a, "Laboratoire Public", "structure").await;
    let mut eve = join(&app, &a, "Ève Chercheuse", "person").await;
    let named =
        app.post_form(&a.host, "/mon-espace/structure/gestionnaires", &[("handle", "eve-chercheuse")], &mut lab).await;
    assert_eq!(named.status, StatusCode::SEE_OTHER);
    let lab_id = member_id(&app, &a, "laboratoire-public").await;
    let space = app.get_as(&a.host, "/mon-espace", &mut eve).await;
    assert!(space.body.contains("Laboratoire Public") && space.body.contains("Ne plus publier pour elle"));
    let left = app.post_form(&a.host, &format!("/mon-espace/structures/{lab_id}/quitter"), &[], &mut eve).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER);
    let again = app
        .post_form(&a.host, "/articles", &[("title", "T"), ("body", "x"), ("au_nom_de", &lab_id.to_string())], &mut eve)
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "no longer acts for it");
}
