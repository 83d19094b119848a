//! The overview for approvers and auditors, computed in one pass over a window of audit
//! events (days in UTC): requests per day, grants live per day, how long requests wait for a
//! decision (median and p90), the most requested roles and the anomalies by rule. Memory grows
//! with the requests and grants of the window, not with its checks and statements.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;
use wicket_core::audit::EventKind;
use wicket_core::time::{self, Time};
use wicket_core::{AuditEvent, Grant};

/// Roles and rules listed at most; the rest are summed into `others`.
pub const TOP: usize = 10;

/// One UTC day of the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// Requests created that day.
    pub requests: u64,
    /// Grants live at some moment of that day.
    pub live_grants: u64,
    /// Anomalies flagged that day.
    pub anomalies: u64,
}

/// How long requests decided in the window waited, from creation to approval or denial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionTimes {
    /// Requests created and decided in the window.
    pub decided: u64,
    pub approved: u64,
    pub denied: u64,
    /// Seconds; none when nothing was decided.
    pub median_seconds: Option<u64>,
    pub p90_seconds: Option<u64>,
}

/// A name and how often it came up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub name: String,
    pub count: u64,
}

/// The most frequent names, and the sum of the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ranking {
    /// At most ten, most frequent first (ties by name).
    pub top: Vec<Count>,
    /// The count of every name beyond the top.
    pub others: u64,
}

/// What one scan builds up; feed it events in order, then [`Overview::finish`].
#[derive(Debug)]
pub struct Overview {
    since: Time,
    until: Time,
    first_day: NaiveDate,
    days: Vec<Day>,
    /// Request id → creation time, for requests created in the window.
    created: HashMap<String, Time>,
    waits: Vec<i64>,
    approved: u64,
    denied: u64,
    roles: HashMap<String, u64>,
    rules: HashMap<String, u64>,
    /// Grant id → (start, end): end is the expiry until an earlier revocation or expiry is seen.
    grants: HashMap<String, (Time, Time)>,
    pub events: u64,
}

impl Overview {
    /// An empty overview of `[since, until)`, one entry per UTC day touching it.
    pub fn new(since: Time, until: Time) -> Overview {
        let first_day = since.date_naive();
        let last_day = until.date_naive();
        let days = first_day
            .iter_days()
            .take_while(|d| *d <= last_day)
            .map(|d| Day {
                date: d.format("%Y-%m-%d").to_string(),
                requests: 0,
                live_grants: 0,
                anomalies: 0,
            })
            .collect();
        Overview {
            since,
            until,
            first_day,
            days,
            created: HashMap::new(),
            waits: Vec::new(),
            approved: 0,
            denied: 0,
            roles: HashMap::new(),
            rules: HashMap::new(),
            grants: HashMap::new(),
            events: 0,
        }
    }

    /// A grant that began before the window and may be live in it (from the store).
    pub fn grant_before(&mut self, g: &Grant) {
        let end = g.revoked_at.map_or(g.expires_at, |r| r.min(g.expires_at));
        self.grants.insert(g.id.clone(), (g.starts_at, end));
    }

    fn day(&mut self, at: Time) -> Option<&mut Day> {
        let index = (at.date_naive() - self.first_day).num_days();
        usize::try_from(index)
            .ok()
            .and_then(|i| self.days.get_mut(i))
    }

    /// Takes one event of the window into account.
    pub fn observe(&mut self, e: &AuditEvent) {
        self.events += 1;
        let Some(kind) = EventKind::parse(&e.kind) else {
            return;
        };
        match kind {
            EventKind::RequestCreated => {
                if let Some(day) = self.day(e.at) {
                    day.requests += 1;
                }
                if let Some(id) = &e.request_id {
                    self.created.insert(id.clone(), e.at);
                }
                for role in detail(e)["roles"].as_array().into_iter().flatten() {
                    if let Some(role) = role.as_str() {
                        *self.roles.entry(role.to_string()).or_default() += 1;
                    }
                }
            }
            EventKind::RequestApproved | EventKind::RequestDenied => {
                let Some(created) = e.request_id.as_ref().and_then(|id| self.created.remove(id))
                else {
                    return;
                };
                self.waits.push((e.at - created).num_seconds().max(0));
                if kind == EventKind::RequestApproved {
                    self.approved += 1;
                } else {
                    self.denied += 1;
                }
            }
            EventKind::GrantActivated => {
                let d = detail(e);
                let end = d["expires_at"]
                    .as_str()
                    .and_then(|t| time::parse(t).ok())
                    .unwrap_or(self.until);
                let start = d["starts_at"]
                    .as_str()
                    .and_then(|t| time::parse(t).ok())
                    .unwrap_or(e.at);
                if let Some(id) = &e.grant_id {
                    self.grants.insert(id.clone(), (start, end));
                }
            }
            EventKind::GrantRevoked | EventKind::GrantExpired => {
                if let Some((_, end)) = e.grant_id.as_ref().and_then(|id| self.grants.get_mut(id)) {
                    *end = (*end).min(e.at);
                }
            }
            EventKind::AnomalyFlagged => {
                if let Some(day) = self.day(e.at) {
                    day.anomalies += 1;
                }
                if let Some(rule) = detail(e)["rule"].as_str() {
                    *self.rules.entry(rule.to_string()).or_default() += 1;
                }
            }
            _ => {}
        }
    }

    /// The report: `live_now` is the store's count of grants live at the window's end.
    pub fn finish(mut self, live_now: u64) -> OverviewReport {
        let intervals: Vec<(Time, Time)> = self.grants.values().copied().collect();
        for (i, day) in self.days.iter_mut().enumerate() {
            let start = day_start(self.first_day, i).max(self.since);
            let end = day_start(self.first_day, i + 1).min(self.until);
            day.live_grants = intervals
                .iter()
                .filter(|(s, e)| *s < end && *e > start)
                .count() as u64;
        }
        self.waits.sort_unstable();
        OverviewReport {
            since: time::format(self.since),
            until: time::format(self.until),
            events: self.events,
            live_now,
            days: self.days,
            decisions: DecisionTimes {
                decided: self.waits.len() as u64,
                approved: self.approved,
                denied: self.denied,
                median_seconds: percentile(&self.waits, 50),
                p90_seconds: percentile(&self.waits, 90),
            },
            roles: ranking(self.roles),
            anomaly_rules: ranking(self.rules),
        }
    }
}

/// The overview of a window.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverviewReport {
    #[schema(value_type = crate::openapi::formats::Time)]
    pub since: String,
    #[schema(value_type = crate::openapi::formats::Time)]
    pub until: String,
    /// Audit events read.
    pub events: u64,
    /// Grants live at the window's end.
    pub live_now: u64,
    /// Each UTC day of the window, oldest first.
    pub days: Vec<Day>,
    pub decisions: DecisionTimes,
    /// The most requested roles (a request of two roles counts for each).
    pub roles: Ranking,
    /// Anomalies flagged, by rule.
    pub anomaly_rules: Ranking,
}

fn detail(e: &AuditEvent) -> serde_json::Value {
    serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null)
}

fn day_start(first: NaiveDate, offset: usize) -> Time {
    let day = first + Duration::days(offset as i64);
    day.and_hms_opt(0, 0, 0)
        .map_or(Time::MIN_UTC, |t| t.and_utc())
}

/// The nearest-rank percentile of sorted `values`, in whole seconds.
fn percentile(sorted: &[i64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).and_then(|v| u64::try_from(*v).ok())
}

fn ranking(counts: HashMap<String, u64>) -> Ranking {
    let mut sorted: Vec<Count> = counts
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect();
    sorted.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let others = sorted.iter().skip(TOP).map(|c| c.count).sum();
    sorted.truncate(TOP);
    Ranking {
        top: sorted,
        others,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Time {
        time::parse(text).unwrap()
    }

    fn event(
        kind: &str,
        at_: &str,
        request: Option<&str>,
        grant: Option<&str>,
        details: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            seq: 0,
            id: String::new(),
            at: at(at_),
            actor: "user:alice".into(),
            kind: kind.into(),
            subject: None,
            action: None,
            resource: None,
            decision: None,
            request_id: request.map(str::to_string),
            grant_id: grant.map(str::to_string),
            details: details.to_string(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn counts_requests_waits_roles_and_live_grants_per_day() {
        let mut o = Overview::new(at("2026-12-01T12:00:00Z"), at("2026-12-03T12:00:00Z"));
        assert_eq!(o.days.len(), 3);
        let created = |id: &str, t: &str, roles: &[&str]| {
            event(
                "request.created",
                t,
                Some(id),
                None,
                serde_json::json!({ "roles": roles }),
            )
        };
        o.observe(&created("r1", "2026-12-01T13:00:00Z", &["db-read"]));
        o.observe(&created(
            "r2",
            "2026-12-01T14:00:00Z",
            &["db-read", "db-write"],
        ));
        o.observe(&created("r3", "2026-12-02T09:00:00Z", &["db-read"]));
        // Decided after 60 s, 600 s and 6000 s; r0, created before the window, has no known wait.
        for (kind, t, request) in [
            ("request.approved", "2026-12-01T13:01:00Z", "r1"),
            ("request.denied", "2026-12-01T14:10:00Z", "r2"),
            ("request.approved", "2026-12-02T10:40:00Z", "r3"),
            ("request.approved", "2026-12-02T11:00:00Z", "r0"),
        ] {
            o.observe(&event(kind, t, Some(request), None, serde_json::json!({})));
        }
        // g1 lives from day 1 into day 2 and is revoked there; g2 lives on day 3 only.
        o.observe(&event("grant.activated", "2026-12-01T13:01:00Z", Some("r1"), Some("g1"),
            serde_json::json!({ "starts_at": "2026-12-01T13:01:00.000Z", "expires_at": "2026-12-03T13:00:00.000Z" })));
        o.observe(&event(
            "grant.revoked",
            "2026-12-02T08:00:00Z",
            Some("r1"),
            Some("g1"),
            serde_json::json!({}),
        ));
        o.observe(&event("grant.activated", "2026-12-03T01:00:00Z", Some("r3"), Some("g2"),
            serde_json::json!({ "starts_at": "2026-12-03T01:00:00.000Z", "expires_at": "2026-12-03T02:00:00.000Z" })));
        o.observe(&event(
            "anomaly.flagged",
            "2026-12-02T08:00:00Z",
            None,
            Some("g1"),
            serde_json::json!({ "rule": "denied-burst" }),
        ));
        let r = o.finish(0);
        assert_eq!(
            r.days
                .iter()
                .map(|d| (d.requests, d.live_grants, d.anomalies))
                .collect::<Vec<_>>(),
            vec![(2, 1, 0), (1, 1, 1), (0, 1, 0)]
        );
        assert_eq!(r.days[0].date, "2026-12-01");
        assert_eq!(
            r.decisions,
            DecisionTimes {
                decided: 3,
                approved: 2,
                denied: 1,
                median_seconds: Some(600),
                p90_seconds: Some(6000)
            }
        );
        assert_eq!(
            r.roles.top[0],
            Count {
                name: "db-read".into(),
                count: 3
            }
        );
        assert_eq!(
            r.roles.top[1],
            Count {
                name: "db-write".into(),
                count: 1
            }
        );
        assert_eq!(
            r.anomaly_rules.top,
            vec![Count {
                name: "denied-burst".into(),
                count: 1
            }]
        );
        assert_eq!(r.events, 11);
    }

    #[test]
    fn a_grant_from_before_the_window_counts_while_it_lives() {
        let mut o = Overview::new(at("2026-12-01T00:00:00Z"), at("2026-12-02T12:00:00Z"));
        o.grant_before(&Grant {
            revoked_at: Some(at("2026-12-01T06:00:00Z")),
            ..Grant::new(
                "g0",
                "alice",
                "db-read",
                "r0",
                (at("2026-11-30T00:00:00Z"), at("2026-12-05T00:00:00Z")),
            )
        });
        let r = o.finish(0);
        assert_eq!(
            r.days.iter().map(|d| d.live_grants).collect::<Vec<_>>(),
            vec![1, 0]
        );
    }

    #[test]
    fn percentiles_take_the_nearest_rank_and_rankings_keep_ten() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[5], 90), Some(5));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
        let counts = (0..12).map(|i| (format!("r{i:02}"), 12 - i)).collect();
        let r = ranking(counts);
        assert_eq!(r.top.len(), TOP);
        assert_eq!(r.top[0].name, "r00");
        assert_eq!(r.others, 2 + 1);
    }
}
