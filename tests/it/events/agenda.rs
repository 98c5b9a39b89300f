//! The agenda: views, filters, refusals, hidden and past events, "I'm going" and its reminder;
//! another region's events never shown.

use http::StatusCode;

use super::{id_of, publish_event};
use crate::communities::post;
use echos_tests::TestApp;

#[tokio::test]
async fn the_agenda_shows_each_date_by_view_and_filter_and_refuses_what_it_cannot_read() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut m = app.member(&a, "Animatrice").await;
    publish_event(
        &app,
        &a,
        &mut m,
        "Atelier robots",
        &[("event_kind", "workshop"), ("audience", "children"), ("tags", "robotique"), ("other_dates", "2030-03-19")],
    )
    .await;
    publish_event(&app, &a, &mut m, "Conférence climat", &[("start_date", "2030-04-02")]).await;
    let mut other = app.member(&b, "Voisine").await;
    publish_event(&app, &b, &mut other, "Événement d’ailleurs", &[]).await;

    let upcoming = app.get(&a.host, "/agenda").await;
    assert_eq!(upcoming.status, StatusCode::OK);
    assert!(upcoming.body.contains("Atelier robots") && upcoming.body.contains("Conférence climat"));
    assert_eq!(upcoming.body.matches("Atelier robots").count(), 2, "each date its own row");
    assert!(!upcoming.body.contains("Événement d’ailleurs"), "another region's event");
    assert!(upcoming.body.contains(r#"<link rel="alternate" type="text/calendar""#));

    let week = app.get(&a.host, "/agenda?vue=semaine&date=2030-03-13").await;
    assert!(week.body.contains("Atelier robots") && !week.body.contains("Conférence climat"), "the week of 11 March");
    assert!(week.body.contains("Semaine du 11 mars 2030"));
    let april = app.get(&a.host, "/agenda?vue=mois&date=2030-04-20").await;
    assert!(april.body.contains("Conférence climat") && !april.body.contains("Atelier robots"));
    let day = app.get(&a.host, "/agenda?vue=jour&date=2030-03-19").await;
    assert!(day.body.contains("Atelier robots"), "the series' second date");

    let workshops = app.get(&a.host, "/agenda?type=workshop").await;
    assert!(workshops.body.contains("Atelier robots") && !workshops.body.contains("Conférence climat"));
    let children = app.get(&a.host, "/agenda?public=children&tag=robotique").await;
    assert!(children.body.contains("Atelier robots") && !children.body.contains("Conférence climat"));
    let range = app.get(&a.host, "/agenda?du=2030-04-01&au=2030-04-30").await;
    assert!(range.body.contains("Conférence climat") && !range.body.contains("Atelier robots"));

    for bad in [
        "/agenda?du=2030-01-01&au=2039-12-31",
        "/agenda?du=2030-05-01&au=2030-04-01",
        "/agenda?type=rave",
        "/agenda?du=demain",
        "/agenda?vue=annee",
    ] {
        let r = app.get(&a.host, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("form-alert"), "{bad}: a message");
    }

    // /evenements is the agenda.
    let r = app.get(&a.host, "/evenements").await;
    assert_eq!(r.header("location"), Some("/agenda"));
}

#[tokio::test]
async fn hidden_and_past_events_leave_the_agenda_and_a_past_one_stays_readable() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Organisateur").await;
    let hidden = publish_event(&app, &a, &mut m, "Événement signalé", &[]).await;
    let past = publish_event(&app, &a, &mut m, "Événement passé", &[("start_date", "2020-03-12")]).await;
    let _: i64 = app.in_region(&a, "WITH u AS (UPDATE contributions SET status = 'hidden' WHERE id = $1::bigint RETURNING 1) SELECT count(*) FROM u", &id_of(&hidden)).await;
    for path in ["/agenda", "/agenda.ics", "/carte.geojson", "/carte"] {
        let r = app.get(&a.host, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(!r.body.contains("Événement signalé"), "{path} shows a hidden event");
        assert!(!r.body.contains("Événement passé"), "{path} shows a past event");
    }
    let page = app.get(&a.host, &past).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Cet événement est passé"));
    let old = app.get(&a.host, "/agenda?du=2020-03-01&au=2020-03-31").await;
    assert!(old.body.contains("Événement passé"), "asked for, a past period is shown");
}

#[tokio::test]
async fn members_say_they_go_the_organiser_sees_who_agreed_and_those_going_are_reminded() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut organiser = app.member(&a, "Organisatrice").await;
    // In three hours (Paris is ahead of UTC: a little more, still within the day ahead).
    let soon = time::OffsetDateTime::now_utc() + time::Duration::hours(3);
    let (day, at) = (soon.date().to_string(), format!("{:02}:{:02}", soon.hour(), soon.minute()));
    let url = publish_event(
        &app,
        &a,
        &mut organiser,
        "Sortie au planétarium",
        &[("start_date", &day), ("start_time", &at), ("end_time", "")],
    )
    .await;
    let id = id_of(&url);
    let mut named = app.member(&a, "Camille Présente").await;
    let mut discreet = app.member(&a, "Dominique Discrète").await;
    let mut curious = app.member(&a, "Eden Curieux").await;
    let action = format!("/evenements/{id}/participer");
    assert_eq!(
        post(&app, &a, &mut named, &action, &[("status", "going"), ("show_name", "on")]).await.status,
        StatusCode::SEE_OTHER
    );
    post(&app, &a, &mut discreet, &action, &[("status", "going")]).await;
    post(&app, &a, &mut curious, &action, &[("status", "interested")]).await;
    assert_eq!(post(&app, &a, &mut curious, &action, &[("status", "partout")]).await.status, StatusCode::BAD_REQUEST);

    let page = app.get(&a.host, &url).await;
    assert!(page.body.contains("2 participant"), "{}", page.body);
    assert!(page.body.contains("1 intéressé"));
    assert!(!page.body.contains("Camille Présente"), "visitors see counts, not names");
    let own = app.get_as(&a.host, &url, &mut organiser.browser).await;
    assert!(own.body.contains("Camille Présente"), "the organiser sees who agreed");
    assert!(!own.body.contains("Dominique Discrète"), "and not who did not");

    // The private "I'm going" feed.
    let r = app.get_as(&a.host, "/mon-espace/agenda.ics", &mut named.browser).await;
    let feed_path = r.header("location").unwrap().to_owned();
    let feed = app.get(&a.host, &feed_path).await;
    assert!(feed.body.contains("Sortie au planétarium"));
    assert!(!app.get(&a.host, &feed_path.replace(".ics", "x.ics")).await.status.is_success());

    // The reminder, once.
    assert!(echos_core::events::send_reminders(&app.db).await.unwrap() >= 2);
    let notes = app.get_as(&a.host, "/mon-espace/notifications", &mut discreet.browser).await;
    assert!(notes.body.contains("Rappel") && notes.body.contains("Sortie au planétarium"), "{}", notes.body);
    let curious_notes = app.get_as(&a.host, "/mon-espace/notifications", &mut curious.browser).await;
    assert!(!curious_notes.body.contains("Rappel"), "only those going");
    let again: i64 = app.in_region(&a, "SELECT count(*) FROM notifications WHERE kind = $1", "event").await;
    echos_core::events::send_reminders(&app.db).await.unwrap();
    let after: i64 = app.in_region(&a, "SELECT count(*) FROM notifications WHERE kind = $1", "event").await;
    assert_eq!(again, after, "not twice");
    assert_eq!(after, 2);

    // The console's participation: the events chart and the best-attended.
    let mut admin = app.admin(&a, "Admin Région").await;
    let page = app.get_as(&a.host, "/admin/participation", &mut admin.browser).await;
    assert!(page.body.contains("Les événements les plus suivis") && page.body.contains("Sortie au planétarium"));
    let csv = app.get_as(&a.host, "/admin/participation/evenements-frequentes.csv", &mut admin.browser).await;
    assert!(
        csv.body.contains("Sortie au planétarium,/evenements/") && csv.body.trim_end().ends_with(",2"),
        "{}",
        csv.body
    );
    let kinds = app.get_as(&a.host, "/admin/participation/evenements.csv", &mut admin.browser).await;
    assert!(
        kinds.body.starts_with("\u{feff}mois,workshop,conference") || kinds.body.contains("mois,workshop,conference"),
        "{}",
        kinds.body
    );

    // Withdrawn.
    post(&app, &a, &mut named, &action, &[("status", "none")]).await;
    assert!(app.get(&a.host, &url).await.body.contains("1 participant"));
}
