//! Benchmark helper (not a test): opens many regions and times provisioning and migrations on
//! the database named by `DATABASE_URL`. Driven by `tests/load/bench.sh`; see docs/benchmarks.md.
//!
//!   echos-bench provision <N>      open regions b1..bN (4 at a time), then time claims of spares
//!   echos-bench migrate-column     time adding one column to every region
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use echos_core::migrate::{self, Migration, SchemaTarget};
use echos_core::provision::{self, Branding, NewTenant};
use echos_core::{Config, Db, tenants};
use echos_domain::Slug;
use futures::StreamExt;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = Config::load().expect("configuration");
    let db = Db::connect(&config.database).await.expect("database");
    let domain = config.platform_domain();
    match args.first().map(String::as_str) {
        Some("provision") => {
            let n: usize = args.get(1).and_then(|s| s.parse().ok()).expect("provision <N>");
            let existing = tenants::list(db.platform(), None).await.unwrap().len();
            let started = Instant::now();
            futures::stream::iter(existing + 1..=n)
                .map(|i| {
                    let db = db.clone();
                    let domain = domain.clone();
                    async move {
                        let slug = Slug::parse(&format!("b{i}")).unwrap();
                        let new = NewTenant {
                            slug,
                            name: format!("Région {i}"),
                            domains: vec![],
                            branding: Branding::default(),
                        };
                        provision::create(&db, &domain, new).await.unwrap();
                    }
                })
                .buffer_unordered(4)
                .collect::<Vec<_>>()
                .await;
            println!(
                "bulk: {} regions created in place in {:.1} s",
                n.saturating_sub(existing),
                started.elapsed().as_secs_f64()
            );

            // The measured path: claiming a ready spare, with a warm pool.
            let samples = 20;
            provision::refill_spares(db.platform(), samples).await.unwrap();
            let mut times = Vec::new();
            for i in 0..samples {
                let slug = Slug::parse(&format!("claim{i}-{}", std::process::id())).unwrap();
                let new = NewTenant {
                    slug: slug.clone(),
                    name: "Mesure".into(),
                    domains: vec![],
                    branding: Branding::default(),
                };
                let t = Instant::now();
                provision::create(&db, &domain, new).await.unwrap();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                provision::destroy(&db, &slug).await.unwrap();
            }
            times.sort_by(f64::total_cmp);
            println!(
                "provision one region (claim a spare): p50 {:.1} ms, max {:.1} ms over {samples}",
                times[samples / 2],
                times[samples - 1]
            );
        }
        Some("migrate-column") => {
            let all = tenants::list(db.platform(), None).await.unwrap();
            let targets: Vec<_> = all
                .iter()
                .map(|t| SchemaTarget { name: t.schema.clone(), tenant: Some((t.id, t.slug.clone())) })
                .collect();
            let mut set = migrate::tenant_set();
            let version = 90_000 + i64::from(std::process::id() % 1000);
            set.push(Migration {
                version,
                description: "bench_add_column",
                sql: "ALTER TABLE settings ADD COLUMN bench_note text;".into(),
            });
            let started = Instant::now();
            let results = migrate::migrate_targets(db.platform(), targets, &set, &config.tenancy).await;
            let failed = results.iter().filter(|(_, r)| r.is_err()).count();
            println!(
                "migrate {} regions by one added column: {:.1} s ({failed} failed)",
                results.len(),
                started.elapsed().as_secs_f64()
            );
        }
        _ => eprintln!("usage: echos-bench provision <N> | migrate-column"),
    }
    db.close().await;
}
