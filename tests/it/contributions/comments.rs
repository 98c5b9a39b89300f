use echos_core::{TenantTx, notifications};
use echos_tests::{Browser, TestApp, TestTenant};
use http::StatusCode;

use crate::accounts::{sign_up, unique_email};

struct Person {
    browser: Browser,
    email: String,
}

async fn person(app: &TestApp, t: &TestTenant, name: &str) -> Person {
    let mut browser = Browser::new();
    let email = unique_email();
    sign_up(app, &t.host, name, &email, &mut browser).await;
    Person { browser, email }
}

async fn notifications_of(app: &TestApp, t: &TestTenant, email: &str) -> Vec<notifications::Notification> {
    let account: uuid::Uuid = sqlx::query_scalar("SELECT id FROM platform.accounts WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    let mut tx = TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let m = echos_core::accounts::member_by_account(&mut tx, account).await.unwrap().unwrap();
    let list = notifications::latest(&mut tx, m.id, 50).await.unwrap();
    tx.commit().await.unwrap();
    list
}

/// Publishes an article as `p`; returns its id and canonical path.
async fn article(app: &TestApp, t: &TestTenant, p: &mut Person, title: &str) -> (String, String) {
    let r = app
        .post_form(
            &t.host,
            "/articles",
            &[("title", title), ("body", "texte"), ("status", "published")],
            &mut p.browser,
        )
        .await;
    let url = r.header("location").unwrap().to_owned();
    let id = url.trim_start_matches("/articles/").split('-').next().unwrap().to_owned();
    (id, url)
}

fn comment_id(r: &echos_tests::TestResponse) -> String {
    r.header("location").unwrap().rsplit("#commentaire-").next().unwrap().to_owned()
}

#[tokio::test]
async fn a_comment_notifies_the_author_and_a_reply_the_one_answered() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = person(&app, &a, "Autrice").await;
    let mut bob = person(&app, &a, "Bob").await;
    let mut carol = person(&app, &a, "Carol").await;
    let (id, url) = article(&app, &a, &mut author, "Les comètes").await;

    let r = app
        .post_form(
            &a.host,
            &format!("/articles/{id}/commentaires"),
            &[("body", "Très *clair*, merci !")],
            &mut bob.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let first = comment_id(&r);
    let reply = app
        .post_form(
            &a.host,
            &format!("/articles/{id}/commentaires"),
            &[("body", "D'accord avec Bob."), ("parent_id", &first)],
            &mut carol.browser,
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);

    let to_author = notifications_of(&app, &a, &author.email).await;
    assert_eq!(to_author.iter().filter(|n| n.kind == "comment_on_mine").count(), 2, "one per comment on the article");
    assert!(to_author[0].link.as_deref().unwrap().starts_with(&url));
    let to_bob = notifications_of(&app, &a, &bob.email).await;
    assert_eq!(to_bob.len(), 1);
    assert_eq!(to_bob[0].kind, "reply_to_me");
    assert!(notifications_of(&app, &a, &carol.email).await.is_empty(), "nobody is told of their own words");

    let page = app.get(&a.host, &url).await;
    assert!(page.body.contains("<em>clair</em>"));
    assert!(page.body.contains("D&#x27;accord avec Bob.") || page.body.contains("D'accord avec Bob."));
}

#[tokio::test]
async fn script_in_a_comment_is_inert() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = person(&app, &a, "Autrice").await;
    let (id, url) = article(&app, &a, &mut author, "Cible").await;
    let body = "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> <h1>gros</h1>";
    app.post_form(&a.host, &format!("/articles/{id}/commentaires"), &[("body", body)], &mut author.browser).await;
    app.post_form(
        &a.host,
        &format!("/articles/{id}/commentaires"),
        &[("body", "[lien](javascript:alert(1)) et [autre](JAVASCRIPT:alert(2))")],
        &mut author.browser,
    )
    .await;
    let lower = app.get(&a.host, &url).await.body.to_lowercase();
    // `javascript:` may stay as words of text; never as a link.
    for bad in ["<script>alert", "onerror=", "href=\"javascript", "<h1>gros"] {
        assert!(!lower.contains(bad), "{bad} survived");
    }
}

#[tokio::test]
async fn replies_stay_one_level_deep_and_within_their_article() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut p = person(&app, &a, "Fil").await;
    let (one, _) = article(&app, &a, &mut p, "Un").await;
    let (two, _) = article(&app, &a, &mut p, "Deux").await;
    let top = comment_id(
        &app.post_form(&a.host, &format!("/articles/{one}/commentaires"), &[("body", "haut")], &mut p.browser).await,
    );
    let reply = comment_id(
        &app.post_form(
            &a.host,
            &format!("/articles/{one}/commentaires"),
            &[("body", "réponse"), ("parent_id", &top)],
            &mut p.browser,
        )
        .await,
    );
    let deeper = app
        .post_form(
            &a.host,
            &format!("/articles/{one}/commentaires"),
            &[("body", "plus bas"), ("parent_id", &reply)],
            &mut p.browser,
        )
        .await;
    assert_eq!(deeper.status, StatusCode::UNPROCESSABLE_ENTITY);
    let elsewhere = app
        .post_form(
            &a.host,
            &format!("/articles/{two}/commentaires"),
            &[("body", "ailleurs"), ("parent_id", &top)],
            &mut p.browser,
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    let empty =
        app.post_form(&a.host, &format!("/articles/{one}/commentaires"), &[("body", "   ")], &mut p.browser).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_its_author_deletes_a_comment() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = person(&app, &a, "Autrice").await;
    let mut other = person(&app, &a, "Autre").await;
    let (id, url) = article(&app, &a, &mut author, "Sujet").await;
    let c = comment_id(
        &app.post_form(
            &a.host,
            &format!("/articles/{id}/commentaires"),
            &[("body", "Mon avis tranché")],
            &mut author.browser,
        )
        .await,
    );
    let refused = app.post_form(&a.host, &format!("/commentaires/{c}/supprimer"), &[], &mut other.browser).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(app.get(&a.host, &url).await.body.contains("Mon avis tranché"));
    let done = app.post_form(&a.host, &format!("/commentaires/{c}/supprimer"), &[], &mut author.browser).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(!app.get(&a.host, &url).await.body.contains("Mon avis tranché"));
}

#[tokio::test]
async fn another_regions_article_cannot_be_commented_here() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut writer = person(&app, &a, "Régionale").await;
    let (id, _) = article(&app, &a, &mut writer, "Chez A").await;
    let mut visitor = person(&app, &b, "Visiteur").await;
    let r = app
        .post_form(&b.host, &format!("/articles/{id}/commentaires"), &[("body", "coucou")], &mut visitor.browser)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
