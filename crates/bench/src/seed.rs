//! Filling a store with grants for the scale benchmark, through the `Store` API: one
//! approved request carrying a thousand grants per transaction.

use anyhow::Result;
use wicket_core::workflow::{Changes, NewGrant, RequestWrite};
use wicket_core::{Duration, Grant, Request, RequestState, Time};
use wicket_store::Store;

use crate::workload::Workload;

const PER_COMMIT: usize = 1000;

/// Approved request `id` of `role` by `requester`, decided at `at`: what seeded grants stem from.
pub fn request(id: &str, requester: &str, role: &str, at: Time) -> Request {
    Request {
        id: id.to_string(),
        requester: requester.to_string(),
        roles: vec![role.to_string()],
        policy: "team-0".into(),
        reason: Some("scale benchmark".into()),
        ticket: None,
        duration: Duration::HOUR,
        start_at: None,
        break_glass: false,
        action: None,
        resource: None,
        state: RequestState::Approved,
        step: 0,
        created_at: at,
        pending_until: at,
        decided_at: Some(at),
        extends: None,
        reviews: Vec::new(),
        version: 1,
    }
}

/// Grant `id` of `role` to `user` over `[starts, expires)`, from request `request_id`, its
/// activation already recorded.
pub fn grant(
    id: String,
    user: &str,
    role: &str,
    request_id: &str,
    (starts_at, expires_at): (Time, Time),
) -> NewGrant {
    NewGrant {
        grant: Grant::new(id, user, role, request_id, (starts_at, expires_at)),
        activation_recorded: true,
    }
}

/// Writes `request` and its `grants` in one transaction.
pub async fn commit(store: &dyn Store, request: Request, grants: Vec<NewGrant>) -> Result<()> {
    store
        .commit(Changes {
            request: Some(RequestWrite::Insert(request)),
            grants,
            ..Changes::default()
        })
        .await?;
    Ok(())
}

/// Stores `count` grants of the workload's roles to its users (user `k % users`), each over
/// `[starts_at, expires_at)`, with ids starting `tag`; returns how many were written.
pub async fn grants(
    store: &dyn Store,
    w: &Workload,
    tag: &str,
    count: usize,
    starts_at: Time,
    expires_at: Time,
) -> Result<usize> {
    let roles = w.roles.len().max(1);
    for first in (0..count).step_by(PER_COMMIT) {
        let last = (first + PER_COMMIT).min(count);
        let id = format!("rq-{tag}-{first}");
        let grants = (first..last)
            .map(|k| {
                grant(
                    format!("gr-{tag}-{k}"),
                    &w.users[k % w.users.len()].name,
                    &w.roles[(k * 7) % roles].name,
                    &id,
                    (starts_at, expires_at),
                )
            })
            .collect();
        let req = request(&id, &w.users[0].name, &w.roles[0].name, starts_at);
        commit(store, req, grants).await?;
    }
    Ok(count)
}
