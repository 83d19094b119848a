//! "Access review due": once per open campaign, when its deadline comes within the lead time
//! (and half its time has passed, so a short campaign is not reminded at its start), to the
//! reviewers of the items still undecided, saying how many wait and where to decide them.

use std::collections::HashSet;

use serde_json::json;
use wicket_core::review::{Campaign, ItemDecision};
use wicket_core::{Config, Duration, Subject, Time, time};

use super::message::Notification;
use wicket_core::audit::EventKind;

/// The campaigns already reminded, while they stay open.
#[derive(Debug, Default)]
pub struct Due {
    sent: HashSet<String>,
}

impl Due {
    /// The `review.due` notifications due at `now` among the `open` campaigns. Forgets the
    /// campaigns no longer open.
    pub fn due(
        &mut self,
        config: &Config,
        open: &[Campaign],
        lead: Duration,
        now: Time,
    ) -> Vec<Notification> {
        self.sent.retain(|id| open.iter().any(|c| &c.id == id));
        let mut out = Vec::new();
        for c in open {
            let halfway = c.started_at + (c.deadline - c.started_at) / 2;
            let near = now + lead.to_chrono() >= c.deadline && now >= halfway;
            if !c.open_at(now) || !near || self.sent.contains(&c.id) {
                continue;
            }
            let pending: Vec<_> = c
                .items
                .iter()
                .filter(|i| i.decision == ItemDecision::Pending)
                .collect();
            if pending.is_empty() {
                continue;
            }
            self.sent.insert(c.id.clone());
            let mut recipients: Vec<String> = Vec::new();
            for subject in pending
                .iter()
                .flat_map(|i| &i.reviewers)
                .filter_map(|s| Subject::parse(s).ok())
            {
                for user in config.users_of(&subject) {
                    if !recipients.iter().any(|u| u == user) {
                        recipients.push(user.to_string());
                    }
                }
            }
            recipients.sort();
            let left = (c.deadline - now).num_seconds().max(0);
            out.push(Notification {
                kind: EventKind::ReviewDue.as_str().into(),
                delivery_id: format!("{}.due", c.id),
                at: now,
                summary: format!(
                    "access review `{}` campaign `{}` closes at {} (in {} min) with {} item(s) \
                     undecided; review them on the /reviews page or with `wicket review list --pending`",
                    c.review,
                    c.id,
                    time::format(c.deadline),
                    (left + 59) / 60,
                    pending.len()
                ),
                recipients,
                subject: None,
                request_id: None,
                grant_id: None,
                event: None,
                details: json!({
                    "review": c.review,
                    "campaign": c.id,
                    "deadline": time::format(c.deadline),
                    "pending": pending.len(),
                }),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::review::{ItemKind, ReviewItem};
    use wicket_core::time::from_millis;

    const CONFIG: &str = r#"
[[users]]
name = "bob"
groups = ["leads"]
[[users]]
name = "carol"
groups = ["leads"]
[[users]]
name = "erin"
"#;

    fn at(secs: i64) -> Time {
        from_millis(secs * 1000)
    }

    fn item(id: &str, reviewers: &[&str], decision: ItemDecision) -> ReviewItem {
        ReviewItem {
            id: id.into(),
            campaign_id: "rc".into(),
            kind: ItemKind::Binding,
            subject: "user:erin".into(),
            role: "r".into(),
            grant_id: None,
            expires_at: None,
            reviewers: reviewers.iter().map(|s| s.to_string()).collect(),
            decision,
            decided_by: None,
            decided_at: None,
            comment: None,
        }
    }

    /// Started at 0, deadline at 1000 s; erin's item decided, the group's pending.
    fn campaign() -> Campaign {
        Campaign {
            id: "rc".into(),
            review: "q".into(),
            started_at: at(0),
            started_by: "wicket".into(),
            deadline: at(1000),
            closed_at: None,
            items: vec![
                item("a", &["user:erin"], ItemDecision::Certified),
                item("b", &["group:leads"], ItemDecision::Pending),
            ],
        }
    }

    #[test]
    fn an_open_campaign_is_reminded_once_past_halfway_within_the_lead_to_its_pending_reviewers() {
        let config = Config::parse("w.toml", CONFIG).unwrap();
        let lead = Duration::parse("1h").unwrap();
        let open = [campaign()];
        let mut d = Due::default();
        // Within the lead from the start, but not halfway yet.
        assert!(d.due(&config, &open, lead, at(400)).is_empty());
        let sent = d.due(&config, &open, lead, at(600));
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].recipients,
            ["bob", "carol"],
            "erin's item is decided"
        );
        assert_eq!(sent[0].details["pending"], 1);
        assert!(sent[0].summary.contains("/reviews"), "{}", sent[0].summary);
        assert!(d.due(&config, &open, lead, at(700)).is_empty(), "once");
        // Nothing pending: nothing to remind of.
        let mut done = campaign();
        done.id = "rc2".into();
        done.items.truncate(1);
        assert!(d.due(&config, &[done], lead, at(700)).is_empty());
    }
}
