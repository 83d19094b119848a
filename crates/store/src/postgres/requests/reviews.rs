//! Reviews in PostgreSQL: one per reviewer per request, read back in the order they were made.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use wicket_core::{Request, Review, Verdict};

use crate::StoreError;
use crate::postgres::codec;

const COLUMNS: &str = "request_id, reviewer, step, decision, comment, at";

/// Inserts a review; a second one by the same reviewer on the same request is a conflict.
pub(in crate::postgres) async fn insert(
    conn: &mut PgConnection,
    r: &Review,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO reviews ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(r.request_id.as_str())
    .bind(r.reviewer.as_str())
    .bind(i64::from(r.step))
    .bind(r.decision.as_str())
    .bind(r.comment.as_deref())
    .bind(codec::ms(r.at))
    .execute(conn)
    .await
    .map_err(|e| {
        codec::conflict_if_unique(e, || {
            format!("`{}` already reviewed this request", r.reviewer)
        })
    })?;
    Ok(())
}

/// The reviews of one request, by time, then in the order they were written.
pub(super) async fn of(
    conn: &mut PgConnection,
    request_id: &str,
) -> Result<Vec<Review>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM reviews WHERE request_id = $1 ORDER BY at, pos"
    ))
    .bind(request_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Fills in the reviews of every request in `requests` with one query.
pub(super) async fn attach(
    conn: &mut PgConnection,
    requests: &mut [Request],
) -> Result<(), StoreError> {
    if requests.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = requests.iter().map(|r| r.id.as_str()).collect();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM reviews WHERE request_id = ANY($1) ORDER BY at, pos"
    ))
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut by_request: HashMap<String, Vec<Review>> = HashMap::new();
    for row in &rows {
        let review = from_row(row)?;
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

fn from_row(row: &PgRow) -> Result<Review, StoreError> {
    let request_id: String = row.try_get("request_id")?;
    let reviewer: String = row.try_get("reviewer")?;
    let what = format!("review by `{reviewer}` of request `{request_id}`");
    let decision: String = row.try_get("decision")?;
    let decision =
        Verdict::parse(&decision).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    Ok(Review {
        step: codec::step(row, &what)?,
        decision,
        comment: row.try_get("comment")?,
        at: row.try_get("at")?,
        request_id,
        reviewer,
    })
}
