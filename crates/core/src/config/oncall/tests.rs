//! `[oncall]` and a step's `oncall`: what is accepted, and every mistake named by its key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::config::Config;
use crate::config::oncall::Provider;
use crate::testkit::{parse_all, select_role, users};

fn with(policy_step: &str, oncall: &str) -> Result<Config, String> {
    let people = users(&[("alice", &["sre"]), ("bob", &["leads"])]);
    let role = select_role("r", "");
    let text = format!(
        "{people}{role}\n[[policies]]\nname = \"p\"\nrequesters = [\"group:sre\"]\nroles = [\"r\"]\nmax_duration = \"1h\"\nrequire_reason = false\nsteps = [{{ approvers = [\"group:leads\"], {policy_step} }}]\n{oncall}"
    );
    parse_all(&text)
}

const PD: &str =
    "[oncall]\nemail_domain = \"example.com\"\n[oncall.pagerduty]\ntoken_env = \"PD_TOKEN\"\n";

#[test]
fn a_pagerduty_step_defaults_to_level_one_and_the_public_api() {
    let c = with(
        r#"oncall = { provider = "pagerduty", schedules = ["PSCHED1"] }"#,
        PD,
    )
    .unwrap();
    let step = c.policies[0].steps[0].oncall.clone().unwrap();
    assert_eq!(step.provider, Provider::PagerDuty);
    assert_eq!(step.escalation_levels, [1]);
    assert_eq!(
        c.oncall.pagerduty.unwrap().base_url,
        "https://api.pagerduty.com"
    );
    assert_eq!(c.oncall.email_domain.as_deref(), Some("example.com"));
}

#[test]
fn addresses_come_from_the_map_the_name_or_the_domain() {
    let c = with(
        r#"oncall = { provider = "pagerduty", schedules = ["P"] }"#,
        PD,
    )
    .unwrap();
    assert_eq!(
        c.oncall.email_of("alice").as_deref(),
        Some("alice@example.com")
    );
    assert_eq!(
        c.oncall.email_of("a@b.example").as_deref(),
        Some("a@b.example")
    );
    let text = "[oncall]\nemails = { bob = \"robert@corp.example\" }\n[oncall.pagerduty]\ntoken_env = \"PD\"\n";
    let c = with(
        r#"oncall = { provider = "pagerduty", schedules = ["P"] }"#,
        text,
    )
    .unwrap();
    assert_eq!(
        c.oncall.email_of("bob").as_deref(),
        Some("robert@corp.example")
    );
    assert_eq!(c.oncall.email_of("alice"), None);
}

#[test]
fn mistakes_are_named_by_their_key() {
    let cases = [
        (
            r#"oncall = { provider = "victorops", schedules = ["P"] }"#,
            PD,
            "steps[0].oncall.provider",
            "unknown on-call provider `victorops`",
        ),
        (
            r#"oncall = { provider = "pagerduty", schedules = [] }"#,
            PD,
            "steps[0].oncall.schedules",
            "at least one schedule",
        ),
        (
            r#"oncall = { provider = "pagerduty", schedules = ["P"], escalation_levels = [0] }"#,
            PD,
            "oncall.escalation_levels",
            "counted from 1",
        ),
        (
            r#"oncall = { provider = "opsgenie", schedules = ["S"], escalation_levels = [1] }"#,
            "[oncall.opsgenie]\ntoken_file = \"/t\"\n",
            "oncall.escalation_levels",
            "no escalation levels",
        ),
        (
            r#"oncall = { provider = "opsgenie", schedules = ["S"] }"#,
            PD,
            "steps[0].oncall.provider",
            "needs an `[oncall.opsgenie]` section",
        ),
        (
            r#"oncall = { provider = "pagerduty", schedules = ["P"] }"#,
            "[oncall.pagerduty]\nbase_url = \"https://pd.example\"\n",
            "oncall.pagerduty",
            "token_env",
        ),
        (
            r#"oncall = { provider = "pagerduty", schedules = ["P"] }"#,
            "[oncall.pagerduty]\ntoken_env = \"A\"\ntoken_file = \"/b\"\n",
            "oncall.pagerduty.token_file",
            "not both",
        ),
        (
            r#"oncall = { provider = "pagerduty", schedules = ["P"] }"#,
            "[oncall.pagerduty]\ntoken_env = \"A\"\nbase_url = \"ftp://x\"\n",
            "oncall.pagerduty.base_url",
            "not an http(s) URL",
        ),
        (
            r#"oncall = { provider = "pagerduty", schedules = ["P"], roles = 1 }"#,
            PD,
            "oncall",
            "unknown field `roles`",
        ),
    ];
    for (step, oncall, key, message) in cases {
        let e = with(step, oncall).unwrap_err();
        assert!(
            e.contains(key) && e.contains(message),
            "{step} / {oncall}: {e}"
        );
    }
}
