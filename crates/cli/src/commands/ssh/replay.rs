//! `wicket ssh replay SESSION`: writes a recording's output to the terminal at the recorded
//! pace (`--speed 2` twice as fast). SESSION is a recording file, or a session id looked up in
//! the configured `[[gateway.ssh]]` recordings directories.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use wicket_engine::open::load_config;

use crate::exit::Verdict;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A session id (`sshs_...`) or a `.cast` file
    pub session: String,
    /// Playback speed: 2 is twice as fast; 0 writes everything at once
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// The configuration whose `[[gateway.ssh]] recordings` directories are searched
    #[arg(long, env = "WICKET_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

fn find(args: &ReplayArgs) -> Result<PathBuf> {
    let direct = PathBuf::from(&args.session);
    if direct.is_file() {
        return Ok(direct);
    }
    if args.session.contains('/') || args.session.contains("..") {
        bail!("recording `{}` not found", args.session);
    }
    let Some(config) = &args.config else {
        bail!(
            "`{}` is not a file; pass the recording's path, or `--config FILE` to look the session up",
            args.session
        );
    };
    let config = load_config(config)?;
    for t in &config.gateway.ssh {
        let path = PathBuf::from(&t.recordings).join(format!("{}.cast", args.session));
        if path.is_file() {
            return Ok(path);
        }
    }
    bail!(
        "no recording of session `{}` in the recordings directories of `{}`",
        args.session,
        config.file
    )
}

pub async fn run(args: ReplayArgs) -> Result<Verdict> {
    if !(args.speed >= 0.0 && args.speed.is_finite()) {
        bail!(
            "`--speed {}` is not a speed; give a number like 1 or 2.5",
            args.speed
        );
    }
    let path = find(&args)?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read recording `{}`", path.display()))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let header: serde_json::Value = serde_json::from_str(header)
        .ok()
        .filter(|h: &serde_json::Value| h["version"] == 2)
        .with_context(|| format!("`{}` is not an asciicast v2 recording", path.display()))?;
    let _ = header;
    let mut out = std::io::stdout().lock();
    let mut last = 0.0f64;
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event: (f64, String, String) = serde_json::from_str(line)
            .with_context(|| format!("line {} of `{}` is not an event", n + 2, path.display()))?;
        let (at, kind, data) = event;
        if kind != "o" {
            continue;
        }
        if args.speed > 0.0 && at > last {
            out.flush()?;
            let wait = ((at - last) / args.speed).min(3600.0);
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
        last = last.max(at);
        out.write_all(data.as_bytes())?;
    }
    out.flush()?;
    Ok(Verdict::Yes)
}
