//! The authorization matrix: every operation of the spec × every kind of caller, with the
//! status each must get. The table must name every route the server registers, and every
//! method a route does not register answers 405: nothing is reachable that the table does
//! not allow. The web UI's routes are covered at a coarse level in [`ui`].

mod callers;
mod routes;
mod ui;

use reqwest::Method;
use serde_json::{Value, json};

use callers::{COLUMNS, Fixture, fixture, setup};

const A: u16 = 401;
const F: u16 = 403;
const OK: u16 = 200;
const NEW: u16 = 201;
/// No policy lets this caller request the role.
const POL: u16 = 422;
/// The server of the matrix provisions no database.
const NF: u16 = 404;

/// One endpoint called one way: `{request}`, `{grant}` and `{token}` in the path stand for a
/// fresh fixture's; `mutates` rows get a fresh fixture for every cell.
struct Row {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    mutates: bool,
    expect: [u16; 14],
}

fn row(method: &'static str, path: &'static str, body: Option<Value>, expect: [u16; 14]) -> Row {
    Row {
        method,
        path,
        body,
        mutates: method != "GET" && path.contains('{'),
        expect,
    }
}

#[rustfmt::skip]
fn table() -> Vec<Row> {
    let check = json!({"action": "logs:view", "resource": "logs/prod/api"});
    let check_alice = json!({"subject": "user:alice", "action": "logs:view", "resource": "logs/prod/api"});
    vec![
        //                                                       anon bad exp rev  req oth appr aud rqr rvk chk tok pol out
        row("GET", "/healthz", None,                            [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/readyz", None,                             [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/metrics", None,                            [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/openapi.json", None,                       [OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/v1/whoami", None,                          [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/v1/roles", None,                           [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/v1/policies", None,                        [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("POST", "/v1/check", Some(check.clone()),           [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("POST", "/v1/check", Some(check_alice.clone()),     [A,  A,  A,  A,  OK, F,  F,  F,  F,  F,  OK, F,  F,  F]),
        row("POST", "/v1/check/batch", Some(json!({"checks": [check]})),
                                                                [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("POST", "/v1/check/batch", Some(json!({"checks": [check_alice]})),
                                                                [A,  A,  A,  A,  OK, F,  F,  F,  F,  F,  OK, F,  F,  F]),
        row("POST", "/v1/requests", Some(json!({"roles": ["logs-read"]})),
                                                                [A,  A,  A,  A,  NEW,POL,POL,POL,POL,POL,POL,POL,POL,POL]),
        row("GET", "/v1/requests", None,                        [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/v1/requests?requester=alice", None,        [A,  A,  A,  A,  OK, F,  F,  F,  OK, F,  F,  F,  F,  F]),
        row("GET", "/v1/requests/{request}", None,              [A,  A,  A,  A,  OK, OK, OK, F,  OK, F,  F,  F,  F,  F]),
        row("POST", "/v1/requests/{request}/approve", None,     [A,  A,  A,  A,  F,  F,  OK, F,  F,  F,  F,  F,  F,  F]),
        row("POST", "/v1/requests/{request}/deny", None,        [A,  A,  A,  A,  F,  F,  OK, F,  F,  F,  F,  F,  F,  F]),
        row("POST", "/v1/requests/{request}/cancel", None,      [A,  A,  A,  A,  OK, F,  F,  F,  F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/grants", None,                          [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/v1/grants?subject=user:alice", None,       [A,  A,  A,  A,  OK, F,  F,  F,  OK, OK, F,  F,  F,  F]),
        row("GET", "/v1/grants/{grant}", None,                  [A,  A,  A,  A,  OK, F,  F,  F,  OK, OK, F,  F,  F,  F]),
        row("POST", "/v1/grants/{grant}/revoke", Some(json!({"reason": "matrix"})),
                                                                [A,  A,  A,  A,  OK, F,  F,  F,  F,  OK, F,  F,  F,  F]),
        row("POST", "/v1/grants/{grant}/extend", Some(json!({"by": "30m"})), // over max_extended
                                                                [A,  A,  A,  A,  POL,F,  F,  F,  F,  F,  F,  F,  F,  F]),
        // The server of the matrix has no `[[reviews]]`, so no campaign: a decision is a 404
        // for every caller, and starting one takes `wicket:reviews.manage`, which no one holds.
        row("GET", "/v1/reviews", None,                         [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("POST", "/v1/reviews/{name}/start", None,           [A,  A,  A,  A,  F,  F,  F,  F,  F,  F,  F,  F,  F,  F]),
        row("POST", "/v1/reviews/{campaign}/items/{id}/certify", None,
                                                                [A,  A,  A,  A,  NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        row("POST", "/v1/reviews/{campaign}/items/{id}/revoke", None,
                                                                [A,  A,  A,  A,  NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        row("GET", "/v1/reviews/{campaign}/report", None,       [A,  A,  A,  A,  F,  F,  F,  NF, F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/audit", None,                           [A,  A,  A,  A,  F,  F,  F,  OK, F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/audit/verify", None,                    [A,  A,  A,  A,  F,  F,  F,  OK, F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/anomalies", None,                       [A,  A,  A,  A,  F,  F,  F,  OK, F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/reports/usage", None,                  [A,  A,  A,  A,  F,  F,  F,  OK, F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/reports/overview", None,               [A,  A,  A,  A,  F,  OK, OK, OK, F,  F,  F,  F,  F,  F]),
        row("GET", "/v1/tokens", None,                          [A,  A,  A,  A,  OK, OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row("GET", "/v1/tokens?user=alice", None,               [A,  A,  A,  A,  OK, F,  F,  F,  F,  F,  F,  OK, F,  F]),
        row("POST", "/v1/tokens", Some(json!({})),              [A,  A,  A,  A,  NEW,NEW,NEW,NEW,NEW,NEW,NEW,NEW,NEW,NEW]),
        row("POST", "/v1/tokens", Some(json!({"user": "alice"})),
                                                                [A,  A,  A,  A,  NEW,F,  F,  F,  F,  F,  F,  NEW,F,  F]),
        row("POST", "/v1/tokens/{token}/revoke", None,          [A,  A,  A,  A,  OK, F,  F,  F,  F,  F,  F,  OK, F,  F]),
        row("DELETE", "/v1/tokens/{token}", None,          [A,  A,  A,  A,  OK, F,  F,  F,  F,  F,  F,  OK, F,  F]),
        row("POST", "/v1/db/creds", Some(json!({"target": "orders"})),
                                                                [A,  A,  A,  A,  NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        // The server of the matrix has no SSH certificate authority.
        row("POST", "/v1/ssh/certs", Some(json!({"public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc8qMP3H3ZbAwRk+3Qp0rJQ7uC4w3f3mQm7y0iK6hQ9 m"})),
                                                                [A,  A,  A,  A,  NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
        row("GET", "/v1/ssh/krl", None,                         [A,  A,  A,  A,  NF, NF, NF, NF, NF, NF, NF, NF, NF, NF]),
    ]
}

/// `/v1/requests/{id}` as the router spells it, for a table path.
fn route_of(path: &str) -> String {
    let path = path.split('?').next().unwrap();
    path.replace("{request}", "{id}")
        .replace("{grant}", "{id}")
        .replace("{token}", "{id}")
}

fn fill(path: &str, f: &Fixture) -> String {
    path.replace("{request}", &f.request)
        .replace("{grant}", &f.grant)
        .replace("{token}", &f.token)
}

#[tokio::test]
async fn every_endpoint_answers_every_caller_as_the_table_says() {
    let table = table();
    // The table covers every operation of the API (each route is registered with its entry
    // in the spec, `crate::spec` checks), and names no route it does not have.
    let api: std::collections::BTreeSet<(String, String)> = super::spec::documented()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let covered: std::collections::BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), route_of(r.path)))
        .collect();
    assert_eq!(covered, api, "the matrix and the router differ");

    let (app, callers) = setup().await;
    let shared = fixture(&app, &callers.alice).await;
    let mut wrong = Vec::new();
    let mut cells = 0;
    for r in &table {
        for (col, token) in callers.tokens.iter().enumerate() {
            let fresh;
            let f = if r.mutates {
                fresh = fixture(&app, &callers.alice).await;
                &fresh
            } else {
                &shared
            };
            let path = fill(r.path, f);
            let method = Method::from_bytes(r.method.as_bytes()).unwrap();
            let (status, body) = app
                .call(method, &path, token.as_deref(), r.body.clone())
                .await;
            cells += 1;
            if status.as_u16() != r.expect[col] {
                wrong.push(format!(
                    "{} {} as {}: expected {}, got {status} {body}",
                    r.method, r.path, COLUMNS[col], r.expect[col]
                ));
            } else if status.as_u16() >= 400 {
                // A refusal says why, in the one error shape.
                let message = body["error"]["message"].as_str().unwrap_or_default();
                if body["error"]["code"].as_str().is_none_or(str::is_empty) || message.is_empty() {
                    wrong.push(format!(
                        "{} {} as {}: {status} without a clear error: {body}",
                        r.method, r.path, COLUMNS[col]
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Every method a route does not register is 405, for anyone.
    let alice = Some(callers.alice.as_str());
    let paths: std::collections::BTreeSet<&String> = api.iter().map(|(_, p)| p).collect();
    for path in paths {
        let concrete = path.replace("{id}", &shared.request);
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if api.contains(&(method.to_string(), path.clone())) {
                continue;
            }
            for token in [None, alice] {
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let (status, body) = app.call(m, &concrete, token, None).await;
                assert_eq!(status.as_u16(), 405, "{method} {path}: {body}");
                assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
            }
        }
    }
    eprintln!(
        "authorization matrix: {} rows × {} callers = {cells} cells as the table says",
        table.len(),
        COLUMNS.len()
    );
}
