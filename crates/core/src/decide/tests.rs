//! The decision function: unit tests of each rule, and properties over random configurations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::config::Config;
use crate::model::Grant;
use crate::powers;
use crate::powers::Power;
use crate::testkit::{self, action, at, index, resource, t, t0};

const ORDERS: &str = "postgres/prod/orders/public/orders";

fn grant(id: &str, user: &str, role: &str, starts_at: Time, expires_at: Time) -> Grant {
    testkit::grant(id, user, role, "req-1", starts_at, expires_at)
}

fn check(index: &Index, user: &str, act: &str, res: &str, now: Time) -> Decision {
    decide(index, user, &action(act), &resource(res), now)
}

fn names(d: &Decision) -> Vec<(&str, &str)> {
    d.requestable
        .iter()
        .map(|r| (r.role.as_str(), r.policy.as_str()))
        .collect()
}

#[test]
fn an_unknown_user_is_denied() {
    let d = check(&index(), "zed", "logs:view", "logs/prod/web", t0());
    assert!(!d.allowed);
    assert_eq!(d.reason, "unknown user `zed`");
    assert_eq!(d.via, None);
    assert!(d.requestable.is_empty());
}

#[test]
fn deny_by_default_lists_requestable_roles_smallest_first() {
    let d = check(&index(), "alice", "db:select", ORDERS, t0());
    assert!(!d.allowed);
    assert_eq!(d.via, None);
    assert_eq!(d.guardrail, None);
    // Not file order (admin, write, read) and not policy order: least privilege first.
    assert_eq!(
        names(&d),
        [
            ("orders-db-read", "sre-production"),
            ("orders-db-write", "sre-production"),
            ("orders-db-admin", "sre-production"),
        ]
    );
    assert!(
        d.reason
            .contains("you may request `orders-db-read`, `orders-db-write`, `orders-db-admin`"),
        "{}",
        d.reason
    );

    // Only the roles that allow the check are offered.
    let d = check(&index(), "alice", "db:insert", ORDERS, t0());
    assert_eq!(
        names(&d),
        [
            ("orders-db-write", "sre-production"),
            ("orders-db-admin", "sre-production")
        ]
    );

    // A role offered by several policies is named with the first that offers it.
    let d = check(
        &index(),
        "alice",
        "wicket:audit.read",
        powers::RESOURCE,
        t0(),
    );
    assert_eq!(names(&d), [("auditor", "sre-self-service")]);
}

#[test]
fn nothing_requestable_is_an_empty_list() {
    // bob requests nothing: no policy lists him.
    let d = check(&index(), "bob", "db:select", ORDERS, t0());
    assert!(!d.allowed);
    assert!(d.requestable.is_empty());
    assert_eq!(
        d.reason,
        format!("no role of `bob` allows `db:select` on `{ORDERS}`")
    );
}

#[test]
fn the_smallest_role_is_the_least_privileged_not_the_fewest_patterns() {
    // `db:*` on `**` is one pattern pair, but it is no smaller than two exact actions.
    let text = testkit::CONFIG.replace(
        "[[roles]]\nname = \"orders-db-admin\"",
        "[[roles]]\nname = \"superuser\"\npermissions = [{ actions = [\"*\"], resources = [\"**\"] }]\n\n[[roles]]\nname = \"orders-db-admin\"",
    )
    .replace("roles = [\"orders-db-admin\",", "roles = [\"superuser\", \"orders-db-admin\",");
    let index = Index::new(Arc::new(Config::parse("x.toml", &text).unwrap()));
    let d = check(&index, "alice", "db:select", ORDERS, t0());
    let roles: Vec<&str> = d.requestable.iter().map(|r| r.role.as_str()).collect();
    assert_eq!(
        roles,
        [
            "orders-db-read",
            "orders-db-write",
            "orders-db-admin",
            "superuser"
        ]
    );
}

#[test]
fn a_guardrail_beats_a_standing_binding() {
    // mallory has orders-db-read standing, but contractors are kept off production.
    let d = check(&index(), "mallory", "db:select", ORDERS, t0());
    assert!(!d.allowed);
    assert_eq!(d.guardrail.as_deref(), Some("contractors-off-prod"));
    assert!(
        d.reason
            .contains("guardrail `contractors-off-prod`: contractors work on staging"),
        "{}",
        d.reason
    );
    assert!(d.requestable.is_empty());
    assert_eq!(d.via, None);
    // The same binding still works for carol, whom the guardrail does not name.
    assert!(check(&index(), "carol", "db:select", ORDERS, t0()).allowed);
}

#[test]
fn a_guardrail_beats_a_grant_and_offers_nothing() {
    let mut index = index();
    index.upsert_grant(&grant("gr-1", "alice", "orders-db-admin", t0(), t(3600)));
    assert!(check(&index, "alice", "db:insert", ORDERS, t(1)).allowed);
    let d = check(&index, "alice", "db:ddl", ORDERS, t(1));
    assert!(!d.allowed);
    assert_eq!(d.guardrail.as_deref(), Some("no-ddl-in-prod"));
    assert!(
        d.reason.contains("schema changes go through migrations"),
        "{}",
        d.reason
    );
    assert!(
        d.requestable.is_empty(),
        "a guardrail denial is not the start of a request"
    );
    assert_eq!(d.via, None);
}

#[test]
fn a_standing_binding_allows_via_its_role() {
    let d = check(&index(), "alice", "logs:view", "logs/prod/web", t0());
    assert!(d.allowed);
    assert_eq!(
        d.via,
        Some(Via {
            role: "logs-read".into(),
            grant_id: None,
            expires_at: None
        })
    );
    assert!(d.requestable.is_empty());
    assert_eq!(d.guardrail, None);
    assert_eq!(d.reason, "allowed by standing role `logs-read`");
    // Bindings give roles to groups; the role's patterns still decide.
    assert!(!check(&index(), "alice", "logs:view", "logs/staging/web", t0()).allowed);
    assert!(!check(&index(), "carol", "logs:view", "logs/prod/web", t0()).allowed);
}

#[test]
fn a_binding_with_expiry_stops_allowing_at_that_instant() {
    let end = at("2030-01-01T00:00:00Z");
    let before = end - chrono::Duration::milliseconds(1);
    let d = check(&index(), "carol", "db:select", ORDERS, before);
    assert!(d.allowed);
    assert_eq!(d.via.as_ref().unwrap().expires_at, Some(end));
    assert_eq!(d.via.as_ref().unwrap().grant_id, None);
    let d = check(&index(), "carol", "db:select", ORDERS, end);
    assert!(!d.allowed);
    assert!(
        !check(
            &index(),
            "carol",
            "db:select",
            ORDERS,
            end + chrono::Duration::days(1)
        )
        .allowed
    );
}

#[test]
fn a_grant_allows_exactly_within_its_window() {
    let mut index = index();
    let (start, end) = (t(100), t(200));
    index.upsert_grant(&grant("gr-1", "alice", "orders-db-read", start, end));
    let ms = chrono::Duration::milliseconds(1);
    assert!(
        !check(&index, "alice", "db:select", ORDERS, start - ms).allowed,
        "before starts_at"
    );
    let d = check(&index, "alice", "db:select", ORDERS, start);
    assert!(d.allowed, "at starts_at");
    assert_eq!(
        d.via,
        Some(Via {
            role: "orders-db-read".into(),
            grant_id: Some("gr-1".into()),
            expires_at: Some(end)
        })
    );
    assert_eq!(d.reason, "allowed by grant `gr-1` of role `orders-db-read`");
    assert!(
        check(&index, "alice", "db:select", ORDERS, end - ms).allowed,
        "just before expires_at"
    );
    assert!(
        !check(&index, "alice", "db:select", ORDERS, end).allowed,
        "at expires_at"
    );
    assert!(
        !check(&index, "alice", "db:select", ORDERS, end + ms).allowed,
        "after expires_at"
    );
    // The grant's role decides what it allows.
    assert!(!check(&index, "alice", "db:insert", ORDERS, t(150)).allowed);
    // It is alice's grant, nobody else's.
    assert!(!check(&index, "dave", "db:select", ORDERS, t(150)).allowed);
}

#[test]
fn of_several_grants_the_longest_lasting_is_named() {
    let mut index = index();
    index.upsert_grant(&grant("gr-short", "alice", "orders-db-read", t0(), t(100)));
    index.upsert_grant(&grant("gr-long", "alice", "orders-db-write", t0(), t(500)));
    index.upsert_grant(&grant(
        "gr-later",
        "alice",
        "orders-db-admin",
        t(50),
        t(900),
    ));
    let d = check(&index, "alice", "db:select", ORDERS, t(10));
    assert_eq!(d.via.unwrap().grant_id.as_deref(), Some("gr-long"));
    let d = check(&index, "alice", "db:select", ORDERS, t(60));
    assert_eq!(d.via.unwrap().grant_id.as_deref(), Some("gr-later"));
}

#[test]
fn a_revoked_grant_denies() {
    let mut index = index();
    let mut g = grant("gr-1", "alice", "orders-db-read", t0(), t(3600));
    index.upsert_grant(&g);
    assert!(check(&index, "alice", "db:select", ORDERS, t(10)).allowed);
    g.revoked_at = Some(t(20));
    g.revoked_by = Some("carol".into());
    index.upsert_grant(&g);
    assert!(!check(&index, "alice", "db:select", ORDERS, t(30)).allowed);
    assert_eq!(index.grant_count(), 0);
    assert!(index.grants_of("alice").is_empty());
}

#[test]
fn upsert_replaces_a_grant() {
    let mut index = index();
    let mut g = grant("gr-1", "alice", "orders-db-read", t0(), t(3600));
    index.upsert_grant(&g);
    g.expires_at = t(60);
    index.upsert_grant(&g);
    assert_eq!(index.grant_count(), 1);
    assert_eq!(index.grants_of("alice").len(), 1);
    assert!(!check(&index, "alice", "db:select", ORDERS, t(60)).allowed);
}

#[test]
fn grants_for_unknown_users_or_roles_are_ignored() {
    let mut index = index();
    index.upsert_grant(&grant("gr-1", "zed", "orders-db-read", t0(), t(3600)));
    index.upsert_grant(&grant("gr-2", "alice", "no-such-role", t0(), t(3600)));
    assert_eq!(index.grant_count(), 0);
    assert!(!check(&index, "alice", "db:select", ORDERS, t(1)).allowed);
}

#[test]
fn remove_grant_removes_only_that_grant() {
    let mut index = index();
    index.upsert_grant(&grant("gr-1", "alice", "orders-db-read", t0(), t(3600)));
    index.upsert_grant(&grant("gr-2", "alice", "auditor", t0(), t(3600)));
    index.remove_grant("gr-1");
    index.remove_grant("gr-unknown");
    assert_eq!(index.grant_count(), 1);
    assert!(!check(&index, "alice", "db:select", ORDERS, t(1)).allowed);
    assert!(
        check(
            &index,
            "alice",
            Power::AuditRead.as_str(),
            powers::RESOURCE,
            t(1)
        )
        .allowed
    );
    index.remove_grant("gr-2");
    assert_eq!(index.grant_count(), 0);
    assert!(index.grants_of("alice").is_empty());
}

#[test]
fn prune_drops_exactly_the_grants_that_ended() {
    let mut index = index();
    index.upsert_grant(&grant("gr-ended", "alice", "orders-db-read", t0(), t(100)));
    index.upsert_grant(&grant("gr-live", "dave", "orders-db-read", t0(), t(101)));
    index.upsert_grant(&grant(
        "gr-later",
        "frank",
        "orders-db-read",
        t(500),
        t(900),
    ));
    index.prune(t(100));
    assert_eq!(index.grant_count(), 2);
    assert!(index.grants_of("alice").is_empty());
    assert_eq!(index.grants_of("dave")[0].id, "gr-live");
    assert!(check(&index, "dave", "db:select", ORDERS, t(100)).allowed);
    assert!(check(&index, "frank", "db:select", ORDERS, t(500)).allowed);
    // A pruned grant's id is forgotten: removing it again is harmless.
    index.remove_grant("gr-ended");
    index.prune(t(1000));
    assert_eq!(index.grant_count(), 0);
}

#[test]
fn wicket_powers_are_ordinary_permissions() {
    let mut index = index();
    // carol holds auditor and access-admin standing.
    for (power, allowed) in [
        (Power::AuditRead, true),
        (Power::RequestsRead, true),
        (Power::GrantsRevoke, true),
        (Power::CheckOthers, false),
        (Power::TokensCreate, false),
        (Power::PolicyWrite, false),
    ] {
        let d = check(&index, "carol", power.as_str(), powers::RESOURCE, t0());
        assert_eq!(d.allowed, allowed, "{power}");
    }
    // Only on the resource `wicket`.
    assert!(
        !check(
            &index,
            "carol",
            Power::AuditRead.as_str(),
            "wicket/other",
            t0()
        )
        .allowed
    );
    // Requestable and grantable like any role.
    let d = check(
        &index,
        "alice",
        Power::AuditRead.as_str(),
        powers::RESOURCE,
        t0(),
    );
    assert!(!d.allowed);
    assert_eq!(names(&d), [("auditor", "sre-self-service")]);
    index.upsert_grant(&grant("gr-1", "alice", "auditor", t0(), t(60)));
    let d = check(
        &index,
        "alice",
        Power::AuditRead.as_str(),
        powers::RESOURCE,
        t(1),
    );
    assert!(d.allowed);
    assert_eq!(d.via.unwrap().role, "auditor");
    assert!(
        !check(
            &index,
            "alice",
            Power::AuditRead.as_str(),
            powers::RESOURCE,
            t(60)
        )
        .allowed
    );
}

// --- Properties over random configurations. ---

const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];
/// Fixed memberships, so every group exists: u0 {g0}, u1 {g0, g1}, u2 {g1, g2}, u3 {}.
const GROUPS: [&[&str]; 4] = [&["g0"], &["g0", "g1"], &["g1", "g2"], &[]];
const ROLES: [&str; 4] = ["r0", "r1", "r2", "r3"];

#[derive(Clone, Debug)]
struct Spec {
    /// Per role: permissions of (actions, resources).
    roles: Vec<Vec<(Vec<String>, Vec<String>)>>,
    /// (actions, resources, subjects).
    guardrails: Vec<(Vec<String>, Vec<String>, Vec<String>)>,
    /// (subjects, roles, expires_at seconds after t0).
    bindings: Vec<(Vec<String>, Vec<usize>, Option<i64>)>,
    /// (requesters, roles).
    policies: Vec<(Vec<String>, Vec<usize>)>,
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

impl Spec {
    fn toml(&self) -> String {
        let mut out = String::new();
        for (u, groups) in USERS.iter().zip(GROUPS) {
            let groups: Vec<String> = groups.iter().map(ToString::to_string).collect();
            out += &format!("[[users]]\nname = \"{u}\"\ngroups = {}\n\n", list(&groups));
        }
        for (name, perms) in ROLES.iter().zip(&self.roles) {
            let perms: Vec<String> = perms
                .iter()
                .map(|(a, r)| format!("{{ actions = {}, resources = {} }}", list(a), list(r)))
                .collect();
            out += &format!(
                "[[roles]]\nname = \"{name}\"\npermissions = [{}]\n\n",
                perms.join(", ")
            );
        }
        for (i, (a, r, s)) in self.guardrails.iter().enumerate() {
            out += &format!(
                "[[guardrails]]\nname = \"g{i}\"\nactions = {}\nresources = {}\nsubjects = {}\nreason = \"because\"\n\n",
                list(a),
                list(r),
                list(s)
            );
        }
        for (s, roles, expires) in &self.bindings {
            let roles: Vec<String> = roles.iter().map(|&r| ROLES[r].to_string()).collect();
            out += &format!(
                "[[bindings]]\nsubjects = {}\nroles = {}\n",
                list(s),
                list(&roles)
            );
            if let Some(e) = expires {
                out += &format!("expires_at = \"{}\"\n", crate::time::format(t(*e)));
            }
            out += "\n";
        }
        for (i, (req, roles)) in self.policies.iter().enumerate() {
            let roles: Vec<String> = roles.iter().map(|&r| ROLES[r].to_string()).collect();
            out += &format!(
                "[[policies]]\nname = \"p{i}\"\nrequesters = {}\nroles = {}\nmax_duration = \"4h\"\n\n",
                list(req),
                list(&roles)
            );
        }
        out
    }

    fn config(&self) -> Arc<Config> {
        let text = self.toml();
        Arc::new(Config::parse("prop.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}")))
    }
}

fn action_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_string()),
        2 => "(db|logs):\\*",
        6 => "(db|logs):(read|write)",
    ]
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![3 => "[ab]", 1 => Just("*".to_string()), 1 => Just("**".to_string())],
        1..=3,
    )
    .prop_map(|segs| segs.join("/"))
}

fn subject() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..USERS.len()).prop_map(|u| format!("user:{}", USERS[u])),
        (0..3usize).prop_map(|g| format!("group:g{g}"))
    ]
}

fn patterns() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    (
        prop::collection::vec(action_pattern(), 1..=2),
        prop::collection::vec(resource_pattern(), 1..=2),
    )
}

fn role_set() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::btree_set(0..ROLES.len(), 1..=3).prop_map(|s| s.into_iter().collect())
}

/// Seconds after t0 within the checks' horizon.
const HORIZON: i64 = 1000;

fn spec(bindings: bool) -> impl Strategy<Value = Spec> {
    let max_bindings = if bindings { 3 } else { 0 };
    (
        prop::collection::vec(prop::collection::vec(patterns(), 1..=2), ROLES.len()),
        prop::collection::vec(
            (
                patterns(),
                prop_oneof![Just(Vec::new()), prop::collection::vec(subject(), 1..=2)],
            ),
            0..=2,
        ),
        prop::collection::vec(
            (
                prop::collection::vec(subject(), 1..=2),
                role_set(),
                prop::option::of(0..HORIZON),
            ),
            0..=max_bindings,
        ),
        prop::collection::vec((prop::collection::vec(subject(), 1..=2), role_set()), 0..=3),
    )
        .prop_map(|(roles, guardrails, bindings, policies)| Spec {
            roles,
            guardrails: guardrails
                .into_iter()
                .map(|((a, r), s)| (a, r, s))
                .collect(),
            bindings,
            policies,
        })
}

fn grants() -> impl Strategy<Value = Vec<Grant>> {
    prop::collection::vec(
        (
            0..USERS.len(),
            0..ROLES.len(),
            0..HORIZON,
            1..HORIZON,
            any::<bool>(),
        ),
        0..=5,
    )
    .prop_map(|gs| {
        gs.into_iter()
            .enumerate()
            .map(|(i, (u, r, start, len, revoked))| {
                let mut g = grant(
                    &format!("gr-{i}"),
                    USERS[u],
                    ROLES[r],
                    t(start),
                    t(start + len),
                );
                if revoked {
                    g.revoked_at = Some(t(start));
                    g.revoked_by = Some("u0".into());
                }
                g
            })
            .collect()
    })
}

#[derive(Clone, Debug)]
struct Check {
    user: String,
    action: Action,
    resource: Resource,
    now: Time,
}

fn checks() -> impl Strategy<Value = Vec<Check>> {
    prop::collection::vec(
        (
            prop_oneof![9 => (0..USERS.len()).prop_map(|u| USERS[u].to_string()), 1 => Just("zed".to_string())],
            "(db|logs):(read|write)",
            prop::collection::vec("[abc]", 1..=4).prop_map(|s| s.join("/")),
            // Integer seconds, so windows' edges are hit exactly.
            0..2 * HORIZON,
        ),
        1..=8,
    )
    .prop_map(|cs| {
        cs.into_iter()
            .map(|(user, a, r, now)| Check { user, action: action(&a), resource: resource(&r), now: t(now) })
            .collect()
    })
}

fn index_with(config: &Arc<Config>, grants: &[Grant]) -> Index {
    let mut index = Index::new(Arc::clone(config));
    for g in grants {
        index.upsert_grant(g);
    }
    index
}

/// Whether the user holds `role` standing at `now`, computed from the configuration directly.
fn standing(config: &Config, user: &str, role: &str, now: Time) -> bool {
    let groups = config.groups_of(user);
    config.bindings.iter().any(|b| {
        b.roles.iter().any(|r| r == role)
            && b.subjects.iter().any(|s| s.covers(user, groups))
            && b.expires_at.is_none_or(|e| now < e)
    })
}

/// The reference decision: no applicable guardrail matches, and a live binding or grant allows.
fn reference_allows(config: &Config, grants: &[Grant], c: &Check) -> bool {
    let Some(user) = config.user(&c.user) else {
        return false;
    };
    let guarded = config
        .guardrails
        .iter()
        .any(|g| g.applies_to(&user.name, &user.groups) && g.matches(&c.action, &c.resource));
    let allows = |role: &str| {
        config
            .role(role)
            .is_some_and(|r| r.allows(&c.action, &c.resource))
    };
    let by_binding = config
        .roles
        .iter()
        .any(|r| standing(config, &c.user, &r.name, c.now) && allows(&r.name));
    let by_grant = grants.iter().any(|g| {
        g.user == c.user
            && g.revoked_at.is_none()
            && g.starts_at <= c.now
            && c.now < g.expires_at
            && allows(&g.role)
    });
    !guarded && (by_binding || by_grant)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (a) An applicable, matching guardrail always denies, names itself and offers nothing.
    #[test]
    fn a_matching_guardrail_always_denies(spec in spec(true), grants in grants(), checks in checks()) {
        let config = spec.config();
        let index = index_with(&config, &grants);
        for c in &checks {
            let d = decide(&index, &c.user, &c.action, &c.resource, c.now);
            let groups = config.groups_of(&c.user);
            let known = config.user(&c.user).is_some();
            let matching = config.guardrails.iter().find(|g| g.applies_to(&c.user, groups) && g.matches(&c.action, &c.resource));
            if let (true, Some(g)) = (known, matching) {
                prop_assert!(!d.allowed, "{c:?} allowed despite guardrail {}: {d:?}", g.name);
                prop_assert_eq!(d.guardrail.as_deref(), Some(g.name.as_str()));
                prop_assert!(d.requestable.is_empty());
            } else {
                prop_assert_eq!(d.guardrail, None);
            }
        }
    }

    /// (b) A grant never allows before its `starts_at` nor at or after its `expires_at`.
    #[test]
    fn a_grant_allows_only_within_its_window(spec in spec(false), grants in grants(), checks in checks()) {
        let config = spec.config();
        for g in &grants {
            let index = index_with(&config, std::slice::from_ref(g));
            let mut times = vec![g.starts_at - chrono::Duration::milliseconds(1), g.starts_at, g.expires_at, g.expires_at + chrono::Duration::seconds(1)];
            times.extend(checks.iter().map(|c| c.now));
            for now in times {
                for c in &checks {
                    let d = decide(&index, &g.user, &c.action, &c.resource, now);
                    if now < g.starts_at || now >= g.expires_at || g.revoked_at.is_some() {
                        prop_assert!(!d.allowed, "grant {g:?} allowed at {now}: {d:?}");
                    } else if d.allowed {
                        prop_assert_eq!(d.via.as_ref().and_then(|v| v.grant_id.as_deref()), Some(g.id.as_str()));
                    }
                }
            }
        }
    }

    /// (c) An allowed decision's role allows the check, through a live binding or a grant
    /// active at `now`; and the decision agrees with a direct reading of the rules.
    #[test]
    fn an_allowed_decision_is_justified(spec in spec(true), grants in grants(), checks in checks()) {
        let config = spec.config();
        let index = index_with(&config, &grants);
        for c in &checks {
            let d = decide(&index, &c.user, &c.action, &c.resource, c.now);
            prop_assert_eq!(d.allowed, reference_allows(&config, &grants, c), "{:?}: {:?}", c, d);
            if !d.allowed {
                prop_assert!(d.via.is_none());
                continue;
            }
            let via = d.via.as_ref().unwrap();
            prop_assert!(d.requestable.is_empty());
            prop_assert!(config.role(&via.role).unwrap().allows(&c.action, &c.resource), "{via:?} does not allow {c:?}");
            match &via.grant_id {
                Some(id) => {
                    let g = grants.iter().find(|g| &g.id == id).unwrap();
                    prop_assert!(g.is_active(c.now), "{g:?} not active at {}", c.now);
                    prop_assert_eq!(&g.user, &c.user);
                    prop_assert_eq!(&g.role, &via.role);
                    prop_assert_eq!(via.expires_at, Some(g.expires_at));
                }
                None => prop_assert!(standing(&config, &c.user, &via.role, c.now), "{via:?} is not standing for {c:?}"),
            }
        }
    }

    /// (d) Requestable roles are offered to the user by the named policy, allow the check,
    /// come smallest first, and appear only on a denial.
    #[test]
    fn requestable_roles_are_real(spec in spec(true), grants in grants(), checks in checks()) {
        let config = spec.config();
        let index = index_with(&config, &grants);
        for c in &checks {
            let d = decide(&index, &c.user, &c.action, &c.resource, c.now);
            if d.allowed || d.guardrail.is_some() || config.user(&c.user).is_none() {
                prop_assert!(d.requestable.is_empty());
                continue;
            }
            let groups = config.groups_of(&c.user);
            for r in &d.requestable {
                let p = config.policy(&r.policy).unwrap();
                prop_assert!(p.covers_requester(&c.user, groups), "{r:?} for {c:?}");
                prop_assert!(p.offers(&r.role), "{r:?}");
                prop_assert!(config.role(&r.role).unwrap().allows(&c.action, &c.resource), "{r:?} for {c:?}");
                // The first policy in file order that offers the role to this user.
                let first = config.policies.iter().find(|p| p.covers_requester(&c.user, groups) && p.offers(&r.role)).unwrap();
                prop_assert_eq!(&first.name, &r.policy);
            }
            // Every role some covering policy offers and that allows the check is listed, once.
            let expected = config.roles.iter().filter(|role| {
                role.allows(&c.action, &c.resource)
                    && config.policies.iter().any(|p| p.covers_requester(&c.user, groups) && p.offers(&role.name))
            }).count();
            prop_assert_eq!(d.requestable.len(), expected);
            let sizes: Vec<_> = d.requestable.iter().map(|r| config.role(&r.role).unwrap().size()).collect();
            prop_assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "not smallest first: {:?}", d.requestable);
        }
    }
}

#[test]
fn a_denial_names_the_grant_revoked_before_its_end_and_why() {
    let mut index = index();
    let mut g = grant("gr-1", "alice", "orders-db-read", t0(), t(3600));
    index.upsert_grant(&g);
    assert!(check(&index, "alice", "db:select", ORDERS, t(10)).allowed);
    g.revoked_at = Some(t(60));
    g.revoked_by = Some("wicket:monitor".into());
    g.revoke_reason = Some("anomaly rule `denied-burst`: 10 denials".into());
    index.upsert_grant(&g);
    let d = check(&index, "alice", "db:select", ORDERS, t(61));
    assert!(!d.allowed);
    let r = d.revoked.as_ref().expect("the revocation is named");
    assert_eq!(r.grant_id, "gr-1");
    assert_eq!(r.role, "orders-db-read");
    assert_eq!(r.revoked_by.as_deref(), Some("wicket:monitor"));
    assert!(
        d.reason.contains(
            "grant `gr-1` of role `orders-db-read` was revoked at 2026-01-01T00:01:00.000Z by `wicket:monitor`: anomaly rule `denied-burst`: 10 denials"
        ),
        "{}",
        d.reason
    );
    // A check the grant never allowed does not mention it.
    assert_eq!(
        check(&index, "alice", "logs:view", "logs/other", t(61)).revoked,
        None
    );
    // Once the grant would have ended anyway, the note goes.
    assert_eq!(
        check(&index, "alice", "db:select", ORDERS, t(3600)).revoked,
        None
    );
    index.prune(t(3600));
    assert!(index.revoked_of("alice").is_empty());
    // A grant given back again (re-upserted unrevoked) is live, not noted.
    g.revoked_at = None;
    index.upsert_grant(&g);
    assert!(index.revoked_of("alice").is_empty());
    index.remove_grant("gr-1");
    assert!(index.grants_of("alice").is_empty());
}

#[test]
fn revoking_in_the_index_denies_at_once_and_keeps_the_why() {
    let mut index = index();
    index.upsert_grant(&grant("gr-1", "alice", "orders-db-read", t0(), t(3600)));
    index.revoke_grant("gr-1", t(60), "carol", "done early");
    assert!(index.grants_of("alice").is_empty());
    let d = check(&index, "alice", "db:select", ORDERS, t(61));
    assert!(!d.allowed);
    let r = d.revoked.expect("the revocation is named");
    assert_eq!(
        (
            r.grant_id.as_str(),
            r.revoked_by.as_deref(),
            r.reason.as_deref()
        ),
        ("gr-1", Some("carol"), Some("done early"))
    );
    // An unknown grant is left alone.
    index.revoke_grant("gr-x", t(60), "carol", "x");
    index.remove_grant("gr-1");
    assert!(index.revoked_of("alice").is_empty());
}

#[test]
fn stopping_a_grant_denies_at_once_and_keeps_a_known_revocation() {
    let mut index = index();
    index.upsert_grant(&grant("gr-1", "alice", "orders-db-read", t0(), t(3600)));
    index.upsert_grant(&grant("gr-2", "bob", "orders-db-read", t0(), t(3600)));
    // Revoked here, then announced by the change feed: the why stays.
    index.revoke_grant("gr-1", t(60), "wicket:monitor", "anomaly");
    index.stop_grant("gr-1");
    let d = check(&index, "alice", "db:select", ORDERS, t(61));
    assert!(!d.allowed);
    assert_eq!(
        d.revoked.map(|r| r.revoked_by),
        Some(Some("wicket:monitor".to_string()))
    );
    // Revoked by another server: denied at once, the why comes with the grant's read.
    index.stop_grant("gr-2");
    assert!(!check(&index, "bob", "db:select", ORDERS, t(61)).allowed);
    assert!(index.grants_of("bob").is_empty());
}
