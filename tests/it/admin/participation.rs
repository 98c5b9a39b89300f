//! Participation figures: counts that match what happened, charts with their numbers, CSVs, and
//! page views counted in memory then written in one go.

use http::StatusCode;

use echos_tests::TestApp;

#[tokio::test]
async fn the_figures_count_what_happened_and_each_chart_has_its_csv() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut author = app.member(&a, "Autrice").await;
    let first = app.publish(&a, &mut author, "articles", &[("title", "Un")]).await;
    app.publish(&a, &mut author, "articles", &[("title", "Deux")]).await;
    app.publish(&a, &mut author, "debats", &[("title", "Trois ?")]).await;
    let id = first.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned();
    app.post_form(&a.host, &format!("/articles/{id}/jaime"), &[], &mut admin.browser).await;

    let page = app.get_as(&a.host, "/admin/participation", &mut admin.browser).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg class=\"chart\""), "charts drawn on the server");
    assert!(page.body.contains("<table"), "with their numbers beside them");

    let month = time::OffsetDateTime::now_utc().date().to_string()[..7].to_owned();
    let csv = app.get_as(&a.host, "/admin/participation/contributions.csv", &mut admin.browser).await;
    assert_eq!(csv.status, StatusCode::OK);
    let header = csv.body.lines().next().unwrap().trim_start_matches('\u{feff}').to_owned();
    assert_eq!(header, "mois,article,link,debate,announcement,dossier");
    let row = csv.body.lines().find(|l| l.starts_with(&month)).expect("this month's row");
    assert_eq!(row, format!("{month},2,0,1,0,0"));
    let members = app.get_as(&a.host, "/admin/participation/membres.csv", &mut admin.browser).await;
    let row = members.body.lines().find(|l| l.starts_with(&month)).unwrap();
    assert_eq!(row, format!("{month},2,0"), "two people joined this month");
    let liked = app.get_as(&a.host, "/admin/participation/plus-aimes.csv", &mut admin.browser).await;
    assert!(liked.body.lines().nth(1).unwrap_or_default().starts_with("Un,"), "{}", liked.body);
    assert_eq!(
        app.get_as(&a.host, "/admin/participation/inconnu.csv", &mut admin.browser).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(&a.host, "/admin/participation?du=2026-13-01", &mut admin.browser).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get_as(&a.host, "/admin/participation?du=2000-01-01&au=2026-01-01", &mut admin.browser).await.status,
        StatusCode::BAD_REQUEST,
        "ten years and more is refused"
    );
}

#[tokio::test]
async fn page_views_are_counted_in_memory_then_written_in_one_go() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut author = app.member(&a, "Autrice").await;
    let path = app.publish(&a, &mut author, "articles", &[("title", "Lu souvent")]).await;
    for _ in 0..3 {
        assert_eq!(app.get(&a.host, &path).await.status, StatusCode::OK);
    }
    app.get(&a.host, "/articles").await;
    app.get(&b.host, "/").await;
    let before: i64 =
        app.in_region(&a, "SELECT coalesce(sum(views), 0)::bigint FROM page_views WHERE $1 = $1", "x").await;
    assert_eq!(before, 0, "nothing written per view");
    app.state.views.flush(&app.db).await.unwrap();
    let views: i64 =
        app.in_region(&a, "SELECT coalesce(sum(views), 0)::bigint FROM page_views WHERE $1 = $1", "x").await;
    assert!(views >= 4, "{views}");
    let read: i64 = app.in_region(&a, "SELECT view_count FROM contributions WHERE title = $1", "Lu souvent").await;
    assert_eq!(read, 3);
    let in_b: i64 =
        app.in_region(&b, "SELECT coalesce(sum(views), 0)::bigint FROM page_views WHERE $1 = $1", "x").await;
    assert_eq!(in_b, 1, "each region counts its own");
}
