//! The UI's sessions and forms over plain HTTP: cookie attributes, CSRF, sign-out, revoked
//! tokens, and what a browser without a session gets.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub(crate) use crate::cookies::client;
use crate::cookies::set_cookie;
use crate::harness::{Server, get_json, post_json, spawn_server};

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
    let v = get_json(&server.url("/v1/requests?mine=true"), token).await;
    v["items"].as_array().unwrap().len()
}

/// `GET path` in the session of cookie `session`, redirects not followed.
pub(crate) async fn page(server: &Server, session: &str, path: &str) -> Response {
    client()
        .get(server.url(path))
        .header(COOKIE, session)
        .send()
        .await
        .unwrap()
}

/// Submits `form` to `path` in the session of cookie `session`, redirects not followed.
async fn submit<F: serde::Serialize + ?Sized>(
    server: &Server,
    session: &str,
    path: &str,
    form: &F,
) -> Response {
    client()
        .post(server.url(path))
        .header(COOKIE, session)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A request of `orders-db-read` by `token`'s user, through the API; its id.
async fn orders_request(server: &Server, token: &str) -> String {
    let body =
        serde_json::json!({"roles": ["orders-db-read"], "reason": "refunds", "ticket": "INC-1"});
    let (status, r) = post_json(&server.url("/v1/requests"), token, body).await;
    assert_eq!(status, 201, "{r}");
    r["id"].as_str().unwrap().to_string()
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
    let with_csrf = |csrf: &str| {
        let mut form: Vec<(&str, String)> = REQUEST.map(|(k, v)| (k, v.to_string())).to_vec();
        form.push(("csrf", csrf.to_string()));
        form
    };

    let missing = submit(&server, &session, "/requests", &REQUEST).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(missing.text().await.unwrap().contains("CSRF token"));

    let resp = submit(&server, &session, "/requests", &with_csrf("0000")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        my_requests(&server, &token).await,
        0,
        "a rejected form changes nothing"
    );

    // Another session's token is no good either.
    let (_, other_csrf, _) = sign_in(&server, &token).await;
    let resp = submit(&server, &session, "/requests", &with_csrf(&other_csrf)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // No form at all.
    let logout = client()
        .post(server.url("/logout"))
        .header(COOKIE, &session);
    let logout = logout.send().await.unwrap();
    assert_eq!(
        logout.status(),
        StatusCode::FORBIDDEN,
        "signing out is a form like any other"
    );

    let resp = submit(&server, &session, "/requests", &with_csrf(&csrf)).await;
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

    let (session, csrf, _) = sign_in(&server, &token).await;
    let resp = submit(&server, &session, "/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&resp, "wicket_session")
            .unwrap()
            .1
            .contains("Max-Age=0")
    );
    let resp = page(&server, &session, "/").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/login");

    // A session opened with a token lasts only as long as the token does.
    let (status, minted) =
        post_json(&server.url("/v1/tokens"), &token, serde_json::json!({})).await;
    assert_eq!(status, 201, "{minted}");
    let (short, id) = (
        minted["token"].as_str().unwrap(),
        minted["id"].as_str().unwrap(),
    );
    let (session, _, _) = sign_in(&server, short).await;
    let revoke = server.url(&format!("/v1/tokens/{id}/revoke"));
    let (status, _) = post_json(&revoke, short, serde_json::json!({})).await;
    assert_eq!(status, 200);
    let resp = page(&server, &session, "/inbox").await;
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
    let resp = page(&server, &session, "/audit/export?kind=token.*").await;
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
    let resp = page(&server, &session, "/audit/export").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!resp.text().await.unwrap().contains("token.created"));
}

#[tokio::test]
async fn an_anomaly_card_names_the_grant_its_rule_revoked_and_links_to_it() {
    let server = spawn_server().await;
    let [frank, bob, root] = server.tokens(["frank", "bob", "root"]).await;
    let post = |token: &str, path: &str, body: Value| {
        let (url, token) = (server.url(path), token.to_string());
        async move { post_json(&url, &token, body).await.1 }
    };
    let id = orders_request(&server, &frank).await;
    let approved = post(
        &bob,
        &format!("/v1/requests/{id}/approve"),
        serde_json::json!({}),
    )
    .await;
    let grant = approved["grants"][0]["id"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let d = post(
            &frank,
            "/v1/check",
            serde_json::json!({"action": "db:delete", "resource": "postgres/prod/orders/public/orders"}),
        )
        .await;
        assert_eq!(d["allowed"], false, "{d}");
    }
    let (session, _, _) = sign_in(&server, &root).await;
    let start = std::time::Instant::now();
    let page = loop {
        let page = page(&server, &session, "/anomalies").await;
        let page = page.text().await.unwrap();
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
    let id = orders_request(&server, &alice).await;
    let (session, csrf, _) = sign_in(&server, &bob).await;
    let path = format!("/requests/{id}/review");
    let review = |comment: &'static str| {
        let form = [
            ("csrf", csrf.as_str()),
            ("back", "/inbox"),
            ("verdict", "deny"),
            ("comment", comment),
        ];
        let (server, session, path) = (&server, &session, &path);
        async move { submit(server, session, path, &form).await }
    };
    let state = || async {
        let v = get_json(&server.url(&format!("/v1/requests/{id}")), &alice).await;
        v["state"].as_str().unwrap().to_string()
    };
    let resp = review("").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("say why you deny the request"), "{page}");
    assert_eq!(
        state().await,
        "pending",
        "a denial without a word changes nothing"
    );

    let resp = review("no incident open").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(state().await, "denied");
}

/// Refusals of the rules, with the session's own CSRF token: each a 403 whose page says why,
/// and nothing changed.
#[tokio::test]
async fn refused_reviews_cancellations_and_revocations_say_why() {
    let server = spawn_server().await;
    let [alice, bob, dave] = server.tokens(["alice", "bob", "dave"]).await;
    let (pending, approved) = (
        orders_request(&server, &alice).await,
        orders_request(&server, &alice).await,
    );
    let approve = server.url(&format!("/v1/requests/{approved}/approve"));
    let (status, _) = post_json(&approve, &bob, serde_json::json!({})).await;
    assert_eq!(status, 200);
    let grants = server.url(&format!("/v1/grants?request_id={approved}"));
    let grants = get_json(&grants, &alice).await;
    let grant = grants["items"][0]["id"].as_str().unwrap().to_string();

    // Dave (sre, neither the requester nor an approver, without powers) tries each.
    let (session, csrf, _) = sign_in(&server, &dave).await;
    let post = |path: String, fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.clone()), ("back", "/".to_string())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
        let (server, session) = (&server, &session);
        async move { submit(server, session, &path, &form).await }
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
        let resp = post(path.clone(), fields).await;
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
    let request = get_json(&server.url(&format!("/v1/requests/{pending}")), &alice).await;
    assert_eq!(request["state"], "pending", "{request}");
    let g = get_json(&server.url(&format!("/v1/grants/{grant}")), &alice).await;
    assert_eq!(g["status"], "active", "{g}");
}
