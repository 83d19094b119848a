//! Deactivating or deleting a person through SCIM ends everything they hold: their token is
//! refused, their grants revoked, their pending requests cancelled, their checks denied; and
//! a later reactivation brings none of it back.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{CONFIG, Scim, spawn_scim};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// `ann` in group `sre`, with a live grant of `db-read` and a pending request for `db-write`.
async fn ann_with_access(s: &Scim) -> (String, String, String, String) {
    let id = s.user("ann").await;
    let (status, g) = s
        .scim(
            Method::POST,
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "sre", "members": [{"value": id}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let token = s.token("ann").await;
    let (status, granted) = s
        .api(
            Method::POST,
            "/v1/requests",
            &token,
            Some(json!({"roles": ["db-read"], "duration": "30m"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{granted}");
    assert_eq!(granted["state"], "approved", "{granted}");
    let grant = granted["grants"][0]["id"].as_str().unwrap().to_string();
    let (status, pending) = s
        .api(
            Method::POST,
            "/v1/requests",
            &token,
            Some(json!({"roles": ["db-write"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pending}");
    assert_eq!(pending["state"], "pending");
    let (status, d) = s
        .api(
            Method::POST,
            "/v1/check",
            &token,
            Some(json!({"action": "db:select", "resource": "db/orders"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d["allowed"], true, "{d}");
    (
        id,
        token,
        grant,
        pending["id"].as_str().unwrap().to_string(),
    )
}

async fn assert_cut_off(s: &Scim, token: &str, grant: &str, request: &str) {
    let (status, body) = s.api(Method::GET, "/v1/whoami", token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let boss = s.token("boss").await;
    let (_, g) = s
        .api(Method::GET, &format!("/v1/grants/{grant}"), &boss, None)
        .await;
    assert_eq!(g["status"], "revoked", "{g}");
    assert_eq!(g["revoked_by"], "scim", "{g}");
    let (_, r) = s
        .api(Method::GET, &format!("/v1/requests/{request}"), &boss, None)
        .await;
    assert_eq!(r["state"], "cancelled", "{r}");
    let (_, d) = s
        .api(
            Method::POST,
            "/v1/check",
            &boss,
            Some(json!({
                "subject": "user:ann", "action": "db:select", "resource": "db/orders",
            })),
        )
        .await;
    assert_eq!(d["allowed"], false, "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_a_person_ends_their_grants_tokens_and_requests() {
    let s = spawn_scim(CONFIG).await;
    let (id, token, grant, request) = ann_with_access(&s).await;
    let (status, body) = s
        .scim(Method::PATCH, &format!("/Users/{id}"), Some(json!({
            "schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}],
        })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_cut_off(&s, &token, &grant, &request).await;

    // Reactivated: they are known again, but what was ended stays ended.
    let (status, _) = s
        .scim(Method::PATCH, &format!("/Users/{id}"), Some(json!({
            "schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": true}],
        })))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.api(Method::GET, "/v1/whoami", &token, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked token stays revoked"
    );
    let fresh = s.token("ann").await;
    let (status, who) = s.api(Method::GET, "/v1/whoami", &fresh, None).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["groups"], json!(["sre"]), "{who}");

    let boss = s.token("boss").await;
    let (_, audit) = s
        .api(
            Method::GET,
            "/v1/audit?kind=identity.user.deactivated",
            &boss,
            None,
        )
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");
    let (_, audit) = s
        .api(Method::GET, "/v1/audit?kind=token.revoked", &boss, None)
        .await;
    let revoked: Vec<&Value> = audit["items"].as_array().unwrap().iter().collect();
    assert_eq!(revoked.len(), 1, "{audit}");
    assert_eq!(revoked[0]["actor"], "scim");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_person_ends_their_access_too() {
    let s = spawn_scim(CONFIG).await;
    let (id, token, grant, request) = ann_with_access(&s).await;
    let (status, _) = s.scim(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_cut_off(&s, &token, &grant, &request).await;
}
