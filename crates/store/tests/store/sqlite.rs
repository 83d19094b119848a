//! The contract on SQLite: a fresh file per test; and what only a file-backed store does.

use std::error::Error;
use std::sync::Arc;

use tempfile::TempDir;
use wicket_store::Store;
use wicket_store::sqlite::SqliteStore;

use crate::{TestResult, contract};

/// A fresh database file, deleted with the directory when the test ends.
pub struct Db {
    pub store: Arc<SqliteStore>,
    url: String,
    _dir: TempDir,
}

/// Never skipped: SQLite is always there.
pub async fn fresh() -> Result<Option<Db>, Box<dyn Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("wicket.db").display());
    let store = Arc::new(SqliteStore::open(&url).await?);
    Ok(Some(Db {
        store,
        url,
        _dir: dir,
    }))
}

async fn fresh_file() -> Result<Db, Box<dyn Error + Send + Sync>> {
    fresh()
        .await?
        .ok_or_else(|| "sqlite is never skipped".into())
}

contract_suite!(fresh);

#[tokio::test]
async fn reopening_the_file_keeps_everything() -> TestResult {
    let db = fresh_file().await?;
    let written = contract::write_sample(db.store.clone()).await?;
    db.store.close().await;
    drop(db.store);
    let reopened: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.url).await?);
    contract::check_sample(reopened, &written).await
}

#[tokio::test]
async fn two_stores_on_one_file_share_one_chain() -> TestResult {
    // Two opens stand in for two processes: separate pools, one file, one write lock.
    let db = fresh_file().await?;
    let other: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.url).await?);
    let first: Arc<dyn Store> = db.store.clone();
    contract::appends_from_two_handles_keep_one_chain(first, other).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_record_each_expiry_once() -> TestResult {
    let db = fresh_file().await?;
    let other: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.url).await?);
    let first: Arc<dyn Store> = db.store.clone();
    contract::sweeps_from_two_handles_record_each_expiry_once(first, other).await
}

#[tokio::test]
async fn sqlite_announces_no_changes() -> TestResult {
    let db = fresh_file().await?;
    assert!(db.store.watch().await?.is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_of_a_new_file_migrate_it_once() -> TestResult {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("new.db").display());
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { SqliteStore::open(&url).await })
        })
        .collect();
    for open in opens {
        let store = open.await??;
        store.append_events(Vec::new()).await?;
        store.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn open_accepts_both_url_forms_and_creates_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (name, url) in [
        (
            "a.db",
            format!("sqlite://{}", dir.path().join("a.db").display()),
        ),
        (
            "b.db",
            format!("sqlite:{}", dir.path().join("b.db").display()),
        ),
    ] {
        let store = SqliteStore::open(&url).await?;
        assert!(dir.path().join(name).exists(), "{url}");
        assert_eq!(store.audit_head().await?, None);
        store.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn open_refuses_what_it_cannot_keep() -> TestResult {
    for (url, needle) in [
        ("postgres://localhost/wicket", "not a SQLite URL"),
        ("sqlite::memory:", "in-memory"),
        (
            "sqlite:///nonexistent-dir/deeper/wicket.db",
            "cannot open the database file",
        ),
    ] {
        let Err(err) = SqliteStore::open(url).await else {
            return Err(format!("`{url}` opened").into());
        };
        assert!(err.to_string().contains(needle), "{url}: {err}");
    }
    Ok(())
}
