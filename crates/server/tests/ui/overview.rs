//! The overview page in a real browser: the approver's figures and charts, drawn as SVG with a
//! table beside each, readable on a phone, and out of sight of those who may not see it.

use serde_json::json;

use crate::browser::Driver;
use crate::harness::{post_json, spawn_server};

#[tokio::test]
async fn approvers_see_the_overview_charts_and_requesters_do_not() {
    let server = spawn_server().await;
    let driver = Driver::start().await;
    let (alice_token, bob_token) = (server.token("alice").await, server.token("bob").await);
    // Two requests today; bob approves one.
    let mut ids = Vec::new();
    for role in ["orders-db-read", "orders-db-write"] {
        let (status, r) = post_json(
            &server.url("/v1/requests"),
            &alice_token,
            json!({"roles": [role], "reason": "INC-7 debugging", "ticket": "INC-7"}),
        )
        .await;
        assert_eq!(status, 201, "{r}");
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    let (status, r) = post_json(
        &server.url(&format!("/v1/requests/{}/approve", ids[0])),
        &bob_token,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{r}");

    let bob = driver.signed_in(&server.base, &bob_token).await;
    bob.click("a[href='/overview']").await;
    bob.wait_for("figure#requests-per-day svg").await;
    assert_eq!(bob.text("h1").await, "Overview");
    assert_eq!(bob.text("#requests dd").await, "2");
    assert_eq!(bob.text("#live-now dd").await, "1");
    assert_eq!(bob.text("#decided dd").await, "1 approved, 0 denied");
    // Today's bar is the one of height 2; the table beside the chart says the same.
    assert_eq!(
        bob.count("#requests-per-day rect.bar[data-value='2']")
            .await,
        1
    );
    assert_eq!(bob.count("#requests-per-day rect.bar").await, 30);
    let label = bob
        .script("return document.querySelector('#requests-per-day svg').getAttribute('aria-label')")
        .await;
    assert!(
        label
            .as_str()
            .unwrap()
            .starts_with("Requests per day: 2 requests over 30 days"),
        "{label}"
    );
    let rows = bob.script("return Array.from(document.querySelectorAll('#top-roles table tbody tr')).map(r => r.textContent)").await;
    assert_eq!(rows, json!(["orders-db-read1", "orders-db-write1"]));
    // The week's window has seven bars.
    bob.click("nav.windows a[href='/overview?days=7']").await;
    bob.wait_text("p.lede", "the 7-day window", |t| t.contains("last 7 days"))
        .await;
    assert_eq!(bob.count("#requests-per-day rect.bar").await, 7);
    bob.screenshot("overview", 1280).await;
    // On a phone nothing scrolls sideways: the charts shrink to the screen.
    bob.client.set_window_size(360, 740).await.unwrap();
    let overflow = bob
        .script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        )
        .await;
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "the page scrolls sideways on a phone"
    );
    bob.client.set_window_size(1280, 900).await.unwrap();
    bob.screenshot("overview-360", 360).await;
    bob.close().await;

    // A requester who approves nothing and reads no audit sees neither link nor page.
    let alice = driver.signed_in(&server.base, &alice_token).await;
    assert_eq!(alice.count("a[href='/overview']").await, 0);
    alice.goto(&server.url("/overview")).await;
    let problem = alice
        .wait_text("p.problem", "the refusal", |t| !t.is_empty())
        .await;
    assert!(problem.contains("wicket:audit.read"), "{problem}");
    alice.close().await;
}
