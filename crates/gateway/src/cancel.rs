//! `CancelRequest`s: each session's client holds the upstream backend's own process id (so
//! that `pg_backend_pid()` and the sender of a notification are the process it was told of)
//! with a secret key the gateway makes up; a cancel is routed by the two together to the
//! upstream server's own key, which the client never sees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::protocol::startup::encode_cancel;

/// Where a cancel for one session goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamKey {
    pub address: String,
    pub pid: i32,
    pub key: i32,
}

/// Every live session's cancel key, shared by all listeners.
#[derive(Clone, Default)]
pub struct Cancels {
    inner: Arc<Mutex<HashMap<(i32, i32), UpstreamKey>>>,
}

impl Cancels {
    /// Registers `upstream` and returns the `(process id, key)` its client is given: the
    /// upstream's process id, and a fresh random key. Two targets' servers may have
    /// backends of the same id; the key tells them apart.
    pub fn register(&self, upstream: UpstreamKey) -> (i32, i32) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut rng = rand::thread_rng();
        loop {
            let key = (upstream.pid, rng.r#gen::<i32>());
            if let std::collections::hash_map::Entry::Vacant(v) = map.entry(key) {
                v.insert(upstream);
                return key;
            }
        }
    }

    pub fn remove(&self, key: (i32, i32)) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }

    /// The session a client's `(pid, key)` cancels, if any.
    fn upstream(&self, pid: i32, key: i32) -> Option<UpstreamKey> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(pid, key))
            .cloned()
    }

    /// Forwards a client's cancel; an unknown process id or key is ignored, as PostgreSQL does.
    pub async fn cancel(&self, pid: i32, key: i32) {
        if let Some(t) = self.upstream(pid, key) {
            send_cancel(&t).await;
        }
    }
}

/// How long a cancel waits for the server to say it has taken it.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends a `CancelRequest` for `t` on a connection of its own, and returns once the server
/// has closed it: PostgreSQL closes a cancel's connection after it has signalled the
/// backend, and the client's cancel connection closes only after this returns, so a client
/// that goes on once its cancel is done (libpq's `PQcancel`) cannot have the cancel land on
/// its next statement, as it cannot directly.
pub async fn send_cancel(t: &UpstreamKey) {
    let mut out = BytesMut::new();
    encode_cancel(&mut out, t.pid, t.key);
    let mut s = match TcpStream::connect(&t.address).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(error = %e, "connecting upstream to cancel failed");
            return;
        }
    };
    if let Err(e) = s.write_all(&out).await {
        tracing::debug!(error = %e, "sending a cancel request upstream failed");
        return;
    }
    let mut sink = [0u8; 64];
    let closed = tokio::time::timeout(CANCEL_TIMEOUT, async {
        while let Ok(n) = s.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    if closed.is_err() {
        tracing::debug!("the server kept a cancel request's connection open");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(address: &str, pid: i32, key: i32) -> UpstreamKey {
        UpstreamKey {
            address: address.into(),
            pid,
            key,
        }
    }

    #[test]
    fn clients_get_the_upstream_pid_and_a_key_of_their_own() {
        let cancels = Cancels::default();
        let a = up("127.0.0.1:5432", 4242, 7);
        let b = up("127.0.0.1:5433", 4242, 9);
        let (pid_a, key_a) = cancels.register(a.clone());
        let (pid_b, key_b) = cancels.register(b.clone());
        assert_eq!((pid_a, pid_b), (4242, 4242));
        assert_ne!(key_a, key_b);
        assert_eq!(cancels.upstream(4242, key_a), Some(a));
        assert_eq!(cancels.upstream(4242, key_b), Some(b));
        assert_eq!(cancels.upstream(4242, key_a.wrapping_add(1)), None);
        assert_eq!(cancels.upstream(4243, key_a), None);
        cancels.remove((pid_a, key_a));
        assert_eq!(cancels.upstream(4242, key_a), None);
    }

    #[tokio::test]
    async fn a_cancel_is_done_only_once_the_server_has_taken_it() {
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = server.local_addr().unwrap().to_string();
        let taken = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = taken.clone();
        let postmaster = tokio::spawn(async move {
            let (mut s, _) = server.accept().await.unwrap();
            let mut packet = [0u8; 16];
            s.read_exact(&mut packet).await.unwrap();
            // The server signals the backend (slowly, on a loaded machine), then closes.
            tokio::time::sleep(Duration::from_millis(200)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            drop(s);
            packet
        });
        send_cancel(&up(&address, 4242, 7)).await;
        assert!(taken.load(std::sync::atomic::Ordering::SeqCst));
        let packet = postmaster.await.unwrap();
        assert_eq!(&packet[8..], &[0, 0, 0x10, 0x92, 0, 0, 0, 7]);
    }
}
