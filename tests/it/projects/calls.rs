use http::StatusCode;

use super::{id_of, project, stored_votes, vote, voter};
use echos_tests::TestApp;

#[tokio::test]
async fn an_admin_opens_a_call_projects_are_submitted_the_allowance_holds_and_the_results_come_out() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Admin Région").await;
    let today = time::OffsetDateTime::now_utc().date();
    let (opens, closes) = (today.to_string(), (today + time::Duration::days(14)).to_string());
    let mut call = vec![
        ("title", "Sciences participatives 2027"),
        ("body", "Des projets **citoyens** de recherche."),
        ("opens_on", opens.as_str()),
        ("closes_on", closes.as_str()),
        ("submitters", "members"),
        ("votes_per_member", "2"),
    ];
    let bad = [("votes_per_member", "0"), ("closes_on", "2020-01-01"), ("submitters", "everyone")];
    for (k, v) in bad {
        let mut fields = call.clone();
        fields.retain(|(fk, _)| *fk != k);
        fields.push((k, v));
        let r = app.post_form(&a.host, "/admin/appels", &fields, &mut admin.browser).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{k}={v}");
        assert!(r.body.contains("Sciences participatives 2027"), "{k}: the form is kept");
    }
    let r = app.post_form(&a.host, "/admin/appels", &call, &mut admin.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let call_id: i64 = app.in_region(&a, "SELECT id FROM calls WHERE title = $1", "Sciences participatives 2027").await;
    let log: i64 = app.in_region(&a, "SELECT count(*) FROM audit_log WHERE action = $1", "call.save").await;
    assert_eq!(log, 1);

    // A member may not open one.
    let mut member = voter(&app, &a, "Membre").await;
    call[0].1 = "Appel pirate";
    assert_eq!(app.post_form(&a.host, "/admin/appels", &call, &mut member.browser).await.status, StatusCode::FORBIDDEN);

    let cid = call_id.to_string();
    let mut owner = voter(&app, &a, "Porteuse").await;
    let mut ids = Vec::new();
    for title in ["Capteurs de qualité de l’air", "Inventaire des papillons", "Cartographie des mares"] {
        ids.push(id_of(&project(&app, &a, &mut owner, title, &[("call", &cid)]).await));
    }
    let page = app.get(&a.host, "/appels/sciences-participatives-2027").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Inventaire des papillons") && page.body.contains("2 votes par membre"));

    // Two votes each in the call: the third is refused, and withdrawing gives one back.
    let mut fan = voter(&app, &a, "Votante").await;
    assert_eq!(vote(&app, &a, &mut fan, &ids[0], "vote").await, "compte");
    assert_eq!(vote(&app, &a, &mut fan, &ids[1], "vote").await, "compte");
    assert_eq!(vote(&app, &a, &mut fan, &ids[2], "vote").await, "epuise");
    assert_eq!(stored_votes(&app, &a, &ids[2]).await, 0, "the refused vote left nothing");
    assert_eq!(vote(&app, &a, &mut fan, &ids[1], "withdraw").await, "retire");
    assert_eq!(vote(&app, &a, &mut fan, &ids[2], "vote").await, "compte");

    // Concurrent votes on all three from a fresh voter: never more than the allowance.
    let racer = voter(&app, &a, "Pressée").await;
    let attempts = ids.iter().cycle().take(30).map(|id| {
        let mut browser = racer.browser.clone();
        let (app, host, path) = (&app, a.host.clone(), format!("/projets/{id}/voter"));
        async move { app.post_form(&host, &path, &[("action", "vote")], &mut browser).await.status }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    let theirs: i64 = app
        .in_region(
            &a,
            "SELECT count(*) FROM votes v JOIN members m ON m.id = v.member_id WHERE m.display_name = $1",
            "Pressée",
        )
        .await;
    assert_eq!(theirs, 2, "the allowance holds under concurrency");

    // A project of a call cannot leave it once voted for, and a closed call takes no project.
    let edit = [
        ("title", "Inventaire des papillons"),
        ("body", "x"),
        ("status", "published"),
        ("call", ""),
        ("vote_closes_on", closes.as_str()),
    ];
    let r = app.post_form(&a.host, &format!("/projets/{}/modifier", ids[0]), &edit, &mut owner.browser).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The call closes: results, the CSV, and no more votes.
    let _: i64 = app
        .in_region(&a, "WITH u AS (UPDATE calls SET opens_at = now() - interval '20 days', closes_at = now() - interval '1 minute' WHERE id = $1::bigint RETURNING 1) SELECT count(*) FROM u", &cid)
        .await;
    let r = app
        .post_form(
            &a.host,
            "/projets",
            &[("title", "Trop tard"), ("body", "x"), ("status", "published"), ("call", cid.as_str())],
            &mut owner.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a closed call takes no project");
    assert_eq!(vote(&app, &a, &mut member, &ids[0], "vote").await, "ferme");
    let results = app.get(&a.host, "/appels/sciences-participatives-2027").await;
    assert!(results.body.contains("Résultats"));
    let csv = app.get_as(&a.host, &format!("/admin/appels/{cid}/resultats.csv"), &mut admin.browser).await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0].trim_start_matches('\u{feff}'), "projet,auteur,adresse,votes");
    let counts: Vec<i64> = lines[1..].iter().map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(counts.len(), 3);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "the most voted first: {}", csv.body);
    let total: i64 = app.in_region(&a, "SELECT count(*) FROM votes WHERE call_id = $1::bigint", &cid).await;
    assert_eq!(counts.iter().sum::<i64>(), total, "the CSV counts the stored votes");
    assert!(lines[1..].iter().all(|l| l.contains(",Porteuse,/projets/")), "{}", csv.body);
    for id in &ids {
        let shown = app.get(&a.host, &format!("/projets/{id}")).await;
        let page = app.get(&a.host, shown.header("location").unwrap()).await;
        let n = stored_votes(&app, &a, id).await;
        let words = if n == 1 { "1 vote".to_owned() } else { format!("{n} votes") };
        assert!(page.body.contains(&words) && page.body.contains("Ce projet est terminé"), "{id}: {words}");
    }
    assert_eq!(
        app.get_as(&a.host, &format!("/admin/appels/{cid}/resultats.csv"), &mut member.browser).await.status,
        StatusCode::FORBIDDEN
    );
}
