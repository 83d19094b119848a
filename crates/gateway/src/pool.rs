//! Upstream connections kept between sessions: a session that ended cleanly leaves its
//! connection, reset with `DISCARD ALL`, for the next session of the same target with the same
//! startup settings, which so skips the TCP connect, the server's fork and the SCRAM
//! handshake. Who the user is and what they may do stay per session: the pool holds only
//! connections of the gateway's own database user, and every session is authorized, audited
//! and watched as before. A connection idle for [`IDLE`] is closed, at most [`KEEP`] are kept
//! per settings, and one the server closed meanwhile is dropped when taken.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::session::upstream::Upstream;

/// How long an idle connection is kept.
pub const IDLE: Duration = Duration::from_secs(30);

/// How many idle connections are kept for one target, whatever their settings.
pub const KEEP: usize = 16;

/// Which sessions may share a connection: the target, and every startup setting sent
/// upstream (read-only sessions among them), in order.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Key {
    target: String,
    settings: Vec<(String, String)>,
}

impl Key {
    pub fn new(target: &str, settings: &[(&str, &str)]) -> Key {
        Key {
            target: target.to_string(),
            settings: settings
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }
}

struct Idle {
    upstream: Upstream,
    since: Instant,
}

/// The idle connections of one listener.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
}

impl Pool {
    /// The most recently kept connection for `key` that is still open, if any.
    pub fn take(&self, key: &Key) -> Option<Upstream> {
        let mut idle = self.lock();
        let list = idle.get_mut(key)?;
        let mut found = None;
        while let Some(entry) = list.pop() {
            if entry.since.elapsed() < IDLE && still_open(&entry.upstream) {
                found = Some(entry.upstream);
                break;
            }
        }
        if list.is_empty() {
            idle.remove(key);
        }
        found
    }

    /// Keeps `upstream` (already reset) for `key`; over [`KEEP`] for its target, the target's
    /// oldest idle connection is closed.
    pub fn put(&self, key: Key, upstream: Upstream) {
        let mut idle = self.lock();
        let target = key.target.clone();
        idle.entry(key).or_default().push(Idle {
            upstream,
            since: Instant::now(),
        });
        let kept: usize = idle
            .iter()
            .filter(|(k, _)| k.target == target)
            .map(|(_, list)| list.len())
            .sum();
        if kept > KEEP {
            let oldest = idle
                .iter()
                .filter(|(k, list)| k.target == target && !list.is_empty())
                .min_by_key(|(_, list)| list[0].since)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest
                && let Some(list) = idle.get_mut(&k)
            {
                close(list.remove(0).upstream);
                if list.is_empty() {
                    idle.remove(&k);
                }
            }
        }
    }

    /// Closes the connections idle for [`IDLE`] or more; the number closed.
    pub fn sweep(&self) -> usize {
        self.sweep_idle(IDLE)
    }

    fn sweep_idle(&self, longest: Duration) -> usize {
        let mut idle = self.lock();
        let mut closed = 0;
        idle.retain(|_, list| {
            let (keep, old): (Vec<Idle>, Vec<Idle>) = std::mem::take(list)
                .into_iter()
                .partition(|e| e.since.elapsed() < longest);
            closed += old.len();
            old.into_iter().for_each(|e| close(e.upstream));
            *list = keep;
            !list.is_empty()
        });
        closed
    }

    /// How many connections are idle now.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes every idle connection (at shutdown, or when a server has no slot left for a
    /// new one); the number closed.
    pub fn clear(&self) -> usize {
        let mut idle = self.lock();
        let mut closed = 0;
        for (_, list) in idle.drain() {
            closed += list.len();
            list.into_iter().for_each(|e| close(e.upstream));
        }
        closed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Idle>>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Ends an idle connection as a client should: `Terminate`, then the socket closes, so the
/// server's process exits at once and logs a clean end. The socket is idle and non-blocking:
/// the five bytes go out without waiting, or the close alone ends it.
fn close(upstream: Upstream) {
    let _ = socket2::SockRef::from(&upstream.stream).send(&[b'X', 0, 0, 0, 4]);
}

/// False when the server closed the connection or sent something while it was idle (a
/// `FATAL` before it terminated the backend): either way it is not taken. Asks the kernel
/// (a non-blocking peek), not the runtime's last word on the socket's readiness.
fn still_open(upstream: &Upstream) -> bool {
    let mut probe = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    match socket2::SockRef::from(&upstream.stream).peek(&mut probe) {
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
        Ok(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use bytes::BytesMut;
    use tokio::net::{TcpListener, TcpStream};

    /// A connected pair: the kept side, and the server's side.
    async fn pair() -> (Upstream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (ours, theirs) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let upstream = Upstream {
            stream: ours.unwrap(),
            leftover: BytesMut::new(),
            parameters: Vec::new(),
            key: None,
        };
        (upstream, theirs.unwrap().0)
    }

    fn key(target: &str, read_only: bool) -> Key {
        let mut settings = vec![("application_name", "psql")];
        if read_only {
            settings.push(("default_transaction_read_only", "on"));
        }
        Key::new(target, &settings)
    }

    fn port(u: &Upstream) -> u16 {
        u.stream.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn a_connection_goes_only_to_its_own_target_and_settings() {
        let pool = Pool::default();
        let (up, _server) = pair().await;
        let kept = port(&up);
        pool.put(key("orders", false), up);
        assert!(
            pool.take(&key("orders", true)).is_none(),
            "read-only got a writer's"
        );
        assert!(
            pool.take(&key("billing", false)).is_none(),
            "another target's"
        );
        assert_eq!(
            pool.take(&key("orders", false)).map(|u| port(&u)),
            Some(kept)
        );
        assert!(pool.take(&key("orders", false)).is_none(), "taken twice");
        assert!(pool.is_empty());
    }

    #[tokio::test]
    async fn one_the_server_closed_or_wrote_to_is_dropped_when_taken() {
        let pool = Pool::default();
        let (closed, server) = pair().await;
        drop(server);
        pool.put(key("orders", false), closed);
        let (spoke, mut server) = pair().await;
        tokio::io::AsyncWriteExt::write_all(&mut server, b"E")
            .await
            .unwrap();
        pool.put(key("orders", false), spoke);
        let (open, _server) = pair().await;
        let alive = port(&open);
        pool.put(key("orders", false), open);
        // The newest first; then the two the server is done with are passed over.
        assert_eq!(
            pool.take(&key("orders", false)).map(|u| port(&u)),
            Some(alive)
        );
        // Over loopback the peers' close and write have arrived by now; should the machine be
        // slow to deliver them, the check waits (it never passes a live one over).
        let start = Instant::now();
        loop {
            let done = pool.lock()[&key("orders", false)]
                .iter()
                .all(|e| !still_open(&e.upstream));
            if done {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(pool.take(&key("orders", false)).is_none());
        assert!(pool.is_empty());
    }

    #[tokio::test]
    async fn at_most_keep_are_kept_per_target_and_idle_ones_are_swept() {
        let pool = Pool::default();
        let mut servers = Vec::new();
        let mut ports = Vec::new();
        // Two settings of one target share its cap; another target has its own.
        for i in 0..KEEP + 2 {
            let (up, server) = pair().await;
            ports.push(port(&up));
            servers.push(server);
            pool.put(key("orders", i.is_multiple_of(2)), up);
        }
        let (other, _server) = pair().await;
        pool.put(key("billing", false), other);
        assert_eq!(pool.len(), KEEP + 1);
        // The two oldest were closed, and told so: `Terminate` reached their servers.
        for server in &mut servers[..2] {
            let mut got = [0u8; 5];
            tokio::io::AsyncReadExt::read_exact(server, &mut got)
                .await
                .unwrap();
            assert_eq!(got, [b'X', 0, 0, 0, 4]);
        }
        // The newest is taken first.
        assert_eq!(
            pool.take(&key("orders", (KEEP + 1).is_multiple_of(2)))
                .map(|u| port(&u)),
            ports.last().copied()
        );
        assert_eq!(pool.sweep(), 0, "nothing is idle for 30 s yet");
        assert_eq!(pool.sweep_idle(Duration::ZERO), KEEP);
        assert!(pool.is_empty());
        let (last, _server) = pair().await;
        pool.put(key("orders", false), last);
        assert_eq!(pool.clear(), 1);
        assert!(pool.is_empty());
    }
}
