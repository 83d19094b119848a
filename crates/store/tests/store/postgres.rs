//! The contract on PostgreSQL: a fresh database per test on the test server (see
//! `wicket-testkit`); and what only a shared database does: several handles (servers) on it,
//! concurrent first starts, and the change feed.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use sqlx::{Connection, PgConnection};
use wicket_core::workflow::Changes;
use wicket_core::{Grant, Request};
use wicket_store::postgres::PgStore;
use wicket_store::{Change, ChangeFeed, Store};
use wicket_testkit::TestDb;

use crate::TestResult;
use crate::contract::{
    self, activated, event, grant, insert_with_grants, request, revocation, revoke, t0, token,
};

/// A fresh database and a store on it.
pub struct Db {
    pub store: Arc<PgStore>,
    url: String,
    _db: TestDb,
}

/// `None` when `WICKET_SKIP_POSTGRES=1`.
pub async fn fresh() -> Result<Option<Db>, Box<dyn Error + Send + Sync>> {
    let Some(db) = wicket_testkit::database().await? else {
        return Ok(None);
    };
    let store = Arc::new(PgStore::open(&db.url).await?);
    Ok(Some(Db {
        store,
        url: db.url.clone(),
        _db: db,
    }))
}

contract_suite!(fresh);

#[tokio::test]
async fn reopening_the_database_keeps_everything() -> TestResult {
    let Some(db) = fresh().await? else {
        return Ok(());
    };
    let written = contract::write_sample(db.store.clone()).await?;
    db.store.close().await;
    let reopened: Arc<dyn Store> = Arc::new(PgStore::open(&db.url).await?);
    contract::check_sample(reopened, &written).await
}

/// Runs `body` on a fresh database's store and a second store opened on it: two servers.
async fn on_two_stores<F>(body: impl FnOnce(Arc<dyn Store>, Arc<dyn Store>) -> F) -> TestResult
where
    F: Future<Output = TestResult>,
{
    let Some(db) = fresh().await? else {
        return Ok(());
    };
    let other: Arc<dyn Store> = Arc::new(PgStore::open(&db.url).await?);
    body(db.store.clone(), other).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_database_share_one_chain() -> TestResult {
    on_two_stores(contract::appends_from_two_handles_keep_one_chain).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_database_record_each_expiry_once() -> TestResult {
    on_two_stores(contract::sweeps_from_two_handles_record_each_expiry_once).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_of_a_new_database_migrate_it_once() -> TestResult {
    let Some(db) = wicket_testkit::database().await? else {
        return Ok(());
    };
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PgStore::open(&url).await })
        })
        .collect();
    for open in opens {
        let store = open.await??;
        assert_eq!(store.audit_head().await?, None);
        store.close().await;
    }
    let mut conn = PgConnection::connect(&db.url).await?;
    let (applied, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await?;
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))?
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert_eq!((applied, distinct), (files as i64, files as i64));
    conn.close().await?;
    Ok(())
}

#[tokio::test]
async fn open_refuses_what_it_cannot_use() -> TestResult {
    for (url, needle) in [
        ("sqlite://wicket.db", "not a PostgreSQL URL"),
        (
            "postgres://wicket:hunter2@127.0.0.1:1/wicket",
            "cannot connect to PostgreSQL database `wicket`",
        ),
    ] {
        let Err(err) = PgStore::open(url).await else {
            return Err(format!("`{url}` opened").into());
        };
        let text = err.to_string();
        assert!(text.contains(needle), "{url}: {text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    Ok(())
}

/// A fresh database, and the feed of its store; `None` as for [`fresh`].
async fn watched() -> Result<Option<(Db, Box<dyn ChangeFeed>)>, Box<dyn Error + Send + Sync>> {
    let Some(db) = fresh().await? else {
        return Ok(None);
    };
    let feed = db.store.watch().await?.ok_or("postgres has a feed")?;
    Ok(Some((db, feed)))
}

/// Inserts `r` with grant `g` through `writer`, and checks that `feed` announces both.
async fn insert_announced(
    writer: &PgStore,
    feed: &mut Box<dyn ChangeFeed>,
    r: &Request,
    g: &Grant,
) -> TestResult {
    insert_with_grants(writer, r, std::slice::from_ref(g)).await?;
    let within = Duration::from_secs(30);
    assert_eq!(
        next(feed, within).await?,
        Change::Request {
            id: r.id.clone(),
            version: 1
        }
    );
    assert_eq!(
        next(feed, within).await?,
        Change::Grant {
            id: g.id.clone(),
            revoked: false
        }
    );
    Ok(())
}

/// The next change, or an error after `wait`.
async fn next(
    feed: &mut Box<dyn ChangeFeed>,
    wait: Duration,
) -> Result<Change, Box<dyn Error + Send + Sync>> {
    Ok(tokio::time::timeout(wait, feed.next()).await??)
}

/// True if nothing more is announced within `wait`.
async fn quiet(feed: &mut Box<dyn ChangeFeed>, wait: Duration) -> bool {
    tokio::time::timeout(wait, feed.next()).await.is_err()
}

#[tokio::test]
async fn the_feed_announces_committed_changes_by_id() -> TestResult {
    let Some((db, mut feed)) = watched().await? else {
        return Ok(());
    };
    // The writes come through a second handle: another server.
    let writer = PgStore::open(&db.url).await?;
    let within = Duration::from_secs(30);

    let r = request("alice", t0());
    let g: Grant = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    insert_announced(&writer, &mut feed, &r, &g).await?;

    writer
        .commit(revoke(&g.id, t0() + Span::minutes(1), "security", "done"))
        .await?;
    assert_eq!(
        next(&mut feed, within).await?,
        Change::Grant {
            id: g.id.clone(),
            revoked: true
        }
    );

    // A write that fails is rolled back, and announces nothing.
    let failed = writer
        .commit(Changes {
            grants: vec![activated(grant(
                &r,
                "logs-read",
                t0(),
                t0() + Span::hours(1),
            ))],
            revocation: Some(revocation(&g.id, t0(), "x", "again")),
            ..Changes::default()
        })
        .await;
    assert!(failed.is_err());

    let token = token("tok_feed", "alice", "feedhash", "admin");
    writer
        .commit(Changes {
            tokens: vec![token.clone()],
            ..Changes::default()
        })
        .await?;
    writer
        .commit(Changes {
            token_revocations: vec![(token.id.clone(), t0())],
            ..Changes::default()
        })
        .await?;
    assert_eq!(
        next(&mut feed, within).await?,
        Change::TokenRevoked {
            id: token.id.clone()
        }
    );

    writer
        .append_events(vec![
            event("policy.loaded", "wicket", t0())
                .detail("hash", "c0ffee")
                .build(),
            event("check.allowed", "alice", t0()).build(),
        ])
        .await?;
    assert_eq!(
        next(&mut feed, within).await?,
        Change::PolicyLoaded {
            hash: "c0ffee".into()
        }
    );

    // Recording an expiry changes nothing a server keeps, and is not announced.
    let ended = grant(&r, "logs-read", t0(), t0() + Span::minutes(1));
    let r2 = request("bob", t0());
    let ended = Grant {
        request_id: r2.id.clone(),
        user: "bob".into(),
        ..ended
    };
    insert_announced(&writer, &mut feed, &r2, &ended).await?;
    assert_eq!(
        writer
            .record_expiries(t0() + Span::hours(1), 10)
            .await?
            .len(),
        1
    );
    assert!(quiet(&mut feed, Duration::from_millis(300)).await);
    writer.close().await;
    Ok(())
}

#[tokio::test]
async fn the_feed_announces_directory_changes() -> TestResult {
    let Some((db, mut feed)) = watched().await? else {
        return Ok(());
    };
    let writer = PgStore::open(&db.url).await?;
    writer
        .write_directory(wicket_store::DirectoryWrite {
            put_users: vec![crate::directory::dir_user("u1", "ann")],
            put_groups: vec![crate::directory::dir_group("g1", "sre", &["u1"])],
            ..Default::default()
        })
        .await?;
    // One announcement per table the write touched, each the same change.
    for _ in 0..3 {
        assert_eq!(
            next(&mut feed, Duration::from_secs(30)).await?,
            Change::Directory
        );
    }
    assert!(quiet(&mut feed, Duration::from_millis(300)).await);
    writer.close().await;
    Ok(())
}

#[tokio::test]
async fn the_feed_reports_missed_changes_after_losing_its_connection() -> TestResult {
    let Some((db, mut feed)) = watched().await? else {
        return Ok(());
    };
    let mut admin = PgConnection::connect(&db.url).await?;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'wicket-listen' AND datname = current_database()",
    )
    .fetch_all(&mut admin)
    .await?;
    assert_eq!(killed, [true]);
    // An error may come first (the connection broke); then the feed listens again and says
    // that changes may have been missed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline, feed.next()).await? {
            Ok(Change::Missed) => break,
            Ok(other) => return Err(format!("expected `Missed`, got {other:?}").into()),
            Err(_) => continue,
        }
    }
    // And it goes on announcing.
    let r = request("alice", t0());
    contract::insert(&*db.store, &r).await?;
    assert_eq!(
        next(&mut feed, Duration::from_secs(30)).await?,
        Change::Request {
            id: r.id,
            version: 1
        }
    );
    admin.close().await?;
    Ok(())
}
