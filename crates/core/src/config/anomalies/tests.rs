//! `[[anomalies]]` validation: every detector parses, and each mistake is named by key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::anomaly::{Detector, StatementKind};
use crate::config::Config;
use crate::model::Severity;
use crate::testkit::{CONFIG, FILE};

fn parse(anomalies: &str) -> Result<Config, String> {
    Config::parse(FILE, &format!("{CONFIG}\n{anomalies}")).map_err(|e| e.to_string())
}

/// Asserts the rule is rejected at `key` with a message containing `reason`.
fn rejected(anomalies: &str, key: &str, reason: &str) {
    let err = parse(anomalies).expect_err("accepted a bad rule");
    assert!(
        err.starts_with(&format!("{FILE}: `{key}`: ")) && err.contains(reason),
        "expected `{key}` and `{reason}`, got: {err}"
    );
}

#[test]
fn every_detector_parses() {
    let config = parse(
        r#"
[[anomalies]]
name = "denials"
detector = "denied_burst"
severity = "medium"
threshold = 5
window = "5m"
revoke = true
subjects = ["group:contractors"]

[[anomalies]]
name = "destructive"
detector = "destructive_statement"
severity = "high"
kinds = ["db:ddl", "truncate", "DELETE without WHERE", "update WITHOUT where"]
resources = ["postgres/prod/**"]

[[anomalies]]
name = "volume"
detector = "volume_spike"
severity = "low"
threshold = 500
window = "1m"
roles = ["orders-db-read"]

[[anomalies]]
name = "night"
detector = "off_hours"
severity = "low"
hours = "08:00-20:00"
timezone = "UTC-05:00"

[[anomalies]]
name = "glass"
detector = "break_glass"

[[anomalies]]
name = "unused"
detector = "unused_grant"
severity = "low"

[[anomalies]]
name = "frequent"
detector = "frequent_activation"
severity = "medium"
threshold = 3
window = "1d"
"#,
    )
    .unwrap();
    let rules = &config.anomalies;
    assert_eq!(rules.len(), 7);
    assert!(rules[0].revoke);
    assert_eq!(
        rules[0].scope.users.iter().collect::<Vec<_>>(),
        ["mallory"],
        "groups expand to their members"
    );
    match &rules[1].detector {
        Detector::DestructiveStatement { kinds, window } => {
            assert_eq!(
                kinds,
                &[
                    StatementKind::Action("db:ddl".into()),
                    StatementKind::Command("TRUNCATE".into()),
                    StatementKind::DeleteWithoutWhere,
                    StatementKind::UpdateWithoutWhere,
                ]
            );
            assert_eq!(window.as_secs(), 3600, "quiet for an hour by default");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        rules[4].severity,
        Severity::High,
        "break-glass defaults to high"
    );
    assert!(matches!(rules[5].detector, Detector::UnusedGrant));
}

#[test]
fn mistakes_are_named_by_key() {
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"brute_force\"\nseverity = \"low\"\n",
        "anomalies[0].detector",
        "unknown detector `brute_force`; use one of denied_burst, destructive_statement",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"denied_burst\"\nseverity = \"low\"\nwindow = \"1m\"\n",
        "anomalies[0].threshold",
        "detector `denied_burst` needs a `threshold`",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"denied_burst\"\nseverity = \"low\"\nthreshold = 0\nwindow = \"1m\"\n",
        "anomalies[0].threshold",
        "threshold `0` must be between 1 and 1000",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"volume_spike\"\nseverity = \"low\"\nthreshold = 3\nwindow = \"5 minutes\"\n",
        "anomalies[0].window",
        "5 minutes",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"off_hours\"\nseverity = \"low\"\nhours = \"09:00-18:00\"\ntimezone = \"Mars/Olympus\"\n",
        "anomalies[0].timezone",
        "`Mars/Olympus` is not a time zone",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"off_hours\"\nseverity = \"low\"\nhours = \"9am-5pm\"\n",
        "anomalies[0].hours",
        "`9am-5pm` is not a span of hours",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"off_hours\"\nseverity = \"low\"\nhours = \"09:00-18:00\"\nweekdays = [\"mon\", \"funday\"]\n",
        "anomalies[0].weekdays[1]",
        "`funday` is not a weekday",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\nseverity = \"low\"\nthreshold = 3\n",
        "anomalies[0].threshold",
        "`threshold` does not apply to detector `unused_grant`",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\n",
        "anomalies[0].severity",
        "a rule needs a severity",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\nseverity = \"urgent\"\n",
        "anomalies[0].severity",
        "unknown severity `urgent`",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"destructive_statement\"\nseverity = \"high\"\nkinds = [\"db:drop\"]\n",
        "anomalies[0].kinds[0]",
        "unknown statement action `db:drop`",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\nseverity = \"low\"\nroles = [\"orders-db-raed\"]\n",
        "anomalies[0].roles[0]",
        "unknown role `orders-db-raed`",
    );
    rejected(
        "[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\nseverity = \"low\"\n\n[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\nseverity = \"low\"\n",
        "anomalies[1].name",
        "duplicate anomaly rule `x`",
    );
    rejected(
        "[[anomalies]]\nname = \"break_glass\"\ndetector = \"break_glass\"\nseverity = \"low\"\n",
        "anomalies[0].severity",
        "always `high`",
    );
    let unknown = parse("[[anomalies]]\nname = \"x\"\ndetector = \"unused_grant\"\nseverity = \"low\"\nthreshhold = 3\n")
        .expect_err("unknown key");
    assert!(unknown.contains("threshhold"), "{unknown}");
}

#[test]
fn lint_warns_about_rules_that_cannot_act() {
    let config = parse(
        r#"
[[anomalies]]
name = "unused"
detector = "unused_grant"
severity = "low"
revoke = true

[[anomalies]]
name = "denials"
detector = "denied_burst"
severity = "low"
threshold = 3
window = "1m"
roles = ["orders-db-read"]

[[anomalies]]
name = "fine"
detector = "volume_spike"
severity = "low"
threshold = 3
window = "1m"
roles = ["orders-db-read"]
resources = ["postgres/**"]
"#,
    )
    .unwrap();
    let lints: Vec<String> = crate::config::lint::lint(&config)
        .into_iter()
        .filter(|l| l.key.starts_with("anomalies."))
        .map(|l| format!("{}: {}", l.key, l.message))
        .collect();
    assert_eq!(lints.len(), 2, "{lints:?}");
    assert!(
        lints[0].starts_with("anomalies.unused: ") && lints[0].contains("nothing left to revoke")
    );
    assert!(lints[1].starts_with("anomalies.denials: ") && lints[1].contains("never fires"));
}
