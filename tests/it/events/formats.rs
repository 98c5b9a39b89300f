//! Open formats: iCalendar read back by Python's `icalendar` (local times right across a
//! daylight-saving change, no injected property or event), GeoJSON checked against RFC 7946,
//! and the map's refusals; another region's events never in them.

use http::StatusCode;

use super::{id_of, publish_event, python};
use echos_tests::TestApp;

/// Every VEVENT: uid | summary | location | start in Paris | end in Paris | description.
const READ_ICS: &str = r#"
import sys, icalendar, zoneinfo
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
paris = zoneinfo.ZoneInfo('Europe/Paris')
for e in cal.walk('VEVENT'):
    s, f = e.decoded('DTSTART'), e.decoded('DTEND')
    if hasattr(s, 'astimezone'):
        s, f = s.astimezone(paris).strftime('%Y-%m-%d %H:%M'), f.astimezone(paris).strftime('%Y-%m-%d %H:%M')
    print('|'.join([str(e['UID']), str(e['SUMMARY']), str(e.get('LOCATION', '')), str(s), str(f), str(e.get('DESCRIPTION', '')).replace('\n', '\\n')]))
print('events', len(cal.walk('VEVENT')))
"#;

#[tokio::test]
async fn icalendar_parses_with_local_times_across_a_clock_change_and_nothing_injected() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut m = app.member(&a, "Organisatrice").await;
    // Clocks go forward in Paris on 31 March 2030 at 2:00: 20:00 on the 30th to 10:00 on the 31st.
    let nasty = "Nuit; blanche, \\ au musée\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:piège";
    let url = publish_event(
        &app,
        &a,
        &mut m,
        "Nuit blanche; au musée, avec \\ barres",
        &[
            ("start_date", "2030-03-30"),
            ("start_time", "20:00"),
            ("end_date", "2030-03-31"),
            ("end_time", "10:00"),
            ("place_name", nasty),
            ("summary", "Ligne une\nLigne deux ; et trois, quatre"),
        ],
    )
    .await;
    let id = id_of(&url);
    publish_event(
        &app,
        &a,
        &mut m,
        "Journée portes ouvertes",
        &[("start_date", "2030-04-05"), ("start_time", ""), ("end_time", ""), ("end_date", "2030-04-06")],
    )
    .await;
    let mut other = app.member(&b, "Ailleurs").await;
    publish_event(&app, &b, &mut other, "Chez les voisins", &[]).await;

    let one = app.get(&a.host, &format!("/evenements/{id}/calendrier.ics")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.header("content-type").unwrap().starts_with("text/calendar"));
    assert!(one.body.lines().all(|l| l.len() <= 76), "folded at 75 octets");
    let read = python(READ_ICS, &one.body, "ics");
    assert!(read.contains("events 1"), "{read}");
    assert!(read.contains("|Nuit blanche; au musée, avec \\ barres|"), "the title as typed: {read}");
    assert!(read.contains("2030-03-30 20:00|2030-03-31 10:00"), "local times across the change: {read}");
    assert!(
        read.contains("au musée END:VEVENT BEGIN:VEVENT SUMMARY:piège"),
        "the place's text stays text, on one line: {read}"
    );
    assert!(read.contains("|Ligne une Ligne deux ; et trois, quatre"), "semicolons and commas kept: {read}");

    let region = app.get(&a.host, "/agenda.ics").await;
    let read = python(READ_ICS, &region.body, "ics");
    assert!(read.contains("events 2"), "two events, no injected one: {read}");
    assert!(read.contains("|Journée portes ouvertes|"), "{read}");
    assert!(read.contains("Grenoble|2030-04-05|2030-04-07|"), "whole days as dates (end exclusive): {read}");
    assert!(!read.contains("Chez les voisins"));
    let uids: Vec<&str> = read.lines().filter_map(|l| l.split('|').next()).filter(|u| u.contains('@')).collect();
    assert!(uids.iter().all(|u| u.ends_with(&a.tenant.id.to_string())), "UIDs of this region");
    let again = python(READ_ICS, &app.get(&a.host, "/agenda.ics").await.body, "ics");
    assert_eq!(read, again, "stable UIDs and content");

    // Each region numbers its own: the same number there is its own event, or nothing.
    let there = app.get(&b.host, &format!("/evenements/{id}/calendrier.ics")).await;
    assert!(!there.body.contains("Nuit blanche"));
    assert_eq!(app.get(&b.host, "/evenements/999/calendrier.ics").await.status, StatusCode::NOT_FOUND);
    assert!(!app.get(&b.host, "/agenda.ics").await.body.contains("Nuit blanche"));
}

/// Checks RFC 7946's rules for what we send: a FeatureCollection of Point features with
/// `[longitude, latitude]` in range; prints each feature's id and title.
const READ_GEOJSON: &str = r#"
import sys, json
d = json.load(open(sys.argv[1]))
assert d['type'] == 'FeatureCollection', d.get('type')
assert isinstance(d['features'], list)
for f in d['features']:
    assert f['type'] == 'Feature'
    g = f['geometry']
    assert g['type'] == 'Point' and len(g['coordinates']) == 2
    lon, lat = g['coordinates']
    assert -180 <= lon <= 180 and -90 <= lat <= 90, g
    assert isinstance(f['properties'], dict)
    print(f['id'], f['properties']['title'], f['properties']['layer'], lon, lat)
print('features', len(d['features']))
"#;

#[tokio::test]
async fn the_geojson_follows_the_rules_filters_by_box_period_and_layer_and_refuses_bad_questions() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut m = app.member(&a, "Cartographe").await;
    publish_event(&app, &a, &mut m, "Atelier à Grenoble", &[]).await;
    publish_event(
        &app,
        &a,
        &mut m,
        "Atelier à Lyon",
        &[("lat", "45.76"), ("lon", "4.83"), ("start_date", "2030-09-01")],
    )
    .await;
    publish_event(
        &app,
        &a,
        &mut m,
        "Webinaire sans lieu",
        &[
            ("place_name", ""),
            ("address", ""),
            ("lat", ""),
            ("lon", ""),
            ("online_url", "https://visio.example.org/salle"),
        ],
    )
    .await;
    app.publish(
        &a,
        &mut m,
        "lieux",
        &[
            ("title", "Jardin alpin"),
            ("place_kind", "garden"),
            ("address", "Col du Lautaret"),
            ("lat", "45.035"),
            ("lon", "6.40"),
        ],
    )
    .await;
    let mut other = app.member(&b, "Voisin").await;
    publish_event(&app, &b, &mut other, "Atelier voisin", &[]).await;

    let all = app.get(&a.host, "/carte.geojson").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.header("content-type"), Some("application/geo+json"));
    let read = python(READ_GEOJSON, &all.body, "json");
    assert!(read.contains("features 3"), "two events with a point and a place: {read}");
    assert!(read.contains("Atelier à Grenoble event 5.731 45.196"), "[longitude, latitude]: {read}");
    assert!(!read.contains("voisin") && !read.contains("Webinaire"));

    let grenoble = python(READ_GEOJSON, &app.get(&a.host, "/carte.geojson?bbox=5.5,45.0,6.0,45.3").await.body, "json");
    assert!(grenoble.contains("features 1") && grenoble.contains("Grenoble"), "{grenoble}");
    let world = python(READ_GEOJSON, &app.get(&a.host, "/carte.geojson?bbox=-180,-90,180,90").await.body, "json");
    assert!(world.contains("features 3"), "the world is a fine box");
    let places = python(READ_GEOJSON, &app.get(&a.host, "/carte.geojson?couches=lieux").await.body, "json");
    assert!(places.contains("features 1") && places.contains("Jardin alpin"));
    let march = python(
        READ_GEOJSON,
        &app.get(&a.host, "/carte.geojson?couches=evenements&du=2030-03-01&au=2030-03-31").await.body,
        "json",
    );
    assert!(march.contains("features 1") && march.contains("Grenoble"), "{march}");

    for bad in [
        "/carte.geojson?bbox=6,45,5,46",
        "/carte.geojson?bbox=a,b,c,d",
        "/carte.geojson?bbox=1,2,3",
        "/carte.geojson?bbox=-200,0,0,10",
        "/carte.geojson?du=2030-01-01&au=2040-01-01",
        "/carte.geojson?couches=bars",
    ] {
        let r = app.get(&a.host, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("error"), "{bad}");
    }

    let page = app.get(&a.host, "/carte").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<link rel="alternate" type="application/geo+json""#));
    assert!(page.body.contains("Atelier à Grenoble"), "the list without JavaScript");
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("img-src 'self' data: https://tile.openstreetmap.org"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!app.get(&b.host, "/carte").await.body.contains("Atelier à Grenoble"));
}

#[tokio::test]
async fn a_structure_with_an_address_is_on_the_map_and_a_person_is_not() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut museum = app.member(&a, "Musée des Sciences").await;
    let mut person = app.member(&a, "Paul Personne").await;
    let r = app
        .post_form(
            &a.host,
            "/mon-espace/profil",
            &[
                ("display_name", "Musée des Sciences"),
                ("kind", "structure"),
                ("address", "1 rue du Musée, Grenoble"),
                ("lat", "45.19"),
                ("lon", "5.72"),
            ],
            &mut museum.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let bad = app
        .post_form(
            &a.host,
            "/mon-espace/profil",
            &[("display_name", "Musée des Sciences"), ("kind", "structure"), ("lat", "95"), ("lon", "5")],
            &mut museum.browser,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "latitude 95");
    let r = app
        .post_form(
            &a.host,
            "/mon-espace/profil",
            &[
                ("display_name", "Paul Personne"),
                ("kind", "person"),
                ("audience", "curious"),
                ("address", "Chez moi"),
                ("lat", "45.1"),
                ("lon", "5.7"),
            ],
            &mut person.browser,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let read = python(READ_GEOJSON, &app.get(&a.host, "/carte.geojson?couches=structures").await.body, "json");
    assert!(read.contains("features 1") && read.contains("Musée des Sciences structure 5.72 45.19"), "{read}");
    assert!(!read.contains("Paul Personne"), "a person's home is never on the map");
}
