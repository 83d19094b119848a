//! Hostile configuration files: broken TOML, wrong types, absurd durations, bad patterns,
//! bad and catastrophic regexes, bad names and subjects, unknown keys at every level, deep
//! nesting. Each is rejected with an error naming the file and the problem, without a
//! panic; a ticket regex built to backtrack catastrophically matches in linear time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use wicket_core::Config;

const FILE: &str = "hostile.toml";

/// A valid configuration (the unit tests' `testkit::SMALL`); each case edits one thing of it.
const BASE: &str = include_str!("../src/testkit/small.toml");

fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no `{from}`");
    BASE.replacen(from, to, 1)
}

fn append(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

/// Every hostile file with a word its error must carry.
fn corpus() -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = Vec::new();
    let mut add = |text: String, needle: &str| cases.push((text, needle.to_string()));

    // Not TOML at all, or broken TOML.
    for (text, needle) in [
        ("\u{0}\u{0}\u{0}", "invalid"),
        ("[[users]\nname = \"x\"", "invalid"),
        ("[[users]]\nname = ", "TOML parse error"),
        ("[[users]]\nname = \"unterminated", "invalid"),
        ("users = [", "invalid"),
        ("= 1", "invalid"),
        ("[server]\n[server]", "invalid"),
        ("[[users]]\nname = \"a\"\nname = \"b\"", "duplicate"),
        ("\u{feff}\u{feff}[server]", "invalid"),
        ("[server\nlisten = \"x\"", "invalid"),
        ("key = 'it''s'", "TOML parse error"),
        ("x = 1979-05-27T25:00:00Z", "TOML parse error"),
        ("x = 0x", "invalid"),
        ("x = \"\\uD800\"", "invalid"),
    ] {
        add(text.to_string(), needle);
    }
    // Deep nesting: arrays and inline tables thousands deep.
    add(format!("x = {}", "[".repeat(20_000)), "");
    add(
        format!("x = {}1{}", "[".repeat(5_000), "]".repeat(5_000)),
        "",
    );
    add(format!("x = {}", "{ a = ".repeat(5_000)), "");
    add("[a.".repeat(3_000), "");

    // Wrong types.
    for (from, to, needle) in [
        ("groups = [\"sre\"]", "groups = \"sre\"", "groups"),
        ("groups = [\"sre\"]", "groups = [1]", "groups"),
        ("name = \"alice\"", "name = 7", "name"),
        ("max_duration = \"4h\"", "max_duration = 4", "max_duration"),
        (
            "max_duration = \"4h\"",
            "max_duration = [\"4h\"]",
            "max_duration",
        ),
        ("min_approvals = 1", "min_approvals = -1", "min_approvals"),
        (
            "min_approvals = 1",
            "min_approvals = 99999999999",
            "min_approvals",
        ),
        ("min_approvals = 1", "min_approvals = 1.5", "min_approvals"),
        ("listen = \"127.0.0.1:7070\"", "listen = 7070", "listen"),
        ("reason = \"migrations only\"", "reason = true", "reason"),
        (
            "ticket_pattern = \"INC-[0-9]+\"",
            "ticket_pattern = 1",
            "ticket_pattern",
        ),
        (
            "roles = [\"db-read\"]\nmax",
            "roles = \"db-read\"\nmax",
            "roles",
        ),
        ("steps = [{", "steps = [[{", "invalid"),
        ("[[roles]]", "[roles]", "roles"),
        ("[[policies]]", "[policies]", "policies"),
    ] {
        add(edit(from, to), needle);
    }
    add(
        format!("{BASE}\nrequire_reason = \"yes\""),
        "require_reason",
    );
    add(format!("{BASE}\nbreak_glass = 1"), "break_glass");

    // Durations.
    for bad in [
        "",
        " ",
        "0s",
        "-1h",
        "1y",
        "4 hours",
        "1h30",
        "h",
        "1.5h",
        "PT1H",
        "1H",
        "\u{663}h",
        "367d",
        "99999999999999999999d",
        "9223372036854775807s",
        "53w",
        "1h-1m",
        "+1h",
        "1e3s",
        "1h\u{200b}",
        "0h0m0s",
        "٠s",
    ] {
        add(
            edit(
                "max_duration = \"4h\"",
                &format!("max_duration = \"{bad}\""),
            ),
            "policies[0].max_duration",
        );
    }
    add(
        edit(
            "max_duration = \"4h\"",
            &format!("max_duration = \"{}\"", "1d".repeat(400)),
        ),
        "too long",
    );
    for key in ["default_duration", "request_ttl"] {
        for bad in ["0s", "-5m", "10", "1 week", "400d"] {
            add(
                edit(
                    "default_duration = \"1h\"",
                    &format!("default_duration = \"1h\"\n{key}_x = 1"),
                )
                .replace(&format!("{key}_x = 1"), &format!("{key} = \"{bad}\""))
                .replace(
                    "default_duration = \"1h\"\ndefault_duration",
                    "default_duration",
                ),
                &format!("policies[0].{key}"),
            );
        }
    }
    add(
        edit("default_duration = \"1h\"", "default_duration = \"5h\""),
        "longer than max_duration",
    );

    // Action patterns.
    for bad in [
        "",
        "db",
        "db:",
        ":select",
        "db:sel*",
        "*:select",
        "db:a:b",
        "db select",
        "db:select ",
        "db:\u{202e}x",
        "**",
        "db:**",
    ] {
        add(
            edit(
                "actions = [\"db:select\"]",
                &format!("actions = [\"{bad}\"]"),
            ),
            "roles[0].permissions[0].actions[0]",
        );
    }
    add(
        edit(
            "actions = [\"db:select\"]",
            &format!("actions = [\"db:{}*\"]", "x".repeat(100_000)),
        ),
        "roles[0].permissions[0].actions[0]",
    );
    add(
        edit("actions = [\"db:select\"]", "actions = []"),
        "at least one action",
    );
    add(
        edit("actions = [\"db:ddl\"]", "actions = [\"db ddl\"]"),
        "guardrails[0].actions[0]",
    );
    // Resource patterns.
    for bad in [
        "", "/a", "a/", "a//b", "a/b*", "a/**x", "a b/c", "***", "a/***", "a/*b", "a/b\\tc",
    ] {
        add(
            edit(
                "resources = [\"postgres/prod/**\"] }",
                &format!("resources = [\"{bad}\"] }}"),
            ),
            "roles[0].permissions[0].resources[0]",
        );
    }
    add(
        edit(
            "resources = [\"postgres/prod/**\"]\nreason",
            "resources = [\"a//b\"]\nreason",
        ),
        "guardrails[0].resources[0]",
    );
    add(
        edit(
            "resources = [\"postgres/prod/**\"] }",
            &format!("resources = [\"{}\"] }}", "a/".repeat(50_000) + "a"),
        ),
        "",
    );

    // Ticket regexes: invalid, oversized, or escaping their anchors.
    for bad in [
        "(",
        "[",
        ")",
        "a{1000}{1000}",
        "\\",
        "a)|(b",
        "(?<n>",
        "x{99999999}",
        "\\p{Nope}",
        "(?z)",
        "[z-a]",
        "a{2,1}",
        "(?P<a>x)(?P<a>y)",
        "\\1",
    ] {
        add(
            edit(
                "ticket_pattern = \"INC-[0-9]+\"",
                &format!("ticket_pattern = '{bad}'"),
            ),
            "policies[0].ticket_pattern",
        );
    }

    // Subjects and names.
    for bad in [
        "user:",
        "group:",
        "alice",
        "user:nobody",
        "role:x",
        "user:al ice",
        "group:nope",
        "*",
        "user:*",
    ] {
        add(
            edit(
                "subjects = [\"group:leads\"]",
                &format!("subjects = [\"{bad}\"]"),
            ),
            "bindings[0].subjects[0]",
        );
        add(
            edit(
                "requesters = [\"group:sre\"]",
                &format!("requesters = [\"{bad}\"]"),
            ),
            "policies[0].requesters[0]",
        );
        add(
            edit(
                "approvers = [\"group:leads\"]",
                &format!("approvers = [\"{bad}\"]"),
            ),
            "policies[0].steps[0].approvers[0]",
        );
    }
    for bad in [
        "",
        "a b",
        "../etc",
        "a\\nb",
        "ünïcode",
        "a/b",
        "x".repeat(129).as_str(),
    ] {
        add(
            edit("name = \"alice\"", &format!("name = \"{bad}\"")),
            "users[0].name",
        );
        add(
            edit("name = \"db-read\"", &format!("name = \"{bad}\"")),
            "roles[0].name",
        );
        add(
            edit("name = \"prod\"", &format!("name = \"{bad}\"")),
            "policies[0].name",
        );
    }
    add(
        edit(
            "roles = [\"db-read\"]\n\n[[policies]]",
            "roles = [\"db-raed\"]\n\n[[policies]]",
        ),
        "unknown role `db-raed`",
    );
    add(
        edit("roles = [\"db-read\"]\nmax", "roles = [\"nope\"]\nmax"),
        "unknown role `nope`",
    );
    add(
        append("[[users]]\nname = \"alice\""),
        "duplicate user `alice`",
    );
    add(
        append("[[roles]]\nname = \"db-read\"\npermissions = []"),
        "duplicate role",
    );
    add(
        append(
            "[[bindings]]\nsubjects = [\"user:alice\"]\nroles = [\"db-read\"]\nexpires_at = \"tomorrow\"",
        ),
        "bindings[1].expires_at",
    );
    add(
        append(
            "[[bindings]]\nsubjects = [\"user:alice\"]\nroles = [\"db-read\"]\nexpires_at = 123",
        ),
        "bindings[1].expires_at",
    );
    add(
        append(
            "[[bindings]]\nsubjects = [\"user:alice\"]\nroles = [\"db-read\"]\nexpires_at = \"2030-13-01T00:00:00Z\"",
        ),
        "bindings[1].expires_at",
    );

    // Unknown keys at every level.
    for (from, to) in [
        ("listen = ", "lsten = 1\nlisten = "),
        (
            "groups = [\"sre\"]",
            "groups = [\"sre\"]\nshell = \"/bin/sh\"",
        ),
        (
            "permissions = [{ actions",
            "admin = true\npermissions = [{ actions",
        ),
        (
            "resources = [\"postgres/prod/**\"] }",
            "resources = [\"postgres/prod/**\"], effect = \"deny\" }",
        ),
        (
            "reason = \"migrations only\"",
            "reason = \"migrations only\"\nunless = \"x\"",
        ),
        (
            "subjects = [\"group:leads\"]",
            "subjects = [\"group:leads\"]\nuntil = \"x\"",
        ),
        (
            "max_duration = \"4h\"",
            "max_duration = \"4h\"\nauto_approve = true",
        ),
        ("min_approvals = 1 }", "min_approvals = 1, any = true }"),
    ] {
        add(edit(from, to), "unknown field");
    }
    for extra in [
        "[gateway]\nmysql = []",
        "[audit]\nsign = true",
        "[notify]\nemail = \"x\"",
        "[logging]\nlevel = \"debug\"",
        "[[gateway.postgres]]\nname = \"x\"\nlisten = \"127.0.0.1:0\"\nresource = \"pg/x\"\nupstream = \"postgres://u@h/x\"\nsuperuser = true",
    ] {
        add(append(extra), "unknown field");
    }

    // Gateway targets.
    let target = |name: &str, listen: &str, resource: &str, upstream: &str| {
        append(&format!(
            "[[gateway.postgres]]\nname = \"{name}\"\nlisten = \"{listen}\"\nresource = \"{resource}\"\nupstream = \"{upstream}\""
        ))
    };
    add(
        target("x", "nope", "pg/x", "postgres://u@h/x"),
        "gateway.postgres[0].listen",
    );
    add(
        target("x", "127.0.0.1:99999", "pg/x", "postgres://u@h/x"),
        "gateway.postgres[0].listen",
    );
    add(
        target("x", "127.0.0.1:0", "", "postgres://u@h/x"),
        "gateway.postgres[0].resource",
    );
    add(
        target("x", "127.0.0.1:0", "pg//x", "postgres://u@h/x"),
        "gateway.postgres[0].resource",
    );
    add(
        target("x", "127.0.0.1:0", "pg/*", "postgres://u@h/x"),
        "gateway.postgres[0].resource",
    );
    add(
        target("x", "127.0.0.1:0", "pg/x", "mysql://u@h/x"),
        "gateway.postgres[0].upstream",
    );
    add(
        target("x", "127.0.0.1:0", "pg/x", "postgres://u:secret@h/x"),
        "gateway.postgres[0].upstream",
    );
    add(
        target("x", "127.0.0.1:0", "pg/x", "postgres://"),
        "gateway.postgres[0].upstream",
    );
    add(
        target("x", "127.0.0.1:0", "pg/x", "postgres://u@h:0x/x"),
        "gateway.postgres[0].upstream",
    );
    add(
        target("", "127.0.0.1:0", "pg/x", "postgres://u@h/x"),
        "gateway.postgres[0].name",
    );
    add(
        target("a b", "127.0.0.1:0", "pg/x", "postgres://u@h/x"),
        "gateway.postgres[0].name",
    );
    cases
}

/// Parses `text`, turning a panic into a failure that names the case.
fn parse(i: usize, text: &str) -> Result<Config, String> {
    let shown: String = text.chars().take(120).collect();
    match std::panic::catch_unwind(|| Config::parse(FILE, text)) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => panic!("case {i} panicked: {shown:?}"),
    }
}

#[test]
fn every_hostile_config_is_rejected_with_a_clear_error() {
    Config::parse(FILE, BASE).unwrap();
    let cases = corpus();
    let mut wrong = Vec::new();
    for (i, (text, needle)) in cases.iter().enumerate() {
        let started = Instant::now();
        let result = parse(i, text);
        let took = started.elapsed();
        let shown: String = text.chars().take(160).collect();
        match result {
            Ok(_) => wrong.push(format!("case {i} was accepted: {shown:?}")),
            Err(e) => {
                if !e.starts_with(&format!("{FILE}: "))
                    || !e.contains(needle.as_str())
                    || e.len() < FILE.len() + 10
                {
                    let e: String = e.chars().take(300).collect();
                    wrong.push(format!(
                        "case {i}: `{needle}` not in: {e}\n    for {shown:?}"
                    ));
                }
            }
        }
        assert!(
            took < Duration::from_secs(2),
            "case {i} took {took:?}: {shown:?}"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    eprintln!(
        "hostile configuration files: {} cases, each rejected with a clear error",
        cases.len()
    );
}

/// Far above a linear match on any machine, far below a backtracking one.
const BOUND: Duration = Duration::from_secs(60);

#[test]
fn a_catastrophic_ticket_regex_matches_in_linear_time() {
    // `(a+)+$` on `aaaa…!` takes exponential time in a backtracking engine; the `regex`
    // crate's automata take time linear in the input. The bound only separates the two: a
    // backtracking engine would need longer than the age of the universe on these inputs,
    // while a linear one takes milliseconds, so a loaded machine cannot come near it.
    let text = edit(
        "ticket_pattern = \"INC-[0-9]+\"",
        "ticket_pattern = '(a+)+$'",
    );
    let config = Config::parse(FILE, &text).unwrap();
    let re = config.policies[0].ticket_pattern.as_ref().unwrap();
    for pattern_input in [
        format!("{}!", "a".repeat(100_000)),
        format!("{}b", "a".repeat(30)),
    ] {
        let started = Instant::now();
        assert!(!re.is_match(&pattern_input));
        assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
    }
    let text = edit(
        "ticket_pattern = \"INC-[0-9]+\"",
        "ticket_pattern = '(x+x+)+y|(.*a){12}'",
    );
    let config = Config::parse(FILE, &text).unwrap();
    let re = config.policies[0].ticket_pattern.as_ref().unwrap();
    let started = Instant::now();
    assert!(!re.is_match(&"x".repeat(50_000)));
    assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
}
