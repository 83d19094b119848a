//! A `wicket serve` child process for the HTTP and scale benchmarks: started on a free
//! loopback port, timed until it says where it listens, stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The `wicket` binary next to the running one (both built into the same target directory),
/// unless `explicit` names one.
pub fn wicket_binary(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p);
    }
    let me = std::env::current_exe().context("finding this executable")?;
    let candidate = me.with_file_name("wicket");
    if candidate.exists() {
        return Ok(candidate);
    }
    bail!(
        "no `wicket` binary next to {}; build it with `cargo build --release -p wicket-cli` \
         (same CARGO_TARGET_DIR) or pass --wicket PATH",
        me.display()
    )
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// From spawning the process to its "listening on" line: opening the store, loading
    /// the grants into the index, binding.
    pub startup: Duration,
}

impl Server {
    /// Starts `wicket serve` on `config` and `database` (logging at error level).
    pub fn start(wicket: &Path, config: &Path, database: &str) -> Result<Server> {
        let t = Instant::now();
        let mut child = Command::new(wicket)
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", wicket.display()))?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) = lines.next() else {
                let status = child.wait()?;
                bail!("the server exited ({status}) before listening");
            };
            if let Some(addr) = line?.strip_prefix("listening on http://") {
                break addr.trim().parse().context("the server's address")?;
            }
        };
        let startup = t.elapsed();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Server {
            child,
            addr,
            startup,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (a graceful shutdown), then waits for the process to exit.
    pub fn stop(mut self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            self.child.kill()?;
        }
        self.child.wait()?;
        Ok(())
    }
}
