//! The hostile HTTP corpus: what each case sends and the status and error code it must get.

use serde_json::{Value, json};

/// One hostile request. `token`: send alice's token; `status` and `code` are what must come
/// back (`code` empty: any code, as long as there is one).
pub struct Case {
    pub label: String,
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, Vec<u8>)>,
    pub body: Option<Vec<u8>>,
    pub token: bool,
    /// Send root's token instead (who holds every power).
    pub root: bool,
    pub status: u16,
    pub code: &'static str,
}

fn post(path: &str, body: impl Into<Vec<u8>>, status: u16, code: &'static str) -> Case {
    let body = body.into();
    Case {
        label: format!(
            "POST {path} {}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        ),
        method: "POST",
        path: path.to_string(),
        headers: vec![("content-type", b"application/json".to_vec())],
        body: Some(body),
        token: true,
        root: false,
        status,
        code,
    }
}

fn post_json(path: &str, body: Value, status: u16, code: &'static str) -> Case {
    post(path, serde_json::to_vec(&body).unwrap(), status, code)
}

fn get(path: &str, status: u16, code: &'static str) -> Case {
    Case {
        label: format!("GET {}", &path[..path.len().min(80)]),
        method: "GET",
        path: path.to_string(),
        headers: Vec::new(),
        body: None,
        token: true,
        root: false,
        status,
        code,
    }
}

fn with_auth(label: &str, value: Vec<u8>, code: &'static str) -> Case {
    Case {
        label: format!("authorization: {label}"),
        headers: vec![("authorization", value)],
        token: false,
        ..get("/v1/whoami", 401, code)
    }
}

/// Every case; `request` is the id of a pending request of alice's.
pub fn corpus(request: &str) -> Vec<Case> {
    let mut c = Vec::new();
    // Malformed JSON, on every endpoint that takes a body.
    let bodies: [&[u8]; 12] = [
        b"{",
        b"[",
        b"nul",
        b"{\"roles\":",
        b"{}}",
        b"{\"roles\": [\"logs-read\"],}",
        b"'single'",
        b"\x00\x01\x02",
        b"\xff\xfe{}",
        b"{\"roles\": [\"logs\xc3\x28\"]}",
        b"{\"a\":1e99999}",
        b"\"\\ud800\"",
    ];
    let endpoints = [
        "/v1/requests".to_string(),
        "/v1/check".to_string(),
        "/v1/check/batch".to_string(),
        "/v1/tokens".to_string(),
        format!("/v1/requests/{request}/approve"),
    ];
    for e in &endpoints {
        for b in bodies {
            c.push(post(e, b, 400, ""));
        }
    }
    // Nesting beyond any reason, and bodies beyond the limit.
    c.push(post("/v1/requests", "[".repeat(100_000), 400, ""));
    c.push(post(
        "/v1/check",
        format!("{}1{}", "[".repeat(200), "]".repeat(200)),
        400,
        "",
    ));
    c.push(post(
        "/v1/check",
        format!("{}{}", "{\"a\":".repeat(1000), "1"),
        400,
        "",
    ));
    c.push(post(
        "/v1/requests",
        vec![b' '; 2 << 20],
        413,
        "body_too_large",
    ));
    let huge = json!({"roles": ["logs-read"], "reason": "x".repeat(3 << 20)});
    c.push(post_json("/v1/requests", huge, 413, "body_too_large"));
    c.push(post("/v1/requests", "", 400, "empty_body"));
    c.push(post("/v1/check", "   \n", 400, "empty_body"));
    // Wrong types and unknown fields.
    for body in [
        json!({"roles": 5}),
        json!({"roles": "logs-read"}),
        json!({"roles": [1]}),
        json!({"roles": [null]}),
        json!({"roles": ["logs-read"], "duration": 5}),
        json!({"roles": ["logs-read"], "reason": []}),
        json!({"roles": ["logs-read"], "break_glass": "yes"}),
        json!({"roles": ["logs-read"], "start_at": 5}),
        json!({"roles": ["logs-read"], "rolez": 1}),
        json!({"roles": ["logs-read"], "__proto__": {}}),
        json!([]),
        json!("roles"),
        json!(null),
    ] {
        c.push(post_json("/v1/requests", body, 400, "invalid_body"));
    }
    for body in [
        json!({"action": 1, "resource": "x"}),
        json!({"action": "logs:view"}),
        json!({"resource": "logs/prod"}),
        json!({"action": "logs:view", "resource": "logs/prod", "extra": true}),
        json!({"checks": "all"}),
        json!({"checks": [{"action": "logs:view"}]}),
    ] {
        let path = if body.get("checks").is_some() {
            "/v1/check/batch"
        } else {
            "/v1/check"
        };
        c.push(post_json(path, body, 400, "invalid_body"));
    }
    c.push(post_json(
        "/v1/tokens",
        json!({"user": 5}),
        400,
        "invalid_body",
    ));
    c.push(post_json(
        "/v1/tokens",
        json!({"ttl": "1h", "scope": "admin"}),
        400,
        "invalid_body",
    ));
    c.push(post_json(
        &format!("/v1/requests/{request}/approve"),
        json!({"comment": 5}),
        400,
        "invalid_body",
    ));
    c.push(post_json(
        &format!("/v1/requests/{request}/cancel"),
        json!({"why": "x"}),
        400,
        "invalid_body",
    ));
    // Absurd durations.
    for d in [
        "0s",
        "-1h",
        "1y",
        "4 hours",
        "",
        "1h30",
        "99999999999999999999d",
        "9223372036854775807s",
        "1.5h",
        "P1D",
        "h",
        "1h\u{1}",
    ] {
        c.push(post_json(
            "/v1/requests",
            json!({"roles": ["logs-read"], "duration": d}),
            400,
            "invalid_duration",
        ));
        c.push(post_json(
            "/v1/tokens",
            json!({"ttl": d}),
            400,
            "invalid_duration",
        ));
    }
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["logs-read"], "duration": "366d"}),
        422,
        "",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["logs-read"], "duration": "31s"}),
        422,
        "",
    ));
    c.push(post_json(
        "/v1/tokens",
        json!({"ttl": "366d"}),
        422,
        "ttl_too_long",
    ));
    // Bad actions, resources and subjects.
    for a in [
        "",
        "db",
        "db:",
        ":x",
        "db:*",
        "*",
        "db select",
        "db:a:b",
        "\u{202e}db:x",
    ] {
        c.push(post_json(
            "/v1/check",
            json!({"action": a, "resource": "logs/prod"}),
            400,
            "invalid_action",
        ));
    }
    for r in ["", "/a", "a/", "a//b", "*", "**", "a/*", "a b", "a/\u{1}"] {
        c.push(post_json(
            "/v1/check",
            json!({"action": "logs:view", "resource": r}),
            400,
            "invalid_resource",
        ));
    }
    for s in ["user:", "group:sre", "role:x", "user:al ice"] {
        c.push(post_json(
            "/v1/check",
            json!({"subject": s, "action": "logs:view", "resource": "logs/prod"}),
            400,
            "invalid_subject",
        ));
    }
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"action": "logs:view", "resource": "logs/prod"}))
        .collect();
    c.push(post_json(
        "/v1/check/batch",
        json!({"checks": many}),
        400,
        "batch_too_large",
    ));
    c.push(post_json(
        "/v1/check/batch",
        json!({"checks": [{"action": "logs:view", "resource": "a//b"}]}),
        400,
        "invalid_resource",
    ));
    // Requests against policy.
    c.push(post_json("/v1/requests", json!({"roles": []}), 400, ""));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["nope"]}),
        422,
        "",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["logs-read"], "policy": "nope"}),
        422,
        "unknown_policy",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["orders-db-read"], "reason": "r", "ticket": "nope"}),
        422,
        "ticket_invalid",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["orders-db-read"], "reason": "r", "ticket": "x".repeat(300)}),
        400,
        "ticket_too_long",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["logs-read"], "reason": "x".repeat(5000)}),
        400,
        "reason_too_long",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": vec!["logs-read"; 40]}),
        400,
        "",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["logs-read"], "start_at": "yesterday"}),
        400,
        "invalid_start_at",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"roles": ["logs-read"], "start_at": "1970-01-01T00:00:00Z"}),
        422,
        "",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"action": "logs:view"}),
        400,
        "",
    ));
    c.push(post_json(
        "/v1/requests",
        json!({"action": "logs:view", "resource": "a//b"}),
        400,
        "invalid_resource",
    ));
    c.push(post_json(
        &format!("/v1/requests/{request}/approve"),
        json!({"comment": "x".repeat(5000)}),
        400,
        "comment_too_long",
    ));
    // Found by scripts/fuzz-api.sh: a cancellation's comment went unchecked.
    c.push(post_json(
        &format!("/v1/requests/{request}/cancel"),
        json!({"comment": "x".repeat(5000)}),
        400,
        "comment_too_long",
    ));
    // Found by scripts/fuzz-api.sh: serde reads a struct from an array; a body is an object.
    for (path, body) in [
        ("/v1/tokens", json!([null, null])),
        ("/v1/requests", json!([["logs-read"]])),
        ("/v1/check", json!(["logs:view", "logs/prod"])),
        (
            "/v1/check/batch",
            json!({"checks": [["logs:view", "logs/prod"]]}),
        ),
    ] {
        c.push(post_json(path, body, 400, "invalid_body"));
    }
    // Query strings.
    for q in [
        "/v1/requests?state=maybe",
        "/v1/requests?colour=red",
        "/v1/requests?mine=perhaps",
        "/v1/requests?limit=abc",
        "/v1/requests?limit=99999999999999999999",
        "/v1/requests?state=%01",
        "/v1/requests?state=%ZZ",
        "/v1/requests?mine=true&mine=false",
        "/v1/grants?status=forever",
        "/v1/grants?subject=group:sre",
        "/v1/grants?subject=user:",
        "/v1/grants?limit=-",
        "/v1/audit?limit=0",
        "/v1/audit?limit=1001",
        "/v1/audit?limit=-5",
        "/v1/audit?after=first",
        "/v1/audit?kind[]=x",
        "/v1/anomalies?severity=apocalyptic",
        "/v1/anomalies?since=yesterday",
        "/v1/anomalies?limit=many",
    ] {
        c.push(Case {
            root: q.starts_with("/v1/audit") || q.starts_with("/v1/anomalies"),
            ..get(q, 400, "invalid_query")
        });
    }
    c.push(get(
        &format!("/v1/requests?state={}", "x".repeat(6000)),
        400,
        "invalid_query",
    ));
    // Ids that are not ids.
    for id in [
        "..%2F..%2Fetc%2Fpasswd",
        "'%3B%20DROP%20TABLE%20requests%3B--",
        "%F0%9F%92%A3",
        &"x".repeat(6000),
    ] {
        c.push(get(&format!("/v1/requests/{id}"), 404, "unknown_request"));
        c.push(get(&format!("/v1/grants/{id}"), 404, "unknown_grant"));
        c.push(post_json(
            &format!("/v1/grants/{id}/revoke"),
            json!({}),
            404,
            "unknown_grant",
        ));
        c.push(post_json(
            &format!("/v1/requests/{id}/approve"),
            json!({}),
            404,
            "",
        ));
    }
    // A NUL anywhere in the path or query (PostgreSQL cannot hold one in text).
    for path in [
        "/v1/requests/%00",
        "/v1/grants/x%00y",
        "/v1/requests?requester=%00",
        "/v1/grants?request_id=a%00",
        "/v1/tokens/%00/revoke",
    ] {
        c.push(get(path, 400, "invalid_uri"));
    }
    c.push(Case {
        root: true,
        ..get("/v1/audit?actor=%00", 400, "invalid_uri")
    });
    c.push(post_json(
        "/v1/requests/%00/approve",
        json!({}),
        400,
        "invalid_uri",
    ));
    c.push(post_json(
        "/v1/grants/%00/revoke",
        json!({}),
        400,
        "invalid_uri",
    ));
    // A path that is not UTF-8: the one error shape, not axum's text.
    for path in ["/v1/requests/%FF", "/v1/grants/%C3%28"] {
        c.push(get(path, 400, "invalid_uri"));
    }
    for path in ["/v1/grants/%FF/revoke", "/v1/tokens/%FF/revoke"] {
        c.push(post_json(path, json!({}), 400, "invalid_uri"));
    }
    // A NUL in a string of a body.
    for body in [
        json!({"roles": ["logs-read"], "reason": "a\u{0}b"}),
        json!({"roles": ["orders-db-read"], "reason": "r", "ticket": "INC-1\u{0}"}),
        json!({"roles": ["logs-read\u{0}"]}),
    ] {
        c.push(post_json("/v1/requests", body, 400, "invalid_body"));
    }
    c.push(post_json(
        &format!("/v1/requests/{request}/approve"),
        json!({"comment": "\u{0}"}),
        400,
        "invalid_body",
    ));
    c.push(post_json(
        "/v1/check",
        json!({"action": "logs:view", "resource": "logs/prod", "subject": "user:a\u{0}"}),
        400,
        "invalid_body",
    ));
    c.push(get("/v2/requests", 404, "no_route"));
    c.push(get("/v1/requests/a/b/c", 404, "no_route"));
    // Headers.
    c.push(with_auth("no token", b"Bearer".to_vec(), "invalid_token"));
    c.push(with_auth(
        "empty token",
        b"Bearer ".to_vec(),
        "invalid_token",
    ));
    c.push(with_auth(
        "basic",
        b"Basic YWxpY2U6cGFzcw==".to_vec(),
        "invalid_token",
    ));
    c.push(with_auth(
        "long",
        format!("Bearer wkt_{}", "x".repeat(10_000)).into_bytes(),
        "invalid_token",
    ));
    c.push(with_auth(
        "not text",
        b"Bearer wkt_\xff\xfe".to_vec(),
        "invalid_token",
    ));
    c.push(with_auth(
        "not a wicket token",
        b"Bearer eyJhbGciOiJub25lIn0.e30.".to_vec(),
        "invalid_token",
    ));
    c.push(with_auth(
        "sql",
        b"Bearer wkt_' OR '1'='1".to_vec(),
        "invalid_token",
    ));
    c.push(with_auth("tab", b"Bearer\twkt_x".to_vec(), "invalid_token"));
    c.push(with_auth(
        "just the prefix",
        b"Bearer wkt_".to_vec(),
        "invalid_token",
    ));
    c.push(Case {
        label: "no authorization".into(),
        headers: vec![],
        ..with_auth("", vec![], "missing_token")
    });
    c
}
