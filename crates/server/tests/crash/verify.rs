//! What must hold after every restart: everything acknowledged is there, no transition is
//! half applied, and the audit chain verifies.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::client::Api;
use crate::grants::of_grants;
use crate::ledger::Ledger;

/// Checks the ledger against the server, as `root` (who holds every power).
pub async fn everything_acknowledged_is_there(api: &Api, root: &str, ledger: &Ledger) {
    for (id, acked) in ledger.requests() {
        let (s, r) = api
            .must(Method::GET, &format!("/v1/requests/{id}"), root, None)
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "acknowledged request {id} is missing: {r}"
        );
        let state = r["state"].as_str().unwrap();
        let reviewers: BTreeSet<String> = r["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["reviewer"].as_str().unwrap().to_string())
            .collect();
        assert!(
            acked.reviewers.is_subset(&reviewers),
            "request {id} lost an acknowledged review: acknowledged {:?}, stored {r}",
            acked.reviewers
        );
        if acked.approved {
            assert_eq!(
                state, "approved",
                "request {id} was acknowledged approved: {r}"
            );
            let grants = of_grants(&r, "id");
            assert_eq!(grants, acked.grants, "request {id} lost its grants: {r}");
        } else {
            assert!(
                state == "pending" || state == "approved",
                "request {id} was acknowledged pending, is {state}: {r}"
            );
        }
    }
    for grant in ledger.revocations() {
        let (s, g) = api
            .must(Method::GET, &format!("/v1/grants/{grant}"), root, None)
            .await;
        assert_eq!(
            (s, g["status"].as_str()),
            (StatusCode::OK, Some("revoked")),
            "acknowledged revocation of {grant} is lost: {g}"
        );
    }
}

/// Every request and grant the server holds is whole: an approved request has one grant per
/// role, a request not approved has none, an approved two-step request has both approvals,
/// and every grant belongs to an approved request. Returns how many requests were checked.
pub async fn nothing_half_applied(api: &Api, root: &str) -> usize {
    let (s, v) = api
        .must(Method::GET, "/v1/requests?limit=1000", root, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let requests = v["items"].as_array().unwrap();
    let mut approved = BTreeSet::new();
    for r in requests {
        let roles = r["roles"].as_array().unwrap().len();
        let grants = r["grants"].as_array().unwrap();
        let approvals = r["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["decision"] == "approve")
            .count();
        match r["state"].as_str().unwrap() {
            "approved" => {
                assert_eq!(grants.len(), roles, "approved without all its grants: {r}");
                assert_eq!(approvals, r["steps"].as_u64().unwrap() as usize, "{r}");
                approved.insert(r["id"].as_str().unwrap().to_string());
            }
            _ => assert!(grants.is_empty(), "grants of a request not approved: {r}"),
        }
    }
    let (s, v) = api
        .must(Method::GET, "/v1/grants?limit=1000", root, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    if requests.len() < 1000 {
        for g in v["items"].as_array().unwrap() {
            let request = g["request_id"].as_str().unwrap();
            assert!(
                approved.contains(request),
                "a grant of no approved request: {g}"
            );
        }
    }
    requests.len()
}

/// The audit chain verifies; returns its length.
pub async fn chain_verifies(api: &Api, root: &str) -> u64 {
    let (s, v) = api.must(Method::GET, "/v1/audit/verify", root, None).await;
    assert_eq!((s, &v["ok"]), (StatusCode::OK, &Value::Bool(true)), "{v}");
    v["events"].as_u64().unwrap()
}
