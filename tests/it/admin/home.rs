//! The home page's composition: the sections chosen, in their order; a banner until its date;
//! contributions put "à la une" by editors.

use http::StatusCode;

use super::{audit_actions, post};
use echos_tests::TestApp;

#[tokio::test]
async fn the_home_page_shows_the_sections_chosen_in_their_order_and_a_banner() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let tomorrow = (time::OffsetDateTime::now_utc().date() + time::Duration::days(1)).to_string();
    let fields = [
        ("show_debate", "on"),
        ("position_debate", "1"),
        ("show_article", "on"),
        ("position_article", "2"),
        ("welcome", "Bienvenue aux curieux du Vercors"),
        ("banner_text", "Fête de la science : inscriptions ouvertes"),
        ("banner_url", "https://fete.example/inscriptions"),
        ("banner_ends_on", tomorrow.as_str()),
    ];
    let r = post(&app, &a, &mut admin, "/admin/accueil", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = app.get(&a.host, "/").await.body;
    let debate = home.find("id=\"home-debate\"").unwrap();
    let article = home.find("id=\"home-article\"").unwrap();
    assert!(debate < article, "debates first");
    assert!(!home.contains("id=\"home-link\""), "curated links not chosen");
    assert!(home.contains("Bienvenue aux curieux du Vercors"));
    assert!(home.contains("Fête de la science : inscriptions ouvertes"));
    assert!(audit_actions(&app, &a).await.contains(&"home.compose".to_owned()));

    let yesterday = (time::OffsetDateTime::now_utc().date() - time::Duration::days(1)).to_string();
    let mut past = fields.to_vec();
    past[7] = ("banner_ends_on", yesterday.as_str());
    post(&app, &a, &mut admin, "/admin/accueil", &past).await;
    assert!(!app.get(&a.host, "/").await.body.contains("inscriptions ouvertes"), "a banner past its date is gone");
}

#[tokio::test]
async fn an_editor_puts_a_contribution_on_the_home_page_and_a_member_cannot() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut author = app.member(&a, "Auteure").await;
    let path = app.publish(&a, &mut author, "articles", &[("title", "Les abeilles du plateau")]).await;
    let id = path.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned();
    let feature = format!("/articles/{id}/une");
    assert_eq!(post(&app, &a, &mut author, &feature, &[]).await.status, StatusCode::FORBIDDEN, "a member is no editor");
    let mut editor = app.member(&a, "Éditrice").await;
    let _: String =
        app.in_region(&a, "UPDATE members SET role = 'editor' WHERE handle = $1 RETURNING role", &editor.handle).await;
    let page = app.get_as(&a.host, &path, &mut editor.browser).await;
    assert!(page.body.contains(&feature), "the page offers the button to an editor");
    assert_eq!(post(&app, &a, &mut editor, &feature, &[]).await.status, StatusCode::SEE_OTHER);
    let home = app.get(&a.host, "/").await.body;
    let featured = home.split("id=\"home-featured\"").nth(1).unwrap_or_default();
    assert!(featured.split("</section>").next().unwrap_or_default().contains("Les abeilles du plateau"));
    assert!(audit_actions(&app, &a).await.contains(&"contribution.feature".to_owned()));
}
