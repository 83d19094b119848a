//! A throwaway PostgreSQL cluster: `initdb` into a temporary directory, then `pg_ctl start` on
//! a free port of 127.0.0.1 with the unix socket in that directory, tuned for tests (no fsync).
//!
//! Dropping the cluster stops it and removes the directory. A cluster kept in a static is
//! never dropped, so a watchdog process (in a process group of its own, so that a Ctrl-C or a
//! `SIGKILL` of the tests does not reach it) waits for this process to end, whatever the way,
//! and then does the same.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use tempfile::TempDir;

use crate::binaries;
use crate::run_as::RunAs;

/// Server settings for tests: durability off, room for many pools.
const SETTINGS: &str = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
                        -c full_page_writes=off -c max_connections=500";

pub(crate) struct Cluster {
    pub(crate) port: u16,
    bindir: PathBuf,
    run_as: RunAs,
    watchdog: Option<Child>,
    // INVARIANT: declared last, so the directory is removed after the server was stopped.
    dir: TempDir,
}

impl Cluster {
    /// Creates and starts a cluster; the superuser is `postgres`, trusted without password.
    pub(crate) fn start() -> Result<Cluster, String> {
        let bindir = binaries::bindir()?;
        let run_as = RunAs::detect()?;
        let dir = tempfile::Builder::new()
            .prefix("wicket-pg-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        run_as.own(dir.path())?;
        let data = dir.path().join("data");
        let initdb = run_as
            .command(&bindir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .output();
        check("initdb", initdb, None)?;
        let mut cluster = Cluster {
            port: 0,
            bindir,
            run_as,
            watchdog: None,
            dir,
        };
        cluster.watchdog = Some(cluster.spawn_watchdog()?);
        // A free port can be taken by someone else before the server binds it: try again.
        let mut failure = String::new();
        for _ in 0..3 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(e) => failure = e,
            }
        }
        Err(failure)
    }

    /// Stops the server as `pg_ctl stop -m fast` does (clients are disconnected).
    pub(crate) fn stop_fast(&self) -> Result<(), String> {
        let stopped = self
            .run_as
            .command(&self.bindir.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-m", "fast", "stop"])
            .output();
        check("pg_ctl stop", stopped, None)
    }

    /// Starts the server again on its port.
    pub(crate) fn restart(&self) -> Result<(), String> {
        self.pg_ctl_start()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {} -k {} {SETTINGS}",
            self.port,
            self.dir.path().display()
        );
        let started = self
            .run_as
            .command(&self.bindir.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdin(Stdio::null())
            .output();
        check("pg_ctl start", started, Some(&log))
    }

    /// A process that stops the server and removes the directory once this process is gone.
    fn spawn_watchdog(&self) -> Result<Child, String> {
        let stop = stop_command(&self.run_as, &self.bindir, &self.data());
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = quote(self.dir.path()),
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the cleanup watchdog: {e}"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .run_as
            .command(&self.bindir.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

/// `pg_ctl stop` as a shell command line, run as the server's user.
fn stop_command(run_as: &RunAs, bindir: &Path, data: &Path) -> String {
    let pg_ctl = format!(
        "{} -D {} -m immediate stop",
        quote(&bindir.join("pg_ctl")),
        quote(data)
    );
    match run_as {
        RunAs::Me => pg_ctl,
        RunAs::User { name, .. } => format!("runuser -u {name} -- {pg_ctl}"),
    }
}

/// `path` in single quotes for `sh`.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// `Ok` if the command ran and succeeded; otherwise what it said, and the server log's tail.
fn check(what: &str, output: std::io::Result<Output>, log: Option<&Path>) -> Result<(), String> {
    let output = output.map_err(|e| format!("cannot run `{what}`: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let mut message = format!(
        "`{what}` failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim(),
        String::from_utf8_lossy(&output.stdout).trim()
    );
    if let Some(text) = log.and_then(|l| std::fs::read_to_string(l).ok()) {
        let tail: Vec<&str> = text.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        message.push_str(&format!("; server log: {}", tail.join(" | ")));
    }
    Err(message)
}
