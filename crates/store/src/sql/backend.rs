//! What a backend gives the one [`Store`](crate::Store) implementation (`sql::store`): its
//! pool, its two kinds of transaction, and the few paths it takes its own way.

use std::future::Future;

use sqlx::Pool;
use wicket_core::audit::Stretch;
use wicket_core::{AuditEvent, Grant, NewEvent, Time};

use super::Guarded;
use super::chain::{self, Append};
use super::{Conn, Work, grants};
use crate::StoreError;
use crate::feed::ChangeFeed;
use crate::filter::AuditFilter;

/// A backend: SQLite or PostgreSQL through sqlx, its connections running the shared
/// statements ([`Conn`]).
///
/// The provided methods are the shared path of the [`Store`](crate::Store) methods of the
/// same names; a backend overrides one only where its own way earns it something (speed,
/// a change feed), and says so.
pub(crate) trait Backend: Send + Sync + 'static {
    type Db: sqlx::Database<Connection: Conn>;

    fn pool(&self) -> &Pool<Self::Db>;

    /// Runs `work` in one write transaction of the backend's: committed if it succeeds,
    /// rolled back if not. (Called through [`Backend::write`].)
    fn transact<W: Work>(
        &self,
        work: W,
    ) -> impl Future<Output = Result<W::Done, StoreError>> + Send;

    /// Runs `work` in one write transaction, or in none when it has nothing to write.
    fn write<W: Work>(&self, work: W) -> impl Future<Output = Result<W::Done, StoreError>> + Send {
        async move {
            match work.nothing_to_do() {
                Some(done) => Ok(done),
                None => self.transact(work).await,
            }
        }
    }

    /// A read transaction on one snapshot, for reads that span several queries; the caller
    /// rolls it back.
    fn snapshot(&self) -> impl Future<Output = Result<Guarded<Self::Db>, StoreError>> + Send;

    fn append_events(
        &self,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send {
        self.write(Append(events))
    }

    fn list_events(
        &self,
        filter: &AuditFilter,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send {
        async move { chain::list(&mut *self.pool().acquire().await?, filter).await }
    }

    /// [`Store::verify_stretch`](crate::Store::verify_stretch): each backend reads rows its
    /// own way and hashes them where they are read (SQLite on its direct connections,
    /// PostgreSQL from a binary `COPY`).
    fn verify_stretch(
        &self,
        after: i64,
        through: i64,
    ) -> impl Future<Output = Result<Stretch, StoreError>> + Send;

    fn live_grants(
        &self,
        now: Time,
    ) -> impl Future<Output = Result<Vec<Grant>, StoreError>> + Send {
        async move { grants::live(&mut *self.pool().acquire().await?, now).await }
    }

    fn live_grants_by_page(
        &self,
        now: Time,
        each: &mut (dyn FnMut(Vec<Grant>) + Send),
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async move {
            each(Backend::live_grants(self, now).await?);
            Ok(())
        }
    }

    /// `None`: announces nothing (see [`Store::watch`](crate::Store::watch)).
    fn watch(
        &self,
    ) -> impl Future<Output = Result<Option<Box<dyn ChangeFeed>>, StoreError>> + Send {
        async { Ok(None) }
    }
}
