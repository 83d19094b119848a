//! Wicket's indexed `decide` and `requestable` answer word for word as the first, scanning
//! implementation (`reference`) did: same verdict, reason, via, guardrail and requestable
//! roles, on generated workloads and on a configuration built to hit the corner cases.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::sync::Arc;

use wicket_bench::reference;
use wicket_bench::wicket;
use wicket_bench::workload::{Spec, Workload};
use wicket_core::decide::requestable;
use wicket_core::{Action, Config, Grant, Index, Resource, decide, time};

fn same_answers(index: &Index, users: &[&str], actions: &[&str], resources: &[&str], now: &str) {
    let now = time::parse(now).unwrap();
    for user in users {
        for a in actions {
            for r in resources {
                let (a, r) = (Action::parse(a).unwrap(), Resource::parse(r).unwrap());
                assert_eq!(
                    decide(index, user, &a, &r, now),
                    reference::decide(index, user, &a, &r, now),
                    "{user} {a} {r}"
                );
                assert_eq!(
                    requestable(index, user, &a, &r),
                    reference::requestable(index, user, &a, &r),
                    "{user} {a} {r}"
                );
            }
        }
    }
}

#[test]
fn generated_workloads() {
    for (roles, seed) in [(100, 1), (400, 2), (1_000, 3)] {
        let w = Workload::generate(Spec {
            seed,
            ..Spec::with_roles(roles).checks(3_000)
        });
        let e = wicket::Engine::new(&w).unwrap();
        let config = e.index.config();
        for u in &config.users {
            assert_eq!(
                e.index.standing_of(&u.name),
                reference::standing(config, &u.name).as_slice(),
                "{}",
                u.name
            );
        }
        let mut denied_with_roles = 0;
        for c in &e.checks {
            let ours = decide(&e.index, &c.user, &c.action, &c.resource, e.now);
            assert_eq!(
                ours,
                reference::decide(&e.index, &c.user, &c.action, &c.resource, e.now),
                "{c:?}"
            );
            denied_with_roles += usize::from(!ours.allowed && !ours.requestable.is_empty());
        }
        assert!(denied_with_roles > 0);
    }
}

const CORNERS: &str = r#"
[[users]]
name = "alice"
groups = ["sre", "dba"]
[[users]]
name = "bob"
groups = ["dev"]
[[users]]
name = "carol"

[[roles]]
name = "a"
permissions = [{ actions = ["db:*"], resources = ["pg/**/orders"] }]
[[roles]]
name = "b"
permissions = [{ actions = ["*"], resources = ["pg/*/orders/*", "k8s/**"] }]
[[roles]]
name = "c"
permissions = [{ actions = ["db:select"], resources = ["pg/prod/orders"] }, { actions = ["logs:view", "db:select"], resources = ["**"] }]
[[roles]]
name = "d"
permissions = [{ actions = ["db:select", "db:insert"], resources = ["*/prod/**"] }]
[[roles]]
name = "e"
permissions = [{ actions = ["db:select"], resources = ["pg/prod/orders/**/**"] }]

[[guardrails]]
name = "g1"
actions = ["db:ddl"]
resources = ["**"]
reason = "no ddl"
[[guardrails]]
name = "g2"
actions = ["db:insert"]
resources = ["pg/*/orders"]
subjects = ["group:dev"]
reason = "no inserts"
[[guardrails]]
name = "g3"
actions = ["*"]
resources = ["pg/prod/secret/**", "k8s/a/*"]
subjects = ["user:alice"]
reason = "not alice"

[[bindings]]
subjects = ["group:sre", "user:alice"]
roles = ["a", "c"]
expires_at = "2026-01-01T11:00:00Z"
[[bindings]]
subjects = ["user:alice"]
roles = ["c"]
[[bindings]]
subjects = ["group:dba"]
roles = ["d"]
expires_at = "2026-01-01T13:00:00Z"
[[bindings]]
subjects = ["group:dev"]
roles = ["e", "a"]

[[policies]]
name = "p1"
requesters = ["group:dev"]
roles = ["b", "c"]
max_duration = "1h"
[[policies]]
name = "p2"
requesters = ["group:dev", "user:carol"]
roles = ["c", "d", "a", "b"]
max_duration = "1h"
[[policies]]
name = "p3"
requesters = ["user:carol"]
roles = ["e", "e"]
max_duration = "1h"
"#;

fn grant(id: &str, user: &str, role: &str, starts: &str, expires: &str) -> Grant {
    Grant::new(
        id,
        user,
        role,
        format!("rq-{id}"),
        (time::parse(starts).unwrap(), time::parse(expires).unwrap()),
    )
}

#[test]
fn corner_cases() {
    let config = Arc::new(Config::parse("corners.toml", CORNERS).unwrap());
    let mut index = Index::new(config.clone());
    for user in ["alice", "bob", "carol"] {
        assert_eq!(
            index.standing_of(user),
            reference::standing(&config, user).as_slice(),
            "{user}"
        );
    }
    // Equal expiries (the later one in the index is named), scheduled, expired, and grants
    // that are replaced, revoked, or for a role or user that does not exist.
    // Times are hours and minutes on 2026-01-01, UTC.
    for (id, user, role, starts, expires) in [
        ("x1", "bob", "b", "10:00", "14:00"),
        ("x2", "bob", "b", "10:30", "14:00"),
        ("x3", "bob", "c", "10:00", "12:30"),
        ("x4", "carol", "d", "12:30", "15:00"),
        ("x5", "carol", "c", "09:00", "11:30"),
        ("x1", "bob", "b", "10:00", "14:00"),
        ("x6", "nobody", "b", "10:00", "14:00"),
        ("x7", "bob", "nothing", "10:00", "14:00"),
    ] {
        let on_the_day = |hm: &str| format!("2026-01-01T{hm}:00Z");
        index.upsert_grant(&grant(
            id,
            user,
            role,
            &on_the_day(starts),
            &on_the_day(expires),
        ));
    }
    let mut revoked = grant(
        "x8",
        "alice",
        "b",
        "2026-01-01T10:00:00Z",
        "2026-01-01T14:00:00Z",
    );
    index.upsert_grant(&revoked);
    revoked.revoked_at = Some(time::parse("2026-01-01T10:05:00Z").unwrap());
    index.upsert_grant(&revoked);
    assert_eq!(index.grant_count(), 5);

    let users = ["alice", "bob", "carol", "dave"];
    let actions = [
        "db:select",
        "db:insert",
        "db:ddl",
        "logs:view",
        "service:restart",
    ];
    let resources = [
        "pg/prod/orders",
        "pg/prod/orders/x",
        "pg/x/orders",
        "pg/orders",
        "pg/prod/orders/a/b/orders",
        "pg/prod/secret/k",
        "k8s",
        "k8s/a/b",
        "logs/prod",
        "x",
    ];
    for now in [
        "2026-01-01T10:15:00Z",
        "2026-01-01T11:00:00Z",
        "2026-01-01T12:45:00Z",
        "2026-01-01T13:00:00Z",
        "2026-01-01T16:00:00Z",
    ] {
        same_answers(&index, &users, &actions, &resources, now);
    }
    index.remove_grant("x2");
    index.prune(time::parse("2026-01-01T12:40:00Z").unwrap());
    assert_eq!(index.grant_count(), 2);
    assert_eq!(index.grants_of("carol").len(), 1);
    same_answers(&index, &users, &actions, &resources, "2026-01-01T12:45:00Z");
}
