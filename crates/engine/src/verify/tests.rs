//! Verification in stretches against real stores (a SQLite file, a PostgreSQL database):
//! a tampered row in the middle of a stretch, at either end of one, or a link broken between
//! two, is reported at the seq and with the reason that walking the events one by one gives.

use std::sync::Arc;

use sqlx::Connection;
use wicket_core::audit::{EventBuilder, EventKind, Verifier};
use wicket_core::time::from_millis;
use wicket_store::postgres::PgStore;
use wicket_store::sqlite::SqliteStore;
use wicket_store::{AuditFilter, Store};

use super::*;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const EVENTS: usize = 100;
/// Stretches of 10: seqs 1–10, 11–20, …
const SIZE: i64 = 10;

async fn fill(store: &dyn Store) -> TestResult {
    let events = (0..EVENTS)
        .map(|i| {
            EventBuilder::new(
                format!("ev_{i}"),
                from_millis(1_700_000_000_000 + i as i64),
                "alice",
                EventKind::CheckDenied,
            )
            .subject("user:alice")
            .resource(format!("postgres/prod/t{i}"))
            .detail("n", i as u64)
            .build()
        })
        .collect();
    store.append_events(events).await?;
    Ok(())
}

/// What walking every stored event one by one reports: first break and events before it.
async fn one_by_one(store: &dyn Store) -> Result<(Option<(i64, String)>, u64), StoreError> {
    let mut events = Vec::new();
    loop {
        let after = events.last().map(|e: &wicket_core::AuditEvent| e.seq);
        let page = store
            .list_events(&AuditFilter {
                after,
                ..Default::default()
            })
            .await?;
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    let mut v = Verifier::default();
    let first_bad = events
        .iter()
        .try_for_each(|e| v.push(e))
        .err()
        .map(|b| (b.seq, b.reason));
    Ok((first_bad, v.events))
}

/// A fresh store, its URL, and what keeps its database alive until the case ends.
type Opened = (Arc<dyn Store>, String, Box<dyn std::any::Any + Send>);

/// Each tampering (an SQL statement), on a fresh chain, then both verifications compared.
async fn tamperings<F, Fut>(
    open: F,
    tamper: &(
         dyn Fn(String, String) -> futures_util::future::BoxFuture<'static, TestResult> + Sync
     ),
) -> TestResult
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Opened, Box<dyn std::error::Error + Send + Sync>>>,
{
    let cases = [
        // In the middle of the stretch 31–40.
        (
            "UPDATE audit_events SET actor = 'mallory' WHERE seq = 35",
            35,
            "hash",
        ),
        // The first event of the stretch 41–50, and the last of 31–40.
        (
            "UPDATE audit_events SET details = '{}' WHERE seq = 41",
            41,
            "hash",
        ),
        (
            "UPDATE audit_events SET kind = 'check.allowed' WHERE seq = 40",
            40,
            "hash",
        ),
        // The link between two stretches.
        (
            "UPDATE audit_events SET prev_hash = hash WHERE seq = 51",
            51,
            "prev_hash does not match",
        ),
        (
            "DELETE FROM audit_events WHERE seq = 61",
            62,
            "expected seq 61 after 60, found 62",
        ),
        // The first event of all, and the last.
        (
            "UPDATE audit_events SET resource = NULL WHERE seq = 1",
            1,
            "hash",
        ),
        (
            "UPDATE audit_events SET subject = 'user:bob' WHERE seq = 100",
            100,
            "hash",
        ),
    ];
    for (sql, seq, reason) in cases {
        let (store, url, _keep) = open().await?;
        fill(store.as_ref()).await?;
        let intact = verify_in_stretches(store.as_ref(), &|_, _| {}, 3, Some(SIZE)).await?;
        assert!(intact.ok, "{intact:?}");
        assert_eq!(intact.events, EVENTS as u64);
        tamper(url, sql.to_string()).await?;
        let (expected, before) = one_by_one(store.as_ref()).await?;
        let report = verify_in_stretches(store.as_ref(), &|_, _| {}, 3, Some(SIZE)).await?;
        assert!(!report.ok, "{sql}");
        assert_eq!(report.first_bad, expected, "{sql}");
        assert_eq!(report.events, before, "{sql}");
        let (bad_seq, bad_reason) = report.first_bad.clone().unwrap_or_default();
        assert_eq!(bad_seq, seq, "{sql}");
        assert!(bad_reason.contains(reason), "{sql}: {bad_reason}");
        // The default stretches, as the server verifies, find the same.
        let whole = verify_chain(store.as_ref()).await?;
        assert_eq!(whole.first_bad, report.first_bad, "{sql}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_break_anywhere_in_the_stretches_is_found_at_its_seq_on_sqlite() -> TestResult {
    let dir = tempfile::tempdir()?;
    let n = std::sync::atomic::AtomicUsize::new(0);
    let open = || {
        let path = dir.path().join(format!(
            "w{}.db",
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        async move {
            let url = format!("sqlite://{}", path.display());
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await?);
            Ok((store, url, Box::new(()) as Box<dyn std::any::Any + Send>))
        }
    };
    tamperings(open, &|url, sql| {
        Box::pin(async move {
            let mut conn = sqlx::SqliteConnection::connect(&url).await?;
            let done = sqlx::query(&sql).execute(&mut conn).await?;
            assert_eq!(done.rows_affected(), 1, "{sql}");
            Ok(())
        })
    })
    .await
}

/// On tokio's single-thread runtime as well: the stretches' reads run on blocking threads.
#[tokio::test]
async fn a_break_anywhere_in_the_stretches_is_found_at_its_seq_on_postgres() -> TestResult {
    if wicket_testkit::skip_postgres() {
        return Ok(());
    }
    let open = || async {
        let db = wicket_testkit::database()
            .await?
            .ok_or("no PostgreSQL for the test")?;
        let url = db.url.clone();
        let store: Arc<dyn Store> = Arc::new(PgStore::open(&url).await?);
        Ok((store, url, Box::new(db) as Box<dyn std::any::Any + Send>))
    };
    tamperings(open, &|url, sql| {
        Box::pin(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            let done = sqlx::query(&sql).execute(&mut conn).await?;
            assert_eq!(done.rows_affected(), 1, "{sql}");
            Ok(())
        })
    })
    .await
}
