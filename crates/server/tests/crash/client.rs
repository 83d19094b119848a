//! The client stream: requests, reviews, revocations and checks, as fast as the server
//! answers, each acknowledged answer written to the ledger. A call the server never answered
//! (it was killed) ends the worker; it is not a failure.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::call::call;
use crate::grants::of_grants;
use crate::ledger::Ledger;

/// A pause between one worker's calls, so the ledger stays a size that can be checked in
/// full after every restart.
const PACE: Duration = Duration::from_millis(10);

/// Calls one server; `None` when it did not answer (it is gone).
#[derive(Clone)]
pub struct Api {
    pub addr: String,
    client: reqwest::Client,
}

/// The tokens of the users the stream acts as.
#[derive(Clone)]
pub struct Tokens {
    pub alice: String,
    pub bob: String,
    pub carol: String,
    pub erin: String,
    pub root: String,
}

impl Api {
    pub fn new(addr: &str) -> Api {
        Api {
            addr: addr.to_string(),
            client: reqwest::Client::builder()
                .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Option<(StatusCode, Value)> {
        let (status, value) = call(&self.client, &self.addr, method, path, token, body)
            .await
            .ok()?;
        assert!(status.as_u16() < 500, "{path} answered {status}: {value}");
        Some((status, value))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Option<(StatusCode, Value)> {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// A call that must be answered (the server is up).
    pub async fn must(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, path, token, body)
            .await
            .unwrap_or_else(|| panic!("{path}: the server did not answer"))
    }
}

fn grant_ids(request: &Value) -> Vec<String> {
    of_grants(request, "id")
        .into_iter()
        .map(String::from)
        .collect()
}

/// Self-service requests, approved at once: each acknowledgement carries its grant.
pub async fn self_service(api: Api, t: Tokens, ledger: Arc<Ledger>) -> u64 {
    let mut n = 0;
    let body = json!({"roles": ["logs-read"], "duration": "30s"});
    while let Some((s, v)) = api.post("/v1/requests", &t.alice, body.clone()).await {
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["state"], "approved", "{v}");
        let grants = grant_ids(&v);
        assert_eq!(grants.len(), 1, "{v}");
        ledger.approved(v["id"].as_str().unwrap(), grants, true);
        n += 1;
        tokio::time::sleep(PACE).await;
    }
    n
}

/// Two-step requests: created by alice, approved by bob, then by carol.
pub async fn two_steps(api: Api, t: Tokens, ledger: Arc<Ledger>) -> u64 {
    let mut n = 0;
    let body =
        json!({"roles": ["orders-db-read"], "reason": "INC-7 crash drill", "ticket": "INC-7"});
    loop {
        let Some((s, v)) = api.post("/v1/requests", &t.alice, body.clone()).await else {
            return n;
        };
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::CREATED, Some("pending")),
            "{v}"
        );
        let id = v["id"].as_str().unwrap().to_string();
        ledger.created(&id);
        n += 1;
        // Each step: its approver, the comment, and the state it leaves.
        let steps = [
            ("bob", &t.bob, json!({}), "pending"),
            ("carol", &t.carol, json!({"comment": "ok"}), "approved"),
        ];
        let approve = format!("/v1/requests/{id}/approve");
        for (who, token, body, state) in steps {
            let Some((s, v)) = api.post(&approve, token, body).await else {
                return n;
            };
            assert_eq!(
                (s, v["state"].as_str()),
                (StatusCode::OK, Some(state)),
                "{v}"
            );
            ledger.reviewed(&id, who);
            if state == "approved" {
                ledger.approved(&id, grant_ids(&v), false);
            }
            n += 1;
        }
        tokio::time::sleep(PACE).await;
    }
}

/// Revokes acknowledged grants, and checks (single and batch) between revocations.
pub async fn revoke_and_check(api: Api, t: Tokens, ledger: Arc<Ledger>) -> u64 {
    let mut n = 0;
    loop {
        if let Some(grant) = ledger.take_revocable() {
            let path = format!("/v1/grants/{grant}/revoke");
            let Some((s, v)) = api
                .post(&path, &t.root, json!({"reason": "crash drill"}))
                .await
            else {
                return n;
            };
            match s {
                StatusCode::OK => {
                    assert_eq!(v["status"], "revoked", "{v}");
                    ledger.revoked(&grant);
                }
                // The grant ended by itself before the revocation came.
                StatusCode::CONFLICT => {}
                _ => panic!("revoking {grant}: {s} {v}"),
            }
            n += 1;
        }
        let check = json!({"action": "logs:view", "resource": "logs/prod/api"});
        let Some((s, v)) = api.post("/v1/check", &t.alice, check.clone()).await else {
            return n;
        };
        assert_eq!(s, StatusCode::OK, "{v}");
        let batch = json!({"checks": [check, {"action": "db:select", "resource": "postgres/prod/orders/public/t"}]});
        let Some((s, v)) = api.post("/v1/check/batch", &t.alice, batch).await else {
            return n;
        };
        assert_eq!(s, StatusCode::OK, "{v}");
        n += 2;
        tokio::time::sleep(PACE).await;
    }
}
