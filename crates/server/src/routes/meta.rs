//! Service endpoints and what-exists queries: health, metrics, whoami, roles, policies.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use wicket_core::{Duration, Power, Time};
use wicket_store::GrantFilter;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::openapi::{formats, grants};
use crate::view::{GrantView, Items};
use wicket_engine::access;
use wicket_engine::app::{App, now};

/// How the server is.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok` (`/healthz`), `ready` or `database unavailable` (`/readyz`).
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "service",
    summary = "liveness",
    security(()),
    responses((status = 200, description = "the server answers", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "service",
    summary = "readiness: the database answers",
    security(()),
    responses(
        (status = 200, description = "`ready`", body = Health),
        (status = 503, description = "`database unavailable`", body = Health),
    )
)]
pub async fn readyz(State(app): State<App>) -> impl IntoResponse {
    // Known down: say so at once. Otherwise ask the store, but never for long.
    let probe = match app.health.down() {
        Some(why) => Err(why),
        None => match tokio::time::timeout(
            wicket_engine::health::PROBE_DEADLINE,
            app.store.audit_head(),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                app.health.failed(&e);
                Err(e.to_string())
            }
            Err(_) => Err("the database does not answer".to_string()),
        },
    };
    match probe {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ready" })),
        Err(why) => {
            tracing::warn!(reason = %why, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "database unavailable",
                }),
            )
        }
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "service",
    summary = "Prometheus metrics",
    description = "Prometheus text format: wicket_checks_total{decision}, wicket_check_duration_seconds (histogram), wicket_requests{state}, wicket_grants_live, wicket_reviews_total, wicket_revocations_total, wicket_anomalies_total{rule,severity}, wicket_webhook_deliveries_total{sink,outcome}, wicket_audit_events_total, wicket_audit_append_duration_seconds (histogram), wicket_gateway_sessions_total, wicket_gateway_sessions_open, wicket_gateway_statements_total{decision}.",
    security(()),
    responses((status = 200, description = "the metrics", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let requests_by_state = match app.store.count_requests().await {
        Ok(counts) => Some(counts),
        Err(e) => {
            tracing::warn!(error = %e, "counting requests for /metrics failed");
            None
        }
    };
    let gauges = wicket_engine::metrics::Gauges {
        live_grants: app.index().grant_count(),
        requests_by_state,
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(&gauges),
    )
}

/// A role held without asking, and when that ends.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandingView {
    role: String,
    #[schema(value_type = Option<formats::Time>, required = true)]
    expires_at: Option<Time>,
}

/// Who the caller is and what they hold.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Whoami {
    user: String,
    groups: Vec<String>,
    /// Roles held by binding.
    standing: Vec<StandingView>,
    /// Grants active or scheduled now.
    #[schema(value_type = Vec<grants::Grant>)]
    grants: Vec<GrantView>,
    /// The wicket powers held, like `wicket:audit.read`.
    #[schema(value_type = Vec<crate::openapi::powers::Power>)]
    powers: Vec<&'static str>,
}

#[utoipa::path(
    get,
    path = "/v1/whoami",
    operation_id = "whoami",
    tag = "identity",
    summary = "user, groups, standing roles, live grants, wicket powers",
    responses((status = 200, description = "the caller", body = Whoami))
)]
pub async fn whoami(State(app): State<App>, caller: Caller) -> ApiResult<Json<Whoami>> {
    let now = now();
    let groups = app.groups_of(&caller.user);
    let standing: Vec<StandingView> = access::standing_roles(&app, &caller.user, now)
        .into_iter()
        .map(|s| StandingView {
            role: s.role,
            expires_at: s.expires_at,
        })
        .collect();
    let grants: Vec<GrantView> = app
        .store
        .list_grants(&GrantFilter {
            user: Some(caller.user.clone()),
            live_at: Some(now),
            ..Default::default()
        })
        .await?
        .into_iter()
        .map(|g| GrantView::new(g, now))
        .collect();
    let powers: Vec<&'static str> = Power::ALL
        .into_iter()
        .filter(|p| app.has_power(&caller.user, *p))
        .map(Power::as_str)
        .collect();
    Ok(Json(Whoami {
        user: caller.user,
        groups,
        standing,
        grants,
        powers,
    }))
}

/// One permission of a role: any of `actions` on any of `resources` (patterns).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionView {
    actions: Vec<String>,
    resources: Vec<String>,
}

/// A role and what it allows.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleView {
    name: String,
    #[schema(required = true)]
    description: Option<String>,
    permissions: Vec<PermissionView>,
}

#[utoipa::path(
    get,
    path = "/v1/roles",
    operation_id = "list_roles",
    tag = "identity",
    summary = "every role",
    responses((status = 200, description = "the roles of the configuration", body = Items<RoleView>))
)]
pub async fn roles(State(app): State<App>, _caller: Caller) -> Json<Items<RoleView>> {
    let items = app
        .config
        .roles
        .iter()
        .map(|r| RoleView {
            name: r.name.clone(),
            description: r.description.clone(),
            permissions: r
                .permissions
                .iter()
                .map(|p| PermissionView {
                    actions: p.actions.iter().map(ToString::to_string).collect(),
                    resources: p.resources.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        })
        .collect();
    Json(Items { items })
}

/// One approval step: any `min_approvals` of `approvers` approve it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepView {
    /// Subjects, `user:NAME` or `group:NAME`.
    approvers: Vec<String>,
    min_approvals: u32,
}

fn step_views(steps: &[wicket_core::config::Step]) -> Vec<StepView> {
    steps
        .iter()
        .map(|s| StepView {
            approvers: s.approvers.iter().map(ToString::to_string).collect(),
            min_approvals: s.min_approvals,
        })
        .collect()
}

/// A policy the caller may request under.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyView {
    name: String,
    roles: Vec<String>,
    #[schema(value_type = formats::Duration)]
    max_duration: Duration,
    #[schema(value_type = formats::Duration)]
    default_duration: Duration,
    require_reason: bool,
    /// The pattern a ticket must match, if one is required.
    #[schema(required = true)]
    ticket_pattern: Option<String>,
    /// How long a request waits for a decision.
    #[schema(value_type = formats::Duration)]
    request_ttl: Duration,
    steps: Vec<StepView>,
    /// The steps an extension of a grant goes through (`[]`: extended at once).
    extend_steps: Vec<StepView>,
    /// The longest a grant's whole window may become through extensions.
    #[schema(value_type = formats::Duration)]
    max_extended: Duration,
    break_glass: bool,
}

#[utoipa::path(
    get,
    path = "/v1/policies",
    operation_id = "list_policies",
    tag = "identity",
    summary = "the policies I may request under",
    responses((status = 200, description = "the caller's policies", body = Items<PolicyView>))
)]
pub async fn policies(State(app): State<App>, caller: Caller) -> Json<Items<PolicyView>> {
    let groups = &app.groups_of(&caller.user);
    let items = app
        .config
        .policies
        .iter()
        .filter(|p| p.covers_requester(&caller.user, groups))
        .map(|p| PolicyView {
            name: p.name.clone(),
            roles: p.roles.clone(),
            max_duration: p.max_duration,
            default_duration: p.default_duration,
            require_reason: p.require_reason,
            ticket_pattern: p.ticket_pattern_text.clone(),
            request_ttl: p.request_ttl,
            steps: step_views(&p.steps),
            extend_steps: step_views(p.steps_for(true)),
            max_extended: p.max_extended,
            break_glass: p.break_glass,
        })
        .collect();
    Json(Items { items })
}
