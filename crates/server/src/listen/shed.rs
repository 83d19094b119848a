//! Idle connections: every open connection is registered with how many of its requests are
//! being answered (from their headers to their response's last byte) and when it last finished
//! one. Two things close a connection answering nothing:
//!
//! - at the cap, the oldest such connection makes room ([`Registry::shed_oldest_idle`]), so a
//!   flood of idle or dripping clients never keeps a health probe or a check waiting;
//! - a sweep, once a second, closes every connection that has answered nothing for the idle
//!   timeout ([`Registry::close_idle`]): idle between keep-alive requests, or still sending its
//!   headers. It stands in for a timer per request: hyper's header-read timeout set and
//!   cleared one on every request; the sweep saves about 1.5 % of a check's server CPU
//!   (BENCHMARKS.md).
//!
//! A connection busy with a request, or still writing a response (an export streams its
//! pages), is never cut.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::task::AbortHandle;
use tower::ServiceExt;

/// What one connection is doing: requests being answered, and the sweep at which it last
/// finished one (or opened).
pub struct Activity {
    /// Sweeps so far, shared by every connection of the registry: a clock that costs a load.
    sweeps: Arc<AtomicU64>,
    busy: AtomicUsize,
    since: AtomicU64,
}

/// One open connection: its activity, and how to close it.
struct Entry {
    activity: Arc<Activity>,
    abort: Option<AbortHandle>,
}

impl Entry {
    fn idle(&self) -> bool {
        self.activity.busy.load(Ordering::SeqCst) == 0 && self.abort.is_some()
    }
}

/// The open connections, oldest first (ids only grow).
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<(u64, BTreeMap<u64, Entry>)>>,
    sweeps: Arc<AtomicU64>,
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

    /// Registers a new connection: its guard, and its activity for [`track`].
    pub fn register(&self) -> (Registered, Arc<Activity>) {
        let activity = Arc::new(Activity {
            since: AtomicU64::new(self.sweeps.load(Ordering::SeqCst)),
            sweeps: self.sweeps.clone(),
            busy: AtomicUsize::new(0),
        });
        let mut inner = self.lock();
        inner.0 += 1;
        let id = inner.0;
        inner.1.insert(
            id,
            Entry {
                activity: activity.clone(),
                abort: None,
            },
        );
        let guard = Registered {
            registry: self.clone(),
            id,
        };
        (guard, activity)
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
        let victim = inner.1.iter().find(|(_, e)| e.idle()).map(|(id, _)| *id);
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

    /// One sweep: counts it, then closes every connection that has answered nothing for more
    /// than `sweeps` sweeps before this one. Returns how many it closed.
    ///
    /// Run once every `timeout / sweeps`, a connection is closed after `timeout` idle and
    /// before `timeout` and one more sweep.
    pub fn close_idle(&self, sweeps: u64) -> usize {
        let now = self.sweeps.fetch_add(1, Ordering::SeqCst) + 1;
        let mut closed = 0;
        self.lock().1.retain(|_, e| {
            let stale =
                e.idle() && now.saturating_sub(e.activity.since.load(Ordering::SeqCst)) > sweeps;
            if let (true, Some(abort)) = (stale, &e.abort) {
                abort.abort();
                closed += 1;
            }
            !stale
        });
        closed
    }
}

/// A request being answered on its connection: ends when dropped, at the response's last byte.
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::SeqCst);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The time first, so a sweep that sees the connection idle sees when it became so.
        let a = &self.0;
        a.since
            .store(a.sweeps.load(Ordering::SeqCst), Ordering::SeqCst);
        a.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a request as busy on its connection from its headers to its response's last byte
/// (or until the connection drops it unfinished).
pub async fn track<B>(
    router: Router,
    activity: Arc<Activity>,
    req: axum::http::Request<B>,
) -> Result<Response, Infallible>
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let busy = Busy::start(activity);
    let response = router.oneshot(req).await?;
    // The body holds `busy` until hyper drops it: written out, or the connection gone.
    Ok(response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &busy;
            frame
        }))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    /// Registers a connection whose task never ends on its own.
    fn open(registry: &Registry) -> (Registered, Arc<Activity>, tokio::task::JoinHandle<()>) {
        let (guard, activity) = registry.register();
        let task = tokio::spawn(std::future::pending::<()>());
        registry.set_abort(guard.id(), task.abort_handle());
        (guard, activity, task)
    }

    #[tokio::test]
    async fn sheds_the_oldest_idle_connection_and_never_a_busy_one() {
        let registry = Registry::default();
        let (_g1, first, t1) = open(&registry);
        let _busy = Busy::start(first);
        let (_g2, _, t2) = open(&registry);
        let (_g3, _, t3) = open(&registry);
        assert!(registry.shed_oldest_idle());
        // The first is busy, so the second (the oldest idle one) goes.
        assert!(t2.await.unwrap_err().is_cancelled());
        assert!(registry.shed_oldest_idle());
        assert!(t3.await.unwrap_err().is_cancelled());
        assert!(!registry.shed_oldest_idle(), "only the busy one is left");
        assert!(!t1.is_finished());
    }

    #[tokio::test]
    async fn closes_connections_idle_past_the_timeout_and_counts_from_their_last_answer() {
        let registry = Registry::default();
        let (_g1, _, idle) = open(&registry);
        let (_g2, second, answering) = open(&registry);
        let busy = Busy::start(second);
        // Idle for more than two sweeps: the third sweep closes it, never the busy one.
        assert_eq!(registry.close_idle(2), 0);
        assert_eq!(registry.close_idle(2), 0);
        assert_eq!(registry.close_idle(2), 1);
        assert!(idle.await.unwrap_err().is_cancelled());
        assert!(!answering.is_finished());
        // Its answer ends at sweep 3: it is idle from there, and closed at sweep 6.
        drop(busy);
        assert_eq!(registry.close_idle(2), 0);
        assert_eq!(registry.close_idle(2), 0);
        assert_eq!(registry.close_idle(2), 1);
        assert!(answering.await.unwrap_err().is_cancelled());
    }

    #[tokio::test]
    async fn a_request_stays_busy_until_its_response_body_is_written_out() {
        let (send, receive) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(1);
        let receive = Arc::new(Mutex::new(Some(receive)));
        let router = Router::new().route(
            "/stream",
            axum::routing::get(move || {
                let receive = receive.lock().unwrap().take().unwrap();
                async move { Body::from_stream(stream_of(receive)) }
            }),
        );
        let registry = Registry::default();
        let (_guard, activity) = registry.register();
        let request = axum::http::Request::get("/stream")
            .body(Body::empty())
            .unwrap();
        let response = track(router, activity.clone(), request).await.unwrap();
        assert_eq!(
            activity.busy.load(Ordering::SeqCst),
            1,
            "answered, not yet written"
        );
        send.send(Ok(Bytes::from_static(b"page"))).await.unwrap();
        drop(send);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], b"page");
        assert_eq!(activity.busy.load(Ordering::SeqCst), 0, "written out");
    }

    /// The receiving end of a channel as a stream.
    fn stream_of<T: Send + 'static>(
        receive: tokio::sync::mpsc::Receiver<T>,
    ) -> impl futures_util::Stream<Item = T> + Send {
        futures_util::stream::unfold(receive, |mut r| async move {
            r.recv().await.map(|item| (item, r))
        })
    }
}
