use echos_tests::{Browser, TestApp};
use http::StatusCode;

use super::{sign_up, unique_email};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A real PNG whose header claims 100 000 × 100 000 pixels (a "pixel bomb").
fn pixel_bomb() -> Vec<u8> {
    let mut bytes = png(1, 1);
    // IHDR data starts after the 8-byte signature, 4-byte length and 4-byte type.
    bytes[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

async fn upload(
    app: &TestApp,
    host: &str,
    b: &mut Browser,
    filename: &str,
    content_type: &str,
    data: &[u8],
) -> echos_tests::TestResponse {
    let boundary = "----echosboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n", b.csrf).as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = http::Request::post("/mon-espace/avatar")
        .header("host", host)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("cookie", b.cookie_header())
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn an_avatar_is_checked_reencoded_stored_under_the_region_and_served_only_there() {
    let app = TestApp::new().await;
    let (a, other) = (app.tenant().await, app.tenant().await);
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Louis Pasteur", &unique_email(), &mut b).await;
    // The name the browser gives is ignored: the server chooses the key.
    let r = upload(&app, &a.host, &mut b, "../../etc/passwd.png", "image/png", &png(1200, 800)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // minijinja writes `/` as `&#x2f;` in attributes; browsers read it back as `/`.
    let profile = app.get(&a.host, "/membres/louis-pasteur").await.body.replace("&#x2f;", "/");
    let prefix = format!("/media/tenants/{}/avatars/", a.tenant.id);
    let start = profile.find(&prefix).expect("the profile shows the avatar");
    let url: String = profile[start..].chars().take_while(|c| *c != '"').collect();
    let image = app.get(&a.host, &url).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("x-content-type-options"), Some("nosniff"));
    assert!(matches!(image.header("content-type"), Some("image/jpeg" | "image/png")));
    assert_eq!(app.get(&other.host, &url).await.status, StatusCode::NOT_FOUND, "never through another region");
}

#[tokio::test]
async fn svg_html_pixel_bombs_and_forged_forms_are_refused_with_the_form_again() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = Browser::new();
    sign_up(&app, &a.host, "Ada Yonath", &unique_email(), &mut b).await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let html = b"<!doctype html><html><body><script>alert(1)</script></body></html>";
    for (name, ct, data, status) in [
        ("a.svg", "image/svg+xml", svg.as_slice(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("a.png", "image/png", html.as_slice(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("bomb.png", "image/png", pixel_bomb().as_slice(), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = upload(&app, &a.host, &mut b, name, ct, data).await;
        assert_eq!(r.status, status, "{name}");
        assert!(r.body.contains("id=\"avatar-error\""), "{name}: the form comes back with the message");
        assert!(r.body.contains("Ada Yonath"), "{name}: with the profile as it was");
    }
    let mut forged = Browser::new();
    forged.cookies = b.cookies.clone();
    forged.csrf = "forged".into();
    assert_eq!(
        upload(&app, &a.host, &mut forged, "a.png", "image/png", &png(10, 10)).await.status,
        StatusCode::FORBIDDEN
    );
    let profile = app.get(&a.host, "/membres/ada-yonath").await.body.replace("&#x2f;", "/");
    assert!(!profile.contains("/media/"), "nothing was stored");
}

/// Images are decoded as many at once as there are cores: one that waits too long for its turn
/// is answered 503 with `Retry-After`, and a member sending image after image is slowed down.
#[tokio::test]
async fn decoding_waits_its_turn_and_uploads_are_rate_limited() {
    let mut cfg = echos_tests::config();
    cfg.accounts.hash_queue_secs = 0;
    cfg.accounts.rate_limit_scale = 0.05; // two uploads an hour per account
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Photographe Pressée").await;
    let image = png(40, 30);

    let all = app.state.decoding.available_permits();
    let held = app.state.decoding.clone().acquire_many_owned(u32::try_from(all).unwrap()).await.unwrap();
    let r = upload(&app, &a.host, &mut m.browser, "a.png", "image/png", &image).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "no turn to decode");
    assert!(r.header("retry-after").is_some());
    drop(held);

    let r = upload(&app, &a.host, &mut m.browser, "b.png", "image/png", &image).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = upload(&app, &a.host, &mut m.browser, "c.png", "image/png", &image).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the allowance is spent");
    assert!(r.header("retry-after").is_some());
}

/// A change of address mails an address the member typed: a few tries an hour.
#[tokio::test]
async fn changes_of_address_are_rate_limited() {
    let mut cfg = echos_tests::config();
    cfg.accounts.rate_limit_scale = 0.2; // one an hour per account
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let mut m = app.member(&a, "Adresse Changeante").await;
    let fields = |to: &str| [("new_email", to.to_owned()), ("email_password", echos_tests::PASSWORD.to_owned())];
    let first = fields(&unique_email());
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&a.host, "/mon-espace/email", &first, &mut m.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let second = fields(&unique_email());
    let second: Vec<(&str, &str)> = second.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&a.host, "/mon-espace/email", &second, &mut m.browser).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}
