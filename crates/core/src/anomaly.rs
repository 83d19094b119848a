//! Monitoring rules: a pure engine that reads audit events in chain order and flags anomalies
//! (denial bursts, destructive statements, volume spikes, off-hours use, break-glass, unused
//! grants, frequent activation). Time is passed in; memory is bounded.
//!
//! Windows are measured on the events' own times (`at`), so replaying the same log gives the
//! same flags, and two servers reading one log flag the same bursts with the same ids.

mod burst;
mod detect;
mod event;
mod grants;
mod hours;
mod rule;

use sha2::{Digest, Sha256};

use crate::model::{Anomaly, AuditEvent, Severity};
use crate::time::Time;

use self::detect::State;
use self::event::Facts;
use self::grants::GrantBook;
use crate::audit::EventKind;

pub use hours::{Hours, UtcOffset, Weekdays};
pub use rule::{Detector, Rule, Scope, StatementKind};

/// The actor of what the monitor writes (`anomaly.flagged`, revocations).
pub const MONITOR_ACTOR: &str = "wicket:monitor";
/// The name of the built-in rule every break-glass request raises (recorded by the request
/// itself, in the same transaction).
pub const BREAK_GLASS_RULE: &str = "break_glass";
/// Keys (subjects, grants, roles) one detector keeps state for at most; the least recently
/// seen are forgotten first.
pub const MAX_KEYS: usize = 10_000;
/// Trigger event ids one flag carries at most.
pub const MAX_TRIGGERS: usize = 20;

/// What to revoke when a rule with `revoke = true` fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revoke {
    /// The grant the anomaly is about.
    Grant(String),
    /// Every live grant of `user` (of one of `roles`, when the rule names roles): for
    /// anomalies about a subject rather than a grant, such as a burst of denials.
    Holder { user: String, roles: Vec<String> },
}

/// One anomaly the engine found, before it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub rule: String,
    pub severity: Severity,
    /// `user:NAME`.
    pub subject: String,
    pub grant_id: Option<String>,
    pub request_id: Option<String>,
    /// The events that made it, oldest first (at most [`MAX_TRIGGERS`]).
    pub triggers: Vec<String>,
    pub summary: String,
    /// The time of the event that completed it.
    pub at: Time,
    /// What the dedup key was (`subject`, grant id, ...): one anomaly per rule and key.
    pub key: String,
    /// Which occurrence for that key (the id of the completing event, or the grant id):
    /// with `rule` and `key`, what makes the anomaly id.
    pub episode: String,
    /// Set when the rule says `revoke = true`.
    pub revoke: Option<Revoke>,
    /// Already recorded elsewhere (the built-in break-glass anomaly is written with its
    /// request); the monitor only acts on it.
    pub recorded: bool,
}

impl Flag {
    /// A deterministic id: the same rule, key and completing event give the same id, so
    /// several servers reading one log record one anomaly.
    pub fn anomaly_id(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.rule.as_str(), self.key.as_str(), self.episode.as_str()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        format!("an_{}", &hex::encode(h.finalize())[..24])
    }

    /// The anomaly row this flag becomes.
    pub fn anomaly(&self) -> Anomaly {
        Anomaly {
            id: self.anomaly_id(),
            at: self.at,
            rule: self.rule.clone(),
            severity: self.severity,
            subject: self.subject.clone(),
            request_id: self.request_id.clone(),
            grant_id: self.grant_id.clone(),
            summary: self.summary.clone(),
        }
    }
}

struct Armed {
    rule: Rule,
    state: State,
}

/// The rule engine: feed it every audit event in chain order with [`Monitor::observe`], and
/// call [`Monitor::tick`] now and then so that windows close and memory is released.
pub struct Monitor {
    rules: Vec<Armed>,
    grants: GrantBook,
    /// Events observed, for the tick every [`TICK_EVERY`] events.
    seen: u64,
}

/// Events between the ticks [`Monitor::observe`] runs on its own.
const TICK_EVERY: u64 = 4096;

impl Monitor {
    /// An engine for `rules`, plus the built-in break-glass rule unless one of `rules` is
    /// named [`BREAK_GLASS_RULE`].
    pub fn new(rules: &[Rule]) -> Monitor {
        let mut all: Vec<Rule> = rules.to_vec();
        if !all.iter().any(|r| r.name == BREAK_GLASS_RULE) {
            all.push(Rule::built_in_break_glass());
        }
        Monitor {
            rules: all
                .into_iter()
                .map(|rule| Armed {
                    state: State::new(&rule.detector),
                    rule,
                })
                .collect(),
            grants: GrantBook::default(),
            seen: 0,
        }
    }

    /// The rules it runs, the built-in one included.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|a| &a.rule)
    }

    /// True when the engine knows grant `id` (its holder and role).
    pub fn knows_grant(&self, id: &str) -> bool {
        self.grants.get(id).is_some()
    }

    /// Tells the engine about a grant it has not seen activated (one already live when the
    /// engine started), so that role scopes apply to its uses.
    pub fn learn_grant(&mut self, grant: &crate::model::Grant) {
        self.grants.learn(
            &grant.id,
            &grant.role,
            &grant.request_id,
            Some(grant.expires_at),
        );
    }

    /// The anomalies `event` completes. `now` only bounds memory; windows use `event.at`.
    pub fn observe(&mut self, event: &AuditEvent, now: Time) -> Vec<Flag> {
        if event.kind == EventKind::AnomalyFlagged {
            return Vec::new();
        }
        self.grants.note(event);
        let facts = Facts::of(event, &self.grants);
        let mut out = Vec::new();
        for armed in &mut self.rules {
            out.extend(armed.state.observe(&armed.rule, &facts));
        }
        self.grants.after(event);
        // Memory stays bounded even when the caller never ticks.
        self.seen = self.seen.wrapping_add(1);
        if self.seen.is_multiple_of(TICK_EVERY) {
            out.extend(self.tick(now));
        }
        out
    }

    /// Closes windows that ended by `now` and forgets what no rule needs any more. Returns
    /// the anomalies that closing windows raised (an unused grant whose end was never
    /// recorded, a minute after it ended).
    pub fn tick(&mut self, now: Time) -> Vec<Flag> {
        let mut out = Vec::new();
        for armed in &mut self.rules {
            out.extend(armed.state.tick(&armed.rule, now));
        }
        self.grants.prune(now);
        out
    }
}

#[cfg(test)]
mod tests;
