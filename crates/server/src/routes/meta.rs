//! Service endpoints and what-exists queries: health, metrics, spec, whoami, roles, policies.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use serde_json::{Value, json};
use wicket_core::{Duration, Power, Time};
use wicket_store::GrantFilter;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::view::{GrantView, Items};
use wicket_engine::access;
use wicket_engine::app::{App, now};

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

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
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(why) => {
            tracing::warn!(reason = %why, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable"})),
            )
        }
    }
}

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

pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}

#[derive(Serialize)]
struct StandingView {
    role: String,
    expires_at: Option<Time>,
}

pub async fn whoami(State(app): State<App>, caller: Caller) -> ApiResult<Json<Value>> {
    let now = now();
    let groups = app.config.groups_of(&caller.user).to_vec();
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
    let held: Vec<&str> = Power::ALL
        .into_iter()
        .filter(|p| app.has_power(&caller.user, *p))
        .map(Power::as_str)
        .collect();
    Ok(Json(json!({
        "user": caller.user,
        "groups": groups,
        "standing": standing,
        "grants": grants,
        "powers": held,
    })))
}

pub async fn roles(State(app): State<App>, _caller: Caller) -> Json<Value> {
    let items: Vec<Value> = app
        .config
        .roles
        .iter()
        .map(|r| {
            let permissions: Vec<Value> = r
                .permissions
                .iter()
                .map(|p| {
                    let actions: Vec<String> = p.actions.iter().map(ToString::to_string).collect();
                    let resources: Vec<String> =
                        p.resources.iter().map(ToString::to_string).collect();
                    json!({"actions": actions, "resources": resources})
                })
                .collect();
            json!({"name": r.name, "description": r.description, "permissions": permissions})
        })
        .collect();
    Json(json!({ "items": items }))
}

#[derive(Serialize)]
pub struct StepView {
    approvers: Vec<String>,
    min_approvals: u32,
}

#[derive(Serialize)]
pub struct PolicyView {
    name: String,
    roles: Vec<String>,
    max_duration: Duration,
    default_duration: Duration,
    require_reason: bool,
    ticket_pattern: Option<String>,
    request_ttl: Duration,
    steps: Vec<StepView>,
    break_glass: bool,
}

/// The policies the caller may request under.
pub async fn policies(State(app): State<App>, caller: Caller) -> Json<Items<PolicyView>> {
    let groups = app.config.groups_of(&caller.user);
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
            steps: p
                .steps
                .iter()
                .map(|s| StepView {
                    approvers: s.approvers.iter().map(ToString::to_string).collect(),
                    min_approvals: s.min_approvals,
                })
                .collect(),
            break_glass: p.break_glass,
        })
        .collect();
    Json(Items { items })
}
