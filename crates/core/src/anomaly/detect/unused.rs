//! `unused_grant`: a grant that ended (expired or revoked) without one recorded use, an
//! over-provisioning signal. Only grants whose activation the engine saw are judged, so a
//! restart never mistakes "used before I started" for "unused".

use std::collections::HashMap;

use super::super::event::Facts;
use super::super::rule::Rule;
use super::super::{Flag, MAX_KEYS, MONITOR_ACTOR};
use super::{About, flag};
use crate::audit::EventKind;
use crate::time::{self, Time};

/// Grants watched at most; as many as [`super::super::grants`] keeps.
const MAX_WATCHED: usize = MAX_KEYS * 10;
/// How long after a grant's end its `grant.expired` event may take before the tick judges it.
const GRACE: chrono::Duration = chrono::Duration::minutes(1);

struct Watched {
    user: String,
    role: String,
    request_id: Option<String>,
    activated: String,
    expires_at: Option<Time>,
    used: bool,
}

#[derive(Default)]
pub(in super::super) struct Unused {
    grants: HashMap<String, Watched>,
}

impl Unused {
    pub fn observe(&mut self, rule: &Rule, f: &Facts<'_>) -> Option<Flag> {
        let e = f.event;
        if let Some(g) = f.used_grant() {
            if let Some(w) = self.grants.get_mut(g) {
                w.used = true;
            }
            return None;
        }
        let grant = e.grant_id.as_deref()?;
        match EventKind::parse(&e.kind) {
            Some(EventKind::GrantActivated) if rule.scope.admits(f) => {
                if self.grants.len() >= MAX_WATCHED {
                    self.evict();
                }
                self.grants.insert(
                    grant.to_string(),
                    Watched {
                        user: f.user?.to_string(),
                        role: f.role().unwrap_or_default().to_string(),
                        request_id: f.request_id(),
                        activated: e.id.clone(),
                        expires_at: f.detail_str("expires_at").and_then(|t| time::parse(t).ok()),
                        used: false,
                    },
                );
                None
            }
            Some(EventKind::GrantExpired | EventKind::GrantRevoked) => {
                let w = self.grants.remove(grant)?;
                // The monitor's own revocations already say what was wrong with the grant.
                if w.used || e.actor == MONITOR_ACTOR {
                    return None;
                }
                let how = if e.kind == EventKind::GrantExpired {
                    "expired"
                } else {
                    "was revoked"
                };
                Some(unused_flag(rule, grant, w, Some(e.id.clone()), how, e.at))
            }
            _ => None,
        }
    }

    /// Judges grants that ended over a minute before `now` with no end recorded yet.
    pub fn tick(&mut self, rule: &Rule, now: Time) -> Vec<Flag> {
        let over: Vec<String> = self
            .grants
            .iter()
            .filter(|(_, w)| w.expires_at.is_some_and(|t| t + GRACE <= now))
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = Vec::new();
        for id in over {
            if let Some(w) = self.grants.remove(&id)
                && !w.used
            {
                let at = w.expires_at.unwrap_or(now);
                out.push(unused_flag(rule, &id, w, None, "expired", at));
            }
        }
        out
    }

    /// Makes room: stops watching the tenth of the grants that end first.
    fn evict(&mut self) {
        let mut ends: Vec<(Option<Time>, String)> = self
            .grants
            .iter()
            .map(|(id, w)| (w.expires_at, id.clone()))
            .collect();
        ends.sort();
        for (_, id) in ends.into_iter().take(MAX_WATCHED / 10) {
            self.grants.remove(&id);
        }
    }
}

fn unused_flag(
    rule: &Rule,
    grant: &str,
    w: Watched,
    end: Option<String>,
    how: &str,
    at: Time,
) -> Flag {
    let mut triggers = vec![w.activated];
    triggers.extend(end);
    flag(
        rule,
        About {
            subject: format!("user:{}", w.user),
            grant_id: Some(grant.to_string()),
            request_id: w.request_id,
            key: grant.to_string(),
            episode: grant.to_string(),
            triggers,
            summary: format!(
                "grant `{grant}` of role `{}` to `{}` {how} without being used; the role may be more than the work needs",
                w.role, w.user
            ),
            at,
        },
    )
}
