//! The counting detectors: `denied_burst` per subject, `volume_spike` per grant,
//! `frequent_activation` per subject and role.

use super::super::Flag;
use super::super::burst::Bursts;
use super::super::event::Facts;
use super::super::rule::Rule;
use super::{About, flag, grant_flag};
use crate::audit::EventKind;
use crate::duration::Duration;

/// At least `threshold` denials of one subject within `window`.
pub(super) fn denied(
    b: &mut Bursts,
    rule: &Rule,
    f: &Facts<'_>,
    threshold: u32,
    window: Duration,
) -> Option<Flag> {
    if !f.is_denial() || !rule.scope.admits(f) {
        return None;
    }
    let user = f.user?;
    let subject = f.subject();
    let triggers = b.hit(&subject, f.event.at, &f.event.id)?;
    let what = match (&f.event.action, &f.event.resource) {
        (Some(a), Some(r)) => format!("; the last: `{a}` on `{r}`"),
        _ => String::new(),
    };
    Some(flag(
        rule,
        About {
            subject: subject.clone(),
            grant_id: None,
            request_id: None,
            key: subject,
            episode: f.event.id.clone(),
            triggers,
            summary: format!("`{user}` was denied {threshold} times within {window}{what}"),
            at: f.event.at,
        },
    ))
}

/// More than `threshold` uses of one grant within `window`.
pub(super) fn volume(
    b: &mut Bursts,
    rule: &Rule,
    f: &Facts<'_>,
    threshold: u32,
    window: Duration,
) -> Option<Flag> {
    let grant = f.used_grant()?;
    if !rule.scope.admits(f) {
        return None;
    }
    grant_flag(b, rule, f, grant, |role| {
        format!("grant `{grant}`{role} was used more than {threshold} times within {window}")
    })
}

/// One subject activating the same role more than `threshold` times within `window`.
pub(super) fn activations(
    b: &mut Bursts,
    rule: &Rule,
    f: &Facts<'_>,
    threshold: u32,
    window: Duration,
) -> Option<Flag> {
    if f.event.kind != EventKind::GrantActivated || !rule.scope.admits(f) {
        return None;
    }
    let (user, role) = (f.user?, f.role()?);
    let subject = f.subject();
    let key = format!("{subject} {role}");
    let triggers = b.hit(&key, f.event.at, &f.event.id)?;
    Some(flag(
        rule,
        About {
            subject,
            grant_id: f.event.grant_id.clone(),
            request_id: f.request_id(),
            key,
            episode: f.event.id.clone(),
            triggers,
            summary: format!(
                "`{user}` activated role `{role}` more than {threshold} times within {window}"
            ),
            at: f.event.at,
        },
    ))
}
