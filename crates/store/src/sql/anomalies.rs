//! Anomalies: insert and list, newest first.

use wicket_core::{Anomaly, Severity};

use super::{Columns, Conn, Statement, Value, insert_row};
use crate::StoreError;
use crate::filter::{self, AnomalyFilter};

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
    insert_row(conn, "anomalies", COLUMNS, values, || {
        format!("anomaly `{}` already exists", a.id)
    })
    .await
}

/// Anomalies matching `f` (severity exactly, `since` inclusive), newest first.
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    f: &AnomalyFilter,
) -> Result<Vec<Anomaly>, StoreError> {
    let mut st = Statement::new(
        C::DIALECT,
        format!("SELECT {COLUMNS} FROM anomalies WHERE true"),
    );
    if let Some(severity) = f.severity {
        st.push(" AND severity = ").bind(severity.as_str());
    }
    if let Some(subject) = &f.subject {
        st.push(" AND subject = ").bind(subject.as_str());
    }
    if let Some(grant_id) = &f.grant_id {
        st.push(" AND grant_id = ").bind(grant_id.as_str());
    }
    if let Some(since) = f.since {
        st.push(" AND at >= ").bind(since);
    }
    st.push(" ORDER BY at DESC, ")
        .push(C::DIALECT.insertion_order())
        .push(" DESC LIMIT ")
        .bind(filter::limit(f.limit));
    let rows = conn.fetch_all(&st).await?;
    rows.iter().map(decode).collect()
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
