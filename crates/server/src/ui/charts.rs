//! Charts drawn on the server as SVG: no script, no CDN, scaled to the width of a phone. Each
//! chart carries a one-sentence summary as its accessible name and a data table beside it, so
//! a screen reader reads the numbers rather than the picture.

use maud::{Markup, html};

/// The drawing's coordinate box; the browser scales it to the page's width.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels.
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
/// One row of a horizontal bar chart: the name above, the bar below.
const ROW: f64 = 44.0;

/// A vertical bar per point (days, oldest first): `label` under some bars, `value` as height.
pub fn columns(id: &str, title: &str, unit: &str, points: &[(String, u64)]) -> Markup {
    let max = nice_max(points.iter().map(|(_, v)| *v).max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / points.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    // About six labels along the axis, whatever the number of days.
    let every = points.len().div_ceil(6).max(1);
    let total: u64 = points.iter().map(|(_, v)| *v).sum();
    let peak = points.iter().max_by_key(|(_, v)| *v);
    let summary = match peak {
        Some((label, v)) if *v > 0 => format!(
            "{title}: {total} {unit} over {} days; the most, {v}, on {label}.",
            points.len()
        ),
        _ => format!("{title}: none over {} days.", points.len()),
    };
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(summary) focusable="false" {
                @for step in [0u64, 1, 2] {
                    @let v = max * step / 2;
                    @let y = TOP + plot_h - plot_h * v as f64 / max as f64;
                    line.grid x1=(LEFT) x2=(WIDTH - 8.0) y1=(fmt(y)) y2=(fmt(y)) {}
                    text.axis x=(LEFT - 6.0) y=(fmt(y + 5.0)) text-anchor="end" { (v) }
                }
                @for (i, (label, v)) in points.iter().enumerate() {
                    @let h = plot_h * *v as f64 / max as f64;
                    @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                    rect.bar x=(fmt(x)) y=(fmt(TOP + plot_h - h)) width=(fmt(bar)) height=(fmt(h)) data-value=(v) {
                        title { (label) ": " (v) " " (unit) }
                    }
                    @if i % every == 0 {
                        text.axis x=(fmt(x + bar / 2.0)) y=(HEIGHT - 8.0) text-anchor="middle" { (short_day(label)) }
                    }
                }
            }
            (table(title, "Day", unit, points.iter().map(|(l, v)| (l.as_str(), *v))))
        }
    }
}

/// A horizontal bar per name, largest first; `others` sums what did not fit.
pub fn bars(id: &str, title: &str, unit: &str, items: &[(String, u64)], others: u64) -> Markup {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = ROW * items.len().max(1) as f64 + 4.0;
    let summary = match items.first() {
        Some((name, v)) => format!("{title}: {name} leads with {v} {unit}."),
        None => format!("{title}: none."),
    };
    html! {
        figure.chart id=(id) {
            figcaption { (title) }
            @if items.is_empty() {
                p.empty { "None in this window." }
            } @else {
                svg viewBox=(format!("0 0 {WIDTH} {}", fmt(height))) role="img" aria-label=(summary) focusable="false" {
                    @for (i, (name, v)) in items.iter().enumerate() {
                        @let y = ROW * i as f64;
                        @let w = (WIDTH - 80.0) * *v as f64 / max as f64;
                        text.label x="0" y=(fmt(y + 16.0)) { (name) }
                        rect.bar x="0" y=(fmt(y + 22.0)) width=(fmt(w.max(2.0))) height="16" data-value=(v) {
                            title { (name) ": " (v) " " (unit) }
                        }
                        text.value x=(fmt(w.max(2.0) + 6.0)) y=(fmt(y + 35.0)) { (v) }
                    }
                }
                @if others > 0 { p.hint { "and " (others) " " (unit) " for the rest" } }
                (table(title, "Name", unit, items.iter().map(|(l, v)| (l.as_str(), *v))))
            }
        }
    }
}

/// The chart's numbers as a table, folded away for sighted readers and read in full by
/// screen readers.
fn table<'a>(
    title: &str,
    key: &str,
    unit: &str,
    rows: impl Iterator<Item = (&'a str, u64)>,
) -> Markup {
    html! {
        details.chart-data {
            summary { "Table" span.sr-only { " of " (title) } }
            table.data {
                caption.sr-only { (title) }
                thead { tr { th scope="col" { (key) } th scope="col" { (capitalized(unit)) } } }
                tbody {
                    @for (label, v) in rows {
                        tr { th scope="row" { (label) } td { (v) } }
                    }
                }
            }
        }
    }
}

/// The smallest of 1, 2, 5 × 10ⁿ (even, so the middle grid line is whole) at or above `v`.
fn nice_max(v: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [2u64, 4, 10] {
            if v <= m * step {
                return m * step;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// `2026-12-05` → `12-05`.
fn short_day(date: &str) -> &str {
    date.get(5..).unwrap_or(date)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_up_to_an_even_nice_number() {
        assert_eq!(nice_max(0), 2);
        assert_eq!(nice_max(3), 4);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(41), 100);
    }

    #[test]
    fn bars_are_as_tall_as_their_values_and_the_table_holds_every_one() {
        let points = vec![
            ("2026-12-01".to_string(), 2),
            ("2026-12-02".to_string(), 0),
            ("2026-12-03".to_string(), 4),
        ];
        let html = columns("c", "Requests per day", "requests", &points).into_string();
        let plot_h = HEIGHT - TOP - BOTTOM;
        assert!(
            html.contains(&format!("height=\"{}\" data-value=\"4\"", fmt(plot_h))),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "height=\"{}\" data-value=\"2\"",
                fmt(plot_h / 2.0)
            )),
            "{html}"
        );
        assert!(
            html.contains("<th scope=\"row\">2026-12-02</th><td>0</td>"),
            "{html}"
        );
        assert!(html.contains("aria-label=\"Requests per day: 6 requests over 3 days; the most, 4, on 2026-12-03.\""), "{html}");
    }
}
