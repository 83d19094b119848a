//! The shared statements on SQLite: [`Conn`] for sqlx's connections.

use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use wicket_core::AuditEvent;

use super::values::query;
use crate::StoreError;
use crate::sql::{Conn, Dialect, Statement, chain, conflict_if_unique};

impl Conn for SqliteConnection {
    const DIALECT: Dialect = Dialect::Sqlite;
    /// 14 parameters each, well under SQLite's 32,766: one statement per row made every event
    /// a round trip to sqlx's connection thread, which capped appends at about 10k events/s
    /// whatever the batch.
    const EVENTS_PER_INSERT: usize = 64;
    type Row = SqliteRow;

    async fn execute(&mut self, st: &Statement<'_>) -> Result<u64, StoreError> {
        Ok(query(st)?.execute(self).await?.rows_affected())
    }

    async fn fetch_all(&mut self, st: &Statement<'_>) -> Result<Vec<SqliteRow>, StoreError> {
        Ok(query(st)?.fetch_all(self).await?)
    }

    async fn fetch_optional(
        &mut self,
        st: &Statement<'_>,
    ) -> Result<Option<SqliteRow>, StoreError> {
        Ok(query(st)?.fetch_optional(self).await?)
    }

    /// Nothing to take: every write transaction holds SQLite's write lock from `BEGIN
    /// IMMEDIATE`, so the head read after it stays the head until commit.
    async fn lock_chain(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// One statement; if one of the ids is taken, one statement per event instead, so that the
    /// conflict names the id (the failed statement changed nothing, and SQLite's transaction
    /// goes on after it).
    async fn insert_events(&mut self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if let [one] = events {
            return insert_one(self, one).await;
        }
        match self.execute(&chain::insert(Self::DIALECT, events)).await {
            Ok(_) => Ok(()),
            Err(err) => match conflict_if_unique(err, String::new) {
                StoreError::Conflict(_) => {
                    for e in events {
                        insert_one(self, e).await?;
                    }
                    Ok(())
                }
                other => Err(other),
            },
        }
    }
}

async fn insert_one(conn: &mut SqliteConnection, e: &AuditEvent) -> Result<(), StoreError> {
    let st = chain::insert(Dialect::Sqlite, std::slice::from_ref(e));
    conn.execute(&st)
        .await
        .map_err(|err| conflict_if_unique(err, || chain::duplicate_id(&e.id)))?;
    Ok(())
}
