//! Whether a session may go on: `db:connect` on its target is decided again, and when it no
//! longer holds, the reason is named: the grant that expired, or who revoked it and why.

use wicket_core::Action;
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
        let decided = wicket_engine::access::still_allowed(
            &s.app,
            &s.user,
            connect,
            &s.target.config.resource,
            self.grant.as_deref(),
            now(),
        )
        .await;
        match decided {
            Ok(grant) => {
                self.grant = grant;
                None
            }
            Err(why) => Some(why),
        }
    }
}
