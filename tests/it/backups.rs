//! Backups: the schedule archives each open region beside its media, `verify` restores the latest
//! archive into a scratch schema and leaves nothing, retention removes old archives but never a
//! region's newest, and the platform schema is dumped table by table.

use std::io::Read;

use echos_core::backups;
use echos_core::config::BackupsConfig;
use echos_tests::TestApp;
use uuid::Uuid;

const DAILY: BackupsConfig = BackupsConfig { interval_hours: 24, retention_days: 14 };

async fn backup_ids(app: &TestApp, tenant: Uuid) -> Vec<(Uuid, String)> {
    sqlx::query_as(
        "SELECT id, status FROM platform.exports WHERE tenant_id = $1 AND requested_by = 'backup' ORDER BY created_at",
    )
    .bind(tenant)
    .fetch_all(app.db.platform())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_region_is_backed_up_and_its_latest_archive_restores_into_a_scratch_schema() {
    let app = TestApp::new().await;
    let (a, b) = (app.tenant().await, app.tenant().await);
    let mut ada = app.member(&a, "Ada").await;
    app.publish(&a, &mut ada, "articles", &[("title", "Les marées de Bretagne")]).await;
    for t in [&a, &b] {
        let pass = backups::run(&app.db, &app.state.media, &DAILY, Some(&[t.tenant.id])).await.unwrap();
        assert_eq!(pass.queued, 1, "the region was due");
    }
    assert!(app.run_jobs(&[&a, &b]).await >= 2);
    let done = backup_ids(&app, a.tenant.id).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1, "ready");
    // Not due again within the interval.
    let only = [a.tenant.id, b.tenant.id];
    assert_eq!(backups::run(&app.db, &app.state.media, &DAILY, Some(&only)).await.unwrap().queued, 0);

    // The archive restores: every table, the member and the article, then nothing is left.
    let v = backups::verify_latest(&app.db, &app.state.media, a.tenant.id).await.unwrap().expect("an archive");
    assert_eq!(v.slug, a.slug.as_str());
    assert!(v.tables >= 20, "{v:?}");
    assert!(v.rows >= 3, "{v:?}");
    assert_eq!(v.accounts, 1);
    let scratch: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'backup_check_%'")
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(scratch, 0, "the scratch schema was rolled back");
    let regions: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.tenants WHERE slug = $1")
        .bind(a.slug.as_str())
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(regions, 1, "no region was opened by the check");

    // A damaged archive does not pass.
    let file = echos_tests::media_dir().join(format!("tenants/{}/exports/{}.tar.gz", a.tenant.id, done[0].0));
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    assert!(backups::verify_latest(&app.db, &app.state.media, a.tenant.id).await.is_err(), "a truncated archive fails");
    std::fs::write(&file, &bytes).unwrap();

    // Retention: a's backup made 20 days ago is replaced by a new one, then removed; b's only
    // backup, as old, is kept.
    for t in [&a, &b] {
        sqlx::query("UPDATE platform.exports SET created_at = now() - interval '20 days' WHERE tenant_id = $1")
            .bind(t.tenant.id)
            .execute(app.db.platform())
            .await
            .unwrap();
    }
    assert_eq!(backups::run(&app.db, &app.state.media, &DAILY, Some(&[a.tenant.id])).await.unwrap().queued, 1);
    app.run_jobs(&[&a]).await;
    let removed = backups::prune(app.db.platform(), &app.state.media, 14).await.unwrap();
    assert!(removed >= 1);
    let left = backup_ids(&app, a.tenant.id).await;
    assert_eq!(left.len(), 1, "the old one is gone");
    assert_ne!(left[0].0, done[0].0);
    assert!(!file.exists(), "its file too");
    assert_eq!(backup_ids(&app, b.tenant.id).await.len(), 1, "a region's newest backup is kept, however old");
    assert!(backups::verify_latest(&app.db, &app.state.media, a.tenant.id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_pass_spreads_its_backups_over_half_the_interval() {
    let app = TestApp::new().await;
    let (c, d) = (app.tenant().await, app.tenant().await);
    let pass = backups::run(&app.db, &app.state.media, &DAILY, Some(&[c.tenant.id, d.tenant.id])).await.unwrap();
    assert_eq!(pass.queued, 2);
    let mut delays: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM run_at - now())::float8 FROM platform.jobs
          WHERE tenant_id = ANY($1) AND kind = 'region.export'",
    )
    .bind(vec![c.tenant.id, d.tenant.id])
    .fetch_all(app.db.platform())
    .await
    .unwrap();
    delays.sort_by(f64::total_cmp);
    assert!(delays[0] <= 1.0, "the first at once: {delays:?}");
    assert!((21_500.0..=21_700.0).contains(&delays[1]), "the second six hours later: {delays:?}");
}

#[tokio::test]
async fn the_platform_schema_is_dumped_table_by_table_in_one_snapshot() {
    let app = TestApp::new().await;
    let a = app.tenant().await;
    let dump = backups::dump_platform(&app.db, &app.state.media).await.unwrap();
    assert!(dump.key.starts_with("platform/dumps/") && dump.key.ends_with(".tar.gz"));
    let bytes = std::fs::read(echos_tests::media_dir().join(&dump.key)).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let mut manifest = None;
    let mut tenants = String::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        match path.as_str() {
            "manifest.json" => manifest = Some(serde_json::from_str::<serde_json::Value>(&text).unwrap()),
            "tables/tenants.copy" => tenants = text,
            _ => {}
        }
    }
    let manifest = manifest.expect("a manifest");
    let tables: Vec<&str> =
        manifest["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for t in ["tenants", "tenant_domains", "accounts", "jobs", "schema_migrations"] {
        assert!(tables.contains(&t), "{t} in {tables:?}");
    }
    assert!(tenants.contains(a.slug.as_str()), "the regions' rows");
    assert_eq!(dump.tables, tables.len());
    let listed: i64 = sqlx::query_scalar("SELECT count(*) FROM platform.platform_dumps WHERE media_key = $1")
        .bind(&dump.key)
        .fetch_one(app.db.platform())
        .await
        .unwrap();
    assert_eq!(listed, 1);
}
