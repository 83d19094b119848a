//! Shared test fixtures: a small configuration, a counting id source, and time helpers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use crate::action::Action;
use crate::config::Config;
use crate::index::Index;
use crate::model::Grant;
use crate::resource::Resource;
use crate::time::{self, Time};
use crate::workflow::IdSource;

/// A small configuration in the shape of DESIGN.md's example, with enough people to exercise
/// every workflow rule:
/// - `alice` (sre) requests; `bob`, `erin` (sre-leads) and `carol` (security) approve;
/// - `frank` is both an SRE and a lead, so he is listed as an approver of his own requests;
/// - `dave` is on call and may break the glass; `mallory` is a contractor kept off production.
pub(crate) const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:7070"
database = "sqlite://wicket.db"

[[users]]
name = "alice"
groups = ["sre", "engineering"]

[[users]]
name = "bob"
groups = ["sre-leads", "engineering"]

[[users]]
name = "erin"
groups = ["sre-leads"]

[[users]]
name = "frank"
groups = ["sre", "sre-leads"]

[[users]]
name = "carol"
groups = ["security"]

[[users]]
name = "dave"
groups = ["sre", "oncall", "engineering"]

[[users]]
name = "mallory"
groups = ["contractors"]

# The broadest role comes first in the file, so "smallest first" is not file order.
[[roles]]
name = "orders-db-admin"
description = "Anything on the production orders database"
permissions = [{ actions = ["db:*"], resources = ["postgres/prod/orders/**"] }]

[[roles]]
name = "orders-db-write"
permissions = [{ actions = ["db:connect", "db:select", "db:insert", "db:update", "db:delete"], resources = ["postgres/prod/orders/**"] }]

[[roles]]
name = "orders-db-read"
description = "Read the production orders database"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["postgres/prod/orders/**"] }]

[[roles]]
name = "logs-read"
permissions = [{ actions = ["logs:view"], resources = ["logs/prod/**"] }]

[[roles]]
name = "auditor"
permissions = [{ actions = ["wicket:audit.read", "wicket:requests.read"], resources = ["wicket"] }]

[[roles]]
name = "access-admin"
permissions = [{ actions = ["wicket:grants.revoke"], resources = ["wicket"] }]

[[guardrails]]
name = "no-ddl-in-prod"
actions = ["db:ddl"]
resources = ["postgres/prod/**"]
reason = "schema changes go through migrations"

[[guardrails]]
name = "contractors-off-prod"
actions = ["*"]
resources = ["postgres/prod/**"]
subjects = ["group:contractors"]
reason = "contractors work on staging"

[[bindings]]
subjects = ["group:engineering"]
roles = ["logs-read"]

[[bindings]]
subjects = ["group:security"]
roles = ["auditor", "access-admin"]

[[bindings]]
subjects = ["user:carol", "user:mallory"]
roles = ["orders-db-read"]
expires_at = 2030-01-01T00:00:00Z

[[policies]]
name = "sre-production"
requesters = ["group:sre"]
roles = ["orders-db-admin", "orders-db-write", "orders-db-read"]
max_duration = "4h"
default_duration = "1h"
require_reason = true
ticket_pattern = "(INC|CHG)-[0-9]+"
request_ttl = "30m"
steps = [
  { approvers = ["group:sre-leads"], min_approvals = 2 },
  { approvers = ["group:security"], min_approvals = 1 },
]

[[policies]]
name = "on-call-break-glass"
requesters = ["group:oncall"]
roles = ["orders-db-read", "orders-db-write"]
max_duration = "1h"
default_duration = "30m"
break_glass = true
steps = [{ approvers = ["group:sre-leads"] }]

[[policies]]
name = "sre-self-service"
requesters = ["group:sre"]
roles = ["orders-db-read", "auditor"]
max_duration = "2h"
default_duration = "15m"
require_reason = false
"#;

/// A small valid configuration (two people, one role, one guardrail, one policy) that the
/// error tests edit one thing of; the integration tests read the same file.
pub(crate) const SMALL: &str = include_str!("testkit/small.toml");

/// `[[users]]` tables, one a `(name, groups)`.
pub(crate) fn users(people: &[(&str, &[&str])]) -> String {
    people
        .iter()
        .map(|(name, groups)| format!("[[users]]\nname = \"{name}\"\ngroups = {groups:?}\n\n"))
        .collect()
}

/// A `[[roles]]` table named `name` that allows `db:select` on `pg/**`, with `extra` lines
/// (such as `owners`) before its permissions.
pub(crate) fn select_role(name: &str, extra: &str) -> String {
    format!(
        "[[roles]]\nname = \"{name}\"\n{extra}permissions = [{{ actions = [\"db:select\"], resources = [\"pg/**\"] }}]\n\n"
    )
}

/// `text` parsed as `wicket.toml` with every error found, the errors' messages one a line.
pub(crate) fn parse_all(text: &str) -> Result<Config, String> {
    Config::parse_all("wicket.toml", text).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The file name the fixture is parsed under.
pub(crate) const FILE: &str = "wicket.toml";

/// [`CONFIG`], parsed.
pub(crate) fn config() -> Arc<Config> {
    Arc::new(Config::parse(FILE, CONFIG).unwrap())
}

/// An index of [`CONFIG`] with no grants.
pub(crate) fn index() -> Index {
    Index::new(config())
}

/// Ids `PREFIX-N`, counting up from 1 across prefixes.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    pub(crate) issued: u64,
}

impl IdSource for Counter {
    fn next_id(&mut self, prefix: &str) -> String {
        self.issued += 1;
        format!("{prefix}-{}", self.issued)
    }
}

/// A grant of `role` to `user` over `[starts_at, expires_at)`, approved in request
/// `request_id`, not revoked.
pub(crate) fn grant(
    id: &str,
    user: &str,
    role: &str,
    request_id: &str,
    starts_at: Time,
    expires_at: Time,
) -> Grant {
    Grant::new(id, user, role, request_id, (starts_at, expires_at))
}

/// The tests' epoch: 2026-01-01T00:00:00Z.
pub(crate) fn t0() -> Time {
    at("2026-01-01T00:00:00Z")
}

/// `secs` seconds after [`t0`] (negative: before).
pub(crate) fn t(secs: i64) -> Time {
    t0() + chrono::Duration::seconds(secs)
}

/// `mins` minutes after [`t0`].
pub(crate) fn mins(mins: i64) -> Time {
    t(mins * 60)
}

/// An RFC 3339 time.
pub(crate) fn at(s: &str) -> Time {
    time::parse(s).unwrap()
}

pub(crate) fn action(s: &str) -> Action {
    Action::parse(s).unwrap()
}

pub(crate) fn resource(s: &str) -> Resource {
    Resource::parse(s).unwrap()
}
