//! Changing the decision index so that a reload from the store never undoes a newer change.
//!
//! Every change to the grants in the index goes through [`Replica::apply`]. A reload (of
//! everything, or of one grant) reads the store while requests keep committing and applying
//! their own changes; those changes are recorded in a journal from before the read starts, and
//! replayed over what was read before it replaces the index. So a revocation that commits
//! during a reload stays revoked, and a grant that commits during it stays granted.

use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{Mutex as TurnLock, MutexGuard as Turn};

use wicket_core::workflow::{Changes, Revocation};
use wicket_core::{Grant, Index};

/// One change to the grants of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Adds or replaces a grant (a revoked one is removed).
    Upsert(Grant),
    Remove(String),
    /// Stops a grant allowing, keeping what the index knows of its revocation.
    Stop(String),
    /// Revokes a grant: it stops allowing at once, and is remembered (who, when, why) until
    /// its end so a denial can say why.
    Revoke(Revocation),
}

impl Op {
    fn apply(&self, index: &mut Index) {
        match self {
            Op::Upsert(g) => index.upsert_grant(g),
            Op::Remove(id) => index.remove_grant(id),
            Op::Stop(id) => index.stop_grant(id),
            Op::Revoke(r) => index.revoke_grant(&r.grant_id, r.at, &r.by, &r.reason),
        }
    }
}

/// The index changes a committed write set makes.
pub fn ops(changes: &Changes) -> Vec<Op> {
    let mut ops: Vec<Op> = changes
        .grants
        .iter()
        .map(|g| Op::Upsert(g.grant.clone()))
        .collect();
    if let Some(e) = &changes.extension {
        ops.push(Op::Upsert(e.grant.clone()));
    }
    if let Some(r) = &changes.revocation {
        ops.push(Op::Revoke(r.clone()));
    }
    ops
}

/// This replica's side of keeping the index current; cheap to clone.
#[derive(Clone, Default)]
pub struct Replica {
    /// `Some` while a reload reads the store: the changes applied meanwhile.
    // INVARIANT: locked only while the index's write lock is held (index first, then journal),
    // so no change can slip between being applied and being journaled.
    journal: Arc<Mutex<Option<Vec<Op>>>>,
    /// Reloads take turns: there is one journal.
    turn: Arc<TurnLock<()>>,
    /// Bindings left out of the index ahead of the write that suspends them, `(subject,
    /// role)`, once per write in flight: a reload that reads the store before that write
    /// lands leaves them out still.
    // INVARIANT: locked only while the index's write lock is held (index, journal, held).
    held: Arc<Mutex<Vec<(String, String)>>>,
}

/// What a finished reload does with the index.
pub enum Reloaded {
    /// Everything was read: this index replaces the current one.
    All(Box<Index>),
    /// Some grants were read: they are applied over the current index.
    Some(Vec<Op>),
}

impl Replica {
    /// Applies `ops` to `index` (and to the journal, during a reload).
    pub fn apply(&self, index: &RwLock<Index>, ops: Vec<Op>) {
        if ops.is_empty() {
            return;
        }
        let mut index = index.write().unwrap_or_else(|e| e.into_inner());
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        for op in &ops {
            op.apply(&mut index);
        }
        if let Some(journal) = journal.as_mut() {
            journal.extend(ops);
        }
    }

    /// Leaves `bindings` out of `index` now, and out of every reload until [`Replica::release`]:
    /// call before the write that suspends them.
    pub fn hold(&self, index: &RwLock<Index>, bindings: &[(String, String)]) {
        if bindings.is_empty() {
            return;
        }
        let mut index = index.write().unwrap_or_else(|e| e.into_inner());
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.extend(bindings.iter().cloned());
        *index = with_held(&index, &held);
    }

    /// Ends the hold of `bindings` once their write has landed or failed. Waits for a reload
    /// in progress, which may have read the store before the write landed, to finish holding
    /// them; every later reload reads the store after it.
    pub async fn release(&self, index: &RwLock<Index>, bindings: &[(String, String)]) {
        if bindings.is_empty() {
            return;
        }
        let _turn = self.turn.lock().await;
        let _index = index.write().unwrap_or_else(|e| e.into_inner());
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for binding in bindings {
            if let Some(at) = held.iter().position(|h| h == binding) {
                held.swap_remove(at);
            }
        }
    }

    /// Waits for any other reload to finish, then starts recording changes; call before
    /// reading the store.
    pub async fn record<'a>(&'a self, index: &'a RwLock<Index>) -> Recording<'a> {
        let turn = self.turn.lock().await;
        let _index = index.write().unwrap_or_else(|e| e.into_inner());
        *self.journal.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
        Recording {
            replica: self,
            index,
            done: false,
            _turn: turn,
        }
    }
}

/// A reload in progress; dropped without [`Recording::finish`], it just stops recording.
pub struct Recording<'a> {
    replica: &'a Replica,
    index: &'a RwLock<Index>,
    done: bool,
    _turn: Turn<'a, ()>,
}

impl Recording<'_> {
    /// Puts what was read in place, with every change recorded since the start on top.
    pub fn finish(mut self, reloaded: Reloaded) {
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        let journal = self
            .replica
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match reloaded {
            Reloaded::All(fresh) => *index = *fresh,
            Reloaded::Some(ops) => ops.iter().for_each(|op| op.apply(&mut index)),
        }
        for op in journal.iter().flatten() {
            op.apply(&mut index);
        }
        let held = self.replica.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.iter().any(|h| !index.suspended().contains(h)) {
            *index = with_held(&index, &held);
        }
        self.done = true;
    }
}

/// `index` with the `held` bindings suspended too.
fn with_held(index: &Index, held: &[(String, String)]) -> Index {
    let mut suspended = index.suspended().to_vec();
    for binding in held {
        if !suspended.contains(binding) {
            suspended.push(binding.clone());
        }
    }
    index.with_suspended(suspended)
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _index = self.index.write().unwrap_or_else(|e| e.into_inner());
            *self
                .replica
                .journal
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::Config;

    const CONFIG: &str = r#"
[[users]]
name = "alice"

[[roles]]
name = "reader"
permissions = [{ actions = ["db:select"], resources = ["db/**"] }]
"#;

    /// Alice's grant `id` of role `reader`, for an hour from 2023-11-14T22:13:20Z.
    fn grant(id: &str) -> Grant {
        crate::testing::grant(id, "reader", 1_700_000_000, 1_700_003_600)
    }

    fn ids(index: &RwLock<Index>) -> Vec<String> {
        let index = index.read().unwrap();
        let mut ids: Vec<String> = index
            .grants_of("alice")
            .iter()
            .map(|g| g.id.clone())
            .collect();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn changes_made_during_a_reload_survive_it() {
        let config = std::sync::Arc::new(Config::parse("t.toml", CONFIG).unwrap());
        let index = RwLock::new(Index::new(config.clone()));
        let replica = Replica::default();
        replica.apply(
            &index,
            vec![Op::Upsert(grant("old")), Op::Upsert(grant("revoked-later"))],
        );

        // The reload reads the store (old and revoked-later live) while a request revokes
        // one grant and another creates a new one.
        let recording = replica.record(&index).await;
        let mut read = Index::new(config);
        read.upsert_grant(&grant("old"));
        read.upsert_grant(&grant("revoked-later"));
        replica.apply(
            &index,
            vec![Op::Remove("revoked-later".into()), Op::Upsert(grant("new"))],
        );
        recording.finish(Reloaded::All(Box::new(read)));
        assert_eq!(ids(&index), ["new", "old"]);

        // A one-grant refresh that read a grant before its revocation does not revive it.
        let recording = replica.record(&index).await;
        replica.apply(&index, vec![Op::Remove("new".into())]);
        recording.finish(Reloaded::Some(vec![Op::Upsert(grant("new"))]));
        assert_eq!(ids(&index), ["old"]);

        // Once finished, nothing is journaled any more; an abandoned reload leaves no journal.
        drop(replica.record(&index).await);
        replica.apply(&index, vec![Op::Upsert(grant("later"))]);
        assert!(replica.journal.lock().unwrap().is_none());
        assert_eq!(ids(&index), ["later", "old"]);
    }

    fn suspended(index: &RwLock<Index>) -> Vec<(String, String)> {
        index.read().unwrap().suspended().to_vec()
    }

    #[tokio::test]
    async fn a_held_binding_stays_out_of_every_reload_until_released() {
        let config = std::sync::Arc::new(Config::parse("t.toml", CONFIG).unwrap());
        let index = RwLock::new(Index::new(config.clone()));
        let replica = Replica::default();
        let binding = ("user:alice".to_string(), "reader".to_string());
        let held = [binding.clone()];

        // Held before its write; a reload reads the store, which does not have it yet.
        replica.hold(&index, &held);
        assert_eq!(suspended(&index), held);
        let recording = replica.record(&index).await;
        recording.finish(Reloaded::All(Box::new(Index::new(config.clone()))));
        assert_eq!(suspended(&index), held, "a reload dropped a held binding");

        // Released while a reload that read the store before the write is running: the
        // release waits for it, so that reload still holds the binding.
        let recording = replica.record(&index).await;
        let release = replica.release(&index, &held);
        tokio::pin!(release);
        assert!(
            futures_util::FutureExt::now_or_never(release.as_mut()).is_none(),
            "released during a reload"
        );
        recording.finish(Reloaded::All(Box::new(Index::new(config.clone()))));
        assert_eq!(suspended(&index), held);
        release.await;

        // Released, a reload takes the store's word (here: the write did not land).
        let recording = replica.record(&index).await;
        recording.finish(Reloaded::All(Box::new(Index::new(config))));
        assert!(suspended(&index).is_empty());
    }
}
