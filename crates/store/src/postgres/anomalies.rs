//! Anomalies in PostgreSQL: insert and list, newest first.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use wicket_core::{Anomaly, Severity};

use super::codec::{self, ms};
use crate::StoreError;
use crate::filter::{self, AnomalyFilter};

const COLUMNS: &str = "id, at, rule, severity, subject, request_id, grant_id, summary";

pub(super) async fn insert(conn: &mut PgConnection, a: &Anomaly) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO anomalies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(a.id.as_str())
    .bind(ms(a.at))
    .bind(a.rule.as_str())
    .bind(a.severity.as_str())
    .bind(a.subject.as_str())
    .bind(a.request_id.as_deref())
    .bind(a.grant_id.as_deref())
    .bind(a.summary.as_str())
    .execute(conn)
    .await
    .map_err(|e| codec::conflict_if_unique(e, || format!("anomaly `{}` already exists", a.id)))?;
    Ok(())
}

/// Anomalies matching `f` (severity exactly, `since` inclusive), newest first.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &AnomalyFilter,
) -> Result<Vec<Anomaly>, StoreError> {
    let mut q: QueryBuilder<'_, Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM anomalies WHERE true"));
    if let Some(severity) = f.severity {
        q.push(" AND severity = ").push_bind(severity.as_str());
    }
    if let Some(subject) = &f.subject {
        q.push(" AND subject = ").push_bind(subject.as_str());
    }
    if let Some(grant_id) = &f.grant_id {
        q.push(" AND grant_id = ").push_bind(grant_id.as_str());
    }
    if let Some(since) = f.since {
        q.push(" AND at >= ").push_bind(ms(since));
    }
    q.push(" ORDER BY at DESC, pos DESC LIMIT ")
        .push_bind(filter::limit(f.limit));
    let rows = q.build().fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &PgRow) -> Result<Anomaly, StoreError> {
    let id: String = row.try_get("id")?;
    let severity: String = row.try_get("severity")?;
    let severity = Severity::parse(&severity)
        .map_err(|e| StoreError::Corrupt(format!("anomaly `{id}`: {e}")))?;
    Ok(Anomaly {
        at: row.try_get("at")?,
        rule: row.try_get("rule")?,
        severity,
        subject: row.try_get("subject")?,
        request_id: row.try_get("request_id")?,
        grant_id: row.try_get("grant_id")?,
        summary: row.try_get("summary")?,
        id,
    })
}
