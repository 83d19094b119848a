//! The shared statements on PostgreSQL: [`Conn`] for sqlx's connections, with the chain's
//! advisory lock and conflicts named from the server's error detail.

use sqlx::PgConnection;
use sqlx::postgres::{PgDatabaseError, PgRow};
use wicket_core::AuditEvent;

use super::values::query;
use crate::StoreError;
use crate::sql::{Conn, Dialect, Statement, chain, conflict_if_unique};

/// The transaction-scoped advisory lock that appends take turns on ("wicket" and 2).
const CHAIN_LOCK: i64 = 0x7769_636b_6574_0002;

impl Conn for PgConnection {
    const DIALECT: Dialect = Dialect::Postgres;
    /// 14 parameters each stays well below PostgreSQL's 65,535.
    const EVENTS_PER_INSERT: usize = 1000;
    type Row = PgRow;

    async fn execute(&mut self, st: &Statement<'_>) -> Result<u64, StoreError> {
        Ok(query(st).execute(self).await?.rows_affected())
    }

    async fn fetch_all(&mut self, st: &Statement<'_>) -> Result<Vec<PgRow>, StoreError> {
        Ok(query(st).fetch_all(self).await?)
    }

    async fn fetch_optional(&mut self, st: &Statement<'_>) -> Result<Option<PgRow>, StoreError> {
        Ok(query(st).fetch_optional(self).await?)
    }

    /// Takes the chain lock: whoever holds it reads the head and appends, and lets go at
    /// commit or rollback. A READ COMMITTED statement that starts after the lock is granted
    /// sees the previous holder's commit, so the head read next is the real head.
    // INVARIANT: this is the last lock a write transaction takes (every row it updates or
    // locks comes before), so a transaction waiting here holds no lock that the chain holder
    // waits for, and no deadlock can form through the chain.
    async fn lock_chain(&mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CHAIN_LOCK)
            .execute(self)
            .await?;
        Ok(())
    }

    /// One statement; a failed one aborts the transaction, so a taken id is named from the
    /// server's error detail rather than found by retrying.
    async fn insert_events(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let st = chain::insert(Self::DIALECT, events);
        self.execute(&st).await.map_err(|err| {
            let id = duplicate_key(&err).unwrap_or_else(|| "?".to_string());
            conflict_if_unique(err, || chain::duplicate_id(&id))
        })?;
        Ok(())
    }
}

/// The key a unique violation names (`Key (id)=(ev_1) already exists.`), if it names one.
fn duplicate_key(err: &StoreError) -> Option<String> {
    let StoreError::Database(sqlx::Error::Database(db)) = err else {
        return None;
    };
    let detail = db.try_downcast_ref::<PgDatabaseError>()?.detail()?;
    let start = detail.find("=(")? + 2;
    let end = detail.rfind(") already exists")?;
    detail.get(start..end).map(str::to_string)
}
