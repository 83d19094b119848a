//! The request state machine: every rule of DESIGN.md's "Semantics that tests pin down", the
//! audit events each transition writes, and properties over random sequences of operations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use super::*;
use crate::duration::Duration;
use crate::error::ErrorKind;
use crate::index::Index;
use crate::testkit::{Counter, config, index, mins, t, t0};

const ORDERS: &str = "postgres/prod/orders/public/orders";

/// A request for `roles` with a reason and a ticket that satisfy `sre-production`.
fn ask(roles: &[&str]) -> NewRequest {
    NewRequest {
        roles: roles.iter().map(ToString::to_string).collect(),
        reason: Some("INC-7: checkout errors".into()),
        ticket: Some("INC-7".into()),
        ..NewRequest::default()
    }
}

fn kinds(c: &Changes) -> Vec<&str> {
    c.events.iter().map(|e| e.kind.as_str()).collect()
}

fn after(c: &Changes) -> Request {
    c.request().unwrap().clone()
}

#[track_caller]
fn assert_err(result: Result<Changes, WicketError>, kind: ErrorKind, code: &str) -> WicketError {
    match result {
        Ok(c) => panic!("expected `{code}`, got a success writing {:?}", kinds(&c)),
        Err(e) => {
            assert_eq!((e.kind, e.code), (kind, code), "{e}");
            e
        }
    }
}

/// The scene of one test: the fixture's index and a counting id source.
struct World {
    index: Index,
    ids: Counter,
}

impl World {
    fn new() -> World {
        World {
            index: index(),
            ids: Counter::default(),
        }
    }

    fn create(
        &mut self,
        requester: &str,
        input: &NewRequest,
        now: Time,
    ) -> Result<Changes, WicketError> {
        create(&self.index, requester, input, now, &mut self.ids)
    }

    #[track_caller]
    fn created(&mut self, requester: &str, input: &NewRequest, now: Time) -> (Changes, Request) {
        let c = self.create(requester, input, now).unwrap();
        assert!(matches!(c.request, Some(RequestWrite::Insert(_))));
        let r = after(&c);
        (c, r)
    }

    fn review(
        &mut self,
        request: &Request,
        reviewer: &str,
        verdict: Verdict,
        now: Time,
    ) -> Result<Changes, WicketError> {
        let config = config();
        review(
            &config,
            request,
            reviewer,
            verdict,
            Some(format!("{reviewer} says so")),
            now,
            &mut self.ids,
        )
    }

    /// Reviews and returns the write set and the request after it.
    #[track_caller]
    fn reviewed(
        &mut self,
        request: &Request,
        reviewer: &str,
        verdict: Verdict,
        now: Time,
    ) -> (Changes, Request) {
        let c = self.review(request, reviewer, verdict, now).unwrap();
        match &c.request {
            Some(RequestWrite::Update {
                request: next,
                expected_version,
            }) => {
                assert_eq!(*expected_version, request.version);
                assert_eq!(next.version, request.version + 1);
            }
            other => panic!("a review must update the request, got {other:?}"),
        }
        let r = after(&c);
        (c, r)
    }

    /// alice's request for orders-db-read under `sre-production`, created at t0.
    fn pending(&mut self) -> Request {
        self.created("alice", &ask(&["orders-db-read"]), t0()).1
    }

    /// `pending()` taken through both steps (bob, erin, then carol) at `now`.
    fn approved(&mut self, now: Time) -> (Changes, Request) {
        let r = self.pending();
        let (_, r) = self.reviewed(&r, "bob", Verdict::Approve, now);
        let (_, r) = self.reviewed(&r, "erin", Verdict::Approve, now);
        self.reviewed(&r, "carol", Verdict::Approve, now)
    }
}

// --- Creating a request. ---

#[test]
fn create_records_a_pending_request_and_one_event() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.reason = Some("  INC-7: checkout errors \n".into());
    input.ticket = Some(" INC-7 ".into());
    let (c, r) = w.created("alice", &input, t0());
    assert_eq!(r.id, "req-1");
    assert_eq!(r.requester, "alice");
    assert_eq!(r.roles, ["orders-db-read"]);
    assert_eq!(r.policy, "sre-production");
    assert_eq!(r.reason.as_deref(), Some("INC-7: checkout errors"));
    assert_eq!(r.ticket.as_deref(), Some("INC-7"));
    assert_eq!(r.state, RequestState::Pending);
    assert_eq!((r.step, r.version), (0, 1));
    assert_eq!(r.created_at, t0());
    assert_eq!(r.pending_until, mins(30));
    assert_eq!(r.decided_at, None);
    assert_eq!((r.action.as_deref(), r.resource.as_deref()), (None, None));
    assert!(!r.break_glass);
    assert!(r.reviews.is_empty());
    assert!(
        c.grants.is_empty()
            && c.reviews.is_empty()
            && c.anomalies.is_empty()
            && c.revocation.is_none()
    );
    assert_eq!(kinds(&c), ["request.created"]);
    let e = &c.events[0];
    assert_eq!(e.actor, "alice");
    assert_eq!(e.subject.as_deref(), Some("user:alice"));
    assert_eq!(e.request_id.as_deref(), Some("req-1"));
    assert_eq!(e.at, t0());
    let details: serde_json::Value = serde_json::from_str(&e.details).unwrap();
    assert_eq!(details["policy"], "sre-production");
    assert_eq!(details["duration"], "1h");
    assert_eq!(details["roles"], serde_json::json!(["orders-db-read"]));
}

#[test]
fn a_missing_duration_takes_the_default() {
    let mut w = World::new();
    let (_, r) = w.created("alice", &ask(&["orders-db-read"]), t0());
    assert_eq!(r.duration, Duration::HOUR);
    let mut input = ask(&["orders-db-read"]);
    input.policy = Some("sre-self-service".into());
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!(r.duration, Duration::parse("15m").unwrap());
}

#[test]
fn over_the_max_is_rejected_never_shortened() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.duration = Some("4h".into());
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!(r.duration, Duration::parse("4h").unwrap());
    for over in ["4h1s", "5h", "1d", "366d"] {
        input.duration = Some(over.into());
        let e = assert_err(
            w.create("alice", &input, t0()),
            ErrorKind::Policy,
            "duration_exceeds_max",
        );
        assert!(e.message.contains("`4h`"), "{e}");
    }
}

#[test]
fn unparseable_negative_or_absurd_durations_are_invalid() {
    let mut w = World::new();
    for bad in [
        "",
        "soon",
        "1 hour",
        "-1h",
        "0s",
        "10",
        "367d",
        "99999999999999999999999d",
    ] {
        let mut input = ask(&["orders-db-read"]);
        input.duration = Some(bad.into());
        assert_err(
            w.create("alice", &input, t0()),
            ErrorKind::Invalid,
            "invalid_duration",
        );
    }
}

#[test]
fn a_reason_is_required_when_the_policy_says_so() {
    let mut w = World::new();
    for missing in [None, Some(String::new()), Some(" \t\n ".to_string())] {
        let mut input = ask(&["orders-db-read"]);
        input.reason = missing;
        let e = assert_err(
            w.create("alice", &input, t0()),
            ErrorKind::Policy,
            "reason_required",
        );
        assert!(e.message.contains("`sre-production`"), "{e}");
    }
    let mut input = ask(&["orders-db-read"]);
    input.reason = Some("x".repeat(MAX_TEXT + 1));
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Invalid,
        "reason_too_long",
    );
    // sre-self-service does not require one.
    let input = NewRequest {
        roles: vec!["auditor".into()],
        ..NewRequest::default()
    };
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!((r.policy.as_str(), r.reason), ("sre-self-service", None));
}

#[test]
fn a_ticket_must_match_the_whole_pattern() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.ticket = None;
    let e = assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "ticket_required",
    );
    assert!(e.message.contains("`(INC|CHG)-[0-9]+`"), "{e}");
    input.ticket = Some("   ".into());
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "ticket_required",
    );
    // The pattern is anchored at both ends.
    for bad in [
        "JIRA-1",
        "INC-",
        "inc-42",
        "xINC-42",
        "INC-42x",
        "see INC-42",
        "INC-42\nINC-43",
        "INC-42 CHG-1",
    ] {
        input.ticket = Some(bad.into());
        let e = assert_err(
            w.create("alice", &input, t0()),
            ErrorKind::Policy,
            "ticket_invalid",
        );
        assert!(e.message.contains(bad.trim()), "{e}");
    }
    for good in ["INC-42", "CHG-1", " CHG-0001 "] {
        input.ticket = Some(good.into());
        let (_, r) = w.created("alice", &input, t0());
        assert_eq!(r.ticket.as_deref(), Some(good.trim()));
    }
    input.ticket = Some(format!("INC-{}", "1".repeat(MAX_TICKET)));
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Invalid,
        "ticket_too_long",
    );
}

#[test]
fn what_is_requested_must_make_sense() {
    let mut w = World::new();
    assert_err(
        w.create("alice", &ask(&["orders-db-raed"]), t0()),
        ErrorKind::Policy,
        "unknown_role",
    );
    assert_err(
        w.create("alice", &ask(&["orders-db-read", "orders-db-read"]), t0()),
        ErrorKind::Invalid,
        "duplicate_role",
    );
    assert_err(
        w.create("alice", &ask(&[]), t0()),
        ErrorKind::Invalid,
        "nothing_requested",
    );
    let many: Vec<String> = (0..=MAX_ROLES).map(|i| format!("r{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_err(
        w.create("alice", &ask(&many), t0()),
        ErrorKind::Invalid,
        "too_many_roles",
    );
    let mut both = ask(&["orders-db-read"]);
    both.action = Some("db:select".into());
    both.resource = Some(ORDERS.into());
    assert_err(
        w.create("alice", &both, t0()),
        ErrorKind::Invalid,
        "ambiguous_request",
    );
    let half = NewRequest {
        action: Some("db:select".into()),
        ..ask(&[])
    };
    assert_err(
        w.create("alice", &half, t0()),
        ErrorKind::Invalid,
        "incomplete_request",
    );
    assert_err(
        w.create("zed", &ask(&["orders-db-read"]), t0()),
        ErrorKind::Forbidden,
        "unknown_user",
    );
    // bob is in no policy's requesters.
    assert_err(
        w.create("bob", &ask(&["orders-db-read"]), t0()),
        ErrorKind::Policy,
        "no_policy",
    );
    // No one policy offers both.
    assert_err(
        w.create("alice", &ask(&["orders-db-admin", "auditor"]), t0()),
        ErrorKind::Policy,
        "no_policy",
    );
    assert_eq!(w.ids.issued, 0, "a refused request draws no ids");
}

#[test]
fn a_named_policy_must_exist_cover_the_requester_and_offer_every_role() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-write"]);
    input.policy = Some("sre-self-service".into());
    let e = assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "role_not_offered",
    );
    assert!(e.message.contains("`orders-db-write`"), "{e}");
    input.policy = Some("no-such-policy".into());
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "unknown_policy",
    );
    input.policy = Some("on-call-break-glass".into());
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "not_a_requester",
    );
    // Named, it is used even though an earlier policy also fits.
    let mut input = ask(&["orders-db-read"]);
    input.policy = Some("sre-self-service".into());
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!(r.policy, "sre-self-service");
}

#[test]
fn the_first_matching_policy_in_file_order_is_used() {
    let mut w = World::new();
    // sre-production and sre-self-service both offer orders-db-read to alice: the first wins.
    let (_, r) = w.created("alice", &ask(&["orders-db-read"]), t0());
    assert_eq!(r.policy, "sre-production");
    // dave is on call too, but sre-production still comes first.
    let (_, r) = w.created("dave", &ask(&["orders-db-write"]), t0());
    assert_eq!(r.policy, "sre-production");
    // One policy must cover all the roles: only sre-self-service offers both of these.
    let (_, r) = w.created("alice", &ask(&["orders-db-read", "auditor"]), t0());
    assert_eq!(r.policy, "sre-self-service");
    assert_eq!(r.state, RequestState::Approved);
}

// --- Reviewing. ---

#[test]
fn two_steps_need_two_then_one_distinct_approvers() {
    let mut w = World::new();
    let r = w.pending();
    let (c, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    assert_eq!(kinds(&c), ["review.added"]);
    assert_eq!(
        (r.state, r.step),
        (RequestState::Pending, 0),
        "one of two approvals"
    );
    assert_eq!(c.reviews.len(), 1);
    assert_eq!(c.reviews[0].reviewer, "bob");
    assert_eq!(c.reviews[0].step, 0);
    assert_eq!(c.reviews[0].comment.as_deref(), Some("bob says so"));
    let e = &c.events[0];
    assert_eq!(
        (e.actor.as_str(), e.decision.as_deref()),
        ("bob", Some("approve"))
    );
    assert_eq!(e.subject.as_deref(), Some("user:alice"));
    // The same person cannot count twice.
    assert_err(
        w.review(&r, "bob", Verdict::Approve, mins(2)),
        ErrorKind::Conflict,
        "already_reviewed",
    );
    // The second step's approvers cannot act yet.
    assert_err(
        w.review(&r, "carol", Verdict::Approve, mins(2)),
        ErrorKind::Forbidden,
        "not_an_approver",
    );

    let (c, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(3));
    assert_eq!(kinds(&c), ["review.added"]);
    assert_eq!(
        (r.state, r.step),
        (RequestState::Pending, 1),
        "first step passed"
    );
    // Leads are not approvers of the second step.
    assert_err(
        w.review(&r, "frank", Verdict::Approve, mins(4)),
        ErrorKind::Forbidden,
        "not_an_approver",
    );

    let (c, r) = w.reviewed(&r, "carol", Verdict::Approve, mins(5));
    assert_eq!(
        kinds(&c),
        ["review.added", "request.approved", "grant.activated"]
    );
    assert_eq!(r.state, RequestState::Approved);
    assert_eq!(r.step, 2);
    assert_eq!(r.decided_at, Some(mins(5)));
    assert_eq!(r.version, 4);
    let reviewers: Vec<(&str, u32)> = r
        .reviews
        .iter()
        .map(|v| (v.reviewer.as_str(), v.step))
        .collect();
    assert_eq!(reviewers, [("bob", 0), ("erin", 0), ("carol", 1)]);

    // The clock starts at approval.
    assert_eq!(c.grants.len(), 1);
    let g = &c.grants[0];
    assert!(g.activation_recorded);
    assert_eq!(g.grant.user, "alice");
    assert_eq!(g.grant.role, "orders-db-read");
    assert_eq!(g.grant.request_id, r.id);
    assert_eq!((g.grant.starts_at, g.grant.expires_at), (mins(5), mins(65)));
    assert_eq!(g.grant.revoked_at, None);
    let approved = &c.events[1];
    assert_eq!(approved.actor, "carol");
    let activated = &c.events[2];
    assert_eq!(activated.grant_id.as_deref(), Some(g.grant.id.as_str()));
    assert_eq!(activated.request_id.as_deref(), Some(r.id.as_str()));
}

#[test]
fn every_role_gets_its_own_grant_over_the_same_window() {
    let mut w = World::new();
    let (_, r) = w.created("alice", &ask(&["orders-db-read", "orders-db-write"]), t0());
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    let (_, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(1));
    let (c, _) = w.reviewed(&r, "carol", Verdict::Approve, mins(2));
    assert_eq!(
        kinds(&c),
        [
            "review.added",
            "request.approved",
            "grant.activated",
            "grant.activated"
        ]
    );
    let roles: Vec<&str> = c.grants.iter().map(|g| g.grant.role.as_str()).collect();
    assert_eq!(roles, ["orders-db-read", "orders-db-write"]);
    assert_ne!(c.grants[0].grant.id, c.grants[1].grant.id);
    assert!(
        c.grants
            .iter()
            .all(|g| g.grant.starts_at == mins(2) && g.grant.expires_at == mins(62))
    );
}

#[test]
fn the_requester_never_reviews_their_own_request() {
    let mut w = World::new();
    // frank is a lead, so he is listed among the approvers of his own request's first step.
    let (_, r) = w.created("frank", &ask(&["orders-db-read"]), t0());
    for verdict in [Verdict::Approve, Verdict::Deny] {
        assert_err(
            w.review(&r, "frank", verdict, mins(1)),
            ErrorKind::Forbidden,
            "self_review",
        );
    }
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    assert_err(
        w.review(&r, "frank", Verdict::Approve, mins(1)),
        ErrorKind::Forbidden,
        "self_review",
    );
    let (_, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(1));
    let (_, r) = w.reviewed(&r, "carol", Verdict::Approve, mins(1));
    assert_eq!(r.state, RequestState::Approved);
    assert!(r.reviews.iter().all(|v| v.reviewer != "frank"));
}

#[test]
fn only_the_current_steps_approvers_may_review() {
    let mut w = World::new();
    let r = w.pending();
    for outsider in ["dave", "mallory", "carol", "zed"] {
        let e = assert_err(
            w.review(&r, outsider, Verdict::Approve, mins(1)),
            ErrorKind::Forbidden,
            "not_an_approver",
        );
        assert!(e.message.contains("group:sre-leads"), "{e}");
    }
    // A deny from an outsider does not deny either.
    assert_err(
        w.review(&r, "dave", Verdict::Deny, mins(1)),
        ErrorKind::Forbidden,
        "not_an_approver",
    );
}

#[test]
fn a_second_review_by_the_same_person_conflicts() {
    let mut w = World::new();
    let r = w.pending();
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    assert_err(
        w.review(&r, "bob", Verdict::Approve, mins(2)),
        ErrorKind::Conflict,
        "already_reviewed",
    );
    assert_err(
        w.review(&r, "bob", Verdict::Deny, mins(2)),
        ErrorKind::Conflict,
        "already_reviewed",
    );
}

#[test]
fn one_deny_denies() {
    let mut w = World::new();
    let r = w.pending();
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    let (c, r) = w.reviewed(&r, "erin", Verdict::Deny, mins(2));
    assert_eq!(kinds(&c), ["review.added", "request.denied"]);
    assert_eq!(c.events[0].decision.as_deref(), Some("deny"));
    assert_eq!(c.events[1].actor, "erin");
    assert_eq!(r.state, RequestState::Denied);
    assert_eq!(r.decided_at, Some(mins(2)));
    assert!(c.grants.is_empty());

    // A deny at the last step, after the first passed, denies as well.
    let r = w.pending();
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    let (_, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(1));
    let (c, r) = w.reviewed(&r, "carol", Verdict::Deny, mins(2));
    assert_eq!(kinds(&c), ["review.added", "request.denied"]);
    assert_eq!(r.state, RequestState::Denied);
    assert!(c.grants.is_empty());
}

#[test]
fn a_decided_request_cannot_be_reviewed() {
    let mut w = World::new();
    let r = w.pending();
    let (_, denied) = w.reviewed(&r, "bob", Verdict::Deny, mins(1));
    let e = assert_err(
        w.review(&denied, "erin", Verdict::Approve, mins(2)),
        ErrorKind::Conflict,
        "request_decided",
    );
    assert!(e.message.contains("denied"), "{e}");

    let (_, approved) = w.approved(mins(1));
    // Even someone who has not reviewed yet, and even a deny.
    assert_err(
        w.review(&approved, "frank", Verdict::Deny, mins(2)),
        ErrorKind::Conflict,
        "request_decided",
    );

    let r = w.pending();
    let cancelled = after(&cancel(&r, "alice", None, mins(1), &mut w.ids).unwrap());
    assert_err(
        w.review(&cancelled, "bob", Verdict::Approve, mins(2)),
        ErrorKind::Conflict,
        "request_decided",
    );
}

#[test]
fn a_review_comment_has_a_limit() {
    let mut w = World::new();
    let r = w.pending();
    let long = Some("x".repeat(MAX_TEXT + 1));
    let e = review(
        &config(),
        &r,
        "bob",
        Verdict::Approve,
        long,
        mins(1),
        &mut w.ids,
    )
    .unwrap_err();
    assert_eq!((e.kind, e.code), (ErrorKind::Invalid, "comment_too_long"));
}

#[test]
fn a_policy_without_steps_approves_at_once() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.policy = Some("sre-self-service".into());
    let (c, r) = w.created("alice", &input, t0());
    assert_eq!(
        kinds(&c),
        ["request.created", "request.approved", "grant.activated"]
    );
    assert!(matches!(c.request, Some(RequestWrite::Insert(_))));
    assert_eq!(r.state, RequestState::Approved);
    assert_eq!(r.decided_at, Some(t0()));
    assert_eq!(r.version, 1);
    assert_eq!(c.grants.len(), 1);
    let g = &c.grants[0].grant;
    assert_eq!((g.starts_at, g.expires_at), (t0(), mins(15)));
    assert!(c.grants[0].activation_recorded);
    assert!(c.anomalies.is_empty());
    // And it is done: nobody reviews it.
    assert_err(
        w.review(&r, "bob", Verdict::Approve, mins(1)),
        ErrorKind::Conflict,
        "request_decided",
    );
}

// --- Request TTL. ---

#[test]
fn a_pending_request_expires_at_its_ttl() {
    let mut w = World::new();
    let r = w.pending();
    assert_eq!(r.pending_until, mins(30));
    assert!(expire(&r, mins(30) - chrono::Duration::milliseconds(1), &mut w.ids).is_none());
    let c = expire(&r, mins(30), &mut w.ids).unwrap();
    assert_eq!(kinds(&c), ["request.expired"]);
    assert_eq!(c.events[0].actor, SYSTEM);
    assert_eq!(c.events[0].request_id.as_deref(), Some(r.id.as_str()));
    let Some(RequestWrite::Update {
        request: expired,
        expected_version,
    }) = &c.request
    else {
        panic!("{c:?}")
    };
    assert_eq!(*expected_version, 1);
    assert_eq!(expired.state, RequestState::Expired);
    assert_eq!(expired.version, 2);
    assert_eq!(expired.decided_at, Some(mins(30)));
    // Expired is terminal, and a review of it answers as one before the sweep does.
    assert!(expire(expired, mins(60), &mut w.ids).is_none());
    let e = assert_err(
        w.review(expired, "bob", Verdict::Approve, mins(60)),
        ErrorKind::Conflict,
        "request_expired",
    );
    assert!(e.message.contains("2026-01-01T00:30:00.000Z"), "{e}");
}

#[test]
fn a_review_after_the_ttl_conflicts_even_before_the_sweep() {
    let mut w = World::new();
    let r = w.pending();
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(29));
    let e = assert_err(
        w.review(&r, "erin", Verdict::Approve, mins(30)),
        ErrorKind::Conflict,
        "request_expired",
    );
    assert!(e.message.contains("2026-01-01T00:30:00.000Z"), "{e}");
}

#[test]
fn only_pending_requests_expire() {
    let mut w = World::new();
    let (_, approved) = w.approved(mins(1));
    assert!(expire(&approved, mins(60), &mut w.ids).is_none());
    let r = w.pending();
    let (_, denied) = w.reviewed(&r, "bob", Verdict::Deny, mins(1));
    assert!(expire(&denied, mins(60), &mut w.ids).is_none());
}

// --- Scheduled start. ---

#[test]
fn a_scheduled_window_starts_at_start_at() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.start_at = Some("2026-01-01T02:00:00Z".into());
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!(r.start_at, Some(mins(120)));
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(5));
    let (_, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(6));
    let (c, r) = w.reviewed(&r, "carol", Verdict::Approve, mins(10));
    assert_eq!(r.state, RequestState::Approved);
    // Not active yet: its activation is recorded when it starts, not now.
    assert_eq!(kinds(&c), ["review.added", "request.approved"]);
    let g = &c.grants[0];
    assert!(!g.activation_recorded);
    assert_eq!(
        (g.grant.starts_at, g.grant.expires_at),
        (mins(120), mins(180))
    );
}

#[test]
fn a_late_approval_does_not_extend_a_scheduled_window() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.start_at = Some("2026-01-01T00:10:00Z".into());
    let (_, r) = w.created("alice", &input, t0());
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    let (_, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(2));
    let (c, _) = w.reviewed(&r, "carol", Verdict::Approve, mins(25));
    assert_eq!(
        kinds(&c),
        ["review.added", "request.approved", "grant.activated"]
    );
    let g = &c.grants[0].grant;
    // [start_at, start_at + 1h], cut at the front by the late approval, never moved.
    assert_eq!((g.starts_at, g.expires_at), (mins(25), mins(70)));
}

#[test]
fn start_at_must_be_a_time_not_in_the_past_nor_too_far_ahead() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.start_at = Some("tomorrow".into());
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Invalid,
        "invalid_start_at",
    );
    input.start_at = Some("2025-12-31T23:58:00Z".into());
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "start_at_in_past",
    );
    input.start_at = Some("2026-04-02T00:00:00Z".into()); // 91 days
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "start_at_too_far",
    );
    // A little clock skew is tolerated; the grant then starts at approval.
    input.start_at = Some("2025-12-31T23:59:30Z".into());
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!(r.start_at, Some(t(-30)));
}

#[test]
fn a_window_that_is_over_before_it_could_start_is_refused() {
    let mut w = World::new();
    // Within the skew, but 30s from 50s ago ended 20s ago: approving it at once would make a
    // grant that expired before it started.
    let input = NewRequest {
        roles: vec!["auditor".into()],
        start_at: Some("2025-12-31T23:59:10Z".into()),
        duration: Some("30s".into()),
        ..NewRequest::default()
    };
    assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "start_at_in_past",
    );
}

#[test]
fn a_scheduled_request_stays_pending_no_longer_than_its_window() {
    let mut w = World::new();
    // on-call-break-glass keeps requests pending for a day by default; this window ends at 0:40.
    let input = NewRequest {
        roles: vec!["orders-db-read".into()],
        policy: Some("on-call-break-glass".into()),
        reason: Some("INC-9".into()),
        duration: Some("30m".into()),
        start_at: Some("2026-01-01T00:10:00Z".into()),
        ..NewRequest::default()
    };
    let (_, r) = w.created("dave", &input, t0());
    assert_eq!(r.pending_until, mins(40));
    assert_err(
        w.review(&r, "bob", Verdict::Approve, mins(40)),
        ErrorKind::Conflict,
        "request_expired",
    );
    assert!(expire(&r, mins(40), &mut w.ids).is_some());
    let (c, _) = w.reviewed(&r, "bob", Verdict::Approve, mins(39));
    let g = &c.grants[0].grant;
    assert!(g.starts_at < g.expires_at);
    assert_eq!((g.starts_at, g.expires_at), (mins(39), mins(40)));
}

// --- Cancelling. ---

#[test]
fn only_the_requester_cancels_and_only_while_pending() {
    let mut w = World::new();
    let r = w.pending();
    for other in ["bob", "carol", "zed"] {
        assert_err(
            cancel(&r, other, None, mins(1), &mut w.ids),
            ErrorKind::Forbidden,
            "not_the_requester",
        );
    }
    let c = cancel(
        &r,
        "alice",
        Some("fixed it myself".into()),
        mins(1),
        &mut w.ids,
    )
    .unwrap();
    assert_eq!(kinds(&c), ["request.cancelled"]);
    assert_eq!(c.events[0].actor, "alice");
    assert!(c.events[0].details.contains("fixed it myself"));
    let Some(RequestWrite::Update {
        request: cancelled,
        expected_version: 1,
    }) = &c.request
    else {
        panic!("{c:?}")
    };
    assert_eq!(cancelled.state, RequestState::Cancelled);
    assert_eq!(
        (cancelled.version, cancelled.decided_at),
        (2, Some(mins(1)))
    );
    assert_err(
        cancel(cancelled, "alice", None, mins(2), &mut w.ids),
        ErrorKind::Conflict,
        "request_decided",
    );

    let (_, approved) = w.approved(mins(1));
    assert_err(
        cancel(&approved, "alice", None, mins(2), &mut w.ids),
        ErrorKind::Conflict,
        "request_decided",
    );
}

#[test]
fn a_request_past_its_ttl_cannot_be_cancelled() {
    let mut w = World::new();
    let r = w.pending();
    assert_err(
        cancel(&r, "alice", None, mins(30), &mut w.ids),
        ErrorKind::Conflict,
        "request_expired",
    );
    assert!(cancel(&r, "alice", None, mins(29), &mut w.ids).is_ok());
}

// --- Break-glass. ---

fn break_glass(duration: Option<&str>) -> NewRequest {
    NewRequest {
        roles: vec!["orders-db-write".into()],
        reason: Some("orders db is down, paging did not reach a lead".into()),
        duration: duration.map(Into::into),
        break_glass: true,
        ..NewRequest::default()
    }
}

#[test]
fn break_glass_is_approved_at_once_and_flagged_high() {
    let mut w = World::new();
    let mut input = break_glass(None);
    input.policy = Some("on-call-break-glass".into());
    let (c, r) = w.created("dave", &input, t0());
    assert_eq!(
        kinds(&c),
        [
            "request.created",
            "request.approved",
            "grant.activated",
            "anomaly.flagged"
        ]
    );
    assert_eq!(r.state, RequestState::Approved);
    assert!(r.break_glass);
    assert!(r.reviews.is_empty());
    assert_eq!(r.duration, Duration::parse("30m").unwrap());
    let g = &c.grants[0].grant;
    assert_eq!(
        (g.user.as_str(), g.role.as_str()),
        ("dave", "orders-db-write")
    );
    assert_eq!((g.starts_at, g.expires_at), (t0(), mins(30)));
    assert_eq!(c.anomalies.len(), 1);
    let a = &c.anomalies[0];
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.rule, "break_glass");
    assert_eq!(a.subject, "user:dave");
    assert_eq!(a.request_id.as_deref(), Some(r.id.as_str()));
    assert_eq!(a.grant_id.as_deref(), Some(g.id.as_str()));
    let flagged = &c.events[3];
    assert_eq!(flagged.actor, SYSTEM);
    assert_eq!(flagged.grant_id.as_deref(), Some(g.id.as_str()));
    let details: serde_json::Value = serde_json::from_str(&flagged.details).unwrap();
    assert_eq!(details["severity"], "high");
    assert_eq!(details["anomaly_id"], a.id.as_str());
}

#[test]
fn break_glass_picks_the_first_policy_that_allows_it() {
    let mut w = World::new();
    // dave's first matching policy is sre-production, which has no break-glass; the glass
    // should not need the requester to know which policy has it.
    let (c, r) = w.created("dave", &break_glass(None), t0());
    assert_eq!(r.policy, "on-call-break-glass");
    assert_eq!(r.state, RequestState::Approved);
    assert_eq!(c.anomalies.len(), 1);
    // Without break-glass, the same request goes to sre-production as before.
    let mut input = break_glass(None);
    input.break_glass = false;
    input.ticket = Some("INC-1".into());
    let (_, r) = w.created("dave", &input, t0());
    assert_eq!(
        (r.policy.as_str(), r.state),
        ("sre-production", RequestState::Pending)
    );
}

#[test]
fn break_glass_is_refused_where_the_policy_does_not_allow_it() {
    let mut w = World::new();
    let mut input = break_glass(None);
    input.ticket = Some("INC-1".into());
    // alice is not on call: her only policies have no break-glass.
    let e = assert_err(
        w.create("alice", &input, t0()),
        ErrorKind::Policy,
        "break_glass_not_allowed",
    );
    assert!(e.message.contains("`sre-production`"), "{e}");
    input.policy = Some("sre-production".into());
    assert_err(
        w.create("dave", &input, t0()),
        ErrorKind::Policy,
        "break_glass_not_allowed",
    );
}

#[test]
fn break_glass_still_respects_max_duration_and_reason() {
    let mut w = World::new();
    assert_err(
        w.create("dave", &break_glass(Some("2h")), t0()),
        ErrorKind::Policy,
        "duration_exceeds_max",
    );
    let (c, _) = w.created("dave", &break_glass(Some("1h")), t0());
    assert_eq!(c.grants[0].grant.expires_at, mins(60));
    let mut input = break_glass(None);
    input.reason = None;
    assert_err(
        w.create("dave", &input, t0()),
        ErrorKind::Policy,
        "reason_required",
    );
}

// --- Resource-based requests. ---

fn for_resource(action: &str, resource: &str) -> NewRequest {
    NewRequest {
        action: Some(action.into()),
        resource: Some(resource.into()),
        ..ask(&[])
    }
}

#[test]
fn a_resource_request_picks_the_smallest_requestable_role() {
    let mut w = World::new();
    let (_, r) = w.created("alice", &for_resource("db:select", ORDERS), t0());
    assert_eq!(r.roles, ["orders-db-read"]);
    assert_eq!(r.policy, "sre-production");
    assert_eq!(
        (r.action.as_deref(), r.resource.as_deref()),
        (Some("db:select"), Some(ORDERS))
    );
    let (_, r) = w.created("alice", &for_resource("db:delete", ORDERS), t0());
    assert_eq!(r.roles, ["orders-db-write"]);
    let (_, r) = w.created("alice", &for_resource("db:truncate", ORDERS), t0());
    assert_eq!(r.roles, ["orders-db-admin"]);
    // Within a named policy.
    let mut input = for_resource("db:select", ORDERS);
    input.policy = Some("sre-self-service".into());
    let (_, r) = w.created("alice", &input, t0());
    assert_eq!(
        (r.roles.as_slice(), r.policy.as_str(), r.state),
        (
            &["orders-db-read".to_string()][..],
            "sre-self-service",
            RequestState::Approved
        )
    );
}

#[test]
fn a_resource_request_for_something_unrequestable_is_refused() {
    let mut w = World::new();
    let e = assert_err(
        w.create("alice", &for_resource("db:ddl", ORDERS), t0()),
        ErrorKind::Policy,
        "denied_by_guardrail",
    );
    assert!(e.message.contains("`no-ddl-in-prod`"), "{e}");
    assert!(
        e.message.contains("schema changes go through migrations"),
        "{e}"
    );
    assert_err(
        w.create(
            "alice",
            &for_resource("db:select", "postgres/staging/orders"),
            t0(),
        ),
        ErrorKind::Policy,
        "nothing_requestable",
    );
    assert_err(
        w.create("alice", &for_resource("select", ORDERS), t0()),
        ErrorKind::Invalid,
        "invalid_action",
    );
    assert_err(
        w.create(
            "alice",
            &for_resource("db:select", "postgres//orders"),
            t0(),
        ),
        ErrorKind::Invalid,
        "invalid_resource",
    );
}

// --- Revoking. ---

fn a_grant(w: &mut World) -> Grant {
    w.approved(mins(1)).0.grants[0].grant.clone()
}

#[test]
fn the_holder_may_release_their_own_grant() {
    let mut w = World::new();
    let g = a_grant(&mut w);
    let c = revoke(&g, "alice", false, None, mins(10), &mut w.ids).unwrap();
    assert_eq!(kinds(&c), ["grant.revoked"]);
    let rev = c.revocation.as_ref().unwrap();
    assert_eq!(
        (rev.grant_id.as_str(), rev.by.as_str(), rev.at),
        (g.id.as_str(), "alice", mins(10))
    );
    assert_eq!(rev.reason, "released by the holder");
    let e = &c.events[0];
    assert_eq!(
        (e.actor.as_str(), e.subject.as_deref()),
        ("alice", Some("user:alice"))
    );
    assert_eq!(e.grant_id.as_deref(), Some(g.id.as_str()));
    assert_eq!(e.request_id.as_deref(), Some(g.request_id.as_str()));
    let c = revoke(
        &g,
        "alice",
        false,
        Some("  done early ".into()),
        mins(10),
        &mut w.ids,
    )
    .unwrap();
    assert_eq!(c.revocation.unwrap().reason, "done early");
}

#[test]
fn revoking_someone_elses_grant_needs_the_power_and_a_reason() {
    let mut w = World::new();
    let g = a_grant(&mut w);
    let e = assert_err(
        revoke(
            &g,
            "bob",
            false,
            Some("why not".into()),
            mins(10),
            &mut w.ids,
        ),
        ErrorKind::Forbidden,
        "missing_power",
    );
    assert!(e.message.contains("wicket:grants.revoke"), "{e}");
    assert_err(
        revoke(&g, "carol", true, None, mins(10), &mut w.ids),
        ErrorKind::Policy,
        "reason_required",
    );
    assert_err(
        revoke(&g, "carol", true, Some("  ".into()), mins(10), &mut w.ids),
        ErrorKind::Policy,
        "reason_required",
    );
    assert_err(
        revoke(
            &g,
            "carol",
            true,
            Some("x".repeat(MAX_TEXT + 1)),
            mins(10),
            &mut w.ids,
        ),
        ErrorKind::Invalid,
        "reason_too_long",
    );
    let c = revoke(
        &g,
        "carol",
        true,
        Some("suspicious queries".into()),
        mins(10),
        &mut w.ids,
    )
    .unwrap();
    let rev = c.revocation.unwrap();
    assert_eq!(
        (rev.by.as_str(), rev.reason.as_str()),
        ("carol", "suspicious queries")
    );
    assert_eq!(c.events[0].actor, "carol");
}

#[test]
fn a_revoked_or_expired_grant_cannot_be_revoked() {
    let mut w = World::new();
    let mut g = a_grant(&mut w);
    assert_eq!(g.expires_at, mins(61));
    assert_err(
        revoke(&g, "alice", false, None, mins(61), &mut w.ids),
        ErrorKind::Conflict,
        "grant_expired",
    );
    g.revoked_at = Some(mins(5));
    g.revoked_by = Some("alice".into());
    assert_err(
        revoke(&g, "alice", false, None, mins(10), &mut w.ids),
        ErrorKind::Conflict,
        "grant_revoked",
    );
    assert_err(
        revoke(
            &g,
            "carol",
            true,
            Some("again".into()),
            mins(10),
            &mut w.ids,
        ),
        ErrorKind::Conflict,
        "grant_revoked",
    );
}

#[test]
fn a_scheduled_grant_can_be_revoked_before_it_starts() {
    let mut w = World::new();
    let mut input = ask(&["orders-db-read"]);
    input.start_at = Some("2026-01-01T02:00:00Z".into());
    let (_, r) = w.created("alice", &input, t0());
    let (_, r) = w.reviewed(&r, "bob", Verdict::Approve, mins(1));
    let (_, r) = w.reviewed(&r, "erin", Verdict::Approve, mins(1));
    let (c, _) = w.reviewed(&r, "carol", Verdict::Approve, mins(1));
    let g = &c.grants[0].grant;
    assert_eq!(g.status(mins(2)), GrantStatus::Scheduled);
    assert!(revoke(g, "alice", false, None, mins(2), &mut w.ids).is_ok());
}

// --- The state machine under random operations. ---

#[derive(Clone, Debug)]
enum Op {
    Review(usize, Verdict),
    Cancel(usize),
    Expire,
    /// Seconds to move the clock forward.
    Wait(i64),
}

/// Everyone who might act, and someone the configuration does not know.
const ACTORS: [&str; 8] = [
    "alice", "bob", "erin", "frank", "carol", "dave", "mallory", "zed",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..ACTORS.len(), prop_oneof![4 => Just(Verdict::Approve), 1 => Just(Verdict::Deny)]).prop_map(|(a, v)| Op::Review(a, v)),
        1 => (0..ACTORS.len()).prop_map(Op::Cancel),
        1 => Just(Op::Expire),
        2 => (0i64..900).prop_map(Op::Wait),
    ]
}

/// A request to start from: (requester, roles, policy named, duration seconds, start_at offset).
fn start() -> impl Strategy<
    Value = (
        &'static str,
        Vec<&'static str>,
        Option<&'static str>,
        i64,
        Option<i64>,
    ),
> {
    (
        prop_oneof![
            Just(("alice", None)),
            Just(("frank", None)),
            Just(("dave", Some("on-call-break-glass"))),
            Just(("alice", Some("sre-self-service"))),
        ],
        prop_oneof![
            Just(vec!["orders-db-read"]),
            Just(vec!["orders-db-read", "orders-db-write"])
        ],
        prop_oneof![1i64..=600, 1i64..=3600],
        prop::option::of(prop_oneof![0i64..600, 0i64..7200]),
    )
        .prop_map(|((who, policy), roles, secs, start)| {
            let roles = if policy == Some("sre-self-service") {
                vec!["orders-db-read"]
            } else {
                roles
            };
            (who, roles, policy, secs, start)
        })
}

/// What must hold of every request the machine produces, whatever happened before.
fn check_request(r: &Request) -> Result<(), TestCaseError> {
    let config = config();
    let policy = config.policy(&r.policy).unwrap();
    // INVARIANT: the requester never reviews, and a person reviews once.
    prop_assert!(
        r.reviews.iter().all(|v| v.reviewer != r.requester),
        "{:?}",
        r.reviews
    );
    let mut reviewers: Vec<&str> = r.reviews.iter().map(|v| v.reviewer.as_str()).collect();
    reviewers.sort_unstable();
    reviewers.dedup();
    prop_assert_eq!(
        reviewers.len(),
        r.reviews.len(),
        "a reviewer counted twice: {:?}",
        r.reviews
    );
    // Every review was by an approver of the step it was on.
    for v in &r.reviews {
        let step = &policy.steps[v.step as usize];
        prop_assert!(
            step.approvers
                .iter()
                .any(|s| s.covers(&v.reviewer, config.groups_of(&v.reviewer))),
            "{v:?}"
        );
    }
    let denies = r
        .reviews
        .iter()
        .filter(|v| v.decision == Verdict::Deny)
        .count();
    match r.state {
        RequestState::Approved => {
            prop_assert_eq!(denies, 0);
            prop_assert_eq!(r.step as usize, policy.steps.len());
            if !r.break_glass {
                for (i, step) in policy.steps.iter().enumerate() {
                    let approvals = r
                        .reviews
                        .iter()
                        .filter(|v| v.step as usize == i && v.decision == Verdict::Approve)
                        .count();
                    prop_assert!(
                        approvals >= step.min_approvals as usize,
                        "step {i} passed with {approvals}: {r:?}"
                    );
                }
            }
            prop_assert!(r.decided_at.is_some());
        }
        RequestState::Denied => {
            prop_assert_eq!(denies, 1);
            prop_assert_eq!(r.reviews.last().map(|v| v.decision), Some(Verdict::Deny));
            prop_assert!(r.decided_at.is_some());
        }
        RequestState::Pending => {
            prop_assert_eq!(denies, 0);
            prop_assert!((r.step as usize) < policy.steps.len());
            prop_assert!(r.decided_at.is_none());
        }
        RequestState::Cancelled | RequestState::Expired => {
            prop_assert_eq!(denies, 0);
            prop_assert!(r.decided_at.is_some());
        }
    }
    Ok(())
}

/// What must hold of the grants an approval produces.
fn check_grants(r: &Request, c: &Changes, now: Time) -> Result<(), TestCaseError> {
    let config = config();
    let max = config.policy(&r.policy).unwrap().max_duration.to_chrono();
    if r.state != RequestState::Approved {
        prop_assert!(c.grants.is_empty());
        return Ok(());
    }
    let roles: Vec<&str> = c.grants.iter().map(|g| g.grant.role.as_str()).collect();
    prop_assert_eq!(
        roles,
        r.roles.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for g in &c.grants {
        let g = &g.grant;
        prop_assert_eq!(&g.user, &r.requester);
        prop_assert_eq!(&g.request_id, &r.id);
        prop_assert!(
            g.starts_at >= now,
            "{g:?} starts before its approval at {now}"
        );
        prop_assert!(g.starts_at < g.expires_at, "{g:?} is empty or inverted");
        prop_assert!(
            g.expires_at - g.starts_at <= max,
            "{g:?} lasts longer than {max}"
        );
        prop_assert!(
            g.expires_at - g.starts_at <= r.duration.to_chrono(),
            "{g:?} lasts longer than asked"
        );
        if let Some(s) = r.start_at {
            prop_assert!(
                g.expires_at <= s + r.duration.to_chrono(),
                "{g:?} extended past its window"
            );
        }
        prop_assert!(g.is_active(now) || g.status(now) == GrantStatus::Scheduled);
    }
    let activated = kinds(c).iter().filter(|k| **k == "grant.activated").count();
    prop_assert_eq!(
        activated,
        c.grants.iter().filter(|g| g.activation_recorded).count()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_request_state_machine_keeps_its_invariants(
        (who, roles, policy, secs, start_offset) in start(),
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let index = index();
        let config = config();
        let mut ids = Counter::default();
        let input = NewRequest {
            roles: roles.iter().map(ToString::to_string).collect(),
            policy: policy.map(Into::into),
            reason: Some("INC-1".into()),
            ticket: Some("INC-1".into()),
            duration: Some(format!("{secs}s")),
            start_at: start_offset.map(|s| crate::time::format(t(s))),
            ..NewRequest::default()
        };
        let mut now = t0();
        let created = create(&index, who, &input, now, &mut ids);
        let c = match created {
            Ok(c) => c,
            // dave's on-call policy allows at most an hour; longer is refused, never shortened.
            Err(e) => {
                prop_assert_eq!(e.code, "duration_exceeds_max");
                prop_assert!(secs > config.policy("on-call-break-glass").unwrap().max_duration.as_secs());
                return Ok(());
            }
        };
        let mut request = after(&c);
        prop_assert_eq!(request.version, 1);
        check_request(&request)?;
        check_grants(&request, &c, now)?;

        for op in ops {
            let before = request.clone();
            let result: Option<Result<Changes, WicketError>> = match op {
                Op::Wait(s) => {
                    now += chrono::Duration::seconds(s);
                    None
                }
                Op::Review(a, verdict) => Some(review(&config, &request, ACTORS[a], verdict, None, now, &mut ids)),
                Op::Cancel(a) => Some(cancel(&request, ACTORS[a], None, now, &mut ids)),
                Op::Expire => Some(expire(&request, now, &mut ids).ok_or_else(|| WicketError::conflict("not_due", "not due"))),
            };
            let Some(result) = result else { continue };
            match result {
                Err(e) => {
                    // A refusal changes nothing and says why in a way a client can act on.
                    prop_assert!(matches!(e.kind, ErrorKind::Conflict | ErrorKind::Forbidden), "{e:?} for {op:?}");
                    if let Op::Review(a, _) = op {
                        prop_assert!(ACTORS[a] != before.requester || e.code == "self_review" || before.state.is_terminal() || now >= before.pending_until);
                    }
                }
                Ok(c) => {
                    // INVARIANT: nothing leaves a terminal state.
                    prop_assert!(!before.state.is_terminal(), "{op:?} succeeded on a {} request", before.state.as_str());
                    prop_assert!(now < before.pending_until || matches!(op, Op::Expire), "{op:?} after the ttl");
                    let Some(RequestWrite::Update { request: next, expected_version }) = c.request.clone() else {
                        return Err(TestCaseError::fail(format!("{op:?} wrote no request update")));
                    };
                    prop_assert_eq!(expected_version, before.version);
                    prop_assert!(next.version > before.version);
                    prop_assert_eq!(next.version, before.version + 1);
                    prop_assert!(c.events.iter().all(|e| e.request_id.as_deref() == Some(next.id.as_str())));
                    let ks = kinds(&c);
                    match (&op, next.state) {
                        (Op::Review(..), RequestState::Pending) => prop_assert_eq!(ks, ["review.added"]),
                        (Op::Review(..), RequestState::Denied) => prop_assert_eq!(ks, ["review.added", "request.denied"]),
                        (Op::Review(..), RequestState::Approved) => {
                            prop_assert_eq!(&ks[..2], &["review.added", "request.approved"]);
                            prop_assert!(ks[2..].iter().all(|k| *k == "grant.activated"));
                        }
                        (Op::Cancel(a), RequestState::Cancelled) => {
                            prop_assert_eq!(ACTORS[*a], before.requester.as_str());
                            prop_assert_eq!(ks, ["request.cancelled"]);
                        }
                        (Op::Expire, RequestState::Expired) => {
                            prop_assert!(now >= before.pending_until);
                            prop_assert_eq!(ks, ["request.expired"]);
                        }
                        (op, state) => return Err(TestCaseError::fail(format!("{op:?} led to {state:?}"))),
                    }
                    check_request(&next)?;
                    check_grants(&next, &c, now)?;
                    request = next;
                }
            }
        }
    }
}
