//! The reconciler of one target. One replica at a time holds the target's advisory lock (on a
//! connection of its own) and does the work: a full reconcile when it takes the lock and every
//! `reconcile_every` (every user with a live grant reaching the target, and every role carrying
//! wicket's mark: drift repaired both ways, tables re-expanded, grants that ended while wicket
//! was down removed), and between those, the users whose grants were activated, expired or
//! revoked, read from the audit tail as they are committed (within a second). A target that
//! cannot be reached is retried with backoff and reported once; nothing here blocks a
//! decision or another target.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use sqlx::PgConnection;
use tokio::sync::watch;
use wicket_core::audit::EventKind;

use super::apply::{self, ApplyError};
use super::inspect;
use super::mapping::{self, Catalog};
use super::report;
use super::target::{Target, unreachable};
use crate::app::{App, now};

/// Users brought in line at once (the admin pool holds as many connections).
pub const PARALLEL: usize = 4;
/// Events committed together when many users change at once.
const RECORD_EVERY: usize = 200;
/// How often a replica without the lock tries to take it.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// How often the leader checks that its lock connection is alive.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// The first and the longest wait before retrying an unreachable target.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// The problem key of an unreachable target.
const UNREACHABLE: &str = "unreachable";

/// Why the leader stepped down.
enum Lost {
    Stop,
    Unreachable(sqlx::Error),
}

/// Runs the target's reconciler until `stop` turns true.
pub async fn run(app: App, target: Arc<Target>, mut stop: watch::Receiver<bool>) {
    let mut backoff = BACKOFF_MIN;
    loop {
        if *stop.borrow() {
            return;
        }
        let wait = match lead(&app, &target, &mut stop).await {
            Ok(Some(Lost::Stop)) => return,
            // Another replica leads; try again soon.
            Ok(None) => FOLLOW_EVERY,
            Ok(Some(Lost::Unreachable(e))) | Err(e) => {
                report::failure(
                    &app,
                    &target,
                    None,
                    UNREACHABLE,
                    format!(
                        "cannot reach `{}` as `{}`: {e}; retrying with backoff",
                        target.config.admin.address(),
                        target.config.admin.user
                    ),
                )
                .await;
                let wait = backoff;
                backoff = (backoff * 2).min(BACKOFF_MAX);
                wait
            }
        };
        if wait == FOLLOW_EVERY {
            backoff = BACKOFF_MIN;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Takes the lock (or returns `None` when another replica holds it) and reconciles until the
/// lock connection fails or `stop` turns true.
async fn lead(
    app: &App,
    target: &Target,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<Lost>, sqlx::Error> {
    let mut lock = target.connect().await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(target.leader_key())
        .fetch_one(&mut lock)
        .await?;
    target.clear(UNREACHABLE);
    if !got {
        return Ok(None);
    }
    if let Some(problem) = inspect::admin_problem(&mut lock).await? {
        report::failure(app, target, None, "admin", problem).await;
        // Nothing can be done until the admin is fixed; hold the lock and look again later.
        return wait_or_stop(stop, BACKOFF_MAX).await;
    }
    target.clear("admin");
    tracing::info!(target = %target.config.name, "reconciling provisioned roles");
    let mut reader = loop {
        match app.tail.reader_at_head(app.store.clone()).await {
            Ok(r) => break r,
            Err(e) => {
                tracing::warn!(error = %e, "provisioning cannot read the audit log yet");
                if let Some(lost) = wait_or_stop(stop, BACKOFF_MIN).await? {
                    return Ok(Some(lost));
                }
            }
        }
    };
    if let Err(e) = reconcile_all(app, target).await {
        return Ok(Some(Lost::Unreachable(e)));
    }
    let every = Duration::from_secs(target.config.reconcile_every.as_secs().unsigned_abs());
    let mut reconcile = crate::ticker::every_from(tokio::time::Instant::now() + every, every);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            page = reader.next() => match page {
                Ok(events) => {
                    let users: BTreeSet<String> = events
                        .iter()
                        .filter(|e| matches!(
                            e.event_kind(),
                            Some(EventKind::GrantActivated | EventKind::GrantExpired | EventKind::GrantRevoked | EventKind::GrantExtended)
                        ))
                        .filter(|e| e.grant_id.is_some())
                        .filter_map(|e| e.subject.as_deref()?.strip_prefix("user:").map(str::to_string))
                        .collect();
                    if !users.is_empty()
                        && let Err(e) = apply_users(app, target, users).await
                    {
                        return Ok(Some(Lost::Unreachable(e)));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "provisioning could not read the audit log");
                    tokio::time::sleep(BACKOFF_MIN).await;
                }
            },
            _ = reconcile.tick() => {
                if let Err(e) = reconcile_all(app, target).await {
                    return Ok(Some(Lost::Unreachable(e)));
                }
            }
            _ = heartbeat.tick() => {
                if let Err(e) = sqlx::query("SELECT 1").execute(&mut lock).await {
                    return Ok(Some(Lost::Unreachable(e)));
                }
            }
            _ = stop.changed() => {
                close(lock).await;
                return Ok(Some(Lost::Stop));
            }
        }
    }
}

async fn wait_or_stop(
    stop: &mut watch::Receiver<bool>,
    wait: Duration,
) -> Result<Option<Lost>, sqlx::Error> {
    tokio::select! {
        _ = tokio::time::sleep(wait) => Ok(None),
        _ = stop.changed() => Ok(Some(Lost::Stop)),
    }
}

async fn close(conn: PgConnection) {
    use sqlx::Connection;
    let _ = conn.close().await;
}

/// Every user with a live grant reaching the target, and every role wicket marked there.
pub async fn reconcile_all(app: &App, target: &Target) -> Result<(), sqlx::Error> {
    let mut users = BTreeSet::new();
    let at = now();
    let reaching: BTreeSet<String> = app
        .config
        .roles
        .iter()
        .filter(|r| mapping::role_reaches(r, &target.config))
        .map(|r| r.name.clone())
        .collect();
    if !reaching.is_empty() {
        let result = app
            .store
            .live_grants_by_page(at, &mut |page| {
                for g in page {
                    if g.starts_at <= at && reaching.contains(&g.role) {
                        users.insert(g.user.clone());
                    }
                }
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "provisioning could not read the live grants");
        }
    }
    let mut conn = target.pool.acquire().await?;
    for role in inspect::marked_roles(&mut conn, &target.mark).await? {
        if let Some(user) = target.config.role_template.user(&role) {
            users.insert(user.to_string());
        }
    }
    drop(conn);
    apply_users(app, target, users).await
}

/// Applies each of `users`; returns an error only when the target cannot be reached.
pub async fn apply_users(
    app: &App,
    target: &Target,
    users: BTreeSet<String>,
) -> Result<(), sqlx::Error> {
    let catalog: Catalog = {
        let mut conn = target.pool.acquire().await?;
        inspect::catalog(&mut conn).await?
    };
    let catalog = &catalog;
    let mut results = futures_util::stream::iter(users)
        .map(|user| async move {
            let result = apply::apply(app, target, catalog, &user).await;
            (user, result)
        })
        .buffer_unordered(PARALLEL);
    let (mut events, mut anomalies) = (Vec::new(), Vec::new());
    let mut lost = None;
    while let Some((user, result)) = results.next().await {
        match result {
            Ok(mut applied) => {
                target.clear(&format!("user:{user}"));
                events.append(&mut applied.events);
                anomalies.append(&mut applied.anomalies);
                if events.len() >= RECORD_EVERY {
                    report::record(
                        app,
                        std::mem::take(&mut events),
                        std::mem::take(&mut anomalies),
                    )
                    .await;
                }
            }
            Err(ApplyError::Database(e)) if unreachable(&e) => {
                lost.get_or_insert(e);
            }
            Err(e) => {
                report::failure(
                    app,
                    target,
                    Some(&user),
                    &format!("user:{user}"),
                    e.to_string(),
                )
                .await
            }
        }
    }
    // What was applied is recorded even when the target went away half-way.
    report::record(app, events, anomalies).await;
    lost.map_or(Ok(()), Err)
}
