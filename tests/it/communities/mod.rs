//! Communities that members propose and run themselves, and moderation after the fact by the
//! community: proposals and approval, memberships and roles, publishing into a community, reports
//! that hide an item at a threshold, review queues and decisions, and the hidden never shown.

mod membership;
mod moderation;
mod proposals;

use echos_tests::{Member, TestApp, TestResponse, TestTenant};

pub async fn post(app: &TestApp, t: &TestTenant, m: &mut Member, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    app.post_form(&t.host, path, fields, &mut m.browser).await
}

pub fn location(r: &TestResponse) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

/// Proposes a community as `m` (open at once when the region says so); returns its address.
pub async fn propose(app: &TestApp, t: &TestTenant, m: &mut Member, name: &str, access: &str) -> TestResponse {
    post(
        app,
        t,
        m,
        "/communautes",
        &[
            ("name", name),
            ("kind", "theme"),
            ("description", "Un espace pour échanger sur le thème."),
            ("access", access),
            ("tags", "sciences"),
        ],
    )
    .await
}

/// Lets communities open without an admin's approval in this region.
pub async fn open_at_once(app: &TestApp, t: &TestTenant) {
    let _: i64 = app
        .in_region(
            t,
            "WITH s AS (INSERT INTO settings (key, value) VALUES ('communities.open_without_approval', $1::jsonb)
                        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value RETURNING 1)
             SELECT count(*) FROM s",
            "true",
        )
        .await;
}

/// A community's id by its slug.
pub async fn community_id(app: &TestApp, t: &TestTenant, slug: &str) -> i64 {
    app.in_region(t, "SELECT id FROM communities WHERE slug = $1", slug).await
}

/// A member's id by handle.
pub async fn member_id(app: &TestApp, t: &TestTenant, handle: &str) -> i64 {
    app.in_region(t, "SELECT id FROM members WHERE handle = $1", handle).await
}
