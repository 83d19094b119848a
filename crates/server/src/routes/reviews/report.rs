//! A campaign's report as CSV: one row per item, with the campaign's facts on every row, for
//! an auditor's spreadsheet; and as a JSON download, for the web page's link.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use wicket_core::review::Campaign;
use wicket_core::time::format;

/// The header row.
pub const COLUMNS: &str = "campaign,review,started_at,deadline,closed_at,item,kind,subject,role,grant_id,reviewers,decision,decided_by,decided_at,comment";

/// `value` as one CSV field: quoted when it holds a comma, a quote or a line break, and
/// prefixed with `'` when a spreadsheet would read it as a formula.
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The report's text.
pub fn text(c: &Campaign) -> String {
    let mut out = String::from(COLUMNS);
    out.push('\n');
    let closed = c.closed_at.map(format).unwrap_or_default();
    for i in &c.items {
        let row = [
            c.id.clone(),
            c.review.clone(),
            format(c.started_at),
            format(c.deadline),
            closed.clone(),
            i.id.clone(),
            i.kind.as_str().to_string(),
            i.subject.clone(),
            i.role.clone(),
            i.grant_id.clone().unwrap_or_default(),
            i.reviewers.join(" "),
            i.decision.as_str().to_string(),
            i.decided_by.clone().unwrap_or_default(),
            i.decided_at.map(format).unwrap_or_default(),
            i.comment.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = row.iter().map(|v| field(v)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

pub fn csv(c: &Campaign) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"review-{}.csv\"", c.id),
            ),
        ],
        text(c),
    )
        .into_response()
}

/// The campaign as a JSON file to save (the page's download; the API answers plain JSON).
pub fn json_file(c: &Campaign) -> Response {
    match serde_json::to_vec_pretty(c) {
        Ok(body) => (
            [
                (CONTENT_TYPE, "application/json".to_string()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"review-{}.json\"", c.id),
                ),
            ],
            body,
        )
            .into_response(),
        Err(_) => crate::error::ApiError::internal().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
    }
}
