//! The web UI's routes at a coarse level: without a session every page sends the browser to
//! sign in (a bearer token is no session) and every fragment is 401, a form without the
//! session's CSRF token is refused, the auditor's pages refuse a signed-in user without
//! `wicket:audit.read`, and the grants page one without `wicket:grants.revoke`; with a valid
//! CSRF token, review, cancel and revoke are refused for want of the permission.

use std::collections::BTreeSet;

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Method, Response};

use super::callers::{fixture, setup};
use super::routes;
use crate::helpers::TestApp;

#[path = "../../common/cookies.rs"]
mod cookies;
use cookies::{client, set_cookie};

const OK: u16 = 200;
/// Sent to sign in.
const IN: u16 = 303;
const F: u16 = 403;
/// A page fragment fetched by script: no redirect, just unauthenticated.
const A: u16 = 401;

/// The `name=value` of cookie `name` the response sets.
fn cookie(resp: &Response, name: &str) -> Option<String> {
    set_cookie(resp, name).map(|(pair, _)| pair)
}

/// Signs in with `token` as a browser does; the session cookie.
async fn sign_in(app: &TestApp, token: &str) -> String {
    let c = client();
    let form = c.get(format!("{}/login", app.addr)).send().await.unwrap();
    let login = cookie(&form, "wicket_login").unwrap();
    let html = form.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let nonce = html[start..].split('"').next().unwrap().to_string();
    let resp = c
        .post(format!("{}/login", app.addr))
        .header(COOKIE, &login)
        .form(&[("csrf", nonce.as_str()), ("token", token), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    cookie(&resp, "wicket_session").unwrap()
}

#[tokio::test]
async fn the_web_ui_lets_in_only_whom_it_should() {
    let (app, callers) = setup().await;
    let f = fixture(&app, &callers.alice).await;
    let alice = sign_in(&app, &callers.alice).await;
    let auditor_token = app.token("p-audit").await;
    let auditor = sign_in(&app, &auditor_token).await;
    let id = &f.request;
    let grant = &f.grant;
    // Columns: no session, a bearer token but no session, alice's session, the auditor's.
    #[rustfmt::skip]
    let table: Vec<(&str, String, [u16; 4])> = vec![
        ("GET", "/".into(),                          [IN, IN, OK, OK]),
        ("GET", "/mine/live".into(),                 [A,  A,  OK, OK]),
        ("GET", "/login".into(),                     [OK, OK, IN, IN]),
        ("POST", "/login".into(),                    [F,  F,  F,  F]),
        ("POST", "/logout".into(),                   [IN, IN, F,  F]),
        ("POST", "/requests".into(),                 [IN, IN, F,  F]),
        ("GET", format!("/requests/{id}"),           [IN, IN, OK, F]),
        ("POST", format!("/requests/{id}/review"),   [IN, IN, F,  F]),
        ("POST", format!("/requests/{id}/cancel"),   [IN, IN, F,  F]),
        ("GET", "/inbox".into(),                     [IN, IN, OK, OK]),
        ("GET", "/inbox/items".into(),               [A,  A,  OK, OK]),
        ("GET", "/grants".into(),                    [IN, IN, F,  F]),
        ("POST", format!("/grants/{grant}/revoke"),  [IN, IN, F,  F]),
        ("POST", format!("/grants/{grant}/extend"),  [IN, IN, F,  F]),
        ("GET", "/reviews".into(),                   [IN, IN, OK, OK]),
        ("POST", "/reviews/{campaign}/items/{id}".into(), [IN, IN, F, F]),
        // No campaign has this id: alice may not read reports; the auditor is told it is not there.
        ("GET", "/reviews/{campaign}/report".into(), [IN, IN, F,  404]),
        ("GET", "/audit".into(),                     [IN, IN, F,  OK]),
        ("GET", "/audit/export".into(),              [IN, IN, F,  OK]),
        ("GET", "/anomalies".into(),                 [IN, IN, F,  OK]),
        ("GET", "/overview".into(),                  [IN, IN, F,  OK]),
        // No SSH session has this id: not found, for whoever may look.
        ("GET", format!("/ssh/sessions/{id}"),       [IN, IN, 404, 404]),
        ("GET", "/static/wicket.css".into(),         [OK, OK, OK, OK]),
        ("GET", "/static/wicket.js".into(),          [OK, OK, OK, OK]),
    ];
    let ui = routes::registered("src/ui.rs", Some("src/ui/assets.rs"));
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|(m, p, _)| {
            let p = p
                .replace(id.as_str(), "{id}")
                .replace(grant.as_str(), "{id}");
            (m.to_string(), p)
        })
        .collect();
    assert_eq!(covered, ui, "the UI table and the UI router differ");

    let c = client();
    let mut wrong = Vec::new();
    for (method, path, expect) in &table {
        for (col, want) in expect.iter().enumerate() {
            let mut req = c.request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", app.addr),
            );
            req = match col {
                0 => req,
                1 => req.bearer_auth(&callers.alice),
                2 => req.header(COOKIE, &alice),
                _ => req.header(COOKIE, &auditor),
            };
            if *method == "POST" {
                // A form without the CSRF token.
                req = req
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("comment=x");
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_string();
            if status != *want {
                wrong.push(format!(
                    "{method} {path} column {col}: expected {want}, got {status}"
                ));
            } else if status == IN && col < 2 && !location.starts_with("/login") {
                wrong.push(format!(
                    "{method} {path} column {col}: redirected to `{location}`, not to sign in"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The session's CSRF token, read from the sign-out form of the home page as a browser has it.
async fn csrf_of(app: &TestApp, session: &str) -> String {
    let resp = client()
        .get(format!("{}/", app.addr))
        .header(COOKIE, session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), OK);
    let html = resp.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .expect("a signed-in page carries a CSRF field")
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Posts `fields` and the session's CSRF token to `path`; the status and the page.
async fn post_form(
    app: &TestApp,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let csrf = csrf_of(app, session).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let resp = client()
        .post(format!("{}{path}", app.addr))
        .header(COOKIE, session)
        .form(&form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// A refusal for want of the permission, not for the form: 403 and not the CSRF check's
/// message; `why`, when given, is on the page.
fn assert_refused(answer: &(u16, String), what: &str, why: Option<&str>) {
    let (status, page) = answer;
    assert_eq!(*status, F, "{what}: {page}");
    assert!(
        !page.contains("CSRF"),
        "{what} was refused for its form: {page}"
    );
    if let Some(why) = why {
        assert!(
            page.contains(why),
            "{what}: the page does not say `{why}`: {page}"
        );
    }
}

/// With the session's valid CSRF token, review, cancel and revoke are refused for want of the
/// permission, and the same forms go through for the people who hold it.
#[tokio::test]
async fn the_web_ui_refuses_review_cancel_and_revoke_to_those_without_the_permission() {
    let (app, callers) = setup().await;
    let f = fixture(&app, &callers.alice).await;
    let (id, grant) = (&f.request, &f.grant);
    let mut sessions = std::collections::HashMap::new();
    for user in ["alice", "bob", "carol", "p-requests", "p-revoke"] {
        let token = app.token(user).await;
        sessions.insert(user, sign_in(&app, &token).await);
    }
    let review = format!("/requests/{id}/review");
    let cancel = format!("/requests/{id}/cancel");
    let revoke = format!("/grants/{grant}/revoke");
    let back = format!("/requests/{id}");
    // Reviews are posted from the inbox, which shows a refusal atop the list.
    let approve = [("verdict", "approve"), ("back", "/inbox")];

    // carol approves step 2, not step 1; p-requests may read every request but review none.
    for user in ["carol", "p-requests"] {
        let answer = post_form(&app, &sessions[user], &review, &approve).await;
        assert_refused(
            &answer,
            &format!("{user} approving"),
            Some("is not an approver of step 1"),
        );
    }
    // Nobody but alice cancels her request, not even her approver.
    for user in ["bob", "p-requests"] {
        let answer = post_form(&app, &sessions[user], &cancel, &[("back", back.as_str())]).await;
        // The request page has no cancel form for them, so it shows no message.
        assert_refused(&answer, &format!("{user} cancelling"), None);
    }
    // Revoking alice's grant takes `wicket:grants.revoke`.
    for user in ["bob", "carol", "p-requests"] {
        let answer = post_form(
            &app,
            &sessions[user],
            &revoke,
            &[("reason", "no"), ("back", "/grants")],
        )
        .await;
        assert_refused(
            &answer,
            &format!("{user} revoking"),
            Some("lacks <code>wicket:grants.revoke</code>"),
        );
    }

    // Nothing changed, and the same forms go through for those who may.
    let root = app.token("p-requests").await;
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &root).await;
    assert_eq!(
        (r["state"].as_str(), r["reviews"].as_array().map(Vec::len)),
        (Some("pending"), Some(0)),
        "{r}"
    );
    let (_, g) = app.get(&format!("/v1/grants/{grant}"), &root).await;
    assert_eq!(g["status"], "active", "{g}");
    let (s, page) = post_form(&app, &sessions["bob"], &review, &approve).await;
    assert_eq!(s, IN, "bob approving: {page}");
    let (s, page) = post_form(
        &app,
        &sessions["alice"],
        &cancel,
        &[("back", back.as_str())],
    )
    .await;
    assert_eq!(s, IN, "alice cancelling: {page}");
    let (s, page) = post_form(&app, &sessions["p-revoke"], &revoke, &[("reason", "done")]).await;
    assert_eq!(s, IN, "p-revoke revoking: {page}");
    let (_, r) = app.get(&format!("/v1/requests/{id}"), &root).await;
    assert_eq!(r["state"], "cancelled", "{r}");
    let (_, g) = app.get(&format!("/v1/grants/{grant}"), &root).await;
    assert_eq!(g["status"], "revoked", "{g}");
}
