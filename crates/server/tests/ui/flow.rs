//! The scenario of the issue, in two browsers and then a third: a requester asks, an approver
//! sees it arrive in the inbox and approves, the requester watches the grant count down and
//! expire, and an auditor finds the events and a verified chain.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;

use crate::browser::{Driver, WAIT};
use crate::harness::{assert_mentions, post_json, spawn_server};

#[tokio::test]
async fn request_approve_expire_and_audit_in_real_browsers() {
    let server = spawn_server().await;
    let driver = Driver::start().await;
    let (alice_token, bob_token, root_token, dave_token) = (
        server.token("alice").await,
        server.token("bob").await,
        server.token("root").await,
        server.token("dave").await,
    );

    // The approver has the inbox open before anything arrives.
    let bob = driver.browser().await;
    bob.goto(&server.url("/login")).await;
    bob.wait_for("#login-token").await;
    bob.screenshot("sign-in", 1280).await;
    bob.sign_in(&server.base, &bob_token).await;
    bob.goto(&server.url("/inbox")).await;
    bob.wait_for("#inbox-empty").await;

    // The requester asks for the short role with a reason and a ticket.
    let alice = driver.signed_in(&server.base, &alice_token).await;
    assert_eq!(alice.text("h1").await, "My access");
    // Only the roles her policies offer are listed.
    assert_eq!(alice.count("#p-sre-quick input[name=roles]").await, 1);
    assert_eq!(alice.count("#p-sre-production input[name=roles]").await, 2);
    assert_eq!(alice.count("input[value=wicket-admin]").await, 0);
    // Durations stop at the policy's maximum.
    let options = alice
        .client
        .find_all(Locator::Css("#p-sre-quick-duration option"))
        .await
        .unwrap();
    let mut values = Vec::new();
    for o in options {
        values.push(o.attr("value").await.unwrap().unwrap_or_default());
    }
    assert_eq!(values, ["30s", "5m", "15m"]);
    assert!(
        alice
            .text("#p-sre-quick-ticket-hint")
            .await
            .contains("(INC|CHG)-[0-9]+")
    );
    alice
        .fill("#p-sre-quick-reason", "sessions stuck after deploy")
        .await;
    alice.fill("#p-sre-quick-ticket", "INC-4711").await;
    alice.click("#p-sre-quick button[type=submit]").await;
    alice
        .wait_text(".flash", "the request's creation", |t| {
            t.contains("pending approval")
        })
        .await;
    alice
        .wait_text("#my-requests li", "the pending request", |t| {
            t.contains("cache-flush") && t.contains("pending")
        })
        .await;

    // It arrives in the approver's inbox without a reload.
    bob.wait_for("article.card.request").await;
    let card = bob.text("article.card.request").await;
    let needles = [
        "alice asks for cache-flush",
        "sessions stuck after deploy",
        "INC-4711",
        "30s",
        "sre-quick",
        "group:sre-leads",
    ];
    assert_mentions("the inbox card", &card, &needles);
    assert_eq!(bob.text("[data-inbox-count]").await, "1");
    bob.screenshot("inbox", 1280).await;
    bob.screenshot("inbox-360", 360).await;
    bob.fill(
        "article.card.request textarea[name=comment]",
        "ok for INC-4711",
    )
    .await;
    bob.click("article.card.request button[value=approve]")
        .await;
    bob.wait_text(".flash", "the approval", |t| t.contains("Approved request"))
        .await;
    bob.wait_for("#inbox-empty").await;

    // The requester's page picks up the grant by itself and counts down.
    alice
        .wait_text("#current-grants .grant", "an active grant", |t| {
            t.contains("cache-flush") && t.contains("active")
        })
        .await;
    alice
        .wait_text("#current-grants .countdown", "a countdown", |t| {
            t.ends_with("s left")
        })
        .await;
    alice.screenshot("my-access", 1280).await;
    alice.screenshot("my-access-360", 360).await;
    // She uses it; the use is on the request's timeline.
    let (status, check) = post_json(
        &server.url("/v1/check"),
        &alice_token,
        json!({"action": "cache:flush", "resource": "cache/prod/sessions"}),
    )
    .await;
    assert_eq!(
        (status, check["allowed"].as_bool()),
        (200, Some(true)),
        "{check}"
    );

    // The request page tells the story so far.
    let href = alice.attr("#my-requests a", "href").await;
    alice.goto(&server.url(&href)).await;
    alice.wait_for("ol.timeline").await;
    let timeline = alice.text("ol.timeline").await;
    let kinds = [
        "request.created",
        "review.added",
        "request.approved",
        "grant.activated",
    ];
    assert_mentions("the timeline", &timeline, &kinds);
    assert!(
        timeline.contains("bob approved step 1: “ok for INC-4711”"),
        "{timeline}"
    );
    assert!(
        timeline.contains("Used: cache:flush on cache/prod/sessions by user:alice"),
        "{timeline}"
    );
    alice.screenshot("request", 1280).await;

    // The grant ends on time: the countdown says so, and so does the page when reloaded.
    alice.goto(&server.url("/")).await;
    // The 30 s grant outlasts the steps above on a loaded machine; waiting out its end takes
    // what is left of it.
    let deadline = Instant::now() + Duration::from_secs(40) + WAIT;
    loop {
        if alice.text("#current-grants .countdown").await == "expired"
            || alice.count("#current-grants .grant").await == 0
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the countdown never reached expired"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    alice.goto(&server.url("/")).await;
    alice
        .wait_text("#ended-grants .grant", "the expired grant", |t| {
            t.contains("cache-flush") && t.contains("expired")
        })
        .await;
    assert_eq!(alice.count("#current-grants .grant").await, 0);
    alice.close().await;
    bob.close().await;

    // Someone breaks the glass (over the JSON API), for the auditor to see.
    let (status, _) = post_json(
        &server.url("/v1/requests"),
        &dave_token,
        json!({"roles": ["orders-db-write"], "reason": "orders stuck", "ticket": "INC-9", "break_glass": true}),
    )
    .await;
    assert_eq!(status, 201);

    // The auditor sees the events of the request and a verified chain.
    let root = driver.signed_in(&server.base, &root_token).await;
    // `grant.expired` comes from the background sweep: up to 30 s on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        root.goto(&server.url("/audit")).await;
        let kinds = root.text("table.events tbody").await;
        if kinds.contains("grant.expired") {
            for kind in [
                "request.created",
                "review.added",
                "request.approved",
                "grant.activated",
                "anomaly.flagged",
            ] {
                assert!(kinds.contains(kind), "the audit page lacks {kind}: {kinds}");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "grant.expired never reached the audit page: {kinds}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let chain = root.text(".chain").await;
    assert!(chain.starts_with("Chain verified"), "{chain}");
    // Newest first, and every link a target of at least 24 by 24 CSS pixels (WCAG 2.2).
    let seqs = root.script("return Array.from(document.querySelectorAll('table.events tbody tr td:first-child')).map(td => Number(td.textContent))").await;
    let seqs: Vec<i64> = seqs
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(
        seqs.len() > 1 && seqs.windows(2).all(|w| w[0] > w[1]),
        "{seqs:?}"
    );
    let small = root.script("return Array.from(document.querySelectorAll('table.events a')).filter(a => { const r = a.getBoundingClientRect(); return r.width < 24 || r.height < 24; }).length").await;
    assert_eq!(small.as_u64(), Some(0), "links smaller than 24x24");
    assert_eq!(root.count(".scroll-hint").await, 1);
    root.screenshot("audit", 1280).await;
    // On a phone the table says it scrolls sideways.
    root.client.set_window_size(360, 740).await.unwrap();
    let shown = root
        .script("return getComputedStyle(document.querySelector('.scroll-hint')).display")
        .await;
    assert_eq!(shown.as_str(), Some("block"));
    root.client.set_window_size(1280, 900).await.unwrap();
    root.screenshot("audit-360", 360).await;
    root.fill("#filter-kind", "request.*").await;
    root.click("form.filters button[type=submit]").await;
    root.wait_text("table.events tbody", "only request events", |t| {
        t.contains("request.created") && !t.contains("grant.activated")
    })
    .await;
    let export = root.attr("a[download]", "href").await;
    assert_eq!(export, "/audit/export?kind=request.*");

    root.goto(&server.url("/anomalies")).await;
    root.wait_text("ul.anomalies", "the break-glass anomaly", |t| {
        t.contains("break_glass") && t.contains("dave")
    })
    .await;
    root.screenshot("anomalies", 1280).await;

    root.goto(&server.url("/grants")).await;
    root.wait_text("ul.grants", "dave's grant", |t| {
        t.contains("orders-db-write") && t.contains("dave")
    })
    .await;
    root.screenshot("grants", 1280).await;
    // Revoking someone else's grant takes a reason, asked for beside the field.
    root.click("ul.grants button.danger").await;
    let error = root
        .wait_text("ul.grants .field-error", "the missing reason", |t| {
            !t.is_empty()
        })
        .await;
    assert!(error.contains("needs a reason"), "{error}");
    root.fill("ul.grants input[name=reason]", "incident over")
        .await;
    root.click("ul.grants button.danger").await;
    root.wait_text(".flash", "the revocation", |t| {
        t.contains("Revoked orders-db-write of dave")
    })
    .await;
    root.close().await;
}
