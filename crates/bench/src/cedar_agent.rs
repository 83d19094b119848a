//! `cedar-agent` (the HTTP server people deploy in front of Cedar, from crates.io) loaded with
//! the workload's Cedar policies and entities (`cedar.rs`): its files, its process, and the
//! requests that ask it what Wicket's `/v1/check` is asked.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::http1::{self, Conn};
use crate::workload::Workload;

/// The API key both servers are called with (cedar-agent compares the whole header).
pub const KEY: &str = "bench-key";

/// `cedar-agent` from `explicit`, `$CEDAR_AGENT`, or where `scripts/bench-cedar-agent.sh`
/// installs it.
pub fn binary(explicit: Option<PathBuf>) -> Result<PathBuf> {
    let path = explicit
        .or_else(|| std::env::var_os("CEDAR_AGENT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target-bench/cedar-agent/bin/cedar-agent"));
    if !path.exists() {
        bail!(
            "no cedar-agent at {}: install it with `cargo install cedar-agent --root \
             target-bench/cedar-agent` or pass --cedar-agent PATH",
            path.display()
        );
    }
    Ok(path)
}

/// The policy set as cedar-agent's policy file: one `{id, content}` per policy.
pub fn policies_json(w: &Workload) -> Result<String> {
    let text = crate::cedar::policy_text(w)?;
    let list: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, p)| json!({ "id": format!("p{i}"), "content": p }))
        .collect();
    Ok(serde_json::to_string(&list)?)
}

/// The entities as cedar-agent's data file (Cedar's entity JSON, written by Cedar itself).
pub fn entities_json(w: &Workload) -> Result<String> {
    let mut out = Vec::new();
    crate::cedar::entities(w)?
        .write_to_json(&mut out)
        .map_err(|e| anyhow::anyhow!("writing the Cedar entities: {e}"))?;
    Ok(String::from_utf8(out)?)
}

/// The `/v1/is_authorized` request for check `i` of the workload.
pub fn request(w: &Workload, i: usize) -> Vec<u8> {
    let c = &w.checks[i];
    let body = json!({
        "principal": format!("User::{:?}", w.users[c.user].name),
        "action": format!("Action::{:?}", c.action),
        "resource": format!("Res::{:?}", c.resource),
    });
    http1::post("/v1/is_authorized", KEY, &body.to_string())
}

/// Whether a cedar-agent answer is an `Allow`.
pub fn allowed(body: &[u8]) -> Result<bool> {
    let v: Value = serde_json::from_slice(body).context("a cedar-agent answer that is not JSON")?;
    match v["decision"].as_str() {
        Some("Allow") => Ok(true),
        Some("Deny") => Ok(false),
        _ => bail!("a cedar-agent answer without a decision: {v}"),
    }
}

/// A running cedar-agent, killed when dropped.
pub struct Agent {
    child: Child,
    pub addr: SocketAddr,
}

impl Agent {
    /// Writes the workload's files into `dir` and starts `binary` on a free loopback port,
    /// waiting (at most `within`) until it answers.
    pub async fn start(binary: &Path, w: &Workload, dir: &Path, within: Duration) -> Result<Agent> {
        let (policies, data) = (dir.join("policies.json"), dir.join("data.json"));
        std::fs::write(&policies, policies_json(w)?)?;
        std::fs::write(&data, entities_json(w)?)?;
        // cedar-agent cannot be given a listener; a port just freed is good enough for a
        // benchmark (nothing else on this machine binds ports at random meanwhile).
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binary)
            .args(["--addr", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--log-level",
                "error",
                "--authentication",
                &format!("Bearer {KEY}"),
            ])
            .arg("--policies")
            .arg(&policies)
            .arg("--data")
            .arg(&data)
            .env("ROCKET_LOG_LEVEL", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut agent = Agent {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = agent.child.try_wait()? {
                bail!("cedar-agent exited ({status}) before answering");
            }
            if let Ok(mut conn) = Conn::connect(agent.addr).await
                && let Ok((200, _)) = conn.round_trip(&request(w, 0)).await.map(|(s, _)| (s, ()))
            {
                return Ok(agent);
            }
            if Instant::now() > deadline {
                bail!("cedar-agent did not answer within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
