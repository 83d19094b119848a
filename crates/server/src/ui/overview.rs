//! The overview for approvers and auditors: live grants now and per day, requests per day, how
//! long requests wait for a decision, the most requested roles and the anomalies by rule, over
//! the last 7, 30 or 90 days.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use crate::error::ApiError;
use crate::report::{may_see_overview, overview_of};
use wicket_engine::app::App;

use super::charts::{bars, columns};
use super::error::UiResult;
use super::extract::{FormData, Viewer};
use super::layout::{Chrome, Nav, framed_error, page, respond};

/// The windows offered.
const WINDOWS: [i64; 3] = [7, 30, 90];

pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> UiResult<Response> {
    let chrome = Chrome::load(&app, &viewer, Nav::Overview).await;
    if let Err(e) = may_see_overview(&app, &viewer.user).map_err(ApiError::from) {
        return Ok(framed_error(&chrome, e.status, &e.message));
    }
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let days = q
        .text("days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| WINDOWS.contains(d))
        .unwrap_or(30);
    let r = overview_of(&app, days).await?;
    let series = |f: fn(&crate::report::overview::Day) -> u64| -> Vec<(String, u64)> {
        r.days.iter().map(|d| (d.date.clone(), f(d))).collect()
    };
    let ranked = |ranking: &crate::report::overview::Ranking| -> Vec<(String, u64)> {
        ranking
            .top
            .iter()
            .map(|c| (c.name.clone(), c.count))
            .collect()
    };
    let requests: u64 = r.days.iter().map(|d| d.requests).sum();
    let body = html! {
        p.lede { "The last " (days) " days, in UTC days, today included." }
        nav.windows aria-label="Window" {
            @for w in WINDOWS {
                a href=(format!("/overview?days={w}")) aria-current=[(w == days).then_some("page")] { (w) " days" }
            }
        }
        dl.stats {
            (stat("live-now", "Grants live now", &r.live_now.to_string()))
            (stat("requests", "Requests", &requests.to_string()))
            (stat("decided", "Decided", &format!("{} approved, {} denied", r.decisions.approved, r.decisions.denied)))
            (stat("median", "Median wait for a decision", &wait(r.decisions.median_seconds)))
            (stat("p90", "90% decided within", &wait(r.decisions.p90_seconds)))
        }
        div.charts {
            (columns("live-grants", "Grants live per day", "grants", &series(|d| d.live_grants)))
            (columns("requests-per-day", "Requests per day", "requests", &series(|d| d.requests)))
            (bars("top-roles", "Most requested roles", "requests", &ranked(&r.roles), r.roles.others))
            (bars("anomaly-rules", "Anomalies by rule", "anomalies", &ranked(&r.anomaly_rules), r.anomaly_rules.others))
        }
        p.hint { "The same figures as JSON: " code { "GET /v1/reports/overview?days=" (days) } "." }
    };
    Ok(respond(StatusCode::OK, page(&chrome, "Overview", body)))
}

fn stat(id: &str, label: &str, value: &str) -> Markup {
    html! { div.stat id=(id) { dt { (label) } dd { (value) } } }
}

/// `75` → `1m 15s`; nothing decided → `n/a`.
fn wait(seconds: Option<u64>) -> String {
    let Some(s) = seconds else {
        return "n/a".into();
    };
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::wait;

    #[test]
    fn waits_read_in_the_largest_units() {
        assert_eq!(wait(None), "n/a");
        assert_eq!(wait(Some(42)), "42s");
        assert_eq!(wait(Some(75)), "1m 15s");
        assert_eq!(wait(Some(7260)), "2h 1m");
        assert_eq!(wait(Some(90_000)), "1d 1h");
    }
}
