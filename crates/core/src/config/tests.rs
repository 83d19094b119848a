//! Parsing and validating the TOML configuration, and linting a valid one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration as StdDuration, Instant};

use super::lint::lint;
use super::*;
use crate::testkit::{self, FILE, at};

/// A small valid configuration the error tests edit one thing of.
const MINI: &str = testkit::SMALL;

/// `MINI` with `from` replaced by `to` (which must be there to replace).
fn mini(from: &str, to: &str) -> String {
    assert!(MINI.contains(from), "MINI has no `{from}`");
    MINI.replacen(from, to, 1)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(FILE, text)
}

/// Asserts `text` is rejected with a message naming the file, `key` and `reason`.
fn assert_rejected(text: &str, key: &str, reason: &str) -> ConfigError {
    let err = match parse(text) {
        Ok(_) => panic!("accepted a config that should fail at `{key}`: {text}"),
        Err(e) => e,
    };
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{FILE}: ")),
        "no file name: {shown}"
    );
    assert!(shown.contains(key), "`{key}` not named: {shown}");
    assert!(
        shown.contains(reason),
        "reason `{reason}` not given: {shown}"
    );
    err
}

#[test]
fn mini_is_valid() {
    let c = parse(MINI).unwrap();
    assert_eq!(c.policies.len(), 1);
}

#[test]
fn a_full_config_parses_into_the_model() {
    let c = testkit::config();
    assert_eq!(c.file, FILE);
    assert_eq!(c.listen.as_deref(), Some("127.0.0.1:7070"));
    assert_eq!(c.database.as_deref(), Some("sqlite://wicket.db"));

    assert_eq!(c.users.len(), 7);
    assert_eq!(c.groups_of("alice"), ["sre", "engineering"]);
    assert!(c.groups_of("nobody").is_empty());
    assert!(c.user("nobody").is_none());
    assert_eq!(
        c.users_of(&Subject::Group("sre-leads".into())),
        ["bob", "erin", "frank"]
    );
    assert_eq!(c.users_of(&Subject::User("carol".into())), ["carol"]);

    let names: Vec<&str> = c.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "orders-db-admin",
            "orders-db-write",
            "orders-db-read",
            "logs-read",
            "auditor",
            "access-admin"
        ]
    );
    let read = c.role("orders-db-read").unwrap();
    assert_eq!(
        read.description.as_deref(),
        Some("Read the production orders database")
    );
    assert_eq!(read.permissions.len(), 1);
    assert_eq!(read.permissions[0].actions.len(), 2);
    assert!(read.allows(
        &testkit::action("db:select"),
        &testkit::resource("postgres/prod/orders/public/t")
    ));
    assert!(!read.allows(
        &testkit::action("db:insert"),
        &testkit::resource("postgres/prod/orders/public/t")
    ));
    assert_eq!(c.role_position("orders-db-read"), Some(2));

    assert_eq!(c.guardrails.len(), 2);
    assert!(c.guardrails[0].subjects.is_empty());
    assert_eq!(
        c.guardrails[1].subjects,
        [Subject::Group("contractors".into())]
    );
    assert_eq!(
        c.guardrails[0].reason,
        "schema changes go through migrations"
    );

    assert_eq!(c.bindings.len(), 3);
    assert_eq!(c.bindings[0].expires_at, None);
    assert_eq!(c.bindings[1].roles, ["auditor", "access-admin"]);
    assert_eq!(c.bindings[2].expires_at, Some(at("2030-01-01T00:00:00Z")));

    let p = c.policy("sre-production").unwrap();
    assert_eq!(p.requesters, [Subject::Group("sre".into())]);
    assert_eq!(p.max_duration, Duration::parse("4h").unwrap());
    assert_eq!(p.default_duration, Duration::HOUR);
    assert_eq!(p.request_ttl, Duration::parse("30m").unwrap());
    assert!(p.require_reason);
    assert!(!p.break_glass);
    assert_eq!(p.ticket_pattern_text.as_deref(), Some("(INC|CHG)-[0-9]+"));
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[0].approvers, [Subject::Group("sre-leads".into())]);
    assert_eq!(p.steps[0].min_approvals, 2);
    assert_eq!(p.steps[1].approvers, [Subject::Group("security".into())]);
    assert_eq!(p.steps[1].min_approvals, 1);

    // Defaults: min_approvals 1, reason required, a day to decide.
    let bg = c.policy("on-call-break-glass").unwrap();
    assert!(bg.break_glass);
    assert!(bg.require_reason);
    assert_eq!(bg.steps[0].min_approvals, 1);
    assert_eq!(bg.request_ttl, Duration::DAY);
    assert!(bg.ticket_pattern.is_none());
    let ss = c.policy("sre-self-service").unwrap();
    assert!(ss.steps.is_empty());
    assert!(!ss.require_reason);
    assert!(c.policy("nope").is_none());
}

#[test]
fn users_of_reads_each_group_once_in_file_order_and_follows_added_users() {
    let text = mini(
        "groups = [\"leads\"]",
        "groups = [\"leads\", \"sre\", \"leads\"]",
    );
    let c = parse(&text).unwrap();
    let sre = Subject::Group("sre".into());
    let leads = Subject::Group("leads".into());
    // bob lists `leads` twice and comes after alice in the file.
    assert_eq!(c.users_of(&sre), ["alice", "bob"]);
    assert_eq!(c.users_of(&leads), ["bob"]);
    assert!(c.users_of(&Subject::Group("nobody".into())).is_empty());
    assert!(c.users_of(&Subject::User("nobody".into())).is_empty());

    let user = |name: &str, groups: &[&str]| User {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    };
    let more = c.with_users([
        user("carol", &["leads", "new"]),
        // A name the file declares keeps the file's groups.
        user("alice", &["new"]),
    ]);
    assert_eq!(more.users_of(&leads), ["bob", "carol"]);
    assert_eq!(more.users_of(&Subject::Group("new".into())), ["carol"]);
    assert_eq!(more.users_of(&Subject::User("carol".into())), ["carol"]);
    // The configuration it came from is unchanged.
    assert_eq!(c.users_of(&leads), ["bob"]);
}

#[test]
fn the_hash_is_the_sha256_of_the_text() {
    let a = parse(MINI).unwrap();
    let b = parse(&format!("{MINI}\n# a comment\n")).unwrap();
    assert_eq!(a.hash, hex::encode(Sha256::digest(MINI.as_bytes())));
    assert_ne!(a.hash, b.hash);
}

#[test]
fn binding_expiry_is_a_toml_datetime_or_an_rfc3339_string() {
    let text = mini(
        "[[bindings]]\nsubjects = [\"group:leads\"]\nroles = [\"db-read\"]\n",
        r#"[[bindings]]
subjects = ["group:leads"]
roles = ["db-read"]
expires_at = 2030-01-01T00:00:00Z

[[bindings]]
subjects = ["user:alice"]
roles = ["db-read"]
expires_at = "2030-01-01T00:00:00Z"

[[bindings]]
subjects = ["user:bob"]
roles = ["db-read"]
expires_at = 2030-01-01T02:00:00+02:00

[[bindings]]
subjects = ["user:bob"]
roles = ["db-read"]
expires_at = "2030-01-01T02:00:00.000+02:00"
"#,
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.bindings.len(), 4);
    for b in &c.bindings {
        assert_eq!(b.expires_at, Some(at("2030-01-01T00:00:00Z")));
    }
}

#[test]
fn binding_expiry_without_a_zone_or_not_a_time_is_rejected() {
    for bad in [
        "2030-01-01T00:00:00",
        "2030-01-01",
        "\"next tuesday\"",
        "17",
    ] {
        let text = mini(
            "roles = [\"db-read\"]\n\n[[policies]]",
            &format!("roles = [\"db-read\"]\nexpires_at = {bad}\n\n[[policies]]"),
        );
        assert_rejected(&text, "`bindings[0].expires_at`", "RFC 3339");
    }
}

#[test]
fn default_duration_defaults_to_an_hour_or_the_max() {
    let c = parse(&mini("default_duration = \"1h\"\n", "")).unwrap();
    assert_eq!(c.policies[0].default_duration, Duration::HOUR);
    let c = parse(&mini(
        "max_duration = \"4h\"\ndefault_duration = \"1h\"\n",
        "max_duration = \"20m\"\n",
    ))
    .unwrap();
    assert_eq!(
        c.policies[0].default_duration,
        Duration::parse("20m").unwrap()
    );
}

// --- Errors name the file, the key and the reason. ---

#[test]
fn unknown_top_level_key() {
    assert_rejected(
        &format!("colour = \"blue\"\n{MINI}"),
        "colour",
        "unknown field",
    );
}

#[test]
fn unknown_key_in_server() {
    assert_rejected(&mini("listen =", "lisen ="), "lisen", "unknown field");
}

#[test]
fn unknown_key_in_a_role() {
    assert_rejected(
        &mini("permissions = [", "descripton = \"x\"\npermissions = ["),
        "descripton",
        "unknown field",
    );
    assert_rejected(
        &mini("resources = [\"postgres", "resource = [\"postgres"),
        "resource",
        "unknown field",
    );
}

#[test]
fn unknown_key_in_a_policy() {
    assert_rejected(
        &mini("max_duration =", "max_duraton ="),
        "max_duraton",
        "unknown field",
    );
}

#[test]
fn unknown_key_in_a_step() {
    assert_rejected(
        &mini("min_approvals = 1", "min_approval = 1"),
        "min_approval",
        "unknown field",
    );
}

#[test]
fn unknown_role_in_a_policy() {
    let text = mini(
        "roles = [\"db-read\"]\nmax",
        "roles = [\"db-read\", \"db-raed\"]\nmax",
    );
    assert_rejected(
        &text,
        "`policies[0].roles[1]`",
        "unknown role `db-raed` in policy `prod`",
    );
}

#[test]
fn unknown_role_in_a_binding() {
    let text = mini(
        "roles = [\"db-read\"]\n\n[[policies]]",
        "roles = [\"db-write\"]\n\n[[policies]]",
    );
    assert_rejected(
        &text,
        "`bindings[0].roles[0]`",
        "unknown role `db-write` in a binding",
    );
}

#[test]
fn empty_role_lists_are_rejected() {
    let text = mini(
        "roles = [\"db-read\"]\n\n[[policies]]",
        "roles = []\n\n[[policies]]",
    );
    assert_rejected(&text, "`bindings[0].roles`", "at least one role");
}

#[test]
fn unknown_group() {
    let text = mini(
        "requesters = [\"group:sre\"]",
        "requesters = [\"group:ser\"]",
    );
    assert_rejected(&text, "`policies[0].requesters[0]`", "unknown group `ser`");
    let text = mini(
        "approvers = [\"group:leads\"]",
        "approvers = [\"group:lead\"]",
    );
    assert_rejected(
        &text,
        "`policies[0].steps[0].approvers[0]`",
        "unknown group `lead`",
    );
}

#[test]
fn unknown_user() {
    let text = mini("subjects = [\"group:leads\"]", "subjects = [\"user:bbo\"]");
    assert_rejected(&text, "`bindings[0].subjects[0]`", "unknown user `bbo`");
}

#[test]
fn malformed_subject() {
    let text = mini("subjects = [\"group:leads\"]", "subjects = [\"leads\"]");
    assert_rejected(
        &text,
        "`bindings[0].subjects[0]`",
        "`user:NAME` or `group:NAME`",
    );
}

#[test]
fn bad_action_pattern() {
    let text = mini(
        "actions = [\"db:select\"]",
        "actions = [\"db:select\", \"db:sel*\"]",
    );
    assert_rejected(
        &text,
        "`roles[0].permissions[0].actions[1]`",
        "action pattern `db:sel*`",
    );
    let text = mini("actions = [\"db:select\"]", "actions = [\"select\"]");
    assert_rejected(
        &text,
        "`roles[0].permissions[0].actions[0]`",
        "`service:verb`",
    );
}

#[test]
fn bad_resource_pattern() {
    let text = mini(
        "resources = [\"postgres/prod/**\"]",
        "resources = [\"postgres/pr*d/**\"]",
    );
    assert_rejected(&text, "`roles[0].permissions[0].resources[0]`", "`pr*d`");
    let text = mini(
        "resources = [\"postgres/prod/**\"]",
        "resources = [\"postgres//prod\"]",
    );
    assert_rejected(
        &text,
        "`roles[0].permissions[0].resources[0]`",
        "empty segment",
    );
}

#[test]
fn empty_permissions_are_rejected() {
    let text = mini("actions = [\"db:select\"]", "actions = []");
    assert_rejected(
        &text,
        "`roles[0].permissions[0].actions`",
        "at least one action",
    );
}

#[test]
fn bad_duration() {
    let text = mini("max_duration = \"4h\"", "max_duration = \"4 hours\"");
    assert_rejected(&text, "`policies[0].max_duration`", "duration `4 hours`");
    let text = mini("default_duration = \"1h\"", "default_duration = \"-1h\"");
    assert_rejected(&text, "`policies[0].default_duration`", "negative");
    let text = mini(
        "default_duration = \"1h\"",
        "default_duration = \"1h\"\nrequest_ttl = \"400d\"",
    );
    assert_rejected(&text, "`policies[0].request_ttl`", "too long");
}

#[test]
fn default_duration_longer_than_max() {
    let text = mini("default_duration = \"1h\"", "default_duration = \"5h\"");
    assert_rejected(
        &text,
        "`policies[0].default_duration`",
        "longer than max_duration `4h`",
    );
}

#[test]
fn invalid_ticket_regex() {
    let text = mini(
        "ticket_pattern = \"INC-[0-9]+\"",
        "ticket_pattern = \"(INC-[0-9]+\"",
    );
    let err = assert_rejected(
        &text,
        "`policies[0].ticket_pattern`",
        "is not a valid regex",
    );
    assert!(err.message.contains("unclosed group"), "{err}");
}

#[test]
fn a_ticket_regex_cannot_escape_its_anchors() {
    // `a)|(b` is not a regex on its own, but wrapped as `^(?:a)|(b)$` it would compile and
    // match anything starting with `a` or ending with `b`.
    let text = mini(
        "ticket_pattern = \"INC-[0-9]+\"",
        "ticket_pattern = \"INC)|(.*\"",
    );
    assert_rejected(
        &text,
        "`policies[0].ticket_pattern`",
        "is not a valid regex",
    );
}

#[test]
fn a_backtracking_bomb_is_harmless() {
    let text = mini(
        "ticket_pattern = \"INC-[0-9]+\"",
        "ticket_pattern = \"(a+)+$\"",
    );
    let c = parse(&text).unwrap();
    let re = c.policies[0].ticket_pattern.as_ref().unwrap();
    let evil = format!("{}!", "a".repeat(30));
    let started = Instant::now();
    for _ in 0..100 {
        assert!(!re.is_match(&evil));
    }
    assert!(re.is_match(&"a".repeat(30)));
    assert!(
        started.elapsed() < StdDuration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_oversized_ticket_regex_is_rejected() {
    let text = mini(
        "ticket_pattern = \"INC-[0-9]+\"",
        "ticket_pattern = \"\\\\w{1000}\\\\w{1000}\"",
    );
    assert_rejected(
        &text,
        "`policies[0].ticket_pattern`",
        "is not a valid regex",
    );
}

#[test]
fn duplicate_role() {
    let text = mini(
        "[[bindings]]",
        "[[roles]]\nname = \"db-read\"\npermissions = [{ actions = [\"db:insert\"], resources = [\"x\"] }]\n\n[[bindings]]",
    );
    assert_rejected(&text, "`roles[1].name`", "duplicate role `db-read`");
}

#[test]
fn duplicate_policy() {
    let policy = &MINI[MINI.find("[[policies]]").unwrap()..];
    assert_rejected(
        &format!("{MINI}\n{policy}"),
        "`policies[1].name`",
        "duplicate policy `prod`",
    );
}

#[test]
fn duplicate_user() {
    let text = mini("[[roles]]", "[[users]]\nname = \"alice\"\n\n[[roles]]");
    assert_rejected(&text, "`users[2].name`", "duplicate user `alice`");
}

#[test]
fn invalid_names() {
    assert_rejected(
        &mini("name = \"alice\"", "name = \"al ice\""),
        "`users[0].name`",
        "user name `al ice`",
    );
    assert_rejected(
        &mini("name = \"db-read\"", "name = \"db read\""),
        "`roles[0].name`",
        "role name `db read`",
    );
    assert_rejected(
        &mini("name = \"prod\"", "name = \"\""),
        "`policies[0].name`",
        "policy name ``",
    );
    assert_rejected(
        &mini("groups = [\"sre\"]", "groups = [\"s/re\"]"),
        "`users[0].groups[0]`",
        "group name `s/re`",
    );
}

#[test]
fn zero_min_approvals() {
    let text = mini("min_approvals = 1", "min_approvals = 0");
    assert_rejected(&text, "`policies[0].steps[0].min_approvals`", "at least 1");
}

#[test]
fn empty_approvers_and_requesters() {
    assert_rejected(
        &mini("approvers = [\"group:leads\"]", "approvers = []"),
        "`policies[0].steps[0].approvers`",
        "at least one",
    );
    assert_rejected(
        &mini("requesters = [\"group:sre\"]", "requesters = []"),
        "`policies[0].requesters`",
        "at least one",
    );
}

#[test]
fn bad_server_listen() {
    for bad in ["7070", "localhost", "127.0.0.1", "127.0.0.1:99999", ""] {
        let text = mini(
            "listen = \"127.0.0.1:7070\"",
            &format!("listen = \"{bad}\""),
        );
        assert_rejected(
            &text,
            "`server.listen`",
            &format!("`{bad}` is not an address"),
        );
    }
    let text = mini("listen = \"127.0.0.1:7070\"", "listen = \"[::1]:7070\"");
    assert!(parse(&text).is_ok());
}

#[test]
fn bad_server_database() {
    let text = mini("listen = \"127.0.0.1:7070\"", "database = \"mysql://x\"");
    assert_rejected(&text, "`server.database`", "not a database url");
}

#[test]
fn guardrails_need_a_reason_and_a_unique_name() {
    // MINI has one guardrail, `no-ddl`.
    let again = "[[guardrails]]\nname = \"no-ddl\"\nactions = [\"db:ddl\"]\nresources = [\"**\"]\nreason = \"no\"\n\n";
    let text = mini("[[bindings]]", &format!("{again}[[bindings]]"));
    assert_rejected(
        &text,
        "`guardrails[1].name`",
        "duplicate guardrail `no-ddl`",
    );
    let text = mini("\"migrations only\"", "\"  \"");
    assert_rejected(&text, "`guardrails[0].reason`", "needs a reason");
}

#[test]
fn toml_syntax_errors_name_the_file() {
    assert_rejected("[[users]\nname = 1", "", "TOML parse error");
}

// --- Lints. ---

/// A clean configuration: no lint should fire.
const CLEAN: &str = r#"
[[users]]
name = "alice"
groups = ["sre"]

[[users]]
name = "bob"
groups = ["sre", "leads"]

[[users]]
name = "carol"
groups = ["leads"]

[[roles]]
name = "db-read"
permissions = [{ actions = ["db:select"], resources = ["postgres/prod/**"] }]

[[roles]]
name = "logs-read"
permissions = [{ actions = ["logs:view"], resources = ["logs/**"] }]

[[guardrails]]
name = "no-ddl"
actions = ["db:ddl"]
resources = ["postgres/**"]
reason = "migrations only"

[[policies]]
name = "prod"
requesters = ["group:sre"]
roles = ["db-read", "logs-read"]
max_duration = "4h"
steps = [{ approvers = ["group:leads"], min_approvals = 1 }]
"#;

fn lints_of(text: &str) -> Vec<lint::Lint> {
    lint(&parse(text).unwrap())
}

fn with_role(name: &str, permissions: &str) -> String {
    format!("{CLEAN}\n[[roles]]\nname = \"{name}\"\npermissions = {permissions}\n")
}

#[test]
fn a_clean_config_has_no_lints() {
    assert_eq!(lints_of(CLEAN), []);
}

#[test]
fn identical_roles_are_flagged() {
    // The same pairs, written differently.
    let text = with_role(
        "db-read-too",
        r#"[{ actions = ["db:select"], resources = ["postgres/prod/**"] }, { actions = ["db:select"], resources = ["postgres/prod/**"] }]"#,
    );
    let lints = lints_of(&text);
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!(lints[0].key, "roles.db-read-too");
    assert!(
        lints[0]
            .message
            .contains("same permissions as role `db-read`"),
        "{lints:?}"
    );
}

#[test]
fn each_copy_of_a_role_is_flagged_once_naming_the_first() {
    let read = r#"[{ actions = ["db:select"], resources = ["postgres/prod/**"] }]"#;
    let text = format!(
        "{}\n[[roles]]\nname = \"copy-two\"\npermissions = {read}\n",
        with_role("copy-one", read)
    );
    let lints = lints_of(&text);
    let said: Vec<(&str, &str)> = lints
        .iter()
        .map(|l| (l.key.as_str(), l.message.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            (
                "roles.copy-one",
                "role `copy-one` has the same permissions as role `db-read`"
            ),
            (
                "roles.copy-two",
                "role `copy-two` has the same permissions as role `db-read`"
            ),
        ]
    );
}

#[test]
fn a_contained_role_is_not_a_warning() {
    // Read within write is how least privilege is laid out.
    let text = with_role(
        "db-all",
        r#"[{ actions = ["db:*"], resources = ["postgres/**"] }]"#,
    );
    assert_eq!(lints_of(&text), []);
}

#[test]
fn two_guardrails_together_can_make_a_role_useless() {
    let text = with_role(
        "db-select-insert",
        r#"[{ actions = ["db:select", "db:insert"], resources = ["postgres/prod/orders/**"] }]"#,
    ) + r#"
[[guardrails]]
name = "no-select"
actions = ["db:select"]
resources = ["postgres/prod/orders/**"]
reason = "frozen"

[[guardrails]]
name = "no-insert"
actions = ["db:insert"]
resources = ["postgres/**"]
reason = "frozen"
"#;
    let lints: Vec<_> = lints_of(&text)
        .into_iter()
        .filter(|l| l.key == "roles.db-select-insert")
        .collect();
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!(
        lints[0].message,
        "guardrails `no-select` and `no-insert` together deny everything role `db-select-insert` allows; the role is useless"
    );
}

#[test]
fn a_guardrail_with_subjects_makes_a_role_useless_to_those_who_could_get_it() {
    let text = CLEAN.replace(
        "reason = \"migrations only\"",
        "reason = \"migrations only\"\n\n[[guardrails]]\nname = \"no-logs-for-alice\"\nactions = [\"logs:*\"]\nresources = [\"**\"]\nsubjects = [\"user:alice\"]\nreason = \"contractor\"",
    );
    let lints = lints_of(&text);
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!(lints[0].key, "roles.logs-read");
    assert_eq!(
        lints[0].message,
        "guardrail `no-logs-for-alice` denies everything role `logs-read` allows to `alice`, who may still be given it; the role is useless to them"
    );
}

#[test]
fn overlapping_but_not_contained_roles_are_fine() {
    let text = with_role(
        "db-select-and-insert",
        r#"[{ actions = ["db:select", "db:insert"], resources = ["postgres/prod/orders/*"] }]"#,
    );
    assert_eq!(lints_of(&text), []);
}

#[test]
fn a_role_a_guardrail_cancels_is_useless() {
    let text = with_role(
        "db-migrate",
        r#"[{ actions = ["db:ddl"], resources = ["postgres/prod/orders/**"] }]"#,
    );
    let lints = lints_of(&text);
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!(lints[0].key, "roles.db-migrate");
    assert!(lints[0].message.contains("guardrail `no-ddl`"), "{lints:?}");
    assert!(lints[0].message.contains("useless"), "{lints:?}");

    // Partly denied is not useless.
    let text = with_role(
        "db-mixed",
        r#"[{ actions = ["db:ddl", "db:insert"], resources = ["postgres/prod/**"] }]"#,
    );
    assert!(
        lints_of(&text)
            .iter()
            .all(|l| !l.message.contains("useless"))
    );

    // A guardrail for some subjects only leaves the role useful to everyone else.
    let text = with_role(
        "db-migrate",
        r#"[{ actions = ["db:ddl"], resources = ["postgres/prod/orders/**"] }]"#,
    )
    .replace(
        "reason = \"migrations only\"",
        "reason = \"migrations only\"\nsubjects = [\"group:sre\"]",
    );
    assert_eq!(lints_of(&text), []);
}

#[test]
fn a_policy_only_the_requester_can_approve_is_unsatisfiable() {
    let text = CLEAN.replace(
        "approvers = [\"group:leads\"]",
        "approvers = [\"user:alice\"]",
    );
    let lints = lints_of(&text);
    // alice cannot approve her own request; bob's request has alice to approve it.
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!(lints[0].key, "policies.prod.steps[0]");
    assert!(
        lints[0].message.contains("when `alice` requests"),
        "{lints:?}"
    );
    assert!(
        lints[0].message.contains("other than the requester"),
        "{lints:?}"
    );
}

#[test]
fn a_requester_listed_as_approver_needs_enough_others() {
    // bob is both a requester and a lead: with two approvals needed, only carol is left for him.
    let text = CLEAN.replace("min_approvals = 1", "min_approvals = 2");
    let lints = lints_of(&text);
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert!(
        lints[0].message.contains("when `bob` requests"),
        "{lints:?}"
    );
}

#[test]
fn steps_need_distinct_people_in_total() {
    let text = CLEAN.replace(
        "steps = [{ approvers = [\"group:leads\"], min_approvals = 1 }]",
        "steps = [{ approvers = [\"user:carol\"] }, { approvers = [\"user:carol\"] }]",
    );
    let lints = lints_of(&text);
    assert_eq!(lints.len(), 2, "{lints:?}"); // once for alice, once for bob
    assert!(
        lints
            .iter()
            .all(|l| l.key == "policies.prod" && l.message.contains("2 distinct approvers")),
        "{lints:?}"
    );
}

#[test]
fn lint_is_quick_on_adversarial_patterns() {
    // Is `a/…/a/c` within `**/a/**/a/…/b`? Plain recursion tries every way the `**`s could
    // split the `a`s: minutes at these lengths (which the 64-segment limit allows).
    let narrow = format!("{}/c", vec!["a"; 31].join("/"));
    let wide = format!("{}/b", vec!["**/a"; 31].join("/"));
    let text = with_role(
        "narrow",
        &format!(r#"[{{ actions = ["db:select"], resources = ["{narrow}"] }}]"#),
    );
    let text = format!(
        "{text}\n[[guardrails]]\nname = \"wide\"\nactions = [\"db:select\"]\nresources = [\"{wide}\"]\nreason = \"x\"\n"
    );
    let started = Instant::now();
    let lints = lints_of(&text);
    assert!(
        started.elapsed() < StdDuration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert!(lints.iter().all(|l| l.key != "roles.narrow"), "{lints:?}");
}

#[test]
fn every_error_is_reported_at_once() {
    let text = CLEAN
        .replace(
            "roles = [\"db-read\", \"logs-read\"]",
            "roles = [\"db-raed\", \"logs-read\"]",
        )
        .replace("max_duration = \"4h\"", "max_duration = \"4 hours\"")
        .replace("resources = [\"logs/**\"]", "resources = [\"logs//x\"]");
    let errors = Config::parse_all("w.toml", &text).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors:?}");
    let all = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("`db-raed`"), "{all}");
    assert!(all.contains("4 hours"), "{all}");
    assert!(all.contains("logs//x"), "{all}");
    assert_eq!(
        Config::parse("w.toml", &text).unwrap_err(),
        errors[0],
        "parse names the first"
    );
}
