//! The UI's sessions and forms over plain HTTP: cookie attributes, CSRF, sign-out, revoked
//! tokens, and what a browser without a session gets.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

use crate::harness::{Server, spawn_server};

pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .build()
        .unwrap()
}

/// The `name=value` of cookie `name` among the response's `Set-Cookie` headers, and its
/// whole header.
fn set_cookie(resp: &Response, name: &str) -> Option<(String, String)> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let pair = v.split(';').next()?.trim();
            pair.starts_with(&format!("{name}="))
                .then(|| (pair.to_string(), v.to_string()))
        })
}

/// The first CSRF token in a page.
fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A browser's sign-in over HTTP: the session cookie (`wicket_session=...`), the page's CSRF
/// token, and the `Set-Cookie` header of the session.
pub(crate) async fn sign_in(server: &Server, token: &str) -> (String, String, String) {
    let c = client();
    let form = c.get(server.url("/login")).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&form, "wicket_login").expect("a sign-in form cookie");
    let nonce = csrf_in(&form.text().await.unwrap());
    let resp = c
        .post(server.url("/login"))
        .header(COOKIE, &login_cookie)
        .form(&[("csrf", nonce.as_str()), ("token", token), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (session, header) = set_cookie(&resp, "wicket_session").expect("a session cookie");
    let page = c
        .get(server.url("/"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_in(&page.text().await.unwrap());
    (session, csrf, header)
}

async fn my_requests(server: &Server, token: &str) -> usize {
    let v: Value = client()
        .get(server.url("/v1/requests?mine=true"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().len()
}

const REQUEST: [(&str, &str); 5] = [
    ("policy", "sre-production"),
    ("roles", "orders-db-read"),
    ("duration", "1h"),
    ("reason", "refunds"),
    ("ticket", "INC-1"),
];

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_rejected() {
    let server = spawn_server().await;
    let token = server.token("alice").await;
    let (session, csrf, _) = sign_in(&server, &token).await;
    let c = client();

    let missing = c
        .post(server.url("/requests"))
        .header(COOKIE, &session)
        .form(&REQUEST)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(missing.text().await.unwrap().contains("CSRF token"));

    let mut wrong = REQUEST.to_vec();
    wrong.push(("csrf", "0000"));
    let resp = c
        .post(server.url("/requests"))
        .header(COOKIE, &session)
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        my_requests(&server, &token).await,
        0,
        "a rejected form changes nothing"
    );

    // Another session's token is no good either.
    let (_, other_csrf, _) = sign_in(&server, &token).await;
    let mut foreign = REQUEST.to_vec();
    foreign.push(("csrf", other_csrf.as_str()));
    let resp = c
        .post(server.url("/requests"))
        .header(COOKIE, &session)
        .form(&foreign)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let logout = c
        .post(server.url("/logout"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(
        logout.status(),
        StatusCode::FORBIDDEN,
        "signing out is a form like any other"
    );

    let mut good = REQUEST.to_vec();
    good.push(("csrf", csrf.as_str()));
    let resp = c
        .post(server.url("/requests"))
        .header(COOKIE, &session)
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(my_requests(&server, &token).await, 1);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() {
    let server = spawn_server().await;
    let token = server.token("alice").await;
    let (_, _, header) = sign_in(&server, &token).await;
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(attr), "{header}");
    }
    assert!(!header.contains("Secure"), "no TLS here: {header}");

    // Behind a TLS-terminating proxy the cookies are Secure.
    let form = client()
        .get(server.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let (_, login) = set_cookie(&form, "wicket_login").unwrap();
    assert!(
        login.contains("; Secure")
            && login.contains("HttpOnly")
            && login.contains("SameSite=Strict"),
        "{login}"
    );

    // Signing in without the form's own cookie (a cross-site post) is refused.
    let resp = client()
        .post(server.url("/login"))
        .form(&[("csrf", "abc"), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&resp, "wicket_session").is_none());

    // A bad token is refused beside the token field.
    let c = client();
    let form = c.get(server.url("/login")).send().await.unwrap();
    let (cookie, _) = set_cookie(&form, "wicket_login").unwrap();
    let nonce = csrf_in(&form.text().await.unwrap());
    let resp = c
        .post(server.url("/login"))
        .header(COOKIE, cookie)
        .form(&[("csrf", nonce.as_str()), ("token", "wkt_nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("id=\"login-token-error\"")
    );
}

#[tokio::test]
async fn signing_out_or_revoking_the_token_ends_the_session() {
    let server = spawn_server().await;
    let token = server.token("alice").await;
    let c = client();

    let (session, csrf, _) = sign_in(&server, &token).await;
    let resp = c
        .post(server.url("/logout"))
        .header(COOKIE, &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&resp, "wicket_session")
            .unwrap()
            .1
            .contains("Max-Age=0")
    );
    let resp = c
        .get(server.url("/"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/login");

    // A session opened with a token lasts only as long as the token does.
    let minted: Value = c
        .post(server.url("/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (short, id) = (
        minted["token"].as_str().unwrap(),
        minted["id"].as_str().unwrap(),
    );
    let (session, _, _) = sign_in(&server, short).await;
    let resp = c
        .post(server.url(&format!("/v1/tokens/{id}/revoke")))
        .bearer_auth(short)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = c
        .get(server.url("/inbox"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/login?next=%2Finbox");
}

#[tokio::test]
async fn without_a_session_pages_send_you_to_sign_in_and_fragments_answer_401() {
    let server = spawn_server().await;
    let c = client();
    let resp = c
        .get(server.url("/audit?kind=grant.expired"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()[LOCATION],
        "/login?next=%2Faudit%3Fkind%3Dgrant.expired"
    );
    for fragment in ["/inbox/items", "/mine/live"] {
        assert_eq!(
            c.get(server.url(fragment)).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{fragment}"
        );
    }
    let login = c.get(server.url("/login")).send().await.unwrap();
    let csp = login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    // The API is untouched by the UI: JSON errors as before.
    let api = c.get(server.url("/v1/whoami")).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert!(api.text().await.unwrap().contains("missing_token"));
}

#[tokio::test]
async fn the_audit_export_is_json_lines_for_auditors_only() {
    let server = spawn_server().await;
    let (root, erin) = (server.token("root").await, server.token("erin").await);
    let (session, _, _) = sign_in(&server, &root).await;
    let resp = client()
        .get(server.url("/audit/export?kind=token.*"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let body = resp.text().await.unwrap();
    let events: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{body}");
    assert!(
        events
            .iter()
            .all(|e| e["kind"] == "token.created" && e["hash"].is_string())
    );

    let (session, _, _) = sign_in(&server, &erin).await;
    let resp = client()
        .get(server.url("/audit/export"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!resp.text().await.unwrap().contains("token.created"));
}

#[tokio::test]
async fn an_anomaly_card_names_the_grant_its_rule_revoked_and_links_to_it() {
    let server = spawn_server().await;
    let (frank, bob, root) = (
        server.token("frank").await,
        server.token("bob").await,
        server.token("root").await,
    );
    let c = client();
    let post = |token: &str, path: &str, body: Value| {
        c.post(server.url(path))
            .bearer_auth(token.to_string())
            .json(&body)
            .send()
    };
    let req: Value = post(
        &frank,
        "/v1/requests",
        serde_json::json!({"roles": ["orders-db-read"], "reason": "refunds", "ticket": "INC-1"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = req["id"].as_str().unwrap().to_string();
    let approved: Value = post(
        &bob,
        &format!("/v1/requests/{id}/approve"),
        serde_json::json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let grant = approved["grants"][0]["id"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let d: Value = post(
            &frank,
            "/v1/check",
            serde_json::json!({"action": "db:delete", "resource": "postgres/prod/orders/public/orders"}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(d["allowed"], false, "{d}");
    }
    let (session, _, _) = sign_in(&server, &root).await;
    let start = std::time::Instant::now();
    let page = loop {
        let page = c
            .get(server.url("/anomalies"))
            .header(COOKIE, &session)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains(&format!("data-revoked=\"{grant}\"")) {
            break page;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the anomaly card never named the revoked grant: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(page.contains("Revoked grant"), "{page}");
    assert!(
        page.contains(&format!("href=\"/requests/{id}\"")),
        "the card links to the request whose timeline holds the revocation: {page}"
    );
    assert!(page.contains("revoke = true"), "{page}");
}

#[tokio::test]
async fn denying_in_the_ui_takes_a_comment() {
    let server = spawn_server().await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let c = client();
    let req: Value = c
        .post(server.url("/v1/requests"))
        .bearer_auth(&alice)
        .json(&serde_json::json!({"roles": ["orders-db-read"], "reason": "refunds", "ticket": "INC-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = req["id"].as_str().unwrap().to_string();
    let (session, csrf, _) = sign_in(&server, &bob).await;
    let review = |comment: &'static str| {
        c.post(server.url(&format!("/requests/{id}/review")))
            .header(COOKIE, &session)
            .form(&[
                ("csrf", csrf.as_str()),
                ("back", "/inbox"),
                ("verdict", "deny"),
                ("comment", comment),
            ])
            .send()
    };
    let resp = review("").await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("say why you deny the request"), "{page}");
    let state = |v: Value| v["state"].as_str().unwrap().to_string();
    let now: Value = c
        .get(server.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state(now),
        "pending",
        "a denial without a word changes nothing"
    );

    let resp = review("no incident open").await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let now: Value = c
        .get(server.url(&format!("/v1/requests/{id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state(now), "denied");
}

/// Refusals of the rules, with the session's own CSRF token: each a 403 whose page says why,
/// and nothing changed.
#[tokio::test]
async fn refused_reviews_cancellations_and_revocations_say_why() {
    let server = spawn_server().await;
    let (alice, bob, dave) = (
        server.token("alice").await,
        server.token("bob").await,
        server.token("dave").await,
    );
    let c = client();
    let create = || async {
        let r: Value = c
            .post(server.url("/v1/requests"))
            .bearer_auth(&alice)
            .json(&serde_json::json!({"roles": ["orders-db-read"], "reason": "refunds", "ticket": "INC-1"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["id"].as_str().unwrap().to_string()
    };
    let (pending, approved) = (create().await, create().await);
    let resp = c
        .post(server.url(&format!("/v1/requests/{approved}/approve")))
        .bearer_auth(&bob)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let grants: Value = c
        .get(server.url(&format!("/v1/grants?request_id={approved}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant = grants["items"][0]["id"].as_str().unwrap().to_string();

    // Dave (sre, neither the requester nor an approver, without powers) tries each.
    let (session, csrf, _) = sign_in(&server, &dave).await;
    let post = |path: String, fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.clone()), ("back", "/".to_string())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
        c.post(server.url(&path))
            .header(COOKIE, &session)
            .form(&form)
            .send()
    };
    for (path, fields, says) in [
        (
            format!("/requests/{pending}/review"),
            vec![("verdict", "approve"), ("comment", "")],
            "is not an approver",
        ),
        (
            format!("/requests/{pending}/cancel"),
            vec![("comment", "")],
            "cancel",
        ),
        (
            format!("/grants/{grant}/revoke"),
            vec![("reason", "not mine")],
            "wicket:grants.revoke",
        ),
    ] {
        let resp = post(path.clone(), fields).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        let page = resp.text().await.unwrap();
        assert!(
            !page.contains("CSRF") && !page.contains("csrf token"),
            "{path}: {page}"
        );
        let alert = page
            .split("role=\"alert\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{path}: no alert on the page: {page}"));
        let alert = alert.split("</p>").next().unwrap();
        assert!(
            alert.contains(says),
            "{path}: the alert does not say `{says}`: {alert}"
        );
    }
    // Nothing changed.
    let state = |id: String| {
        let c = c.clone();
        let alice = alice.clone();
        let url = server.url(&format!("/v1/requests/{id}"));
        async move {
            let v: Value = c
                .get(url)
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["state"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(state(pending).await, "pending");
    let g: Value = c
        .get(server.url(&format!("/v1/grants/{grant}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(g["status"], "active", "{g}");
}
