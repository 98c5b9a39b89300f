//! `/recherche`: full-text search over a region's published contributions.

use echos_core::TenantTx;
use echos_core::provision::{self, Branding};
use echos_core::search::{self, Query};
use echos_domain::{HostName, Locale};
use echos_tests::{Browser, TestApp, TestResponse, TestTenant};
use http::StatusCode;

use crate::accounts::{sign_up, unique_email};

async fn writer(app: &TestApp, t: &TestTenant, name: &str) -> Browser {
    let mut b = Browser::new();
    sign_up(app, &t.host, name, &unique_email(), &mut b).await;
    b
}

/// Publishes (or saves as a draft) under `/<segment>`; returns the contribution's address.
async fn post(app: &TestApp, t: &TestTenant, b: &mut Browser, segment: &str, fields: &[(&str, &str)]) -> String {
    let r = app.post_form(&t.host, &format!("/{segment}"), fields, b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.header("location").unwrap_or_default().to_owned()
}

async fn article(app: &TestApp, t: &TestTenant, b: &mut Browser, title: &str, body: &str, tags: &str) -> String {
    post(app, t, b, "articles", &[("title", title), ("body", body), ("tags", tags), ("status", "published")]).await
}

fn id_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().split('-').next().unwrap().to_owned()
}

/// The search page for this query string (already URL-encoded where needed).
async fn search(app: &TestApp, t: &TestTenant, query: &str) -> TestResponse {
    app.get(&t.host, &format!("/recherche?{query}")).await
}

/// An address as the templates print it (minijinja escapes `/` too).
fn href(url: &str) -> String {
    format!("href=\"{}\"", url.replace('&', "&amp;").replace('/', "&#x2f;"))
}

/// Whether the results link to this contribution (the query itself is echoed in the form, so
/// the words alone prove nothing).
fn lists(page: &TestResponse, url: &str) -> bool {
    page.body.contains(&href(url))
}

#[tokio::test]
async fn an_accented_word_typed_without_accents_finds_the_article() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Camille").await;
    let url = article(
        &app,
        &a,
        &mut b,
        "Énergies renouvelables en Isère",
        "Un dossier sur l’écologie des rivières et les barrages.",
        "",
    )
    .await;
    for q in ["ecologie", "Ecologie", "energie", "ENERGIES", "riviere", "écologie"] {
        let page = search(&app, &a, &format!("q={q}")).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert!(lists(&page, &url), "{q} finds it");
        assert!(page.body.contains("1 résultat"), "{q}: the count");
    }
    let page = search(&app, &a, "q=ecologie").await;
    assert!(page.body.contains("<mark>écologie</mark>"), "the excerpt highlights the word as written");
    let page = search(&app, &a, "q=energie").await;
    assert!(page.body.contains("<mark>Énergies</mark> renouvelables"), "and the title too");
    let none = search(&app, &a, "q=astronomie").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(!lists(&none, &url));
    assert!(none.body.contains("Aucune contribution publiée ne correspond à « astronomie »"));
}

#[tokio::test]
async fn a_title_match_ranks_above_a_body_only_match() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Haroun").await;
    let in_title =
        article(&app, &a, &mut b, "Les volcans d’Auvergne", "Une randonnée sur la chaîne des Puys.", "").await;
    // Newer: were results only sorted by date, it would come first.
    let in_body =
        article(&app, &a, &mut b, "Une journée au musée", "On y parle aussi des volcans, entre deux salles.", "").await;
    let page = search(&app, &a, "q=volcan").await;
    let first = page.body.find(&href(&in_title)).expect("the title match is listed");
    let second = page.body.find(&href(&in_body)).expect("the body match is listed");
    assert!(first < second, "the title match comes first");
    assert!(page.body.contains("2 résultats"));
}

#[tokio::test]
async fn kind_and_tag_filters_narrow_the_results() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Inès").await;
    let art = article(&app, &a, &mut b, "Le glacier d’Argentière recule", "Mesures de l’été.", "climat").await;
    let debate = post(
        &app,
        &a,
        &mut b,
        "debats",
        &[
            ("title", "Faut-il bâcher les glaciers ?"),
            ("body", "Vos avis."),
            ("tags", "montagne"),
            ("status", "published"),
        ],
    )
    .await;
    assert!(debate.starts_with("/debats/"), "{debate}");
    let all = search(&app, &a, "q=glacier").await;
    assert!(lists(&all, &art) && lists(&all, &debate));
    let debates = search(&app, &a, "q=glacier&type=debate").await;
    assert_eq!(debates.status, StatusCode::OK);
    assert!(lists(&debates, &debate) && !lists(&debates, &art));
    assert!(debates.body.contains("<option value=\"debate\" selected>"), "the form keeps the filter");
    let articles = search(&app, &a, "q=glacier&type=article").await;
    assert!(lists(&articles, &art) && !lists(&articles, &debate));
    let tagged = search(&app, &a, "q=glacier&tag=climat").await;
    assert!(lists(&tagged, &art) && !lists(&tagged, &debate));
    assert!(tagged.body.contains("name=\"tag\" value=\"climat\""), "the tag stays in the form");
    let nothing = search(&app, &a, "q=glacier&type=dossier").await;
    assert!(!lists(&nothing, &art) && !lists(&nothing, &debate));
    let empty_kind = search(&app, &a, "q=glacier&type=&tag=").await;
    assert!(lists(&empty_kind, &art) && lists(&empty_kind, &debate), "an empty filter is no filter");
}

#[tokio::test]
async fn authors_names_and_tags_are_searchable() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Hypatie d’Alexandrie").await;
    let url = article(&app, &a, &mut b, "Carnet de bord", "Quelques notes.", "astrophysique, Télescopes").await;
    for q in ["hypatie", "alexandrie", "astrophysique", "telescope"] {
        assert!(lists(&search(&app, &a, &format!("q={q}")).await, &url), "{q}");
    }
}

#[tokio::test]
async fn a_renamed_author_is_found_by_the_new_name() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Émilie du Châtelet").await;
    let url = article(&app, &a, &mut b, "Les forces vives", "Une traduction de Newton.", "").await;
    assert!(lists(&search(&app, &a, "q=chatelet").await, &url));
    let renamed = app
        .post_form(
            &a.host,
            "/mon-espace/profil",
            &[("display_name", "Marquise de Breteuil"), ("kind", "person")],
            &mut b,
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert!(lists(&search(&app, &a, "q=breteuil").await, &url), "found by the new name");
    assert!(!lists(&search(&app, &a, "q=chatelet").await, &url), "not by the old one");
}

#[tokio::test]
async fn drafts_and_deleted_contributions_are_never_found() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Prudence").await;
    let draft = post(
        &app,
        &a,
        &mut b,
        "articles",
        &[("title", "Zeppelins en brouillon"), ("body", "Pas encore."), ("status", "draft")],
    )
    .await;
    let deleted = article(&app, &a, &mut b, "Zeppelins oubliés", "Bientôt supprimé.", "").await;
    let kept = article(&app, &a, &mut b, "Zeppelins d’hier", "Toujours là.", "").await;
    let gone = app.post_form(&a.host, &format!("/articles/{}/supprimer", id_of(&deleted)), &[], &mut b).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    let page = search(&app, &a, "q=zeppelin").await;
    assert!(lists(&page, &kept), "the published one is found");
    assert!(!lists(&page, &draft), "not the draft");
    assert!(!lists(&page, &deleted), "nor the deleted one");
    // Nor for its author.
    let mine = app.get_as(&a.host, "/recherche?q=zeppelin", &mut b).await;
    assert!(!lists(&mine, &draft) && !lists(&mine, &deleted));
}

#[tokio::test]
async fn an_edit_is_found_by_its_new_words_only() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Réviseur").await;
    let url = article(&app, &a, &mut b, "Première version", "Il était question de mammouths.", "").await;
    assert!(lists(&search(&app, &a, "q=mammouth").await, &url));
    let id = id_of(&url);
    let edited = app
        .post_form(
            &a.host,
            &format!("/articles/{id}/modifier"),
            &[("title", "Seconde version"), ("body", "Il est question de dinosaures."), ("status", "published")],
            &mut b,
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let new_url = edited.header("location").unwrap().to_owned();
    assert!(lists(&search(&app, &a, "q=dinosaure").await, &new_url));
    assert!(lists(&search(&app, &a, "q=seconde").await, &new_url));
    assert!(!lists(&search(&app, &a, "q=mammouth").await, &new_url));
}

#[tokio::test]
async fn another_regions_contributions_are_never_found() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut w = writer(&app, &a, "Régionale").await;
    let url = article(&app, &a, &mut w, "Les tardigrades de Chartreuse", "Increvables.", "biologie").await;
    assert!(lists(&search(&app, &a, "q=tardigrade").await, &url), "found at home");
    for q in ["q=tardigrade", "q=tardigrade&tag=biologie", "q=chartreuse&type=article"] {
        let elsewhere = search(&app, &b, q).await;
        assert_eq!(elsewhere.status, StatusCode::OK);
        assert!(!lists(&elsewhere, &url), "{q}");
        assert!(!elsewhere.body.contains("Increvables"), "{q}");
    }
}

#[tokio::test]
async fn script_and_markup_are_inert_in_the_results() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Mallory <i>").await;
    let body = "<script>alert(1)</script>\n\nLa **Lune** <img src=x onerror=alert(1)> se lève.\n\n\
                <svg onload=alert(1)></svg> [Lune](javascript:alert(1)) \u{E000}faux\u{E001}";
    let url = article(&app, &a, &mut b, "<b>Lune</b> {{ 7*7 }} \u{E000}piège\u{E001}", body, "").await;
    let page = search(&app, &a, "q=lune+faux+piege").await;
    assert!(page.status == StatusCode::OK && lists(&page, &url), "{}", page.body);
    let q = search(&app, &a, "q=lune").await;
    assert!(lists(&q, &url));
    let lower = q.body.to_lowercase();
    for bad in ["<script", "onerror", "onload", "javascript:", "src=\"x\"", "<b>", "<i>"] {
        assert!(!lower.contains(bad), "{bad} reached the page");
    }
    assert!(q.body.contains("&lt;b&gt;<mark>Lune</mark>&lt;&#x2f;b&gt; {{ 7*7 }}"), "the title, escaped, marked");
    assert!(q.body.contains("<mark>Lune</mark> se lève"), "the excerpt, marked");
    assert!(!q.body.contains("<mark>faux") && !q.body.contains("<mark>piège"), "typed markers mark nothing");
    assert_eq!(q.body.matches("<mark>").count(), q.body.matches("</mark>").count());
    assert!(!q.body.contains("<mark "), "a mark carries no attribute");
}

#[tokio::test]
async fn unknown_filters_are_refused_before_any_sql() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for query in [
        "q=x&type=evenement",
        "q=x&type=article%27%20OR%201=1--",
        "q=x&type=Article",
        "q=x&page=0",
        "q=x&page=abc",
        "q=x&page=-1",
        "q=x&page=99999",
        "q=x&tag=%3Cscript%3E",
        "q=x&tag=a%2Fb",
    ] {
        assert_eq!(search(&app, &a, query).await.status, StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(search(&app, &a, "q=x&type=announcement&tag=climat&page=2").await.status, StatusCode::OK);
}

#[tokio::test]
async fn query_syntax_characters_never_cause_an_error() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Syntaxe").await;
    let url = article(&app, &a, &mut b, "Opérateurs et parenthèses", "Du texte (entre parenthèses) : oui !", "").await;
    for q in [
        "%26+%7C+%21+%3A+*+%28+%29+%27",
        "%27",
        "%22",
        "%22%22",
        "%28",
        "parenth%C3%A8ses%3A*",
        "!!!",
        "-",
        "or",
        "%3C-%3E",
        "%5C",
        "%25",
        "le+la+les",
        "%E2%80%8B",
        "%EE%80%80",
        "a%00b",
    ] {
        let page = search(&app, &a, &format!("q={q}")).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
    }
    let page = search(&app, &a, "q=%28parenth%C3%A8ses%29+%26+%21%7C").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(lists(&page, &url), "operators typed are words or web-search syntax, nothing else");
    let quoted = search(&app, &a, "q=%22entre+parenth%C3%A8ses%22").await;
    assert!(lists(&quoted, &url), "a quoted phrase");
    let excluded = search(&app, &a, "q=parenth%C3%A8ses+-oui").await;
    assert!(!lists(&excluded, &url), "a word left out with -");
}

#[tokio::test]
async fn an_empty_or_too_long_query_is_answered_plainly() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    for path in ["/recherche", "/recherche?q=", "/recherche?q=+++"] {
        let page = app.get(&a.host, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("tapez un mot, un sujet ou le nom d’un membre"), "{path}");
        assert!(!page.body.contains("résultat"), "{path}");
    }
    let long = "a".repeat(201);
    let page = app.get(&a.host, &format!("/recherche?q={long}")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("La recherche est trop longue\u{a0}: 200 caractères au plus."));
    assert!(page.body.contains("aria-invalid=\"true\""));
    let just_right = app.get(&a.host, &format!("/recherche?q={}", "é".repeat(200))).await;
    assert_eq!(just_right.status, StatusCode::OK, "200 characters, not bytes");
}

#[tokio::test]
async fn every_region_page_has_a_search_box_the_platform_does_not() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let home = app.get(&a.host, "/").await;
    assert!(home.body.contains("<form class=\"site-search\" role=\"search\" method=\"get\" action=\"/recherche\""));
    assert!(
        home.body.contains("<label class=\"visually-hidden\" for=\"site-search-q\">Rechercher sur le réseau</label>")
    );
    let platform = app.get("test", "/").await;
    assert_eq!(platform.status, StatusCode::OK);
    assert!(!platform.body.contains("/recherche"));
    assert_eq!(app.get("test", "/recherche?q=x").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn results_come_ten_a_page() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    // A new account publishes a few contributions an hour by default; this region lets it write more.
    let mut tx = TenantTx::begin(&app.db, &a.tenant).await.unwrap();
    echos_core::settings::set(&mut tx, "publishing.new_account_per_hour", &serde_json::json!(20)).await.unwrap();
    tx.commit().await.unwrap();
    let mut b = writer(&app, &a, "Prolifique").await;
    for n in 0..12 {
        article(&app, &a, &mut b, &format!("Abeilles, épisode {n}"), "Des abeilles.", "").await;
    }
    let first = search(&app, &a, "q=abeille").await;
    assert!(first.body.contains("12 résultats"));
    assert_eq!(first.body.matches("class=\"search-result ").count(), 10);
    assert!(first.body.contains(&href("/recherche?q=abeille&page=2")), "the next page");
    let second = search(&app, &a, "q=abeille&page=2").await;
    assert_eq!(second.body.matches("class=\"search-result ").count(), 2);
    assert!(second.body.contains(&href("/recherche?q=abeille")), "back to page 1");
    assert!(!second.body.contains("page=3"));
}

#[tokio::test]
async fn a_region_that_changes_language_is_searched_in_the_new_one() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Polyglotte").await;
    let url = article(&app, &a, &mut b, "Les chevaux de Przewalski", "Au parc.", "").await;
    let id: i64 = id_of(&url).parse().unwrap();
    let find = |text: &'static str| {
        let tenant = a.tenant.clone();
        let db = app.db.clone();
        async move {
            let mut tx = TenantTx::begin(&db, &tenant).await.unwrap();
            let r = search::search(&mut tx, &Query { text: text.into(), ..Query::default() }, 10, 0).await.unwrap();
            tx.commit().await.unwrap();
            r.hits.iter().any(|h| h.id == id)
        }
    };
    // French stems "chevaux" and "cheval" alike.
    assert!(find("cheval").await && find("chevaux").await);
    let branding = Branding { locale: Locale::En, ..Branding::default() };
    let platform = HostName::parse("test").unwrap();
    provision::update(&app.db, &platform, &a.slug, &a.tenant.name, &[], &branding).await.unwrap();
    // English does not: had the old French vectors stayed, "cheval" would still match.
    assert!(find("chevaux").await, "found by the word as written");
    assert!(!find("cheval").await, "no longer by its French stem");
}

#[tokio::test]
async fn when_no_contribution_has_every_word_those_with_one_are_offered_and_said_so() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let mut b = writer(&app, &a, "Ondine").await;
    let glaciers = article(&app, &a, &mut b, "Les glaciers reculent", "Mesures de terrain.", "").await;
    let bees = article(&app, &a, &mut b, "Les abeilles sauvages", "Un inventaire.", "").await;
    let page = search(&app, &a, "q=glaciers+abeilles").await;
    assert!(lists(&page, &glaciers) && lists(&page, &bees), "each has one of the words");
    assert!(page.body.contains("Aucune contribution ne contient tous ces mots"));
    let both = article(&app, &a, &mut b, "Glaciers et abeilles", "Les deux.", "").await;
    let page = search(&app, &a, "q=glaciers+abeilles").await;
    assert!(lists(&page, &both) && !lists(&page, &bees), "every word, once one has them all");
    assert!(!page.body.contains("Aucune contribution ne contient tous ces mots"));
    let excluded = search(&app, &a, "q=glaciers+-reculent+abeilles").await;
    assert!(
        !excluded.body.contains("Aucune contribution ne contient tous ces mots"),
        "an excluded word keeps its meaning"
    );
}
