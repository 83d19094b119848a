//! A monitoring rule as validated from `[[anomalies]]`: its detector, severity and scope.

use std::collections::BTreeSet;
use std::fmt;

use super::event::Facts;
use super::hours::{Hours, UtcOffset, Weekdays};
use crate::duration::Duration;
use crate::error::{ParseError, Parsed};
use crate::model::Severity;
use crate::resource::ResourcePattern;

/// One `[[anomalies]]` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub severity: Severity,
    pub scope: Scope,
    /// Revoke the grant (or the holder's grants) at once when it fires.
    pub revoke: bool,
    pub detector: Detector,
}

impl Rule {
    /// The rule every break-glass request raises, `high`, recorded with the request.
    pub fn built_in_break_glass() -> Rule {
        Rule {
            name: super::BREAK_GLASS_RULE.to_string(),
            severity: Severity::High,
            scope: Scope::default(),
            revoke: false,
            detector: Detector::BreakGlass,
        }
    }
}

/// Which events a rule looks at. Empty lists mean "any"; a list that is set excludes an
/// event that does not carry that attribute (a denied check has no role).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// User names, groups already expanded to their members.
    pub users: BTreeSet<String>,
    pub roles: BTreeSet<String>,
    pub resources: Vec<ResourcePattern>,
}

impl Scope {
    pub(super) fn admits(&self, f: &Facts<'_>) -> bool {
        (self.users.is_empty() || f.user.is_some_and(|u| self.users.contains(u)))
            && (self.roles.is_empty() || f.role().is_some_and(|r| self.roles.contains(r)))
            && (self.resources.is_empty()
                || f.resource()
                    .is_some_and(|r| self.resources.iter().any(|p| p.matches(r))))
    }
}

/// What a rule looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detector {
    /// At least `threshold` denied checks or statements by one subject within `window`.
    DeniedBurst { threshold: u32, window: Duration },
    /// An allowed gateway statement of one of `kinds`; one anomaly per subject until
    /// `window` passes without another.
    DestructiveStatement {
        kinds: Vec<StatementKind>,
        window: Duration,
    },
    /// More than `threshold` uses of one grant within `window`.
    VolumeSpike { threshold: u32, window: Duration },
    /// A grant activated or used outside `hours` on `weekdays`, in `offset` local time.
    OffHours {
        hours: Hours,
        weekdays: Weekdays,
        offset: UtcOffset,
    },
    /// Every break-glass request.
    BreakGlass,
    /// A grant that expired or was revoked with no recorded use.
    UnusedGrant,
    /// One subject activating the same role more than `threshold` times within `window`.
    FrequentActivation { threshold: u32, window: Duration },
}

impl Detector {
    /// The name used in the configuration.
    pub fn name(&self) -> &'static str {
        match self {
            Detector::DeniedBurst { .. } => "denied_burst",
            Detector::DestructiveStatement { .. } => "destructive_statement",
            Detector::VolumeSpike { .. } => "volume_spike",
            Detector::OffHours { .. } => "off_hours",
            Detector::BreakGlass => "break_glass",
            Detector::UnusedGrant => "unused_grant",
            Detector::FrequentActivation { .. } => "frequent_activation",
        }
    }

    /// Every detector name, for error messages.
    pub const NAMES: [&'static str; 7] = [
        "denied_burst",
        "destructive_statement",
        "volume_spike",
        "off_hours",
        "break_glass",
        "unused_grant",
        "frequent_activation",
    ];
}

/// A kind of statement `destructive_statement` watches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// Any statement whose classification is this action (`db:ddl`, `db:admin`, ...).
    Action(String),
    /// One SQL command, as the gateway names it: `TRUNCATE`, `DROP`, `ALTER TABLE`, ...
    Command(String),
    /// `DELETE` without a `WHERE` clause.
    DeleteWithoutWhere,
    /// `UPDATE` without a `WHERE` clause.
    UpdateWithoutWhere,
}

impl StatementKind {
    /// Parses `db:VERB`, `DELETE without WHERE`, `UPDATE without WHERE`, or a command name.
    pub fn parse(s: &str) -> Result<StatementKind, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::StatementKind, m))
    }

    fn read(s: &str) -> Result<StatementKind, String> {
        let t = s.trim();
        let words: Vec<String> = t.split_whitespace().map(str::to_ascii_uppercase).collect();
        let joined = words.join(" ");
        if let Some(verb) = t.strip_prefix("db:") {
            const VERBS: [&str; 7] = [
                "connect", "select", "insert", "update", "delete", "ddl", "admin",
            ];
            if VERBS.contains(&verb) {
                return Ok(StatementKind::Action(t.to_string()));
            }
            return Err(format!(
                "unknown statement action `{s}`; use one of db:{}",
                VERBS.join(", db:")
            ));
        }
        match joined.as_str() {
            "DELETE WITHOUT WHERE" => Ok(StatementKind::DeleteWithoutWhere),
            "UPDATE WITHOUT WHERE" => Ok(StatementKind::UpdateWithoutWhere),
            _ if !words.is_empty()
                && words
                    .iter()
                    .all(|w| w.chars().all(|c| c.is_ascii_alphabetic())) =>
            {
                Ok(StatementKind::Command(joined))
            }
            _ => Err(format!(
                "`{s}` is not a statement kind; use an action like `db:ddl`, a command like `TRUNCATE`, or `DELETE without WHERE`"
            )),
        }
    }

    /// True when the gateway statement described by `f` is of this kind.
    pub(super) fn matches(&self, f: &Facts<'_>) -> bool {
        let command = f.detail_str("command");
        match self {
            StatementKind::Action(a) => f.event.action.as_deref() == Some(a.as_str()),
            StatementKind::Command(c) => command.is_some_and(|x| x.eq_ignore_ascii_case(c)),
            StatementKind::DeleteWithoutWhere => {
                command.is_some_and(|x| x.eq_ignore_ascii_case("DELETE"))
                    && f.detail_bool("unfiltered")
            }
            StatementKind::UpdateWithoutWhere => {
                command.is_some_and(|x| x.eq_ignore_ascii_case("UPDATE"))
                    && f.detail_bool("unfiltered")
            }
        }
    }
}

impl fmt::Display for StatementKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementKind::Action(a) => f.write_str(a),
            StatementKind::Command(c) => f.write_str(c),
            StatementKind::DeleteWithoutWhere => f.write_str("DELETE without WHERE"),
            StatementKind::UpdateWithoutWhere => f.write_str("UPDATE without WHERE"),
        }
    }
}
