//! The review rules: what a campaign snapshots, who may decide an item and when, and what the
//! deadline does with the rest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::config::reviews::OnMissed;
use crate::error::ErrorKind;
use crate::testkit::{self, Counter, select_role, t, users};

/// alice (sre), bob (leads and sre) and carol (leads); role `r`, which the leads own, and
/// role `other`; one review of `r`.
fn config() -> Config {
    let people = users(&[
        ("alice", &["sre"]),
        ("bob", &["leads", "sre"]),
        ("carol", &["leads"]),
    ]);
    let owned = select_role("r", "owners = [\"group:leads\"]\n");
    let text = format!("{people}{owned}{}{REST}", select_role("other", ""));
    Config::parse("w.toml", &text).unwrap()
}

const REST: &str = r#"
[[bindings]]
subjects = ["group:sre", "user:carol"]
roles = ["r", "other"]

[[reviews]]
name = "q"
roles = ["r"]
grants_longer_than = "1d"
reviewers = ["owners"]
every = "90d"
deadline = "1h"
"#;

fn grant(id: &str, role: &str, hours: i64) -> Grant {
    testkit::grant(id, "alice", role, "req", t(0), t(hours * 3600))
}

fn campaign(suspended: &[(String, String)]) -> Campaign {
    let config = config();
    let grants = [grant("g-long", "r", 48), grant("g-short", "r", 2)];
    let (c, event) = start(
        &config,
        &config.reviews[0],
        &grants,
        suspended,
        "wicket",
        t(60),
        &mut Counter::default(),
    );
    assert_eq!(event.kind, EventKind::ReviewStarted.as_str());
    // Every item is the owners' (`group:leads`): the event names them for the notification.
    let details: serde_json::Value = serde_json::from_str(&event.details).unwrap();
    assert_eq!(details["reviewers"], serde_json::json!(["group:leads"]));
    c
}

#[test]
fn a_campaign_snapshots_the_bindings_and_long_grants_in_scope() {
    let c = campaign(&[]);
    let got: Vec<(&str, &str, Option<&str>)> = c
        .items
        .iter()
        .map(|i| (i.subject.as_str(), i.role.as_str(), i.grant_id.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("group:sre", "r", None),
            ("user:carol", "r", None),
            ("user:alice", "r", Some("g-long"))
        ]
    );
    assert!(c.items.iter().all(|i| i.reviewers == ["group:leads"]));
    assert_eq!(c.deadline, t(60 + 3600));
    let c = campaign(&[("group:sre".into(), "r".into())]);
    assert_eq!(
        c.items.len(),
        2,
        "a suspended binding is not reviewed again"
    );
}

#[test]
fn only_a_reviewer_decides_never_on_their_own_access_once_and_before_the_deadline() {
    let c = campaign(&[]);
    let ids = &mut Counter::default();
    let sre = &c.items[0].id;
    let carol = &c.items[1].id;
    let leads = ["leads".to_string()];
    let both = ["leads".to_string(), "sre".to_string()];
    let refuse = |item: &str, who: &str, groups: &[String], now| {
        decide(
            &c,
            item,
            who,
            groups,
            ItemVerdict::Certify,
            None,
            now,
            &mut Counter::default(),
        )
        .unwrap_err()
    };
    assert_eq!(
        refuse("nope", "carol", &leads, t(61)).kind,
        ErrorKind::NotFound
    );
    let e = refuse(sre, "alice", &["sre".into()], t(61));
    assert_eq!((e.kind, e.code), (ErrorKind::Forbidden, "not_a_reviewer"));
    let e = refuse(carol, "carol", &leads, t(61));
    assert_eq!((e.kind, e.code), (ErrorKind::Forbidden, "own_access"));
    let e = refuse(sre, "bob", &both, t(61));
    assert_eq!((e.kind, e.code), (ErrorKind::Forbidden, "own_access"));
    let e = refuse(sre, "carol", &leads, t(60 + 3600));
    assert_eq!((e.kind, e.code), (ErrorKind::Conflict, "review_closed"));

    let (item, event) = decide(
        &c,
        sre,
        "carol",
        &leads,
        ItemVerdict::Revoke,
        Some(" gone ".into()),
        t(61),
        ids,
    )
    .unwrap();
    assert_eq!(item.decision, ItemDecision::Revoked);
    assert_eq!(item.comment.as_deref(), Some("gone"));
    assert_eq!(event.kind, EventKind::ReviewRevoked.as_str());
    let mut c2 = c.clone();
    c2.items[0] = item;
    let e = decide(
        &c2,
        sre,
        "carol",
        &leads,
        ItemVerdict::Certify,
        None,
        t(62),
        ids,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.code), (ErrorKind::Conflict, "already_decided"));
}

#[test]
fn at_the_deadline_missed_items_follow_on_missed() {
    let c = campaign(&[]);
    let ids = &mut Counter::default();
    let (items, events) = close(&c, OnMissed::Revoke, t(4000), ids);
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i.decision == ItemDecision::Revoked));
    assert!(
        items
            .iter()
            .all(|i| i.decided_by.as_deref() == Some(SYSTEM))
    );
    assert_eq!(events.len(), 4);
    assert_eq!(events[3].kind, EventKind::ReviewClosed.as_str());
    let (items, _) = close(&c, OnMissed::Keep, t(4000), ids);
    assert!(items.iter().all(|i| i.decision == ItemDecision::Kept));
}
