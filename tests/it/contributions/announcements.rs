//! Announcements: kinds, closing dates, the closed filter, JobPosting data.

use super::*;

#[tokio::test]
async fn an_announcement_closing_in_the_past_or_on_a_malformed_date_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Recruteuse").await;
    let yesterday = (today() - time::Duration::days(1)).to_string();
    for (date, message) in [
        (yesterday.as_str(), "La date de clôture ne peut pas être passée."),
        ("31/12/2030", "Indiquez la date de clôture au format AAAA-MM-JJ."),
        ("demain", "Indiquez la date de clôture au format AAAA-MM-JJ."),
    ] {
        let r = post(
            &app,
            &a,
            &mut m,
            "annonces",
            &[("title", "Stage d’été"), ("body", "texte"), ("announcement_kind", "job"), ("closes_on", date)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(r.body.contains(message), "{date}: {message}");
        assert!(r.body.contains("id=\"closes_on-error\""));
        assert!(r.body.contains(&format!("value=\"{}\"", html(date))), "what was typed comes back");
    }
}

#[tokio::test]
async fn a_job_offer_carries_job_posting_structured_data() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "La Casemate").await;
    let closes = (today() + time::Duration::days(30)).to_string();
    let page = publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Médiatrice scientifique (CDD)"), ("announcement_kind", "job"), ("closes_on", &closes)],
    )
    .await;
    let r = app.get(&a.host, &page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("\"@type\":\"JobPosting\""));
    assert!(r.body.contains(&format!("\"validThrough\":\"{closes}T23:59:59Z\"")), "{}", r.body);
    assert!(r.body.contains("Offre d’emploi"));
    assert!(!r.body.contains("kind-label__closed"), "open");
}

#[tokio::test]
async fn a_closed_announcement_leaves_the_list_but_not_the_closed_filter() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Organisatrice").await;
    let closes = (today() + time::Duration::days(10)).to_string();
    let open = &[("title", "Concours photo ouvert"), ("announcement_kind", "competition"), ("closes_on", &closes)];
    publish(&app, &a, &mut m, "annonces", open).await;
    let page = publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Concours de l’an passé"), ("announcement_kind", "competition"), ("closes_on", &closes)],
    )
    .await;
    assert!(app.get(&a.host, "/annonces").await.body.contains("Concours de l’an passé"), "open at first");
    sql(&app, &a, "UPDATE contributions SET closes_on = current_date - 3 WHERE id = $1", id_of(&page)).await;

    let r = app.get(&a.host, &page).await;
    assert_eq!(r.status, StatusCode::OK, "still reachable");
    assert!(r.body.contains("Close depuis le"));
    let list = app.get(&a.host, "/annonces").await;
    assert!(!list.body.contains("Concours de l’an passé"));
    assert!(list.body.contains("Concours photo ouvert"));
    let with_closed = app.get(&a.host, "/annonces?closes=1").await;
    assert!(with_closed.body.contains("Concours de l’an passé") && with_closed.body.contains("Concours photo ouvert"));
    assert!(with_closed.body.contains("· Close"), "marked as closed in the list");
}

#[tokio::test]
async fn announcements_filter_by_type_and_refuse_unknown_types() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Annonceur").await;
    let closes = (today() + time::Duration::days(10)).to_string();
    publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Poste d’animateur"), ("announcement_kind", "job"), ("closes_on", &closes)],
    )
    .await;
    publish(
        &app,
        &a,
        &mut m,
        "annonces",
        &[("title", "Concours de maquettes"), ("announcement_kind", "competition"), ("closes_on", &closes)],
    )
    .await;
    let jobs = app.get(&a.host, "/annonces?type_annonce=job").await;
    assert_eq!(jobs.status, StatusCode::OK);
    assert!(jobs.body.contains("Poste d’animateur") && !jobs.body.contains("Concours de maquettes"));
    assert_eq!(app.get(&a.host, "/annonces?type_annonce=nope").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&a.host, "/annonces?closes=oui").await.status, StatusCode::BAD_REQUEST);
}
