//! The optional geocoder: an address typed without a point is placed by the region's
//! Nominatim-compatible service (a real local HTTP server here), under the link previews'
//! outbound rules; an address it cannot find brings the form back, everything kept, asking for a
//! pin; without a geocoder an address alone is fine.

use http::StatusCode;

use super::{event_fields, id_of};
use crate::contributions::{Server, local_previews};
use echos_tests::{TestApp, TestTenant};

fn json_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn use_geocoder(app: &TestApp, t: &TestTenant, url: &str) {
    let mut conn = app.db.platform().acquire().await.unwrap();
    sqlx::query("UPDATE platform.tenants SET geocoder_url = $2 WHERE id = $1")
        .bind(t.tenant.id)
        .bind(url)
        .execute(&mut *conn)
        .await
        .unwrap();
    app.state.directory.invalidate_all();
}

#[tokio::test]
async fn an_address_is_placed_by_the_geocoder_or_the_form_asks_for_a_pin() {
    let geocoder = Server::start("127.0.0.2:0", |path: &str| {
        if path.contains("Saint-Laurent") {
            json_response(r#"[{"lat": "45.1960", "lon": "5.7310", "display_name": "La Casemate"}]"#)
        } else {
            json_response("[]")
        }
    })
    .await
    .expect("127.0.0.2 is on the loopback interface");
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Organisatrice").await;
    let no_point = [("lat", ""), ("lon", "")];

    // Without a geocoder, an address alone is published without a point.
    let r = app.post_form(&a.host, "/evenements", &event_fields("Sans géocodeur", &no_point), &mut m.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    use_geocoder(&app, &a, &geocoder.url("/search")).await;
    let r =
        app.post_form(&a.host, "/evenements", &event_fields("Placé par le géocodeur", &no_point), &mut m.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_of(r.header("location").unwrap());
    let lat: f64 = app.in_region(&a, "SELECT lat FROM contributions WHERE id = $1::bigint", &id).await;
    assert!((lat - 45.196).abs() < 1e-9, "{lat}");
    assert!(geocoder.hits() >= 1);

    let lost = event_fields("Introuvable", &[("lat", ""), ("lon", ""), ("address", "Nulle part, 99999 Ailleurs")]);
    let r = app.post_form(&a.host, "/evenements", &lost, &mut m.browser).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("pas été trouvée") && r.body.contains(r#"id="address-error""#), "asks for a pin");
    assert!(r.body.contains("Nulle part, 99999 Ailleurs") && r.body.contains("Introuvable"), "everything kept");
    let written: i64 = app.in_region(&a, "SELECT count(*) FROM contributions WHERE title = $1", "Introuvable").await;
    assert_eq!(written, 0);

    // A point given by hand is never sent to the geocoder.
    let before = geocoder.hits();
    app.post_form(&a.host, "/evenements", &event_fields("Placé à la main", &[]), &mut m.browser).await;
    assert_eq!(geocoder.hits(), before);

    // A geocoder on a private address outside the allowed ones is never reached.
    let private = Server::start("127.0.0.1:0", |_: &str| json_response(r#"[{"lat": "1", "lon": "1"}]"#)).await.unwrap();
    use_geocoder(&app, &a, &private.url("/search")).await;
    let r = app.post_form(&a.host, "/evenements", &event_fields("Géocodeur privé", &no_point), &mut m.browser).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(private.hits(), 0, "no connection to 127.0.0.1");

    // The console keeps a geocoder's address as a validated value.
    let mut admin = app.admin(&a, "Admin").await;
    let settings = app.get_as(&a.host, "/admin/reglages", &mut admin.browser).await;
    assert!(settings.body.contains("Géocodeur"));
}
