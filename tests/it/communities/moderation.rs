//! Moderation after the fact: reports hide an item at its threshold (fresh accounts weigh half),
//! the hidden item is out of every list, search, feed, community page and notification, its
//! author sees why and asks for a review, a moderator decides, and the log keeps it all.

use http::StatusCode;

use super::{community_id, location, open_at_once, post, propose};
use echos_tests::{Member, TestApp, TestTenant};

fn id_of(url: &str) -> String {
    url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned()
}

async fn report(app: &TestApp, t: &TestTenant, m: &mut Member, kind: &str, id: &str) -> echos_tests::TestResponse {
    post(app, t, m, "/signaler", &[("type", kind), ("id", id), ("reason", "spam"), ("details", ""), ("retour", "/")])
        .await
}

/// Reports from accounts older than a day and confirmed count whole (the region's setting).
async fn whole_reports(app: &TestApp, t: &TestTenant) {
    let _: i64 = app
        .in_region(
            t,
            "WITH s AS (INSERT INTO settings (key, value) VALUES ('moderation.fresh_reports_weigh_half', $1::jsonb)
                        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value RETURNING 1) SELECT count(*) FROM s",
            "false",
        )
        .await;
}

#[tokio::test]
async fn six_fresh_reports_hide_an_article_everywhere_until_a_moderator_restores_it() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    let mut author = app.member(&a, "Auteur Signalé").await;
    let mut fan = app.member(&a, "Fan Fidèle").await;
    let mut moderator = app.member(&a, "Modératrice").await;
    propose(&app, &a, &mut moderator, "Biodiversité", "open").await;
    let cid = community_id(&app, &a, "biodiversite").await;
    post(&app, &a, &mut author, "/communautes/biodiversite/rejoindre", &[]).await;
    post(&app, &a, &mut fan, &format!("/membres/{}/suivre", author.handle), &[]).await;
    let url = app
        .publish(
            &a,
            &mut author,
            "articles",
            &[("title", "Les abeilles sauvages"), ("tags", "pollinisateurs"), ("community", &cid.to_string())],
        )
        .await;
    let id = id_of(&url);
    app.run_jobs(&[&a]).await;
    assert!(
        app.get_as(&a.host, "/mon-espace/notifications", &mut fan.browser).await.body.contains("Les abeilles sauvages")
    );

    // Own content, and twice: refused.
    assert_eq!(report(&app, &a, &mut author, "contribution", &id).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut reporters = Vec::new();
    for i in 0..6 {
        reporters.push(app.member(&a, &format!("Signaleur {i}")).await);
    }
    assert_eq!(report(&app, &a, &mut reporters[0], "contribution", &id).await.status, StatusCode::OK);
    assert_eq!(report(&app, &a, &mut reporters[0], "contribution", &id).await.status, StatusCode::CONFLICT, "twice");
    // Fresh accounts weigh half: five are not enough for a threshold of three.
    for r in reporters.iter_mut().skip(1).take(4) {
        assert_eq!(report(&app, &a, r, "contribution", &id).await.status, StatusCode::OK);
    }
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::OK, "five fresh reports: still there");
    report(&app, &a, &mut reporters[5], "contribution", &id).await;

    // Hidden: nowhere for anyone else.
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::NOT_FOUND);
    for path in [
        "/",
        "/articles",
        "/articles?tag=pollinisateurs",
        "/flux.atom",
        "/articles.atom",
        "/communautes/biodiversite",
        "/communautes/biodiversite/flux.atom",
        "/recherche?q=abeilles",
        "/sitemap.xml",
        &format!("/membres/{}", author.handle),
    ] {
        let page = app.get(&a.host, path).await;
        assert!(!page.body.contains("Les abeilles sauvages"), "{path} shows a hidden article");
    }
    let fan_sees = app.get_as(&a.host, "/mon-espace/notifications", &mut fan.browser).await;
    assert!(!fan_sees.body.contains("Les abeilles sauvages"), "nor in a follower's notifications");
    // Its author sees it, and why, and asks for a review.
    let own = app.get_as(&a.host, &url, &mut author.browser).await;
    assert_eq!(own.status, StatusCode::OK);
    let told = app.get_as(&a.host, "/mon-espace/notifications", &mut author.browser).await;
    assert!(told.body.contains("masqué"), "the author is told");
    let r = post(&app, &a, &mut author, &format!("/articles/{id}/revue"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Editing it meanwhile is refused, and nothing changes.
    let r = post(
        &app,
        &a,
        &mut author,
        &format!("/articles/{id}/modifier"),
        &[("title", "Titre changé"), ("body", "x"), ("status", "published")],
    )
    .await;
    assert!(matches!(r.status, StatusCode::NOT_FOUND | StatusCode::CONFLICT), "{}", r.status);
    let title: String = app.in_region(&a, "SELECT title FROM contributions WHERE id = $1::bigint", &id).await;
    assert_eq!(title, "Les abeilles sauvages");

    // The community's moderator sees it in the queue and restores it.
    let queue = app.get_as(&a.host, "/communautes/biodiversite/moderation", &mut moderator.browser).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Les abeilles sauvages"));
    let r = post(
        &app,
        &a,
        &mut moderator,
        "/moderation/decision",
        &[
            ("type", "contribution"),
            ("id", &id),
            ("decision", "restore"),
            ("note", "Contenu conforme"),
            ("retour", "/communautes/biodiversite/moderation"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::OK, "restored");
    assert!(app.get(&a.host, "/articles").await.body.contains("Les abeilles sauvages"));
    let reporter_told = app.get_as(&a.host, "/mon-espace/notifications", &mut reporters[0].browser).await;
    assert!(reporter_told.body.contains("pas été retenu"), "the reporters are told");
    let log = crate::admin::audit_actions(&app, &a).await;
    assert!(log.contains(&"moderation.restored".to_owned()), "{log:?}");
}

#[tokio::test]
async fn a_moderator_elsewhere_or_another_regions_queue_cannot_decide() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    open_at_once(&app, &a).await;
    whole_reports(&app, &a).await;
    let mut author = app.member(&a, "Auteure").await;
    let mut other_mod = app.member(&a, "Modo Ailleurs").await;
    propose(&app, &a, &mut other_mod, "Autre communauté", "open").await;
    let url = app.publish(&a, &mut author, "articles", &[("title", "Hors communauté")]).await;
    let id = id_of(&url);
    for i in 0..3 {
        let mut r = app.member(&a, &format!("Témoin {i}")).await;
        report(&app, &a, &mut r, "contribution", &id).await;
    }
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::NOT_FOUND, "three whole reports hide it");
    let r = post(
        &app,
        &a,
        &mut other_mod,
        "/moderation/decision",
        &[("type", "contribution"), ("id", &id), ("decision", "restore"), ("retour", "/")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a community's moderator, on an item of no community of theirs");

    // Region B's admin, on region A's item (by its number): not there.
    let mut admin_b = app.admin(&b, "Admin B").await;
    let r = post(
        &app,
        &b,
        &mut admin_b,
        "/moderation/decision",
        &[("type", "contribution"), ("id", "987654"), ("decision", "remove"), ("retour", "/")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Region A's admin removes it and suspends its author.
    let mut admin_a = app.admin(&a, "Admin A").await;
    let page = app.get_as(&a.host, "/admin/moderation", &mut admin_a.browser).await;
    assert!(page.body.contains("Hors communauté"));
    let r = post(
        &app,
        &a,
        &mut admin_a,
        "/moderation/decision",
        &[
            ("type", "contribution"),
            ("id", &id),
            ("decision", "remove"),
            ("sanction", "suspend"),
            ("days", "7"),
            ("note", "Publicité"),
            ("retour", "/admin/moderation"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/admin/moderation"));
    let status: String = app.in_region(&a, "SELECT status FROM contributions WHERE id = $1::bigint", &id).await;
    assert_eq!(status, "deleted");
    let refused = app
        .post_form(
            &a.host,
            "/articles",
            &[("title", "Encore"), ("body", "x"), ("status", "published")],
            &mut author.browser,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "suspended");
}

#[tokio::test]
async fn a_hidden_comment_loses_its_text_and_its_notifications() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    whole_reports(&app, &a).await;
    let mut author = app.member(&a, "Autrice Article").await;
    let mut troll = app.member(&a, "Troll").await;
    let url = app.publish(&a, &mut author, "debats", &[("title", "Faut-il des éoliennes ?")]).await;
    let id = id_of(&url);
    post(&app, &a, &mut troll, &format!("/debats/{id}/commentaires"), &[("body", "Message injurieux xyz")]).await;
    assert!(app.get_as(&a.host, "/mon-espace/notifications", &mut author.browser).await.body.contains("a commenté"));
    let comment: i64 = app.in_region(&a, "SELECT id FROM comments WHERE body_md = $1", "Message injurieux xyz").await;
    for i in 0..3 {
        let mut r = app.member(&a, &format!("Lecteur {i}")).await;
        assert_eq!(report(&app, &a, &mut r, "comment", &comment.to_string()).await.status, StatusCode::OK);
    }
    let page = app.get(&a.host, &url).await;
    assert!(!page.body.contains("Message injurieux xyz"), "its text is gone");
    let notes = app.get_as(&a.host, "/mon-espace/notifications", &mut author.browser).await;
    assert!(!notes.body.contains("a commenté"), "and the notification about it");
}

#[tokio::test]
async fn an_edit_racing_with_a_hide_either_lands_before_it_or_is_refused_with_the_form_kept() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    whole_reports(&app, &a).await;
    let mut author = app.member(&a, "Auteure Pressée").await;
    let url = app.publish(&a, &mut author, "articles", &[("title", "Version une")]).await;
    let id = id_of(&url);
    let mut reporters = Vec::new();
    for i in 0..3 {
        reporters.push(app.member(&a, &format!("Témoin {i}")).await);
    }
    report(&app, &a, &mut reporters[0], "contribution", &id).await;
    report(&app, &a, &mut reporters[1], "contribution", &id).await;

    // The report that crosses the threshold and an edit, at the same moment.
    let edit_path = format!("/articles/{id}/modifier");
    let edit_fields = [("title", "Version deux"), ("body", "Texte revu"), ("status", "published")];
    let (third, edit) = tokio::join!(
        report(&app, &a, &mut reporters[2], "contribution", &id),
        app.post_form(&a.host, &edit_path, &edit_fields, &mut author.browser),
    );
    assert_eq!(third.status, StatusCode::OK);
    let (status, title): (String, String) = {
        let row: String =
            app.in_region(&a, "SELECT status || '|' || title FROM contributions WHERE id = $1::bigint", &id).await;
        let (s, t) = row.split_once('|').unwrap();
        (s.to_owned(), t.to_owned())
    };
    assert_eq!(status, "hidden", "the third report hides it whatever the order");
    if edit.status == StatusCode::SEE_OTHER {
        assert_eq!(title, "Version deux", "the edit came first and landed whole");
    } else {
        assert_eq!(title, "Version une", "the edit came second and changed nothing");
        assert!(edit.body.contains("Version deux"), "the form is shown again with what was typed");
    }

    // Once hidden, an edit is refused and loses nothing of what was typed.
    let late = app
        .post_form(
            &a.host,
            &edit_path,
            &[("title", "Version trois"), ("body", "x"), ("status", "published")],
            &mut author.browser,
        )
        .await;
    assert_ne!(late.status, StatusCode::SEE_OTHER);
    assert!(late.status.is_client_error(), "{}", late.status);
    let title: String = app.in_region(&a, "SELECT title FROM contributions WHERE id = $1::bigint", &id).await;
    assert_ne!(title, "Version trois");
}

#[tokio::test]
async fn a_moderator_never_rules_on_their_own_item_and_what_is_not_visible_cannot_be_reported() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    open_at_once(&app, &a).await;
    whole_reports(&app, &a).await;
    let mut owner = app.member(&a, "Propriétaire").await;
    propose(&app, &a, &mut owner, "Mon club", "open").await;
    let cid = community_id(&app, &a, "mon-club").await;
    let url = app
        .publish(&a, &mut owner, "articles", &[("title", "Mon propre article"), ("community", &cid.to_string())])
        .await;
    let id = id_of(&url);
    for i in 0..3 {
        let mut r = app.member(&a, &format!("Témoin {i}")).await;
        report(&app, &a, &mut r, "contribution", &id).await;
    }
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::NOT_FOUND, "hidden");
    let r = post(
        &app,
        &a,
        &mut owner,
        "/moderation/decision",
        &[("type", "contribution"), ("id", &id), ("decision", "restore"), ("retour", "/")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the owner of the community wrote it: not theirs to decide");
    assert_eq!(app.get(&a.host, &url).await.status, StatusCode::NOT_FOUND, "still hidden");

    // A comment on a draft: not there to report, its words not shown.
    let mut writer = app.member(&a, "Auteur Discret").await;
    let draft = app.publish(&a, &mut writer, "articles", &[("title", "Brouillon"), ("status", "draft")]).await;
    let draft_id = id_of(&draft);
    let comment: i64 = app
        .in_region(&a, "INSERT INTO comments (contribution_id, author_id, body_md, body_html) SELECT $1::bigint, author_id, 'Mot secret', '<p>Mot secret</p>' FROM contributions WHERE id = $1::bigint RETURNING id", &draft_id)
        .await;
    let mut curious = app.member(&a, "Curieux").await;
    let form =
        app.get_as(&a.host, &format!("/signaler?type=comment&id={comment}&retour=/"), &mut curious.browser).await;
    assert!(!form.body.contains("Mot secret"));
    assert_eq!(report(&app, &a, &mut curious, "comment", &comment.to_string()).await.status, StatusCode::NOT_FOUND);
}
