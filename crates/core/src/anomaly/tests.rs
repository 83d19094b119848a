//! Each detector on a scripted event stream: it fires where it should, once per burst, and
//! stays silent on a benign stream. Time is passed in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

use super::burst::Bursts;
use super::*;
use crate::audit::canonical_json;
use crate::config::Config;
use crate::duration::Duration;
use crate::testkit::{self, CONFIG, FILE, at};

/// Monday 2026-01-05, 10:00 UTC.
fn base() -> Time {
    at("2026-01-05T10:00:00Z")
}

/// `secs` seconds after [`base`].
fn s(secs: i64) -> Time {
    base() + chrono::Duration::seconds(secs)
}

/// The rules of `anomalies` (TOML `[[anomalies]]` tables) on top of the test configuration.
fn rules(anomalies: &str) -> Vec<Rule> {
    Config::parse(FILE, &format!("{CONFIG}\n{anomalies}"))
        .unwrap()
        .anomalies
}

/// Builds the events of a scripted stream, numbering them.
#[derive(Default)]
struct Stream {
    seq: i64,
}

impl Stream {
    fn ev(
        &mut self,
        at: Time,
        kind: &str,
        user: &str,
        grant: Option<&str>,
        details: Value,
    ) -> AuditEvent {
        self.seq += 1;
        AuditEvent {
            seq: self.seq,
            id: format!("ev_{}", self.seq),
            at,
            actor: user.to_string(),
            kind: kind.to_string(),
            subject: Some(format!("user:{user}")),
            action: None,
            resource: None,
            decision: None,
            request_id: grant.map(|g| format!("req_of_{g}")),
            grant_id: grant.map(str::to_string),
            details: canonical_json(&details),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn denied(&mut self, at: Time, user: &str) -> AuditEvent {
        let mut e = self.ev(at, "check.denied", user, None, json!({"reason": "no"}));
        e.action = Some("db:delete".into());
        e.resource = Some("postgres/prod/orders/public/orders".into());
        e.decision = Some("deny".into());
        e
    }

    fn allowed(&mut self, at: Time, user: &str, grant: &str) -> AuditEvent {
        let mut e = self.ev(at, "check.allowed", user, Some(grant), json!({}));
        e.action = Some("db:select".into());
        e.resource = Some("postgres/prod/orders/public/orders".into());
        e.decision = Some("allow".into());
        e
    }

    fn statement(
        &mut self,
        at: Time,
        user: &str,
        action: &str,
        decision: &str,
        details: Value,
    ) -> AuditEvent {
        let mut e = self.ev(at, "gateway.statement", user, Some("gr_sql"), details);
        e.action = Some(action.into());
        e.resource = Some("postgres/prod/orders/public/orders".into());
        e.decision = Some(decision.into());
        e
    }

    fn activated(&mut self, at: Time, user: &str, grant: &str, role: &str) -> AuditEvent {
        let expires = crate::time::format(at + chrono::Duration::hours(1));
        self.ev(
            at,
            "grant.activated",
            user,
            Some(grant),
            json!({"role": role, "starts_at": crate::time::format(at), "expires_at": expires}),
        )
    }

    fn ended(&mut self, at: Time, kind: &str, actor: &str, user: &str, grant: &str) -> AuditEvent {
        let mut e = self.ev(
            at,
            kind,
            user,
            Some(grant),
            json!({"role": "orders-db-read"}),
        );
        e.actor = actor.to_string();
        e
    }
}

/// Every flag the events raise, in order.
fn run(m: &mut Monitor, events: &[AuditEvent]) -> Vec<Flag> {
    events.iter().flat_map(|e| m.observe(e, e.at)).collect()
}

const DENIED: &str = r#"
[[anomalies]]
name = "denials"
detector = "denied_burst"
severity = "medium"
threshold = 5
window = "1m"
revoke = true
"#;

#[test]
fn denied_burst_fires_once_per_burst_and_again_after_a_quiet_window() {
    let mut m = Monitor::new(&rules(DENIED));
    let mut st = Stream::default();
    // Eight denials ten seconds apart: one burst, one anomaly, at the fifth.
    let burst: Vec<AuditEvent> = (0..8).map(|i| st.denied(s(i * 10), "alice")).collect();
    let flags = run(&mut m, &burst);
    assert_eq!(flags.len(), 1, "{flags:?}");
    let f = &flags[0];
    assert_eq!(f.rule, "denials");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.subject, "user:alice");
    assert_eq!(f.triggers, ["ev_1", "ev_2", "ev_3", "ev_4", "ev_5"]);
    assert_eq!(f.at, s(40));
    assert!(
        f.summary.contains("`alice` was denied 5 times within 1m"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.revoke,
        Some(Revoke::Holder {
            user: "alice".into(),
            roles: vec![]
        })
    );
    // A second burst after a full quiet window is a second anomaly, with another id.
    let again: Vec<AuditEvent> = (0..5).map(|i| st.denied(s(300 + i), "alice")).collect();
    let second = run(&mut m, &again);
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].anomaly_id(), f.anomaly_id());
}

#[test]
fn dry_run_checks_are_neither_denials_nor_uses() {
    let mut st = Stream::default();
    let dry = |e: &mut AuditEvent| {
        e.details = canonical_json(&json!({"reason": "no", "dry_run": true}));
    };
    // Ten questions asked with `wicket check`: no burst, nothing revoked.
    let mut m = Monitor::new(&rules(DENIED));
    let mut questions: Vec<AuditEvent> = (0..10).map(|i| st.denied(s(i), "alice")).collect();
    questions.iter_mut().for_each(dry);
    assert!(run(&mut m, &questions).is_empty());
    // The same ten as attempts are a burst.
    let attempts: Vec<AuditEvent> = (0..10).map(|i| st.denied(s(20 + i), "alice")).collect();
    assert_eq!(run(&mut m, &attempts).len(), 1);
    // Allowed dry runs are no use of the grant: no volume spike.
    let mut m = Monitor::new(&rules(VOLUME));
    let mut asked: Vec<AuditEvent> = (0..10).map(|i| st.allowed(s(i), "alice", "gr_1")).collect();
    asked.iter_mut().for_each(dry);
    assert!(run(&mut m, &asked).is_empty());
}

#[test]
fn denied_burst_stays_silent_on_a_benign_stream() {
    let mut m = Monitor::new(&rules(DENIED));
    let mut st = Stream::default();
    let mut events = Vec::new();
    // Four denials in a burst, then one every 20 s (never five within a minute), and other
    // users' denials that do not add to alice's.
    for i in 0..4 {
        events.push(st.denied(s(i), "alice"));
    }
    for i in 0..20 {
        events.push(st.denied(s(100 + i * 20), "alice"));
        events.push(st.denied(s(100 + i * 20), &format!("user{i}")));
    }
    events.push(st.allowed(s(1000), "alice", "gr_1"));
    assert!(run(&mut m, &events).is_empty());
}

#[test]
fn denied_gateway_statements_count_as_denials() {
    let mut m = Monitor::new(&rules(DENIED));
    let mut st = Stream::default();
    let events: Vec<AuditEvent> = (0..5)
        .map(|i| st.statement(s(i), "alice", "db:ddl", "deny", json!({})))
        .collect();
    assert_eq!(run(&mut m, &events).len(), 1);
}

const DESTRUCTIVE: &str = r#"
[[anomalies]]
name = "destructive"
detector = "destructive_statement"
severity = "high"
kinds = ["db:ddl", "TRUNCATE", "DELETE without WHERE"]
window = "10m"
"#;

#[test]
fn destructive_statement_fires_on_each_kind_and_dedups_per_subject() {
    let mut st = Stream::default();
    let cases = [
        st.statement(
            s(0),
            "alice",
            "db:ddl",
            "allow",
            json!({"command": "DROP", "statement": "drop table orders"}),
        ),
        st.statement(
            s(0),
            "alice",
            "db:delete",
            "allow",
            json!({"command": "TRUNCATE", "statement": "truncate orders"}),
        ),
        st.statement(
            s(0),
            "alice",
            "db:delete",
            "allow",
            json!({"command": "DELETE", "unfiltered": true, "statement": "delete from orders"}),
        ),
    ];
    for e in &cases {
        let mut m = Monitor::new(&rules(DESTRUCTIVE));
        let flags = run(&mut m, std::slice::from_ref(e));
        assert_eq!(flags.len(), 1, "{e:?}");
        assert_eq!(flags[0].grant_id.as_deref(), Some("gr_sql"));
        assert!(flags[0].summary.contains("orders"), "{}", flags[0].summary);
    }
    // Three destructive statements in a row by one subject: one anomaly.
    let mut m = Monitor::new(&rules(DESTRUCTIVE));
    assert_eq!(run(&mut m, &cases).len(), 1);
}

#[test]
fn destructive_statement_stays_silent_on_a_benign_stream() {
    let mut m = Monitor::new(&rules(DESTRUCTIVE));
    let mut st = Stream::default();
    let events = [
        st.statement(
            s(0),
            "alice",
            "db:select",
            "allow",
            json!({"command": "SELECT"}),
        ),
        st.statement(
            s(1),
            "alice",
            "db:delete",
            "allow",
            json!({"command": "DELETE", "unfiltered": false}),
        ),
        st.statement(
            s(2),
            "alice",
            "db:update",
            "allow",
            json!({"command": "UPDATE", "unfiltered": true}),
        ),
        // Refused: it never ran.
        st.statement(s(3), "alice", "db:ddl", "deny", json!({"command": "DROP"})),
    ];
    assert!(run(&mut m, &events).is_empty());
}

const VOLUME: &str = r#"
[[anomalies]]
name = "volume"
detector = "volume_spike"
severity = "low"
threshold = 3
window = "1m"
revoke = true
"#;

#[test]
fn volume_spike_fires_past_the_threshold_per_grant() {
    let mut m = Monitor::new(&rules(VOLUME));
    let mut st = Stream::default();
    let events: Vec<AuditEvent> = (0..10).map(|i| st.allowed(s(i), "alice", "gr_1")).collect();
    let flags = run(&mut m, &events);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].at, s(3), "the fourth use is more than three");
    assert_eq!(flags[0].grant_id.as_deref(), Some("gr_1"));
    assert_eq!(flags[0].request_id.as_deref(), Some("req_of_gr_1"));
    assert_eq!(flags[0].revoke, Some(Revoke::Grant("gr_1".into())));
}

#[test]
fn volume_spike_stays_silent_on_a_benign_stream() {
    let mut m = Monitor::new(&rules(VOLUME));
    let mut st = Stream::default();
    let mut events = Vec::new();
    // Three uses per grant per minute, on two grants.
    for i in 0..3 {
        events.push(st.allowed(s(i), "alice", "gr_1"));
        events.push(st.allowed(s(i), "alice", "gr_2"));
    }
    for i in 0..3 {
        events.push(st.allowed(s(100 + i), "alice", "gr_1"));
    }
    // Denials are not uses.
    events.extend((0..10).map(|i| st.denied(s(200 + i), "alice")));
    assert!(run(&mut m, &events).is_empty());
}

const OFF_HOURS: &str = r#"
[[anomalies]]
name = "night"
detector = "off_hours"
severity = "low"
hours = "09:00-18:00"
weekdays = ["mon", "tue", "wed", "thu", "fri"]
timezone = "UTC+01:00"
"#;

#[test]
fn off_hours_fires_outside_working_hours_once_per_grant() {
    let mut m = Monitor::new(&rules(OFF_HOURS));
    let mut st = Stream::default();
    let events = [
        // 11:00 local on Monday: fine.
        st.activated(s(0), "alice", "gr_1", "orders-db-read"),
        st.allowed(s(60), "alice", "gr_1"),
        // 18:30 local: off hours; twice, one anomaly.
        st.allowed(at("2026-01-05T17:30:00Z"), "alice", "gr_1"),
        st.allowed(at("2026-01-05T17:31:00Z"), "alice", "gr_1"),
        // Saturday noon: off hours for another grant.
        st.activated(at("2026-01-10T11:00:00Z"), "bob", "gr_2", "orders-db-read"),
    ];
    let flags = run(&mut m, &events);
    assert_eq!(flags.len(), 2, "{flags:?}");
    assert_eq!(flags[0].grant_id.as_deref(), Some("gr_1"));
    assert!(
        flags[0].summary.contains("Monday at 18:30 (UTC+01:00)"),
        "{}",
        flags[0].summary
    );
    assert_eq!(flags[1].grant_id.as_deref(), Some("gr_2"));
    assert!(
        flags[1].summary.contains("activated on Saturday"),
        "{}",
        flags[1].summary
    );
}

#[test]
fn off_hours_stays_silent_within_working_hours() {
    let mut m = Monitor::new(&rules(OFF_HOURS));
    let mut st = Stream::default();
    let events = [
        st.activated(
            at("2026-01-05T08:00:00Z"),
            "alice",
            "gr_1",
            "orders-db-read",
        ),
        st.allowed(at("2026-01-07T16:59:00Z"), "alice", "gr_1"),
        // A denial at night is no use of a grant.
        st.denied(at("2026-01-07T23:00:00Z"), "alice"),
    ];
    assert!(run(&mut m, &events).is_empty());
}

#[test]
fn hours_wrap_midnight_and_offsets_parse() {
    let night = Hours::parse("22:00-06:00").unwrap();
    assert!(night.contains(23 * 60) && night.contains(60) && !night.contains(12 * 60));
    assert_eq!(UtcOffset::parse("UTC").unwrap(), UtcOffset(0));
    assert_eq!(
        UtcOffset::parse("-05:30").unwrap(),
        UtcOffset(-(5 * 3600 + 1800))
    );
    assert_eq!(UtcOffset::parse("UTC+2").unwrap(), UtcOffset(7200));
    assert!(UtcOffset::parse("Europe/Paris").is_err());
    assert!(Hours::parse("9-17").is_err());
    assert!(Hours::parse("09:00-09:00").is_err());
}

#[test]
fn break_glass_is_built_in_and_recorded_by_the_request() {
    let mut m = Monitor::new(&[]);
    let mut st = Stream::default();
    let mut created = st.ev(
        s(0),
        "request.created",
        "dave",
        None,
        json!({"break_glass": true}),
    );
    created.request_id = Some("req_of_gr_9".into());
    let mut normal = st.ev(
        s(0),
        "request.created",
        "alice",
        None,
        json!({"break_glass": false}),
    );
    normal.request_id = Some("req_of_gr_8".into());
    let events = [
        created,
        st.activated(s(0), "dave", "gr_9", "orders-db-write"),
        normal,
        st.activated(s(1), "alice", "gr_8", "orders-db-read"),
    ];
    let flags = run(&mut m, &events);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].rule, BREAK_GLASS_RULE);
    assert_eq!(flags[0].severity, Severity::High);
    assert!(
        flags[0].recorded,
        "the request records the built-in anomaly itself"
    );
    assert_eq!(flags[0].grant_id.as_deref(), Some("gr_9"));
    assert_eq!(flags[0].revoke, None);

    // A named break-glass rule with `revoke` is the monitor's to record.
    let mut m = Monitor::new(&rules(
        "[[anomalies]]\nname = \"glass-revoke\"\ndetector = \"break_glass\"\nrevoke = true\n",
    ));
    let flags = run(&mut m, &events);
    assert_eq!(flags.len(), 2, "the built-in one and the named one");
    let named = flags.iter().find(|f| f.rule == "glass-revoke").unwrap();
    assert!(!named.recorded);
    assert_eq!(named.revoke, Some(Revoke::Grant("gr_9".into())));
}

const UNUSED: &str = r#"
[[anomalies]]
name = "unused"
detector = "unused_grant"
severity = "low"
"#;

#[test]
fn unused_grant_fires_when_a_grant_ends_without_use() {
    let mut m = Monitor::new(&rules(UNUSED));
    let mut st = Stream::default();
    let events = [
        st.activated(s(0), "alice", "gr_1", "orders-db-read"),
        st.activated(s(0), "bob", "gr_2", "orders-db-read"),
        st.ended(s(3600), "grant.expired", "wicket", "alice", "gr_1"),
        st.ended(s(60), "grant.revoked", "carol", "bob", "gr_2"),
    ];
    let flags = run(&mut m, &events);
    assert_eq!(flags.len(), 2);
    assert_eq!(flags[0].grant_id.as_deref(), Some("gr_1"));
    assert!(
        flags[0].summary.contains("expired without being used"),
        "{}",
        flags[0].summary
    );
    assert_eq!(flags[0].triggers, ["ev_1", "ev_3"]);
    assert!(flags[1].summary.contains("was revoked without being used"));
}

#[test]
fn unused_grant_stays_silent_for_used_grants_and_grants_it_did_not_see_start() {
    let mut m = Monitor::new(&rules(UNUSED));
    let mut st = Stream::default();
    let events = [
        st.activated(s(0), "alice", "gr_1", "orders-db-read"),
        st.allowed(s(10), "alice", "gr_1"),
        st.ended(s(3600), "grant.expired", "wicket", "alice", "gr_1"),
        // Activated before the engine started: never judged.
        st.ended(s(3600), "grant.expired", "wicket", "bob", "gr_old"),
        // Revoked by the monitor itself: that anomaly already says what was wrong.
        st.activated(s(0), "bob", "gr_3", "orders-db-read"),
        st.ended(s(5), "grant.revoked", MONITOR_ACTOR, "bob", "gr_3"),
    ];
    assert!(run(&mut m, &events).is_empty());
}

#[test]
fn unused_grant_tick_judges_a_grant_whose_expiry_was_never_recorded() {
    let mut m = Monitor::new(&rules(UNUSED));
    let mut st = Stream::default();
    let e = st.activated(s(0), "alice", "gr_1", "orders-db-read");
    assert!(m.observe(&e, s(0)).is_empty());
    assert!(m.tick(s(3600)).is_empty(), "not before the grace period");
    let flags = m.tick(s(3600 + 61));
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].grant_id.as_deref(), Some("gr_1"));
    // The late `grant.expired` does not flag it twice.
    let late = st.ended(s(3700), "grant.expired", "wicket", "alice", "gr_1");
    assert!(m.observe(&late, s(3700)).is_empty());
}

const FREQUENT: &str = r#"
[[anomalies]]
name = "frequent"
detector = "frequent_activation"
severity = "medium"
threshold = 2
window = "1h"
"#;

#[test]
fn frequent_activation_fires_on_the_same_role_only() {
    let mut m = Monitor::new(&rules(FREQUENT));
    let mut st = Stream::default();
    let benign = [
        st.activated(s(0), "alice", "gr_1", "orders-db-read"),
        st.activated(s(60), "alice", "gr_2", "orders-db-write"),
        st.activated(s(120), "alice", "gr_3", "logs-read"),
        st.activated(s(180), "alice", "gr_4", "orders-db-read"),
        // The third of a role, but two hours later.
        st.activated(s(7400), "alice", "gr_5", "orders-db-read"),
    ];
    assert!(run(&mut m, &benign).is_empty());
    // gr_5 is the first within the hour; gr_7 the third.
    let more = [
        st.activated(s(7500), "alice", "gr_6", "orders-db-read"),
        st.activated(s(7600), "alice", "gr_7", "orders-db-read"),
        st.activated(s(7700), "alice", "gr_8", "orders-db-read"),
    ];
    let flags = run(&mut m, &more);
    assert_eq!(flags.len(), 1);
    assert!(
        flags[0]
            .summary
            .contains("activated role `orders-db-read` more than 2 times")
    );
    assert_eq!(flags[0].grant_id.as_deref(), Some("gr_7"));
    assert_eq!(flags[0].triggers, ["ev_5", "ev_6", "ev_7"]);
}

#[test]
fn scopes_limit_rules_to_subjects_and_roles_of_known_grants() {
    let rules = rules(
        r#"
[[anomalies]]
name = "write-volume"
detector = "volume_spike"
severity = "high"
threshold = 1
window = "1m"
subjects = ["group:sre"]
roles = ["orders-db-write"]
"#,
    );
    assert!(rules[0].scope.users.contains("alice") && !rules[0].scope.users.contains("carol"));
    let mut m = Monitor::new(&rules);
    let mut st = Stream::default();
    // gr_r is a read grant (learned from its activation): out of scope.
    let read = [
        st.activated(s(0), "alice", "gr_r", "orders-db-read"),
        st.allowed(s(1), "alice", "gr_r"),
        st.allowed(s(2), "alice", "gr_r"),
    ];
    assert!(run(&mut m, &read).is_empty());
    // gr_w was live before the engine started; the caller tells it about the grant.
    assert!(!m.knows_grant("gr_w"));
    m.learn_grant(&testkit::grant(
        "gr_w",
        "alice",
        "orders-db-write",
        "req_w",
        s(-60),
        s(3600),
    ));
    let write = [
        st.allowed(s(3), "alice", "gr_w"),
        st.allowed(s(4), "alice", "gr_w"),
    ];
    let flags = run(&mut m, &write);
    assert_eq!(flags.len(), 1);
    // carol is not in group sre.
    let carol = [
        st.allowed(s(5), "carol", "gr_w"),
        st.allowed(s(6), "carol", "gr_w"),
    ];
    assert!(run(&mut m, &carol).is_empty());
}

/// Two servers read one log differently: `a` from the start, each event at its own time;
/// `b` started later (it missed carol's burst), reads each event a second and a half after
/// it was written, ticks at other moments, and sees the `anomaly.flagged` events `a` wrote in
/// between. For every burst both saw whole they flag the same ids, so the store keeps one.
#[test]
fn two_servers_reading_one_log_differently_flag_the_same_ids_and_ignore_anomaly_events() {
    let all = rules(&format!("{DENIED}{VOLUME}"));
    let mut st = Stream::default();
    // Before `b` starts: carol's burst of denials.
    let early: Vec<AuditEvent> = (0..6).map(|i| st.denied(s(i), "carol")).collect();
    // Both see: alice's burst of denials and bob's spike of uses of one grant, interleaved.
    let mut shared = Vec::new();
    for i in 0..6 {
        shared.push(st.denied(s(100 + 2 * i), "alice"));
        shared.push(st.allowed(s(101 + 2 * i), "bob", "gr_1"));
    }

    let mut a = Monitor::new(&all);
    let mut a_flags = Vec::new();
    let mut b_stream = Vec::new();
    for e in early.iter().chain(&shared) {
        let flags = a.observe(e, e.at);
        a_flags.extend(a.tick(e.at));
        if shared.contains(e) {
            b_stream.push(e.clone());
        }
        // What `a` records lands in the log right after the event that completed it.
        for f in &flags {
            let mut flagged = st.ev(
                e.at,
                "anomaly.flagged",
                f.subject.trim_start_matches("user:"),
                f.grant_id.as_deref(),
                json!({"rule": f.rule, "anomaly_id": f.anomaly_id()}),
            );
            flagged.actor = MONITOR_ACTOR.to_string();
            if shared.contains(e) {
                b_stream.push(flagged);
            }
        }
        a_flags.extend(flags);
    }
    let mut b = Monitor::new(&all);
    let lag = chrono::Duration::milliseconds(1500);
    let mut b_flags = Vec::new();
    for (n, e) in b_stream.iter().enumerate() {
        if n % 3 == 0 {
            b_flags.extend(b.tick(e.at + lag - chrono::Duration::milliseconds(700)));
        }
        b_flags.extend(b.observe(e, e.at + lag));
    }

    let ids = |flags: &[Flag]| -> Vec<(String, String)> {
        flags
            .iter()
            .map(|f| (f.subject.clone(), f.anomaly_id()))
            .collect()
    };
    let (a_ids, b_ids) = (ids(&a_flags), ids(&b_flags));
    let subjects: Vec<&str> = a_ids.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        subjects,
        ["user:carol", "user:bob", "user:alice"],
        "{a_ids:?}"
    );
    assert_eq!(
        b_ids,
        a_ids[1..],
        "b flags what a flagged of the shared part, with its ids"
    );
    assert!(a_ids.iter().all(|(_, id)| id.starts_with("an_")));
    let distinct: std::collections::BTreeSet<_> = a_ids.iter().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), 3, "{a_ids:?}");
}

#[test]
fn windows_keep_bounded_memory() {
    let mut b = Bursts::new(3, Duration::parse("1m").unwrap());
    for i in 0..(MAX_KEYS as i64 * 2) {
        b.hit(&format!("user:u{i}"), s(i / 100), &format!("ev_{i}"));
    }
    assert!(b.len() <= MAX_KEYS, "{}", b.len());
    b.prune(s(100_000));
    assert_eq!(b.len(), 0, "every window has passed");
}
