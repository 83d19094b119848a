//! Detectors that judge one event: `destructive_statement`, `off_hours`, `break_glass`.

use std::collections::HashMap;

use chrono::Weekday;

use super::super::burst::Bursts;
use super::super::event::Facts;
use super::super::hours::{Hours, UtcOffset, Weekdays};
use super::super::rule::{Rule, StatementKind};
use super::super::{BREAK_GLASS_RULE, Flag, MAX_KEYS};
use super::{About, flag, grant_flag};
use crate::audit::EventKind;
use crate::time::Time;

/// Statement text kept in a summary at most.
const SUMMARY_SQL: usize = 120;

fn short(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(SUMMARY_SQL) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// An allowed gateway statement of one of `kinds`; quiet per subject for the rule's window.
pub(super) fn destructive(
    b: &mut Bursts,
    rule: &Rule,
    f: &Facts<'_>,
    kinds: &[StatementKind],
) -> Option<Flag> {
    let e = f.event;
    if e.kind != EventKind::GatewayStatement || e.decision.as_deref() != Some("allow") {
        return None;
    }
    let kind = kinds.iter().find(|k| k.matches(f))?;
    if !rule.scope.admits(f) {
        return None;
    }
    let user = f.user?;
    let subject = f.subject();
    let triggers = b.hit(&subject, e.at, &e.id)?;
    let sql = short(f.detail_str("statement").unwrap_or(""));
    let on = e
        .resource
        .as_deref()
        .map(|r| format!(" on `{r}`"))
        .unwrap_or_default();
    Some(flag(
        rule,
        About {
            subject: subject.clone(),
            grant_id: e.grant_id.clone(),
            request_id: f.request_id(),
            key: subject,
            episode: e.id.clone(),
            triggers,
            summary: format!("`{user}` ran a {kind} statement{on}: `{sql}`"),
            at: e.at,
        },
    ))
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// A grant activated or used outside working hours; once per grant a day.
pub(super) fn off_hours(
    b: &mut Bursts,
    rule: &Rule,
    f: &Facts<'_>,
    hours: Hours,
    weekdays: Weekdays,
    offset: UtcOffset,
) -> Option<Flag> {
    let e = f.event;
    let (grant, what) = if e.kind == EventKind::GrantActivated {
        (e.grant_id.as_deref()?, "activated")
    } else {
        (f.used_grant()?, "used")
    };
    let (day, minute) = offset.local(e.at);
    if weekdays.contains(day) && hours.contains(minute) {
        return None;
    }
    if !rule.scope.admits(f) {
        return None;
    }
    grant_flag(b, rule, f, grant, |role| {
        format!(
            "grant `{grant}`{role} was {what} on {} at {:02}:{:02} ({offset}), outside working hours {hours}",
            day_name(day),
            minute / 60,
            minute % 60
        )
    })
}

/// Break-glass requests seen, waiting for their grants' activation.
#[derive(Default)]
pub(in super::super) struct BreakGlass {
    /// Request id → (its `request.created` event id and time).
    pending: HashMap<String, (String, Time)>,
}

impl BreakGlass {
    /// A flag for each grant a break-glass request activates.
    pub fn observe(&mut self, rule: &Rule, f: &Facts<'_>) -> Vec<Flag> {
        let e = f.event;
        match EventKind::parse(&e.kind) {
            Some(EventKind::RequestCreated) if f.detail_bool("break_glass") => {
                let Some(id) = &e.request_id else {
                    return Vec::new();
                };
                if self.pending.len() >= MAX_KEYS {
                    self.prune(e.at);
                }
                if self.pending.len() < MAX_KEYS {
                    self.pending.insert(id.clone(), (e.id.clone(), e.at));
                }
                Vec::new()
            }
            Some(EventKind::GrantActivated) => {
                let Some((created, _)) = e.request_id.as_ref().and_then(|r| self.pending.get(r))
                else {
                    return Vec::new();
                };
                if !rule.scope.admits(f) {
                    return Vec::new();
                }
                let (Some(user), Some(grant)) = (f.user, e.grant_id.clone()) else {
                    return Vec::new();
                };
                let role = f.role().unwrap_or_default().to_string();
                let mut out = flag(
                    rule,
                    About {
                        subject: f.subject(),
                        grant_id: Some(grant.clone()),
                        request_id: e.request_id.clone(),
                        key: grant.clone(),
                        episode: grant.clone(),
                        triggers: vec![created.clone(), e.id.clone()],
                        summary: format!(
                            "`{user}` used break-glass for `{role}`; review after the fact"
                        ),
                        at: e.at,
                    },
                );
                // The request records the built-in rule's anomaly itself, atomically.
                out.recorded = rule.name == BREAK_GLASS_RULE;
                vec![out]
            }
            _ => Vec::new(),
        }
    }

    /// Forgets requests created over an hour before `now` (their grants start at once).
    pub fn prune(&mut self, now: Time) {
        let horizon = now - chrono::Duration::hours(1);
        self.pending.retain(|_, (_, at)| *at > horizon);
    }
}
