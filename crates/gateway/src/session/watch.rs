//! Whether a session may go on: `db:connect` on its target is decided again, and when it no
//! longer holds, the reason is named: the grant that expired, or who revoked it and why.

use wicket_core::{Action, GrantStatus, time};
use wicket_engine::app::now;

use super::Session;

pub struct Watcher {
    connect: Option<Action>,
    /// The grant that allowed the session at the last check.
    grant: Option<String>,
}

impl Watcher {
    pub fn new(s: &Session) -> Watcher {
        Watcher {
            connect: Action::parse("db:connect").ok(),
            grant: s.grant.clone(),
        }
    }

    /// `None` while the session may go on; otherwise why it must end.
    pub async fn check(&mut self, s: &Session) -> Option<String> {
        if *s.stop.borrow() {
            return Some("wicket is shutting down".into());
        }
        let Some(connect) = &self.connect else {
            return Some("the gateway cannot check `db:connect`".into());
        };
        let at = now();
        let d = s
            .app
            .decide(&s.user, connect, &s.target.config.resource, at);
        if d.allowed {
            self.grant = d.via.and_then(|v| v.grant_id);
            return None;
        }
        let fallback = format!(
            "`db:connect` on `{}` is no longer allowed: {}",
            s.target.config.resource, d.reason
        );
        let Some(id) = &self.grant else {
            return Some(fallback);
        };
        match s.app.store.get_grant(id).await {
            Ok(Some(g)) => Some(match g.status(at) {
                GrantStatus::Revoked => {
                    let by = g.revoked_by.as_deref().unwrap_or("someone");
                    let why = g
                        .revoke_reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    format!(
                        "grant `{id}` of role `{}` was revoked by `{by}`{why}",
                        g.role
                    )
                }
                GrantStatus::Expired => format!(
                    "grant `{id}` of role `{}` expired at {}",
                    g.role,
                    time::format(g.expires_at)
                ),
                _ => fallback,
            }),
            _ => Some(fallback),
        }
    }
}
