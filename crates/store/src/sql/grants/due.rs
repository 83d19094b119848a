//! The grants a sweep records: those whose start or end came and was not recorded yet.

use wicket_core::workflow::Moment;
use wicket_core::{Grant, Time};

use super::{COLUMNS, decode};
use crate::StoreError;
use crate::sql::{Conn, Statement, fetch_all_decoded};

/// Grants marked per statement by [`mark`]: in SQLite one placeholder each, well under its
/// limit of 32,766 (PostgreSQL binds them as one array). A sweep's batch is one statement.
const MARK_CHUNK: usize = 10_000;

/// What a sweep looks for, and the flag it sets once recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Due {
    /// Started, activation not recorded, and not revoked before it started.
    Activation,
    /// Ended, not revoked, expiry not recorded.
    Expiry,
}

impl Due {
    /// The moment of the grant's life it records.
    pub(crate) fn moment(self) -> Moment {
        match self {
            Due::Activation => Moment::Activation,
            Due::Expiry => Moment::Expiry,
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Due::Activation => "activation_recorded",
            Due::Expiry => "expiry_recorded",
        }
    }
}

/// Up to `limit` grants whose `due` moment is at or before `now` and not yet recorded, the
/// longest overdue first, claimed for the caller's write transaction (see
/// [`Dialect::claim`](crate::sql::Dialect::claim)). In PostgreSQL a row another sweeper
/// committed meanwhile is re-checked (READ COMMITTED) and dropped, its flag being set.
pub(crate) async fn due<C: Conn>(
    conn: &mut C,
    due: Due,
    now: Time,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let unset = C::DIALECT.unset(due.flag());
    let mut st = Statement::new(
        C::DIALECT,
        format!("SELECT {COLUMNS} FROM grants WHERE {unset}"),
    );
    // The conditions and orders the sweep indexes serve.
    match due {
        Due::Activation => st
            .push(" AND starts_at <= ")
            .bind(now)
            .push(" AND (revoked_at IS NULL OR revoked_at > starts_at) ORDER BY starts_at, "),
        Due::Expiry => st
            .push(" AND revoked_at IS NULL AND expires_at <= ")
            .bind(now)
            .push(" ORDER BY expires_at, "),
    };
    st.push(C::DIALECT.insertion_order())
        .push(" LIMIT ")
        .bind(limit)
        .push(C::DIALECT.claim());
    fetch_all_decoded(conn, &st, decode).await
}

/// Marks `due` as recorded for the grants `ids`.
pub(crate) async fn mark<C: Conn>(conn: &mut C, due: Due, ids: &[&str]) -> Result<(), StoreError> {
    for chunk in ids.chunks(MARK_CHUNK) {
        let mut st = Statement::new(
            C::DIALECT,
            format!(
                "UPDATE grants SET {} = {} WHERE ",
                due.flag(),
                C::DIALECT.true_literal()
            ),
        );
        st.any_of("id", chunk.to_vec());
        conn.execute(&st).await?;
    }
    Ok(())
}
