//! The access reviews page, in Chromium: the owner of a role sees the campaign's items, revokes
//! the group's standing binding with a comment (its members lose the access at once) and
//! certifies another; someone who reviews nothing sees nothing to decide.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::browser::Driver;
use crate::harness::{CONFIG, post_json, spawn_server_with};

pub(crate) const REVIEWS: &str = r#"
[[roles]]
name = "payments-read"
owners = ["user:bob"]
permissions = [{ actions = ["db:select"], resources = ["postgres/prod/payments/**"] }]

[[bindings]]
subjects = ["group:sre", "user:erin"]
roles = ["payments-read"]

[[reviews]]
name = "payments"
roles = ["payments-read"]
reviewers = ["owners"]
every = "90d"
deadline = "7d"
"#;

async fn may_read_payments(base: &str, token: &str) -> bool {
    let (status, v) = post_json(
        &format!("{base}/v1/check"),
        token,
        json!({"action": "db:select", "resource": "postgres/prod/payments/ledger"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["allowed"] == true
}

#[tokio::test]
async fn the_owner_revokes_and_certifies_from_the_reviews_page() {
    let server = spawn_server_with(&format!("{CONFIG}\n{REVIEWS}")).await;
    let (alice_token, bob_token) = (server.token("alice").await, server.token("bob").await);
    assert!(may_read_payments(&server.base, &alice_token).await);

    let driver = Driver::start().await;
    let bob = driver.signed_in(&server.base, &bob_token).await;
    // The schedule starts the campaign in the background: load the page until it shows.
    let sre = "li.item[data-decision=pending]";
    let started = Instant::now();
    loop {
        bob.goto(&server.url("/reviews")).await;
        bob.wait_for("main h1").await;
        if bob.count(sre).await == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no campaign on the page"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(bob.text("nav").await.contains("Reviews"));

    // Revoke group sre's binding, with a comment.
    let id: String = bob.script("return [...document.querySelectorAll('li.item')].find(e => e.textContent.includes('group:sre')).dataset.item;").await
        .as_str()
        .unwrap()
        .to_string();
    let item = format!("li.item[data-item='{id}']");
    bob.fill(
        &format!("#item-{id}-comment"),
        "sre moved to the new ledger",
    )
    .await;
    bob.click(&format!("{item} button[value=revoke]")).await;
    let flash = bob
        .wait_text(".flash", "the decision", |t| t.contains("Revoked"))
        .await;
    assert!(flash.contains("payments-read of group:sre"), "{flash}");
    bob.wait_for(&format!("{item}[data-decision=revoked]"))
        .await;
    assert!(
        bob.text(&item)
            .await
            .contains("sre moved to the new ledger")
    );
    assert!(!may_read_payments(&server.base, &alice_token).await);

    // Certify erin's.
    bob.click("li.item[data-decision=pending] button[value=certify]")
        .await;
    bob.wait_text(".flash", "the certification", |t| {
        t.contains("Certified payments-read of user:erin")
    })
    .await;
    assert_eq!(bob.count("li.item[data-decision=certified]").await, 1);
    assert_eq!(bob.count("form.decide").await, 0, "nothing left to decide");
    bob.close().await;

    // alice reviews nothing.
    let alice = driver.signed_in(&server.base, &alice_token).await;
    alice.goto(&server.url("/reviews")).await;
    let text = alice.wait_text("main", "the page", |t| !t.is_empty()).await;
    assert!(text.contains("No access reviews for you."), "{text}");
    alice.close().await;
}
