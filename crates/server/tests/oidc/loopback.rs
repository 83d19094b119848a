//! The loopback redirect behind `wicket login` when the provider offers no device grant: the
//! server begins the code flow for a CLI on 127.0.0.1:PORT, the person signs in on the
//! provider's own pages, wicket's callback sends the browser to the CLI's port with a one-time
//! code, and that code with the CLI's verifier is a wicket token. Replayed codes, wrong
//! verifiers, bad ports, other redirects and forged `state` are each refused, with no token.

use reqwest::Url;
use serde_json::{Value, json};
use wicket_engine::oidc::challenge;

use crate::browser::{Browser, through_provider};
use crate::harness::{World, whoami, world_without_device_grant};

const VERIFIER: &str = "a-verifier-of-the-cli-that-no-one-else-knows-0123456789";
const PORT: u16 = 49152;

async fn post(w: &World, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(w.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The CLI's exchange of a one-time `code` and a `verifier` for a token.
async fn redeem(w: &World, code: &str, verifier: &str) -> (u16, Value) {
    let body = json!({ "code": code, "verifier": verifier });
    post(w, "/login/oidc/loopback/token", body).await
}

/// Begins a loopback sign-in for a CLI on `PORT` holding `VERIFIER`; the provider's page.
async fn begin(w: &World) -> String {
    let (status, body) = post(
        w,
        "/login/oidc/loopback",
        json!({ "port": PORT, "challenge": challenge(VERIFIER) }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let url = body["authorize_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&w.provider.issuer), "{url}");
    url
}

/// Signs in as `ann` on the provider's pages; the provider's redirect to wicket's callback,
/// not yet followed.
async fn to_callback(w: &World, b: &Browser, url: &str) -> String {
    let callback = w.url("/login/oidc/callback");
    let page = b.get(url).await;
    let page = through_provider(b, page, "ann", |l| l.starts_with(&callback)).await;
    page.location
        .expect("the provider sends the browser back to wicket")
}

fn param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows wicket's callback; the CLI's one-time code it sends the browser to.
async fn one_time_code(b: &Browser, callback: &str) -> String {
    let page = b.get(callback).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let to = page.location.unwrap();
    let prefix = format!("http://127.0.0.1:{PORT}/callback?code=");
    assert!(to.starts_with(&prefix), "the browser is sent to {to}");
    param(&to, "code").unwrap()
}

async fn reasons(w: &World) -> Vec<String> {
    w.events("auth.failed")
        .await
        .iter()
        .map(|e| {
            let d: Value = serde_json::from_str(&e.details).unwrap();
            d["reason"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_device_grant_a_loopback_redirect_yields_a_token_once() {
    let w = world_without_device_grant().await;
    let (status, body) = post(&w, "/login/oidc/device", Value::Null).await;
    assert_eq!(status, 501, "{body}");
    assert_eq!(body["error"]["code"], "device_grant_unsupported");
    assert!(
        reasons(&w).await.is_empty(),
        "the cue to fall back is no failed sign-in"
    );

    let b = Browser::new();
    let callback = to_callback(&w, &b, &begin(&w).await).await;
    let code = one_time_code(&b, &callback).await;

    let (status, signed) = redeem(&w, &code, VERIFIER).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["user"], "ann");
    assert_eq!(signed["groups"], json!(["sre"]));
    let token = signed["token"].as_str().unwrap();
    let (_, me) = whoami(&reqwest::Client::new(), &w.base, token).await;
    assert_eq!(me["user"], "ann", "{me}");
    let events = w.events("auth.signed_in").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].details.contains("\"via\":\"cli\""));

    // The one-time code is spent.
    let (status, body) = redeem(&w, &code, VERIFIER).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unknown_code");
    assert!(body.get("token").is_none());
    // So is the provider's answer: the same callback again sends the browser nowhere.
    let again = b.get(&callback).await;
    assert_eq!(again.status, 401, "{}", again.body);
    assert!(again.location.is_none(), "{:?}", again.location);
    assert_eq!(w.events("auth.signed_in").await.len(), 1);
    assert_eq!(reasons(&w).await, ["unknown_code", "state_mismatch"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_verifier_spends_the_code_and_signs_no_one_in() {
    let w = world_without_device_grant().await;
    let b = Browser::new();
    let callback = to_callback(&w, &b, &begin(&w).await).await;
    let code = one_time_code(&b, &callback).await;
    // The wrong verifier spends the code: the right one then comes too late.
    let wrong = "someone-elses-verifier-0123456789-0123456789";
    for (verifier, says) in [(wrong, "verifier_mismatch"), (VERIFIER, "unknown_code")] {
        let (status, body) = redeem(&w, &code, verifier).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], says);
    }
    assert!(w.events("auth.signed_in").await.is_empty());
    assert_eq!(reasons(&w).await, ["verifier_mismatch", "unknown_code"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_state_is_refused_and_the_browser_goes_nowhere() {
    let w = world_without_device_grant().await;
    let b = Browser::new();
    let callback = to_callback(&w, &b, &begin(&w).await).await;
    let state = param(&callback, "state").unwrap();
    let forged = callback.replace(&state, "forged-state");
    let page = b.get(&forged).await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(page.location.is_none(), "{:?}", page.location);
    assert!(page.body.contains("Sign-in refused"), "{}", page.body);
    assert_eq!(reasons(&w).await, ["state_mismatch"]);
    // The genuine answer still completes the sign-in the forgery did not touch.
    one_time_code(&b, &callback).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ports_and_other_redirects_are_refused_before_the_provider() {
    let w = world_without_device_grant().await;
    let ok = challenge(VERIFIER);
    for (body, code) in [
        (json!({ "port": 0, "challenge": ok }), "invalid_port"),
        (json!({ "port": 80, "challenge": ok }), "invalid_port"),
        (json!({ "port": 1023, "challenge": ok }), "invalid_port"),
        (json!({ "port": 65536, "challenge": ok }), "invalid_port"),
        (json!({ "port": -8080, "challenge": ok }), "invalid_port"),
        (
            json!({ "port": PORT, "challenge": "plain" }),
            "invalid_challenge",
        ),
        (
            json!({ "port": PORT, "challenge": VERIFIER }),
            "invalid_challenge",
        ),
        (
            json!({ "port": PORT, "challenge": ok, "redirect_uri": "https://evil.example/callback" }),
            "",
        ),
        (
            json!({ "port": PORT, "challenge": ok, "host": "evil.example" }),
            "",
        ),
        (json!({ "port": "8080.evil.example", "challenge": ok }), ""),
    ] {
        let (status, answer) = post(&w, "/login/oidc/loopback", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert!(answer.get("authorize_url").is_none(), "{answer}");
        if !code.is_empty() {
            assert_eq!(answer["error"]["code"], code, "{body} -> {answer}");
        }
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{answer}");
    }

    // The provider's refusal goes back to the CLI's port, and only there.
    let url = begin(&w).await;
    let state = param(&url, "state").unwrap();
    let b = Browser::new();
    let page = b
        .get(&w.url(&format!(
            "/login/oidc/callback?error=access_denied&state={state}"
        )))
        .await;
    assert_eq!(page.status, 303);
    let to = page.location.unwrap();
    assert!(
        to.starts_with(&format!(
            "http://127.0.0.1:{PORT}/callback?error=provider_error"
        )),
        "{to}"
    );
    assert!(param(&to, "code").is_none());
    assert!(w.events("auth.signed_in").await.is_empty());
}
