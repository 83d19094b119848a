//! Running the built `wicket` binary: one-shot commands, and a server child process that is
//! killed when its guard drops.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_wicket");

/// A path under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// `wicket` with none of the caller's `WICKET_*` settings leaking in.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "WICKET_SERVER",
        "WICKET_TOKEN",
        "WICKET_CONFIG",
        "WICKET_DATABASE",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// What a finished command left behind.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Out {
        assert_eq!(self.code, code, "expected exit {code}, got {self:#?}");
        self
    }

    /// Panics with the whole output unless the command printed nothing on stdout and, on
    /// stderr, a JSON error of `code` whose message contains `says`.
    #[track_caller]
    pub fn expect_json_error(&self, code: &str, says: &str) -> &Out {
        assert!(self.stdout.is_empty(), "{self:?}");
        let error = json(&self.stderr);
        assert_eq!(error["error"]["code"], code, "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{error}");
        self
    }

    /// The lines of stderr that start with `error: `.
    pub fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect()
    }

    /// Panics with the whole output unless stdout contains `text`.
    #[track_caller]
    pub fn expect_stdout(&self, text: &str) -> &Out {
        assert!(self.stdout.contains(text), "{self:?}");
        self
    }

    /// Panics with the whole output unless stderr contains `text`.
    #[track_caller]
    pub fn expect_stderr(&self, text: &str) -> &Out {
        assert!(self.stderr.contains(text), "{self:?}");
        self
    }
}

pub fn run(cmd: &mut Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Parses one JSON document from a command's output.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The URL of a SQLite database `w.db` in `dir`.
pub fn sqlite(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("w.db").display())
}

pub fn wicket(args: &[&str]) -> Out {
    run(command().args(args))
}

/// The lines `from` writes, on a channel as they come: a thread reads them to the end, so the
/// writer never blocks on a full pipe, even once the receiver is dropped.
pub fn lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// A `wicket serve` child process; killed on drop.
pub struct Server {
    child: Child,
    pub url: String,
    /// Each gateway target's name and the address it listens on (`127.0.0.1:PORT`), as
    /// `wicket serve` printed them.
    pub gateways: Vec<(String, String)>,
    config: PathBuf,
    database: String,
}

impl Server {
    /// Starts `wicket serve --listen 127.0.0.1:0` and waits for `listening on http://ADDR`.
    pub fn start(config: &Path, database: &str) -> Server {
        Server::start_with_env(config, database, &[])
    }

    /// A server on the configuration `text`, written to a fresh directory that also holds
    /// its SQLite database: the directory (removed when dropped) and the server.
    pub fn with_config(text: &str) -> (TempDir, Server) {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("wicket.toml");
        std::fs::write(&config, text).unwrap();
        let server = Server::start(&config, &sqlite(dir.path()));
        (dir, server)
    }

    /// A server on the fixture `name`, its SQLite database in a fresh directory: the
    /// directory (removed when dropped) and the server.
    pub fn on_fixture(name: &str) -> (TempDir, Server) {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(&fixture(name), &sqlite(dir.path()));
        (dir, server)
    }

    /// [`Server::start`] with more environment variables for the server.
    pub fn start_with_env(config: &Path, database: &str, env: &[(&str, &str)]) -> Server {
        let mut cmd = command();
        cmd.envs(env.iter().copied());
        Server::launch(cmd, config, database)
    }

    /// [`Server::start`] with the open-file limit (soft and hard) at `nofile`, as a service
    /// manager may set it; `prlimit` (util-linux) applies it.
    pub fn start_with_nofile(config: &Path, database: &str, nofile: u64) -> Server {
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--nofile={nofile}:{nofile}"))
            .arg("--")
            .arg(BIN);
        for var in [
            "WICKET_SERVER",
            "WICKET_TOKEN",
            "WICKET_CONFIG",
            "WICKET_DATABASE",
        ] {
            cmd.env_remove(var);
        }
        Server::launch(cmd, config, database)
    }

    /// Runs `cmd serve ...` and waits for its address.
    fn launch(mut cmd: Command, config: &Path, database: &str) -> Server {
        let mut child = cmd
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database,
                "--config",
            ])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        // The gateway targets' addresses (printed first) and the server's; `lines` keeps
        // draining stdout after that, so the server never writes to a closed pipe.
        let rx = lines(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            url: String::new(),
            gateways: Vec::new(),
            config: config.to_path_buf(),
            database: database.to_string(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.url.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                panic!(
                    "`wicket serve` did not say where it listens: {:?}",
                    server.child.try_wait()
                )
            };
            if let Some(addr) = line.strip_prefix("listening on ") {
                server.url = addr.to_string();
            } else if let Some(target) = gateway_line(&line) {
                server.gateways.push(target);
            }
        }
        server
    }

    /// The address gateway target `name` listens on, as `wicket serve` printed it.
    pub fn gateway(&self, name: &str) -> &str {
        self.gateways
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, addr)| addr.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "`wicket serve` printed no gateway target `{name}`: {:?}",
                    self.gateways
                )
            })
    }

    /// `wicket ARGS` against this server as the holder of `token`: to run.
    pub fn command(&self, token: &str, args: &[&str]) -> Command {
        let mut cmd = command();
        cmd.args(args)
            .env("WICKET_SERVER", &self.url)
            .env("WICKET_TOKEN", token);
        cmd
    }

    /// A command against this server as the holder of `token`.
    pub fn wicket(&self, token: &str, args: &[&str]) -> Out {
        run(&mut self.command(token, args))
    }

    /// `wicket ARGS --output json` as the holder of `token`, which must succeed: its JSON.
    pub fn json(&self, token: &str, args: &[&str]) -> serde_json::Value {
        let args = [args, &["--output", "json"]].concat();
        json(&self.wicket(token, &args).expect_code(0).stdout)
    }

    /// The holder of `token` asks for `role` for `duration`, which a policy approves at once:
    /// the grant's id.
    pub fn grant(&self, token: &str, role: &str, duration: &str) -> String {
        let request = self.json(token, &["request", "create", role, "--duration", duration]);
        assert_eq!(request["state"], "approved", "{request}");
        request["grants"][0]["id"].as_str().unwrap().to_string()
    }

    /// `wicket token create USER` for each of `users`: their tokens, in order.
    pub fn tokens<const N: usize>(&self, users: [&str; N]) -> [String; N] {
        users.map(|user| self.token(user))
    }

    /// `wicket token create USER` against this server's database.
    pub fn token(&self, user: &str) -> String {
        let out = self.offline(&["token", "create", user]).expect_code(0);
        let token = out.stdout.trim().to_string();
        assert!(
            token.starts_with("wkt_") && !token.contains('\n'),
            "{out:?}"
        );
        token
    }

    /// An offline command (`--config`, `--database`) on this server's files.
    pub fn offline(&self, args: &[&str]) -> Out {
        run(command()
            .args(args)
            .arg("--database")
            .arg(&self.database)
            .arg("--config")
            .arg(&self.config))
    }

    /// Sends SIGTERM and waits up to `bound` for the exit: its status.
    pub fn terminate(&mut self, bound: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid} failed");
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                start.elapsed() < bound,
                "`wicket serve` still runs {bound:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `gateway target `NAME` on postgres://ADDR/NAME`: the name and the address.
fn gateway_line(line: &str) -> Option<(String, String)> {
    if let Some(rest) = line.strip_prefix("ssh gateway target `") {
        let (name, addr) = rest.split_once("` on ssh://")?;
        return Some((name.to_string(), addr.to_string()));
    }
    let rest = line.strip_prefix("gateway target `")?;
    let (name, rest) = rest.split_once("` on postgres://")?;
    let addr = rest.strip_suffix(&format!("/{name}"))?;
    Some((name.to_string(), addr.to_string()))
}
