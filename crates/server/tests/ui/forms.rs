//! Rule errors beside their field, and pages refused without the power, in a real browser.

use crate::browser::{Browser, Driver};
use crate::harness::spawn_server;

/// Fills each `(css, text)` of `fields`, submits `form`, and waits for the error beside its
/// field `field`; the error.
async fn refused(b: &Browser, form: &str, fields: &[(&str, &str)], field: &str) -> String {
    for (css, text) in fields {
        b.fill(css, text).await;
    }
    b.click(&format!("{form} button[type=submit]")).await;
    let what = format!("the {field} error");
    b.wait_text(&format!("{form}-{field}-error"), &what, |t| !t.is_empty())
        .await
}

#[tokio::test]
async fn a_bad_ticket_shows_the_pattern_error_beside_the_ticket_field() {
    let server = spawn_server().await;
    let driver = Driver::start().await;
    let alice = driver
        .signed_in(&server.base, &server.token("alice").await)
        .await;
    alice.click("#p-sre-production-role-0").await;
    let fields = [
        ("#p-sre-production-reason", "look at stuck refunds"),
        ("#p-sre-production-ticket", "JIRA-12"),
    ];
    let error = refused(&alice, "#p-sre-production", &fields, "ticket").await;
    assert!(
        error.contains("ticket JIRA-12 does not match (INC|CHG)-[0-9]+"),
        "{error}"
    );
    // The error is tied to the field, and what was typed is still there.
    let ticket = alice.find("#p-sre-production-ticket").await;
    assert_eq!(
        ticket.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert!(
        ticket
            .attr("aria-describedby")
            .await
            .unwrap()
            .unwrap_or_default()
            .contains("p-sre-production-ticket-error")
    );
    assert_eq!(
        ticket.prop("value").await.unwrap().as_deref(),
        Some("JIRA-12")
    );
    assert_eq!(
        alice.text("#p-sre-production-reason").await,
        "look at stuck refunds"
    );
    assert_eq!(
        alice.count(".field-error").await,
        1,
        "only the ticket is wrong"
    );
    // A failure is announced at the top, in the failure colour, with a link to the field,
    // and the focus is on the field to fix.
    let banner = alice.text("#flash.bad").await;
    assert!(
        banner.starts_with("Not done: ticket JIRA-12 does not match"),
        "{banner}"
    );
    assert_eq!(
        alice
            .count("#flash.bad a[href='#p-sre-production-ticket']")
            .await,
        1
    );
    let focused = alice.script("return document.activeElement.id").await;
    assert_eq!(focused.as_str(), Some("p-sre-production-ticket"));
    alice.screenshot("request-error", 1280).await;

    // A missing reason lands beside the reason, on the same form.
    let fields = [
        ("#p-sre-production-reason", " "),
        ("#p-sre-production-ticket", "INC-12"),
    ];
    let error = refused(&alice, "#p-sre-production", &fields, "reason").await;
    assert!(error.contains("requires a reason"), "{error}");

    // A typo in the action of the action-and-resource form is marked on the action, and the
    // reason says that most policies need it.
    assert!(
        alice
            .text("label[for=action-reason]")
            .await
            .contains("required by most policies")
            || alice
                .text("label[for=action-reason]")
                .await
                .contains("(required)"),
        "{}",
        alice.text("label[for=action-reason]").await
    );
    let fields = [
        ("#action-action", "db:selct"),
        ("#action-resource", "postgres/prod/orders/public/orders"),
        ("#action-reason", "refunds"),
        ("#action-ticket", "INC-12"),
    ];
    let error = refused(&alice, "#action", &fields, "action").await;
    assert!(
        error.contains("no role grants db:selct on any resource; did you mean db:select?"),
        "{error}"
    );
    assert_eq!(alice.count("#action-resource-error").await, 0);
    alice.close().await;
}

#[tokio::test]
async fn a_user_without_the_audit_power_gets_a_403_page_not_data() {
    let server = spawn_server().await;
    let driver = Driver::start().await;
    let erin = driver
        .signed_in(&server.base, &server.token("erin").await)
        .await;
    assert_eq!(
        erin.count("a[href='/audit']").await,
        0,
        "no audit link without the power"
    );
    erin.goto(&server.url("/audit")).await;
    erin.wait_for(".error-code").await;
    assert_eq!(erin.text(".error-code").await, "Error 403");
    assert_eq!(
        erin.text(".problem").await,
        "erin lacks wicket:audit.read on wicket"
    );
    assert_eq!(erin.count("table.events").await, 0);
    assert_eq!(erin.count(".chain").await, 0);
    erin.screenshot("forbidden", 1280).await;
    erin.goto(&server.url("/grants")).await;
    erin.wait_for(".error-code").await;
    assert!(erin.text(".problem").await.contains("wicket:grants.revoke"));
    erin.close().await;
}
