//! A running front door's listeners, as every gateway hands them back: where each target
//! listens, and how to stop them all.

use std::net::SocketAddr;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The listeners of a started front door.
pub struct Listeners {
    /// `(target name, bound address)`, in configuration order.
    pub addrs: Vec<(String, SocketAddr)>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Listeners {
    /// The listeners whose tasks watch `stop`'s receivers and end once it says `true`.
    pub fn new(
        addrs: Vec<(String, SocketAddr)>,
        stop: watch::Sender<bool>,
        tasks: Vec<JoinHandle<()>>,
    ) -> Listeners {
        Listeners { addrs, stop, tasks }
    }

    /// The address target `name` was bound to (port 0 in the configuration picks one).
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.addrs.iter().find(|(n, _)| n == name).map(|(_, a)| *a)
    }

    /// Stops accepting and waits for every task; open sessions are cut by their watchers
    /// (within a tick).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
