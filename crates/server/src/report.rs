//! Reports over the audit log: `GET /v1/reports/usage`, the evidence for narrowing roles.

pub mod usage;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use wicket_core::{Power, time};
use wicket_store::AuditFilter;

use crate::auth::Caller;
use crate::body::QueryParams;
use crate::error::ApiResult;
use crate::routes::audit::export::time_or_age;
use wicket_engine::app::{App, now};

use self::usage::Usage;

/// Events read per page.
const PAGE: i64 = 1000;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// RFC 3339, or an age like `30d` (the default).
    since: Option<String>,
    until: Option<String>,
}

/// `GET /v1/reports/usage?since=30d`: per role, permissions granted against those exercised.
pub async fn usage(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<UsageQuery>,
) -> ApiResult<Json<Value>> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let at = now();
    let since = time_or_age("since", q.since.as_deref().unwrap_or("30d"), at)?;
    let until = q
        .until
        .as_deref()
        .map(|t| time_or_age("until", t, at))
        .transpose()?;
    let mut report = Usage::default();
    let mut filter = AuditFilter {
        since: Some(since),
        until,
        limit: Some(PAGE),
        ..AuditFilter::default()
    };
    loop {
        let page = app.store.list_events(&filter).await?;
        for e in &page {
            // A grant activated before the window but used in it: its role from the store.
            if let Some((grant, _, _)) = Usage::use_of(e)
                && !report.knows(grant)
                && let Some(g) = app.store.get_grant(grant).await?
            {
                report.grant(&g.id, &g.role);
            }
            report.observe(&app.config, e);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => filter.after = Some(last.seq),
            _ => break,
        }
    }
    let events = report.events;
    let (roles, never_used) = report.finish(&app.config);
    Ok(Json(json!({
        "since": time::format(since),
        "until": time::format(until.unwrap_or(at)),
        "events": events,
        "roles": roles,
        "never_used": never_used,
    })))
}
