//! The configuration: kinds turned off leave the site, languages and time zone, the map, limits;
//! bad values come back with the form kept.

use http::StatusCode;

use super::post;
use echos_tests::TestApp;

fn settings<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("kinds", "article"),
        ("kinds", "link"),
        ("kinds", "announcement"),
        ("kinds", "dossier"),
        ("locales", "fr"),
        ("locales", "en"),
        ("default_locale", "fr"),
        ("time_zone", "Europe/Paris"),
        ("requires_confirmation", "on"),
        ("new_account_hours", "24"),
        ("new_account_per_hour", "3"),
        ("report_threshold", "4"),
        ("threshold_min", "2"),
        ("threshold_max", "8"),
        ("fresh_reports_weigh_half", "on"),
        ("map_lat", "45.19"),
        ("map_lng", "5.72"),
        ("map_zoom", "9"),
        ("map_bbox", "4.6, 44.6, 6.4, 45.9"),
        ("map_tile_url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        ("map_attribution", "© OpenStreetMap"),
    ]
}

#[tokio::test]
async fn a_kind_turned_off_leaves_the_menu_and_its_pages() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    assert_eq!(app.get(&a.host, "/debats").await.status, StatusCode::OK);
    let r = post(&app, &a, &mut admin, "/admin/reglages", &settings()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = app.get(&a.host, "/").await;
    assert!(!home.body.contains("href=\"/debats\""), "no debates in the menu");
    assert_eq!(app.get(&a.host, "/debats").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get_as(&a.host, "/debats/nouveau", &mut admin.browser).await.status, StatusCode::NOT_FOUND);
    assert!(!home.body.contains("hreflang=\"ca\""), "Catalan is no longer offered");
    let row: (Vec<String>, String, Option<Vec<f64>>) =
        sqlx::query_as("SELECT enabled_kinds, time_zone, map_bbox FROM platform.tenants WHERE id = $1")
            .bind(a.tenant.id)
            .fetch_one(app.db.platform())
            .await
            .unwrap();
    assert_eq!(row.0, ["article", "link", "announcement", "dossier"]);
    assert_eq!(row.2, Some(vec![4.6, 44.6, 6.4, 45.9]));
    let s = app
        .in_region::<serde_json::Value>(
            &a,
            "SELECT value FROM settings WHERE key = $1",
            "registration.requires_confirmation",
        )
        .await;
    assert_eq!(s, serde_json::json!(true));
}

#[tokio::test]
async fn bad_settings_come_back_with_what_was_typed_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    for (name, bad) in [
        ("map_bbox", "6.4, 44.6, 4.6, 45.9"),
        ("map_tile_url", "https://t.example/{z}/{x}/{y}.png');}</style>"),
        ("time_zone", "Mars/Olympus"),
        ("report_threshold", "99"),
        ("map_lat", "200"),
        ("default_locale", "ca"),
    ] {
        let mut fields = settings();
        fields.retain(|(k, _)| *k != name);
        fields.push((name, bad));
        let r = post(&app, &a, &mut admin, "/admin/reglages", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}={bad}");
    }
    let mut fields = settings();
    fields.retain(|(k, _)| *k != "kinds");
    assert_eq!(
        post(&app, &a, &mut admin, "/admin/reglages", &fields).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no kind at all"
    );
    assert_eq!(app.get(&a.host, "/debats").await.status, StatusCode::OK, "nothing was saved");
}
