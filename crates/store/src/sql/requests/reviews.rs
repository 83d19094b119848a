//! Reviews: one per reviewer per request, read back in the order they were made.

use std::collections::HashMap;

use wicket_core::{Request, Review, Verdict};

use crate::StoreError;
use crate::sql::columns::step;
use crate::sql::{Columns, Conn, Statement, Value, fetch_all_decoded, insert_row};

/// The columns, in the order [`insert`] binds them and [`decode`] reads them.
const COLUMNS: &str = "request_id, reviewer, step, decision, comment, at";

/// Inserts a review; a second one by the same reviewer on the same request is a conflict.
pub(crate) async fn insert<C: Conn>(conn: &mut C, r: &Review) -> Result<(), StoreError> {
    let values = [
        r.request_id.as_str().into(),
        r.reviewer.as_str().into(),
        i64::from(r.step).into(),
        r.decision.as_str().into(),
        r.comment.as_deref().into(),
        Value::Time(r.at),
    ];
    insert_row(conn, "reviews", COLUMNS, values, || {
        format!("`{}` already reviewed this request", r.reviewer)
    })
    .await
}

/// The reviews of one request, by time, then in the order they were written.
pub(super) async fn of<C: Conn>(conn: &mut C, request_id: &str) -> Result<Vec<Review>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "reviews WHERE request_id = ");
    st.bind(request_id)
        .push(" ORDER BY at, ")
        .push(C::DIALECT.insertion_order());
    fetch_all_decoded(conn, &st, decode).await
}

/// Fills in the reviews of every request in `requests` with one query.
pub(super) async fn attach<C: Conn>(
    conn: &mut C,
    requests: &mut [Request],
) -> Result<(), StoreError> {
    if requests.is_empty() {
        return Ok(());
    }
    let mut st = Statement::select(C::DIALECT, COLUMNS, "reviews WHERE ");
    st.any_of(
        "request_id",
        requests.iter().map(|r| r.id.as_str()).collect(),
    )
    .push(" ORDER BY at, ")
    .push(C::DIALECT.insertion_order());
    let rows = conn.fetch_all(&st).await?;
    let mut by_request: HashMap<String, Vec<Review>> = HashMap::new();
    for row in &rows {
        let review = decode(row)?;
        by_request
            .entry(review.request_id.clone())
            .or_default()
            .push(review);
    }
    for r in requests.iter_mut() {
        r.reviews = by_request.remove(&r.id).unwrap_or_default();
    }
    Ok(())
}

/// A review from a row selected as [`COLUMNS`].
fn decode(row: &impl Columns) -> Result<Review, StoreError> {
    let request_id = row.text(0)?;
    let reviewer = row.text(1)?;
    let what = || format!("review by `{reviewer}` of request `{request_id}`");
    let decision = Verdict::parse(&row.text(3)?)
        .map_err(|e| StoreError::Corrupt(format!("{}: {e}", what())))?;
    Ok(Review {
        step: step(row.int(2)?, what)?,
        decision,
        comment: row.opt_text(4)?,
        at: row.time(5)?,
        request_id,
        reviewer,
    })
}
