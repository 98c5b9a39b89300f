use http::StatusCode;

use super::{id_of, project, stored_votes, vote, voter};
use echos_tests::TestApp;

#[tokio::test]
async fn votes_count_once_are_withdrawn_while_open_and_a_finished_project_says_so() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut owner = voter(&app, &a, "Porteuse").await;
    let url = project(&app, &a, &mut owner, "Un rucher pédagogique", &[("goal", "2 000 € pour les ruches")]).await;
    assert!(url.starts_with("/projets/"));
    let id = id_of(&url);
    let mut fan = voter(&app, &a, "Soutien").await;

    assert_eq!(vote(&app, &a, &mut fan, &id, "vote").await, "compte");
    assert_eq!(vote(&app, &a, &mut fan, &id, "vote").await, "compte", "twice is once");
    assert_eq!(stored_votes(&app, &a, &id).await, 1);
    let page = app.get(&a.host, &url).await;
    assert!(page.body.contains("1 vote") && page.body.contains("Vote ouvert jusqu"), "{}", page.body);
    let list = app.get(&a.host, "/projets").await;
    assert!(list.body.contains("Un rucher pédagogique") && list.body.contains("1 vote"), "the count on the card");

    assert_eq!(vote(&app, &a, &mut fan, &id, "withdraw").await, "retire");
    assert_eq!(stored_votes(&app, &a, &id).await, 0);
    assert!(app.get(&a.host, &url).await.body.contains("0 votes"));
    assert_eq!(vote(&app, &a, &mut fan, &id, "vote").await, "compte");

    // An unconfirmed address cannot vote (the region's default).
    let mut fresh = app.member(&a, "Pas confirmé").await;
    assert_eq!(vote(&app, &a, &mut fresh, &id, "vote").await, "confirmer");
    assert_eq!(stored_votes(&app, &a, &id).await, 1);

    // Another region: no such project there.
    let mut stranger = voter(&app, &b, "Étranger").await;
    let r = app.post_form(&b.host, &format!("/projets/{id}/voter"), &[("action", "vote")], &mut stranger.browser).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post_form(&a.host, &format!("/projets/{id}/voter"), &[("action", "voter")], &mut fan.browser).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Its period is over: it reads finished with its count, without a button, and takes no vote.
    let _: i64 = app
        .in_region(&a, "WITH u AS (UPDATE contributions SET vote_closes_at = now() - interval '1 minute' WHERE id = $1::bigint RETURNING 1) SELECT count(*) FROM u", &id)
        .await;
    let page = app.get_as(&a.host, &url, &mut fan.browser).await;
    assert!(page.body.contains("Ce projet est terminé") && page.body.contains("1 vote"));
    assert!(!page.body.contains("Retirer mon vote") && !page.body.contains("Voter pour ce projet"));
    let mut late = voter(&app, &a, "Retardataire").await;
    assert_eq!(vote(&app, &a, &mut late, &id, "vote").await, "ferme");
    assert_eq!(vote(&app, &a, &mut fan, &id, "withdraw").await, "ferme", "no withdrawal once over");
    assert_eq!(stored_votes(&app, &a, &id).await, 1);
    let finished = app.get(&a.host, "/projets?periode=termines").await;
    assert!(finished.body.contains("Un rucher pédagogique"));
    assert!(!app.get(&a.host, "/projets?periode=ouverts").await.body.contains("Un rucher pédagogique"));
    assert_eq!(app.get(&a.host, "/projets?periode=bientot").await.status, StatusCode::BAD_REQUEST);

    // Its supporters and its author are told, once.
    echos_core::events::send_reminders(&app.db).await.unwrap();
    echos_core::events::send_reminders(&app.db).await.unwrap();
    let told: i64 = app.in_region(&a, "SELECT count(*) FROM notifications WHERE kind = $1", "project").await;
    assert_eq!(told, 2, "the supporter and the author");
    assert!(app.get_as(&a.host, "/mon-espace/notifications", &mut fan.browser).await.body.contains("est terminé"));
}

#[tokio::test]
async fn a_hundred_parallel_votes_from_one_member_count_exactly_once_without_error() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut owner = voter(&app, &a, "Porteur").await;
    let url = project(&app, &a, &mut owner, "Un four solaire", &[]).await;
    let id = id_of(&url);
    let fan = voter(&app, &a, "Impatient").await;
    let path = format!("/projets/{id}/voter");
    let votes = (0..100).map(|_| {
        let mut browser = fan.browser.clone();
        let (app, host, path) = (&app, a.host.clone(), path.clone());
        async move { app.post_form(&host, &path, &[("action", "vote")], &mut browser).await.status }
    });
    let statuses = futures::future::join_all(votes).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    assert_eq!(stored_votes(&app, &a, &id).await, 1);
    assert!(app.get(&a.host, &url).await.body.contains("1 vote"));
}

#[tokio::test]
async fn the_period_does_not_move_once_votes_are_cast_and_bad_periods_are_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut owner = voter(&app, &a, "Porteuse").await;
    let past = (time::OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    let far = (time::OffsetDateTime::now_utc().date() + time::Duration::days(400)).to_string();
    for (date, message) in
        [(past.as_str(), "dans les 365 jours"), (far.as_str(), "dans les 365 jours"), ("bientôt", "Saisissez une date")]
    {
        let r = app
            .post_form(
                &a.host,
                "/projets",
                &[("title", "Projet daté"), ("body", "x"), ("status", "published"), ("vote_closes_on", date)],
                &mut owner.browser,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(r.body.contains(message), "{date}: {message}");
    }
    let url = project(&app, &a, &mut owner, "Un jardin partagé", &[]).await;
    let id = id_of(&url);
    let later = (time::OffsetDateTime::now_utc().date() + time::Duration::days(20)).to_string();
    let edit =
        [("title", "Un jardin partagé"), ("body", "x"), ("status", "published"), ("vote_closes_on", later.as_str())];
    let r = app.post_form(&a.host, &format!("/projets/{id}/modifier"), &edit, &mut owner.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "no vote yet: the period may move");
    let mut fan = voter(&app, &a, "Soutien").await;
    vote(&app, &a, &mut fan, &id, "vote").await;
    let sooner = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    let edit =
        [("title", "Un jardin partagé"), ("body", "x"), ("status", "published"), ("vote_closes_on", sooner.as_str())];
    let r = app.post_form(&a.host, &format!("/projets/{id}/modifier"), &edit, &mut owner.browser).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ne peut plus changer"));
    let form = app.get_as(&a.host, &format!("/projets/{id}/modifier"), &mut owner.browser).await;
    assert!(form.body.contains(&later), "the period as it stands");
}

#[tokio::test]
async fn the_count_shows_on_every_card_of_a_project_home_search_and_profile() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut owner = voter(&app, &a, "Porteuse Visible").await;
    let url = project(&app, &a, &mut owner, "Observatoire participatif des hirondelles", &[]).await;
    let id = id_of(&url);
    for i in 0..3 {
        let mut fan = voter(&app, &a, &format!("Soutien {i}")).await;
        vote(&app, &a, &mut fan, &id, "vote").await;
    }
    assert_eq!(stored_votes(&app, &a, &id).await, 3);
    for path in ["/", "/projets", "/recherche?q=hirondelles", &format!("/membres/{}", owner.handle)] {
        let page = app.get(&a.host, path).await;
        assert!(page.body.contains("Observatoire participatif des"), "{path}");
        assert!(page.body.contains("3 votes"), "{path} shows the count");
    }
}
