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
    assert_eq!(header, "mois,article,link,debate,announcement,dossier,event,place,project");
    let row = csv.body.lines().find(|l| l.starts_with(&month)).expect("this month's row");
    assert_eq!(row, format!("{month},2,0,1,0,0,0,0,0"));
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
    app.state.views.flush(&app.db, usize::MAX).await.unwrap();
    let views: i64 =
        app.in_region(&a, "SELECT coalesce(sum(views), 0)::bigint FROM page_views WHERE $1 = $1", "x").await;
    assert!(views >= 4, "{views}");
    let read: i64 = app.in_region(&a, "SELECT view_count FROM contributions WHERE title = $1", "Lu souvent").await;
    assert_eq!(read, 3);
    let in_b: i64 =
        app.in_region(&b, "SELECT coalesce(sum(views), 0)::bigint FROM page_views WHERE $1 = $1", "x").await;
    assert_eq!(in_b, 1, "each region counts its own");
}

/// Each write takes at most so many regions, those whose counts waited longest; the others keep
/// theirs (nothing lost, nothing counted twice) for the next.
#[tokio::test]
async fn page_views_are_written_for_a_bounded_number_of_regions_the_longest_waiting_first() {
    let app = TestApp::new().await;
    let (a, b, c) = (app.tenant().await, app.tenant().await, app.tenant().await);
    let written = |t| {
        let app = &app;
        async move {
            let n: i64 =
                app.in_region(t, "SELECT coalesce(sum(views), 0)::bigint FROM page_views WHERE $1 = $1", "x").await;
            n
        }
    };
    for t in [&a, &b, &c] {
        assert_eq!(app.get(&t.host, "/").await.status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Read again: a region read again keeps its place in the queue.
    app.get(&a.host, "/").await;

    assert_eq!(app.state.views.flush(&app.db, 2).await.unwrap(), 3, "a's two views and b's one");
    assert_eq!((written(&a).await, written(&b).await, written(&c).await), (2, 1, 0));
    app.get(&a.host, "/").await;
    assert_eq!(app.state.views.flush(&app.db, 1).await.unwrap(), 1, "c waited longest");
    assert_eq!((written(&a).await, written(&b).await, written(&c).await), (2, 1, 1));
    assert_eq!(app.state.views.flush(&app.db, 1).await.unwrap(), 1);
    assert_eq!((written(&a).await, written(&b).await, written(&c).await), (3, 1, 1));
    assert_eq!(app.state.views.flush(&app.db, 1).await.unwrap(), 0, "nothing left");
}

/// A month that has ended is counted once and kept: what changes in it afterwards does not move
/// its figures, while the month under way is counted live; a period that covers a month in part
/// counts those days alone.
#[tokio::test]
async fn an_ended_month_is_counted_once_and_kept_the_month_under_way_live() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let today = region_today(&app, &a).await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut author = app.member(&a, "Autrice").await;
    for title in ["Un", "Deux", "Trois"] {
        app.publish(&a, &mut author, "articles", &[("title", title)]).await;
    }
    // Two of them moved to the 10th of last March, one stays this month.
    let _: i64 = app
        .in_region(
            &a,
            "WITH moved AS (UPDATE contributions SET published_at = $1::date + time '12:00'
                             WHERE title IN ('Un', 'Deux') RETURNING 1) SELECT count(*) FROM moved",
            &last_march(today).replace_day(10).unwrap().to_string(),
        )
        .await;
    let march = last_march(today).to_string()[..7].to_owned();
    let this_month = today.to_string()[..7].to_owned();
    let period = format!("/admin/participation/contributions.csv?du={}-01&au={}", march, today);
    let articles = |csv: &str, month: &str| -> String {
        let row = csv.lines().find(|l| l.starts_with(month)).unwrap_or_else(|| panic!("{month} in {csv}"));
        row.split(',').nth(1).unwrap().to_owned()
    };

    let csv = app.get_as(&a.host, &period, &mut admin.browser).await.body;
    assert_eq!(articles(&csv, &march), "2");
    assert_eq!(articles(&csv, &this_month), "1");
    let kept: i64 = app
        .in_region(&a, "SELECT count(*) FROM participation_months WHERE month = $1::date", &format!("{march}-01"))
        .await;
    assert!(kept > 0, "March is kept");

    // One more backdated into March, one more this month.
    app.publish(&a, &mut author, "articles", &[("title", "Quatre")]).await;
    app.publish(&a, &mut author, "articles", &[("title", "Cinq")]).await;
    let _: i64 = app
        .in_region(
            &a,
            "WITH moved AS (UPDATE contributions SET published_at = $1::date + time '12:00'
                             WHERE title = 'Quatre' RETURNING 1) SELECT count(*) FROM moved",
            &last_march(today).replace_day(20).unwrap().to_string(),
        )
        .await;
    let csv = app.get_as(&a.host, &period, &mut admin.browser).await.body;
    assert_eq!(articles(&csv, &march), "2", "March's figures are fixed");
    assert_eq!(articles(&csv, &this_month), "2", "this month is live");

    // From the 15th of March: those days alone, counted live (the one of the 20th).
    let part = format!("/admin/participation/contributions.csv?du={march}-15&au={today}");
    let csv = app.get_as(&a.host, &part, &mut admin.browser).await.body;
    assert_eq!(articles(&csv, &march), "1");
}

/// A contribution's "J'aime" count follows likes given, taken back, and those of a member who
/// leaves; the most liked are ranked by it.
#[tokio::test]
async fn the_like_count_follows_likes_and_members_who_leave() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = app.member(&a, "Autrice").await;
    let mut fan = app.member(&a, "Fan").await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let url = app.publish(&a, &mut author, "articles", &[("title", "Aimé")]).await;
    let id = url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned();
    let like = format!("/articles/{id}/jaime");
    app.post_form(&a.host, &like, &[], &mut fan.browser).await;
    app.post_form(&a.host, &like, &[], &mut admin.browser).await;
    let count = || app.in_region::<i64>(&a, "SELECT like_count FROM contributions WHERE id = $1::bigint", &id);
    assert_eq!(count().await, 2);
    app.post_form(&a.host, &like, &[], &mut admin.browser).await;
    assert_eq!(count().await, 1, "taken back");
    let _: i64 = app
        .in_region(
            &a,
            "WITH gone AS (DELETE FROM members WHERE display_name = $1 RETURNING 1) SELECT count(*) FROM gone",
            "Fan",
        )
        .await;
    assert_eq!(count().await, 0, "the likes of a member who left");
    let page = app.get_as(&a.host, &url, &mut admin.browser).await;
    assert!(page.status.is_success());
}

/// Today in the region's time zone, as its figures count days (near midnight UTC, not UTC's).
async fn region_today(app: &TestApp, t: &echos_tests::TestTenant) -> time::Date {
    let day: String = app.in_region(t, "SELECT to_char(now() AT TIME ZONE $1, 'YYYY-MM-DD')", "Europe/Paris").await;
    let [y, m, d] = [0, 1, 2].map(|i| day.split('-').nth(i).and_then(|p| p.parse::<i32>().ok()).unwrap());
    time::Date::from_calendar_date(y, time::Month::try_from(m as u8).unwrap(), d as u8).unwrap()
}

/// The last March that has ended (this year's from April on, else last year's).
fn last_march(t: time::Date) -> time::Date {
    let year = if t.month() as u8 > 3 { t.year() } else { t.year() - 1 };
    time::Date::from_calendar_date(year, time::Month::March, 1).unwrap()
}
