//! Charts drawn on the server as SVG: stacked bars by month, a line by day. Each is an image
//! with a title for assistive technologies; the page puts its numbers in a table beside it. The
//! series colours keep 3:1 against white (WCAG 1.4.11).

use std::fmt::Write;

/// Series colours, in order.
pub const PALETTE: [&str; 6] = ["#1b4965", "#c2410c", "#2e7d32", "#6a1b9a", "#8a6d00", "#00695c"];

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 32.0;
const TOP: f64 = 12.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round top for the axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_ceiling(max: i64) -> i64 {
    if max <= 0 {
        return 1;
    }
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn axis(out: &mut String, top: i64) {
    for i in 0..=4 {
        let v = top * i / 4;
        let y = H - BOTTOM - (H - BOTTOM - TOP) * (i as f64) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{W}" y2="{y:.1}" stroke="#d0d5dd" stroke-width="1"/><text x="{x:.1}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#3d4451">{v}</text>"##,
            x = LEFT - 6.0,
            ty = y + 4.0
        );
    }
}

/// Bars by label (months), each bar the series stacked in `PALETTE` order.
pub fn stacked_bars(title: &str, labels: &[String], series: &[(String, Vec<i64>)]) -> String {
    let totals: Vec<i64> =
        (0..labels.len()).map(|i| series.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0)).sum()).collect();
    let top = nice_ceiling(totals.iter().copied().max().unwrap_or(0));
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-{id}" xmlns="http://www.w3.org/2000/svg"><title id="chart-{id}">{t}</title>"#,
        id = slug(title),
        t = escape(title)
    );
    axis(&mut out, top);
    let n = labels.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bar = (slot * 0.6).min(48.0);
    let plot = H - BOTTOM - TOP;
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = H - BOTTOM;
        for (s, (_, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = plot * v as f64 / top as f64;
            y -= h;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{}"/>"#,
                PALETTE[s % PALETTE.len()]
            );
        }
        // Every label when they fit (a month's is ~70 px), else every other one.
        if (labels.len() as f64) * 76.0 <= W - LEFT || i % 2 == 0 {
            let _ = write!(
                out,
                r##"<text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" font-size="12" fill="#3d4451">{}</text>"##,
                escape(label),
                cx = x + bar / 2.0,
                ly = H - BOTTOM + 18.0
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A line of daily values.
pub fn line(title: &str, labels: &[String], values: &[i64]) -> String {
    let top = nice_ceiling(values.iter().copied().max().unwrap_or(0));
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-{id}" xmlns="http://www.w3.org/2000/svg"><title id="chart-{id}">{t}</title>"#,
        id = slug(title),
        t = escape(title)
    );
    axis(&mut out, top);
    let n = (values.len().max(2) - 1) as f64;
    let plot = H - BOTTOM - TOP;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!("{:.1},{:.1}", LEFT + (W - LEFT - 8.0) * i as f64 / n, H - BOTTOM - plot * *v as f64 / top as f64)
        })
        .collect();
    if !points.is_empty() {
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>"#,
            PALETTE[0],
            points.join(" ")
        );
    }
    let step = (labels.len() / 6).max(1);
    for (i, label) in labels.iter().enumerate().step_by(step) {
        let x = LEFT + (W - LEFT - 8.0) * i as f64 / n;
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{ly:.1}" text-anchor="middle" font-size="12" fill="#3d4451">{}</text>"##,
            escape(label),
            ly = H - BOTTOM + 18.0
        );
    }
    out.push_str("</svg>");
    out
}

fn slug(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).take(24).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_drawn_to_a_round_scale_and_text_is_escaped() {
        let svg = stacked_bars(
            "<script>",
            &["janv.".into(), "févr.".into()],
            &[("a".into(), vec![3, 0]), ("b".into(), vec![4, 2])],
        );
        assert!(svg.contains("<title id=\"chart-script\">&lt;script&gt;</title>"));
        assert_eq!(svg.matches("<rect").count(), 3, "zero values draw nothing");
        assert!(svg.contains(">10</text>"), "7 at most rounds up to 10");
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(5), 5);
    }

    #[test]
    fn a_line_has_a_point_per_day() {
        let svg = line("Vues", &["1".into(), "2".into(), "3".into()], &[1, 5, 2]);
        let points = svg.split("points=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
        assert_eq!(points.split(' ').count(), 3);
    }
}
