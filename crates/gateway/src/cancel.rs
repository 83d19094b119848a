//! `CancelRequest`s: the keys the gateway gives clients, mapped to the upstream server's own,
//! so that a cancel reaches the right backend without the client ever seeing its key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::protocol::startup::encode_cancel;

/// Where a cancel for one session goes.
#[derive(Clone, Debug)]
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
    /// Registers `upstream` under a fresh random client key and returns that key.
    pub fn register(&self, upstream: UpstreamKey) -> (i32, i32) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut rng = rand::thread_rng();
        loop {
            let key = (rng.r#gen::<i32>() & 0x3fff_ffff, rng.r#gen::<i32>());
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

    /// Forwards a client's cancel; an unknown key is ignored, as PostgreSQL does.
    pub async fn cancel(&self, pid: i32, key: i32) {
        let target = self
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(pid, key))
            .cloned();
        if let Some(t) = target {
            send_cancel(&t).await;
        }
    }
}

/// Sends a `CancelRequest` for `t` on a connection of its own.
pub async fn send_cancel(t: &UpstreamKey) {
    let mut out = BytesMut::new();
    encode_cancel(&mut out, t.pid, t.key);
    match TcpStream::connect(&t.address).await {
        Ok(mut s) => {
            if let Err(e) = s.write_all(&out).await {
                tracing::debug!(error = %e, "sending a cancel request upstream failed");
            }
        }
        Err(e) => tracing::debug!(error = %e, "connecting upstream to cancel failed"),
    }
}
