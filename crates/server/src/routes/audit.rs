//! The audit log over HTTP: pages of events (or the whole stream as JSONL), chain
//! verification, anomalies.

pub mod export;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wicket_core::{Anomaly, AuditEvent, Power, Severity};
use wicket_store::{AnomalyFilter, AuditFilter};

use crate::auth::Caller;
use crate::body::QueryParams;
use crate::error::{ApiError, ApiResult};
use crate::openapi::audit as schema;
use crate::openapi::errors::ErrorBody;
use crate::openapi::formats;
use crate::paging::{After, DEFAULT_AUDIT_PAGE, Limit};
use crate::params;
use crate::view::Items;
use wicket_engine::app::App;
use wicket_engine::verify::verify_chain;

/// How `/v1/audit` answers.
#[derive(Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A page: `items`, `next_after` and `head`.
    #[default]
    Json,
    /// Every matching event, one JSON object a line, streamed (`application/x-ndjson`).
    Jsonl,
}

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events after this `seq` (the `next_after` of the previous page).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<After>,
    /// At most this many events, oldest first (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 100)]
    limit: Option<Limit>,
    /// Only the events of this request.
    #[param(value_type = Option<formats::Id>)]
    request_id: Option<String>,
    /// Only the events of this grant.
    #[param(value_type = Option<formats::Id>)]
    grant_id: Option<String>,
    /// Only the events of this actor (a user, or `wicket`).
    #[param(value_type = Option<formats::Text>)]
    actor: Option<String>,
    /// Only events of this kind, or of kinds under a prefix like `request.*`.
    #[param(value_type = Option<schema::KindFilter>)]
    kind: Option<String>,
    /// `json` (a page, the default) or `jsonl` (every matching event, streamed).
    format: Option<Format>,
    /// Only events at or after this time: RFC 3339, or an age like `30d`.
    #[param(value_type = Option<formats::TimeOrAge>)]
    since: Option<String>,
    /// Only events before this time: RFC 3339, or an age like `7d`.
    #[param(value_type = Option<formats::TimeOrAge>)]
    until: Option<String>,
}

/// A page of the audit log.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    #[schema(value_type = Vec<schema::AuditEvent>)]
    items: Vec<AuditEvent>,
    /// Pass as `after` for the next page; null when this page is the last.
    #[schema(required = true)]
    next_after: Option<i64>,
    /// The seq of the newest event in the log, where `--follow` starts.
    #[schema(required = true)]
    head: Option<i64>,
}

fn bad_param(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("invalid_query", format!("`{name}`: {message}"))
}

/// The query value `name`, when given, read by `parse`; what `parse` refuses is a
/// [`bad_param`] naming it.
fn param<T, E: std::fmt::Display>(
    name: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> ApiResult<Option<T>> {
    value.map(parse).transpose().map_err(|e| bad_param(name, e))
}

#[utoipa::path(
    get,
    path = "/v1/audit",
    operation_id = "list_audit_events",
    tag = "audit",
    summary = "a page of audit events, or every matching event as JSON lines",
    description = "Needs `wicket:audit.read`. With `format=jsonl`, every matching event (from `after`, ignoring `limit`) streamed as `application/x-ndjson`.",
    params(AuditQuery),
    responses(
        (status = 200, description = "a page (`format=json`), or the events as JSON lines (`format=jsonl`)", content(
            (Page = "application/json"),
            (String = "application/x-ndjson"),
        )),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "without `wicket:audit.read`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<AuditQuery>,
) -> ApiResult<Response> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let at = wicket_engine::app::now();
    let since = export::optional_time_or_age("since", q.since.as_deref(), at)?;
    let until = export::optional_time_or_age("until", q.until.as_deref(), at)?;
    for (name, id) in [("request_id", &q.request_id), ("grant_id", &q.grant_id)] {
        if let Some(id) = id {
            params::id(name, id).map_err(|e| ApiError::bad_request("invalid_query", e))?;
        }
    }
    if let Some(kind) = &q.kind
        && !schema::valid_kind_filter(kind)
    {
        return Err(bad_param(
            "kind",
            format!(
                "unknown kind `{kind}`; give a kind like `request.created` or a prefix like `request.*`"
            ),
        ));
    }
    let streamed = matches!(q.format.unwrap_or_default(), Format::Jsonl);
    let limit = q.limit.map_or(DEFAULT_AUDIT_PAGE, Limit::get);
    let filter = AuditFilter {
        after: q.after.map(After::get),
        limit: Some(limit),
        request_id: q.request_id,
        grant_id: q.grant_id,
        actor: q.actor,
        kind: q.kind,
        since,
        until,
        ..AuditFilter::default()
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

/// A position in the chain.
#[derive(Serialize)]
struct Link {
    seq: i64,
    hash: String,
}

/// The first event that breaks the chain, and how.
#[derive(Serialize)]
struct Break {
    seq: i64,
    reason: String,
}

/// The verification of the chain, as `openapi::audit::ChainReport` describes it.
#[derive(Serialize)]
pub struct Verification {
    ok: bool,
    events: u64,
    head: Option<Link>,
    first_bad: Option<Break>,
    anchor: Option<Link>,
}

#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    operation_id = "verify_audit_chain",
    tag = "audit",
    summary = "verify the hash chain",
    description = "Needs `wicket:audit.read`. From the retention anchor when older events were archived.",
    responses(
        (status = 200, description = "the verification", body = schema::ChainReport),
        (status = 403, description = "without `wicket:audit.read`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn verify(State(app): State<App>, caller: Caller) -> ApiResult<Json<Verification>> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let r = verify_chain(app.store.as_ref()).await?;
    let link = |(seq, hash)| Link { seq, hash };
    Ok(Json(Verification {
        ok: r.ok,
        events: r.events,
        head: r.head.map(link),
        first_bad: r.first_bad.map(|(seq, reason)| Break { seq, reason }),
        anchor: r.anchor.map(link),
    }))
}

#[derive(Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnomalyQuery {
    /// Only anomalies of this severity.
    #[param(value_type = Option<crate::openapi::anomalies::Severity>)]
    severity: Option<String>,
    /// Only anomalies about this user.
    #[param(value_type = Option<formats::UserRef>)]
    subject: Option<String>,
    /// Only anomalies about this grant (also accepted as `grant_id`).
    #[serde(alias = "grant_id")]
    #[param(value_type = Option<formats::Id>)]
    grant: Option<String>,
    /// Only anomalies at or after this time (RFC 3339, inclusive).
    #[param(value_type = Option<formats::Time>)]
    since: Option<String>,
    /// At most this many, newest first (default 1000, all there are up to the cap).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<Limit>,
}

/// Flagged anomalies, newest first; needs `wicket:audit.read`. Filters: `severity` (exact),
/// `subject` (`user:NAME` or a bare user name), `grant` (or `grant_id`), `since` (RFC 3339,
/// inclusive), `limit`.
#[utoipa::path(
    get,
    path = "/v1/anomalies",
    operation_id = "list_anomalies",
    tag = "audit",
    summary = "flagged anomalies, newest first",
    description = "Needs `wicket:audit.read`. Anomalies raised by the `[[anomalies]]` rules and the built-in break-glass rule; each is also an `anomaly.flagged` audit event whose details list the triggering event ids.",
    params(AnomalyQuery),
    responses(
        (status = 200, description = "the anomalies", body = Items<crate::openapi::anomalies::Anomaly>),
        (status = 400, description = "a bad value: `invalid_query`", body = ErrorBody),
        (status = 403, description = "without `wicket:audit.read`: `missing_power`", body = ErrorBody),
    )
)]
pub async fn anomalies(
    State(app): State<App>,
    caller: Caller,
    QueryParams(q): QueryParams<AnomalyQuery>,
) -> ApiResult<Json<Items<Anomaly>>> {
    app.require_power(&caller.user, Power::AuditRead)?;
    let severity = param("severity", q.severity.as_deref(), Severity::parse)?;
    let since = param("since", q.since.as_deref(), params::time)?;
    let subject = param("subject", q.subject.as_deref(), |s| {
        params::user_ref(s)
            .map(|u| format!("user:{u}"))
            .map_err(|e| format!("anomalies are about users: {e}"))
    })?;
    if let Some(g) = &q.grant {
        params::id("grant", g).map_err(|e| ApiError::bad_request("invalid_query", e))?;
    }
    let filter = AnomalyFilter {
        severity,
        subject,
        grant_id: q.grant,
        since,
        limit: q.limit.map(Limit::get),
    };
    Ok(Json(Items {
        items: app.store.list_anomalies(&filter).await?,
    }))
}
