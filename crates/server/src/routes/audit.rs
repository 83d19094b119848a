//! The audit log over HTTP: pages of events (or the whole stream as JSONL), chain
//! verification, anomalies.

pub mod export;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wicket_core::{Anomaly, AuditEvent, Power, Severity, time};
use wicket_store::{AnomalyFilter, AuditFilter};

use crate::auth::Caller;
use crate::body::QueryParams;
use crate::error::{ApiError, ApiResult};
use crate::view::Items;
use wicket_engine::app::App;
use wicket_engine::verify::verify_chain;

const DEFAULT_PAGE: i64 = 100;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    after: Option<i64>,
    limit: Option<i64>,
    request_id: Option<String>,
    grant_id: Option<String>,
    actor: Option<String>,
    kind: Option<String>,
    /// `json` (a page, the default) or `jsonl` (every matching event, streamed).
    format: Option<String>,
    /// Only events at or after this time (RFC 3339, or an age like `30d`).
    since: Option<String>,
    /// Only events before this time.
    until: Option<String>,
}

#[derive(Serialize)]
pub struct Page {
    items: Vec<AuditEvent>,
    next_after: Option<i64>,
    /// The seq of the newest event in the log, where `--follow` starts.
    head: Option<i64>,
}

pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Response> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let at = wicket_engine::app::now();
    let since = q
        .since
        .as_deref()
        .map(|t| export::time_or_age("since", t, at))
        .transpose()?;
    let until = q
        .until
        .as_deref()
        .map(|t| export::time_or_age("until", t, at))
        .transpose()?;
    let streamed = match q.format.as_deref() {
        None | Some("json") => false,
        Some("jsonl") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("unknown `format` `{other}`; use `json` or `jsonl`"),
            ));
        }
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=wicket_store::filter::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "`limit` must be between 1 and {}",
                wicket_store::filter::MAX_LIMIT
            ),
        ));
    }
    let filter = AuditFilter {
        after: q.after,
        limit: Some(limit),
        request_id: q.request_id,
        grant_id: q.grant_id,
        actor: q.actor,
        kind: q.kind,
        since,
        until,
    };
    if streamed {
        return Ok(export::jsonl(app.store.clone(), filter));
    }
    let events = app.store.list_events(&filter).await?;
    let next_after = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    let head = app.store.audit_head().await?.map(|(seq, _)| seq);
    Ok(Json(Page {
        items: events,
        next_after,
        head,
    })
    .into_response())
}

pub async fn verify(State(app): State<App>, caller: Caller) -> ApiResult<Json<Value>> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let r = verify_chain(app.store.as_ref()).await?;
    Ok(Json(json!({
        "ok": r.ok,
        "events": r.events,
        "head": r.head.map(|(seq, hash)| json!({"seq": seq, "hash": hash})),
        "first_bad": r.first_bad.map(|(seq, reason)| json!({"seq": seq, "reason": reason})),
        "anchor": r.anchor.map(|(seq, hash)| json!({"seq": seq, "hash": hash})),
    })))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalyQuery {
    severity: Option<String>,
    subject: Option<String>,
    #[serde(alias = "grant")]
    grant_id: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

fn bad_param(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("invalid_query", format!("`{name}`: {message}"))
}

/// Flagged anomalies, newest first; needs `wicket:audit.read`. Filters: `severity` (exact),
/// `subject` (`user:NAME` or a bare user name), `grant` (or `grant_id`), `since` (RFC 3339,
/// inclusive), `limit`.
pub async fn anomalies(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<AnomalyQuery>,
) -> ApiResult<Json<Items<Anomaly>>> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let severity = q
        .severity
        .as_deref()
        .map(Severity::parse)
        .transpose()
        .map_err(|e| bad_param("severity", e))?;
    let since = q
        .since
        .as_deref()
        .map(time::parse)
        .transpose()
        .map_err(|e| bad_param("since", e))?;
    let subject = match q.subject.as_deref() {
        None => None,
        Some(s) => Some(match wicket_core::Subject::parse(s) {
            Ok(wicket_core::Subject::User(u)) => format!("user:{u}"),
            Ok(wicket_core::Subject::Group(_)) => {
                return Err(bad_param(
                    "subject",
                    "anomalies are about users; give `user:NAME`",
                ));
            }
            Err(_) if !s.contains(':') => wicket_core::subject::parse_name("user", s)
                .map(|u| format!("user:{u}"))
                .map_err(|e| bad_param("subject", e))?,
            Err(e) => return Err(bad_param("subject", e)),
        }),
    };
    if let Some(g) = &q.grant_id
        && (g.is_empty() || g.len() > 128)
    {
        return Err(bad_param("grant", "a grant id is 1 to 128 characters"));
    }
    if let Some(l) = q.limit
        && !(1..=wicket_store::filter::MAX_LIMIT).contains(&l)
    {
        return Err(bad_param(
            "limit",
            format!("must be between 1 and {}", wicket_store::filter::MAX_LIMIT),
        ));
    }
    let filter = AnomalyFilter {
        severity,
        subject,
        grant_id: q.grant_id,
        since,
        limit: q.limit,
    };
    Ok(Json(Items {
        items: app.store.list_anomalies(&filter).await?,
    }))
}
