//! Extensions: who may ask, which steps decide, the `max_extended` bound, and what an
//! approval writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::error::ErrorKind;
use crate::model::Verdict;
use crate::testkit::{self, CONFIG, Counter, FILE, mins};
use crate::workflow::{review_with, revoke};

/// The fixture plus a policy whose extensions take one lighter step, and one whose
/// extensions are automatic.
fn config() -> Config {
    let extra = r#"
[[policies]]
name = "extendable"
requesters = ["group:sre"]
roles = ["orders-db-write"]
max_duration = "2h"
max_extended = "3h"
require_reason = true
steps = [
  { approvers = ["group:sre-leads"], min_approvals = 2 },
  { approvers = ["group:security"] },
]
extend_steps = [{ approvers = ["user:bob"] }]

[[policies]]
name = "auto-extend"
requesters = ["group:sre"]
roles = ["logs-read", "auditor"]
max_duration = "1h"
max_extended = "2h"
require_reason = false
extend_steps = []
"#;
    Config::parse(FILE, &format!("{CONFIG}{extra}")).unwrap()
}

/// alice's approved request under `policy` and its one grant, `[0, 1h)`.
fn granted(policy: &str, role: &str) -> (Request, Grant) {
    let origin = Request {
        id: "req-origin".into(),
        requester: "alice".into(),
        roles: vec![role.into()],
        policy: policy.into(),
        reason: Some("INC-7".into()),
        ticket: Some("INC-7".into()),
        duration: Duration::HOUR,
        start_at: None,
        break_glass: false,
        action: None,
        resource: None,
        state: RequestState::Approved,
        step: 2,
        created_at: mins(0),
        pending_until: mins(30),
        decided_at: Some(mins(0)),
        extends: None,
        reviews: Vec::new(),
        version: 3,
    };
    let grant = testkit::grant("gr-1", "alice", role, &origin.id, mins(0), mins(60));
    (origin, grant)
}

fn ask(by: &str) -> NewExtension {
    NewExtension {
        by: Some(by.into()),
        reason: Some("the migration runs late".into()),
    }
}

/// alice asks at `now` to extend `grant` by `by`, with a reason.
fn alice_extends(
    config: &Config,
    grant: &Grant,
    origin: &Request,
    by: &str,
    now: Time,
    ids: &mut Counter,
) -> Changes {
    extend(config, grant, origin, "alice", &ask(by), now, ids).unwrap()
}

/// alice asks at `now` to extend her `extendable` grant by `by`: the configuration, the grant,
/// what the ask wrote and the ids it drew from.
fn extension_of_extendable(by: &str, now: Time) -> (Config, Grant, Changes, Counter) {
    let config = config();
    let (origin, grant) = granted("extendable", "orders-db-write");
    let mut ids = Counter::default();
    let c = alice_extends(&config, &grant, &origin, by, now, &mut ids);
    (config, grant, c, ids)
}

/// `who` approves the extension `request` of `grant` at `now`.
fn approve(
    config: &Config,
    request: &Request,
    grant: Option<&Grant>,
    who: &str,
    now: Time,
    ids: &mut Counter,
) -> Result<Changes, WicketError> {
    review_with(
        config,
        request,
        grant,
        who,
        Verdict::Approve,
        None,
        now,
        ids,
    )
}

/// One refused ask: who asks, for what, when; the error's kind and code, and words its
/// message holds.
type Refusal = (
    &'static str,
    NewExtension,
    Time,
    ErrorKind,
    &'static str,
    &'static [&'static str],
);

#[track_caller]
fn refused(result: Result<Changes, WicketError>, kind: ErrorKind, code: &str) -> String {
    match result {
        Ok(c) => panic!("expected `{code}`, got {:?}", c.events),
        Err(e) => {
            assert_eq!((e.kind, e.code), (kind, code), "{e}");
            e.message
        }
    }
}

#[test]
fn an_extension_goes_through_the_lighter_steps_and_moves_the_end() {
    let (config, grant, c, mut ids) = extension_of_extendable("1h", mins(50));
    let request = c.request().unwrap().clone();
    assert_eq!(request.state, RequestState::Pending);
    assert_eq!(request.extends.as_deref(), Some("gr-1"));
    assert_eq!(request.roles, ["orders-db-write"]);
    assert_eq!(request.ticket.as_deref(), Some("INC-7"));
    // Never pending past the end of the grant it extends.
    assert_eq!(request.pending_until, mins(60));
    assert!(c.extension.is_none() && c.grants.is_empty());

    // erin leads SREs but only bob approves extensions here; alice never reviews her own.
    let e = approve(&config, &request, Some(&grant), "erin", mins(51), &mut ids).unwrap_err();
    assert_eq!(e.code, "not_an_approver");
    let e = approve(&config, &request, Some(&grant), "alice", mins(51), &mut ids).unwrap_err();
    assert_eq!(e.code, "self_review");

    let c = approve(&config, &request, Some(&grant), "bob", mins(52), &mut ids).unwrap();
    let after = c.request().unwrap();
    assert_eq!(after.state, RequestState::Approved);
    let ext = c.extension.clone().unwrap();
    assert_eq!(ext.grant.id, "gr-1");
    assert_eq!(ext.previous_expires_at, mins(60));
    assert_eq!(ext.grant.expires_at, mins(120));
    assert_eq!(ext.grant.starts_at, mins(0));
    assert!(c.grants.is_empty(), "an extension creates no grant");
    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["review.added", "request.approved", "grant.extended"]
    );
    let extended = &c.events[2];
    assert_eq!(extended.grant_id.as_deref(), Some("gr-1"));
    assert!(
        extended
            .details
            .contains("\"previous_expires_at\":\"2026-01-01T01:00:00.000Z\"")
    );
}

#[test]
fn an_empty_extend_steps_extends_at_once_and_the_policy_steps_apply_otherwise() {
    let config = config();
    let (origin, grant) = granted("auto-extend", "auditor");
    let input = NewExtension {
        by: Some("30m".into()),
        reason: None,
    };
    let c = extend(
        &config,
        &grant,
        &origin,
        "alice",
        &input,
        mins(10),
        &mut Counter::default(),
    )
    .unwrap();
    assert_eq!(c.request().unwrap().state, RequestState::Approved);
    assert_eq!(c.extension.unwrap().grant.expires_at, mins(90));

    // Without `extend_steps`, the policy's own two steps decide.
    let (origin, grant) = granted("sre-production", "orders-db-read");
    let mut ids = Counter::default();
    let c = alice_extends(&config, &grant, &origin, "1h", mins(10), &mut ids);
    let request = c.request().unwrap().clone();
    let c = approve(&config, &request, Some(&grant), "bob", mins(11), &mut ids).unwrap();
    assert_eq!(c.request().unwrap().state, RequestState::Pending);
    assert!(c.extension.is_none());
}

#[test]
fn hostile_extensions_are_refused_with_what_is_wrong() {
    let config = config();
    let (origin, grant) = granted("extendable", "orders-db-write");
    let mut ids = Counter::default();
    let mut ext = |who: &str, g: &Grant, input: &NewExtension, now| {
        extend(&config, g, &origin, who, input, now, &mut ids)
    };
    let no_by = NewExtension {
        by: None,
        reason: Some("x".into()),
    };
    let no_reason = NewExtension {
        by: Some("1h".into()),
        reason: None,
    };
    let cases: [Refusal; 6] = [
        (
            "bob",
            ask("1h"),
            mins(10),
            ErrorKind::Forbidden,
            "not_the_holder",
            &["`gr-1`"],
        ),
        // [0, 1h) + 2h1m = 3h1m > max_extended 3h.
        (
            "alice",
            ask("2h1m"),
            mins(10),
            ErrorKind::Policy,
            "extension_exceeds_max",
            &["`3h` (max_extended)", "at most `2h` more"],
        ),
        (
            "alice",
            ask("soon"),
            mins(10),
            ErrorKind::Invalid,
            "invalid_duration",
            &[],
        ),
        (
            "alice",
            no_by,
            mins(10),
            ErrorKind::Invalid,
            "missing_by",
            &[],
        ),
        (
            "alice",
            no_reason,
            mins(10),
            ErrorKind::Policy,
            "reason_required",
            &[],
        ),
        (
            "alice",
            ask("1h"),
            mins(60),
            ErrorKind::Conflict,
            "grant_expired",
            &["expired at 2026-01-01T01:00:00.000Z"],
        ),
    ];
    for (who, input, now, kind, code, says) in cases {
        let m = refused(ext(who, &grant, &input, now), kind, code);
        for said in says {
            assert!(m.contains(said), "{code}: {m}");
        }
    }
    let revocation = revoke(
        &grant,
        "alice",
        false,
        None,
        mins(5),
        &mut Counter::default(),
    )
    .unwrap()
    .revocation
    .unwrap();
    let mut revoked = grant.clone();
    revoked.revoked_at = Some(revocation.at);
    refused(
        ext("alice", &revoked, &ask("1h"), mins(10)),
        ErrorKind::Conflict,
        "grant_revoked",
    );
}

#[test]
fn approval_checks_the_grant_again() {
    let (config, grant, c, mut ids) = extension_of_extendable("2h", mins(10));
    let request = c.request().unwrap().clone();
    // Revoked meanwhile: the approval says so and writes nothing.
    let mut revoked = grant.clone();
    revoked.revoked_at = Some(mins(20));
    // Extended by another request meanwhile, so this one would now pass `max_extended`.
    let mut longer = grant.clone();
    longer.expires_at = mins(90);
    for (grant, code) in [
        (Some(&revoked), "grant_revoked"),
        (Some(&longer), "extension_exceeds_max"),
        // Without the grant there is nothing to move.
        (None, "grant_missing"),
    ] {
        let e = approve(&config, &request, grant, "bob", mins(30), &mut ids).unwrap_err();
        assert_eq!(e.code, code);
    }
    // A deny needs no grant.
    let c = review_with(
        &config,
        &request,
        None,
        "bob",
        Verdict::Deny,
        None,
        mins(30),
        &mut ids,
    )
    .unwrap();
    assert_eq!(c.request().unwrap().state, RequestState::Denied);
}

#[test]
fn max_extended_defaults_to_max_duration_and_is_never_shorter() {
    let config = config();
    assert_eq!(
        config.policy("sre-production").unwrap().max_extended,
        Duration::parse("4h").unwrap()
    );
    let bad = CONFIG.replace(
        "max_duration = \"4h\"",
        "max_duration = \"4h\"\nmax_extended = \"2h\"",
    );
    let e = Config::parse(FILE, &bad).unwrap_err().to_string();
    assert!(
        e.contains("max_extended `2h` is shorter than max_duration `4h`"),
        "{e}"
    );
}

proptest::proptest! {
    /// Whatever extensions are asked for, in whatever order, the window never passes
    /// `max_extended`, and one is refused only when it would.
    #[test]
    fn no_sequence_of_extensions_passes_max_extended(asks in proptest::collection::vec(1i64..=4000, 1..12)) {
        let config = config();
        let max = config.policy("auto-extend").unwrap().max_extended.as_secs();
        let (origin, mut grant) = granted("auto-extend", "auditor");
        let mut ids = Counter::default();
        for secs in asks {
            let by = Duration::from_secs(secs).unwrap().to_string();
            let input = NewExtension { by: Some(by), reason: None };
            let window = (grant.expires_at - grant.starts_at).num_seconds();
            match extend(&config, &grant, &origin, "alice", &input, mins(1), &mut ids) {
                Ok(c) => {
                    let after = c.extension.unwrap().grant;
                    proptest::prop_assert_eq!((after.expires_at - grant.expires_at).num_seconds(), secs);
                    proptest::prop_assert!((after.expires_at - after.starts_at).num_seconds() <= max);
                    grant = after;
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e.code, "extension_exceeds_max");
                    proptest::prop_assert!(window + secs > max);
                }
            }
        }
    }
}
