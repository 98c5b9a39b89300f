//! Writing events and places: what the page then shows, and every refusal on its field with the
//! form kept.

use http::StatusCode;

use super::{event_fields, id_of, publish_event};
use echos_tests::TestApp;

#[tokio::test]
async fn an_event_shows_its_dates_place_and_schema_org_and_a_place_its_hours() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Organisatrice").await;
    let url = publish_event(&app, &a, &mut m, "Nuit des étoiles", &[("other_dates", "2030-03-19\n26/03/2030")]).await;
    assert!(url.starts_with("/evenements/"), "{url}");
    let page = app.get(&a.host, &url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("mardi 12 mars 2030, 18 h 30 – 20 h"), "{}", page.body);
    assert!(page.body.contains("mardi 26 mars 2030"), "the series");
    assert!(page.body.contains("La Casemate"));
    assert!(page.body.contains(r#""@type":"Event""#), "schema.org Event");
    assert!(page.body.contains(r#""startDate":"2030-03-12T17:30:00Z""#), "Paris is UTC+1 in March: {}", page.body);
    assert!(page.body.contains("calendrier.ics"), "add to my calendar");

    // Edited: the form comes back with the dates in local time.
    let id = id_of(&url);
    let form = app.get_as(&a.host, &format!("/evenements/{id}/modifier"), &mut m.browser).await;
    assert!(form.body.contains(r#"value="2030-03-12""#) && form.body.contains(r#"value="18:30""#), "{}", form.body);
    assert!(form.body.contains("2030-03-19\n2030-03-26"));

    let r = app
        .post_form(
            &a.host,
            "/lieux",
            &[
                ("title", "Muséum de Grenoble"),
                ("body", "Un muséum d’histoire naturelle."),
                ("status", "published"),
                ("place_kind", "museum"),
                ("address", "1 rue Dolomieu, 38000 Grenoble"),
                ("lat", "45,1863"),
                ("lon", "5,7335"),
                ("opening_hours", "Du mardi au dimanche ; 9 h 30 - 18 h"),
                ("website", "https://museum.grenoble.fr"),
            ],
            &mut m.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let place = app.get(&a.host, r.header("location").unwrap()).await;
    assert!(place.body.contains("Du mardi au dimanche ; 9 h 30 - 18 h"));
    assert!(place.body.contains(r#""@type":"Museum""#));
    assert!(place.body.contains(r#""latitude":45.1863"#), "a comma typed as the decimal separator");
}

#[tokio::test]
async fn bad_dates_places_and_prices_are_refused_on_their_field_with_the_form_kept() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Organisateur Pressé").await;
    let thousand: String =
        (0..1000).map(|i| format!("{}\n", time::macros::date!(2031 - 01 - 01) + time::Duration::days(i))).collect();
    /// The fields changed, the field refused, what its message says.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("end_date", "2030-03-11")], "end_date", "La fin doit venir après le début"),
        (vec![("end_time", "17:00")], "end_date", "La fin doit venir après le début"),
        (vec![("other_dates", "2030-03-12")], "other_dates", "chevauche"),
        (vec![("other_dates", &thousand)], "other_dates", "100 dates au plus"),
        (vec![("lat", "200")], "lat", "de -90 à 90"),
        (vec![("lat", "quarante-cinq"), ("lon", "cinq")], "lat", "deux nombres"),
        (vec![("lat", "45.2"), ("lon", "")], "lat", "deux nombres"),
        (vec![("start_date", "le 12 mars")], "start_date", "Saisissez une date"),
        (vec![("free", ""), ("price", "")], "price", "Indiquez le tarif"),
        (vec![("event_kind", "rave")], "event_kind", "type d’événement"),
        (vec![("online_url", "javascript:alert(1)")], "online_url", "adresse web complète"),
        (vec![("place_name", ""), ("address", ""), ("lat", ""), ("lon", "")], "place_name", "Indiquez où"),
    ];
    for (extra, field, message) in cases {
        let fields = event_fields("Atelier refusé", &extra);
        let r = app.post_form(&a.host, "/evenements", &fields, &mut m.browser).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", r.status);
        assert!(r.body.contains(message), "{field}: no “{message}” in the page");
        assert!(r.body.contains(&format!(r#"id="{field}-error""#)), "{field}: the message is on its field");
        assert!(r.body.contains("Atelier refusé"), "{field}: the title is kept");
    }
    let written: i64 = app.in_region(&a, "SELECT count(*) FROM contributions WHERE kind = $1", "event").await;
    assert_eq!(written, 0, "nothing half-written");
    let dates: i64 = app.in_region(&a, "SELECT count(*) FROM event_occurrences WHERE $1 <> ''", "x").await;
    assert_eq!(dates, 0);
}

#[tokio::test]
async fn a_point_outside_the_territory_is_a_warning_not_a_refusal() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut conn = app.db.platform().acquire().await.unwrap();
    sqlx::query("UPDATE platform.tenants SET map_bbox = ARRAY[5.0, 44.6, 6.4, 45.9] WHERE id = $1")
        .bind(a.tenant.id)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let mut m = app.member(&a, "Voyageuse").await;
    app.state.directory.invalidate_all();
    let url = publish_event(&app, &a, &mut m, "Conférence à Brest", &[("lat", "48.39"), ("lon", "-4.49")]).await;
    let own = app.get_as(&a.host, &url, &mut m.browser).await;
    assert!(own.body.contains("en dehors du territoire"), "its author is warned");
    let visitor = app.get(&a.host, &url).await;
    assert!(!visitor.body.contains("en dehors du territoire"), "visitors are not");
}
