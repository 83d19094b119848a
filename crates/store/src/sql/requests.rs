//! Requests: insert, the versioned update, reads with their reviews, the overdue ones a sweep
//! expires, and the count in each state.

mod reviews;

use wicket_core::{Duration, Request, RequestState, Time};

use super::columns::step;
use super::{
    Columns, Conn, Statement, Value, change_one, fetch_all_decoded, fetch_optional_decoded,
    insert_new,
};
use crate::StoreError;
use crate::filter::RequestFilter;

pub(crate) use reviews::insert as insert_review;

/// Every column but `id`, in the order [`fields`] gives their values and [`decode`] reads them
/// (after `id`): [`FIELDS`], as a literal for [`COLUMNS`] to be written from.
macro_rules! fields_literal {
    () => {
        "requester, roles, policy, reason, ticket, duration_secs, start_at, break_glass, \
         action, resource, state, step, created_at, pending_until, decided_at, version, \
         extends_grant"
    };
}

/// Every column but `id`, in the order [`fields`] gives their values.
const FIELDS: &str = fields_literal!();

/// What a request is selected as: `id`, then [`FIELDS`].
const COLUMNS: &str = concat!("id, ", fields_literal!());

/// The values of [`FIELDS`] for `r`.
fn fields(r: &Request) -> [Value<'_>; 17] {
    [
        r.requester.as_str().into(),
        Value::List(r.roles.iter().map(String::as_str).collect()),
        r.policy.as_str().into(),
        r.reason.as_deref().into(),
        r.ticket.as_deref().into(),
        r.duration.as_secs().into(),
        r.start_at.into(),
        r.break_glass.into(),
        r.action.as_deref().into(),
        r.resource.as_deref().into(),
        r.state.as_str().into(),
        i64::from(r.step).into(),
        r.created_at.into(),
        r.pending_until.into(),
        r.decided_at.into(),
        r.version.into(),
        r.extends.as_deref().into(),
    ]
}

/// Inserts a new request (its reviews are written separately).
pub(crate) async fn insert<C: Conn>(conn: &mut C, r: &Request) -> Result<(), StoreError> {
    let values = std::iter::once(r.id.as_str().into()).chain(fields(r));
    insert_new(conn, "requests", COLUMNS, values, "request", &r.id).await
}

/// Writes `r` over the stored request only if that is still at `expected_version`.
///
/// In PostgreSQL, of two transactions updating one version, the second waits for the first's
/// row lock and then, READ COMMITTED, re-checks its condition on the row the first committed:
/// it no longer holds, nothing is updated, and the loser gets a conflict. In SQLite writers
/// take turns, and the second finds the new version.
pub(crate) async fn update<C: Conn>(
    conn: &mut C,
    r: &Request,
    expected_version: i64,
) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, "UPDATE requests SET ");
    for (i, (column, value)) in FIELDS.split(", ").zip(fields(r)).enumerate() {
        if i > 0 {
            st.push(", ");
        }
        st.push(column).push(" = ").bind(value);
    }
    st.push(" WHERE id = ")
        .bind(r.id.as_str())
        .push(" AND version = ")
        .bind(expected_version);
    change_one(conn, &st, || {
        format!("request `{}` changed meanwhile", r.id)
    })
    .await
}

/// One request with its reviews (the caller runs both reads in one transaction, so that they
/// see one snapshot).
pub(crate) async fn get<C: Conn>(conn: &mut C, id: &str) -> Result<Option<Request>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "requests WHERE id = ");
    st.bind(id);
    let Some(mut request) = fetch_optional_decoded(&mut *conn, &st, decode).await? else {
        return Ok(None);
    };
    request.reviews = reviews::of(conn, &request.id).await?;
    Ok(Some(request))
}

/// Requests matching `f`, newest first, with their reviews.
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    f: &RequestFilter,
) -> Result<Vec<Request>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "requests WHERE true");
    st.and_if(" AND state = ", f.state.map(RequestState::as_str))
        .and_if(" AND requester = ", f.requester.as_deref())
        .newest_first("created_at", f.limit);
    with_reviews(conn, &st).await
}

/// Up to `limit` pending requests whose `pending_until` is at or before `now`, the longest
/// overdue first, claimed for the caller's write transaction (see [`Dialect::claim`]).
///
/// [`Dialect::claim`]: super::Dialect::claim
pub(crate) async fn due<C: Conn>(
    conn: &mut C,
    now: Time,
    limit: i64,
) -> Result<Vec<Request>, StoreError> {
    let mut st = Statement::select(
        C::DIALECT,
        COLUMNS,
        "requests WHERE state = 'pending' AND pending_until <= ",
    );
    st.bind(now)
        .push(" ORDER BY pending_until, ")
        .push(C::DIALECT.insertion_order())
        .push(" LIMIT ")
        .bind(limit)
        .push(C::DIALECT.claim());
    with_reviews(conn, &st).await
}

/// How many requests are in each state, as `(state, count)`; states with none left out.
pub(crate) async fn count<C: Conn>(conn: &mut C) -> Result<Vec<(String, i64)>, StoreError> {
    let st = Statement::new(
        C::DIALECT,
        "SELECT state, COUNT(*) FROM requests GROUP BY state",
    );
    fetch_all_decoded(conn, &st, |r| Ok((r.text(0)?, r.int(1)?))).await
}

/// The requests `st` selects, each with its reviews.
async fn with_reviews<C: Conn>(
    conn: &mut C,
    st: &Statement<'_>,
) -> Result<Vec<Request>, StoreError> {
    let mut requests = fetch_all_decoded(&mut *conn, st, decode).await?;
    reviews::attach(conn, &mut requests).await?;
    Ok(requests)
}

/// A request from a row selected as [`COLUMNS`], without its reviews.
fn decode(row: &impl Columns) -> Result<Request, StoreError> {
    let id = row.text(0)?;
    let corrupt = |what: String| StoreError::Corrupt(format!("request `{id}`: {what}"));
    let roles = row.list(2).map_err(|e| match e {
        StoreError::Corrupt(what) => corrupt(format!("roles are {what}")),
        e => e,
    })?;
    let secs = row.int(6)?;
    let duration = Duration::from_secs(secs)
        .ok_or_else(|| corrupt(format!("duration of {secs} seconds is out of range")))?;
    let state = RequestState::parse(&row.text(11)?).map_err(|e| corrupt(e.message))?;
    Ok(Request {
        requester: row.text(1)?,
        roles,
        policy: row.text(3)?,
        reason: row.opt_text(4)?,
        ticket: row.opt_text(5)?,
        duration,
        start_at: row.opt_time(7)?,
        break_glass: row.flag(8)?,
        action: row.opt_text(9)?,
        resource: row.opt_text(10)?,
        state,
        step: step(row.int(12)?, || format!("request `{id}`"))?,
        created_at: row.time(13)?,
        pending_until: row.time(14)?,
        decided_at: row.opt_time(15)?,
        reviews: Vec::new(),
        version: row.int(16)?,
        extends: row.opt_text(17)?,
        id,
    })
}
