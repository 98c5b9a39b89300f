//! Cover images and images in the text: checked by content, stored per region.

use super::*;

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 40) as u8, (y * 40) as u8, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Sends the article form as multipart, with `cover` as the file field.
async fn post_article_with_cover(
    app: &TestApp,
    t: &TestTenant,
    m: &Member,
    fields: &[(&str, &str)],
    filename: &str,
    content_type: &str,
    cover: &[u8],
) -> TestResponse {
    post_multipart(app, t, m, "/articles", fields, ("cover", filename, content_type, cover)).await
}

/// Posts a multipart form with one file: (field, file name, content type, bytes).
async fn post_multipart(
    app: &TestApp,
    t: &TestTenant,
    m: &Member,
    path: &str,
    fields: &[(&str, &str)],
    (field, filename, content_type, cover): (&str, &str, &str, &[u8]),
) -> TestResponse {
    let boundary = "----echoscover1b2c3d4e5f";
    let mut body = Vec::new();
    let csrf = m.browser.csrf.clone();
    for (name, value) in fields.iter().copied().chain([("csrf_token", csrf.as_str())]) {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(cover);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = http::Request::post(path)
        .header("host", &t.host)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .header("cookie", m.browser.cookie_header())
        .body(axum::body::Body::from(body))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn an_article_gets_a_cover_image_sent_with_the_form() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = member(&app, &a, "Photographe").await;
    let fields = [
        ("title", "Nébuleuse"),
        ("body", "Une image vaut mieux"),
        ("status", "published"),
        ("cover_alt", "La nébuleuse de la Tête de Cheval, en rouge et noir"),
    ];
    let r = post_article_with_cover(&app, &a, &m, &fields, "ciel.png", "image/png", &png(3, 2)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&a.host, &location(&r)).await;
    assert!(
        page.body.contains("alt=\"La nébuleuse de la Tête de Cheval, en rouge et noir\""),
        "the cover's description"
    );
    let media = html(&format!("/media/tenants/{}/images/", a.tenant.id));
    assert!(page.body.contains(&format!("<img class=\"article-cover__image\" src=\"{media}")), "{}", page.body);
    assert!(
        page.body.contains(&format!("<meta property=\"og:image\" content=\"{}", html(&format!("http://{}", a.host))))
    );
    let start = page.body.find(&media).unwrap();
    let src = page.body[start..].split('"').next().unwrap().replace("&#x2f;", "/");
    let image = app.get(&a.host, &src).await;
    assert_eq!(image.status, StatusCode::OK);
    assert!(image.header("content-type").is_some_and(|c| c.starts_with("image/")));
    assert!(app.get(&a.host, "/articles").await.body.contains(&format!("src=\"{media}")), "the card shows it");
}

#[tokio::test]
async fn an_image_sent_for_the_text_comes_back_as_markdown_that_shows_it() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = member(&app, &a, "Illustratrice").await;
    let r = post_multipart(&app, &a, &m, "/medias/images", &[], ("image", "carte.png", "image/png", &png(4, 3))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let markdown = json["markdown"].as_str().unwrap().to_owned();
    let prefix = format!("![](/media/tenants/{}/images/", a.tenant.id);
    assert!(markdown.starts_with(&prefix), "{markdown}");
    let url = json["url"].as_str().unwrap();
    assert_eq!(app.get(&a.host, url).await.status, StatusCode::OK, "stored and served");

    let mut m = m;
    let body = format!("Voici la carte :\n\n{markdown}");
    let article = publish(&app, &a, &mut m, "articles", &[("title", "Une carte"), ("body", &body)]).await;
    let page = app.get(&a.host, &article).await;
    assert!(page.body.contains(&format!("<img src=\"{url}\"")), "the text shows the image");

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    let refused = post_multipart(&app, &a, &m, "/medias/images", &[], ("image", "x.svg", "image/svg+xml", svg)).await;
    assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(refused.body.contains("\"error\""));
    let mut forger =
        Member { browser: m.browser.clone(), email: m.email.clone(), handle: m.handle.clone(), name: m.name.clone() };
    forger.browser.csrf = "forged".into();
    let forged =
        post_multipart(&app, &a, &forger, "/medias/images", &[], ("image", "c.png", "image/png", &png(2, 2))).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_svg_cover_is_refused_and_the_form_comes_back() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let m = member(&app, &a, "Vectorielle").await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>"#;
    let fields = [("title", "Avec un SVG"), ("body", "texte"), ("status", "published")];
    let r = post_article_with_cover(&app, &a, &m, &fields, "x.svg", "image/svg+xml", svg).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.body.contains("id=\"cover-error\""));
    assert!(r.body.contains("value=\"Avec un SVG\""), "the form comes back as typed");
    assert!(!app.get(&a.host, "/articles").await.body.contains("Avec un SVG"), "nothing published");
}
