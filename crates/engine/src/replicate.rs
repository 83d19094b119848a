//! Replica consistency: keeping this server's decision index and token cache current with the
//! writes other servers make to the same database.
//!
//! A write is applied to the writing server's index as soon as it commits ([`App::commit`]).
//! Other servers learn of it from the store's change feed (PostgreSQL `LISTEN/NOTIFY`, ids
//! and versions only) and read what changed: a new grant is read and added, a revoked grant
//! is removed, a revoked token is evicted. When the feed lost its connection it says so, and
//! the server reloads everything; a full reload also runs every [`RESYNC_EVERY`], the safety
//! net for anything missed, and the only way SQLite servers sharing a file hear of each other.
//! Checks stay safe meanwhile: a grant's end is compared with the clock at every decision.

mod journal;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use wicket_core::{Config, Index, Time};
use wicket_store::{Change, ChangeFeed, GrantFilter, Store, StoreError};

use crate::app::{App, now};

pub use journal::{Op, Recording, Reloaded, Replica, ops};

/// How often everything is reloaded from the store, whatever the feed said.
pub const RESYNC_EVERY: Duration = Duration::from_secs(30);

/// Changes waiting to be applied; the feed waits when this many are.
const QUEUE: usize = 4096;

/// Applies the feed's changes, and reloads every [`RESYNC_EVERY`], until `stop` turns true.
pub async fn run(app: App, feed: Option<Box<dyn ChangeFeed>>, mut stop: watch::Receiver<bool>) {
    let (tx, mut rx) = mpsc::channel(QUEUE);
    // The feed runs in a task of its own, so that its waits are never cancelled half-way.
    let listener = feed.map(|feed| tokio::spawn(listen(feed, tx)));
    let mut resync = crate::ticker::every_from(Instant::now() + RESYNC_EVERY, RESYNC_EVERY);
    loop {
        tokio::select! {
            Some(change) = rx.recv() => {
                if change != Change::Directory {
                    apply(&app, change).await;
                    continue;
                }
                // One directory write is announced once per table it touched, in a burst:
                // one reading of the directory serves every announcement already queued.
                let mut after = None;
                while let Ok(next) = rx.try_recv() {
                    if next != Change::Directory {
                        after = Some(next);
                        break;
                    }
                }
                apply(&app, Change::Directory).await;
                if let Some(next) = after {
                    apply(&app, next).await;
                }
            }
            _ = resync.tick() => {
                if let Err(e) = reload(&app).await {
                    tracing::warn!(error = %e, "periodic reload from the database failed");
                }
            }
            _ = stop.changed() => break,
        }
    }
    if let Some(listener) = listener {
        listener.abort();
    }
}

async fn listen(mut feed: Box<dyn ChangeFeed>, tx: mpsc::Sender<Change>) {
    loop {
        match feed.next().await {
            Ok(change) => {
                if tx.send(change).await.is_err() {
                    return;
                }
            }
            // The feed pauses before trying again, and then reports what it missed.
            Err(e) => {
                tracing::warn!(error = %e, "not listening for other servers' changes; retrying")
            }
        }
    }
}

/// Brings this server up to date with one change another server (or this one) committed.
pub async fn apply(app: &App, change: Change) {
    let result = match change {
        Change::Grant { id, revoked: true } => {
            // Denied at once (a revocation this server made and remembers stays remembered);
            // then read back who revoked it and why, for the denials to say.
            app.replica.apply(&app.index, vec![Op::Stop(id.clone())]);
            refresh_grant(app, &id).await
        }
        Change::Grant { id, revoked: false } => refresh_grant(app, &id).await,
        Change::TokenRevoked { id } => {
            app.tokens.evict(&id);
            Ok(())
        }
        Change::Directory => {
            if let Err(e) = crate::identity::refresh(app).await {
                tracing::warn!(error = %e, "reading the changed user directory failed; the next reload catches up");
            }
            Ok(())
        }
        Change::PolicyLoaded { hash } => {
            if hash != app.config.hash {
                tracing::warn!(
                    theirs = %hash,
                    ours = %app.config.hash,
                    "a server on this database started with a different configuration; \
                     servers behind one load balancer should share one configuration file"
                );
            }
            Ok(())
        }
        // Requests are read from the store on every call; nothing here keeps them.
        Change::Request { id, version } => {
            tracing::trace!(request = %id, version, "request changed");
            Ok(())
        }
        Change::Missed => {
            tracing::info!("changes may have been missed while not listening; reloading");
            reload(app).await
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "applying another server's change failed; the next reload catches up");
    }
}

/// Reads grant `id` and puts it in the index as it is now.
async fn refresh_grant(app: &App, id: &str) -> Result<(), StoreError> {
    let recording = app.replica.record(&app.index).await;
    let ops = match app.store.get_grant(id).await? {
        Some(grant) if grant.expires_at > now() => vec![Op::Upsert(grant)],
        Some(_) | None => vec![Op::Remove(id.to_string())],
    };
    recording.finish(Reloaded::Some(ops));
    Ok(())
}

/// An index of `config` holding the grants live in `store` at `at` (at start, and on reload).
pub async fn load_index(
    store: &dyn Store,
    config: Arc<Config>,
    at: Time,
) -> Result<Index, StoreError> {
    let suspended = crate::reviews::suspended(store).await?;
    let mut index = Index::new_suspended(config, suspended);
    store
        .live_grants_by_page(at, &mut |page| {
            page.iter().for_each(|g| index.upsert_grant(g));
        })
        .await?;
    // Grants revoked before their end, so a denial can still say why (the newest thousand).
    let revoked = store
        .list_grants(&GrantFilter {
            revoked_live_at: Some(at),
            ..GrantFilter::default()
        })
        .await?;
    revoked.iter().for_each(|g| index.upsert_grant(g));
    Ok(index)
}

/// Rebuilds the index from the store's directory and live grants, and empties the token cache.
pub async fn reload(app: &App) -> Result<(), StoreError> {
    let recording = app.replica.record(&app.index).await;
    let directory = app.store.read_directory().await?;
    let loaded = app.identities.load(&app.config, directory);
    let index = load_index(&*app.store, loaded.config.clone(), now()).await?;
    recording.finish(Reloaded::All(Box::new(index)));
    loaded.install(&app.identities);
    app.tokens.clear();
    Ok(())
}
