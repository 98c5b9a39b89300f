//! Curated links and their previews: fetched from a real local server, refused for private addresses.

use super::*;

#[tokio::test]
async fn a_curated_link_shows_its_preview_once_the_job_has_fetched_it() {
    let site = Server::start("127.0.0.2:0", |_| {
        html_response(&og_page("Les anneaux de Saturne", "Une vue inédite prise par la sonde."))
    })
    .await
    .expect("127.0.0.2 is on the loopback interface");
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Veilleuse").await;
    let url = site.url("/saturne");
    let page = publish(
        &app,
        &a,
        &mut m,
        "veille",
        &[("title", "Une belle ressource"), ("url", &url), ("body", "À lire **absolument**.")],
    )
    .await;
    assert!(page.starts_with("/veille/") && page.ends_with("-une-belle-ressource"), "{page}");

    let before = app.get(&a.host, &page).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains(PREVIEW_PENDING), "the preview is announced as pending");
    assert!(!before.body.contains("Les anneaux de Saturne"));
    assert!(before.body.contains(&format!("href=\"{}\"", html(&url))), "the link itself is there at once");
    assert_eq!(site.hits(), 0, "nothing is fetched while the member waits");

    app.run_jobs(&[&a]).await;
    assert_eq!(site.hits(), 1);
    let after = app.get(&a.host, &page).await;
    assert!(!after.body.contains(PREVIEW_PENDING));
    assert!(after.body.contains("Les anneaux de Saturne"));
    assert!(after.body.contains("Une vue inédite prise par la sonde."));
    assert!(after.body.contains("Observatoire local"), "the site's name");
    assert!(after.body.contains("<strong>absolument</strong>"), "the member's own words");
    let list = app.get(&a.host, "/veille").await;
    assert!(list.body.contains("Une belle ressource") && list.body.contains("Une vue inédite prise par la sonde."));
    let found = app.get(&a.host, "/recherche?q=sonde+saturne").await;
    assert!(found.body.contains(&html(&page)), "the fetched page's words find the link");
}

#[tokio::test]
async fn links_to_private_addresses_are_published_bare_and_never_fetched() {
    let guarded =
        Server::start("127.0.0.1:0", |_| html_response(&og_page("Secret interne", "Ne pas lire"))).await.unwrap();
    let port = guarded.addr.port();
    // The same port on IPv6 loopback, where this machine has one.
    let guarded_v6 = Server::start(&format!("[::1]:{port}"), |_| html_response(&og_page("Secret v6", "x"))).await.ok();
    let target = format!("http://127.0.0.1:{port}/");
    let exempt = Server::start("127.0.0.2:0", move |_| redirect_response(&target)).await.unwrap();
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Curieuse").await;

    let urls = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://localhost:{port}/"),
        exempt.url("/vers-interne"),
    ];
    let mut pages = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let title = format!("Lien numéro {i}");
        pages.push((url, publish(&app, &a, &mut m, "veille", &[("title", &title), ("url", url)]).await));
    }
    app.run_jobs(&[&a]).await;

    assert_eq!(guarded.hits(), 0, "no connection ever reached 127.0.0.1");
    if let Some(v6) = &guarded_v6 {
        assert_eq!(v6.hits(), 0, "no connection ever reached ::1");
    }
    assert_eq!(exempt.hits(), 1, "the exempted server was asked, its redirect was not followed");
    for (url, page) in &pages {
        let r = app.get(&a.host, page).await;
        assert_eq!(r.status, StatusCode::OK, "{url} is published");
        assert!(r.body.contains(NO_PREVIEW), "{url} has no preview");
        assert!(!r.body.contains(PREVIEW_PENDING), "{url}: the job ran");
        assert!(!r.body.contains("Secret"), "{url}");
        assert!(r.body.contains(&format!("href=\"{}\"", html(url))), "{url} is still linked");
    }
}

#[tokio::test]
async fn file_and_javascript_urls_bring_the_form_back() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Astucieux").await;
    for url in ["file:///etc/passwd", "javascript:alert(1)", "JavaScript://%0aalert(1)", "ftp://example.org/x"] {
        let r = post(&app, &a, &mut m, "veille", &[("title", "Mon lien"), ("url", url), ("body", "À voir")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.body.contains("id=\"url-error\""), "{url}: the field is marked");
        assert!(r.body.contains(&format!("value=\"{}\"", html(url))), "{url}: what was typed comes back");
        assert!(r.body.contains("value=\"Mon lien\""), "the title too");
    }
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM contributions").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 0, "nothing written");
}

#[tokio::test]
async fn a_preview_title_with_markup_is_printed_as_text() {
    let site = Server::start("127.0.0.2:0", |_| {
        html_response(&og_page(
            "&lt;script&gt;alert(4)&lt;/script&gt;Titre piégé",
            "&lt;img src=x onerror=alert(5)&gt; description",
        ))
    })
    .await
    .unwrap();
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Naïf").await;
    let page = publish(&app, &a, &mut m, "veille", &[("title", "Un lien"), ("url", &site.url("/"))]).await;
    app.run_jobs(&[&a]).await;
    let r = app.get(&a.host, &page).await;
    assert!(r.body.contains(&html("<script>alert(4)</script>Titre piégé")), "printed, escaped");
    for body in [r.body, app.get(&a.host, "/veille").await.body] {
        let lower = body.to_lowercase();
        assert!(!lower.contains("<script>alert"));
        assert!(!lower.contains("<img src=x onerror"));
    }
}

#[tokio::test]
async fn a_previews_image_is_copied_to_the_platform_and_served_from_there() {
    let site = Server::start("127.0.0.2:0", |path| match path {
        "/vignette.png" => png_response(40, 30),
        _ => html_response(
            &og_page("Carte des glaciers", "Les glaciers fondent.")
                .replace("</head>", "<meta property=\"og:image\" content=\"/vignette.png\"></head>"),
        )
        .into_bytes(),
    })
    .await
    .expect("127.0.0.2 is on the loopback interface");
    let app = TestApp::with_config(local_previews()).await;
    let a = app.tenant().await;
    let mut m = member(&app, &a, "Veilleuse").await;
    let page = publish(&app, &a, &mut m, "veille", &[("title", "Glaciers"), ("url", &site.url("/glaciers"))]).await;
    app.run_jobs(&[&a]).await;
    assert_eq!(site.hits(), 2, "the page, then its image: once each");
    let after = app.get(&a.host, &page).await;
    let body = after.body.replace("&#x2f;", "/");
    let src =
        body.split("class=\"link-card__image\" src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
    assert!(src.starts_with(&format!("/media/tenants/{}/images/", a.tenant.id)), "a copy of ours: {src}");
    assert!(!body.contains("src=\"http://127.0.0.2"), "readers' browsers never load anything from the linked site");
    let img = app.get(&a.host, src).await;
    assert!(img.header("content-type").unwrap_or_default().starts_with("image/"));
}
