//! The restore drill: a region full of content exported, then restored under a new slug with
//! every row and every file; archives that hold anything else are refused with nothing written;
//! one region cannot fetch another's archive.

use std::io::{Read, Write};

use echos_core::{archive, exports};
use echos_domain::Slug;
use echos_tests::{Browser, TestApp, TestTenant, random_slug};
use http::StatusCode;

/// The rows of every table of a region, as text, in a stable order, media keys made to name
/// `as_id` (what a restore rewrites).
async fn fingerprint(
    app: &TestApp,
    t: &TestTenant,
    from_id: uuid::Uuid,
    as_id: uuid::Uuid,
) -> Vec<(String, i64, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1",
    )
    .bind(&t.tenant.schema)
    .fetch_all(app.db.platform())
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(replace(x::text, $1, $2), '|' ORDER BY replace(x::text, $1, $2))), '')
               FROM \"{}\".\"{table}\" x",
            t.tenant.schema
        );
        let (n, digest): (i64, String) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from_id.to_string())
            .bind(as_id.to_string())
            .fetch_one(app.db.platform())
            .await
            .unwrap();
        out.push((table, n, digest));
    }
    out
}

/// A region with members, contributions of several kinds, comments, likes, a follow, settings,
/// an audit line, an avatar and an image in an article's body.
async fn full_region(app: &TestApp) -> (TestTenant, String) {
    let a = app.tenant().await;
    let mut admin = app.admin(&a, "Alice Admin").await;
    let mut bob = app.member(&a, "Bob Auteur").await;
    let png = include_bytes!("../../browser/fixtures/cover.png").to_vec();
    let key = app.state.media.put(a.tenant.id, "images", png.clone(), "png", "image/png").await.unwrap();
    let avatar = app.state.media.put(a.tenant.id, "avatars", png, "png", "image/png").await.unwrap();
    let body = format!("Voici une image : ![Glacier](/media/{key})");
    let url = app
        .publish(
            &a,
            &mut bob,
            "articles",
            &[("title", "Le glacier recule"), ("body", body.as_str()), ("tags", "climat, glaciers")],
        )
        .await;
    app.publish(&a, &mut bob, "debats", &[("title", "Faut-il reboiser ?")]).await;
    let id = url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned();
    app.post_form(
        &a.host,
        &format!("/articles/{id}/commentaires"),
        &[("body", "Très clair, merci !")],
        &mut admin.browser,
    )
    .await;
    app.post_form(&a.host, &format!("/articles/{id}/jaime"), &[], &mut admin.browser).await;
    app.post_form(&a.host, &format!("/membres/{}/suivre", bob.handle), &[], &mut admin.browser).await;
    let _: i64 = app
        .in_region(&a, "WITH u AS (UPDATE members SET avatar_key = $1 RETURNING 1) SELECT count(*) FROM u", &avatar)
        .await;
    sqlx::query("UPDATE platform.tenants SET tagline = 'Sciences en montagne', logo_key = $2 WHERE id = $1")
        .bind(a.tenant.id)
        .bind(&key)
        .execute(app.db.platform())
        .await
        .unwrap();
    (a, url)
}

#[tokio::test]
async fn a_region_is_restored_under_a_new_slug_with_every_row_and_file() {
    let app = TestApp::new().await;
    let (a, article) = full_region(&app).await;
    let a = app.adopt(a.slug.as_str()).await; // re-read: the tagline and logo
    let bytes = archive::export(&app.db, &app.state.media, &a.tenant).await.unwrap();
    let new = random_slug();
    let restored = archive::import(&app.db, &app.state.media, &app.platform_domain(), &bytes, &new).await.unwrap();
    let b = app.adopt(new.as_str()).await;
    assert_ne!(restored.id, a.tenant.id);
    assert_eq!(restored.tagline, "Sciences en montagne");

    let before = fingerprint(&app, &a, a.tenant.id, restored.id).await;
    let after = fingerprint(&app, &b, restored.id, restored.id).await;
    assert!(before.iter().any(|(t, n, _)| t == "contributions" && *n == 2));
    assert_eq!(before, after, "every table, every row");

    // Every file, under the new region's id; the pages show them from there.
    let old_files = app.state.media.list_for(a.tenant.id).await.unwrap();
    let new_files = app.state.media.list_for(restored.id).await.unwrap();
    assert_eq!(old_files.len(), new_files.len());
    assert!(new_files.len() >= 2);
    let page = app.get(&b.host, &article).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("/media/tenants/{}/images/", restored.id)), "the image, moved");
    assert!(!page.body.contains(&a.tenant.id.to_string()), "nothing points at the old region");
    let logo = restored.logo_key.clone().unwrap();
    assert_eq!(app.get(&b.host, &format!("/media/{logo}")).await.status, StatusCode::OK);
    // New writes follow the restored rows (identities moved on).
    let mut carol = app.member(&b, "Carol Nouvelle").await;
    app.publish(&b, &mut carol, "articles", &[("title", "Après la restauration")]).await;
    assert!(page.body.contains("Bob Auteur"), "its author, a member of the restored region");
}

/// The archive's entries, to tamper with.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        out.push((path, body));
    }
    out
}

fn pack(entries: &[(String, Vec<u8>)], link: Option<(&str, &str)>) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    for (path, body) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        // Written as raw bytes: the builder itself would refuse a `..`.
        h.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, body.as_slice()).unwrap();
    }
    if let Some((name, target)) = link {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, target).unwrap();
    }
    let mut gz = b.into_inner().unwrap();
    gz.flush().unwrap();
    gz.finish().unwrap()
}

fn with_manifest(entries: &[(String, Vec<u8>)], edit: impl Fn(&mut serde_json::Value)) -> Vec<(String, Vec<u8>)> {
    entries
        .iter()
        .map(|(p, b)| {
            if p == "manifest.json" {
                let mut m: serde_json::Value = serde_json::from_slice(b).unwrap();
                edit(&mut m);
                (p.clone(), serde_json::to_vec(&m).unwrap())
            } else {
                (p.clone(), b.clone())
            }
        })
        .collect()
}

#[tokio::test]
async fn an_archive_holding_anything_else_is_refused_and_nothing_is_written() {
    let app = TestApp::new().await;
    let (a, _) = full_region(&app).await;
    let good = entries(&archive::export(&app.db, &app.state.media, &a.tenant).await.unwrap());
    let media_entry = good.iter().find(|(p, _)| p.starts_with("media/")).unwrap().clone();
    let mut extra_table = with_manifest(&good, |m| {
        m["tables"].as_array_mut().unwrap().push(serde_json::json!({"name": "evil", "columns": ["x"], "rows": 1}));
    });
    extra_table.push(("tables/evil.copy".into(), b"1\n".to_vec()));
    let mut drop = good.clone();
    drop.push(("schema.sql".into(), b"DROP SCHEMA platform CASCADE;".to_vec()));
    let mut climbing = good.clone();
    climbing.push(("media/images/../../../../etc/echos.png".into(), media_entry.1.clone()));
    let mut other_schema = good.clone();
    other_schema.push(("tables/platform.accounts.copy".into(), b"".to_vec()));
    let newer = with_manifest(&good, |m| m["schema_version"] = serde_json::json!(9999));
    let miscounted = with_manifest(&good, |m| {
        for t in m["tables"].as_array_mut().unwrap() {
            if t["name"] == "members" {
                t["rows"] = serde_json::json!(99);
            }
        }
    });
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("an extra table", pack(&extra_table, None)),
        ("a DROP", pack(&drop, None)),
        ("a path that climbs out", pack(&climbing, None)),
        ("another schema's table", pack(&other_schema, None)),
        (
            "a symbolic link",
            pack(&good, Some(("media/images/00000000-0000-0000-0000-000000000001.png", "/etc/passwd"))),
        ),
        ("a newer migration version", pack(&newer, None)),
        ("rows that do not match the manifest", pack(&miscounted, None)),
    ];
    let mut tried: Vec<String> = Vec::new();
    for (what, bytes) in cases {
        let slug = random_slug();
        tried.push(slug.as_str().to_owned());
        let r = archive::import(&app.db, &app.state.media, &app.platform_domain(), &bytes, &slug).await;
        assert!(matches!(r, Err(echos_core::CoreError::Invalid(_))), "{what}: {r:?}");
        let schema: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(slug.schema_name())
            .fetch_one(app.db.platform())
            .await
            .unwrap();
        assert!(!schema, "{what}: no schema left behind");
    }
    // Regions under the slugs tried (other tests open and close theirs meanwhile).
    let opened: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.tenants WHERE slug = ANY($1)")
        .bind(&tried)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(opened, 0, "no region opened");
    assert!(!std::path::Path::new("/etc/echos.png").exists());

    // The good one restores; under a slug that exists, it is refused.
    let taken = Slug::parse(a.slug.as_str()).unwrap();
    let r = archive::import(&app.db, &app.state.media, &app.platform_domain(), &pack(&good, None), &taken).await;
    assert!(matches!(r, Err(echos_core::CoreError::Conflict(_))), "{r:?}");
}

#[tokio::test]
async fn one_regions_archive_cannot_be_fetched_from_another() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let mut admin_a = app.admin(&a, "Admine A").await;
    let mut admin_b = app.admin(&b, "Admine B").await;
    let r = app.post_form(&a.host, "/admin/archives", &[], &mut admin_a.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.run_jobs(&[&a]).await;
    let list = exports::list(app.db.platform(), a.tenant.id).await.unwrap();
    let export = list.first().unwrap();
    assert_eq!(export.status, "ready");
    let mine = app.get_as(&a.host, &format!("/admin/archives/{}", export.id), &mut admin_a.browser).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.header("content-type"), Some("application/gzip"));
    assert!(app.mails_to(&admin_a.email).iter().any(|m| m.contains(&format!("/admin/archives/{}", export.id))));
    let theirs = app.get_as(&b.host, &format!("/admin/archives/{}", export.id), &mut admin_b.browser).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "another region's archive is not there");
    let mut visitor = Browser::new();
    assert_eq!(
        app.get_as(&a.host, &format!("/admin/archives/{}", export.id), &mut visitor).await.status,
        StatusCode::SEE_OTHER
    );
}
