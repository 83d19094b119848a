//! `wicket serve` as a process of its own, for tests that kill it or measure it: either the
//! binary named by `WICKET_BIN`, or the test binary started again on its one ignored test,
//! which calls [`serve_body`].

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The variable that turns the test binary into a server (`CONFIG_PATH` and `DATABASE_URL`
/// on two lines).
pub const SERVE_ENV: &str = "WICKET_TEST_SERVE";

/// The body of the ignored test `serve_process` each test binary using this module declares:
/// `wicket serve` on the configuration and database named by [`SERVE_ENV`].
pub fn serve_body() {
    let Ok(spec) = std::env::var(SERVE_ENV) else {
        return;
    };
    let (config, database) = spec.split_once('\n').expect("config path and database url");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(wicket_server::serve(wicket_server::ServeOptions {
            config_path: config.into(),
            listen: Some("127.0.0.1:0".to_string()),
            database: Some(database.to_string()),
        }))
        .unwrap();
}

/// One `wicket serve` process; killed when dropped.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub addr: String,
    child: Child,
}

impl Server {
    /// Starts `wicket serve` on `config` and `database`, and waits until it listens.
    pub fn start(config: &Path, database: &str) -> Server {
        let mut command = match std::env::var("WICKET_BIN") {
            Ok(bin) => {
                let mut c = Command::new(bin);
                c.arg("serve").arg("--config").arg(config).args([
                    "--listen",
                    "127.0.0.1:0",
                    "--database",
                    database,
                ]);
                c
            }
            Err(_) => {
                let mut c = Command::new(std::env::current_exe().unwrap());
                c.args([
                    "--exact",
                    "serve_process",
                    "--include-ignored",
                    "--nocapture",
                    "--test-threads=1",
                ]);
                c.env(SERVE_ENV, format!("{}\n{database}", config.display()));
                c
            }
        };
        let mut child = command
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // The test harness may have printed `test serve_process ... ` on the same line.
                if let Some((_, addr)) = line.split_once("listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => Server { addr, child },
            Err(_) => {
                let _ = child.kill();
                panic!("wicket serve did not say where it listens within 60s");
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `SIGKILL`: no shutdown, no flush, connections cut.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The resident set size of the process, in KiB, from `/proc/PID/status`.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
