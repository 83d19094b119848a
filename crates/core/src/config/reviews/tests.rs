//! `[[reviews]]` and roles' `owners`: what is accepted, and every mistake named by its key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::config::Config;
use crate::config::reviews::{OnMissed, Reviewer};
use crate::duration::Duration;
use crate::subject::Subject;
use crate::testkit::{parse_all, select_role, users};

/// alice and bob, role `r` that bob owns and role `unowned`.
fn base() -> String {
    let people = users(&[("alice", &["sre"]), ("bob", &["leads"])]);
    let owned = select_role("r", "owners = [\"user:bob\"]\n");
    format!("{people}{owned}{}", select_role("unowned", ""))
}

fn with(review: &str) -> Result<Config, String> {
    let text = format!("{}\n[[reviews]]\n{review}", base());
    parse_all(&text)
}

fn d(s: &str) -> Duration {
    Duration::parse(s).unwrap()
}

#[test]
fn a_review_of_roles_and_long_grants_is_read_whole() {
    let c = with(
        "name = \"q\"\nroles = [\"r\"]\ngrants_longer_than = \"7d\"\nreviewers = [\"owners\", \"group:leads\"]\nevery = \"90d\"\ndeadline = \"14d\"\non_missed = \"revoke\"\n",
    )
    .unwrap();
    let r = &c.reviews[0];
    assert_eq!(r.name, "q");
    assert_eq!(r.roles, ["r"]);
    assert!(r.bindings);
    assert_eq!(r.grants_longer_than, Some(d("7d")));
    assert_eq!(r.every, d("90d"));
    assert_eq!(r.deadline, d("14d"));
    assert_eq!(r.on_missed, OnMissed::Revoke);
    assert_eq!(r.reviewers[0], Reviewer::Owners);
    assert_eq!(
        r.reviewers_of(c.role("r")),
        [Subject::User("bob".into()), Subject::Group("leads".into())]
    );
    assert_eq!(c.role("r").unwrap().owners, [Subject::User("bob".into())]);
    assert!(r.covers_grant("r", d("8d")));
    assert!(!r.covers_grant("r", d("7d")));
    assert!(!r.covers_grant("unowned", d("8d")));
}

#[test]
fn every_mistake_is_named_by_its_key() {
    let cases = [
        (
            "name = \"q\"\nroles = [\"nope\"]\nreviewers = [\"user:bob\"]\nevery = \"90d\"\ndeadline = \"1d\"\n",
            "`reviews[0].roles[0]`: unknown role `nope` in review `q`",
        ),
        (
            "name = \"q\"\nroles = [\"r\"]\nreviewers = []\nevery = \"90d\"\ndeadline = \"1d\"\n",
            "`reviews[0].reviewers`: must list at least one reviewer",
        ),
        (
            "name = \"q\"\nroles = [\"r\"]\nreviewers = [\"user:nobody\"]\nevery = \"90d\"\ndeadline = \"1d\"\n",
            "`reviews[0].reviewers[0]`: unknown user `nobody`",
        ),
        (
            "name = \"q\"\nroles = [\"unowned\"]\nreviewers = [\"owners\"]\nevery = \"90d\"\ndeadline = \"1d\"\n",
            "`reviews[0].reviewers`: role `unowned` has no `owners`",
        ),
        (
            "name = \"q\"\nroles = [\"r\"]\nreviewers = [\"owners\"]\nevery = \"often\"\ndeadline = \"1d\"\n",
            "`reviews[0].every`",
        ),
        (
            "name = \"q\"\nroles = [\"r\"]\nreviewers = [\"owners\"]\nevery = \"1d\"\ndeadline = \"2d\"\n",
            "`reviews[0].deadline`: deadline `2d` is longer than every `1d`",
        ),
        (
            "name = \"q\"\nroles = [\"r\"]\nreviewers = [\"owners\"]\nevery = \"1d\"\ndeadline = \"1h\"\non_missed = \"drop\"\n",
            "`reviews[0].on_missed`: `drop` is not `revoke` or `keep`",
        ),
        (
            "name = \"q\"\nreviewers = [\"owners\"]\nevery = \"1d\"\ndeadline = \"1h\"\n",
            "`reviews[0]`: reviews nothing",
        ),
        (
            "name = \"q\"\nroles = [\"r\"]\nreviewers = [\"owners\"]\nevery = \"1d\"\ndeadline = \"1h\"\nevery_day = true\n",
            "every_day",
        ),
    ];
    for (review, expected) in cases {
        let err = with(review).unwrap_err();
        assert!(err.contains(expected), "{review}\n=> {err}");
    }
    let owners = "[[roles]]\nname = \"x\"\nowners = [\"user:ghost\"]\npermissions = [{ actions = [\"a:b\"], resources = [\"c\"] }]\n";
    let err = Config::parse("w.toml", &format!("{}{owners}", base())).unwrap_err();
    assert_eq!(err.key, "roles[2].owners[0]");
}
