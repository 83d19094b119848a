//! Bringing one user's role in one target in line with their live grants, in one transaction
//! under the target's advisory lock (so two replicas never apply the same change twice):
//! create the role (marked as wicket's) or check the mark before any `ALTER`, open or close
//! the login and its `VALID UNTIL`, `GRANT` what is missing and `REVOKE` what no live grant
//! needs, then read the privileges again so that only what really changed is recorded.
//! When the login closes (or `CONNECT` goes), the role's sessions are terminated.

use std::collections::BTreeSet;
use std::time::Instant;

use sqlx::PgConnection;
use wicket_core::audit::EventKind;
use wicket_core::{NewEvent, Severity, time};
use wicket_store::GrantFilter;

use super::inspect::{self, RoleState};
use super::mapping::{self, Catalog, Desired};
use super::privilege::{Privilege, ident, literal};
use super::report;
use super::target::Target;
use crate::app::{App, now};

/// Grants of one user read to explain what is revoked (newest first).
const HISTORY: i64 = 1000;

/// Why a user's role could not be brought in line.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "role `{role}` exists in the database and was not created by wicket (it lacks wicket's \
         mark), so wicket leaves it alone; rename or drop it, or change `role_template`"
    )]
    NotOurs { role: String },
    #[error("{0}")]
    Name(String),
    #[error("the grants could not be read: {0}")]
    Store(#[from] wicket_store::StoreError),
    #[error("{0}")]
    Database(#[from] sqlx::Error),
}

/// What one apply did.
#[derive(Debug, Default)]
pub struct Applied {
    pub role: String,
    pub desired: Desired,
    /// The login was opened (role created, or `LOGIN` set again).
    pub opened: bool,
    /// The login was closed (`NOLOGIN`).
    pub closed: bool,
    /// Sessions terminated afterwards.
    pub terminated: i64,
    /// Statements run, in order.
    pub sql: Vec<String>,
    /// What to record: the caller commits these (in batches when reconciling many users).
    pub events: Vec<NewEvent>,
    pub anomalies: Vec<wicket_core::Anomaly>,
}

/// Brings `user`'s role in `target` in line with their grants live at `now`.
pub async fn apply(
    app: &App,
    target: &Target,
    catalog: &Catalog,
    user: &str,
) -> Result<Applied, ApplyError> {
    let started = Instant::now();
    let grants = app
        .store
        .list_grants(&GrantFilter {
            user: Some(user.to_string()),
            limit: Some(HISTORY),
            ..GrantFilter::default()
        })
        .await?;
    let at = now();
    let desired = mapping::desired(&app.config, &target.config, user, &grants, catalog, at);
    let role = target
        .config
        .role_template
        .role(user)
        .map_err(ApplyError::Name)?;
    let mut tx = target.pool.begin().await?;
    // INVARIANT: one change to a target at a time, across replicas. Concurrent GRANTs on one
    // object fail with `tuple concurrently updated`, and a change applied twice is recorded twice.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(target.apply_key())
        .execute(&mut *tx)
        .await?;
    let state = inspect::role(&mut tx, &role).await?;
    let mut out = Applied {
        role: role.clone(),
        desired,
        ..Applied::default()
    };
    let wanted = !out.desired.privileges.is_empty();
    let valid_until = out
        .desired
        .valid_until
        .map_or_else(|| time::format(at), time::format);
    let mut events: Vec<NewEvent> = Vec::new();
    let mut anomalies = Vec::new();
    let actual = match &state {
        None if !wanted => return Ok(out),
        Some(s) if s.comment.as_deref() != Some(target.mark.as_str()) => {
            if wanted {
                return Err(ApplyError::NotOurs { role });
            }
            return Ok(out);
        }
        None => {
            run(
                &mut tx,
                &mut out.sql,
                format!(
                    "CREATE ROLE {} LOGIN NOINHERIT VALID UNTIL {}",
                    ident(&role),
                    literal(&valid_until)
                ),
            )
            .await?;
            run(
                &mut tx,
                &mut out.sql,
                format!(
                    "COMMENT ON ROLE {} IS {}",
                    ident(&role),
                    literal(&target.mark)
                ),
            )
            .await?;
            out.opened = true;
            BTreeSet::new()
        }
        Some(s) => {
            let until_ms = out.desired.valid_until.map(|t| t.timestamp_millis());
            if wanted && (!s.can_login || s.valid_until_ms != until_ms) {
                ensure_marked(&mut tx, &role, &target.mark).await?;
                run(
                    &mut tx,
                    &mut out.sql,
                    format!(
                        "ALTER ROLE {} LOGIN VALID UNTIL {}",
                        ident(&role),
                        literal(&valid_until)
                    ),
                )
                .await?;
                out.opened = !s.can_login;
            } else if !wanted && s.can_login {
                ensure_marked(&mut tx, &role, &target.mark).await?;
                run(
                    &mut tx,
                    &mut out.sql,
                    format!(
                        "ALTER ROLE {} NOLOGIN PASSWORD NULL VALID UNTIL {}",
                        ident(&role),
                        literal(&valid_until)
                    ),
                )
                .await?;
                out.closed = true;
            }
            inspect::privileges(&mut tx, &role).await?
        }
    };
    let database = &target.config.admin.database;
    let to_grant: Vec<Privilege> = out
        .desired
        .privileges
        .difference(&actual)
        .cloned()
        .collect();
    let to_revoke: Vec<Privilege> = actual
        .difference(&out.desired.privileges)
        .cloned()
        .collect();
    let mut granted_sql = Vec::new();
    for p in &to_grant {
        if let Some(sql) = p.grant_sql(&role, database) {
            run(&mut tx, &mut granted_sql, sql).await?;
        }
    }
    let mut revoked_sql = Vec::new();
    for p in &to_revoke {
        if let Some(sql) = p.revoke_sql(&role, database) {
            run(&mut tx, &mut revoked_sql, sql).await?;
        }
    }
    // INVARIANT: only what the catalog shows changed is recorded as changed.
    let after = if to_grant.is_empty() && to_revoke.is_empty() {
        actual.clone()
    } else {
        inspect::privileges(&mut tx, &role).await?
    };
    tx.commit().await?;
    let removed: Vec<&Privilege> = to_revoke.iter().filter(|p| !after.contains(p)).collect();
    let stuck: Vec<&Privilege> = to_revoke.iter().filter(|p| after.contains(p)).collect();
    let added: Vec<&Privilege> = to_grant.iter().filter(|p| after.contains(p)).collect();
    let missing: Vec<&Privilege> = to_grant.iter().filter(|p| !after.contains(p)).collect();
    let lost_connect = removed
        .iter()
        .any(|p| **p == Privilege::Database("CONNECT".into()));
    if out.closed || lost_connect {
        out.terminated = terminate(target, &role).await?;
    }

    // What ended grants of this user would have held here explains a revocation; anything
    // else found and not wanted was granted by hand.
    let explained: BTreeSet<Privilege> = grants
        .iter()
        .filter(|g| !out.desired.grants.contains(&g.id))
        .flat_map(|g| mapping::of_role(&app.config, &target.config, user, &g.role, catalog))
        .collect();
    let (revoked, drift): (Vec<&Privilege>, Vec<&Privilege>) =
        removed.iter().partition(|p| explained.contains(**p));
    {
        let name = &target.config.name;
        let list = |ps: &[&Privilege]| ps.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        // An event of `kind` about `ps`, the privileges of `role` it reports.
        let reported = |kind, ps: &[&Privilege]| {
            report::event(kind, name, Some(user))
                .detail("role", role.clone())
                .detail("privileges", list(ps))
        };
        let sql_for = |ps: &[&Privilege], grant: bool| {
            ps.iter()
                .filter_map(|p| {
                    if grant {
                        p.grant_sql(&role, database)
                    } else {
                        p.revoke_sql(&role, database)
                    }
                })
                .collect::<Vec<_>>()
        };
        if out.opened || !added.is_empty() || (wanted && !out.sql.is_empty()) {
            let mut sql = out.sql.clone();
            sql.extend(sql_for(&added, true));
            events.push(
                reported(EventKind::ProvisionGranted, &added)
                    .detail("valid_until", valid_until.clone())
                    .detail("grants", out.desired.grants.clone())
                    .detail("sql", sql)
                    .build(),
            );
        }
        if out.closed || !revoked.is_empty() {
            let mut sql = if out.closed {
                out.sql.clone()
            } else {
                Vec::new()
            };
            sql.extend(sql_for(&revoked, false));
            events.push(
                reported(EventKind::ProvisionRevoked, &revoked)
                    .detail("login", if out.closed { "closed" } else { "open" })
                    .detail("sessions_ended", out.terminated)
                    .detail("sql", sql)
                    .build(),
            );
        }
        if !drift.is_empty() {
            events.push(
                reported(EventKind::ProvisionDrift, &drift)
                    .detail("repaired", true)
                    .detail("sql", sql_for(&drift, false))
                    .build(),
            );
        }
        if !stuck.is_empty() {
            let what = list(&stuck).join(", ");
            events.push(
                reported(EventKind::ProvisionDrift, &stuck)
                    .detail("repaired", false)
                    .detail("sql", sql_for(&stuck, false))
                    .detail(
                        "reason",
                        "REVOKE removed nothing: the privilege was granted by another role (the \
                         object's owner); make the admin a member of the owning role",
                    )
                    .build(),
            );
            if target.first_report(&format!("stuck:{role}:{what}")) {
                let (a, e) = report::anomaly(
                    name,
                    Some(user),
                    Severity::High,
                    format!(
                        "role `{role}` holds {what}, which no live grant explains, and wicket could not revoke it"
                    ),
                );
                anomalies.push(a);
                events.push(e);
            }
        }
        if !missing.is_empty() {
            let what = list(&missing).join(", ");
            events.push(
                reported(EventKind::ProvisionFailed, &missing)
                    .detail(
                        "reason",
                        "GRANT granted nothing: the admin needs the owning role or the privilege WITH GRANT OPTION",
                    )
                    .build(),
            );
            if target.first_report(&format!("missing:{role}:{what}")) {
                let (a, e) = report::anomaly(
                    name,
                    Some(user),
                    Severity::Medium,
                    format!("wicket could not grant {what} to role `{role}`"),
                );
                anomalies.push(a);
                events.push(e);
            }
        }
    }
    if !events.is_empty() {
        app.metrics.provision_latency(started.elapsed());
    }
    out.events = events;
    out.anomalies = anomalies;
    out.sql.extend(granted_sql);
    out.sql.extend(revoked_sql);
    Ok(out)
}

/// [`apply`], its events committed at once.
pub async fn apply_and_record(
    app: &App,
    target: &Target,
    catalog: &Catalog,
    user: &str,
) -> Result<Applied, ApplyError> {
    let mut applied = apply(app, target, catalog, user).await?;
    let events = std::mem::take(&mut applied.events);
    let anomalies = std::mem::take(&mut applied.anomalies);
    report::record(app, events, anomalies).await;
    Ok(applied)
}

/// Runs one statement and remembers it.
async fn run(
    conn: &mut PgConnection,
    log: &mut Vec<String>,
    sql: String,
) -> Result<(), sqlx::Error> {
    sqlx::query(&sql)
        .persistent(false)
        .execute(&mut *conn)
        .await?;
    log.push(sql);
    Ok(())
}

/// Fails unless `role` still carries wicket's mark: checked right before every `ALTER ROLE`.
pub async fn ensure_marked(
    conn: &mut PgConnection,
    role: &str,
    mark: &str,
) -> Result<(), ApplyError> {
    match inspect::role(conn, role).await? {
        Some(RoleState { comment, .. }) if comment.as_deref() == Some(mark) => Ok(()),
        _ => Err(ApplyError::NotOurs {
            role: role.to_string(),
        }),
    }
}

/// Ends every session of `role`; returns how many were signalled.
pub async fn terminate(target: &Target, role: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE usename = $1",
    )
    .bind(role)
    .fetch_one(&target.pool)
    .await
}
