//! Whether a session may go on: `ssh:login` on `RESOURCE/LOGIN` is decided again on every
//! tick, and when it no longer holds the reason names the grant (expired, or revoked by whom
//! and why).

use wicket_core::{GrantStatus, time};
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
    let at = now();
    let d = s.app.decide(&who.user, &login, &resource, at);
    if d.allowed {
        *grant = d.via.and_then(|v| v.grant_id);
        return None;
    }
    let fallback = format!(
        "`ssh:login` on `{resource}` is no longer allowed: {}",
        d.reason
    );
    let Some(id) = grant.as_ref() else {
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
