//! Events and places: the form and its refusals, the agenda, iCalendar read back by Python's
//! `icalendar`, GeoJSON checked against RFC 7946's rules, "I'm going", and regions kept apart.

mod agenda;
mod formats;
mod geocoder;
mod writing;

use echos_tests::{Member, TestApp, TestTenant};
use http::StatusCode;

/// An event's form, filled in; `extra` overrides or adds fields.
pub fn event_fields<'a>(title: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("title", title),
        ("body", "Venez nombreux."),
        ("status", "published"),
        ("event_kind", "conference"),
        ("audience", "everyone"),
        ("start_date", "2030-03-12"),
        ("start_time", "18:30"),
        ("end_time", "20:00"),
        ("place_name", "La Casemate"),
        ("address", "2 place Saint-Laurent, 38000 Grenoble"),
        ("lat", "45.1960"),
        ("lon", "5.7310"),
        ("free", "on"),
    ];
    for (k, v) in extra {
        f.retain(|(fk, _)| fk != k);
        f.push((k, v));
    }
    f
}

/// Publishes an event; returns its address.
pub async fn publish_event(
    app: &TestApp,
    t: &TestTenant,
    m: &mut Member,
    title: &str,
    extra: &[(&str, &str)],
) -> String {
    let r = app.post_form(&t.host, "/evenements", &event_fields(title, extra), &mut m.browser).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "publishing an event: {}", r.body);
    r.header("location").unwrap_or_default().to_owned()
}

pub fn id_of(url: &str) -> String {
    url.split('/').nth(2).and_then(|s| s.split('-').next()).unwrap().to_owned()
}

/// Runs a Python script with one file argument; its standard output.
pub fn python(script: &str, content: &str, ext: &str) -> String {
    let path = std::env::temp_dir().join(format!("echos-{}.{ext}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, content).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 with icalendar (pip install icalendar)");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "the parser refused it: {}\n{content}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
