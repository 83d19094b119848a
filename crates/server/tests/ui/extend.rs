//! The Extend button of *My access*, in Chromium: a request over `max_extended` shows why
//! beside the field and changes nothing; a valid one goes to the approver, and once approved
//! the same grant counts down to its new end.

use serde_json::{Value, json};

use crate::browser::Driver;
use crate::harness::spawn_server;

async fn call(method: reqwest::Method, url: &str, token: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.unwrap()
}

/// Types `text` into `css`, again if the page's poll replaced the element meanwhile (the live
/// part is replaced once after loading, unless the focus is inside it).
async fn fill(b: &crate::browser::Browser, css: &str, text: &str) {
    for _ in 0..50 {
        let script = format!(
            "var e = document.querySelector('{css}'); if (!e) return false; e.focus(); e.value = ''; return true;"
        );
        let found = b.script(&script).await;
        if found == serde_json::Value::Bool(true)
            && let Ok(e) = b.client.find(fantoccini::Locator::Css(css)).await
            && e.send_keys(text).await.is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("could not type into `{css}`");
}

/// Asks, in the Extend form `form`, for `by` more.
async fn ask(b: &crate::browser::Browser, form: &str, by: &str) {
    fill(b, &format!("{form}-by"), by).await;
    b.fill(&format!("{form}-reason"), "refunds take longer")
        .await;
    b.click(&format!("{form} button[type=submit]")).await;
}

#[tokio::test]
async fn the_extend_button_asks_for_more_time_on_the_same_grant() {
    let server = spawn_server().await;
    let (alice_token, bob_token) = (server.token("alice").await, server.token("bob").await);
    let post = reqwest::Method::POST;
    // bob approves request `id`.
    let approve = |id: String| {
        let url = server.url(&format!("/v1/requests/{id}/approve"));
        let (post, bob) = (post.clone(), bob_token.clone());
        async move { call(post, &url, &bob, Some(json!({}))).await }
    };
    let r = call(
        post.clone(),
        &server.url("/v1/requests"),
        &alice_token,
        Some(json!({"roles": ["orders-db-read"], "reason": "INC-77 refunds", "ticket": "INC-77"})),
    )
    .await;
    let rid = r["id"].as_str().unwrap();
    let r = approve(rid.to_string()).await;
    assert_eq!(r["state"], "approved", "{r}");
    let gid = r["grants"][0]["id"].as_str().unwrap().to_string();
    let grant = |token: &str| {
        let (url, token) = (server.url(&format!("/v1/grants/{gid}")), token.to_string());
        async move { call(reqwest::Method::GET, &url, &token, None).await }
    };
    let first_end = r["grants"][0]["expires_at"].as_str().unwrap().to_string();

    let driver = Driver::start().await;
    let alice = driver.signed_in(&server.base, &alice_token).await;
    let form = format!("#extend-{gid}");
    alice.wait_for(&form).await;

    // 1h held, 4h the most: 3h1m more is refused beside the field, naming the limit.
    ask(&alice, &form, "3h1m").await;
    let error = alice
        .wait_text(&format!("{form}-by-error"), "the limit", |t| !t.is_empty())
        .await;
    assert!(
        error.contains("max_extended") && error.contains("at most 3h more"),
        "{error}"
    );
    let g = grant(&alice_token).await;
    assert_eq!(
        g["expires_at"],
        first_end.as_str(),
        "a refusal changes nothing"
    );

    // Half an hour more goes to the approver.
    alice.goto(&server.url("/")).await;
    alice.wait_for(&form).await;
    ask(&alice, &form, "30m").await;
    let flash = alice
        .wait_text(".flash", "the extension request", |t| {
            t.contains("pending approval")
        })
        .await;
    assert!(flash.contains(&format!("of grant {gid} by 30m")), "{flash}");
    let ext = flash.split_whitespace().nth(1).unwrap().to_string();
    let r = approve(ext.to_string()).await;
    assert_eq!(r["state"], "approved", "{r}");
    let g = grant(&alice_token).await;
    let new_end = g["expires_at"].as_str().unwrap().to_string();
    let moved =
        wicket_core::time::parse(&new_end).unwrap() - wicket_core::time::parse(&first_end).unwrap();
    assert_eq!(moved.num_minutes(), 30);

    // The page picks up the new end by itself: the same grant counts down to it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        // Read in one script call: the poll may replace the element at any moment.
        let script = format!(
            "var e = document.querySelector('#grant-{gid} [data-expires]'); return e ? e.getAttribute('data-expires') : '';"
        );
        let shown = alice
            .script(&script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !shown.is_empty()
            && wicket_core::time::parse(&shown).ok() == wicket_core::time::parse(&new_end).ok()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page still counts down to {shown:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        alice.count("#current-grants .grant").await,
        1,
        "still one grant"
    );
    alice.close().await;
}
