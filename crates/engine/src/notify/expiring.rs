//! "Grant expiring soon": once per grant and end, when it comes within the lead time of its
//! end (an extended grant is announced again before its new end), saying how to extend it.

use std::collections::HashMap;

use serde_json::json;
use wicket_core::{Duration, Grant, Time, time};

use super::message::Notification;
use wicket_core::audit::EventKind;

/// The grants already announced, until they end.
#[derive(Debug, Default)]
pub struct Expiring {
    sent: HashMap<String, Time>,
}

impl Expiring {
    /// The `grant.expiring` notifications due at `now` among `live` grants: active, ending
    /// within `lead`, not announced before. Forgets grants that have ended.
    pub fn due(&mut self, live: &[Grant], lead: Duration, now: Time) -> Vec<Notification> {
        self.sent.retain(|_, ends| *ends > now);
        let mut out = Vec::new();
        for g in live {
            let soon = g.starts_at <= now && now < g.expires_at;
            if !soon || g.revoked_at.is_some() || now + lead.to_chrono() < g.expires_at {
                continue;
            }
            if self.sent.insert(g.id.clone(), g.expires_at) == Some(g.expires_at) {
                continue;
            }
            let left = (g.expires_at - now).num_seconds().max(0);
            out.push(Notification {
                kind: EventKind::GrantExpiring.as_str().into(),
                delivery_id: format!("{}.expiring", g.id),
                at: now,
                summary: format!(
                    "{}'s grant of role `{}` ends at {} (in {} min); to extend it, run \
                     `wicket grant extend {} --by 1h --reason ...` or use Extend on My access",
                    g.user,
                    g.role,
                    time::format(g.expires_at),
                    (left + 59) / 60,
                    g.id
                ),
                recipients: vec![g.user.clone()],
                subject: Some(format!("user:{}", g.user)),
                request_id: Some(g.request_id.clone()),
                grant_id: Some(g.id.clone()),
                event: None,
                details: json!({
                    "role": g.role,
                    "starts_at": time::format(g.starts_at),
                    "expires_at": time::format(g.expires_at),
                    "extend": format!("/v1/grants/{}/extend", g.id),
                }),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::time::from_millis;

    /// Alice's grant `id` of role `r`, from `starts` to `ends` (seconds).
    fn grant(id: &str, starts: i64, ends: i64) -> Grant {
        crate::testing::grant(id, "r", starts, ends)
    }

    #[test]
    fn each_grant_is_announced_once_within_the_lead() {
        let lead = Duration::parse("10m").unwrap();
        let grants = [
            grant("a", 0, 3600),
            grant("b", 0, 1000),
            grant("c", 2000, 2500),
        ];
        let mut e = Expiring::default();
        let ids = |v: Vec<Notification>| -> Vec<String> {
            v.into_iter().map(|n| n.grant_id.unwrap()).collect()
        };
        // At 500 s: `b` ends within 10 min; `c` has not started.
        assert_eq!(ids(e.due(&grants, lead, from_millis(500_000))), ["b"]);
        assert!(e.due(&grants, lead, from_millis(600_000)).is_empty());
        // At 3100 s: `a` is within 10 min of its end; `b` and `c` are over.
        assert_eq!(ids(e.due(&grants, lead, from_millis(3_100_000))), ["a"]);
        assert!(e.due(&grants, lead, from_millis(3_200_000)).is_empty());
    }

    #[test]
    fn an_extended_grant_is_announced_again_before_its_new_end_with_how_to_extend() {
        let lead = Duration::parse("10m").unwrap();
        let mut e = Expiring::default();
        let first = e.due(&[grant("a", 0, 1000)], lead, from_millis(500_000));
        assert_eq!(first.len(), 1);
        assert!(
            first[0].summary.contains("wicket grant extend a --by 1h"),
            "{}",
            first[0].summary
        );
        assert_eq!(first[0].details["extend"], "/v1/grants/a/extend");
        // Extended to 2000 s: nothing new until it comes within the lead of its new end.
        let extended = [grant("a", 0, 2000)];
        assert!(e.due(&extended, lead, from_millis(900_000)).is_empty());
        assert_eq!(e.due(&extended, lead, from_millis(1_500_000)).len(), 1);
        assert!(e.due(&extended, lead, from_millis(1_600_000)).is_empty());
    }
}
