//! Projects and votes: one vote per member and project, counted from the votes themselves,
//! withdrawable while open, refused before and after the period, within a call's allowance even
//! under concurrency; calls opened from the console with their results; regions kept apart.

mod calls;
mod votes;

use echos_tests::{Member, TestApp, TestTenant};
use http::StatusCode;

/// A member whose e-mail address is confirmed (votes need it by default).
pub async fn voter(app: &TestApp, t: &TestTenant, name: &str) -> Member {
    let m = app.member(t, name).await;
    let mut conn = app.db.platform().acquire().await.unwrap();
    sqlx::query("UPDATE platform.accounts SET confirmed_at = now() WHERE email = $1")
        .bind(&m.email)
        .execute(&mut *conn)
        .await
        .unwrap();
    m
}

/// Publishes a project; returns its address.
pub async fn project(app: &TestApp, t: &TestTenant, m: &mut Member, title: &str, extra: &[(&str, &str)]) -> String {
    let in_ten_days = (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string();
    let mut fields = vec![("title", title), ("body", "Un projet à soutenir."), ("status", "published")];
    if !extra.iter().any(|(k, _)| *k == "call") {
        fields.push(("vote_closes_on", in_ten_days.as_str()));
    }
    fields.extend_from_slice(extra);
    let r = app.post_form(&t.host, "/projets", &fields, &mut m.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "publishing a project: {}", r.body);
    r.header("location").unwrap().to_owned()
}

pub fn id_of(url: &str) -> String {
    url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned()
}

/// Votes (or withdraws); the outcome named in the redirect (`compte`, `ferme`, …).
pub async fn vote(app: &TestApp, t: &TestTenant, m: &mut Member, id: &str, action: &str) -> String {
    let r = app.post_form(&t.host, &format!("/projets/{id}/voter"), &[("action", action)], &mut m.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let l = r.header("location").unwrap();
    l.split("vote=").nth(1).and_then(|s| s.split('#').next()).unwrap_or_default().to_owned()
}

pub async fn stored_votes(app: &TestApp, t: &TestTenant, id: &str) -> i64 {
    app.in_region(t, "SELECT count(*) FROM votes WHERE contribution_id = $1::bigint", id).await
}
