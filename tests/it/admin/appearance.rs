//! The look: saved values show on the public site at once; colours are values, never CSS; images
//! are checked by their content; "Preview" saves nothing; two admins saving at once each save a
//! whole look.

use http::StatusCode;

use super::{audit_actions, location, post};
use echos_tests::TestApp;

fn look<'a>(name: &'a str, primary: &'a str, accent: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("tagline", "La science près de chez vous"),
        ("color_primary", primary),
        ("color_accent", accent),
        ("footer_label", "Le musée"),
        ("footer_url", "https://musee.example/visiter"),
    ]
}

#[tokio::test]
async fn a_saved_look_shows_on_the_public_site_at_once() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let r = post(&app, &a, &mut admin, "/admin/apparence", &look("Sciences en Vercors", "#7a1f5c", "#0b6e4f")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(location(&r), "/admin/apparence?ok=1");
    let home = app.get(&a.host, "/").await;
    let home_body = home.body.replace("&#x2f;", "/");
    assert!(home.body.contains("Sciences en Vercors"));
    assert!(home.body.contains("--color-primary:#7a1f5c"), "the colour reaches the page's style");
    assert!(home_body.contains("href=\"https://musee.example/visiter\""), "the footer link");
    assert!(audit_actions(&app, &a).await.contains(&"branding.look".to_owned()));
}

#[tokio::test]
async fn a_colour_carrying_css_or_markup_is_refused_with_the_form_kept() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    for evil in ["red;}</style><script>alert(1)</script>", "#12345", "rgb(0,0,0)", "#1b5e7a;background:url(x)"] {
        let r = post(&app, &a, &mut admin, "/admin/apparence", &look("Nom gardé", evil, "#0b6e4f")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{evil}");
        assert!(r.body.contains("Nom gardé"), "the form keeps what was typed");
        assert!(!r.body.contains("<script>alert(1)"), "never printed raw");
    }
    let home = app.get(&a.host, "/").await;
    assert!(!home.body.contains("Nom gardé"), "nothing was saved");
    assert!(!home.body.contains("</style><script>"));
}

#[tokio::test]
async fn a_footer_link_to_javascript_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut fields = look("Liens", "#23507f", "#e0662a");
    fields[5] = ("footer_url", "javascript:alert(1)");
    let r = post(&app, &a, &mut admin, "/admin/apparence", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.get(&a.host, "/").await.body.contains("javascript:alert"));
}

#[tokio::test]
async fn the_preview_shows_the_look_and_saves_nothing() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut fields = look("Essai de nom", "#7a1f5c", "#0b6e4f");
    fields.push(("apercu", "1"));
    let r = post(&app, &a, &mut admin, "/admin/apparence", &fields).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("#7a1f5c"), "the preview uses the colour typed");
    assert!(!app.get(&a.host, "/").await.body.contains("Essai de nom"));
}

#[tokio::test]
async fn a_pale_colour_gets_a_warning_with_its_ratio_and_a_darker_shade() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut fields = look("Gris", "#777777", "#0b6e4f");
    fields.push(("apercu", "1"));
    let r = post(&app, &a, &mut admin, "/admin/apparence", &fields).await;
    // White reads at 4.48:1 on #777777 (near-black at 4.2): just under AA; #717171 passes.
    assert!(r.body.contains("4,48:1"), "the measured ratio, written the French way");
    assert!(r.body.contains("#717171"), "a darker shade that passes");
}

#[tokio::test]
async fn two_admins_saving_at_once_leave_one_whole_look() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut one = app.admin(&a, "Première Admin").await;
    let mut two = app.admin(&a, "Seconde Admin").await;
    let f1 = look("Look Un", "#111111", "#222222");
    let f2 = look("Look Deux", "#333333", "#444444");
    let (r1, r2) = tokio::join!(
        app.post_form(&a.host, "/admin/apparence", &f1, &mut one.browser),
        app.post_form(&a.host, "/admin/apparence", &f2, &mut two.browser)
    );
    assert_eq!((r1.status, r2.status), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    let row: (String, String, String) =
        sqlx::query_as("SELECT name, color_primary, color_accent FROM platform.tenants WHERE id = $1")
            .bind(a.tenant.id)
            .fetch_one(app.db.platform())
            .await
            .unwrap();
    let whole = row == ("Look Un".into(), "#111111".into(), "#222222".into())
        || row == ("Look Deux".into(), "#333333".into(), "#444444".into());
    assert!(whole, "nothing half-saved: {row:?}");
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(32, 32, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(
    app: &TestApp,
    t: &echos_tests::TestTenant,
    m: &echos_tests::Member,
    which: &str,
    name: &str,
    ct: &str,
    bytes: &[u8],
) -> echos_tests::TestResponse {
    let boundary = "----echosbrand";
    let mut body = Vec::new();
    for (k, v) in [("csrf_token", m.browser.csrf.as_str()), ("which", which)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = http::Request::post("/admin/apparence/images")
        .header("host", &t.host)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("cookie", m.browser.cookie_header())
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn a_logo_is_stored_for_the_region_and_svg_or_html_is_refused() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let admin = app.admin(&a, "Alice Admin").await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    assert_eq!(
        upload(&app, &a, &admin, "logo", "logo.svg", "image/svg+xml", svg).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let html = b"<html><script>alert(1)</script></html>";
    assert_eq!(
        upload(&app, &a, &admin, "logo", "logo.png", "image/png", html).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let r = upload(&app, &a, &admin, "logo", "logo.png", "image/png", &png()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = app.get(&a.host, "/").await.body.replace("&#x2f;", "/");
    let src =
        home.split("class=\"brand__logo\"><img src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
    assert!(src.starts_with(&format!("/media/tenants/{}/brand/", a.tenant.id)), "{src}");
    let img = app.get(&a.host, src).await;
    assert_eq!(img.status, StatusCode::OK);
    assert!(img.header("content-type").unwrap_or_default().starts_with("image/"));
    let fav = upload(&app, &a, &admin, "favicon", "f.png", "image/png", &png()).await;
    assert_eq!(fav.status, StatusCode::SEE_OTHER);
    assert!(app.get(&a.host, "/").await.body.contains("rel=\"apple-touch-icon\""));
}
