//! Whether a session may go on: `ssh:login` on `RESOURCE/LOGIN` is decided again on every
//! tick, and when it no longer holds the reason names the grant (expired, or revoked by whom
//! and why).

use wicket_engine::app::now;

use crate::handler::Shared;

/// `None` while the session may go on; otherwise why it must end.
pub async fn check(s: &Shared, grant: &mut Option<String>) -> Option<String> {
    if *s.stop.borrow() {
        return Some("wicket is shutting down".into());
    }
    let who = s.who()?;
    let Ok(login) = wicket_engine::ssh::action(wicket_engine::ssh::LOGIN) else {
        return Some("the gateway cannot check `ssh:login`".into());
    };
    let resource = match wicket_core::Resource::parse(&s.resource(&who.login)) {
        Ok(r) => r,
        Err(e) => return Some(format!("login `{}` is not a resource: {e}", who.login)),
    };
    let decided = wicket_engine::access::still_allowed(
        &s.app,
        &who.user,
        &login,
        &resource,
        grant.as_deref(),
        now(),
    )
    .await;
    match decided {
        Ok(now_by) => {
            *grant = now_by;
            None
        }
        Err(why) => Some(why),
    }
}
