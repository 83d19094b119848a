//! Each rule's running state, and the dispatch from an event to the rule's detector.

mod single;
mod unused;
mod windows;

use super::burst::Bursts;
use super::event::Facts;
use super::rule::{Detector, Rule};
use super::{Flag, MAX_TRIGGERS, Revoke};
use crate::duration::Duration;
use crate::time::Time;

pub(super) use self::single::BreakGlass;
pub(super) use self::unused::Unused;

/// How long `off_hours` stays quiet about one grant after flagging it.
const OFF_HOURS_QUIET: Duration = Duration::DAY;

/// One rule's memory.
pub(super) enum State {
    /// `denied_burst`, `volume_spike`, `frequent_activation`, and the per-subject quiet
    /// period of `destructive_statement` and per-grant one of `off_hours`.
    Bursts(Bursts),
    BreakGlass(BreakGlass),
    Unused(Unused),
}

impl State {
    pub fn new(d: &Detector) -> State {
        let need = |threshold: u32| threshold as usize;
        match d {
            Detector::DeniedBurst { threshold, window } => {
                State::Bursts(Bursts::new(need(*threshold), *window))
            }
            Detector::VolumeSpike { threshold, window }
            | Detector::FrequentActivation { threshold, window } => {
                State::Bursts(Bursts::new(need(*threshold) + 1, *window))
            }
            Detector::DestructiveStatement { window, .. } => State::Bursts(Bursts::new(1, *window)),
            Detector::OffHours { .. } => State::Bursts(Bursts::new(1, OFF_HOURS_QUIET)),
            Detector::BreakGlass => State::BreakGlass(BreakGlass::default()),
            Detector::UnusedGrant => State::Unused(Unused::default()),
        }
    }

    pub fn observe(&mut self, rule: &Rule, f: &Facts<'_>) -> Vec<Flag> {
        match self {
            State::Bursts(b) => match &rule.detector {
                Detector::DeniedBurst { threshold, window } => {
                    windows::denied(b, rule, f, *threshold, *window)
                }
                Detector::VolumeSpike { threshold, window } => {
                    windows::volume(b, rule, f, *threshold, *window)
                }
                Detector::FrequentActivation { threshold, window } => {
                    windows::activations(b, rule, f, *threshold, *window)
                }
                Detector::DestructiveStatement { kinds, .. } => {
                    single::destructive(b, rule, f, kinds)
                }
                Detector::OffHours {
                    hours,
                    weekdays,
                    offset,
                } => single::off_hours(b, rule, f, *hours, *weekdays, *offset),
                Detector::BreakGlass | Detector::UnusedGrant => None,
            }
            .into_iter()
            .collect(),
            State::BreakGlass(s) => s.observe(rule, f),
            State::Unused(s) => s.observe(rule, f).into_iter().collect(),
        }
    }

    pub fn tick(&mut self, rule: &Rule, now: Time) -> Vec<Flag> {
        match self {
            State::Bursts(b) => {
                b.prune(now);
                Vec::new()
            }
            State::BreakGlass(s) => {
                s.prune(now);
                Vec::new()
            }
            State::Unused(s) => s.tick(rule, now),
        }
    }
}

/// What a flag is about, beyond the rule.
pub(super) struct About {
    pub subject: String,
    pub grant_id: Option<String>,
    pub request_id: Option<String>,
    pub key: String,
    pub episode: String,
    pub triggers: Vec<String>,
    pub summary: String,
    pub at: Time,
}

/// A flag about the use of `grant` in `f`'s event, once its burst in `b` is complete;
/// `summary` gets the role's words (" of role `NAME`", or nothing).
pub(super) fn grant_flag(
    b: &mut Bursts,
    rule: &Rule,
    f: &Facts<'_>,
    grant: &str,
    summary: impl FnOnce(&str) -> String,
) -> Option<Flag> {
    let e = f.event;
    let triggers = b.hit(grant, e.at, &e.id)?;
    let role = f
        .role()
        .map(|r| format!(" of role `{r}`"))
        .unwrap_or_default();
    Some(flag(
        rule,
        About {
            subject: f.subject(),
            grant_id: Some(grant.to_string()),
            request_id: f.request_id(),
            key: grant.to_string(),
            episode: e.id.clone(),
            triggers,
            summary: summary(&role),
            at: e.at,
        },
    ))
}

/// The flag `rule` raises about `a`, with what to revoke when the rule says so.
pub(super) fn flag(rule: &Rule, a: About) -> Flag {
    let revoke = rule.revoke.then(|| match &a.grant_id {
        Some(g) => Revoke::Grant(g.clone()),
        None => Revoke::Holder {
            user: a
                .subject
                .strip_prefix("user:")
                .unwrap_or(&a.subject)
                .to_string(),
            roles: rule.scope.roles.iter().cloned().collect(),
        },
    });
    let mut triggers = a.triggers;
    if triggers.len() > MAX_TRIGGERS {
        triggers.drain(..triggers.len() - MAX_TRIGGERS);
    }
    Flag {
        rule: rule.name.clone(),
        severity: rule.severity,
        subject: a.subject,
        grant_id: a.grant_id,
        request_id: a.request_id,
        triggers,
        summary: a.summary,
        at: a.at,
        key: a.key,
        episode: a.episode,
        revoke,
        recorded: false,
    }
}
