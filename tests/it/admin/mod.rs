//! The regional admin's console (`/admin`): who may reach it, the look and the configuration,
//! the region's own pages and domains, the home page, members and roles, participation figures,
//! the audit log and newsletters. A fresh region per test.

mod access;
mod appearance;
mod domains;
mod home;
mod members;
mod newsletters;
mod participation;
mod settings;

use echos_tests::{Member, TestApp, TestResponse, TestTenant};

/// The console's pages that a GET reaches.
pub const PAGES: &[&str] = &[
    "/admin",
    "/admin/apparence",
    "/admin/reglages",
    "/admin/accueil",
    "/admin/pages",
    "/admin/pages/a-propos",
    "/admin/domaines",
    "/admin/membres",
    "/admin/membres/export.csv",
    "/admin/participation",
    "/admin/participation/membres.csv",
    "/admin/lettres",
    "/admin/lettres/nouvelle",
    "/admin/journal",
];

/// Posts a form as `m` (their session and token).
pub async fn post(app: &TestApp, t: &TestTenant, m: &mut Member, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.post_form(&t.host, path, fields, &mut m.browser).await
}

pub fn location(r: &TestResponse) -> &str {
    r.header("location").unwrap_or_default()
}

/// A member's id in the region, by handle.
pub async fn member_id(app: &TestApp, t: &TestTenant, handle: &str) -> i64 {
    app.in_region(t, "SELECT id FROM members WHERE handle = $1", handle).await
}

/// The actions of the audit log, oldest first.
pub async fn audit_actions(app: &TestApp, t: &TestTenant) -> Vec<String> {
    let mut tx = echos_core::TenantTx::begin(&app.db, &t.tenant).await.unwrap();
    let v: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id").fetch_all(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    v
}
