//! Shedding idle connections at the cap: every open connection is registered with whether a
//! request of its own is being answered. When the cap is reached, the oldest connection that
//! is not answering anything (idle between keep-alive requests, or still sending its headers)
//! is closed to make room, so a flood of idle or dripping clients never keeps a health probe
//! or a check waiting behind them; connections busy with a request are never cut.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::response::Response;
use tokio::task::AbortHandle;
use tower::ServiceExt;

/// One open connection: how many of its requests are being answered, and how to close it.
struct Entry {
    busy: Arc<AtomicUsize>,
    abort: Option<AbortHandle>,
}

/// The open connections, oldest first (ids only grow).
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<(u64, BTreeMap<u64, Entry>)>>,
}

/// Removes its connection from the registry when the connection's task ends or is aborted.
pub struct Registered {
    registry: Registry,
    id: u64,
}

impl Registered {
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().1.remove(&self.id);
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, BTreeMap<u64, Entry>)> {
        // A panic elsewhere cannot leave the map half-updated: every change is one call.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection: its guard, and its busy counter for [`track`].
    pub fn register(&self) -> (Registered, Arc<AtomicUsize>) {
        let busy = Arc::new(AtomicUsize::new(0));
        let mut inner = self.lock();
        inner.0 += 1;
        let id = inner.0;
        inner.1.insert(
            id,
            Entry {
                busy: busy.clone(),
                abort: None,
            },
        );
        let guard = Registered {
            registry: self.clone(),
            id,
        };
        (guard, busy)
    }

    /// Gives connection `id` the handle that closes it (a connection already gone is left so).
    pub fn set_abort(&self, id: u64, abort: AbortHandle) {
        if let Some(e) = self.lock().1.get_mut(&id) {
            e.abort = Some(abort);
        }
    }

    /// Closes the oldest connection answering nothing; false when every one is busy.
    pub fn shed_oldest_idle(&self) -> bool {
        let mut inner = self.lock();
        let victim = inner
            .1
            .iter()
            .find(|(_, e)| e.busy.load(Ordering::SeqCst) == 0 && e.abort.is_some())
            .map(|(id, _)| *id);
        match victim.and_then(|id| inner.1.remove(&id)) {
            Some(Entry {
                abort: Some(abort), ..
            }) => {
                abort.abort();
                true
            }
            _ => false,
        }
    }
}

/// Counts a request as busy on its connection from its headers to its response.
pub async fn track<B>(
    router: Router,
    busy: Arc<AtomicUsize>,
    req: axum::http::Request<B>,
) -> Result<Response, Infallible>
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    struct Done(Arc<AtomicUsize>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    busy.fetch_add(1, Ordering::SeqCst);
    let _done = Done(busy);
    router.oneshot(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sheds_the_oldest_idle_connection_and_never_a_busy_one() {
        let registry = Registry::default();
        let mut tasks = Vec::new();
        let mut guards = Vec::new();
        for busy_now in [true, false, false] {
            let (guard, busy) = registry.register();
            if busy_now {
                busy.fetch_add(1, Ordering::SeqCst);
            }
            let task = tokio::spawn(std::future::pending::<()>());
            registry.set_abort(guard.id(), task.abort_handle());
            tasks.push(task);
            guards.push(guard);
        }
        assert!(registry.shed_oldest_idle());
        // The first is busy, so the second (the oldest idle one) goes.
        let second = tasks.remove(1);
        assert!(second.await.unwrap_err().is_cancelled());
        assert!(registry.shed_oldest_idle());
        assert!(tasks.remove(1).await.unwrap_err().is_cancelled());
        assert!(!registry.shed_oldest_idle(), "only the busy one is left");
        assert!(!tasks[0].is_finished());
    }
}
