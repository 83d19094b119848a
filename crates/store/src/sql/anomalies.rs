//! Anomalies: insert and list, newest first.

use wicket_core::{Anomaly, Severity};

use super::{Columns, Conn, Statement, Value, fetch_all_decoded, insert_new};
use crate::StoreError;
use crate::filter::AnomalyFilter;

/// The columns, in the order [`insert`] binds them and [`decode`] reads them.
const COLUMNS: &str = "id, at, rule, severity, subject, request_id, grant_id, summary";

pub(crate) async fn insert<C: Conn>(conn: &mut C, a: &Anomaly) -> Result<(), StoreError> {
    let values = [
        a.id.as_str().into(),
        Value::Time(a.at),
        a.rule.as_str().into(),
        a.severity.as_str().into(),
        a.subject.as_str().into(),
        a.request_id.as_deref().into(),
        a.grant_id.as_deref().into(),
        a.summary.as_str().into(),
    ];
    insert_new(conn, "anomalies", COLUMNS, values, "anomaly", &a.id).await
}

/// Anomalies matching `f` (severity exactly, `since` inclusive), newest first.
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    f: &AnomalyFilter,
) -> Result<Vec<Anomaly>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "anomalies WHERE true");
    st.and_if(" AND severity = ", f.severity.map(Severity::as_str))
        .and_if(" AND subject = ", f.subject.as_deref())
        .and_if(" AND grant_id = ", f.grant_id.as_deref())
        .and_if(" AND at >= ", f.since)
        .newest_first("at", f.limit);
    fetch_all_decoded(conn, &st, decode).await
}

/// An anomaly from a row selected as [`COLUMNS`].
fn decode(row: &impl Columns) -> Result<Anomaly, StoreError> {
    let id = row.text(0)?;
    let severity = Severity::parse(&row.text(3)?)
        .map_err(|e| StoreError::Corrupt(format!("anomaly `{id}`: {e}")))?;
    Ok(Anomaly {
        at: row.time(1)?,
        rule: row.text(2)?,
        severity,
        subject: row.text(4)?,
        request_id: row.opt_text(5)?,
        grant_id: row.opt_text(6)?,
        summary: row.text(7)?,
        id,
    })
}
