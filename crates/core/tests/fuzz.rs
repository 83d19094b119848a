//! Property-based fuzzing of the parsers that read what users write: durations, action and
//! resource patterns, subjects, and whole configuration files. Each input is either parsed
//! into a value that round-trips through its text, or refused with a message; never a panic.
//!
//! Each property runs `PROPTEST_CASES` cases (proptest's default, 256, in CI). A longer run:
//! `PROPTEST_CASES=100000 cargo test -p wicket-core --test fuzz`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use wicket_core::duration::MAX_SECONDS;
use wicket_core::{Action, ActionPattern, Config, Duration, Resource, ResourcePattern, Subject};

/// Text made mostly of the characters a parser cares about, with some of anything.
fn texty(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec(proptest::sample::select(alphabet.chars().collect::<Vec<_>>()), 0..max)
            .prop_map(|c| c.into_iter().collect::<String>()),
        1 => proptest::string::string_regex(&format!(".{{0,{max}}}")).unwrap(),
    ]
}

proptest! {
    #[test]
    fn fuzz_duration_parser(s in texty("0123456789smhdwy -+.:_\u{663}", 24)) {
        match Duration::parse(&s) {
            Ok(d) => {
                prop_assert!(d.as_secs() > 0 && d.as_secs() <= MAX_SECONDS);
                prop_assert_eq!(Duration::parse(&d.to_string()), Ok(d));
            }
            Err(e) => prop_assert!(e.message.starts_with("duration `") || e.message.contains("empty"), "{}", e),
        }
    }

    #[test]
    fn fuzz_action_parsers(s in texty("abdz:*_-. ", 16)) {
        match ActionPattern::parse(&s) {
            Ok(p) => prop_assert_eq!(ActionPattern::parse(&p.to_string()).map(|q| q.to_string()), Ok(p.to_string())),
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
        match Action::parse(&s) {
            Ok(a) => {
                prop_assert!(ActionPattern::parse(a.as_str()).unwrap().matches(&a));
                prop_assert!(ActionPattern::parse("*").unwrap().matches(&a));
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn fuzz_resource_parsers(s in texty("ab/*._- ", 24)) {
        match ResourcePattern::parse(&s) {
            Ok(p) => prop_assert_eq!(ResourcePattern::parse(&p.to_string()).map(|q| q.to_string()), Ok(s.clone())),
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
        match Resource::parse(&s) {
            Ok(r) => {
                prop_assert!(ResourcePattern::parse(r.as_str()).unwrap().matches(&r));
                prop_assert!(ResourcePattern::parse("**").unwrap().matches(&r));
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn fuzz_subject_parser(s in texty("usergoup:ab*- ", 16)) {
        match Subject::parse(&s) {
            Ok(subject) => prop_assert_eq!(Subject::parse(&subject.to_string()), Ok(subject)),
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn fuzz_config_loader_on_toml_fragments(parts in proptest::collection::vec(fragment(), 0..40)) {
        let text: String = parts.concat();
        check_config(&text)?;
    }

    #[test]
    fn fuzz_config_loader_on_mutations(edits in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = base();
        for (at, len, insert) in edits {
            let at = floor_char(&text, at % (text.len() + 1));
            let end = floor_char(&text, (at + len).min(text.len()));
            text.replace_range(at..end, &insert);
        }
        check_config(&text)?;
    }
}

/// A parse either succeeds or names the file in a non-empty message.
fn check_config(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = Config::parse("fuzz.toml", text) {
        let shown = e.to_string();
        prop_assert!(
            shown.starts_with("fuzz.toml: ") && shown.len() > "fuzz.toml: ".len(),
            "{}",
            shown
        );
    }
    Ok(())
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The file the mutations start from: the unit tests' small configuration (`testkit::SMALL`)
/// with a pending-request TTL and a binding that expires, so that edits reach those keys too.
fn base() -> String {
    let small = include_str!("../src/testkit/small.toml");
    format!(
        "{small}request_ttl = \"30m\"\n\n[[bindings]]\nsubjects = [\"user:alice\"]\nroles = [\"db-read\"]\nexpires_at = 2030-01-01T00:00:00Z\n"
    )
}

#[test]
fn the_base_file_is_valid() {
    Config::parse("fuzz.toml", &base()).unwrap();
}

/// Pieces of configuration files, valid and not.
fn fragment() -> impl Strategy<Value = String> {
    let fixed: Vec<&'static str> = vec![
        "\n",
        " ",
        "[[users]]\n",
        "[[roles]]\n",
        "[[policies]]\n",
        "[[bindings]]\n",
        "[[guardrails]]\n",
        "[server]\n",
        "[[gateway.postgres]]\n",
        "[audit]\n",
        "name = ",
        "groups = ",
        "roles = ",
        "requesters = ",
        "max_duration = ",
        "steps = ",
        "subjects = ",
        "permissions = ",
        "actions = ",
        "resources = ",
        "approvers = ",
        "min_approvals = ",
        "ticket_pattern = ",
        "listen = ",
        "upstream = ",
        "resource = ",
        "\"alice\"",
        "\"sre\"",
        "\"group:sre\"",
        "\"user:alice\"",
        "\"db-read\"",
        "\"4h\"",
        "\"0s\"",
        "\"-1h\"",
        "\"db:select\"",
        "\"postgres/prod/**\"",
        "\"a//b\"",
        "\"(a+)+$\"",
        "\"[\"",
        "[",
        "]",
        "{",
        "}",
        ",",
        "=",
        "\"",
        "'",
        "#",
        "1",
        "-1",
        "1e99",
        "true",
        "2030-01-01T00:00:00Z",
        "{ actions = [\"db:select\"], resources = [\"x/**\"] }",
        "{ approvers = [\"group:sre\"], min_approvals = 2 }",
    ];
    prop_oneof![
        8 => proptest::sample::select(fixed).prop_map(str::to_string),
        1 => "[a-z_]{1,8}",
        1 => ".{0,6}",
    ]
}

/// An edit of the base file: where, how much to remove, and what to put there.
fn mutation() -> impl Strategy<Value = (usize, usize, String)> {
    (
        0usize..2000,
        0usize..40,
        prop_oneof![Just(String::new()), fragment(), ".{0,4}"],
    )
}
