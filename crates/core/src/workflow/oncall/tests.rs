//! On-call approval records what the provider found, on the step it was asked for only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::config::Config;
use crate::index::Index;
use crate::model::RequestState;
use crate::testkit::{Counter, mins, select_role, users};
use crate::workflow::{NewRequest, create, review};

/// alice requests; carol (security) and then bob (leads, when on call) approve.
fn config() -> Config {
    let people = users(&[
        ("alice", &["sre"]),
        ("bob", &["leads"]),
        ("carol", &["security"]),
    ]);
    let role = select_role("r", "");
    let text = format!("{people}{role}{POLICY}");
    Config::parse("wicket.toml", &text).unwrap()
}

const POLICY: &str = r#"
[[policies]]
name = "p"
requesters = ["group:sre"]
roles = ["r"]
max_duration = "1h"
require_reason = false
steps = [
  { approvers = ["group:security"] },
  { approvers = ["group:leads"], oncall = { provider = "pagerduty", schedules = ["PS"] } },
]

[oncall.pagerduty]
token_env = "PD"
"#;

fn evidence(step: u32) -> OnCallEvidence {
    OnCallEvidence {
        provider: Provider::PagerDuty,
        schedule: "PS".into(),
        step,
        escalation_level: Some(1),
        shift_start: Some(mins(-60)),
        shift_end: Some(mins(60)),
    }
}

#[test]
fn only_the_on_call_step_it_was_asked_for_is_approved() {
    let config = std::sync::Arc::new(config());
    let index = Index::new(config.clone());
    let mut ids = Counter::default();
    let input = NewRequest {
        roles: vec!["r".into()],
        ..NewRequest::default()
    };
    let r = create(&index, "alice", &input, mins(0), &mut ids)
        .unwrap()
        .request()
        .unwrap()
        .clone();
    assert!(
        pending_oncall(&config, &r).is_none(),
        "step 1 is for people"
    );
    let e = oncall_approve(&config, &r, None, &evidence(0), mins(1), &mut ids).unwrap_err();
    assert_eq!(e.code, "step_changed");

    let r = review(
        &config,
        &r,
        "carol",
        Verdict::Approve,
        None,
        mins(1),
        &mut ids,
    )
    .unwrap()
    .request()
    .unwrap()
    .clone();
    assert_eq!(pending_oncall(&config, &r).unwrap().schedules, ["PS"]);
    // A lookup made for another step, or another schedule, records nothing.
    assert_eq!(
        oncall_approve(&config, &r, None, &evidence(0), mins(2), &mut ids)
            .unwrap_err()
            .code,
        "step_changed"
    );
    let mut other = evidence(1);
    other.schedule = "ELSEWHERE".into();
    assert_eq!(
        oncall_approve(&config, &r, None, &other, mins(2), &mut ids)
            .unwrap_err()
            .code,
        "step_changed"
    );

    let c = oncall_approve(&config, &r, None, &evidence(1), mins(2), &mut ids).unwrap();
    let after = c.request().unwrap();
    assert_eq!(after.state, RequestState::Approved);
    assert_eq!(after.reviews.last().unwrap().reviewer, ONCALL);
    assert_eq!(c.grants.len(), 1);
    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["review.added", "request.approved", "grant.activated"]
    );
    assert!(
        c.events[0].details.contains("\"schedule\":\"PS\""),
        "{}",
        c.events[0].details
    );
    assert_eq!(c.events[1].actor, ONCALL);
}
