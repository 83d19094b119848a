//! `POST /v1/check` and `/v1/check/batch`: decisions from the in-memory index, audited when
//! denied or allowed through a grant.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wicket_core::audit::EventBuilder;
use wicket_core::config::retention::AllowedChecks;
use wicket_core::{Action, Decision, NewEvent, Power, Resource, Time};

use crate::auth::Caller;
use crate::body::{JsonBody, Object};
use crate::error::{ApiError, ApiResult};
use crate::openapi::errors::ErrorBody;
use crate::openapi::{checks, formats};
use wicket_core::audit::EventKind;
use wicket_engine::app::{App, now};
use wicket_engine::ids::new_id;

/// The most checks one batch may carry.
pub const MAX_BATCH: usize = 1000;

/// May `subject` do `action` on `resource` now?
#[derive(Deserialize, ToSchema)]
#[schema(as = Check, example = json!({"action": "db:select", "resource": "postgres/prod/orders/public/orders"}))]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The user the check is about (the caller when left out; another user takes
    /// `wicket:check.others`).
    #[schema(value_type = Option<formats::UserRef>)]
    subject: Option<String>,
    #[schema(value_type = formats::Action)]
    action: String,
    #[schema(value_type = formats::Resource)]
    resource: String,
    /// A question, not an attempt (`wicket check` sends it): audited with `"dry_run": true`
    /// in its details, and neither a use of a grant nor a denial for the monitor's rules and
    /// the usage report.
    dry_run: Option<bool>,
}

/// Many checks at once.
#[derive(Deserialize, ToSchema)]
#[schema(as = CheckBatch)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    #[schema(value_type = Vec<CheckBody>, max_items = 1000)]
    checks: Vec<Object<CheckBody>>,
}

/// One decision per check, in order.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    #[schema(value_type = Vec<checks::Decision>)]
    results: Vec<Decision>,
}

/// The user a check is about: the caller, or another user with `wicket:check.others`.
fn subject_user(app: &App, caller: &Caller, subject: Option<&str>) -> ApiResult<String> {
    let user = match subject {
        None => return Ok(caller.user.clone()),
        Some(s) => crate::params::user_ref(s).map_err(|e| {
            ApiError::bad_request("invalid_subject", format!("checks are about users: {e}"))
        })?,
    };
    if user != caller.user {
        app.require_power(&caller.user, Power::CheckOthers)?;
    }
    Ok(user)
}

fn parse(body: &CheckBody) -> ApiResult<(Action, Resource)> {
    let action =
        Action::parse(&body.action).map_err(|e| ApiError::bad_request("invalid_action", e))?;
    let resource = Resource::parse(&body.resource)
        .map_err(|e| ApiError::bad_request("invalid_resource", e))?;
    Ok((action, resource))
}

/// How a check is audited: every allow (`allowed_checks = "all"`) or only grants', and
/// whether it is a dry run.
#[derive(Clone, Copy)]
struct How {
    all: bool,
    dry_run: bool,
}

/// The audit event a check leaves: every denial, and every allow that used a grant (with
/// `[audit] allowed_checks = "all"`, every allow).
fn event(
    caller: &Caller,
    user: &str,
    action: &Action,
    resource: &Resource,
    d: &Decision,
    how: How,
    at: Time,
) -> Option<NewEvent> {
    let How { all, dry_run } = how;
    let via_grant = d.via.as_ref().and_then(|v| v.grant_id.clone());
    if d.allowed && via_grant.is_none() && !all {
        return None;
    }
    let kind = if d.allowed {
        EventKind::CheckAllowed
    } else {
        EventKind::CheckDenied
    };
    let mut e = EventBuilder::new(new_id("ev"), at, &caller.user, kind)
        .subject(format!("user:{user}"))
        .action(action.as_str())
        .resource(resource.as_str())
        .decision(if d.allowed { "allow" } else { "deny" })
        .detail("reason", d.reason.clone());
    if dry_run {
        e = e.detail(wicket_core::audit::DRY_RUN, true);
    }
    if let Some(g) = via_grant {
        e = e.grant(g);
    }
    Some(e.build())
}

fn audit_unavailable(message: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "audit_unavailable",
        message,
    )
}

#[utoipa::path(
    post,
    path = "/v1/check",
    operation_id = "check",
    tag = "checks",
    summary = "may the subject do the action on the resource now?",
    description = "Every denial, and every allow through a grant, is audited (every allow with `[audit] allowed_checks = \"all\"`). A `dry_run` check is audited too, marked so, and counts neither as a use nor towards a burst of denials.",
    request_body = CheckBody,
    responses(
        (status = 200, description = "the decision", body = checks::Decision),
        (status = 400, description = "a bad value: `invalid_action`, `invalid_resource`, `invalid_subject`", body = ErrorBody),
        (status = 403, description = "a check about another user without `wicket:check.others`: `missing_power`", body = ErrorBody),
        (status = 503, description = "the audit log could not record it: `audit_unavailable`", body = ErrorBody),
    )
)]
pub async fn check(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<CheckBody>,
) -> ApiResult<Json<Decision>> {
    let started = std::time::Instant::now();
    let user = subject_user(&app, &caller, body.subject.as_deref())?;
    let (action, resource) = parse(&body)?;
    let at = now();
    let decision = app.decide(&user, &action, &resource, at);
    app.metrics.check(decision.allowed);
    let dry_run = body.dry_run == Some(true);
    let all = app.config.audit.allowed_checks == AllowedChecks::All;
    let how = How { all, dry_run };
    if let Some(e) = event(&caller, &user, &action, &resource, &decision, how, at) {
        app.audit.append(e).await.map_err(audit_unavailable)?;
    }
    app.metrics.check_latency(started.elapsed());
    Ok(Json(decision))
}

#[utoipa::path(
    post,
    path = "/v1/check/batch",
    operation_id = "check_batch",
    tag = "checks",
    summary = "many checks at once",
    description = "A bad check fails the batch, naming it (`checks[3]: ...`).",
    request_body = BatchBody,
    responses(
        (status = 200, description = "one decision per check, in order", body = BatchResult),
        (status = 400, description = "a bad value: `invalid_action`, `invalid_resource`, `invalid_subject`, `batch_too_large`", body = ErrorBody),
        (status = 403, description = "a check about another user without `wicket:check.others`: `missing_power`", body = ErrorBody),
        (status = 503, description = "the audit log could not record it: `audit_unavailable`", body = ErrorBody),
    )
)]
pub async fn batch(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<BatchBody>,
) -> ApiResult<Json<BatchResult>> {
    let started = std::time::Instant::now();
    if body.checks.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("a batch may carry at most {MAX_BATCH} checks"),
        ));
    }
    let mut parsed = Vec::with_capacity(body.checks.len());
    for (i, Object(c)) in body.checks.iter().enumerate() {
        let user = subject_user(&app, &caller, c.subject.as_deref()).map_err(|e| ApiError {
            message: format!("checks[{i}]: {}", e.message),
            ..e
        })?;
        let (a, r) = parse(c).map_err(|e| ApiError {
            message: format!("checks[{i}]: {}", e.message),
            ..e
        })?;
        parsed.push((user, a, r, c.dry_run == Some(true)));
    }
    let at = now();
    let results: Vec<Decision> = {
        let index = app.index();
        parsed
            .iter()
            .map(|(u, a, r, _)| wicket_core::decide(&index, u, a, r, at))
            .collect()
    };
    let all = app.config.audit.allowed_checks == AllowedChecks::All;
    let events: Vec<NewEvent> = parsed
        .iter()
        .zip(&results)
        .filter_map(|((u, a, r, dry), d)| {
            app.metrics.check(d.allowed);
            event(&caller, u, a, r, d, How { all, dry_run: *dry }, at)
        })
        .collect();
    app.audit
        .append_all(events)
        .await
        .map_err(audit_unavailable)?;
    // Each check of a batch waited as long as the batch.
    app.metrics.checks_latency(started.elapsed(), results.len());
    Ok(Json(BatchResult { results }))
}
