//! `[[anomalies]]`: monitoring rules, validated into [`crate::anomaly::Rule`]s. Each names a
//! detector and only the settings that detector takes; anything else is an error that names
//! the key.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::{User, Validator};
use crate::anomaly::{
    BREAK_GLASS_RULE, Detector, Hours, Rule, Scope, StatementKind, UtcOffset, Weekdays,
};
use crate::duration::Duration;
use crate::model::Severity;
use crate::resource::ResourcePattern;
use crate::subject::{Subject, parse_name};

/// The largest `threshold` a rule may set (a window keeps that many events per key).
pub const MAX_THRESHOLD: i64 = 1000;
/// How long `destructive_statement` stays quiet about one subject when no `window` is set.
pub const DEFAULT_QUIET: Duration = Duration::HOUR;

/// One `[[anomalies]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnomaly {
    pub name: String,
    pub detector: String,
    pub severity: Option<String>,
    #[serde(default)]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    pub revoke: Option<bool>,
    pub threshold: Option<i64>,
    pub window: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub hours: Option<String>,
    pub weekdays: Option<Vec<String>>,
    pub timezone: Option<String>,
}

impl RawAnomaly {
    /// The detector-specific settings that are set, by name.
    fn settings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (name, set) in [
            ("threshold", self.threshold.is_some()),
            ("window", self.window.is_some()),
            ("kinds", self.kinds.is_some()),
            ("hours", self.hours.is_some()),
            ("weekdays", self.weekdays.is_some()),
            ("timezone", self.timezone.is_some()),
        ] {
            if set {
                out.push(name);
            }
        }
        out
    }
}

/// The settings each detector takes.
fn takes(detector: &str) -> &'static [&'static str] {
    match detector {
        "denied_burst" | "volume_spike" | "frequent_activation" => &["threshold", "window"],
        "destructive_statement" => &["kinds", "window"],
        "off_hours" => &["hours", "weekdays", "timezone"],
        _ => &[],
    }
}

impl Validator<'_> {
    pub(super) fn anomalies(
        &mut self,
        raw: Vec<RawAnomaly>,
        users: &[User],
        roles: &HashMap<String, usize>,
    ) -> Vec<Rule> {
        let mut out: Vec<Rule> = Vec::new();
        for (i, a) in raw.into_iter().enumerate() {
            let key = format!("anomalies[{i}]");
            if let Err(e) = parse_name("rule", &a.name) {
                self.err(format!("{key}.name"), e);
                continue;
            }
            if out.iter().any(|r| r.name == a.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate anomaly rule `{}`", a.name),
                );
                continue;
            }
            if let Some(rule) = self.anomaly(&key, a, users, roles) {
                out.push(rule);
            }
        }
        out
    }

    fn anomaly(
        &mut self,
        key: &str,
        a: RawAnomaly,
        users: &[User],
        roles: &HashMap<String, usize>,
    ) -> Option<Rule> {
        let errors = self.errors.len();
        let detector = a.detector.as_str();
        if !Detector::NAMES.contains(&detector) {
            self.err(
                format!("{key}.detector"),
                format!(
                    "unknown detector `{detector}`; use one of {}",
                    Detector::NAMES.join(", ")
                ),
            );
            return None;
        }
        if a.name == BREAK_GLASS_RULE && detector != "break_glass" {
            self.err(
                format!("{key}.name"),
                format!("`{BREAK_GLASS_RULE}` is the built-in break-glass rule's name"),
            );
        }
        for s in a.settings() {
            if !takes(detector).contains(&s) {
                self.err(
                    format!("{key}.{s}"),
                    format!("`{s}` does not apply to detector `{detector}`"),
                );
            }
        }
        let severity = match a.severity.as_deref() {
            Some(s) => match Severity::parse(s) {
                Ok(s) => s,
                Err(e) => {
                    self.err(format!("{key}.severity"), e.into());
                    Severity::Low
                }
            },
            None if detector == "break_glass" => Severity::High,
            None => {
                self.err(
                    format!("{key}.severity"),
                    "a rule needs a severity: low, medium or high".into(),
                );
                Severity::Low
            }
        };
        let scope = self.scope(key, &a, users, roles);
        let detector = self.detector(key, &a)?;
        if detector == Detector::BreakGlass && a.name == BREAK_GLASS_RULE {
            if severity != Severity::High {
                self.err(
                    format!("{key}.severity"),
                    "the built-in `break_glass` rule is always `high`; give the rule another name for another severity".into(),
                );
            }
            if scope != Scope::default() {
                self.err(
                    key.to_string(),
                    "the built-in `break_glass` rule covers every break-glass request; give the rule another name to scope it".into(),
                );
            }
        }
        (self.errors.len() == errors).then(|| Rule {
            name: a.name,
            severity,
            scope,
            revoke: a.revoke.unwrap_or(false),
            detector,
        })
    }

    fn scope(
        &mut self,
        key: &str,
        a: &RawAnomaly,
        users: &[User],
        roles: &HashMap<String, usize>,
    ) -> Scope {
        let mut scope = Scope::default();
        for (i, s) in a.subjects.iter().enumerate() {
            match Subject::parse(s) {
                Ok(subject) => {
                    let members: BTreeSet<String> = users
                        .iter()
                        .filter(|u| subject.covers(&u.name, &u.groups))
                        .map(|u| u.name.clone())
                        .collect();
                    if members.is_empty() {
                        self.err(
                            format!("{key}.subjects[{i}]"),
                            format!("`{s}` names no user declared under [[users]]"),
                        );
                    }
                    scope.users.extend(members);
                }
                Err(e) => self.err(format!("{key}.subjects[{i}]"), e.into()),
            }
        }
        for (i, r) in a.roles.iter().enumerate() {
            if roles.contains_key(r) {
                scope.roles.insert(r.clone());
            } else {
                self.err(
                    format!("{key}.roles[{i}]"),
                    format!("unknown role `{r}` in anomaly rule `{}`", a.name),
                );
            }
        }
        for (i, r) in a.resources.iter().enumerate() {
            match ResourcePattern::parse(r) {
                Ok(p) => scope.resources.push(p),
                Err(e) => self.err(format!("{key}.resources[{i}]"), e.into()),
            }
        }
        scope
    }

    fn threshold(&mut self, key: &str, a: &RawAnomaly) -> Option<(u32, Duration)> {
        let threshold = match a.threshold {
            None => {
                self.err(
                    format!("{key}.threshold"),
                    format!("detector `{}` needs a `threshold`", a.detector),
                );
                None
            }
            Some(n) if !(1..=MAX_THRESHOLD).contains(&n) => {
                self.err(
                    format!("{key}.threshold"),
                    format!("threshold `{n}` must be between 1 and {MAX_THRESHOLD}"),
                );
                None
            }
            Some(n) => u32::try_from(n).ok(),
        };
        let window = match &a.window {
            None => {
                self.err(
                    format!("{key}.window"),
                    format!("detector `{}` needs a `window`, like `5m`", a.detector),
                );
                None
            }
            Some(w) => self.duration(format!("{key}.window"), Some(w)),
        };
        Some((threshold?, window?))
    }

    fn detector(&mut self, key: &str, a: &RawAnomaly) -> Option<Detector> {
        Some(match a.detector.as_str() {
            "denied_burst" => {
                let (threshold, window) = self.threshold(key, a)?;
                Detector::DeniedBurst { threshold, window }
            }
            "volume_spike" => {
                let (threshold, window) = self.threshold(key, a)?;
                Detector::VolumeSpike { threshold, window }
            }
            "frequent_activation" => {
                let (threshold, window) = self.threshold(key, a)?;
                Detector::FrequentActivation { threshold, window }
            }
            "destructive_statement" => {
                let raw = a.kinds.as_deref().unwrap_or_default();
                if raw.is_empty() {
                    self.err(
                        format!("{key}.kinds"),
                        "detector `destructive_statement` needs `kinds`, like [\"db:ddl\", \"TRUNCATE\", \"DELETE without WHERE\"]".into(),
                    );
                    return None;
                }
                let mut kinds = Vec::new();
                for (i, k) in raw.iter().enumerate() {
                    match StatementKind::parse(k) {
                        Ok(k) => kinds.push(k),
                        Err(e) => self.err(format!("{key}.kinds[{i}]"), e.into()),
                    }
                }
                let window = match &a.window {
                    Some(w) => self.duration(format!("{key}.window"), Some(w))?,
                    None => DEFAULT_QUIET,
                };
                Detector::DestructiveStatement { kinds, window }
            }
            "off_hours" => {
                let Some(h) = &a.hours else {
                    self.err(
                        format!("{key}.hours"),
                        "detector `off_hours` needs working `hours`, like `09:00-18:00`".into(),
                    );
                    return None;
                };
                let hours = Hours::parse(h)
                    .map_err(|e| self.err(format!("{key}.hours"), e.into()))
                    .ok();
                let weekdays = match &a.weekdays {
                    None => Some(Weekdays::WORKWEEK),
                    Some(days) => Weekdays::parse(days)
                        .map_err(|(i, e)| {
                            let k = if days.is_empty() {
                                format!("{key}.weekdays")
                            } else {
                                format!("{key}.weekdays[{i}]")
                            };
                            self.err(k, e)
                        })
                        .ok(),
                };
                let offset = match &a.timezone {
                    None => Some(UtcOffset::default()),
                    Some(tz) => UtcOffset::parse(tz)
                        .map_err(|e| self.err(format!("{key}.timezone"), e.into()))
                        .ok(),
                };
                Detector::OffHours {
                    hours: hours?,
                    weekdays: weekdays?,
                    offset: offset?,
                }
            }
            "break_glass" => Detector::BreakGlass,
            _ => Detector::UnusedGrant,
        })
    }
}

#[cfg(test)]
mod tests;
